"""`antrean kiosk` arguments: the --printer spec, --hash-pin."""

from __future__ import annotations

import argparse

import pytest

from kiosk import cli
from kiosk.core import pin_matches
from shared.config import ConfigError


def parse(*argv: str) -> argparse.Namespace:
    p = argparse.ArgumentParser()
    cli.add_arguments(p)
    return p.parse_args(list(argv))


def test_printer_specs() -> None:
    assert cli.printer_settings("dummy", "58mm").kind == "dummy"
    f = cli.printer_settings("file:/dev/usb/lp0", "80mm")
    assert (f.kind, f.device, f.paper) == ("file", "/dev/usb/lp0", "80mm")
    n = cli.printer_settings("network:192.168.10.21:9101", "58mm")
    assert (n.kind, n.host, n.port) == ("network", "192.168.10.21", 9101)
    assert cli.printer_settings("network:10.0.0.5", "58mm").port == 9100
    u = cli.printer_settings("usb:0416:5011", "58mm")
    assert (u.kind, u.vendor_id, u.product_id) == ("usb", 0x0416, 0x5011)


@pytest.mark.parametrize("spec", ["laser", "network:host:abc", "usb:zz:5011", "dummy:x",
                                  "file:"])
def test_bad_printer_specs_are_refused_with_a_reason(spec: str) -> None:
    with pytest.raises(ConfigError):
        cli.printer_settings(spec, "58mm")


def test_arguments_and_pin_hash(capsys: pytest.CaptureFixture[str]) -> None:
    args = parse("--ledger", "x.db", "--windowed", "--printer", "network:1.2.3.4",
                 "--paper", "80mm", "--admin-pin", "1234", "--screenshots", "out")
    assert args.windowed and args.paper == "80mm" and args.admin_pin == "1234"
    assert args.screenshots == "out" and args.device == "kiosk-1"
    assert cli.run(parse("--hash-pin", "2468")) == 0
    stored = capsys.readouterr().out.strip()
    assert pin_matches("2468", stored) and not pin_matches("1234", stored)


def test_bad_printer_argument_exits_with_a_message(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.run(parse("--ledger", "x.db", "--printer", "laser")) == 2
    assert "--printer" in capsys.readouterr().err
