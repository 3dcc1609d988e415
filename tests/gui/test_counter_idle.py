"""The Qt counter signs an idle officer out by itself, as the browser counter does
(shared/counter_rules.idle_sign_out_due): after the idle time with no key, click or touch in
the window, never while a visitor's ticket is at the counter. Real widgets, a real hub on
127.0.0.1 (HubLink over a WebSocket); the idle time is read from the core's monotonic clock,
which the tests move by hand where they need a moment before or after the deadline."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from counter_client.app import SIGN_IN_PAGE, CounterWindow
from counter_client.core import CounterCore
from counter_client.switchable import SwitchableLink
from shared.clock import ManualClock
from shared.config import HallConfig
from shared.counter_rules import SIGN_OUT
from shared.ledger import model as m
from tests.helpers.counter_hall import TIMEOUT, Hall, click, idle, open_hall

IDLE_S = 60.0  # on the hand-moved clock: only the tests' own steps move it


@pytest.fixture
def hall(qtbot: QtBot, tmp_path: Path, small_config: HallConfig,
         clock: ManualClock) -> Iterator[Hall]:
    with open_hall("hub", qtbot, tmp_path, small_config, clock) as h:
        yield h


def signed_out(link: SwitchableLink) -> list[m.Event]:
    return [e for e in link.reader.events_after(0) if e.kind == m.OFFICER_SIGNED_OUT]


def ticked(qtbot: QtBot, core: CounterCore, clock: ManualClock) -> None:
    """Wait for one tick of the core's timer: the hall clock moves a second and the state
    shows it only once a tick ran (the idle check runs first in each tick)."""
    before = core.state.now_ms
    clock.advance(seconds=1)
    qtbot.waitUntil(lambda: core.state.now_ms != before, timeout=TIMEOUT)


def assert_signed_out_idle(qtbot: QtBot, core: CounterCore, window: CounterWindow,
                           link: SwitchableLink, shown: str) -> None:
    qtbot.waitUntil(lambda: not core.state.signed_in, timeout=TIMEOUT)
    idle(qtbot, core)
    assert window.message_label.text() == (
        f"Anda keluar otomatis: tidak ada aktivitas selama {shown}.")
    assert window.stack.currentIndex() == SIGN_IN_PAGE
    # The hub's sign-out, through the Keluar button's command: the seat is free.
    assert [k for k, _ in link.sent].count(SIGN_OUT) == 1
    qtbot.waitUntil(lambda: len(signed_out(link)) == 1, timeout=TIMEOUT)
    assert link.reader.counter(1).officer is None


def test_an_idle_officer_is_signed_out_after_the_idle_time(hall: Hall, qtbot: QtBot) -> None:
    # The real monotonic clock and a short idle time: nothing touched, nothing else moved.
    before_sign_in = time.monotonic()
    core, window, link = hall.signed_in(1, "siti", idle_s=1.0)
    assert_signed_out_idle(qtbot, core, window, link, "1 detik")
    # Not before the idle time since the sign-in's press (which came after `before_sign_in`).
    assert time.monotonic() - before_sign_in >= 1.0
    # Nothing stuck: the officer simply signs in again.
    window.officer_edit.setText("siti")
    window.pin_edit.setText("246810")
    qtbot.mouseClick(window.sign_in_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: core.state.signed_in, timeout=TIMEOUT)


def test_a_key_or_a_click_in_the_window_postpones_the_sign_out(
        hall: Hall, qtbot: QtBot, clock: ManualClock) -> None:
    now = [0.0]
    core, window, link = hall.signed_in(1, "siti", idle_s=IDLE_S, monotonic=lambda: now[0])
    now[0] = IDLE_S - 1
    # A key bound to nothing, into the waiting line: not a button, still the officer.
    qtbot.keyClick(window.line_view, Qt.Key.Key_Down)
    now[0] = IDLE_S + 1  # past the deadline the sign-in set
    ticked(qtbot, core, clock)
    assert core.state.signed_in and core.state.busy is None
    now[0] = 2 * IDLE_S - 2
    # A click on the message line, which does nothing either.
    qtbot.mouseClick(window.message_label, Qt.MouseButton.LeftButton)
    now[0] = 2 * IDLE_S
    ticked(qtbot, core, clock)
    assert core.state.signed_in and SIGN_OUT not in [k for k, _ in link.sent]
    now[0] = 3 * IDLE_S - 2  # the idle time since the click
    assert_signed_out_idle(qtbot, core, window, link, "1 menit")


def test_an_officer_with_a_visitor_at_the_counter_stays_signed_in(
        hall: Hall, qtbot: QtBot, clock: ManualClock) -> None:
    now = [0.0]
    hall.issue("ktp-baru")
    core, window, link = hall.signed_in(1, "siti", idle_s=IDLE_S, monotonic=lambda: now[0])
    click(qtbot, window, "call_next")
    idle(qtbot, core)
    click(qtbot, window, "start")
    idle(qtbot, core)
    assert core.state.current is not None
    # A long case: no key for many idle times while the visitor sits at the counter.
    now[0] = 10 * IDLE_S
    ticked(qtbot, core, clock)
    assert core.state.signed_in and core.state.current is not None
    assert SIGN_OUT not in [k for k, _ in link.sent]
    # The visitor leaves with the ticket's last press; the idle time counts from then.
    now[0] = 10 * IDLE_S + 5
    click(qtbot, window, "finish")
    idle(qtbot, core)
    assert core.state.current is None
    now[0] = 11 * IDLE_S
    ticked(qtbot, core, clock)
    assert core.state.signed_in
    now[0] = 11 * IDLE_S + 5
    assert_signed_out_idle(qtbot, core, window, link, "1 menit")


def test_idle_time_zero_never_signs_out(hall: Hall, qtbot: QtBot, clock: ManualClock) -> None:
    now = [0.0]
    core, _window, link = hall.signed_in(1, "siti", idle_s=0.0, monotonic=lambda: now[0])
    now[0] = 24 * 3600.0
    ticked(qtbot, core, clock)
    assert core.state.signed_in and SIGN_OUT not in [k for k, _ in link.sent]


def test_an_officer_who_left_before_choosing_a_new_pin_is_signed_out_too(
        hall: Hall, qtbot: QtBot, tmp_path: Path) -> None:
    # Signed in with IT's temporary PIN (the hub holds the seat) and walked away from the
    # "Buat PIN baru" page: the counter leaves as "Batal dan keluar" would.
    from shared.hub.auth import AuthStore

    store = AuthStore(tmp_path / "hub-auth.db")  # the hub's own store (ThreadedHub's folder)
    try:
        store.reset_pin("siti", "424242", change_required=True)
    finally:
        store.close()
    now = [0.0]
    core, window, link = hall.counter(1, idle_s=IDLE_S, monotonic=lambda: now[0])
    window.officer_edit.setText("siti")
    window.pin_edit.setText("424242")
    qtbot.mouseClick(window.sign_in_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: core.state.pin_change, timeout=TIMEOUT)
    qtbot.waitUntil(lambda: link.reader.counter(1).officer == "siti", timeout=TIMEOUT)
    now[0] = IDLE_S
    qtbot.waitUntil(lambda: not core.state.pin_change, timeout=TIMEOUT)
    idle(qtbot, core)
    assert window.message_label.text() == (
        "Anda keluar otomatis: tidak ada aktivitas selama 1 menit.")
    qtbot.waitUntil(lambda: link.reader.counter(1).officer is None, timeout=TIMEOUT)
