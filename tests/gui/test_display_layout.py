"""The hall board read from the back of the hall: every text painted at 1920×1080 is at least
28 px (`display.board.MIN_TEXT_PX`, ~18 mm on a 55" screen, readable at ~10 m), and no text is
cut, at the hall's sizes and at the smallest size the board can be given (where the same rule
holds scaled down: the board is drawn relative to its size).

What is checked is what was painted: each view records its texts and their pixel sizes while
it paints (`texts`). No exceptions: a text that would be smaller is left out instead (the
agency names under many small counter tiles).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from display.board import MIN_SIZE, BoardWindow, PaintedText, load_logo, min_text_px
from display.core import AnnouncedStore, BoardCore
from display.screenshots import MORNING, build_morning, two_counter_agencies
from shared.clock import ManualClock
from shared.config import HallConfig
from shared.ledger.model import Actor, Command
from shared.station.link import LocalLedger

SIZES = [(1920, 1080), (3840, 2160), (1080, 1920), (1366, 768),
         (MIN_SIZE[0] * 16 // 9, MIN_SIZE[1]), (MIN_SIZE[0], MIN_SIZE[1] * 16 // 9)]


@pytest.fixture(scope="module")
def morning(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example hall at 10:15 on a Monday, with a kiosk out of paper (built once)."""
    from shared.config import example_config_path, load_config
    from shared.ledger.ledger import Ledger

    path = tmp_path_factory.mktemp("board") / "hall.db"
    config = load_config(example_config_path())
    clock = ManualClock(MORNING)
    build_morning(path, config, clock)
    led = Ledger(path, config, clock)
    led.execute(Command("alert", {"kind": "printer", "state": "open",
                                  "message": "Kiosk kiosk-2: kertas printer habis."},
                        Actor("kiosk-2")))
    led.close()
    return path


@pytest.fixture
def local(morning: Path, example_config: HallConfig) -> Iterator[LocalLedger]:
    local = LocalLedger(morning, example_config, ManualClock(MORNING))
    yield local
    local.close()


def painted(window: BoardWindow) -> list[tuple[str, PaintedText]]:
    window.grab()  # paints every view now
    views = [window.header, window.current_call, window.recent_calls, window.counter_grid,
             window.waiting, window.staff_line, window.running_text]
    return [(type(v).__name__, t) for v in views if v is not None and v.isVisible()
            for t in v.texts]


@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
@pytest.mark.parametrize("counters", ["all", "two"])
def test_every_board_text_is_readable_and_whole(qtbot: QtBot, local: LocalLedger,
                                                example_config: HallConfig,
                                                size: tuple[int, int], counters: str) -> None:
    agencies = two_counter_agencies(example_config) if counters == "two" else None
    core = BoardCore(local.link(f"papan-{counters}-{size}"), example_config, None,
                     AnnouncedStore(None), agencies=agencies)
    core.start()
    window = BoardWindow(core, logo=load_logo(example_config), size=size)
    qtbot.addWidget(window)
    window.resize(*size)
    window.show()
    qtbot.waitUntil(lambda: (window.width(), window.height()) == size, timeout=5000)
    window.staff_line.set_item("voice", "Suara papan bermasalah")
    try:
        texts = painted(window)
        floor = math.floor(min_text_px(*size))
        assert {"HeaderBar", "CurrentCallView", "RecentCallsView", "CounterGridView",
                "WaitingView", "StaffLine", "RunningText"} <= {view for view, _ in texts}
        small = [(view, t.text, t.px) for view, t in texts if t.px < floor]
        assert not small, f"smaller than {floor} px at {size}: {small}"
        whole = [(view, t.text) for view, t in texts if t.elided]
        assert not whole, f"cut at {size}: {whole}"
        assert any("kertas printer habis" in t.text for view, t in texts if view == "StaffLine")
    finally:
        core.close()


def test_the_board_can_be_no_smaller_than_its_minimum(qtbot: QtBot, local: LocalLedger,
                                                      example_config: HallConfig) -> None:
    core = BoardCore(local.link("papan-small"), example_config, None, AnnouncedStore(None))
    window = BoardWindow(core, size=(1920, 1080))
    qtbot.addWidget(window)
    assert (window.minimumWidth(), window.minimumHeight()) == MIN_SIZE
    core.close()
