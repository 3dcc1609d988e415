"""Audio outputs for the announcer: the hall speakers (Qt Multimedia) and a recording stand-in.

Contract of `AudioOutput`: after `play(path)` exactly one of `done` or `failed(reason)` is
emitted, always later from the event loop, never from inside `play()`. The announcer relies
on that to start the next sound from its slot without re-entering the player.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, QTimer, QUrl, Signal
from PySide6.QtMultimedia import QAudioOutput, QMediaDevices, QMediaPlayer

from display.voice.wavfile import WavError, wav_info


class AudioOutput(QObject):
    """Plays one WAV file at a time (interface; see the module docstring for the contract)."""

    done = Signal()
    failed = Signal(str)

    def play(self, path: Path) -> None:
        raise NotImplementedError

    def stop(self) -> None:
        """Stop the current sound; neither done nor failed follows for it."""
        raise NotImplementedError

    def set_volume(self, volume: float) -> None:
        """0.0-1.0; outputs without a volume ignore it."""
        return None


def _has_default_output() -> bool:
    return not QMediaDevices.defaultAudioOutput().isNull()


class QtAudioOutput(AudioOutput):
    """The hall speakers through QMediaPlayer + QAudioOutput.

    QMediaPlayer rather than QSoundEffect because it reports how playback ended
    (`mediaStatusChanged` -> EndOfMedia, `errorOccurred`), which the announcer needs to chain
    chime -> voice -> repeat. Two failure modes are caught rather than waited on:
    - no audio device: with no sound card the FFmpeg backend "plays" to nowhere and ends at
      once without an error (measured on this headless machine), so the device is checked
      before each play and reported as a failure;
    - a stuck backend: a watchdog fails the sound if it has not ended within its duration plus
      a margin, so one bad file or driver can never hold up every later call.
    """

    def __init__(
        self,
        parent: QObject | None = None,
        *,
        volume: float = 1.0,
        margin_seconds: float = 3.0,
        has_device: Callable[[], bool] = _has_default_output,
    ) -> None:
        super().__init__(parent)
        self._has_device = has_device
        self._margin_ms = int(margin_seconds * 1000)
        self._devices = QMediaDevices(self)
        self._audio = QAudioOutput(QMediaDevices.defaultAudioOutput(), self)
        self._audio.setVolume(volume)
        self._player = QMediaPlayer(self)
        self._player.setAudioOutput(self._audio)
        self._player.mediaStatusChanged.connect(self._on_status)
        self._player.errorOccurred.connect(self._on_error)
        # Speakers plugged in (or HDMI woken up) after start-up: follow the system default.
        self._devices.audioOutputsChanged.connect(self._follow_default_device)
        self._watchdog = QTimer(self)
        self._watchdog.setSingleShot(True)
        self._watchdog.timeout.connect(self._on_watchdog)
        self._current: Path | None = None

    def play(self, path: Path) -> None:
        self._current = None
        self._watchdog.stop()
        if not self._has_device():
            self._fail_later("no audio device: connect the hall speakers")
            return
        try:
            duration = wav_info(path).duration
        except WavError as e:
            self._fail_later(str(e))
            return
        self._current = Path(path)
        # Clearing the source first makes a repeat of the same file load again from the start.
        self._player.setSource(QUrl())
        self._player.setSource(QUrl.fromLocalFile(str(path)))
        self._player.play()
        self._watchdog.start(int(duration * 1000) + self._margin_ms)

    def stop(self) -> None:
        self._current = None
        self._watchdog.stop()
        self._player.stop()

    def set_volume(self, volume: float) -> None:
        self._audio.setVolume(max(0.0, min(1.0, volume)))

    def _follow_default_device(self) -> None:
        self._audio.setDevice(QMediaDevices.defaultAudioOutput())

    def _on_status(self, status: QMediaPlayer.MediaStatus) -> None:
        if self._current is None:
            return
        if status == QMediaPlayer.MediaStatus.EndOfMedia:
            self._finish(None)
        elif status == QMediaPlayer.MediaStatus.InvalidMedia:
            self._finish(f"cannot play {self._current.name}: {self._player.errorString()}")

    def _on_error(self, error: QMediaPlayer.Error, message: str) -> None:
        if self._current is not None and error != QMediaPlayer.Error.NoError:
            self._finish(f"audio error playing {self._current.name}: {message}")

    def _on_watchdog(self) -> None:
        if self._current is not None:
            name = self._current.name
            self._player.stop()
            self._finish(f"playback of {name} did not finish in time; audio output stuck?")

    def _finish(self, reason: str | None) -> None:
        self._current = None
        self._watchdog.stop()
        # Deferred: we are inside a QMediaPlayer signal, and the announcer's slot will call
        # play() again on this very player.
        if reason is None:
            QTimer.singleShot(0, self, lambda: self.done.emit())
        else:
            self._fail_later(reason)

    def _fail_later(self, reason: str) -> None:
        QTimer.singleShot(0, self, lambda: self.failed.emit(reason))


class RecordingAudioOutput(AudioOutput):
    """A test double for the sound card (this machine has none): records what it was handed.

    It checks that each file is a readable WAV and measures its duration; it cannot check
    that anything is audible. `realtime=True` reports `done` after the file's duration,
    otherwise on the next event-loop turn. `fail_for(path)` may return a reason to fail a file.
    """

    def __init__(
        self,
        parent: QObject | None = None,
        *,
        realtime: bool = False,
        fail_for: Callable[[Path], str | None] | None = None,
    ) -> None:
        super().__init__(parent)
        self.realtime = realtime
        self.fail_for = fail_for
        self.played: list[Path] = []
        self.started_at: list[float] = []  # time.monotonic() of each play()
        self.seconds_played = 0.0
        self.volume = 1.0
        self.max_in_flight = 0
        self._in_flight = 0
        self._generation = 0  # bumped by stop(): timers of stopped sounds are ignored

    def play(self, path: Path) -> None:
        path = Path(path)
        self.played.append(path)
        self.started_at.append(time.monotonic())
        self._in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self._in_flight)
        generation = self._generation
        reason = self.fail_for(path) if self.fail_for is not None else None
        duration = 0.0
        if reason is None:
            try:
                duration = wav_info(path).duration
            except WavError as e:
                reason = str(e)
        delay = int(duration * 1000) if self.realtime and reason is None else 0
        QTimer.singleShot(delay, self, lambda: self._end(generation, duration, reason))

    def stop(self) -> None:
        self._generation += 1
        self._in_flight = 0

    def set_volume(self, volume: float) -> None:
        self.volume = volume

    def _end(self, generation: int, duration: float, reason: str | None) -> None:
        if generation != self._generation:
            return
        self._in_flight -= 1
        if reason is None:
            self.seconds_played += duration
            self.done.emit()
        else:
            self.failed.emit(reason)
