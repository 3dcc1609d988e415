"""The officer's counter app, driven as an officer would: clicks, keys, a number pad.

Every test runs against a real ledger through a real StationLink, twice: "embedded"
(LocalLedger/EmbeddedLink in this process) and "hub" (HubLink to a real hub on 127.0.0.1, each
station with its own replica); see `tests.helpers.counter_hall`.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

from counter_client import core as c
from counter_client.app import CounterWindow
from counter_client.core import CounterCore
from counter_client.switchable import SwitchableLink
from shared.clock import ManualClock
from shared.config import HallConfig
from shared.ledger import model as m
from tests.helpers.counter_hall import (
    PIN,
    TIMEOUT,
    Hall,
    activate,
    called_events,
    click,
    idle,
    open_hall,
)


@pytest.fixture(params=["embedded", "hub"])
def hall(request: pytest.FixtureRequest, qtbot: QtBot, tmp_path: Path,
         small_config: HallConfig, clock: ManualClock) -> Iterator[Hall]:
    with open_hall(request.param, qtbot, tmp_path, small_config, clock) as h:
        yield h


# --- signing in ----------------------------------------------------------------------------


def test_wrong_pin_is_refused_in_the_message_area_then_right_pin_signs_in(
        hall: Hall, qtbot: QtBot) -> None:
    core, window, _ = hall.counter(None)
    assert window.counter_combo.isVisible()  # not bound: the officer picks the counter
    window.counter_combo.setCurrentIndex(window.counter_combo.findData(1))
    window.officer_edit.setText("siti")
    window.pin_edit.setText("0000")
    qtbot.mouseClick(window.sign_in_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.message_label.text() == "ID petugas atau PIN salah.",
                    timeout=TIMEOUT)
    assert window.message_label.property("kind") == c.ERROR
    assert QApplication.activeModalWidget() is None  # never a blocking dialog
    assert not core.state.signed_in and window.stack.currentIndex() == 0

    window.pin_edit.setText(PIN)
    qtbot.keyClick(window.pin_edit, Qt.Key.Key_Return)
    idle(qtbot, core)
    assert core.state.signed_in and window.stack.currentIndex() == 1
    assert window.counter_label.text() == "Loket 1 · Dukcapil"
    assert "KTP-el (KTP)" in window.queues_label.text()
    assert "Kartu Keluarga (KK)" in window.queues_label.text()
    assert window.status_chip.text() == "Buka"
    assert window.pin_edit.text() == ""  # the PIN does not linger on screen


def test_the_officer_is_greeted_and_shown_by_name(hall: Hall, qtbot: QtBot) -> None:
    core, window, _ = hall.signed_in(1, "siti")
    assert window.message_label.text() == "Selamat bertugas, Siti Rahmawati. Anda di Loket 1."
    assert window.officer_label.text() == "Petugas: Siti Rahmawati"
    assert core.state.officer == "siti"  # the ledger still records who by ID
    click(qtbot, window, c.PAUSE)
    idle(qtbot, core)
    click(qtbot, window, c.SIGN_OUT)
    idle(qtbot, core)
    assert core.officer_name is None and window.stack.currentIndex() == 0


def test_one_pc_mode_greets_the_officer_by_the_name_they_were_added_with(
        qtbot: QtBot, tmp_path: Path) -> None:
    """`antrean counter --ledger FILE`: the PIN and the name come from the same officer store
    `antrean hub --ledger FILE officer add` writes."""
    import argparse

    from counter_client import cli
    from shared.hub.auth import AuthStore
    from shared.station.setup import open_link
    from tests.helpers.ledger import DATA

    ledger = tmp_path / "hall.db"
    auth = AuthStore(ledger.with_name("hub-auth.db"))
    auth.add_officer("198501012010011001", "Siti Rahmawati", "2468")
    auth.close()
    parser = argparse.ArgumentParser()
    cli.add_arguments(parser)
    args = parser.parse_args(["--ledger", str(ledger), "--hall-config",
                              str(DATA / "small_hall.toml"), "--counter", "1"])
    link, owner = open_link(args, role="counter")
    core = CounterCore(link, 1, tick_ms=50)
    window = CounterWindow(core)
    qtbot.addWidget(window)
    try:
        window.officer_edit.setText("198501012010011001")
        window.pin_edit.setText("2468")
        qtbot.mouseClick(window.sign_in_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: core.state.signed_in, timeout=TIMEOUT)
        assert window.message_label.text() == (
            "Selamat bertugas, Siti Rahmawati. Anda di Loket 1.")
        assert window.officer_label.text() == "Petugas: Siti Rahmawati"
    finally:
        core.stop()
        owner.close()  # type: ignore[attr-defined]


def test_the_first_connection_is_not_a_reconnection(
    qtbot: QtBot, tmp_path: Path, small_config: HallConfig, clock: ManualClock
) -> None:
    """A LAN counter starts offline and connects a moment later: that is no "Tersambung
    kembali"; losing the link and getting it back is."""
    from shared.station.hub_link import HubLink
    from shared.station.replica import Replica
    from tests.helpers.inproc_hub import ThreadedHub

    hub = ThreadedHub(small_config, tmp_path, clock)
    token = hub.auth.enroll("counter-1", "counter", 1)
    inner = HubLink(small_config, hub.url, token, Replica(tmp_path / "replica.db"), "counter-1",
                    clock)
    link = SwitchableLink(inner)
    core = CounterCore(link, 1, tick_ms=50)
    window = CounterWindow(core)
    qtbot.addWidget(window)
    window.show()
    messages: list[str] = []
    core.message.connect(lambda text, kind: messages.append(text))
    try:
        assert not core.state.online
        qtbot.waitUntil(lambda: core.state.online, timeout=TIMEOUT)
        assert messages == []
        assert window.message_label.text() == "Masukkan ID petugas dan PIN."
        link.unplug()
        link.plug_in()
        qtbot.waitUntil(lambda: core.state.online, timeout=TIMEOUT)
        assert messages == ["Tersambung kembali ke server antrean."]
    finally:
        core.stop()
        inner.close()
        hub.stop()


def test_counter_bound_by_number_and_taken_counter_refused(hall: Hall, qtbot: QtBot) -> None:
    hall.signed_in(1, "siti")
    core, window, _ = hall.counter(1, device="counter-1b")
    assert not window.counter_combo.isVisible()
    assert window.bound_counter_label.text() == "Loket 1 — Dukcapil"
    window.officer_edit.setText("budi")
    window.pin_edit.setText(PIN)
    qtbot.mouseClick(window.sign_in_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "sedang dipakai petugas lain" in window.message_label.text(),
                    timeout=TIMEOUT)
    assert not core.state.signed_in


# --- the actions ---------------------------------------------------------------------------


def test_call_recall_start_finish(hall: Hall, qtbot: QtBot) -> None:
    hall.issue("ktp-baru", 2)
    core, window, link = hall.signed_in(1)
    assert window.ticket_label.text() == "—"
    assert not window.buttons[c.RECALL].isEnabled()

    click(qtbot, window, c.CALL_NEXT)
    idle(qtbot, core)
    assert window.ticket_label.text() == "KTP-001"
    assert window.ticket_caption.text().startswith("Dipanggil")
    assert window.message_label.text() == "Memanggil KTP-001."

    click(qtbot, window, c.RECALL)
    idle(qtbot, core)
    assert link.reader.active_ticket(1).call_count == 2
    assert "2×" in window.ticket_caption.text()

    click(qtbot, window, c.START)
    idle(qtbot, core)
    assert window.ticket_caption.text() == "Sedang dilayani"
    assert not window.buttons[c.NO_SHOW].isEnabled()  # no-show only before service starts

    click(qtbot, window, c.FINISH)
    idle(qtbot, core)
    assert window.ticket_label.text() == "—"
    assert link.reader.ticket(_id(hall, "KTP-001")).status == m.FINISHED
    assert "1 selesai" in window.figures_label.text()


def test_no_show_and_return_no_show(hall: Hall, qtbot: QtBot) -> None:
    hall.issue("ktp-baru", 2)
    core, window, link = hall.signed_in(1)
    click(qtbot, window, c.CALL_NEXT)
    idle(qtbot, core)
    click(qtbot, window, c.NO_SHOW)
    idle(qtbot, core)
    assert window.message_label.text() == "KTP-001 dicatat tidak hadir."
    assert [t.label for t in core.state.no_shows] == ["KTP-001"]
    assert [t.label for t in core.state.line] == ["KTP-002"]

    click(qtbot, window, c.RETURN_NO_SHOW)
    assert window.stack.currentIndex() == 3
    assert window.no_show_list.count() == 1
    assert window.no_show_list.item(0).text().startswith("KTP-001")
    qtbot.mouseClick(window.no_show_ok, Qt.MouseButton.LeftButton)
    idle(qtbot, core)
    assert window.stack.currentIndex() == 1
    assert link.reader.ticket(_id(hall, "KTP-001")).status == m.WAITING
    assert sorted(t.label for t in core.state.line) == ["KTP-001", "KTP-002"]
    assert window.line_model.rowCount() == 2


def test_transfer_shows_the_targets_waiting_count(hall: Hall, qtbot: QtBot) -> None:
    hall.issue("bpjs-daftar", 2)
    hall.issue("ktp-baru")
    core, window, link = hall.signed_in(1)
    click(qtbot, window, c.CALL_NEXT)
    idle(qtbot, core)

    click(qtbot, window, c.TRANSFER)
    assert window.stack.currentIndex() == 2
    texts = {window.transfer_list.item(i).data(Qt.ItemDataRole.UserRole):
             window.transfer_list.item(i).text() for i in range(window.transfer_list.count())}
    assert "ktp-baru" not in texts  # not to the service it already has
    assert "2 menunggu" in texts["bpjs-daftar"]
    assert "0 menunggu" in texts["kk"]
    qtbot.keyClicks(window.transfer_filter, "bpjs")
    assert window.transfer_list.count() == 1
    window.transfer_list.setCurrentRow(0)
    qtbot.mouseClick(window.transfer_ok, Qt.MouseButton.LeftButton)
    idle(qtbot, core)
    assert window.stack.currentIndex() == 1
    moved = link.reader.ticket(_id(hall, "KTP-001"))
    assert moved.status == m.WAITING and moved.queue == "B" and moved.transfers == 1
    assert "dialihkan ke BPJSKES · Pendaftaran peserta" in window.message_label.text()
    assert window.ticket_label.text() == "—"


def test_pause_open_close(hall: Hall, qtbot: QtBot) -> None:
    hall.issue("ktp-baru")
    core, window, link = hall.signed_in(1)
    click(qtbot, window, c.PAUSE)
    idle(qtbot, core)
    assert window.status_chip.text() == "Istirahat"
    assert link.reader.counter(1).status == m.COUNTER_PAUSED
    assert not window.buttons[c.CALL_NEXT].isEnabled()

    click(qtbot, window, c.OPEN)
    idle(qtbot, core)
    assert window.status_chip.text() == "Buka"
    assert window.buttons[c.CALL_NEXT].isEnabled()

    click(qtbot, window, c.CALL_NEXT)
    idle(qtbot, core)
    assert not window.buttons[c.CLOSE].isEnabled()  # not with a visitor at the counter
    click(qtbot, window, c.FINISH)
    idle(qtbot, core)
    click(qtbot, window, c.CLOSE)
    idle(qtbot, core)
    assert window.status_chip.text() == "Tutup"
    assert link.reader.counter(1).status == m.COUNTER_CLOSED
    assert window.buttons[c.OPEN].isEnabled()


# --- never two tickets ---------------------------------------------------------------------


def test_two_counters_calling_at_the_same_instant_get_different_tickets(
        hall: Hall, qtbot: QtBot) -> None:
    hall.issue("ktp-baru", 3)
    core1, w1, link1 = hall.signed_in(1)
    core2, w2, link2 = hall.signed_in(2)
    # Both presses go out before either reply can come back.
    qtbot.mouseClick(w1.buttons[c.CALL_NEXT], Qt.MouseButton.LeftButton)
    qtbot.mouseClick(w2.buttons[c.CALL_NEXT], Qt.MouseButton.LeftButton)
    assert core1.state.busy == c.CALL_NEXT and core2.state.busy == c.CALL_NEXT
    idle(qtbot, core1)
    idle(qtbot, core2)
    qtbot.waitUntil(lambda: w1.ticket_label.text() != "—" and w2.ticket_label.text() != "—",
                    timeout=TIMEOUT)
    assert {w1.ticket_label.text(), w2.ticket_label.text()} == {"KTP-001", "KTP-002"}
    # Each counter's copy of the ledger learns of the other's call (at once when embedded, a
    # moment later through the hub).
    qtbot.waitUntil(lambda: len(called_events(link1)) == len(called_events(link2)) == 2,
                    timeout=TIMEOUT)
    qtbot.waitUntil(lambda: [t.label for t in core1.state.line] == ["KTP-003"]
                    and [t.label for t in core2.state.line] == ["KTP-003"], timeout=TIMEOUT)


def test_double_click_and_key_repeat_call_one_ticket(hall: Hall, qtbot: QtBot) -> None:
    hall.issue("ktp-baru", 4)
    core, window, link = hall.signed_in(1, guard_s=60.0)
    activate(qtbot, window)
    # A physical double click: press, release, then a press Qt reports as a double click.
    qtbot.mouseClick(window.buttons[c.CALL_NEXT], Qt.MouseButton.LeftButton)
    qtbot.mouseDClick(window.buttons[c.CALL_NEXT], Qt.MouseButton.LeftButton)
    assert not window.buttons[c.CALL_NEXT].isEnabled()  # off while the command is in flight
    for _ in range(5):
        qtbot.keyClick(window, Qt.Key.Key_Plus, Qt.KeyboardModifier.KeypadModifier)
    idle(qtbot, core)
    # An impatient press right after the call is answered does not call the next one either.
    qtbot.keyClick(window, Qt.Key.Key_Enter, Qt.KeyboardModifier.KeypadModifier)
    qtbot.mouseClick(window.buttons[c.CALL_NEXT], Qt.MouseButton.LeftButton)
    idle(qtbot, core)
    assert [link.reader.ticket(e.ticket_id).label for e in called_events(link)] == ["KTP-001"]
    assert [k for k, _ in link.sent if k == "call_next"] == ["call_next"]
    assert window.ticket_label.text() == "KTP-001"


def test_lost_reply_is_retried_with_the_same_command_id(hall: Hall, qtbot: QtBot) -> None:
    hall.issue("ktp-baru", 3)
    core, window, link = hall.signed_in(1, reply_timeout_ms=100)
    link.go_deaf()  # the command reaches the ledger; nothing comes back
    click(qtbot, window, c.CALL_NEXT)
    qtbot.waitUntil(lambda: len([1 for k, _ in link.sent if k == "call_next"]) >= 3,
                    timeout=TIMEOUT)
    ids = {cid for k, cid in link.sent if k == "call_next"}
    assert len(ids) == 1  # every retry carries the first command id
    assert "Menunggu jawaban" in window.message_label.text()
    assert not window.buttons[c.CALL_NEXT].isEnabled()
    link.hear_again()
    idle(qtbot, core)
    assert window.ticket_label.text() == "KTP-001"
    assert len(called_events(link)) == 1
    assert [t.label for t in core.state.line] == ["KTP-002", "KTP-003"]


# --- keys ----------------------------------------------------------------------------------


def test_keyboard_and_number_pad_shortcuts(hall: Hall, qtbot: QtBot) -> None:
    hall.issue("ktp-baru", 2)
    core, window, link = hall.signed_in(1)
    activate(qtbot, window)
    qtbot.keyClick(window, Qt.Key.Key_Enter, Qt.KeyboardModifier.KeypadModifier)
    idle(qtbot, core)
    assert window.ticket_label.text() == "KTP-001"
    qtbot.keyClick(window, Qt.Key.Key_Period, Qt.KeyboardModifier.KeypadModifier)
    idle(qtbot, core)
    assert link.reader.active_ticket(1).call_count == 2
    qtbot.keyClick(window, Qt.Key.Key_Minus, Qt.KeyboardModifier.KeypadModifier)
    idle(qtbot, core)
    assert link.reader.active_ticket(1).call_count == 3
    qtbot.keyClick(window, Qt.Key.Key_F3)
    idle(qtbot, core)
    assert link.reader.active_ticket(1).status == m.SERVING
    qtbot.keyClick(window, Qt.Key.Key_F4)
    idle(qtbot, core)
    assert link.reader.active_ticket(1) is None
    qtbot.keyClick(window, Qt.Key.Key_F1)
    idle(qtbot, core)
    assert window.ticket_label.text() == "KTP-002"
    qtbot.keyClick(window, Qt.Key.Key_F6)
    assert window.stack.currentIndex() == 2  # transfer page
    # While choosing a target, '+' types into the search field instead of calling.
    qtbot.keyClick(window.transfer_filter, Qt.Key.Key_Plus, Qt.KeyboardModifier.KeypadModifier)
    assert window.transfer_filter.text() == "+"
    assert core.state.busy is None
    qtbot.keyClick(window, Qt.Key.Key_Escape)
    assert window.stack.currentIndex() == 1
    assert len(called_events(link)) == 2


def test_keys_are_configurable(hall: Hall, qtbot: QtBot) -> None:
    hall.issue("ktp-baru")
    core, window, _ = hall.signed_in(1, "siti", keys={c.CALL_NEXT: ("Space",)})
    activate(qtbot, window)
    qtbot.keyClick(window, Qt.Key.Key_F1)  # no longer bound
    assert core.state.busy is None and window.ticket_label.text() == "—"
    qtbot.keyClick(window, Qt.Key.Key_Space)
    idle(qtbot, core)
    assert window.ticket_label.text() == "KTP-001"
    assert "Space" in window.buttons[c.CALL_NEXT].text()


# --- offline -------------------------------------------------------------------------------


def test_offline_disables_actions_and_recovers(hall: Hall, qtbot: QtBot) -> None:
    hall.issue("ktp-baru", 2)
    core, window, link = hall.signed_in(1)
    click(qtbot, window, c.CALL_NEXT)
    idle(qtbot, core)
    link.unplug()
    qtbot.waitUntil(window.offline_banner.isVisible, timeout=TIMEOUT)
    assert "Tidak terhubung" in window.offline_banner.text()
    assert not any(b.isEnabled() for b in window.buttons.values())
    assert window.ticket_label.text() == "KTP-001"  # what is known stays on screen
    activate(qtbot, window)
    qtbot.keyClick(window, Qt.Key.Key_F1)
    assert core.state.busy is None and link.sent[-1][0] == "call_next"
    hall.issue("kk")  # the hall goes on while this counter is cut off

    link.plug_in()
    qtbot.waitUntil(lambda: not window.offline_banner.isVisible(), timeout=TIMEOUT)
    assert window.buttons[c.CALL_NEXT].isEnabled() and window.buttons[c.RECALL].isEnabled()
    assert window.message_label.text() == "Tersambung kembali ke server antrean."
    qtbot.waitUntil(lambda: window.line_model.rowCount() == 2, timeout=TIMEOUT)
    assert sorted(t.label for t in core.state.line) == ["KK-001", "KTP-002"]


def test_reply_lost_while_offline_is_resent_on_reconnect(hall: Hall, qtbot: QtBot) -> None:
    hall.issue("ktp-baru", 2)
    core, window, link = hall.signed_in(1, reply_timeout_ms=100)
    link.go_deaf()
    click(qtbot, window, c.CALL_NEXT)
    link.unplug()
    qtbot.waitUntil(window.offline_banner.isVisible, timeout=TIMEOUT)
    assert core.state.busy == c.CALL_NEXT  # still waiting for its answer
    link.plug_in()
    idle(qtbot, core)
    assert window.ticket_label.text() == "KTP-001"
    assert len(called_events(link)) == 1


# --- timers and the waiting line -------------------------------------------------------------


def test_service_level_warning_when_the_clock_passes_the_standard_time(
        hall: Hall, qtbot: QtBot) -> None:
    hall.issue("ktp-baru")  # standard 10 minutes
    hall.clock.advance(minutes=7)
    core, window, _ = hall.signed_in(1)
    click(qtbot, window, c.CALL_NEXT)
    idle(qtbot, core)
    assert "Menunggu 7 menit sebelum dipanggil" in window.timers_label.text()
    click(qtbot, window, c.START)
    idle(qtbot, core)
    hall.clock.advance(minutes=9, seconds=59)
    qtbot.waitUntil(lambda: "dilayani 09:59" in window.timers_label.text(), timeout=TIMEOUT)
    assert not window.sla_label.isVisible()
    hall.clock.advance(minutes=2, seconds=1)
    qtbot.waitUntil(window.sla_label.isVisible, timeout=TIMEOUT)
    # The warning takes the timers' place, with the same facts.
    assert window.sla_label.text() == "⚠ Lewat standar 10 menit: sudah 12 menit · dilayani 12:00"
    assert not window.timers_label.isVisible()


def test_waiting_line_counts_and_longest_wait(hall: Hall, qtbot: QtBot) -> None:
    hall.issue("ktp-baru")
    hall.clock.advance(minutes=5)
    hall.issue("kk", priority="lansia")
    hall.clock.advance(minutes=3)
    hall.issue("bpjs-daftar")  # another counter's queue
    _core, window, _link = hall.signed_in(1)
    model = window.line_model
    qtbot.waitUntil(lambda: model.rowCount() == 2, timeout=TIMEOUT)
    rows = [[model.index(r, col).data() for col in range(4)] for r in range(2)]
    assert rows == [["KTP-001", "Perekaman KTP-el", "8 mnt", ""],
                    ["KK-001", "Kartu Keluarga", "3 mnt", "Lansia"]]
    assert window.line_summary.text().startswith("2 orang menunggu · terlama 8 menit")
    assert "KTP-el (KTP): 1" in window.line_summary.text()
    hall.clock.advance(minutes=2)
    qtbot.waitUntil(lambda: model.index(0, 2).data() == "10 mnt", timeout=TIMEOUT)
    hall.issue("ktp-ganti")  # a new visitor appears without any click here
    qtbot.waitUntil(lambda: model.rowCount() == 3, timeout=TIMEOUT)


def test_side_panel_fits_a_laptop_screen(hall: Hall, qtbot: QtBot) -> None:
    hall.issue("ktp-baru")
    core, window, _ = hall.signed_in(1, panel=True)
    assert window.windowFlags() & Qt.WindowType.WindowStaysOnTopHint
    click(qtbot, window, c.CALL_NEXT)
    idle(qtbot, core)
    assert window.width() == 360 and window.height() == 768
    # The new number changes the card's size hint; Qt lays the panel out again on a later
    # turn of the event loop, so wait for that before measuring.
    label = window.ticket_label
    column = [window.ticket_label.parentWidget(), window.buttons[c.CALL_NEXT],
              window.buttons[c.RECALL], window.buttons[c.FINISH], window.buttons[c.TRANSFER],
              window.buttons[c.CLOSE], window.line_summary, window.line_view,
              window.figures_label, window.message_label]

    def need(w: QWidget) -> int:
        return (w.heightForWidth(w.width()) if w.hasHeightForWidth()
                else min(w.sizeHint().height(), 60))

    # Every widget of the column, not only the label: on a loaded machine the card (the
    # label's parent) can be laid out one turn later than the label itself.
    qtbot.waitUntil(lambda: label.height() >= label.sizeHint().height()
                    and all(w.height() >= need(w) for w in column), timeout=TIMEOUT)
    previous_bottom = -1
    for w in column:
        assert w.isVisible(), w
        top = w.mapTo(window, w.rect().topLeft()).y()
        bottom = w.mapTo(window, w.rect().bottomLeft()).y()
        assert top > previous_bottom, f"{w} overlaps the widget above it"
        assert bottom < window.height(), f"{w} is cut off"
        assert w.height() >= need(w), f"{w} is squeezed"
        previous_bottom = bottom
    assert label.height() >= label.sizeHint().height()  # KTP-001 readable, not clipped
    assert window.buttons[c.CALL_NEXT].height() >= window.buttons[c.CALL_NEXT].minimumHeight()


def _id(hall: Hall, label: str) -> str:
    return f"{hall.clock.now():%Y%m%d}-{label}"


# --- the command line ----------------------------------------------------------------------


def test_cli_keys(hall: Hall) -> None:
    import argparse

    from counter_client import cli

    parser = argparse.ArgumentParser()
    cli.add_arguments(parser)
    args = parser.parse_args(["--counter", "3", "--panel", "--key", "call_next=F12 Enter"])
    assert args.counter == 3 and args.panel
    assert cli.parse_keys(args.key) == {c.CALL_NEXT: ("F12", "Enter")}
    assert cli.parse_keys(["pause=F8"]) == {c.PAUSE: ("F8",)}
    with pytest.raises(ValueError, match="ACTION=KEYS"):
        cli.parse_keys(["dance=F1"])


def test_screenshot_script_writes_every_state(tmp_path: Path) -> None:
    import subprocess
    import sys

    from PySide6.QtGui import QImage

    from counter_client.screenshots import SIZES, STATES

    # In its own process: the script is what the demo runs, and the many windows it walks
    # through stay out of this test process.
    config = Path(__file__).parent.parent / "data" / "small_hall.toml"
    done = subprocess.run(
        [sys.executable, "-m", "counter_client.screenshots", str(tmp_path),
         "--hall-config", str(config)],
        capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    for state in STATES:
        for mode, size in SIZES.items():
            image = QImage(str(tmp_path / f"counter-{state}-{mode}.png"))
            assert (image.width(), image.height()) == size, (state, mode)


def test_the_officer_checks_a_priority_claim_with_one_tap(hall: Hall, qtbot: QtBot) -> None:
    hall.issue("kk", priority="lansia")
    hall.issue("kk")
    core, window, link = hall.signed_in(1)
    assert not window.priority_row.isVisible()
    click(qtbot, window, c.CALL_NEXT)
    idle(qtbot, core)
    qtbot.waitUntil(window.priority_row.isVisible, timeout=TIMEOUT)
    assert "Lansia" in window.ticket_service.text()
    qtbot.mouseClick(window.priority_no, Qt.MouseButton.LeftButton)
    idle(qtbot, core)
    qtbot.waitUntil(lambda: not window.priority_row.isVisible(), timeout=TIMEOUT)
    assert "bukan prioritas" in window.message_label.text()
    checked = [e for e in link.reader.events_after(0) if e.kind == m.TICKET_PRIORITY_CHECKED]
    assert [(e.data["valid"], e.data["group"], e.officer) for e in checked] == [
        (False, "lansia", "petugas-1")]
    # The regular ticket next asks nothing.
    click(qtbot, window, c.CALL_NEXT)
    idle(qtbot, core)
    assert core.state.current is not None and core.state.current.ticket.label == "KK-002"
    assert not window.priority_row.isVisible()


def test_a_refused_station_says_why_it_stays_offline(
    qtbot: QtBot, tmp_path: Path, small_config: HallConfig, clock: ManualClock
) -> None:
    """Retrying cannot help a station the hub refuses: the banner tells the officer to call IT
    instead of promising to reconnect."""
    from shared.station.hub_link import HubLink
    from shared.station.replica import Replica
    from tests.helpers.inproc_hub import ThreadedHub

    hub = ThreadedHub(small_config, tmp_path, clock)
    link = HubLink(small_config, hub.url, "a-token-the-hub-never-issued",
                   Replica(tmp_path / "replica.db"), "counter-1", clock)
    core = CounterCore(link, 1, tick_ms=50)
    window = CounterWindow(core)
    qtbot.addWidget(window)
    window.resize(1366, 768)
    window.show()
    try:
        qtbot.waitUntil(lambda: link.refused_reason is not None, timeout=TIMEOUT)
        qtbot.waitUntil(lambda: "Hubungi petugas TI" in window.offline_banner.text(),
                        timeout=TIMEOUT)
        assert window.offline_banner.isVisible()
        assert "ditolak" in window.offline_banner.text()
    finally:
        core.stop()
        link.close()
        hub.stop()
