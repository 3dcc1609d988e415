"""The hub holds its ledger for its lifetime (an OS lock on `<ledger>.lock`), and every tool that
replaces or rewrites a ledger refuses while it does: a restore under a running hub moved the
file aside while the hub kept acknowledging tickets into it. The lock is the kernel's, so a
hub killed with SIGKILL leaves nothing behind that blocks the next restore."""

from __future__ import annotations

import asyncio
import hashlib
import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

from shared.ledger.projection import ledger_hash
from shared.ledger.store import connect
from tests.system.conftest import DATA, HubProcess
from tests.system.raw_station import Raw

ROOT = Path(__file__).resolve().parents[2]
SMALL_HALL = DATA / "small_hall.toml"


def antrean(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANTREAN_")}
    return subprocess.run([sys.executable, "-m", "antrean", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60, check=False)


def issue(hub: HubProcess, n: int) -> None:
    token = hub.enroll(f"kiosk-{n}", "kiosk")

    async def go() -> None:
        raw = await Raw.connect(hub, token)
        try:
            for _ in range(n):
                reply = await raw.command(uuid.uuid4().hex, "issue_ticket", service="bpjs-daftar")
                assert reply is not None and reply["result"]["ok"], reply
        finally:
            await raw.close()

    asyncio.run(go())


def history(ledger: Path) -> str:
    conn = connect(ledger, readonly=True)
    try:
        return ledger_hash(conn)
    finally:
        conn.close()


def files_beside(ledger: Path) -> dict[str, str]:
    """Every file in the ledger's folder, by content: what a refused tool must leave as it
    found it. Only by name for what the running hub writes itself meanwhile: its log, the -shm
    index (which readers write) and its auth store (each station's last seen)."""
    def own(p: Path) -> bool:
        return p.name in ("hub.log", "ledger.db-shm") or p.name.startswith("hub-auth.db")
    return {p.name: "" if own(p) else hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(ledger.parent.iterdir()) if p.is_file()}


def backup_of(hub: HubProcess, folder: Path) -> Path:
    done = antrean("backup", "run", "--ledger", str(hub.ledger), "--to", str(folder))
    assert done.returncode == 0, done.stderr
    return Path(done.stdout.strip())


def test_restore_force_is_refused_while_the_hub_runs_and_works_after_a_kill(
        hub: HubProcess, tmp_path: Path) -> None:
    hub.start()
    issue(hub, 3)
    copy = backup_of(hub, tmp_path / "backups")
    issue(hub, 4)  # acknowledged after the copy: what a restore under the hub would lose
    before, files = history(hub.ledger), files_beside(hub.ledger)

    done = antrean("backup", "restore", str(copy), "--ledger", str(hub.ledger), "--force")

    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert "in use by the hub (pid" in lines[0]
    assert "stop the hub first: systemctl stop antrean-hub" in lines[0]
    assert history(hub.ledger) == before
    assert files_beside(hub.ledger) == files  # nothing moved aside, nothing added
    # The hub never noticed: it still serves, and still writes into the same ledger.
    issue(hub, 5)
    assert hub.health()["last_seq"] == 3 + 4 + 5

    hub.kill()
    done = antrean("backup", "restore", str(copy), "--ledger", str(hub.ledger), "--force")
    assert done.returncode == 0, done.stderr
    assert history(hub.ledger) == history(copy)
    assert list(tmp_path.glob("ledger.db.before-restore-*"))
    hub.start()  # and the restored ledger is the hub's again
    assert hub.health()["last_seq"] == 3


def test_a_second_hub_and_ledger_rebuild_are_refused_while_the_hub_runs(
        hub: HubProcess) -> None:
    hub.start()
    issue(hub, 2)
    before = history(hub.ledger)

    second = subprocess.run(
        [sys.executable, "-m", "antrean", "hub", "--ledger", str(hub.ledger),
         "--config", str(SMALL_HALL), "--host", "127.0.0.1", "--port", "0", "--no-mdns"],
        cwd=ROOT, capture_output=True, text=True, timeout=60, check=False)
    assert second.returncode == 2
    assert second.stderr.strip().splitlines() == [
        next(ln for ln in second.stderr.splitlines() if ln.startswith("error: "))]
    assert "in use by the hub" in second.stderr and "systemctl stop antrean-hub" in second.stderr

    replica = hub.workdir / "replica-kiosk.db"
    shutil.copy(hub.ledger, replica)  # any file: the lock is checked before the replica
    restored = antrean("hub", "--ledger", str(hub.ledger), "--config", str(SMALL_HALL),
                       "--restore-from", str(replica), "--no-mdns", "--port", "0")
    assert restored.returncode == 2
    assert len(restored.stderr.strip().splitlines()) == 1
    assert "in use by the hub" in restored.stderr

    rebuilt = antrean("ledger", "rebuild", str(hub.ledger), "--config", str(SMALL_HALL))
    assert rebuilt.returncode == 2
    assert len(rebuilt.stderr.strip().splitlines()) == 1
    assert "in use by the hub" in rebuilt.stderr
    assert "rebuilt" not in rebuilt.stdout
    assert history(hub.ledger) == before
    assert hub.health()["last_seq"] == 2

    hub.stop()  # a clean stop releases it too
    rebuilt = antrean("ledger", "rebuild", str(hub.ledger), "--config", str(SMALL_HALL))
    assert rebuilt.returncode == 0, rebuilt.stderr


def test_a_restore_in_progress_keeps_a_hub_from_starting(hub: HubProcess) -> None:
    """The tools hold the same lock while they work: a hub started meanwhile is refused and
    names the tool."""
    from shared.ledger.lock import hold_for_tool

    with hold_for_tool(hub.ledger, "antrean backup restore"):
        second = subprocess.run(
            [sys.executable, "-m", "antrean", "hub", "--ledger", str(hub.ledger),
             "--config", str(SMALL_HALL), "--host", "127.0.0.1", "--port", "0", "--no-mdns"],
            cwd=ROOT, capture_output=True, text=True, timeout=60, check=False)
    assert second.returncode == 2
    assert "in use by antrean backup restore (pid" in second.stderr
    assert not hub.ledger.exists()
