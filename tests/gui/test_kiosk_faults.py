"""When things fail: the hub is unreachable or slow, the printer fails or runs out of paper.
The visitor always gets a plain message or a usable number, never two numbers."""

from __future__ import annotations

import datetime as dt
import socket
from pathlib import Path

from pytestqt.qtbot import QtBot

from kiosk.core import Step
from kiosk.printing import DummyPrinter, EscposTicketPrinter, PrinterSettings, PrinterStatus
from shared.clock import ManualClock
from shared.config import HallConfig
from shared.ledger.model import STATION_ALERT, TICKET_CANCELLED
from shared.ledger.queries import LedgerReader
from shared.station.link import LocalLedger
from tests.helpers.kiosk_hall import (
    Kiosk,
    button,
    close_kiosk,
    label_text,
    make_kiosk,
    screen_text,
    take_ticket,
    tap,
)
from tests.helpers.printing import HEALTHY, FakeNetworkPrinter, network
from tests.helpers.stubs import HeldRepliesLink

MONDAY = dt.date(2026, 11, 30)
PRINT_FAILED = "Tiket tidak dapat dicetak. Silakan foto layar ini atau catat nomor Anda."


def alerts(reader: LedgerReader) -> list[dict[str, object]]:
    return [e.data for e in reader.events_after(0) if e.kind == STATION_ALERT]


def test_offline_kiosk_says_so_and_issues_nothing(qtbot: QtBot, kiosk: Kiosk) -> None:
    k = kiosk
    tap(qtbot, k, "take_number")
    tap(qtbot, k, "agency:DUKCAPIL")
    # Limitation: an EmbeddedLink cannot really lose its ledger; _set_online(False) is how a
    # LAN link reports a lost hub, and the kiosk must act on that report alone.
    k.link._set_online(False)
    assert k.step is Step.OFFLINE
    assert label_text(k, "offline_title") == "Mesin antrean sedang tidak terhubung"
    assert "Silakan hubungi petugas" in label_text(k, "offline_body")
    assert "Ambil nomor antrean" not in screen_text(k)
    k.core.start()  # even if something still called it, nothing is sent
    assert k.step is Step.OFFLINE
    k.link._set_online(True)
    assert k.step is Step.WELCOME
    assert k.link.reader.last_seq() == 0


def test_kiosk_starting_offline_shows_the_offline_screen(
    qtbot: QtBot, tmp_path: Path, small_config: HallConfig, clock: ManualClock
) -> None:
    local = LocalLedger(tmp_path / "hall.db", small_config, clock)
    link = local.link("kiosk-1")
    link._set_online(False)
    k = make_kiosk(qtbot, tmp_path, small_config, clock, link=link, local=local)
    try:
        assert k.step is Step.OFFLINE
        assert k.window.stack.currentWidget() is k.window.screens[Step.OFFLINE]
    finally:
        close_kiosk(k)


def test_late_reply_retry_reuses_the_command_and_shows_one_ticket(
    qtbot: QtBot, tmp_path: Path, small_config: HallConfig, clock: ManualClock
) -> None:
    local = LocalLedger(tmp_path / "hall.db", small_config, clock)
    link = HeldRepliesLink(local.link("kiosk-1"))
    k = make_kiosk(qtbot, tmp_path, small_config, clock, link=link, local=local,
                   reply_timeout_ms=200)
    try:
        take_ticket(qtbot, k, "DUKCAPIL", "kk")
        assert k.step is Step.ISSUING
        qtbot.waitUntil(lambda: k.step is Step.SLOW, timeout=3000)
        assert label_text(k, "slow_title") == "Mohon tunggu sebentar"
        assert "Anda tidak akan mendapat nomor ganda" in label_text(k, "slow_body")
        qtbot.waitUntil(lambda: len(link.held) == 1, timeout=3000)

        tap(qtbot, k, "retry")
        assert k.step is Step.ISSUING
        qtbot.waitUntil(lambda: len(link.held) == 2, timeout=3000)
        issues = [c for c in link.sent if c.kind == "issue_ticket"]
        assert len(issues) == 2 and issues[0].id == issues[1].id
        assert issues[1].args == {"service": "kk"}

        link.release()  # the first reply arrives late, then the retry's duplicate
        assert k.step is Step.TICKET
        assert label_text(k, "ticket_number") == "KK-001"
        assert isinstance(k.printer, DummyPrinter)
        assert k.link.reader.issued_today("q:KK", MONDAY) == 1
        # Jobs print in order: a test print queued now comes right after every ticket job, so
        # a second copy of KK-001 would show up before it.
        k.core.admin_test_print()
        qtbot.waitUntil(lambda: len(k.printer.jobs) >= 2, timeout=3000)
        assert b"KK-001" in k.printer.jobs[0] and b"TES-000" in k.printer.jobs[1]
    finally:
        close_kiosk(k)


def test_reply_after_the_visitor_left_cancels_that_ticket(
    qtbot: QtBot, tmp_path: Path, small_config: HallConfig, clock: ManualClock
) -> None:
    local = LocalLedger(tmp_path / "hall.db", small_config, clock)
    link = HeldRepliesLink(local.link("kiosk-1"))
    k = make_kiosk(qtbot, tmp_path, small_config, clock, link=link, local=local,
                   reply_timeout_ms=200)
    try:
        take_ticket(qtbot, k, "DUKCAPIL", "kk")
        qtbot.waitUntil(lambda: k.step is Step.SLOW, timeout=3000)
        tap(qtbot, k, "cancel")
        assert k.step is Step.WELCOME
        qtbot.waitUntil(lambda: len(link.held) == 1, timeout=3000)
        link.release()
        assert k.step is Step.WELCOME  # no ticket pops up for the next visitor
        qtbot.waitUntil(lambda: len(link.held) == 1, timeout=3000)  # the cancel's reply
        cancelled = [e for e in k.link.reader.events_after(0) if e.kind == TICKET_CANCELLED]
        assert [e.ticket_id for e in cancelled] == ["20261130-KK-001"]
        assert isinstance(k.printer, DummyPrinter) and k.printer.jobs == []
    finally:
        close_kiosk(k)


def test_printer_failure_leaves_a_usable_number_and_alerts_staff(
    qtbot: QtBot, tmp_path: Path, small_config: HallConfig, clock: ManualClock
) -> None:
    printer = DummyPrinter("80mm", fail_with="paper jam")  # the test double, set to fail
    k = make_kiosk(qtbot, tmp_path, small_config, clock, printer=printer)
    try:
        take_ticket(qtbot, k, "BPJSKES", "bpjs-daftar")
        qtbot.waitUntil(lambda: label_text(k, "print_status") == PRINT_FAILED, timeout=5000)
        assert label_text(k, "ticket_number") == "B-001"
        assert label_text(k, "staff_told") == "Petugas sudah diberi tahu."
        qr = k.window.current_screen().findChild(type(k.window.clock), "ticket_qr")
        assert qr is not None and not qr.pixmap().isNull()
        qtbot.waitUntil(lambda: len(alerts(k.link.reader)) == 1, timeout=5000)
        alert = alerts(k.link.reader)[0]
        assert alert["kind"] == "printer"
        assert "B-001" in str(alert["message"]) and "paper jam" in str(alert["message"])
        # Still responsive: the next visitor can start.
        tap(qtbot, k, "done")
        tap(qtbot, k, "take_number")
        assert k.step is Step.AGENCY
    finally:
        close_kiosk(k)


def test_unreachable_network_printer(
    qtbot: QtBot, tmp_path: Path, small_config: HallConfig, clock: ManualClock
) -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    printer = EscposTicketPrinter(PrinterSettings(kind="network", host="127.0.0.1", port=port,
                                                  paper="80mm", timeout=1.0))
    k = make_kiosk(qtbot, tmp_path, small_config, clock, printer=printer)
    try:
        qtbot.waitUntil(lambda: k.core.printer_status == "unreachable", timeout=5000)
        assert ("Petugas: printer tidak dapat dihubungi — periksa daya dan kabelnya"
                in screen_text(k))
        take_ticket(qtbot, k, "DUKCAPIL", "kk")
        qtbot.waitUntil(lambda: label_text(k, "print_status") == PRINT_FAILED, timeout=5000)
        assert label_text(k, "ticket_number") == "KK-001"
        qtbot.waitUntil(lambda: any("refused" in str(a["message"])
                                    for a in alerts(k.link.reader)), timeout=5000)
    finally:
        close_kiosk(k)


def test_paper_low_shows_a_discreet_staff_notice(
    qtbot: QtBot, tmp_path: Path, small_config: HallConfig, clock: ManualClock
) -> None:
    printer = DummyPrinter("80mm", status=PrinterStatus.PAPER_LOW)
    k = make_kiosk(qtbot, tmp_path, small_config, clock, printer=printer)
    try:
        qtbot.waitUntil(lambda: k.window.staff_notice.isVisible(), timeout=5000)
        notice = k.window.staff_notice
        assert notice.text() == "Petugas: kertas printer hampir habis — siapkan gulungan baru"
        # Discreet: small type, not one of the visitor's buttons.
        assert notice.height() < button(k, "take_number").height() / 2
        qtbot.waitUntil(lambda: any("hampir habis" in str(a["message"])
                                    for a in alerts(k.link.reader)), timeout=5000)
        take_ticket(qtbot, k, "DUKCAPIL", "kk")  # tickets still print while paper is low
        qtbot.waitUntil(lambda: label_text(k, "print_status") == "Silakan ambil tiket Anda.",
                        timeout=5000)
    finally:
        close_kiosk(k)


PAPER_OUT_ANSWERS = {1: b"\x1a", 4: b"\x72"}  # off line because the paper ran out
STAFF_PAPER_OUT = "Petugas: kertas printer habis — pasang gulungan baru"
STAFF_UNREACHABLE = "Petugas: printer tidak dapat dihubungi — periksa daya dan kabelnya"


def test_printer_badge_follows_a_printer_that_runs_out_of_paper_then_goes_silent(
    qtbot: QtBot, tmp_path: Path, small_config: HallConfig, clock: ManualClock
) -> None:
    fake = FakeNetworkPrinter(answers=PAPER_OUT_ANSWERS)  # a network printer on 127.0.0.1
    printer = EscposTicketPrinter(network(fake.port, paper="80mm", timeout=0.3))
    # The periodic check is far away; only the quicker checks of a printer in trouble and the
    # check after each ticket can keep the badge true.
    k = make_kiosk(qtbot, tmp_path, small_config, clock, printer=printer,
                   worker_options={"status_interval_ms": 600_000, "fault_interval_ms": 100})
    try:
        notice = k.window.staff_notice
        qtbot.waitUntil(lambda: notice.isVisible() and notice.text() == STAFF_PAPER_OUT,
                        timeout=5000)
        fake.answers = None  # the printer goes silent: it accepts, and never says a word
        qtbot.waitUntil(lambda: notice.text() == STAFF_UNREACHABLE, timeout=5000)
        assert k.core.printer_status == "unreachable" and STAFF_PAPER_OUT not in screen_text(k)
        fake.answers = HEALTHY  # switched off and on again, with a new roll
        qtbot.waitUntil(lambda: not notice.isVisible(), timeout=5000)
        assert k.core.printer_status == "ok"
    finally:
        close_kiosk(k)
        fake.stop()


def test_a_refilled_printer_is_seen_at_the_next_ticket(
    qtbot: QtBot, tmp_path: Path, small_config: HallConfig, clock: ManualClock
) -> None:
    printer = DummyPrinter("80mm", status=PrinterStatus.PAPER_LOW)
    k = make_kiosk(qtbot, tmp_path, small_config, clock, printer=printer,
                   worker_options={"status_interval_ms": 600_000, "fault_interval_ms": 600_000})
    try:
        qtbot.waitUntil(lambda: k.core.printer_status == "paper_low", timeout=5000)
        printer.reported_status = PrinterStatus.OK  # a new roll, and nobody told the kiosk
        take_ticket(qtbot, k, "DUKCAPIL", "kk")
        qtbot.waitUntil(lambda: k.core.printer_status == "ok", timeout=5000)
        assert not k.window.staff_notice.isVisible()
    finally:
        close_kiosk(k)


PAPER_OUT_UP_FRONT = ("Kertas tiket sedang habis. Anda tetap mendapat nomor antrean: nomor "
                      "ditampilkan di layar, siapkan ponsel untuk memotretnya atau catat nomornya.")


def test_paper_out_is_said_on_the_welcome_screen_and_the_number_still_comes(
    qtbot: QtBot, tmp_path: Path, small_config: HallConfig, clock: ManualClock
) -> None:
    fake = FakeNetworkPrinter(answers=PAPER_OUT_ANSWERS)
    printer = EscposTicketPrinter(network(fake.port, paper="80mm", timeout=0.3))
    k = make_kiosk(qtbot, tmp_path, small_config, clock, printer=printer,
                   worker_options={"fault_interval_ms": 100})
    try:
        qtbot.waitUntil(lambda: k.core.printer_status == "paper_out", timeout=5000)
        assert k.step is Step.WELCOME
        assert label_text(k, "printer_notice") == PAPER_OUT_UP_FRONT
        assert button(k, "take_number").isVisible()  # the hall still issues numbers
        tap(qtbot, k, "language")
        assert label_text(k, "printer_notice").startswith("The ticket paper has run out.")
        tap(qtbot, k, "language")
        take_ticket(qtbot, k, "DUKCAPIL", "kk")
        qtbot.waitUntil(lambda: label_text(k, "print_status") == PRINT_FAILED, timeout=5000)
        assert label_text(k, "ticket_number") == "KK-001"
        tap(qtbot, k, "done")

        fake.answers = None  # silent now: still no paper ticket, said differently
        qtbot.waitUntil(lambda: k.core.printer_status == "unreachable", timeout=5000)
        assert label_text(k, "printer_notice").startswith(
            "Printer tiket sedang tidak dapat mencetak. Anda tetap mendapat nomor antrean")
        fake.answers = HEALTHY  # a new roll: the welcome screen no longer warns
        qtbot.waitUntil(lambda: k.core.printer_status == "ok", timeout=5000)
        assert "printer_notice" not in visible_label_names(k)
    finally:
        close_kiosk(k)
        fake.stop()


def visible_label_names(k: Kiosk) -> set[str]:
    from PySide6.QtWidgets import QLabel

    return {w.objectName() for w in k.window.findChildren(QLabel) if w.isVisible()}
