"""`antrean config import/export/history` against a real hub process: a new version is
validated, shown as a diff, recorded in the ledger by an admin station; a bad file, a kiosk's
token or a change that strands waiting tickets changes nothing; the exported TOML re-imports
identically; and the hub then starts from its ledger's config, refusing a stale --config."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from shared.ledger import config_log
from shared.station.client import HubClient
from tests.helpers.hub_process import DATA, HubProcess

SMALL = DATA / "small_hall.toml"
NEW_SERVICE = '''
[[services]]
code = "kia"
name = "Kartu Identitas Anak"
agency = "DUKCAPIL"
queue = "KK"
standard_minutes = 9
'''


def antrean(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "antrean", *args], capture_output=True,
                          text=True, timeout=60)


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[HubProcess]:
    h = HubProcess(tmp_path, SMALL)
    h.start()
    try:
        yield h
    finally:
        h.stop()


def config_cli(hub: HubProcess, token: str, *args: str) -> subprocess.CompletedProcess[str]:
    return antrean("config", *args, "--hub", hub.url, "--token", token)


def served_digest(hub: HubProcess, token: str) -> str:
    req = urllib.request.Request(f"{hub.http}/config",
                                 headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(req, timeout=5) as r:
        return config_log.canonical_digest(r.read())


def test_import_export_history_and_restart(hub: HubProcess, tmp_path: Path) -> None:
    admin = hub.enroll("it-pc", "admin")
    kiosk = hub.enroll("kiosk-1", "kiosk")
    new = tmp_path / "hall-v2.toml"
    new.write_text(SMALL.read_text(encoding="utf-8") + NEW_SERVICE, encoding="utf-8")

    # A kiosk's token may not change the hall.
    refused = config_cli(hub, kiosk, "import", str(new))
    assert refused.returncode == 2 and "may not send change_config" in refused.stderr
    # A misspelt key: the loader's line, nothing sent.
    bad = tmp_path / "bad.toml"
    bad.write_text(SMALL.read_text(encoding="utf-8").replace("daily_quota", "daily_qouta"),
                   encoding="utf-8")
    wrong = config_cli(hub, admin, "import", str(bad))
    assert wrong.returncode == 2 and 'did you mean "daily_quota"' in wrong.stderr
    assert "Traceback" not in wrong.stderr
    empty = config_cli(hub, admin, "history")
    assert empty.returncode == 0 and "no hall config yet" in empty.stdout

    done = config_cli(hub, admin, "import", str(new))
    assert done.returncode == 0, done.stderr
    assert '+code = "kia"' in done.stdout and "recorded as config version 2" in done.stdout
    assert served_digest(hub, kiosk) == config_log.canonical_digest(new.read_bytes())

    history = config_cli(hub, admin, "history")
    lines = history.stdout.splitlines()
    assert len(lines) == 2 and "since the start" in lines[0] and "small_hall.toml" in lines[0]
    assert "by it-pc" in lines[1] and lines[1].endswith("(in force)")

    old = config_cli(hub, admin, "export", "--version", "1")
    assert old.stdout == SMALL.read_text(encoding="utf-8")
    exported = tmp_path / "exported.toml"
    assert config_cli(hub, admin, "export", "-o", str(exported)).returncode == 0
    assert exported.read_bytes() == new.read_bytes()
    again = config_cli(hub, admin, "import", str(exported))
    assert again.returncode == 0 and "nothing changed" in again.stdout

    # The ledger's config is the truth: a stale --config is not imported, and does not stop
    # the hall's hub either; the log says what to run instead.
    hub.stop()
    offline = antrean("config", "history", "--ledger", str(hub.ledger))  # a replica the same
    assert offline.returncode == 0 and len(offline.stdout.splitlines()) == 2
    hub.clock = "2026-11-30T10:00:00+07:00"  # later than the change (the clock restarts)
    hub.start()
    assert served_digest(hub, kiosk) == config_log.canonical_digest(new.read_bytes())
    assert hub.log_path is not None
    assert "differs from the hall config in the ledger" in hub.log_path.read_text()
    assert "antrean config import" in hub.log_path.read_text()
    # Without --config at all, the hub serves version 2 the same.
    hub.stop()
    hub.config = None
    hub.start()
    assert served_digest(hub, kiosk) == config_log.canonical_digest(new.read_bytes())


def test_a_change_that_strands_waiting_tickets_needs_yes(hub: HubProcess,
                                                         tmp_path: Path) -> None:
    admin = hub.enroll("it-pc", "admin")
    kiosk = hub.enroll("kiosk-1", "kiosk")

    async def issue(n: int) -> None:
        client = HubClient(hub.url, kiosk)
        await client.start()
        try:
            for _ in range(n):
                result = await client.command("issue_ticket", {"service": "pajak-kendaraan"})
                assert result.ok, result.refusal
        finally:
            await client.close()

    asyncio.run(issue(2))
    text = SMALL.read_text(encoding="utf-8")
    start = text.index('[[services]]\ncode = "pajak-kendaraan"')
    end = text.index("[[counters]]")
    without = tmp_path / "without-samsat-service.toml"
    without.write_text(text[:start] + text[end:], encoding="utf-8")
    asked = config_cli(hub, admin, "import", str(without))
    assert asked.returncode == 3, asked.stderr
    assert "2 tickets are waiting" in asked.stderr and "--yes" in asked.stderr
    with urllib.request.urlopen(urllib.request.Request(
            f"{hub.http}/config/versions", headers={"Authorization": f"Bearer {admin}"}),
            timeout=5) as r:
        assert json.load(r)["versions"] == []
    confirmed = config_cli(hub, admin, "import", str(without), "--yes")
    assert confirmed.returncode == 0, confirmed.stderr
    scheduled = config_cli(hub, admin, "import", str(SMALL), "--from", "2026-12-07")
    assert scheduled.returncode == 0 and "in force from 2026-12-07" in scheduled.stdout
    history = config_cli(hub, admin, "history").stdout.splitlines()
    assert history[1].endswith("(in force)") and "effective from 2026-12-07" in history[2]
