"""Ledger backups on real SQLite files: taken while another connection writes, checked, pruned,
restored; damaged copies and overwrites refused."""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import socket
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from antrean import cli_backup
from antrean.backup import (
    BackupError,
    backup_database,
    backup_ledger,
    list_backups,
    restore_ledger,
    verify_backup,
)
from shared.clock import ManualClock
from shared.config import HallConfig
from shared.ledger.ledger import Ledger
from shared.ledger.model import Actor
from shared.ledger.projection import iter_events, last_seq
from shared.ledger.store import connect
from shared.station.replica import Replica

KIOSK = Actor("kiosk-1")


def issue(led: Ledger, n: int) -> None:
    for _ in range(n):
        # bpjs-daftar has no daily quota, so a writer can go on as long as a test needs.
        assert led.issue_ticket("bpjs-daftar", KIOSK).ok


def events_of(path: Path, upto: int | None = None) -> list[object]:
    conn = connect(path, readonly=True)
    try:
        return [e for e in iter_events(conn) if upto is None or e.seq <= upto]
    finally:
        conn.close()


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


class Writer:
    """A second connection that keeps issuing tickets on the same ledger file, the way the hub
    does while the backup service runs."""

    def __init__(self, path: Path, config: HallConfig, clock: ManualClock) -> None:
        self.ledger = Ledger(path, config, clock)
        self.stop = threading.Event()
        self.committed = threading.Condition()
        self.last = last_seq(self.ledger.conn)
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._loop, daemon=True)

    def _loop(self) -> None:
        try:
            while not self.stop.is_set():
                result = self.ledger.issue_ticket("bpjs-daftar", KIOSK)
                assert result.ok
                with self.committed:
                    self.last = result.value["seq"][-1]
                    self.committed.notify_all()
        except BaseException as e:  # surfaced by the test, not lost in the thread
            self.error = e
            with self.committed:
                self.committed.notify_all()

    def wait_past(self, seq: int) -> None:
        with self.committed:
            assert self.committed.wait_for(lambda: self.last > seq or self.error, timeout=10)
        assert self.error is None, self.error

    def close(self) -> None:
        self.stop.set()
        self.thread.join(timeout=10)
        self.ledger.close()
        assert self.error is None, self.error


@pytest.fixture
def hub_ledger(ledger: Ledger) -> Ledger:
    issue(ledger, 5)
    return ledger


@pytest.fixture
def writer(hub_ledger: Ledger, small_config: HallConfig, clock: ManualClock) -> Iterator[Writer]:
    w = Writer(hub_ledger.path, small_config, clock)
    yield w
    w.close()


def test_backup_while_writing_then_restore(hub_ledger: Ledger, writer: Writer, tmp_path: Path,
                                           small_config: HallConfig, clock: ManualClock) -> None:
    writer.thread.start()
    writer.wait_past(20)
    copy = backup_ledger(hub_ledger.path, tmp_path / "backups", keep=5)
    info = verify_backup(copy)
    # The writer goes on after the snapshot; the copy must not see those events.
    writer.wait_past(info.last_seq + 10)
    writer.close()

    assert info.events == info.last_seq > 20
    assert copy.name.startswith("ledger-") and copy.name.endswith(f"-seq{info.last_seq:08d}.db")
    assert not Path(f"{copy}-wal").exists()  # a self-contained file, fit to carry away
    source_total = last_seq(hub_ledger.conn)
    assert source_total > info.last_seq
    assert events_of(copy) == events_of(hub_ledger.path, upto=info.last_seq)

    restored = restore_ledger(copy, tmp_path / "new-hub" / "ledger.db")
    again = Ledger(restored, small_config, clock)
    try:
        assert again.verify()
        assert last_seq(again.conn) == info.last_seq
        # The restored ledger is a working hub ledger: numbering goes on from the copy.
        result = again.issue_ticket("bpjs-daftar", KIOSK)
        assert result.ok and result.value["seq"] == [info.last_seq + 1]
    finally:
        again.close()
    assert events_of(restored, upto=info.last_seq) == events_of(copy)


def test_damaged_backup_is_detected_and_not_restored(hub_ledger: Ledger, tmp_path: Path) -> None:
    issue(hub_ledger, 200)  # enough rows for the events table to span several pages
    copy = backup_ledger(hub_ledger.path, tmp_path / "backups")
    raw = bytearray(copy.read_bytes())
    page = 4096
    assert len(raw) > 6 * page
    # Scribble over the middle of the file, as a failing disk would.
    raw[3 * page : 5 * page] = b"\xa5" * (2 * page)
    copy.write_bytes(bytes(raw))

    with pytest.raises(BackupError, match="damaged"):
        verify_backup(copy)
    target = tmp_path / "new-hub" / "ledger.db"
    with pytest.raises(BackupError, match="damaged"):
        restore_ledger(copy, target)
    assert not target.exists()


def test_truncated_and_foreign_files_are_refused(hub_ledger: Ledger, tmp_path: Path) -> None:
    issue(hub_ledger, 200)
    copy = backup_ledger(hub_ledger.path, tmp_path / "backups")
    copy.write_bytes(copy.read_bytes()[: 3 * 4096])  # a copy cut short (disk full, unplugged)
    with pytest.raises(BackupError):
        verify_backup(copy)

    notes = tmp_path / "notes.db"
    other = sqlite3.connect(notes)
    other.execute("CREATE TABLE notes (text TEXT)")
    other.commit()
    other.close()
    with pytest.raises(BackupError, match="not an Antrean ledger"):
        verify_backup(notes)
    with pytest.raises(BackupError, match="does not exist"):
        backup_ledger(tmp_path / "missing.db", tmp_path / "backups")
    assert not (tmp_path / "missing.db").exists()  # never created as an empty ledger


def test_restore_refuses_to_overwrite_without_force(hub_ledger: Ledger, tmp_path: Path,
                                                    small_config: HallConfig,
                                                    clock: ManualClock) -> None:
    copy = backup_ledger(hub_ledger.path, tmp_path / "backups")
    other = tmp_path / "other" / "ledger.db"
    led = Ledger(other, small_config, clock)
    issue(led, 2)
    led.close()
    before = sha(other)

    with pytest.raises(BackupError, match="already exists"):
        restore_ledger(copy, other)
    assert sha(other) == before

    when = dt.datetime(2026, 11, 30, 2, 0, tzinfo=dt.UTC)
    restore_ledger(copy, other, force=True, now=when)
    kept = other.with_name("ledger.db.before-restore-20261130T020000Z")
    assert sha(kept) == before  # the replaced ledger is kept, never deleted
    assert len(events_of(other)) == 5
    assert len(events_of(kept)) == 2


def test_old_copies_are_pruned_and_unchanged_ledger_is_skipped(hub_ledger: Ledger,
                                                               tmp_path: Path) -> None:
    folder = tmp_path / "backups"
    start = dt.datetime(2026, 11, 30, 2, 0, tzinfo=dt.UTC)
    made = []
    for i in range(5):
        issue(hub_ledger, 1)
        made.append(backup_ledger(hub_ledger.path, folder, keep=3,
                                  now=start + dt.timedelta(minutes=i)))
    assert list_backups(folder) == made[-3:]

    # Nothing new since the last copy: loop mode keeps the existing copy instead of a new one.
    same = backup_ledger(hub_ledger.path, folder, keep=3, skip_unchanged=True,
                         now=start + dt.timedelta(minutes=10))
    assert same == made[-1]
    assert list_backups(folder) == made[-3:]
    issue(hub_ledger, 1)
    newer = backup_ledger(hub_ledger.path, folder, keep=3, skip_unchanged=True,
                          now=start + dt.timedelta(minutes=11))
    assert newer != made[-1] and verify_backup(newer).last_seq == 11


def test_restore_from_a_live_replica_with_its_wal(hub_ledger: Ledger, tmp_path: Path,
                                                  small_config: HallConfig,
                                                  clock: ManualClock) -> None:
    """When the hub PC dies, a station's replica seeds the new hub. The replica is a WAL
    database whose newest events may still sit in its -wal file; they must come along."""
    assert Path(f"{hub_ledger.path}-wal").stat().st_size > 0
    target = restore_ledger(hub_ledger.path, tmp_path / "new-hub" / "ledger.db")
    assert events_of(target) == events_of(hub_ledger.path)
    again = Ledger(target, small_config, clock)
    try:
        assert again.verify()
    finally:
        again.close()


def test_other_sqlite_files_are_copied_too(hub_ledger: Ledger, tmp_path: Path) -> None:
    """The hub's station/officer store is not in any replica: the backup carries it."""
    store = tmp_path / "hub-auth.db"
    conn = sqlite3.connect(store)
    conn.execute("CREATE TABLE stations (name TEXT, token_hash TEXT)")
    conn.execute("INSERT INTO stations VALUES ('kiosk-1', 'x')")
    conn.commit()
    folder = tmp_path / "backups"
    start = dt.datetime(2026, 11, 30, 2, 0, tzinfo=dt.UTC)
    first = backup_database(store, folder, now=start)
    assert first.name == "hub-auth-20261130T020000Z.db"
    same = backup_database(store, folder, skip_unchanged=True,
                           now=start + dt.timedelta(minutes=5))
    assert same == first
    conn.execute("INSERT INTO stations VALUES ('loket-3', 'y')")
    conn.commit()
    conn.close()
    second = backup_database(store, folder, skip_unchanged=True,
                             now=start + dt.timedelta(minutes=10))
    assert second != first
    copy = sqlite3.connect(second)
    assert copy.execute("SELECT count(*) FROM stations").fetchone()[0] == 2
    copy.close()
    # Ledger copies and store copies are pruned and listed apart.
    ledger_copy = backup_ledger(hub_ledger.path, folder, keep=1)
    assert list_backups(folder, "ledger") == [ledger_copy]
    assert list_backups(folder, "hub-auth") == [first, second]


def parse(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="antrean backup")
    cli_backup.add_arguments(p)
    return p.parse_args(argv)


def test_cli_run_list_restore(hub_ledger: Ledger, tmp_path: Path,
                              capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "backups"
    args = ["run", "--ledger", str(hub_ledger.path), "--to", str(folder)]
    assert cli_backup.run(parse(args)) == 0
    (copy,) = list_backups(folder)
    assert cli_backup.run(parse(["list", "--to", str(folder)])) == 0
    assert f"OK    {copy.name}  5 events" in capsys.readouterr().out

    target = tmp_path / "restored.db"
    assert cli_backup.run(parse(["restore", str(copy), "--ledger", str(target)])) == 0
    assert cli_backup.run(parse(["restore", str(copy), "--ledger", str(target)])) == 1
    assert "already exists" in capsys.readouterr().err
    assert cli_backup.run(parse(["restore", str(copy), "--ledger", str(target), "--force"])) == 0


def test_a_replica_is_filed_under_its_station_or_else_this_pc(hub_ledger: Ledger,
                                                               tmp_path: Path) -> None:
    """Two kiosks both keep replica-kiosk.db: their copies on one stick must keep apart. The
    name comes from the station's enrolled name kept in the replica, or, in a replica that has
    not met the hub yet, from this PC's host name."""
    replica = tmp_path / "replica-kiosk.db"
    restore_ledger(hub_ledger.path, replica)
    anonymous = backup_ledger(replica, tmp_path / "stick")
    assert anonymous.name.startswith(f"replica-kiosk-{socket.gethostname()}-")

    named = Replica(replica)
    named.remember_station("kiosk 2/lantai 1")  # a name no file system would take as it is
    named.close()
    copy = backup_ledger(replica, tmp_path / "stick")
    assert copy.name.startswith("replica-kiosk-2-lantai-1-")
    assert anonymous.exists()  # a different name: neither replaced nor pruned
    assert backup_ledger(hub_ledger.path, tmp_path / "stick").name.startswith("ledger-")
