"""The kiosk driven by taps on its real buttons: a visitor takes a number, with or without
priority, in Indonesian or English, goes back, or walks away.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from PySide6.QtWidgets import QLabel
from pytestqt.qtbot import QtBot

from kiosk.core import Step
from kiosk.printing import DummyPrinter
from shared.clock import ManualClock
from shared.config import HallConfig
from tests.helpers.kiosk_hall import (
    LANDSCAPE,
    Kiosk,
    button,
    close_kiosk,
    label_text,
    make_kiosk,
    screen_text,
    take_ticket,
    tap,
)

# --- the tests ------------------------------------------------------------------------------


def test_visitor_takes_a_number_and_it_is_printed(qtbot: QtBot, kiosk: Kiosk) -> None:
    k = kiosk
    assert k.step is Step.WELCOME
    text = screen_text(k)
    assert "Mal Pelayanan Publik Uji" in text and "Ambil nomor antrean" in text
    assert "Senin, 30 November 2026" in text and "09:00 WIB" in text

    tap(qtbot, k, "take_number")
    assert k.step is Step.AGENCY
    assert label_text(k, "agency_title") == "Pilih instansi"
    assert "Dukcapil" in screen_text(k) and "SAMSAT" in screen_text(k)

    tap(qtbot, k, "agency:DUKCAPIL")
    assert label_text(k, "service_title") == "Pilih layanan"
    tile = button(k, "service:ktp-baru")
    assert "Perekaman KTP-el" in tile.text_content()  # type: ignore[attr-defined]
    assert "Lama layanan ± 10 menit" in tile.text_content()  # type: ignore[attr-defined]
    assert "sisa kuota 5" in tile.text_content()  # type: ignore[attr-defined]

    tap(qtbot, k, "service:ktp-baru")
    assert label_text(k, "priority_question") == "Apakah Anda termasuk prioritas?"
    assert "Fotokopi KK" in label_text(k, "priority_requirements")
    no, lansia = button(k, "priority:none"), button(k, "priority:lansia")
    assert no.text() == "Tidak"
    assert no.height() > lansia.height() and no.width() >= lansia.width()

    tap(qtbot, k, "priority:none")
    qtbot.waitUntil(lambda: k.step is Step.TICKET, timeout=5000)
    assert label_text(k, "ticket_number") == "KTP-001"
    number = k.window.current_screen().findChild(QLabel, "ticket_number")
    assert number is not None and number.font().pixelSize() >= 200
    assert label_text(k, "ticket_ahead") == "Antrean sebelum Anda: 0"
    assert "Dinas Kependudukan dan Pencatatan Sipil" in screen_text(k)
    assert k.core.ticket is not None
    assert k.core.ticket.qr_payload == "ANTREAN:20261130-KTP-001"
    qr = k.window.current_screen().findChild(QLabel, "ticket_qr")
    assert qr is not None and not qr.pixmap().isNull()

    qtbot.waitUntil(lambda: label_text(k, "print_status") == "Silakan ambil tiket Anda.",
                    timeout=5000)
    assert isinstance(k.printer, DummyPrinter)
    assert len(k.printer.jobs) == 1 and b"KTP-001" in k.printer.jobs[0]
    ticket = k.link.reader.ticket("20261130-KTP-001")
    assert ticket is not None and ticket.status == "waiting" and ticket.priority is None

    tap(qtbot, k, "done")
    assert k.step is Step.WELCOME


def test_priority_visitor_gets_a_priority_ticket(qtbot: QtBot, kiosk: Kiosk) -> None:
    k = kiosk
    take_ticket(qtbot, k, "BPJSKES", "bpjs-daftar", "lansia")
    qtbot.waitUntil(lambda: k.step is Step.TICKET, timeout=5000)
    assert label_text(k, "ticket_number") == "B-001"
    assert label_text(k, "ticket_priority") == "Prioritas: Lansia (60 tahun ke atas)"
    ticket = k.link.reader.ticket("20261130-B-001")
    assert ticket is not None and ticket.priority == "lansia"


def test_people_ahead_and_wait_come_from_the_ledger(qtbot: QtBot, kiosk: Kiosk) -> None:
    k = kiosk
    for _ in range(2):
        take_ticket(qtbot, k, "DUKCAPIL", "kk")
        qtbot.waitUntil(lambda: k.step is Step.TICKET, timeout=5000)
        tap(qtbot, k, "done")
    take_ticket(qtbot, k, "DUKCAPIL", "kk")
    qtbot.waitUntil(lambda: k.step is Step.TICKET, timeout=5000)
    assert label_text(k, "ticket_number") == "KK-003"
    assert label_text(k, "ticket_ahead") == "Antrean sebelum Anda: 2"
    # Two ahead × the 15-minute standard time, one counter.
    assert label_text(k, "ticket_wait") == "Perkiraan waktu tunggu: ± 30 menit"


def test_back_at_every_step(qtbot: QtBot, kiosk: Kiosk) -> None:
    k = kiosk
    tap(qtbot, k, "take_number")
    tap(qtbot, k, "back")
    assert k.step is Step.WELCOME
    tap(qtbot, k, "take_number")
    tap(qtbot, k, "agency:DUKCAPIL")
    tap(qtbot, k, "back")
    assert k.step is Step.AGENCY
    tap(qtbot, k, "agency:DUKCAPIL")
    tap(qtbot, k, "service:kk")
    tap(qtbot, k, "back")
    assert k.step is Step.SERVICE and label_text(k, "service_title") == "Pilih layanan"
    assert k.link.reader.issued_today("q:KK", dt.date(2026, 11, 30)) == 0


def test_english_switch_on_every_screen_and_back_to_indonesian_when_idle(
    qtbot: QtBot, tmp_path: Path, small_config: HallConfig, clock: ManualClock
) -> None:
    k = make_kiosk(qtbot, tmp_path, small_config, clock, idle_timeout_ms=400,
                   countdown_tick_ms=30)
    try:
        tap(qtbot, k, "language")
        assert "Take a queue number" in screen_text(k)
        assert "Monday, 30 November 2026" in screen_text(k)
        tap(qtbot, k, "take_number")
        assert label_text(k, "agency_title") == "Choose an agency"
        assert k.window.language.isVisible() and k.window.language.text() == "Bahasa Indonesia"
        tap(qtbot, k, "agency:DUKCAPIL")
        tap(qtbot, k, "service:kk")
        assert label_text(k, "priority_question") == "Do you need priority service?"
        assert button(k, "priority:none").text() == "No"
        tap(qtbot, k, "language")
        assert label_text(k, "priority_question") == "Apakah Anda termasuk prioritas?"
        tap(qtbot, k, "language")
        # Nobody touches the screen: back to the start, in Indonesian.
        qtbot.waitUntil(lambda: k.step is Step.WELCOME, timeout=3000)
        assert "Ambil nomor antrean" in screen_text(k)
        assert k.link.reader.issued_today("q:KK", dt.date(2026, 11, 30)) == 0
    finally:
        close_kiosk(k)


def test_idle_timeout_returns_to_start_from_the_ticket(
    qtbot: QtBot, tmp_path: Path, small_config: HallConfig, clock: ManualClock
) -> None:
    k = make_kiosk(qtbot, tmp_path, small_config, clock, ticket_timeout_ms=400)
    try:
        take_ticket(qtbot, k, "DUKCAPIL", "kk")
        qtbot.waitUntil(lambda: k.step is Step.TICKET, timeout=5000)
        qtbot.waitUntil(lambda: k.step is Step.WELCOME, timeout=3000)
        assert k.window.stack.currentWidget() is k.window.screens[Step.WELCOME]
    finally:
        close_kiosk(k)


def test_landscape_shows_the_same_flow(
    qtbot: QtBot, tmp_path: Path, small_config: HallConfig, clock: ManualClock
) -> None:
    k = make_kiosk(qtbot, tmp_path, small_config, clock, size=LANDSCAPE)
    try:
        assert not k.window.portrait
        take_ticket(qtbot, k, "SAMSAT", "pajak-kendaraan")
        qtbot.waitUntil(lambda: k.step is Step.TICKET, timeout=5000)
        assert label_text(k, "ticket_number") == "S-001"
        number = k.window.current_screen().findChild(QLabel, "ticket_number")
        assert number is not None and number.font().pixelSize() >= 200
        # Nothing pushed the window past the hall's screen.
        assert (k.window.width(), k.window.height()) == LANDSCAPE
    finally:
        close_kiosk(k)
