"""Closed hours, a closed day, the cut-off, a holiday and a full quota: the visitor sees it on the
tile before tapping, and a tap explains when to come back. Never a dead button, never a ticket."""

from __future__ import annotations

import datetime as dt

import pytest
from pytestqt.qtbot import QtBot

from kiosk.core import Step, service_availability
from shared.clock import ManualClock
from shared.ledger.ledger import Ledger
from tests.helpers.kiosk_hall import (
    Kiosk,
    button,
    label_text,
    screen_text,
    take_ticket,
    tap,
)
from tests.helpers.ledger import KIOSK

WIB = dt.timezone(dt.timedelta(hours=7))
MONDAY = dt.date(2026, 11, 30)


def tile_text(k: Kiosk, name: str) -> str:
    return button(k, name).text_content()  # type: ignore[attr-defined]


def welcome_offers_no_number(k: Kiosk) -> None:
    """The welcome screen of a closed hall: it says so, and has no button that leads nowhere."""
    assert k.step is Step.WELCOME
    assert not button_shown(k, "take_number")
    assert "Ambil nomor antrean" not in screen_text(k)
    assert "Sentuh tombol biru untuk mulai" not in screen_text(k)
    assert label_text(k, "closed_title") == "Nomor antrean belum dapat diambil"


def test_holiday_says_so_and_when_to_come_back_on_the_welcome_screen(
    qtbot: QtBot, kiosk: Kiosk
) -> None:
    k = kiosk
    k.clock.set(dt.datetime(2026, 12, 25, 10, 0, tzinfo=WIB))
    k.core.reset()
    welcome_offers_no_number(k)
    assert label_text(k, "hall_notice") == (
        "Hari ini libur (Hari Raya Natal). Silakan datang kembali pada Senin, "
        "28 Desember 2026.")
    tap(qtbot, k, "language")
    assert label_text(k, "closed_title") == "A number cannot be taken now"
    assert label_text(k, "hall_notice") == (
        "Today is a holiday (Hari Raya Natal). Please come back on Monday, 28 December 2026.")
    assert k.link.reader.last_seq() == 0


def test_before_tickets_open_says_from_when_and_offers_the_button_at_opening(
    qtbot: QtBot, kiosk: Kiosk
) -> None:
    k = kiosk
    k.clock.set(dt.datetime(2026, 11, 30, 6, 59, 30, tzinfo=WIB))
    k.core.reset()
    welcome_offers_no_number(k)
    assert "Pengambilan nomor antrean dibuka pukul 07:00." in label_text(k, "hall_notice")
    # 07:00: the first numbers can be taken, and the screen offers them by itself.
    k.clock.set(dt.datetime(2026, 11, 30, 7, 0, 5, tzinfo=WIB))
    qtbot.waitUntil(lambda: button_shown(k, "take_number"), timeout=3000)
    assert not label_shown(k, "hall_notice") and not label_shown(k, "closed_title")
    tap(qtbot, k, "take_number")
    assert k.step is Step.AGENCY


def button_shown(k: Kiosk, name: str) -> bool:
    from PySide6.QtWidgets import QAbstractButton

    found = k.window.current_screen().findChild(QAbstractButton, name)
    return found is not None and found.isVisible()


def test_agency_closed_today_is_marked_and_explained(qtbot: QtBot, kiosk: Kiosk) -> None:
    k = kiosk
    k.clock.set(dt.datetime(2026, 12, 1, 9, 0, tzinfo=WIB))  # a Tuesday: Samsat is not here
    k.core.reset()
    tap(qtbot, k, "take_number")
    assert "TIDAK BUKA HARI INI" in tile_text(k, "agency:SAMSAT")
    assert "TIDAK BUKA" not in tile_text(k, "agency:DUKCAPIL")
    tap(qtbot, k, "agency:SAMSAT")
    assert "TIDAK BUKA HARI INI" in tile_text(k, "service:pajak-kendaraan")
    tap(qtbot, k, "service:pajak-kendaraan")
    assert k.step is Step.CLOSED
    assert label_text(k, "message_body") == (
        "Layanan Pajak kendaraan tahunan tidak buka hari ini. "
        "Silakan datang kembali pada Rabu, 2 Desember 2026.")
    tap(qtbot, k, "back")  # back to the agency's services, to choose another
    assert k.step is Step.SERVICE


def test_cutoff_before_closing(qtbot: QtBot, kiosk: Kiosk) -> None:
    k = kiosk
    k.clock.set(dt.datetime(2026, 11, 30, 11, 40, tzinfo=WIB))  # Samsat closes 12:00
    k.core.reset()
    tap(qtbot, k, "take_number")
    tap(qtbot, k, "agency:SAMSAT")
    assert "SUDAH DITUTUP" in tile_text(k, "service:pajak-kendaraan")
    tap(qtbot, k, "service:pajak-kendaraan")
    assert label_text(k, "message_body") == (
        "Pengambilan nomor antrean untuk layanan ini sudah ditutup pukul 11:30. "
        "Silakan datang kembali pada Rabu, 2 Desember 2026.")
    tap(qtbot, k, "language")
    assert label_text(k, "message_body") == (
        "Queue numbers for this service stopped at 11:30. "
        "Please come back on Wednesday, 2 December 2026.")
    assert k.link.reader.issued_today("s:pajak-kendaraan", MONDAY) == 0


def fill_quota(qtbot: QtBot, k: Kiosk, service: str, n: int) -> None:
    """Another kiosk takes `n` numbers."""
    other = k.local.link("kiosk-2")
    for _ in range(n):
        with qtbot.waitSignal(other.replied, timeout=5000) as got:
            other.send("issue_ticket", {"service": service})
        assert got.args[0].ok


def test_full_quota_is_shown_before_the_tap(qtbot: QtBot, kiosk: Kiosk) -> None:
    k = kiosk
    fill_quota(qtbot, k, "ktp-baru", 5)
    tap(qtbot, k, "take_number")
    tap(qtbot, k, "agency:DUKCAPIL")
    assert "KUOTA HABIS" in tile_text(k, "service:ktp-baru")
    assert "KUOTA HABIS" not in tile_text(k, "service:kk")
    tap(qtbot, k, "service:ktp-baru")
    assert label_text(k, "message_body") == (
        "Kuota hari ini untuk layanan Perekaman KTP-el sudah habis. "
        "Silakan datang kembali pada Selasa, 1 Desember 2026.")
    assert k.link.reader.issued_today("s:ktp-baru", MONDAY) == 5


def test_quota_taken_while_the_visitor_chooses_gets_the_ledgers_answer(
    qtbot: QtBot, kiosk: Kiosk
) -> None:
    k = kiosk
    fill_quota(qtbot, k, "ktp-baru", 4)
    tap(qtbot, k, "take_number")
    tap(qtbot, k, "agency:DUKCAPIL")
    assert "sisa kuota 1" in tile_text(k, "service:ktp-baru")
    tap(qtbot, k, "service:ktp-baru")
    fill_quota(qtbot, k, "ktp-baru", 1)  # the last number goes to another kiosk meanwhile
    tap(qtbot, k, "priority:none")
    qtbot.waitUntil(lambda: k.step is Step.CLOSED, timeout=5000)
    assert label_text(k, "message_title") == "Nomor antrean tidak dapat dibuat"
    assert label_text(k, "message_body").startswith(
        "Kuota hari ini untuk layanan Perekaman KTP-el sudah habis.")
    assert k.link.reader.issued_today("s:ktp-baru", MONDAY) == 5


def test_a_ticket_taken_before_opening_or_in_a_break_says_until_when(
    qtbot: QtBot, kiosk: Kiosk
) -> None:
    k = kiosk
    k.clock.set(dt.datetime(2026, 11, 30, 7, 40, tzinfo=WIB))  # tickets from 07:00, open 08:00
    k.core.reset()
    take_ticket(qtbot, k, "DUKCAPIL", "ktp-ganti")
    qtbot.waitUntil(lambda: k.step is Step.TICKET)
    assert label_text(k, "ticket_pause") == "Loket mulai melayani pukul 08:00."
    assert k.core.ticket is not None and k.core.ticket.wait_minutes == 20  # until opening
    tap(qtbot, k, "done")

    k.clock.set(dt.datetime(2026, 11, 30, 12, 15, tzinfo=WIB))  # Monday break 12:00-13:00
    k.core.reset()
    take_ticket(qtbot, k, "DUKCAPIL", "ktp-ganti")
    qtbot.waitUntil(lambda: k.step is Step.TICKET)
    assert label_text(k, "ticket_pause") == "Loket sedang istirahat sampai pukul 13:00."
    tap(qtbot, k, "done")

    k.clock.set(dt.datetime(2026, 11, 30, 13, 30, tzinfo=WIB))
    k.core.reset()
    take_ticket(qtbot, k, "DUKCAPIL", "ktp-ganti")
    qtbot.waitUntil(lambda: k.step is Step.TICKET)
    assert not label_shown(k, "ticket_pause")
    assert "13:00" not in screen_text(k)


def label_shown(k: Kiosk, name: str) -> bool:
    from PySide6.QtWidgets import QLabel

    found = k.window.findChild(QLabel, name)
    return found is not None and found.isVisible()


@pytest.mark.parametrize(("moment", "service", "issued", "reason"), [
    (dt.datetime(2026, 11, 30, 6, 30, tzinfo=WIB), "kk", 0, "not_yet_open"),
    (dt.datetime(2026, 12, 1, 9, 0, tzinfo=WIB), "pajak-kendaraan", 0, "closed_today"),
    (dt.datetime(2026, 11, 30, 14, 45, tzinfo=WIB), "kk", 0, "cutoff"),
    (dt.datetime(2026, 12, 25, 9, 0, tzinfo=WIB), "kk", 0, "holiday"),
    (dt.datetime(2026, 11, 30, 9, 0, tzinfo=WIB), "ktp-baru", 5, "quota_full"),
])
def test_the_tile_says_the_ledgers_own_words(
        ledger: Ledger, clock: ManualClock, moment: dt.datetime, service: str, issued: int,
        reason: str) -> None:
    """What the kiosk shows before a tap is, word for word, what the ledger answers after it
    (both read the sentence from shared/indonesian.py)."""
    clock.set(moment)
    for _ in range(issued):
        assert ledger.issue_ticket(service, KIOSK).ok
    result = ledger.issue_ticket(service, KIOSK)
    assert result.refusal is not None and result.refusal.code == reason, result
    svc = ledger.config.services[service]
    shown = service_availability(ledger.config, svc, moment, issued)
    assert shown.reason == reason
    assert shown.message("id", svc.name) == result.refusal.pesan
    assert "datang kembali" in result.refusal.pesan or reason == "not_yet_open"
