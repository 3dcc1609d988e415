"""The ledger's history must be provable, not just its length (issue 12, items 1, 3, 4, 5, 13):
real hub processes, real stations, real files damaged the way disks, crashes and hurried IT
officers damage them."""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Awaitable
from pathlib import Path
from typing import TypeVar

import pytest
from pytestqt.qtbot import QtBot

from shared.clock import ManualClock
from shared.config import load_config
from shared.ledger.head import HeadRecord
from shared.ledger.ledger import Ledger
from shared.ledger.model import Actor, Event
from shared.ledger.projection import ledger_hash
from shared.ledger.store import connect
from shared.station.client import HubClient, HubRefused
from shared.station.hub_link import HubLink
from shared.station.replica import Replica
from tests.helpers.damage import garble, integrity, replace_bytes, truncate, write_past_an_index
from tests.helpers.ledger import MONDAY_0900
from tests.helpers.region import wait_for
from tests.helpers.replica_station import Station
from tests.system.conftest import DATA, HubProcess, free_port

T = TypeVar("T")
SMALL_HALL = DATA / "small_hall.toml"
ROOT = Path(__file__).resolve().parents[2]


def run(coro: Awaitable[T]) -> T:
    async def main() -> T:
        return await coro

    return asyncio.run(main())


def antrean(*args: str | Path, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "antrean", *map(str, args)], cwd=ROOT,
                          capture_output=True, text=True, timeout=timeout)


def hub_refusing(ledger: Path, *extra: str | Path) -> subprocess.CompletedProcess[str]:
    """Start a hub that must refuse to serve (today's main served; the timeout then fails)."""
    return antrean("hub", "--ledger", ledger, "--config", SMALL_HALL, "--host", "127.0.0.1",
                   "--port", str(free_port()), "--no-mdns", *extra, timeout=30)


def events_of(ledger: Path) -> list[Event]:
    conn = connect(ledger, readonly=True)
    try:
        from shared.ledger.projection import iter_events

        return list(iter_events(conn))
    finally:
        conn.close()


def one_line(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert done.stderr.startswith("error: ") and done.stderr.count("\n") == 1, done.stderr
    assert "Traceback" not in done.stderr
    return done.stderr


class Kiosk(Station):
    """A kiosk station's part: a HubClient with its replica."""

    async def issue(self, n: int, service: str = "kk") -> list[str]:
        labels = []
        for _ in range(n):
            r = await self.client.command("issue_ticket", {"service": service}, timeout=20)
            assert r.ok, r.refusal
            labels.append(r.value["ticket"]["label"])
        return labels


def history(path: Path) -> tuple[str, int]:
    conn = connect(path, readonly=True)
    try:
        return ledger_hash(conn), int(conn.execute("SELECT count(*) FROM events").fetchone()[0])
    finally:
        conn.close()


def snapshot(src: Path, dst: Path) -> None:
    a = sqlite3.connect(f"{src.resolve().as_uri()}?mode=ro", uri=True)
    b = sqlite3.connect(dst)
    try:
        a.backup(b)
    finally:
        a.close()
        b.close()


# --- item 1: a restore from a stale copy forks the hall's history -------------------------------


def test_a_station_holding_another_history_is_refused_kept_as_evidence_and_diffed(
    tmp_path: Path, qtbot: QtBot
) -> None:
    """The hub is restored from a copy at seq 2 while kiosk-1 holds seq 5; the new hub issues
    on past seq 5. Today kiosk-1 was then accepted and its three tickets silently lost."""
    first = HubProcess(tmp_path / "first", SMALL_HALL)
    first.workdir.mkdir()
    tokens = {n: first.enroll(n, "kiosk") for n in ("kiosk-1", "kiosk-2")}
    replica = tmp_path / "kiosk-1.db"
    stale = tmp_path / "stale-copy.db"

    async def before() -> None:
        first.start()
        kiosk = Kiosk(first.url, tokens["kiosk-1"], replica)
        await kiosk.start()
        try:
            await kiosk.issue(2)
            await kiosk.holds(2)
            snapshot(first.ledger, stale)  # an old backup, or a replica that was behind
            assert await kiosk.issue(3) == ["KK-003", "KK-004", "KK-005"]
            await kiosk.holds(5)
        finally:
            await kiosk.close()
            first.stop()

    run(before())
    evidence = history(replica)
    assert evidence[1] == 5

    second = HubProcess(tmp_path / "second", SMALL_HALL)
    second.workdir.mkdir()
    shutil.copy(first.workdir / "hub-auth.db", second.workdir / "hub-auth.db")
    second.start("--restore-from", str(stale))
    try:
        async def others() -> list[str]:
            other = Kiosk(second.url, tokens["kiosk-2"], tmp_path / "kiosk-2.db")
            await other.start()
            try:
                return await other.issue(5)  # the hub passes seq 5: today kiosk-1 got in
            finally:
                await other.close()

        assert run(others()) == ["KK-003", "KK-004", "KK-005", "KK-006", "KK-007"]

        async def comes_back() -> str | None:
            client = HubClient(second.url, tokens["kiosk-1"], Replica(replica))
            with pytest.raises(HubRefused):
                await client.start(timeout=20)
            assert client.replica is not None
            client.replica.close()
            await client.close()
            return client.refused

        reason = run(comes_back())
        assert reason is not None and "differs" in reason

        # The Qt station says why, in Indonesian, and does not retry.
        config = load_config(SMALL_HALL)
        link = HubLink(config, second.url, tokens["kiosk-1"], Replica(replica), "kiosk-1")
        try:
            qtbot.waitUntil(lambda: link.offline_reason() is not None, timeout=15000)
            assert "Riwayat antrean" in (link.offline_reason() or "")
            assert link.refused_code == "history_differs"
        finally:
            link.close()
        hub_log = (second.log_path or Path()).read_text()
        assert "holds another history" in hub_log and "antrean ledger diff" in hub_log
        events = json.loads(antrean("ledger", "events", second.ledger,
                                    "--kind", "station.alert").stdout.splitlines()[0])
        assert events["data"]["key"] == "kiosk-1:history" and events["data"]["state"] == "open"
        assert len(events["hash"]) == 64
    finally:
        second.stop()

    # The replica is the evidence: untouched.
    assert history(replica) == evidence
    diff = antrean("ledger", "diff", second.ledger, replica, "--config", SMALL_HALL)
    assert diff.returncode == 1, diff.stderr
    out = diff.stdout
    assert "agree up to seq 2 and part after it" in out
    only_b = out[out.index("tickets only in B"):]
    for n in (3, 4, 5):
        assert f"20261130-KK-00{n}" in only_b
    assert "tickets only in B (" in out and ": 3\n" in only_b.splitlines(keepends=True)[0]
    assert "number given again on the other side" in only_b
    assert "WIB" in only_b and "waiting" in only_b
    wrong = antrean("ledger", "diff", second.ledger, tmp_path / "nowhere.db")
    assert wrong.returncode == 2 and wrong.stderr.count("\n") == 1
    assert "does not exist" in wrong.stderr


# --- item 3: one check for restore, backup, verify and start-up ---------------------------------


def make_replica(path: Path, tickets: int = 4) -> Ledger:
    source = Ledger(path.with_name("source.db"), load_config(SMALL_HALL), ManualClock(MONDAY_0900))
    for _ in range(tickets):
        assert source.issue_ticket("bpjs-daftar", Actor("kiosk-1")).ok
    replica = Replica(path)
    replica.apply(source.reader.events_after(0))
    replica.close()
    return source


def test_restore_from_refuses_a_replica_that_fails_the_integrity_check(tmp_path: Path) -> None:
    replica = tmp_path / "replica.db"
    source = make_replica(replica)

    def more() -> None:
        assert source.issue_ticket("bpjs-daftar", Actor("kiosk-1")).ok
        r = Replica(replica)
        r.apply(source.reader.events_after(r.last_seq))
        r.close()

    write_past_an_index(replica, "events_ticket", more)
    source.close()
    assert integrity(replica) != ["ok"]
    target = tmp_path / "new" / "ledger.db"

    line = one_line(hub_refusing(target, "--restore-from", replica))
    assert "integrity check" in line and "another station's replica" in line
    assert not target.exists()


def test_backup_restore_refuses_a_byte_flipped_inside_an_event(tmp_path: Path) -> None:
    ledger = tmp_path / "ledger.db"
    make_replica(ledger.with_name("unused.db")).close()
    shutil.copy(tmp_path / "source.db", ledger)
    for extra in ("-wal", "-shm"):
        if (tmp_path / f"source.db{extra}").exists():
            shutil.copy(tmp_path / f"source.db{extra}", tmp_path / f"ledger.db{extra}")
    made = antrean("backup", "run", "--ledger", ledger, "--to", tmp_path / "backups")
    assert made.returncode == 0, made.stderr
    backup = Path(made.stdout.strip())
    replace_bytes(backup, b'"agency":"BPJSKES"', b'"agency":"BPJSKEZ"')
    assert integrity(backup) == ["ok"]  # SQLite sees nothing wrong

    target = tmp_path / "restored" / "ledger.db"
    done = antrean("backup", "restore", backup, "--ledger", target)
    assert done.returncode == 1, done.stdout
    assert done.stderr.count("\n") == 1 and "does not match its hash" in done.stderr
    assert not target.exists()
    listed = antrean("backup", "list", "--to", tmp_path / "backups")
    assert "BAD" in listed.stdout and "does not match its hash" in listed.stdout


# --- item 4: the hub refuses a ledger that is not what its last run left ------------------------


def _killed_mid_day(tmp_path: Path, tickets: int = 40) -> HubProcess:
    """A hub SIGKILLed after acknowledging `tickets` tickets: its -wal holds the day."""
    hub = HubProcess(tmp_path, SMALL_HALL)
    token = hub.enroll("kiosk-1", "kiosk")
    hub.start()

    async def day() -> None:
        kiosk = Kiosk(hub.url, token, tmp_path / "kiosk.db")
        await kiosk.start()
        try:
            await kiosk.issue(tickets)
        finally:
            await kiosk.close()

    run(day())
    hub.kill()
    return hub


@pytest.mark.parametrize("damage", ["truncated wal", "garbled wal", "zero-length ledger"])
def test_the_hub_refuses_a_ledger_its_last_run_did_not_leave(tmp_path: Path, damage: str
                                                             ) -> None:
    hub = _killed_mid_day(tmp_path)
    wal = Path(f"{hub.ledger}-wal")
    assert wal.stat().st_size > 100_000  # the day is in the -wal, not yet checkpointed
    head = HeadRecord(hub.ledger).read()
    assert head is not None and head.seq == 40
    if damage == "truncated wal":
        truncate(wal, wal.stat().st_size // 2)
    elif damage == "garbled wal":
        garble(wal, wal.stat().st_size * 3 // 5, 4096)
    else:
        wal.unlink()
        Path(f"{hub.ledger}-shm").unlink(missing_ok=True)
        truncate(hub.ledger, 0)

    line = one_line(hub_refusing(hub.ledger))
    if damage == "zero-length ledger":
        assert "is empty (0 bytes)" in line
    else:
        assert "committed up to seq 40" in line and "were lost" in line
    assert "--restore-from REPLICA" in line and "newest station replica" in line


def test_a_hub_killed_mid_load_restarts_with_every_acknowledged_ticket(tmp_path: Path) -> None:
    """The record never claims more than is durable: a hub SIGKILLed while it acknowledges
    tickets as fast as it can restarts, every time, with all of them."""
    hub = HubProcess(tmp_path, SMALL_HALL)
    token = hub.enroll("kiosk-1", "kiosk")
    acknowledged = 0
    for _ in range(3):
        hub.start()

        async def load() -> int:
            client = HubClient(hub.url, token)
            await client.start(timeout=20)
            ok = 0
            enough = asyncio.Event()

            async def issue() -> None:
                nonlocal ok
                while True:
                    r = await client.command("issue_ticket", {"service": "kk"}, timeout=20)
                    if r.ok:
                        ok += 1
                        if ok >= 30:
                            enough.set()

            workers = [asyncio.create_task(issue()) for _ in range(4)]
            await asyncio.wait_for(enough.wait(), 30)
            hub.kill()  # mid-flight: four commands are on their way
            for w in workers:
                w.cancel()
            await asyncio.gather(*workers, return_exceptions=True)
            await client.close()
            return ok

        acknowledged += run(load())
        head = HeadRecord(hub.ledger).read()
        assert head is not None and head.seq >= acknowledged
    hub.start()
    try:
        assert int(hub.health()["last_seq"]) >= acknowledged  # type: ignore[call-overload]
    finally:
        hub.stop()


# --- item 5: verify checks the ledger's promises; rebuild never locks damage in ------------------


def test_a_number_issued_twice_is_damage_that_rebuild_refuses_to_hide(tmp_path: Path) -> None:
    hub = HubProcess(tmp_path, SMALL_HALL)
    token = hub.enroll("kiosk-1", "kiosk")
    hub.start()

    async def day() -> list[str]:
        kiosk = HubClient(hub.url, token)
        await kiosk.start(timeout=20)

        async def issue() -> str:
            r = await kiosk.command("issue_ticket", {"service": "kk"}, timeout=20)
            assert r.ok, r.refusal
            return str(r.value["ticket"]["label"])

        try:
            labels = [await issue() for _ in range(3)]
            # Someone "fixes" the projection behind the hub's back.
            conn = sqlite3.connect(hub.ledger, timeout=10)
            with conn:
                conn.execute("DELETE FROM tickets WHERE label='KK-003'")
                conn.execute("UPDATE day_counts SET n=2 WHERE key='q:KK'")
            conn.close()
            return [*labels, await issue()]
        finally:
            await kiosk.close()

    try:
        assert run(day()) == ["KK-001", "KK-002", "KK-003", "KK-003"]
    finally:
        hub.stop()
    before = history(hub.ledger)

    verify = antrean("ledger", "verify", hub.ledger, "--config", SMALL_HALL)
    assert verify.returncode == 1, verify.stderr
    assert "number 3 is issued again at seq 4" in verify.stdout
    assert "do not rebuild" in verify.stdout and "ledger rebuild" not in verify.stdout

    rebuild = antrean("ledger", "rebuild", hub.ledger, "--config", SMALL_HALL)
    assert rebuild.returncode == 1 and "not rebuilt" in rebuild.stdout
    assert history(hub.ledger) == before

    line = one_line(hub_refusing(hub.ledger))
    assert "issued twice" in line and "do not rebuild" in line and "ledger rebuild" not in line

    # A ledger larger than --full-check-limit is served after the quick check (a year's
    # ledger would take minutes to check whole), and the whole check in the background says
    # it loudly: in the log and as a hall alert officers see.
    hub.start("--full-check-limit", "0")
    try:
        wait_for(lambda: "full check of" in (hub.log_path.read_text() if hub.log_path else ""),
                 60, "the background check's verdict")
        log = hub.log_path.read_text() if hub.log_path else ""
        assert "full check of" in log and "after start-up FAILED" in log, log
        assert "number 3 is issued again at seq 4" in log and "Traceback" not in log
        assert hub.health()  # serving all along
        wait_for(lambda: any(e.kind == "station.alert" and e.data.get("kind") == "ledger"
                             for e in events_of(hub.ledger)), 20, "the hall alert")
    finally:
        hub.stop()


def test_a_large_sound_ledger_is_served_at_once_and_checked_whole_beside(tmp_path: Path
                                                                         ) -> None:
    hub = HubProcess(tmp_path, SMALL_HALL)
    token = hub.enroll("kiosk-1", "kiosk")
    hub.start()

    async def issue_three() -> None:
        kiosk = HubClient(hub.url, token)
        await kiosk.start(timeout=20)
        try:
            for _ in range(3):
                assert (await kiosk.command("issue_ticket", {"service": "kk"}, timeout=20)).ok
        finally:
            await kiosk.close()

    try:
        run(issue_three())
    finally:
        hub.stop()
    hub.start("--full-check-limit", "0")
    try:
        wait_for(lambda: "full check of" in (hub.log_path.read_text() if hub.log_path else ""),
                 60, "the background check's verdict")
        log = hub.log_path.read_text() if hub.log_path else ""
        assert "after start-up: OK" in log and "FAILED" not in log, log
    finally:
        hub.stop()
    assert not any(e.kind == "station.alert" for e in events_of(hub.ledger))


# --- item 13: a corrupt ledger or replica: one line, and a station rebuilds its replica ---------


def test_the_hub_refuses_a_ledger_that_fails_the_integrity_check_in_one_line(tmp_path: Path
                                                                             ) -> None:
    hub = _killed_mid_day(tmp_path, tickets=5)
    hub.start()
    hub.stop()  # a clean stop: checkpointed, record synced

    def one_more() -> None:
        led = Ledger(hub.ledger, load_config(SMALL_HALL), ManualClock(MONDAY_0900))
        assert led.issue_ticket("kk", Actor("kiosk-1")).ok
        led.close()

    write_past_an_index(hub.ledger, "events_kind", one_more)
    assert integrity(hub.ledger) != ["ok"]
    line = one_line(hub_refusing(hub.ledger))
    assert "integrity check" in line and "--restore-from" in line


def test_a_station_moves_a_damaged_replica_aside_and_fills_a_new_one_from_the_hub(
    tmp_path: Path, qtbot: QtBot, caplog: pytest.LogCaptureFixture
) -> None:
    hub = HubProcess(tmp_path, SMALL_HALL)
    token = hub.enroll("board-1", "display")
    kiosk_token = hub.enroll("kiosk-1", "kiosk")
    hub.start()
    replica = tmp_path / "replica-board-1.db"
    try:
        async def day() -> None:
            kiosk = Kiosk(hub.url, kiosk_token, tmp_path / "kiosk.db")
            board = Kiosk(hub.url, token, replica)
            await kiosk.start()
            await board.start()
            try:
                await kiosk.issue(6, "bpjs-daftar")
                await board.holds(6)
            finally:
                await kiosk.close()
                await board.close()

        run(day())
        # A bad sector inside an event: the board used to show it (and a hub restored from
        # this replica would have served it).
        replace_bytes(replica, b'"agency":"BPJSKES"', b'"agency":"BPJSKEZ"')
        garbled = replica.read_bytes()

        args = argparse.Namespace(token=token, hub=hub.url, replica=str(replica),
                                  device="board-1", hub_fingerprint=None)
        link = HubLink.from_args(args)
        try:
            qtbot.waitUntil(lambda: link.replica.last_seq == 6, timeout=15000)
            assert history(replica) == history(hub.ledger)
        finally:
            link.close()
    finally:
        hub.stop()
    kept = [p for p in tmp_path.glob("replica-board-1.db.damaged-*")
            if not p.name.endswith(("-wal", "-shm"))]
    assert len(kept) == 1 and kept[0].read_bytes() == garbled
    lines = [r.getMessage() for r in caplog.records if "damaged" in r.getMessage()]
    assert len(lines) == 1 and "rebuilding it from the hub" in lines[0]
    assert "does not match its hash" in lines[0]
