"""The counter window at the smallest size it can be given, and at the hall's screen sizes:
no button clipped, no label cut, in its fullest states (a priority ticket over its standard
time, offline, a kiosk's alert), in the full window and the side panel.

The walk below is this test's own: every visible label and button must get at least its
minimum size hint (its wrapped text's height for a wrapped label), lie inside the window, and
show all of its text.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, QRect
from PySide6.QtWidgets import QAbstractButton, QLabel, QWidget
from pytestqt.exceptions import TimeoutError
from pytestqt.qtbot import QtBot

from counter_client import core as c
from counter_client.app import PANEL_WIDTH, SCALES, CounterWindow
from counter_client.screenshots import pick_counter
from shared.clock import ManualClock
from shared.config import HallConfig
from tests.helpers.counter_hall import PIN, TIMEOUT, Hall, idle, open_hall


@pytest.fixture
def hall(qtbot: QtBot, tmp_path: Path, example_config: HallConfig,
         clock: ManualClock) -> Iterator[Hall]:
    # The example hall: long agency and service names, two queues at the Dukcapil counter.
    with open_hall("embedded", qtbot, tmp_path, example_config, clock) as h:
        yield h


def cut(window: QWidget) -> list[str]:
    """What does not get the room it needs, as readable lines."""
    problems = []
    area = window.rect()
    for w in window.findChildren(QWidget):
        if not isinstance(w, QLabel | QAbstractButton) or not w.isVisible() or not w.text():
            continue
        hint = w.minimumSizeHint()
        height = hint.height()
        if isinstance(w, QLabel) and w.wordWrap():
            height = max(height, w.heightForWidth(w.width()))
        where = QRect(w.mapTo(window, QPoint(0, 0)), w.size())
        name = f"{type(w).__name__} {w.text()!r} {w.width()}×{w.height()}"
        if w.width() < hint.width() or w.height() < height:
            problems.append(f"{name} needs {hint.width()}×{height}")
        if not area.contains(where):
            problems.append(f"{name} lies outside the {area.width()}×{area.height()} window")
        if isinstance(w, QAbstractButton):  # a tool button cuts ("Pangg…lang") what is wider
            fm = w.fontMetrics()
            widest = max(fm.horizontalAdvance(line) for line in w.text().split("\n"))
            if widest > w.contentsRect().width():
                problems.append(f"{name} cuts its text ({widest} px wide)")
    return problems


def assert_nothing_cut(qtbot: QtBot, window: CounterWindow, state: str) -> None:
    # Qt lays a changed window out on a later turn of the event loop.
    with contextlib.suppress(TimeoutError):
        qtbot.waitUntil(lambda: not cut(window), timeout=2000)
    problems = cut(window)
    assert not problems, f"{state} at {window.width()}×{window.height()} " \
                         f"(scale {window.scale}):\n" + "\n".join(problems)


def walk_states(hall: Hall, qtbot: QtBot, panel: bool, size: tuple[int, int] | None) -> None:
    """Every state at `size` (None: the window's minimum size)."""
    number = pick_counter(hall.config)
    services = [s.code for q in hall.config.counters[number].queues
                for s in hall.config.services_in_queue(q)]
    longest = max(services, key=lambda code: len(hall.config.services[code].name))
    hall.issue(longest, priority="korban_bencana")
    hall.issue(services[0], 3)
    core, window, link = hall.counter(number, panel=panel)
    target = size or (window.minimumWidth(), window.minimumHeight())
    window.resize(*target)
    qtbot.waitUntil(lambda: (window.width(), window.height()) == target, timeout=TIMEOUT)
    assert_nothing_cut(qtbot, window, "signed out")

    window.officer_edit.setText("siti")
    window.pin_edit.setText(PIN)
    window.sign_in_form.submit()
    idle(qtbot, core)
    assert core.state.signed_in
    assert_nothing_cut(qtbot, window, "idle")

    core.call_next()
    idle(qtbot, core)
    qtbot.waitUntil(window.priority_row.isVisible, timeout=TIMEOUT)
    hall.clock.advance(minutes=hall.config.services[longest].standard_minutes + 5)
    qtbot.waitUntil(window.sla_label.isVisible, timeout=TIMEOUT)
    assert_nothing_cut(qtbot, window, "a priority ticket over its standard time")

    hall.kiosk.send("alert", {"kind": "printer", "state": "open",
                              "message": "Kiosk kiosk-1: kertas printer habis."})
    qtbot.waitUntil(window.alert_banner.isVisible, timeout=TIMEOUT)
    core.recall()
    idle(qtbot, core)
    assert_nothing_cut(qtbot, window, "with a kiosk's alert")

    window.open_transfer()
    window.transfer_list.setCurrentRow(0)
    assert_nothing_cut(qtbot, window, "choosing where to transfer")
    window.show_main()

    core.no_show()
    idle(qtbot, core)
    window.open_no_shows()
    assert_nothing_cut(qtbot, window, "bringing a no-show back")
    window.show_main()

    core.call_next()
    idle(qtbot, core)
    link.unplug()
    qtbot.waitUntil(window.offline_banner.isVisible, timeout=TIMEOUT)
    assert_nothing_cut(qtbot, window, "offline")


@pytest.mark.parametrize("panel", [False, True], ids=["full", "panel"])
def test_nothing_is_cut_at_the_smallest_size(hall: Hall, qtbot: QtBot, panel: bool) -> None:
    walk_states(hall, qtbot, panel, None)


@pytest.mark.parametrize(("panel", "size"), [
    (False, (1366, 768)), (False, (1920, 1080)), (False, (665, 600)),
    (True, (PANEL_WIDTH, 768)), (True, (PANEL_WIDTH, 1080)),
], ids=["1366x768", "1920x1080", "demo-tile", "panel-768", "panel-1080"])
def test_nothing_is_cut_at_hall_sizes(hall: Hall, qtbot: QtBot, panel: bool,
                                      size: tuple[int, int]) -> None:
    walk_states(hall, qtbot, panel, size)


def test_the_smallest_size_fits_the_demo_and_1366x768_is_full_size(
        hall: Hall, qtbot: QtBot) -> None:
    number = pick_counter(hall.config)
    _, window, _ = hall.counter(number)
    # On a 1920×1080 desktop the demo has ~1330 px beside the portrait kiosk for two counters
    # side by side, under the board.
    assert window.minimumWidth() <= 665 and window.minimumHeight() <= 600
    window.resize(1366, 768)
    qtbot.waitUntil(lambda: window.width() == 1366, timeout=TIMEOUT)
    assert window.scale == max(SCALES)
    window.resize(window.minimumSize())
    qtbot.waitUntil(lambda: window.scale == min(SCALES), timeout=TIMEOUT)
    _, panel, _ = hall.counter(number, panel=True, device="counter-6b")
    assert panel.minimumWidth() <= PANEL_WIDTH
    assert c.CALL_NEXT in panel.buttons
