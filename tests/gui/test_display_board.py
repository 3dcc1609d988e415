"""The hall board: calls shown and announced exactly once, filters, the staff line (offline).

A real ledger (LocalLedger on a tmp_path SQLite file) drives a real BoardCore and BoardWindow
offscreen. The announcer is `RecordingAnnouncer`, a fake that only records announce() calls:
it proves what the board hands to the voice, not that a speaker makes a sound.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from display.board import BoardWindow
from display.core import AnnouncedStore, BoardCore
from shared.clock import ManualClock
from shared.config import HallConfig, loads_config
from shared.station.link import StationLink
from shared.zones import BoardFilterError
from tests.helpers.display_hall import Hall
from tests.helpers.ledger import DATA
from tests.helpers.stubs import RecordingAnnouncer, UnpluggableLink

EXTRA_COUNTERS = 8  # small_hall has 4: 12 counters, enough for a burst from 10

# PySide6 6.12.0 on Python 3.11 drops references to None/True (see display.app); a
# board test makes enough Qt calls to bring the process down at exit without this.


def hall_text(extra: int = EXTRA_COUNTERS) -> str:
    """small_hall with more Dukcapil and BPJS counters, and a zone per agency."""
    text = (DATA / "small_hall.toml").read_text(encoding="utf-8")
    text = text.replace('short_name = "Dukcapil"', 'short_name = "Dukcapil"\nzone = "Zona A"')
    text = text.replace('name = "BPJS Kesehatan"\n\n[[agencies]]',
                        'name = "BPJS Kesehatan"\nzone = "Zona B"\n\n[[agencies]]')
    for i in range(extra):
        number = 5 + i
        agency, queues = ("DUKCAPIL", '["KTP"]') if i % 2 == 0 else ("BPJSKES", '["B"]')
        text += f'\n[[counters]]\nnumber = {number}\nagency = "{agency}"\nqueues = {queues}\n'
    return text


@pytest.fixture
def hall() -> HallConfig:
    return loads_config(hall_text(), "hall-with-12-counters")


@pytest.fixture
def make_hall(qtbot: QtBot, tmp_path: Path, clock: ManualClock) -> Iterator[Any]:
    made: list[Hall] = []

    def make(config: HallConfig) -> Hall:
        h = Hall(qtbot, tmp_path / "hall.db", config, clock)
        made.append(h)
        return h

    yield make
    for h in made:
        h.local.close()


def make_board(qtbot: QtBot, link: StationLink, config: HallConfig, state: Path | None,
               announcer: Any = None, **filters: Any) -> tuple[BoardCore, BoardWindow]:
    core = BoardCore(link, config, announcer, AnnouncedStore(state), **filters)
    core.start()
    window = BoardWindow(core, size=(1920, 1080))
    qtbot.addWidget(window)
    return core, window


def test_a_call_shows_on_the_board_and_is_announced_once(
    qtbot: QtBot, make_hall: Any, small_config: HallConfig, tmp_path: Path
) -> None:
    hall = make_hall(small_config)
    hall.open(1)
    hall.issue("ktp-baru")
    voice = RecordingAnnouncer()
    _core, window = make_board(qtbot, hall.local.link("display-1"), small_config,
                              tmp_path / "board.db", voice)
    assert window.current_call.text() == "Menunggu panggilan"

    label = hall.call(1)

    assert label == "KTP-001"
    assert "KTP-001" in window.current_call.text()
    assert "LOKET 1" in window.current_call.text()
    assert window.current_call.is_blinking()
    assert voice.calls == [(voice.calls[0][0], voice.calls[0][1])]
    assert "K, T, P, nol, nol, satu" in voice.calls[0][1]
    assert "loket satu" in voice.calls[0][1]
    # The counter tile and the waiting count follow on the next turn of the event loop.
    qtbot.waitUntil(lambda: any(t.label == "KTP-001" for t in window.counters_model.rows()))
    assert {w.code: w.waiting for w in window.waiting_model.rows()}["DUKCAPIL"] == 0


def test_rapid_calls_from_ten_counters_are_all_shown_and_announced_in_order(
    qtbot: QtBot, make_hall: Any, hall: HallConfig, tmp_path: Path
) -> None:
    h = make_hall(hall)
    counters = [1, 2, 3, 5, 6, 7, 8, 9, 10, 11]
    h.open(*counters)
    h.issue("ktp-ganti", 6)
    h.issue("bpjs-daftar", 6)
    voice = RecordingAnnouncer()
    core, window = make_board(qtbot, h.local.link("display-1"), hall, tmp_path / "b.db", voice)

    # All ten commands are in flight at once, as when ten officers press "call" together.
    ids = [h.send(h.staff, "call_next", counter=n) for n in counters]
    results = h.wait(*ids)

    seqs = [r.events[-1].seq for r in results]
    assert [k for k, _ in voice.calls] == [str(s) for s in sorted(seqs)]
    labels = {r.value["ticket"]["label"] for r in results}
    shown = {core.current.label} | {c.label for c in core.history} if core.current else set()
    assert len(labels) == 10
    # The board lists the newest calls (current + history); every call reached the voice.
    newest = max(results, key=lambda r: r.events[-1].seq).value["ticket"]["label"]
    assert newest in window.current_call.text()
    assert shown <= labels and len(shown) == 1 + core.history_size
    qtbot.waitUntil(lambda: {t.label for t in window.counters_model.rows() if t.label} == labels)


def test_a_recall_announces_again_and_says_it_is_a_recall(
    qtbot: QtBot, make_hall: Any, small_config: HallConfig, tmp_path: Path
) -> None:
    hall = make_hall(small_config)
    hall.open(3)
    hall.issue("bpjs-daftar")
    voice = RecordingAnnouncer()
    core, window = make_board(qtbot, hall.local.link("display-1"), small_config,
                              tmp_path / "board.db", voice)
    hall.call(3)
    hall.run(hall.staff, "recall", counter=3)

    assert len(voice.calls) == 2
    first, again = voice.calls[0][1], voice.calls[1][1]
    # A visitor who heard the first call must hear that this is the same number again.
    assert not first.startswith("Panggilan ulang")
    assert again == f"Panggilan ulang. {first}"
    assert voice.calls[0][0] != voice.calls[1][0]
    assert core.current is not None and core.current.is_recall
    assert "B-001" in window.current_call.text()
    window.grab()  # the board says it too
    assert "PANGGILAN ULANG" in [t.text for t in window.current_call.texts]
    assert core.history == []  # the same ticket is not listed twice


def test_missed_calls_are_shown_and_only_fresh_ones_announced_exactly_once(
    qtbot: QtBot, make_hall: Any, small_config: HallConfig, clock: ManualClock,
    tmp_path: Path
) -> None:
    state = tmp_path / "board-state.db"
    hall = make_hall(small_config)
    hall.open(1, 3)
    hall.issue("ktp-ganti", 3)
    hall.issue("bpjs-daftar", 2)
    # Seen and announced by the board before it went down.
    voice = RecordingAnnouncer()
    core, window = make_board(qtbot, hall.local.link("display-1"), small_config, state, voice)
    hall.call(1)
    assert [t for _, t in voice.calls] and len(voice.calls) == 1
    window.close()
    core.close()

    # While the board is down: one call long ago, then two within the freshness window.
    hall.call(3)  # B-001
    clock.advance(seconds=small_config.rules.announce_freshness_seconds + 300)
    hall.call(1)  # KTP-002
    clock.advance(seconds=30)
    hall.call(3)  # B-002

    voice2 = RecordingAnnouncer()
    core2, window2 = make_board(qtbot, hall.local.link("display-2"), small_config, state,
                                voice2)
    spoken = [t for _, t in voice2.calls]
    assert len(spoken) == 2
    assert "K, T, P, nol, nol, dua" in spoken[0] and "B, nol, nol, dua" in spoken[1]
    assert "B-002" in window2.current_call.text()
    assert [c.label for c in core2.history][:3] == ["KTP-002", "B-001", "KTP-001"]
    window2.close()
    core2.close()

    # Restarting again with the same state file speaks nothing.
    voice3 = RecordingAnnouncer()
    core3, window3 = make_board(qtbot, hall.local.link("display-3"), small_config, state,
                                voice3)
    assert voice3.calls == []
    assert "B-002" in window3.current_call.text()
    core3.close()


def test_offline_staff_line_and_catch_up_on_reconnect(
    qtbot: QtBot, make_hall: Any, small_config: HallConfig, clock: ManualClock,
    tmp_path: Path
) -> None:
    hall = make_hall(small_config)
    hall.open(1, 3)
    hall.issue("ktp-ganti", 3)
    hall.issue("bpjs-daftar", 1)
    link = UnpluggableLink(hall.local.link("display-1"))
    voice = RecordingAnnouncer()
    core, window = make_board(qtbot, link, small_config, tmp_path / "b.db", voice)
    assert window.staff_line.items() == []

    link.unplug()
    assert window.staff_line.items() == ["Papan terputus dari server"]
    hall.call(1)  # KTP-001, missed
    clock.advance(seconds=small_config.rules.announce_freshness_seconds + 60)
    hall.call(3)  # B-001, missed but fresh
    assert voice.calls == [] and window.current_call.text() == "Menunggu panggilan"

    link.plug()
    assert window.staff_line.items() == []
    assert "B-001" in window.current_call.text()
    assert [c.label for c in core.history] == ["KTP-001"]
    assert len(voice.calls) == 1 and "B, nol, nol, satu" in voice.calls[0][1]

    hall.call(1)  # live again
    assert len(voice.calls) == 2 and "K, T, P, nol, nol, dua" in voice.calls[1][1]


def test_zone_and_agency_filters_hide_other_agencies(
    qtbot: QtBot, make_hall: Any, hall: HallConfig, tmp_path: Path
) -> None:
    h = make_hall(hall)
    h.open(1, 3, 4)
    h.issue("ktp-ganti")
    h.issue("bpjs-daftar")
    h.issue("pajak-kendaraan")
    zone_voice, samsat_voice = RecordingAnnouncer(), RecordingAnnouncer()
    zone_core, zone_win = make_board(qtbot, h.local.link("display-a"), hall,
                                     tmp_path / "a.db", zone_voice, zone="Zona A")
    _samsat_core, samsat_win = make_board(qtbot, h.local.link("display-s"), hall,
                                         tmp_path / "s.db", samsat_voice, agencies=["SAMSAT"])
    assert zone_core.counter_numbers == [1, 2, 5, 7, 9, 11]
    assert [w.code for w in zone_win.waiting_model.rows()] == ["DUKCAPIL"]

    h.call(3)  # BPJS, zone B: neither board
    h.call(1)  # Dukcapil, zone A
    h.call(4)  # Samsat

    assert [t for _, t in zone_voice.calls] and len(zone_voice.calls) == 1
    assert "KTP-001" in zone_win.current_call.text()
    assert [c.label for c in zone_core.history] == []
    assert len(samsat_voice.calls) == 1 and "S, nol, nol, satu" in samsat_voice.calls[0][1]
    assert "S-001" in samsat_win.current_call.text()
    qtbot.waitUntil(lambda: [t.number for t in samsat_win.counters_model.rows()] == [4])

    with pytest.raises(BoardFilterError, match="Zona Z"):
        BoardCore(h.local.link("x"), hall, None, AnnouncedStore(None), zone="Zona Z")
    with pytest.raises(BoardFilterError, match="NOPE"):
        BoardCore(h.local.link("y"), hall, None, AnnouncedStore(None), agencies=["NOPE"])


def test_a_failing_voice_is_reported_and_the_board_keeps_going(
    qtbot: QtBot, make_hall: Any, small_config: HallConfig, tmp_path: Path
) -> None:
    class BrokenAnnouncer:
        """Fake announcer whose audio device is gone: every announce() raises."""

        def announce(self, key: str, text: str) -> None:
            raise OSError("no audio device")

    hall = make_hall(small_config)
    hall.open(1)
    hall.issue("ktp-ganti", 2)
    _core, window = make_board(qtbot, hall.local.link("display-1"), small_config, None,
                              BrokenAnnouncer())
    hall.call(1)
    assert "KTP-001" in window.current_call.text()
    assert window.staff_line.items() == ["Suara papan bermasalah"]
    hall.call(1)
    assert "KTP-002" in window.current_call.text()


def test_counter_tiles_page_when_they_do_not_fit(
    qtbot: QtBot, make_hall: Any, example_config: HallConfig, clock: ManualClock,
    tmp_path: Path
) -> None:
    clock.set(dt.datetime(2026, 11, 30, 9, 0, tzinfo=clock.now().tzinfo))
    h = make_hall(example_config)
    _core, window = make_board(qtbot, h.local.link("display-1"), example_config, None)
    grid = window.counter_grid
    assert len(example_config.counters) >= 30
    assert grid.pages() > 1
    first = [t.number for t in grid.visible_rows()]  # type: ignore[attr-defined]
    window.next_page()
    second = [t.number for t in grid.visible_rows()]  # type: ignore[attr-defined]
    assert first and second and not set(first) & set(second)
    for _ in range(grid.pages() - 1):
        window.next_page()
    assert [t.number for t in grid.visible_rows()] == first  # type: ignore[attr-defined]


def test_a_new_service_day_starts_a_clean_board(
    qtbot: QtBot, make_hall: Any, small_config: HallConfig, tmp_path: Path, clock: ManualClock
) -> None:
    hall = make_hall(small_config)
    hall.issue("bpjs-daftar", 2)
    hall.wait(hall.kiosk.send("alert", {"kind": "printer", "state": "open",
                                        "message": "Kiosk kiosk-1: tiket B-002 gagal dicetak."}))
    core, window = make_board(qtbot, hall.local.link("display-1"), small_config,
                              tmp_path / "board.db")
    assert window.staff_line.items() == ["Kiosk kiosk-1: tiket B-002 gagal dicetak."]
    assert [w.waiting for w in core.waiting if w.code == "BPJSKES"] == [2]
    clock.advance(days=1)
    window.tick_clock()  # the board's clock runs every second
    # Yesterday's unresolved problem and yesterday's line are not today's.
    assert window.staff_line.items() == [] and not window.staff_line.isVisible()
    assert [w.waiting for w in core.waiting if w.code == "BPJSKES"] == [0]
