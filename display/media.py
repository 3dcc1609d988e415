"""The board's optional media area: images and videos from a folder, in name order.

Images are a slideshow; videos play through QMediaPlayer into a QVideoWidget. The video sound
is ducked while an announcement speaks (`set_ducked`, wired to `Announcer.speaking`). An empty
or missing folder gives no media area at all (`MediaArea.from_folder` returns None), so the
board then uses the space for counter tiles. Images are decoded on a worker thread: a 4K JPEG
takes tens of milliseconds, which would stutter the running text and delay a call.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QRectF, QRunnable, QThreadPool, QTimer, QUrl, Signal
from PySide6.QtGui import QColor, QImage, QImageReader, QPainter, QPaintEvent, QPixmap
from PySide6.QtWidgets import QStackedLayout, QWidget

if TYPE_CHECKING:
    from PySide6.QtMultimedia import QAudioOutput, QMediaPlayer
    from PySide6.QtMultimediaWidgets import QVideoWidget

log = logging.getLogger(__name__)

IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".webp", ".bmp", ".gif"})
VIDEO_SUFFIXES = frozenset({".mp4", ".webm", ".mkv", ".avi", ".mov", ".m4v"})
IMAGE_SECONDS = 10.0
DUCKED_VOLUME = 0.15  # still audible as "the video goes on", not over the voice
FULL_VOLUME = 1.0


def media_files(folder: Path | None) -> list[Path]:
    if folder is None or not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir()
                  if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES | VIDEO_SUFFIXES)


class _Decoded(QObject):
    done = Signal(str, QImage)


class _DecodeImage(QRunnable):
    def __init__(self, path: Path, size: tuple[int, int], sink: _Decoded) -> None:
        super().__init__()
        self.path, self.size, self.sink = path, size, sink

    def run(self) -> None:
        reader = QImageReader(str(self.path))
        reader.setAutoTransform(True)
        src = reader.size()
        if src.isValid() and src.width() > 0 and src.height() > 0:
            scale = min(self.size[0] / src.width(), self.size[1] / src.height(), 1.0)
            if scale < 1.0:
                reader.setScaledSize(src * scale)
        image = reader.read()
        if image.isNull():
            log.warning("cannot show %s: %s", self.path.name, reader.errorString())
        self.sink.done.emit(str(self.path), image)


class _ImageView(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.pixmap: QPixmap | None = None

    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        p.fillRect(self.rect(), QColor("#000000"))
        if self.pixmap is not None and not self.pixmap.isNull():
            r = QRectF(self.rect())
            pw, ph = self.pixmap.width(), self.pixmap.height()
            s = min(r.width() / pw, r.height() / ph)
            target = QRectF(0, 0, pw * s, ph * s)
            target.moveCenter(r.center())
            p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
            p.drawPixmap(target, self.pixmap, QRectF(self.pixmap.rect()))
        p.end()


class MediaArea(QWidget):
    """Plays the files of a folder in a loop; `set_ducked(True)` lowers the video's sound."""

    def __init__(self, files: list[Path], parent: QWidget | None = None,
                 image_seconds: float = IMAGE_SECONDS) -> None:
        super().__init__(parent)
        self.files = files
        self.index = -1
        self.ducked = False
        self._images = _ImageView(self)
        self._stack = QStackedLayout(self)
        self._stack.addWidget(self._images)
        self._decoded = _Decoded(self)
        self._decoded.done.connect(self._on_decoded)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(round(image_seconds * 1000))
        self._timer.timeout.connect(self.next_item)
        # Made only when the folder holds a video (Qt Multimedia is slow to start).
        self._player: QMediaPlayer | None = None
        self._audio: QAudioOutput | None = None
        self._video: QVideoWidget | None = None
        if any(f.suffix.lower() in VIDEO_SUFFIXES for f in files):
            self._make_player()
        QTimer.singleShot(0, self.next_item)

    @classmethod
    def from_folder(cls, folder: Path | None, parent: QWidget | None = None
                    ) -> MediaArea | None:
        files = media_files(folder)
        if not files:
            if folder is not None:
                log.info("media folder %s is empty or missing: no media area", folder)
            return None
        return cls(files, parent)

    def current(self) -> Path | None:
        return self.files[self.index] if 0 <= self.index < len(self.files) else None

    def showing_picture(self) -> bool:
        return self._images.pixmap is not None and not self._images.pixmap.isNull()

    def volume(self) -> float:
        return DUCKED_VOLUME if self.ducked else FULL_VOLUME

    def set_ducked(self, ducked: bool) -> None:
        self.ducked = ducked
        if self._audio is not None:
            self._audio.setVolume(self.volume())

    def next_item(self) -> None:
        if not self.files:
            return
        self.index = (self.index + 1) % len(self.files)
        path = self.files[self.index]
        if path.suffix.lower() in VIDEO_SUFFIXES and self._player is not None:
            assert self._video is not None  # made together with the player
            self._stack.setCurrentWidget(self._video)
            self._player.setSource(QUrl.fromLocalFile(str(path)))
            self._player.play()
        else:
            size = (max(640, self.width()), max(360, self.height()))
            QThreadPool.globalInstance().start(_DecodeImage(path, size, self._decoded))

    def _on_decoded(self, path: str, image: QImage) -> None:
        if self.current() is None or str(self.current()) != path:
            return  # a late decode of an item already passed
        if not image.isNull():
            self._images.pixmap = QPixmap.fromImage(image)
            if self._player is not None:
                self._player.stop()
            self._stack.setCurrentWidget(self._images)
            self._images.update()
        self._timer.start()

    def _make_player(self) -> None:
        from PySide6.QtMultimedia import QAudioOutput, QMediaPlayer
        from PySide6.QtMultimediaWidgets import QVideoWidget

        self._video = QVideoWidget(self)
        self._stack.addWidget(self._video)
        self._audio = QAudioOutput(self)
        self._audio.setVolume(self.volume())
        self._player = QMediaPlayer(self)
        self._player.setAudioOutput(self._audio)
        self._player.setVideoOutput(self._video)

        def on_status(status: QMediaPlayer.MediaStatus) -> None:
            if status in (QMediaPlayer.MediaStatus.EndOfMedia,
                          QMediaPlayer.MediaStatus.InvalidMedia):
                QTimer.singleShot(0, self.next_item)

        self._player.mediaStatusChanged.connect(on_status)
        self._player.errorOccurred.connect(
            lambda err, text: log.warning("media: cannot play %s: %s", self.current(), text))

    def stop(self) -> None:
        self._timer.stop()
        if self._player is not None:
            self._player.stop()
