"""A counter and a board follow a new hall config live (a config.changed event in their copy
of the ledger), without a restart: the counter's queues, the board's tiles and the voice's
template. A real ledger (LocalLedger), a real BoardCore and BoardWindow and a real CounterCore;
the announcer is `RecordingAnnouncer`, a fake that only records what the board hands to it."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from pytestqt.qtbot import QtBot

from counter_client.core import CounterCore
from display.board import BoardWindow
from display.core import AnnouncedStore, BoardCore
from shared.clock import ManualClock
from shared.config import HallConfig
from tests.helpers.display_hall import Hall
from tests.helpers.ledger import SMALL_HALL, WIB
from tests.helpers.stubs import RecordingAnnouncer

NEW_COUNTER = ('\n[[counters]]\nnumber = 5\nname = "Loket Lima"\nagency = "DUKCAPIL"\n'
               'queues = ["KTP"]\n')
NEW_VOICE = '\n[voice]\ntemplate = "Panggilan untuk {number}, ke {counter}."\n'
COUNTER_2 = 'number = 2\nagency = "DUKCAPIL"\nqueues = ["KTP"]'


def test_counter_queues_board_tiles_and_voice_follow_a_new_config(
        qtbot: QtBot, tmp_path: Path, small_config: HallConfig, clock: ManualClock) -> None:
    hall = Hall(qtbot, tmp_path / "hall.db", small_config, clock)
    voice = RecordingAnnouncer()
    board = BoardCore(hall.local.link("display-1", "display"), small_config, voice,
                      AnnouncedStore(tmp_path / "board.db"))
    board.start()
    window = BoardWindow(board, size=(1920, 1080))
    qtbot.addWidget(window)
    counter = CounterCore(hall.local.link("loket-2", "counter", 2), 2)
    try:
        assert [q for q, _ in counter.state.queue_names] == ["KTP"]
        assert 5 not in {t.number for t in window.counters_model.rows()}

        assert COUNTER_2 in SMALL_HALL
        text = SMALL_HALL.replace(COUNTER_2, COUNTER_2.replace('["KTP"]', '["KTP", "KK"]'))
        result = hall.run(hall.staff, "change_config", content=text + NEW_COUNTER + NEW_VOICE)
        assert result.ok, result.refusal

        qtbot.waitUntil(lambda: [q for q, _ in counter.state.queue_names] == ["KTP", "KK"])
        qtbot.waitUntil(lambda: "Loket Lima" in {t.name for t in window.counters_model.rows()})
        hall.open(5)
        hall.issue("ktp-baru")
        assert hall.call(5) == "KTP-001"
        qtbot.waitUntil(lambda: bool(voice.calls))
        assert voice.calls[-1][1].startswith("Panggilan untuk")

        # A change from tomorrow: nothing moves until the clock passes the hall's midnight,
        # then the counter's next tick takes it.
        scheduled = hall.run(hall.staff, "change_config", content=SMALL_HALL,
                             effective="2026-12-01")
        assert scheduled.ok, scheduled.refusal
        counter.refresh()
        assert [q for q, _ in counter.state.queue_names] == ["KTP", "KK"]
        clock.set(dt.datetime(2026, 12, 1, 0, 0, 1, tzinfo=WIB))
        counter.refresh()
        assert [q for q, _ in counter.state.queue_names] == ["KTP"]
    finally:
        counter.stop()
        board.close()
        hall.local.close()
