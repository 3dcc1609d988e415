"""The ticket's QR holds its web address: read back as a phone reads it, from the raster
image in the ESC/POS bytes a network printer on 127.0.0.1 receives and from the pixels of the
on-screen ticket, for both paper widths; the address carries the secret the ledger keeps."""

from __future__ import annotations

import logging
from dataclasses import replace
from pathlib import Path

import pytest
from PySide6.QtWidgets import QLabel
from pytestqt.qtbot import QtBot

from kiosk.printing import DummyPrinter, EscposTicketPrinter
from kiosk.ticket import QrCode
from shared.clock import ManualClock
from shared.config import HallConfig
from shared.ticket_url import parse_ticket_ref
from tests.helpers.kiosk_hall import Kiosk, close_kiosk, make_kiosk, screen_text, take_ticket, tap
from tests.helpers.printing import HEALTHY, FakeNetworkPrinter, network
from tests.helpers.qr import RASTER, decode_qr, pixmap_image, printed_qr_texts

PUBLIC = "https://antrean.mpp-uji.example"
HINT = "Pindai untuk memantau antrean"


def with_public_url(config: HallConfig, url: str | None) -> HallConfig:
    return replace(config, mpp=replace(config.mpp, public_url=url))


def printed_jobs(qtbot: QtBot, fake: FakeNetworkPrinter, count: int) -> list[bytes]:
    """The print jobs among the printer's connections (the others only asked its status)."""
    jobs: list[bytes] = []

    def enough() -> bool:
        jobs[:] = [j for j in fake.jobs if RASTER in j]
        return len(jobs) >= count

    qtbot.waitUntil(enough, timeout=5000)
    return jobs


def on_screen_qr(k: Kiosk) -> list[str]:
    qr = k.window.current_screen().findChild(QLabel, "ticket_qr")
    assert qr is not None and qr.isVisible()
    return decode_qr(pixmap_image(qr.pixmap()))


def take_printed(qtbot: QtBot, k: Kiosk, fake: FakeNetworkPrinter, n: int) -> bytes:
    take_ticket(qtbot, k, "DUKCAPIL", "ktp-baru")
    qtbot.waitUntil(lambda: k.core.ticket is not None and k.core.ticket.print_state == "printed",
                    timeout=5000)
    return printed_jobs(qtbot, fake, n)[n - 1]


@pytest.mark.parametrize("paper", ["58mm", "80mm"])
def test_printed_and_on_screen_qr_open_the_tickets_page(
        qtbot: QtBot, tmp_path: Path, small_config: HallConfig, clock: ManualClock,
        paper: str) -> None:
    config = with_public_url(small_config, PUBLIC)
    fake = FakeNetworkPrinter(answers=HEALTHY)
    printer = EscposTicketPrinter(network(fake.port, paper=paper))
    k = make_kiosk(qtbot, tmp_path, config, clock, printer=printer, paper=paper)
    try:
        urls = []
        for n in (1, 2):
            job = take_printed(qtbot, k, fake, n)
            (printed,) = printed_qr_texts(job)
            assert on_screen_qr(k) == [printed]  # one value on paper and on screen
            ref = parse_ticket_ref(printed)
            assert ref is not None and printed.startswith(f"{PUBLIC}/t/")
            assert ref.ticket_id == f"20261130-KTP-00{n}"
            assert ref.secret == k.link.reader.ticket_secret(ref.ticket_id)
            # The words beside the QR are true: it opens a page.
            assert HINT in screen_text(k)
            assert HINT in job.decode("cp437")
            urls.append(printed)
            # Scannable on this paper: the module size the layout rules ask for, not shrunk.
            assert k.core.ticket is not None
            (block,) = [b for b in k.core.ticket.layout.blocks if isinstance(b, QrCode)]
            assert block.module_dots == {"58mm": 6, "80mm": 8}[paper]
            tap(qtbot, k, "done")
        assert urls[0] != urls[1]
    finally:
        close_kiosk(k)
        fake.stop()


def test_without_a_public_url_the_qr_holds_the_id_and_says_nothing_false(
        qtbot: QtBot, tmp_path: Path, small_config: HallConfig, clock: ManualClock,
        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="kiosk.core")
    fake = FakeNetworkPrinter(answers=HEALTHY)
    printer = EscposTicketPrinter(network(fake.port, paper="80mm"))
    k = make_kiosk(qtbot, tmp_path, with_public_url(small_config, None), clock, printer=printer)
    try:
        for n in (1, 2):
            job = take_printed(qtbot, k, fake, n)
            assert printed_qr_texts(job) == [f"ANTREAN:20261130-KTP-00{n}"]
            assert on_screen_qr(k) == [f"ANTREAN:20261130-KTP-00{n}"]
            assert HINT not in screen_text(k) and HINT not in job.decode("cp437")
            tap(qtbot, k, "done")
        said = [r.getMessage() for r in caplog.records if "public_url" in r.getMessage()]
        assert len(said) == 1 and "ANTREAN:" in said[0]
    finally:
        close_kiosk(k)
        fake.stop()


def test_the_secret_is_in_no_kiosk_log_line(
        qtbot: QtBot, tmp_path: Path, small_config: HallConfig, clock: ManualClock,
        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    fake = FakeNetworkPrinter(answers=HEALTHY)
    printer = EscposTicketPrinter(network(fake.port, paper="80mm"))
    k = make_kiosk(qtbot, tmp_path, with_public_url(small_config, PUBLIC), clock,
                   printer=printer)
    try:
        take_printed(qtbot, k, fake, 1)
        assert k.core.ticket is not None
        secret = k.link.reader.ticket_secret(k.core.ticket.ticket_id)
        assert secret and secret in k.core.ticket.qr_payload
        assert "printed a ticket" in caplog.text  # the kiosk did log this ticket
        assert secret not in caplog.text
    finally:
        close_kiosk(k)
        fake.stop()


@pytest.mark.parametrize(("public_url", "holds"), [(PUBLIC, PUBLIC), (None, "ANTREAN:TES")])
def test_the_admins_test_ticket_holds_the_halls_address(
        qtbot: QtBot, tmp_path: Path, small_config: HallConfig, clock: ManualClock,
        public_url: str | None, holds: str) -> None:
    # IT scans it with a phone on the guest Wi-Fi: the web station's start page must open.
    printer = DummyPrinter("80mm")
    k = make_kiosk(qtbot, tmp_path, with_public_url(small_config, public_url), clock,
                   printer=printer)
    try:
        k.core.admin_test_print()
        qtbot.waitUntil(lambda: len(printer.jobs) == 1, timeout=5000)
        assert printed_qr_texts(printer.jobs[0]) == [holds]
        assert k.link.reader.last_seq() == 0  # a test print is no ticket
    finally:
        close_kiosk(k)
