"""The kiosk admin PIN as docs/install-id.md tells IT to set it: `antrean kiosk --hash-pin`,
then the hash in station.env in single quotes, read as systemd's EnvironmentFile reads it and
taken by the kiosk's real argument parsing as the PIN the admin menu checks."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import pytest

from antrean.cli import main
from antrean.doctor import read_station_env
from kiosk import cli as kiosk_cli
from kiosk.core import pin_matches

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "install-id.md"


def test_the_documented_admin_pin_setup_unlocks_the_menu(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    guide = GUIDE.read_text(encoding="utf-8")
    command = re.search(r"antrean (kiosk --hash-pin \d+)", guide)
    assert command is not None, "the guide shows how to make the hash"
    pin = command[1].split()[-1]
    assert main(command[1].split()) == 0
    made = capsys.readouterr().out.strip()
    assert "$" in made and pin not in made

    documented = re.search(r"^ANTREAN_ADMIN_PIN_HASH='([^']+)'$", guide, re.M)
    assert documented is not None, "the guide shows the station.env line"
    env_file = tmp_path / "station.env"
    env_file.write_text(f"ANTREAN_ADMIN_PIN_HASH='{made}'\n", encoding="utf-8")
    value = read_station_env(env_file)["ANTREAN_ADMIN_PIN_HASH"]
    assert value == made

    monkeypatch.setenv("ANTREAN_ADMIN_PIN_HASH", value)
    parser = argparse.ArgumentParser()
    kiosk_cli.add_arguments(parser)
    args = parser.parse_args([])
    assert pin_matches(pin, args.admin_pin_hash)
    assert not pin_matches("0000", args.admin_pin_hash)
