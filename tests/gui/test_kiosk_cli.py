"""`antrean kiosk` arguments: the --printer address (one grammar, shared with the doctor and the
guides), --no-printer-status, --hash-pin."""

from __future__ import annotations

import argparse
import re
from pathlib import Path
from typing import Any

import pytest

from antrean import cli as antrean_cli
from antrean import doctor
from kiosk import cli
from kiosk.core import pin_matches
from kiosk.printing import PrinterSettings, printer_from_address
from kiosk.printing.printers import NEVER_ANSWERS_HINT
from shared.config import ConfigError

ROOT = Path(__file__).resolve().parents[2]

# Each group: every spelling of one printer, and the settings they all stand for.
SPELLINGS: list[tuple[list[str], dict[str, Any]]] = [
    (["net:192.168.10.21:9100", "network:192.168.10.21:9100", "tcp:192.168.10.21:9100",
      "net:192.168.10.21", "NET:192.168.10.21", "tcp://192.168.10.21:9100",
      " net:192.168.10.21:9100 "],
     {"kind": "network", "host": "192.168.10.21", "port": 9100}),
    (["net:printer-1.hall.lan:9101", "network:printer-1.hall.lan:9101"],
     {"kind": "network", "host": "printer-1.hall.lan", "port": 9101}),
    (["net:[fd00::21]", "tcp:[fd00::21]:9100"], {"kind": "network", "host": "fd00::21",
                                                 "port": 9100}),
    (["usb:04b8:0e15", "usb:04B8:0E15", "usb:0x04b8:0x0e15", "USB:4b8:e15"],
     {"kind": "usb", "vendor_id": 0x04B8, "product_id": 0x0E15}),
    (["serial:/dev/ttyUSB0", "serial:/dev/ttyUSB0,9600"],
     {"kind": "serial", "device": "/dev/ttyUSB0", "baudrate": 9600}),
    (["serial:COM3,19200"], {"kind": "serial", "device": "COM3", "baudrate": 19200}),
    (["file:/dev/usb/lp0"], {"kind": "file", "device": "/dev/usb/lp0"}),
    (["dummy", "DUMMY"], {"kind": "dummy"}),
]
EXAMPLES = [spelling for group, _ in SPELLINGS for spelling in group]
BAD = ["laser", "/dev/usb/lp0", "COM3", "net:", "net:192.168.10.21:abc", "net:host:70000",
       "net:fe80::1:9100", "net:a b", "usb:epson", "usb:04b8", "usb:04b8:0e15:1",
       "serial:", "serial:/dev/ttyS0,1234", "serial:/dev/ttyS0,fast", "file:", "dummy:x",
       "bluetooth:00:11", ""]
FORMS = ("net:HOST[:PORT]", "usb:VENDOR:PRODUCT", "serial:DEVICE[,BAUD]", "file:DEVICE",
         "dummy")


def parse(*argv: str) -> argparse.Namespace:
    p = argparse.ArgumentParser()
    cli.add_arguments(p)
    return p.parse_args(list(argv))


@pytest.mark.parametrize(("spellings", "expected"), SPELLINGS)
def test_every_spelling_of_a_printer_gives_the_same_settings(
    spellings: list[str], expected: dict[str, Any]
) -> None:
    found = {printer_from_address(s, "80mm") for s in spellings}
    assert len(found) == 1, found
    (settings,) = found
    assert {key: getattr(settings, key) for key in expected} == expected
    assert settings.paper == "80mm" and settings.status_check is True


@pytest.mark.parametrize("address", BAD)
def test_a_bad_address_gets_one_line_naming_the_accepted_forms(address: str) -> None:
    with pytest.raises(ConfigError) as err:
        printer_from_address(address)
    message = str(err.value)
    assert "\n" not in message and message.startswith(f'--printer "{address}": ')
    assert all(form in message for form in FORMS), message


def test_doctor_reads_addresses_with_the_kiosks_own_function() -> None:
    for address in EXAMPLES:
        assert doctor.printer_from_address(address) == printer_from_address(address)
    for address in filter(None, BAD):  # the doctor reads an empty --printer as none given
        with pytest.raises(ValueError) as kiosk_err:
            printer_from_address(address)
        result = doctor.check_printer(address)
        assert result.status is doctor.Status.FAIL and result.detail == str(kiosk_err.value)


def documented_printer_addresses() -> list[tuple[str, str]]:
    """Every `--printer X` in the README, the guides and deploy/."""
    files = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")),
             *sorted(p for p in (ROOT / "deploy").rglob("*") if p.is_file())]
    found = []
    for path in files:
        for match in re.finditer(r"--printer[ =]([^\s`\"')]+)", path.read_text("utf-8")):
            found.append((str(path.relative_to(ROOT)), match[1].rstrip(",.;:")))
    return found


def test_every_documented_printer_address_is_accepted_by_kiosk_and_doctor() -> None:
    found = documented_printer_addresses()
    where = {f for f, _ in found}
    assert {"README.md", "docs/install-id.md", "docs/windows.md",
            "deploy/stations/kiosk.env"} <= where
    assert any(a.startswith("net:") for _, a in found)
    assert any(a.startswith("serial:") for _, a in found)
    assert ("deploy/udev/99-antrean-printer.rules", "usb:0483:5743") in found
    for path, address in found:
        settings = printer_from_address(address)
        assert doctor.printer_from_address(address) == settings, (path, address)


def test_documented_network_command_line_gets_past_argument_and_settings_parsing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    started: list[PrinterSettings] = []

    def run_gui(args: argparse.Namespace, settings: PrinterSettings) -> int:
        # Stands in for the window and the hub connection, which this test does not open.
        started.append(settings)
        return 0

    monkeypatch.setattr(cli, "_run_gui", run_gui)
    argv = ["kiosk", "--hub", "wss://192.168.10.2:8470", "--hub-fingerprint", "ab" * 32,
            "--token", "T", "--device", "kiosk-1", "--printer", "net:192.168.10.21:9100",
            "--paper", "80mm"]
    assert antrean_cli.main(argv) == 0
    (settings,) = started
    assert (settings.kind, settings.host, settings.port, settings.paper) == (
        "network", "192.168.10.21", 9100, "80mm")
    assert settings.status_check is True
    assert antrean_cli.main([*argv, "--no-printer-status"]) == 0
    assert started[-1].status_check is False


def test_bad_printer_argument_exits_with_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(cli, "_run_gui", lambda *a: pytest.fail("the kiosk must not start"))
    assert antrean_cli.main(["kiosk", "--ledger", "x.db", "--printer", "laser"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith('antrean kiosk: --printer "laser": ')
    assert "net:HOST[:PORT]" in err and "Traceback" not in err


def test_the_hint_for_a_silent_printer_names_a_real_kiosk_option() -> None:
    flag = "--no-printer-status"
    assert flag in NEVER_ANSWERS_HINT
    assert cli.printer_settings(parse("--printer", "net:192.168.10.21", flag)).status_check is False
    assert cli.printer_settings(parse("--printer", "net:192.168.10.21")).status_check is True


def test_arguments_and_pin_hash(capsys: pytest.CaptureFixture[str]) -> None:
    args = parse("--ledger", "x.db", "--windowed", "--printer", "net:1.2.3.4",
                 "--paper", "80mm", "--admin-pin", "1234", "--screenshots", "out")
    assert args.windowed and args.paper == "80mm" and args.admin_pin == "1234"
    assert args.screenshots == "out" and args.device == "kiosk-1" and args.printer_status
    assert cli.printer_settings(args).host == "1.2.3.4"
    assert cli.run(parse("--hash-pin", "2468")) == 0
    stored = capsys.readouterr().out.strip()
    assert pin_matches("2468", stored) and not pin_matches("1234", stored)
