"""Printing the ticket: ESC/POS bytes, PNG preview, printer settings and backends.

Network printers are exercised against real TCP sockets on 127.0.0.1: a fake printer that answers
status queries like an ESC/POS printer, one that accepts but never answers, and a closed port.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import qrcode
import qrcode.constants
from PIL import Image

from kiosk.printing import (
    DummyPrinter,
    EscposTicketPrinter,
    PrinterError,
    PrinterSettings,
    PrinterStatus,
    make_printer,
    parse_status,
    printable_text,
    printer_from_address,
    printer_settings_from_mapping,
    render_escpos,
    render_png,
)
from kiosk.ticket import BigNumber, QrCode, TicketLayout, layout_ticket
from shared.config import ConfigError
from tests.helpers.printing import (
    HEALTHY,
    FakeNetworkPrinter,
    closed_port,
    network,
    sample_content,
)

GOLDEN = Path(__file__).resolve().parent.parent / "golden"
DLE_EOT_1 = b"\x10\x04\x01"
DLE_EOT_4 = b"\x10\x04\x04"


# --- a strict reader of the ESC/POS we emit ------------------------------------------------


def parse_escpos(data: bytes) -> list[tuple[Any, ...]]:
    """Split ESC/POS into commands and text lines; fail on anything unexpected.

    Any byte below 0x20 outside a known command would reach paper as garbage or act as a command
    nobody meant, which is how "escape codes printed as text" happens.
    """
    out: list[tuple[Any, ...]] = []
    text = bytearray()
    i = 0
    one_arg = {b"\x1b@": None, b"\x1bt": "codepage", b"\x1bE": "bold", b"\x1ba": "align",
               b"\x1bd": "feed", b"\x1b!": "mode", b"\x1d!": "size", b"\x1dV": "cut"}
    while i < len(data):
        two = data[i:i + 2]
        if two == b"\x1b@":
            out.append(("init",))
            i += 2
        elif two in one_arg:
            out.append((one_arg[two], data[i + 2]))
            i += 3
        elif data[i:i + 3] == b"\x1dv0":
            wb = data[i + 4] | data[i + 5] << 8
            h = data[i + 6] | data[i + 7] << 8
            out.append(("raster", wb, h, data[i + 8:i + 8 + wb * h]))
            i += 8 + wb * h
        elif data[i:i + 3] == b"\x1d(k":
            n = data[i + 3] | data[i + 4] << 8
            out.append(("2d", data[i + 5:i + 5 + n]))
            i += 5 + n
        elif data[i] == 0x0A:
            out.append(("line", bytes(text).decode("cp437")))
            text.clear()
            i += 1
        elif data[i] >= 0x20 and data[i] != 0x7F:
            text.append(data[i])
            i += 1
        else:
            raise AssertionError(f"stray control byte {data[i]:#04x} at {i}: {data[i:i + 8]!r}")
    assert not text, f"text without a line feed at the end: {bytes(text)!r}"
    return out


def printed_lines(data: bytes) -> list[str]:
    return [t[1] for t in parse_escpos(data) if t[0] == "line" and t[1].strip("- ")]


def layout_for(paper: str, **changes: object) -> TicketLayout:
    return layout_ticket(sample_content(**changes), paper)  # type: ignore[arg-type]


# --- ESC/POS -------------------------------------------------------------------------------


@pytest.mark.parametrize("paper", ["58mm", "80mm"])
def test_escpos_matches_golden_file(paper: str) -> None:
    data = render_escpos(layout_for(paper), profile=None, qr_native=False)
    golden = GOLDEN / f"ticket_{paper}.bin"
    if os.environ.get("ANTREAN_UPDATE_GOLDEN") == "1":
        # Regenerate with: ANTREAN_UPDATE_GOLDEN=1 .venv/bin/python -m pytest
        # tests/unit/test_printing.py -k golden  -- then review `git diff --stat` and the
        # printed_lines() of the new file before committing it.
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_bytes(data)
    assert data == golden.read_bytes(), "ESC/POS output changed; see the comment above"


@pytest.mark.parametrize("paper", ["58mm", "80mm"])
def test_golden_file_reads_back_as_the_tickets_words(paper: str) -> None:
    data = (GOLDEN / f"ticket_{paper}.bin").read_bytes()
    layout = layout_for(paper)
    assert printed_lines(data) == [printable_text(t) for t in layout.text_lines()]
    tokens = parse_escpos(data)
    assert tokens[0] == ("init",)
    assert ("codepage", 0) in tokens  # CP437 pinned before any text
    assert tokens[-1] == ("cut", 0)


@pytest.mark.parametrize(("paper", "scale"), [("58mm", 4), ("80mm", 6)])
def test_number_is_printed_magnified(paper: str, scale: int) -> None:
    tokens = parse_escpos(render_escpos(layout_for(paper)))
    at = tokens.index(("line", "KTP-023"))
    size = [t for t in tokens[:at] if t[0] == "size"][-1]
    # GS ! n: high nibble = width - 1, low nibble = height - 1.
    assert size == ("size", (scale - 1) << 4 | (scale - 1))
    after = tokens[at + 1:]
    # The next line is set to its own size (normal width) rather than inheriting the number's.
    assert next(t for t in after if t[0] == "size")[1] >> 4 == 0


def test_wait_sign_is_printed_in_cp437_and_dash_as_ascii() -> None:
    lines = printed_lines(render_escpos(layout_for("80mm")))
    assert "Perkiraan waktu tunggu: ± 25 menit" in lines  # 0xF1 in CP437
    unknown = printed_lines(render_escpos(layout_for("80mm", estimated_wait_minutes=None)))
    assert "Perkiraan waktu tunggu: -" in unknown


def test_control_characters_in_names_never_reach_the_printer_as_commands() -> None:
    data = render_escpos(layout_for("80mm", agency_name="Dinas\x1b@ Kesehatan\x07 é 漢"))
    lines = printed_lines(data)  # parse_escpos fails on any stray control byte
    # ESC and BEL become spaces; é is in CP437; a CJK character becomes "?".
    assert "Dinas @ Kesehatan  é ?" in lines
    assert parse_escpos(data).count(("init",)) == 1


@pytest.mark.parametrize(
    ("text", "printed"),
    [("± 25 menit", "± 25 menit"), ("—", "-"), ("Café", "Café"), ("Şakir", "Sakir"),
     ("a\tb\x1bc", "a b c"), ("漢", "?"), ("“kutip”", '"kutip"')],
)
def test_printable_text(text: str, printed: str) -> None:
    assert printable_text(text) == printed


def library_matrix(qr: QrCode) -> tuple[tuple[bool, ...], ...]:
    """The symbol straight from the qrcode library, as a phone would expect to read it."""
    assert qr.error_level == "M"
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=4)
    code.add_data(qr.payload)
    code.make(fit=True)
    return tuple(tuple(row) for row in code.get_matrix())


def _qr_block(layout: TicketLayout) -> QrCode:
    (qr,) = [b for b in layout.blocks if isinstance(b, QrCode)]
    return qr


def test_native_qr_sends_the_payload_to_the_printer() -> None:
    layout = layout_for("58mm")
    tokens = parse_escpos(render_escpos(layout, qr_native=True))
    codes = [t[1] for t in tokens if t[0] == "2d"]
    payload = _qr_block(layout).payload.encode()
    assert b"1P0" + payload in codes  # GS ( k store data, QR symbol
    assert b"1C" + bytes([_qr_block(layout).module_dots]) in codes  # module size
    assert not [t for t in tokens if t[0] == "raster"]


@pytest.mark.parametrize("paper", ["58mm", "80mm"])
def test_qr_image_carries_the_same_modules_as_the_qr_library(paper: str) -> None:
    layout = layout_for(paper)
    qr = _qr_block(layout)
    (raster,) = [t for t in parse_escpos(render_escpos(layout)) if t[0] == "raster"]
    _, width_bytes, height, bits = raster
    assert width_bytes * 8 == layout.dot_width
    matrix = library_matrix(qr)
    m, n = qr.module_dots, len(matrix)
    assert height == n * m
    left = (layout.dot_width - n * m) // 2

    def dot(x: int, y: int) -> bool:
        return bool(bits[y * width_bytes + x // 8] >> (7 - x % 8) & 1)

    seen = tuple(tuple(dot(left + c * m + m // 2, r * m + m // 2) for c in range(n))
                 for r in range(n))
    assert seen == matrix


def test_profile_without_cutter_only_feeds() -> None:
    tokens = parse_escpos(render_escpos(layout_for("58mm"), profile="POS-5890"))
    assert not [t for t in tokens if t[0] == "cut"]
    assert ("feed", 6) in tokens


# --- PNG preview ---------------------------------------------------------------------------


def _dark(img: Image.Image) -> tuple[bytes, int, int]:
    grey = img.convert("L")
    return grey.tobytes(), grey.width, grey.height


def _find_qr_top(img: Image.Image, qr: QrCode) -> int:
    """Row where the QR symbol (quiet zone included) starts, found from its finder patterns."""
    px, w, h = _dark(img)
    n, m = len(library_matrix(qr)), qr.module_dots
    left = (w - n * m) // 2
    finder_l = range(left + 4 * m, left + 11 * m)
    finder_r = range(left + (n - 11) * m, left + (n - 4) * m)
    for y in range(h):
        row = px[y * w:(y + 1) * w]
        if (all(row[x] < 128 for x in finder_l) and all(row[x] < 128 for x in finder_r)
                and row[left + 4 * m - 1] >= 128):
            return y - 4 * m
    raise AssertionError("no QR finder patterns in the preview")


def _tallest_run(px: bytes, w: int, y0: int, y1: int) -> tuple[int, int]:
    """Longest vertical run of dark dots between rows y0 and y1, and the row it ends on."""
    best, best_end = 0, y0
    for x in range(w):
        run = 0
        for y in range(y0, y1):
            if px[y * w + x] < 128:
                run += 1
                if run > best:
                    best, best_end = run, y
            else:
                run = 0
    return best, best_end


@pytest.mark.parametrize(("paper", "width"), [("58mm", 384), ("80mm", 576)])
def test_preview_has_the_papers_dot_width(paper: str, width: int) -> None:
    img = render_png(layout_for(paper))
    assert img.width == width
    assert img.mode == "1"
    assert img.height > 2 * width  # a ticket, not a blank strip


@pytest.mark.parametrize("paper", ["58mm", "80mm"])
def test_preview_qr_has_the_same_modules_as_the_qr_library(paper: str) -> None:
    layout = layout_for(paper)
    qr = _qr_block(layout)
    img = render_png(layout)
    top = _find_qr_top(img, qr)
    px, w, _ = _dark(img)
    matrix = library_matrix(qr)
    m, n = qr.module_dots, len(matrix)
    left = (w - n * m) // 2
    seen = tuple(tuple(px[(top + r * m + m // 2) * w + left + c * m + m // 2] < 128
                       for c in range(n)) for r in range(n))
    assert seen == matrix


@pytest.mark.parametrize("paper", ["58mm", "80mm"])
def test_preview_draws_the_number_much_larger_than_anything_else(paper: str) -> None:
    layout = layout_for(paper)
    (big,) = [b for b in layout.blocks if isinstance(b, BigNumber)]
    img = render_png(layout)
    px, w, _ = _dark(img)
    qr_top = _find_qr_top(img, _qr_block(layout))
    tallest, end = _tallest_run(px, w, 0, qr_top)
    cell = 24 * big.height
    # Capital letters fill about 70 % of a cell; 50 % leaves room for font differences.
    assert tallest >= cell // 2
    band = range(end - tallest + 1, end + 1)
    dark = sum(1 for y in band for x in range(w) if px[y * w + x] < 128)
    assert dark / (len(band) * w) > 0.12  # thick strokes across most of the width
    # Everything else above the QR code, the double-height lines included, is far smaller.
    above, _ = _tallest_run(px, w, 0, band.start - 1)
    below, _ = _tallest_run(px, w, band.stop + 1, qr_top)
    assert max(above, below) * 1.5 <= tallest


@pytest.mark.parametrize("paper", ["58mm", "80mm"])
def test_docs_preview_is_current(paper: str) -> None:
    img = render_png(layout_for(paper))
    doc = Path(__file__).resolve().parents[2] / "docs" / f"ticket-preview-{paper}.png"
    if os.environ.get("ANTREAN_UPDATE_GOLDEN") == "1":
        img.save(doc, optimize=True)
    with Image.open(doc) as saved:
        assert (saved.mode, saved.size) == (img.mode, img.size)
        assert saved.tobytes() == img.tobytes(), "docs preview is stale; see the golden test"


# --- settings ------------------------------------------------------------------------------


def test_settings_for_each_kind() -> None:
    usb = printer_settings_from_mapping(
        {"kind": "usb", "vendor_id": "0416", "product_id": 0x5011}, "kiosk.toml")
    assert (usb.vendor_id, usb.product_id, usb.in_ep, usb.out_ep) == (0x0416, 0x5011, 0x82, 0x01)
    assert usb.paper == "58mm" and usb.qr_native is False and usb.timeout == 3.0
    net = printer_settings_from_mapping(
        {"kind": "network", "host": "192.168.10.21", "paper": "80mm", "profile": "TM-T20II",
         "qr_native": True, "timeout": 1.5}, "kiosk.toml")
    assert (net.host, net.port, net.paper, net.profile, net.timeout) == (
        "192.168.10.21", 9100, "80mm", "TM-T20II", 1.5)
    assert net.describe() == "network printer 192.168.10.21:9100"
    ser = printer_settings_from_mapping(
        {"kind": "serial", "device": "/dev/ttyUSB0", "baudrate": 115200}, "kiosk.toml")
    assert (ser.device, ser.baudrate) == ("/dev/ttyUSB0", 115200)
    dev = printer_settings_from_mapping({"kind": "file", "device": "/dev/usb/lp0"}, "k.toml")
    assert dev.device == "/dev/usb/lp0"
    assert printer_settings_from_mapping({"kind": "dummy"}, "k.toml").kind == "dummy"


@pytest.mark.parametrize(
    ("data", "field", "problem"),
    [
        ({}, "printer.kind", "is required"),
        ({"kind": "bluetooth"}, "printer.kind", "must be one of"),
        ({"kind": "network"}, "printer.host", "is required"),
        ({"kind": "network", "host": "h", "port": 70000}, "printer.port", "between 1 and 65535"),
        ({"kind": "network", "host": "h", "port": True}, "printer.port", "whole number"),
        ({"kind": "network", "host": "h", "vendor_id": 1}, "printer.vendor_id", "unknown field"),
        ({"kind": "network", "host": "h", "timeout": "3"}, "printer.timeout", "seconds"),
        ({"kind": "network", "host": "h", "timeout": 0}, "printer.timeout", "between"),
        ({"kind": "usb", "product_id": 1}, "printer.vendor_id", "lsusb"),
        ({"kind": "usb", "vendor_id": "xyz", "product_id": 1}, "printer.vendor_id",
         "hexadecimal"),
        ({"kind": "usb", "vendor_id": 1, "product_id": 1, "interface": 1}, "printer.interface",
         "interface 0"),
        ({"kind": "serial", "device": "/dev/ttyS0", "baudrate": 1234}, "printer.baudrate",
         "9600"),
        ({"kind": "file"}, "printer.device", "is required"),
        ({"kind": "dummy", "paper": "A4"}, "printer.paper", '"58mm" or "80mm"'),
        ({"kind": "dummy", "profile": "TM-X999"}, "printer.profile", "not a python-escpos"),
        ({"kind": "dummy", "paper": "80mm", "profile": "TM-T88V"}, "printer.paper",
         "512 dots"),
        ({"kind": "dummy", "profile": "POS-5890", "qr_native": True}, "printer.qr_native",
         "natively"),
        ({"kind": "dummy", "qr_native": "yes"}, "printer.qr_native", "true or false"),
    ],
)
def test_settings_errors_name_the_field(data: dict[str, Any], field: str, problem: str) -> None:
    with pytest.raises(ConfigError) as err:
        printer_settings_from_mapping(data, "kiosk.toml")
    assert err.value.source == "kiosk.toml"
    assert err.value.field_path == field
    assert problem in err.value.problem


# --- status --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("online", "paper", "status"),
    [
        (b"\x12", b"\x12", PrinterStatus.OK),
        (b"\x12", b"\x1e", PrinterStatus.PAPER_LOW),
        (b"\x1a", b"\x72", PrinterStatus.PAPER_OUT),  # off line because the paper ran out
        (b"\x1a", b"\x12", PrinterStatus.OFFLINE),  # e.g. cover open
        (b"", b"", PrinterStatus.UNKNOWN),  # empty reply is not "paper OK"
        (None, None, PrinterStatus.UNKNOWN),  # no reply at all
        (b"\x12", b"", PrinterStatus.UNKNOWN),  # online, but nothing said about paper
        (b"\xff", b"\x12", PrinterStatus.UNKNOWN),  # not a status byte
    ],
)
def test_parse_status(online: bytes | None, paper: bytes | None, status: PrinterStatus) -> None:
    assert parse_status(online, paper) is status


@pytest.fixture
def fake_printer_factory() -> Iterator[Any]:
    made: list[FakeNetworkPrinter] = []

    def make(**kwargs: Any) -> FakeNetworkPrinter:
        made.append(FakeNetworkPrinter(**kwargs))
        return made[-1]

    yield make
    for p in made:
        p.stop()


def test_network_printer_receives_exactly_the_rendered_bytes(fake_printer_factory: Any) -> None:
    fake = fake_printer_factory(answers=HEALTHY)
    printer = EscposTicketPrinter(network(fake.port))
    layout = layout_for("58mm")
    printer.print_ticket(layout)
    (job,) = fake.wait_for_jobs(1)
    assert job == DLE_EOT_1 + DLE_EOT_4 + render_escpos(layout, None, False)
    printer.close()


def test_network_printer_without_status_check_sends_only_the_ticket(
    fake_printer_factory: Any,
) -> None:
    fake = fake_printer_factory(answers=None)  # a print server that never answers
    printer = EscposTicketPrinter(network(fake.port, status_check=False, qr_native=True))
    layout = layout_for("58mm")
    printer.print_ticket(layout)
    assert fake.wait_for_jobs(1) == [render_escpos(layout, None, True)]


@pytest.mark.parametrize(
    ("answers", "status"),
    [
        (HEALTHY, PrinterStatus.OK),
        ({1: b"\x12", 4: b"\x1e"}, PrinterStatus.PAPER_LOW),
        ({1: b"\x1a", 4: b"\x72"}, PrinterStatus.PAPER_OUT),
        ({1: b"\x1a", 4: b"\x12"}, PrinterStatus.OFFLINE),
        # Noise is not an answer: whatever sits at that address is not a printer that talks.
        ({1: b"\xff", 4: b"\x12"}, PrinterStatus.UNREACHABLE),
        ({1: b"\x12", 4: b""}, PrinterStatus.UNREACHABLE),
    ],
)
def test_network_printer_status(fake_printer_factory: Any, answers: dict[int, bytes],
                                status: PrinterStatus) -> None:
    fake = fake_printer_factory(answers=answers)
    assert EscposTicketPrinter(network(fake.port)).status() is status


def test_printer_that_hangs_up_on_a_status_query_is_unreachable(
    fake_printer_factory: Any,
) -> None:
    fake = fake_printer_factory(hang_up=True)
    printer = EscposTicketPrinter(network(fake.port))
    assert printer.status() is PrinterStatus.UNREACHABLE
    with pytest.raises(PrinterError, match=r"no usable answer.*--no-printer-status"):
        printer.print_ticket(layout_for("58mm"))


@pytest.mark.parametrize(
    ("answers", "reason"),
    [({1: b"\x1a", 4: b"\x72"}, "out of paper"), ({1: b"\x1a", 4: b"\x12"}, "off line")],
)
def test_printer_in_trouble_gets_no_ticket(fake_printer_factory: Any, answers: dict[int, bytes],
                                           reason: str) -> None:
    fake = fake_printer_factory(answers=answers)
    with pytest.raises(PrinterError, match=reason):
        EscposTicketPrinter(network(fake.port)).print_ticket(layout_for("58mm"))
    (job,) = fake.wait_for_jobs(1)
    assert job == DLE_EOT_1 + DLE_EOT_4  # asked, and sent nothing after the bad news


def test_silent_network_printer_is_given_up_on_quickly(fake_printer_factory: Any) -> None:
    fake = fake_printer_factory(answers=None)
    printer = EscposTicketPrinter(network(fake.port))
    start = time.monotonic()
    with pytest.raises(PrinterError) as err:
        printer.print_ticket(layout_for("58mm"))
    # The reason names the one thing IT staff can change: a flag of `antrean kiosk`.
    assert str(err.value) == (
        f"network printer 127.0.0.1:{fake.port} did not answer a status query within 0.5 s "
        "(if this printer never answers status queries, start the kiosk with "
        "--no-printer-status)")
    assert time.monotonic() - start < 2.0
    start = time.monotonic()
    assert printer.status() is PrinterStatus.UNREACHABLE
    assert time.monotonic() - start < 2.0
    # Both attempts hung up rather than leaving a half-open connection behind.
    assert fake.wait_for_jobs(2) == [DLE_EOT_1, DLE_EOT_1]


def test_printer_that_never_answers_can_be_used_without_status_queries(
    fake_printer_factory: Any,
) -> None:
    fake = fake_printer_factory(answers=None)  # a print server that never answers
    printer = EscposTicketPrinter(printer_from_address(f"net:127.0.0.1:{fake.port}",
                                                       status_check=False))
    start = time.monotonic()
    # Reachable, and all it can say: no staff line about a printer that is fine.
    assert printer.status() is PrinterStatus.UNKNOWN
    assert time.monotonic() - start < 1.0
    printer.print_ticket(layout_for("58mm"))
    assert fake.wait_for_jobs(2)[-1] == render_escpos(layout_for("58mm"))


def test_closed_port_fails_fast_with_a_clear_reason() -> None:
    printer = EscposTicketPrinter(network(closed_port()))
    start = time.monotonic()
    with pytest.raises(PrinterError, match="refused the connection"):
        printer.print_ticket(layout_for("58mm"))
    assert printer.status() is PrinterStatus.UNREACHABLE
    assert time.monotonic() - start < 2.0


def test_ticket_for_other_paper_is_refused() -> None:
    printer = EscposTicketPrinter(network(closed_port()))
    with pytest.raises(PrinterError, match="laid out for 80mm"):
        printer.print_ticket(layout_for("80mm"))


def test_profile_narrower_than_the_layout_is_a_printer_error() -> None:
    # Settings parsing refuses this combination; a hand-made PrinterSettings still fails cleanly.
    settings = PrinterSettings(kind="network", host="127.0.0.1", port=closed_port(),
                               paper="80mm", profile="TM-T88V")
    with pytest.raises(PrinterError, match="cannot be rendered for profile TM-T88V"):
        EscposTicketPrinter(settings).print_ticket(layout_for("80mm"))


# --- other backends ------------------------------------------------------------------------


def test_file_printer_writes_the_rendered_bytes(tmp_path: Path) -> None:
    device = tmp_path / "lp0"
    device.touch()
    printer = EscposTicketPrinter(
        printer_settings_from_mapping({"kind": "file", "device": str(device)}, "test"))
    layout = layout_for("58mm")
    printer.print_ticket(layout)
    printer.print_ticket(layout)
    printer.close()
    assert device.read_bytes() == render_escpos(layout) * 2
    # A device opened write-only cannot say how it is: unknown, not "ok".
    assert printer.status() is PrinterStatus.UNKNOWN
    printer.close()


def test_missing_device_file_is_a_clear_error(tmp_path: Path) -> None:
    printer = EscposTicketPrinter(printer_settings_from_mapping(
        {"kind": "file", "device": str(tmp_path / "no" / "lp0")}, "test"))
    with pytest.raises(PrinterError, match="does not exist"):
        printer.print_ticket(layout_for("58mm"))
    assert printer.status() is PrinterStatus.UNREACHABLE


def test_absent_usb_printer_is_a_printer_error() -> None:
    printer = EscposTicketPrinter(printer_settings_from_mapping(
        {"kind": "usb", "vendor_id": "0001", "product_id": "0001"}, "test"))
    with pytest.raises(PrinterError, match="USB printer 0001:0001"):
        printer.print_ticket(layout_for("58mm"))
    assert printer.status() is PrinterStatus.UNREACHABLE


def test_dummy_printer_keeps_the_bytes_and_can_be_told_to_fail() -> None:
    layout = layout_for("80mm")
    printer = make_printer(printer_settings_from_mapping(
        {"kind": "dummy", "paper": "80mm", "qr_native": True}, "test"))
    assert isinstance(printer, DummyPrinter)
    printer.print_ticket(layout)
    assert printer.jobs == [render_escpos(layout, None, True)]
    assert printer.status() is PrinterStatus.OK
    failing = DummyPrinter(fail_with="cover open", status=PrinterStatus.OFFLINE)
    with pytest.raises(PrinterError, match="cover open"):
        failing.print_ticket(layout)
    assert failing.jobs == []
    assert failing.status() is PrinterStatus.OFFLINE


# --- udev rules ----------------------------------------------------------------------------


def test_udev_rules_are_well_formed_and_grant_group_lp() -> None:
    rules = Path(__file__).resolve().parents[2] / "deploy" / "udev" / "99-antrean-printer.rules"
    lines = [ln for ln in rules.read_text().splitlines() if ln.strip() and not ln.startswith("#")]
    assert len(lines) >= 5
    pair = re.compile(r'^[A-Z_]+(\{[A-Za-z_]+\})?(==|\+?=)"[^"]*"$')
    vendors = set()
    for line in lines:
        parts = [p.strip() for p in line.split(",")]
        assert all(pair.match(p) for p in parts), line
        assert 'GROUP="lp"' in parts and 'MODE="0660"' in parts, line
        vendor = re.search(r'ATTR\{idVendor\}=="([0-9a-f]{4})"', line)
        assert vendor, line
        vendors.add(vendor.group(1))
    assert {"04b8", "0416", "0fe6", "1fc9", "28e9"} <= vendors
    # What it tells IT staff to do exists in the documented setup: the kiosk's --printer in
    # ANTREAN_ARGS of /etc/antrean/station.env, and the unit that runs the kiosk.
    text = rules.read_text()
    assert "[printer]" not in text and "kind =" not in text and "station config" not in text
    assert "ANTREAN_ARGS of /etc/antrean/station.env" in text
    for unit in re.findall(r"systemctl restart (\S+)", text):
        template = re.sub(r"@[^.]*", "@", unit)
        assert (rules.parents[1] / "systemd" / f"{template}.service").exists(), unit
    for address in re.findall(r"--printer (\S+)", text):
        printer_from_address(address.rstrip(",.)"))
