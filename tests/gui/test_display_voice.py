"""The board with the real Announcer (espeak-ng rendering, cached) and the media area.

The sound card is `RecordingAudioOutput`, the voice package's test double: it checks each file
is a real WAV and records the order, and cannot check that anything is audible.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtGui import QColor, QImage
from pytestqt.qtbot import QtBot

from display.app import BoardApp, BoardOptions
from display.media import DUCKED_VOLUME, FULL_VOLUME, MediaArea
from display.voice.announcer import Announcer
from display.voice.audio import RecordingAudioOutput
from display.voice.synthesizer import EspeakNgSynthesizer
from display.voice.wavfile import wav_info
from shared.config import HallConfig
from tests.helpers.display_hall import Hall

pytestmark = pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="needs espeak-ng")

# PySide6 6.12.0 on Python 3.11 drops references to None/True (see display.app); a
# board test makes enough Qt calls to bring the process down at exit without this.


def test_real_announcer_speaks_each_call_once_in_order_and_ducks_the_media(
    qtbot: QtBot, tmp_path: Path, small_config: HallConfig, clock: Any
) -> None:
    media_dir = tmp_path / "media"
    media_dir.mkdir()
    img = QImage(320, 180, QImage.Format.Format_RGB32)
    img.fill(QColor("#3366aa"))
    assert img.save(str(media_dir / "01-promo.png"))

    hall = Hall(qtbot, tmp_path / "hall.db", small_config, clock)
    output = RecordingAudioOutput()
    announcer = Announcer(EspeakNgSynthesizer(tmp_path / "cache"), output)
    board = BoardApp(hall.local.link("display-1"), small_config,
                     BoardOptions(media=media_dir, state_path=tmp_path / "state.db"),
                     announcer=announcer)
    try:
        qtbot.addWidget(board.window)
        board.start()
        assert board.media is not None
        qtbot.waitUntil(lambda: board.media is not None and board.media.current() is not None)
        ducking: list[bool] = []
        announcer.speaking.connect(ducking.append)
        hall.open(1, 3)
        hall.issue("ktp-ganti")
        hall.issue("bpjs-daftar")
        finished: list[str] = []
        announcer.finished.connect(finished.append)

        hall.call(1)
        hall.call(3)
        hall.run(hall.staff, "recall", counter=1)
        qtbot.waitUntil(lambda: len(finished) == 3, timeout=20000)

        # chime + voice per call, one sound at a time.
        assert len(output.played) == 6 and output.max_in_flight == 1
        voices = output.played[1::2]
        assert len(set(voices)) == 3
        # The recall says "Panggilan ulang." before the same call: it is the first call's
        # words and then some, so it sounds different and lasts longer (~1 s more).
        first, recall = wav_info(voices[0]).duration, wav_info(voices[2]).duration
        assert recall > first + 0.5, (first, recall)
        assert ducking[0] is True and ducking[-1] is False
        assert board.media.volume() == FULL_VOLUME
        assert "KTP-001" in board.window.current_call.text()
    finally:
        board.close()
        hall.local.close()


def test_media_area_only_with_files_and_ducks(qtbot: QtBot, tmp_path: Path) -> None:
    assert MediaArea.from_folder(None) is None
    assert MediaArea.from_folder(tmp_path / "missing") is None
    (tmp_path / "notes.txt").write_text("not media")
    assert MediaArea.from_folder(tmp_path) is None
    img = QImage(64, 36, QImage.Format.Format_RGB32)
    img.fill(QColor("#aa3333"))
    img.save(str(tmp_path / "a.png"))
    area = MediaArea.from_folder(tmp_path)
    assert area is not None
    qtbot.addWidget(area)
    area.set_ducked(True)
    assert area.volume() == DUCKED_VOLUME
    area.set_ducked(False)
    assert area.volume() == FULL_VOLUME
    qtbot.waitUntil(area.showing_picture)


