"""The counter's ticket scanner: a USB scanner in keyboard mode types the QR's text and Enter
into the real counter window (real key events through Qt's shortcut handling, QTest). The
ticket's web address and the old ANTREAN: payload both name the ticket; the scan's '.', '-'
and Enter never recall or call anybody; a no-show who comes back is put back with one press."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from counter_client import core as c
from counter_client.app import MAIN_PAGE, NO_SHOW_PAGE, CounterWindow
from counter_client.switchable import SwitchableLink
from shared.clock import ManualClock
from shared.config import HallConfig
from shared.ledger import model as m
from shared.ticket_url import ticket_url
from tests.helpers.counter_hall import TIMEOUT, Hall, activate, click, idle, open_hall

PUBLIC = "https://antrean.mpp-uji.example"


@pytest.fixture(params=["embedded", "hub"])
def hall(request: pytest.FixtureRequest, qtbot: QtBot, tmp_path: Path,
         small_config: HallConfig, clock: ManualClock) -> Iterator[Hall]:
    with open_hall(request.param, qtbot, tmp_path, small_config, clock) as h:
        yield h


def scan(qtbot: QtBot, window: CounterWindow, text: str, enter: bool = True) -> None:
    """What a keyboard-mode scanner does: one key per character, then Enter."""
    qtbot.keyClicks(window, text)
    if enter:
        qtbot.keyClick(window, Qt.Key.Key_Return)


def address(link: SwitchableLink, label: str) -> str:
    ticket_id = f"20261130-{label}"
    secret = link.reader.ticket_secret(ticket_id)
    assert secret is not None
    return ticket_url(PUBLIC, ticket_id, secret)


def sent(link: SwitchableLink) -> list[str]:
    return [kind for kind, _ in link.sent]


def test_a_scan_names_the_ticket_and_fires_no_key_of_the_pad(hall: Hall, qtbot: QtBot) -> None:
    hall.issue("ktp-baru", 3)
    core, window, link = hall.signed_in(1)
    activate(qtbot, window)
    click(qtbot, window, c.CALL_NEXT)
    idle(qtbot, core)
    before = sent(link)

    url = address(link, "KTP-001")
    assert "." in url and "-" in url  # the pad's recall keys, typed by the scanner
    scan(qtbot, window, url)
    assert window.message_label.text() == "Nomor KTP-001 sedang dipanggil di loket ini."
    scan(qtbot, window, address(link, "KTP-003"))
    assert window.message_label.text() == "Nomor KTP-003 masih menunggu: 1 antrean sebelumnya."
    # The old payload still names the ticket.
    scan(qtbot, window, "ANTREAN:20261130-KTP-002")
    assert window.message_label.text() == "Nomor KTP-002 masih menunggu: 0 antrean sebelumnya."
    # Nothing was sent: no recall for '.' or '-', no call for Enter.
    assert sent(link) == before
    assert window.ticket_label.text() == "KTP-001"
    assert core.state.current is not None and core.state.current.ticket.call_count == 1
    # The pad works as before once the scan is over.
    qtbot.keyClick(window, Qt.Key.Key_Period)
    idle(qtbot, core)
    assert sent(link) == [*before, c.RECALL]


def test_a_scan_that_is_no_ticket_of_this_hall_is_refused(hall: Hall, qtbot: QtBot) -> None:
    hall.issue("ktp-baru")
    _core, window, link = hall.signed_in(1)
    activate(qtbot, window)
    before = sent(link)
    real = address(link, "KTP-001")
    forged = real[:-20] + ("0" * 20 if not real.endswith("0" * 20) else "1" * 20)
    scan(qtbot, window, forged)
    assert window.message_label.text() == (
        "Tiket tidak dikenal: tidak ada di catatan antrean aula ini.")
    assert window.message_label.property("kind") == c.ERROR
    scan(qtbot, window, f"{PUBLIC}/t/20261130-KTP-099-{'a' * 20}")
    assert window.message_label.text().startswith("Tiket tidak dikenal")
    scan(qtbot, window, "https://example.com/promo")
    assert window.message_label.text() == "Kode yang dipindai bukan tiket antrean."
    assert sent(link) == before


def test_a_scanned_no_show_is_put_back_with_one_press(hall: Hall, qtbot: QtBot) -> None:
    hall.issue("ktp-baru", 2)
    core, window, link = hall.signed_in(1)
    activate(qtbot, window)
    click(qtbot, window, c.CALL_NEXT)
    idle(qtbot, core)
    click(qtbot, window, c.NO_SHOW)
    idle(qtbot, core)
    click(qtbot, window, c.CALL_NEXT)  # KTP-002 is at the counter now
    idle(qtbot, core)
    before = sent(link)

    scan(qtbot, window, address(link, "KTP-001"))
    assert window.message_label.text() == (
        "Nomor KTP-001 tadi tidak hadir: dapat dikembalikan ke antrean.")
    assert window.stack.currentIndex() == NO_SHOW_PAGE
    assert window.no_show_list.currentItem().data(Qt.ItemDataRole.UserRole) == "20261130-KTP-001"
    assert sent(link) == before  # the scan only chose it
    qtbot.mouseClick(window.no_show_ok, Qt.MouseButton.LeftButton)
    idle(qtbot, core)
    assert window.stack.currentIndex() == MAIN_PAGE
    assert link.reader.ticket("20261130-KTP-001").status == m.WAITING


def test_a_scanner_without_enter_and_a_stray_letter(hall: Hall, qtbot: QtBot) -> None:
    hall.issue("ktp-baru", 2)
    core, window, link = hall.signed_in(1)
    activate(qtbot, window)
    # Some scanners send no Enter after the code: the pause after the last key ends it.
    scan(qtbot, window, address(link, "KTP-002"), enter=False)
    qtbot.waitUntil(lambda: window.message_label.text().startswith("Nomor KTP-002"),
                    timeout=TIMEOUT)
    # A letter typed by mistake is forgotten once the keys stop; then Enter calls again.
    qtbot.keyClicks(window, "q")
    assert window.scanner.scanning
    qtbot.waitUntil(lambda: not window.scanner.scanning, timeout=TIMEOUT)
    before = sent(link)
    qtbot.keyClick(window, Qt.Key.Key_Return)
    idle(qtbot, core)
    assert sent(link) == [*before, c.CALL_NEXT]
    assert window.ticket_label.text() == "KTP-001"


def test_letters_in_a_text_field_are_typed_not_scanned(hall: Hall, qtbot: QtBot) -> None:
    hall.issue("ktp-baru")
    core, window, _link = hall.signed_in(1)
    activate(qtbot, window)
    click(qtbot, window, c.CALL_NEXT)
    idle(qtbot, core)
    click(qtbot, window, c.TRANSFER)
    window.transfer_filter.setFocus()
    qtbot.keyClicks(window.transfer_filter, "bpjs")
    assert window.transfer_filter.text() == "bpjs"
    assert not window.scanner.scanning
