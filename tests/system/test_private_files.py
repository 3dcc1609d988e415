"""What the hub and the tools write holds a hall's visitors, token hashes and PIN hashes: every
file they create is 0600 and every folder 0700, even run with a umask of 000 (a shell, cron, a
unit without UMask=). And the replicas of two kiosks, both called replica-kiosk.db, copied to
one backup stick, keep apart under their stations' names."""

from __future__ import annotations

import asyncio
import contextlib
import os
import stat
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from antrean.backup import list_backups, verify_backup
from tests.system.conftest import DATA, HubProcess
from tests.system.raw_station import Raw

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX")

STATION = """
import asyncio, sys
from shared.station.client import HubClient
from shared.station.replica import Replica

async def main() -> None:
    replica = Replica(sys.argv[3])
    client = HubClient(sys.argv[1], sys.argv[2], replica)
    await client.start(timeout=20)
    await asyncio.wait_for(client.caught_up.wait(), 20)
    await client.close()
    replica.close()

asyncio.run(main())
"""


@contextlib.contextmanager
def umask(mask: int) -> Iterator[None]:
    """Children started inside inherit this umask (the test's own files are made by them)."""
    old = os.umask(mask)
    try:
        yield
    finally:
        os.umask(old)


def run(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANTREAN_")}
    with umask(0):
        done = subprocess.run(list(args), cwd=ROOT, env=env, capture_output=True, text=True,
                              timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    return done


def antrean(*args: str) -> subprocess.CompletedProcess[str]:
    return run(sys.executable, "-m", "antrean", *args)


def mode(p: Path) -> int:
    return stat.S_IMODE(p.stat().st_mode)


def sqlite_files(db: Path) -> list[Path]:
    return [p for p in (db, Path(f"{db}-wal"), Path(f"{db}-shm")) if p.exists()]


def test_files_are_private_whatever_the_umask_and_replicas_keep_apart(tmp_path: Path) -> None:
    state = tmp_path / "var" / "antrean"  # neither folder exists yet
    hub = HubProcess(state, DATA / "small_hall.toml")
    enrolled = antrean("hub", "--ledger", str(hub.ledger), "enroll", "--role", "kiosk",
                       "--name", "kiosk-1")
    token1 = enrolled.stdout.split("ANTREAN_TOKEN=")[1].split()[0]
    token2 = antrean("hub", "--ledger", str(hub.ledger), "enroll", "--role", "kiosk",
                     "--name", "kiosk-2").stdout.split("ANTREAN_TOKEN=")[1].split()[0]
    with umask(0):
        hub.start()
    try:
        async def tickets() -> None:
            raw = await Raw.connect(hub, token1)
            try:
                for _ in range(3):
                    reply = await raw.command(uuid.uuid4().hex, "issue_ticket",
                                              service="bpjs-daftar")
                    assert reply is not None and reply["result"]["ok"], reply
            finally:
                await raw.close()

        asyncio.run(tickets())
        # Two kiosk PCs, each with its replica under the same name.
        replicas = []
        for token, pc in ((token1, "pc-a"), (token2, "pc-b")):
            replica = tmp_path / pc / "data" / "replica-kiosk.db"
            run(sys.executable, "-c", STATION, hub.url, token, str(replica))
            replicas.append(replica)
        stick = tmp_path / "media" / "usb" / "antrean"
        antrean("backup", "run", "--ledger", str(hub.ledger), "--also",
                str(state / "hub-auth.db"), "--to", str(stick))

        made = [*sqlite_files(hub.ledger), *sqlite_files(state / "hub-auth.db"),
                state / "hub-tls.key", state / "ledger.db.lock"]
        assert {p.name for p in made} >= {"ledger.db", "ledger.db-wal", "ledger.db-shm",
                                          "hub-auth.db", "hub-tls.key", "ledger.db.lock"}
        for replica in replicas:
            made += sqlite_files(replica)
        for p in made:
            assert mode(p) == 0o600, f"{p} is {mode(p):o}"
        assert mode(state / "hub-tls.crt") == 0o644  # public, but nobody else may replace it
        for folder in (state, state.parent, *(r.parent for r in replicas),
                       *(r.parent.parent for r in replicas), stick, stick.parent):
            assert mode(folder) == 0o700, f"{folder} is {mode(folder):o}"
    finally:
        hub.stop()

    # Each kiosk's replica goes onto the stick twice (the guide's step, run on each PC).
    for replica in replicas + replicas:
        antrean("backup", "run", "--ledger", str(replica), "--to", str(stick), "--keep", "1")
    copies = {p.name.rsplit("-", 2)[0]: p for p in list_backups(stick)
              if p.name.startswith("replica-")}
    assert sorted(copies) == ["replica-kiosk-1", "replica-kiosk-2"]
    for copy in copies.values():
        assert verify_backup(copy).events == 3
    for copy in stick.iterdir():
        assert mode(copy) == 0o600, f"{copy} is {mode(copy):o}"

    restored = tmp_path / "new-hub" / "state" / "ledger.db"
    antrean("backup", "restore", str(copies["replica-kiosk-2"]), "--ledger", str(restored))
    assert mode(restored) == 0o600 and mode(restored.parent) == 0o700
