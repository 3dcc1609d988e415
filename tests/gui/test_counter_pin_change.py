"""The Qt counter after IT reset an officer's PIN, on a real hub (HubLink over a WebSocket),
with the real window offscreen: the sign-in page asks for the new PIN twice, says a mismatch,
sends change_pin, and the officer then works as signed in."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from counter_client import core as c
from shared.clock import ManualClock
from shared.config import HallConfig
from tests.helpers.counter_hall import TIMEOUT, Hall, click, idle, open_hall

TEMPORARY = "424242"


@pytest.fixture
def hall(qtbot: QtBot, tmp_path: Path, small_config: HallConfig,
         clock: ManualClock) -> Iterator[Hall]:
    with open_hall("hub", qtbot, tmp_path, small_config, clock) as h:
        yield h


def test_the_officer_chooses_a_pin_then_calls(hall: Hall, qtbot: QtBot,
                                              tmp_path: Path) -> None:
    from shared.hub.auth import AuthStore

    store = AuthStore(tmp_path / "hub-auth.db")  # the hub's own store (ThreadedHub's folder)
    try:
        store.reset_pin("siti", TEMPORARY, change_required=True)
    finally:
        store.close()
    hall.issue("ktp-baru")
    core, window, link = hall.counter(1)
    form = window.sign_in_form
    window.officer_edit.setText("siti")
    window.pin_edit.setText(TEMPORARY)
    qtbot.mouseClick(window.sign_in_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: core.state.pin_change, timeout=TIMEOUT)
    assert not core.state.signed_in  # still on the sign-in page
    assert form.new_pin_edit.isVisible() and form.again_pin_edit.isVisible()
    assert not window.sign_in_button.isVisible() and window.pin_edit.text() == ""
    assert "PIN sementara" in window.message_label.text()
    assert form.title_label.text() == "Buat PIN baru"

    # Two different PINs: said, nothing sent.
    form.new_pin_edit.setText("135790")
    form.again_pin_edit.setText("135791")
    sent = len(link.sent)
    qtbot.mouseClick(form.save_pin_button, Qt.MouseButton.LeftButton)
    assert "tidak sama" in window.message_label.text()
    assert len(link.sent) == sent and form.new_pin_edit.text() == ""
    # Too short: said, nothing sent.
    form.new_pin_edit.setText("12")
    form.again_pin_edit.setText("12")
    qtbot.mouseClick(form.save_pin_button, Qt.MouseButton.LeftButton)
    assert "4–12 angka" in window.message_label.text() and len(link.sent) == sent
    # docs/screenshots/counter-pin-change.png with ANTREAN_COUNTER_SCREENSHOTS=docs/screenshots
    shots = Path(os.environ.get("ANTREAN_COUNTER_SCREENSHOTS") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    assert window.grab().save(str(shots / "counter-pin-change.png"))

    form.new_pin_edit.setText("135790")
    form.again_pin_edit.setText("135790")
    qtbot.mouseClick(form.save_pin_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: core.state.signed_in, timeout=TIMEOUT)
    assert not core.state.pin_change
    assert "PIN baru disimpan" in window.message_label.text()
    assert window.stack.currentWidget() is not form  # the counter's own page
    click(qtbot, window, c.CALL_NEXT)
    idle(qtbot, core)
    assert core.state.current is not None and core.state.current.ticket.label == "KTP-001"

    store = AuthStore(tmp_path / "hub-auth.db")
    try:
        assert not store.pin_change_required("siti")
        assert store.check_pin("siti", "135790", "elsewhere") == "ok"
    finally:
        store.close()


def test_leaving_instead_signs_the_officer_out(hall: Hall, qtbot: QtBot,
                                              tmp_path: Path) -> None:
    from shared.hub.auth import AuthStore

    store = AuthStore(tmp_path / "hub-auth.db")
    try:
        store.reset_pin("budi", TEMPORARY, change_required=True)
    finally:
        store.close()
    core, window, link = hall.counter(2)
    window.officer_edit.setText("budi")
    window.pin_edit.setText(TEMPORARY)
    qtbot.mouseClick(window.sign_in_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: core.state.pin_change, timeout=TIMEOUT)
    qtbot.mouseClick(window.sign_in_form.cancel_pin_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not core.state.pin_change and core.state.busy is None,
                    timeout=TIMEOUT)
    assert link.officer is None and not core.state.signed_in
    assert window.sign_in_button.isVisible()
