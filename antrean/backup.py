"""Backups of the hub's ledger to a second disk, and restoring one.

A copy is taken with SQLite's online backup API in one step, which reads one consistent snapshot
while the hub keeps writing (WAL readers never block the writer). The copy is made a
self-contained file (no -wal beside it), checked, and only then renamed into place, so a
half-written or damaged copy never carries a backup's name.

The backup folder should be on a local disk (a second disk or a USB disk mounted on the hub PC).
Copying the finished files to another PC (rsync, a network share) is safe because they are plain
files that nobody writes any more; SQLite's own locking is never used on the backup folder's
filesystem except for the temporary file. The stations' replicas are the other, live, off-PC copy.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import logging
import os
import re
import socket
import sqlite3
import threading
import uuid
from dataclasses import dataclass
from pathlib import Path

from shared.hub import assets
from shared.ledger.check import check_connection
from shared.ledger.files import create_private, private_dir
from shared.ledger.head import record_file_head
from shared.ledger.lock import hold_for_tool
from shared.ledger.store import LedgerError
from shared.station.replica import STATION_META_KEY

log = logging.getLogger(__name__)

# ledger-20261130T020000Z-seq00001234.db: sorts by time, and tells at a glance how much it holds.
# Other SQLite files (the hub's station/officer store) have no sequence: hub-auth-<time>.db.
_NAME = re.compile(r"^(?P<stem>.+)-(?P<stamp>\d{8}T\d{6}Z)(?:-seq(?P<seq>\d+))?\.db$")
_TMP_SUFFIX = ".antrean-tmp"
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")  # what a file name on a FAT-formatted stick takes


class BackupError(Exception):
    """A backup could not be made, checked or restored; the message says why in plain words."""


@dataclass(frozen=True)
class BackupInfo:
    path: Path
    events: int
    last_seq: int
    last_command_id: str | None


def backup_name(stem: str, when: dt.datetime, last_seq: int | None) -> str:
    seq = "" if last_seq is None else f"-seq{last_seq:08d}"
    return f"{stem}-{when.astimezone(dt.UTC):%Y%m%dT%H%M%SZ}{seq}.db"


def copy_stem(source: Path, conn: sqlite3.Connection) -> str:
    """The name a ledger's copies are filed under: its file name, and for a station's replica
    the station's enrolled name (kept in the replica when the hub welcomed it), or else this
    PC's host name. Two kiosks both keep replica-kiosk.db: on one USB stick their copies must
    neither replace nor prune each other, and must say whose they are."""
    stem = source.stem
    if not stem.startswith("replica"):
        return stem
    try:
        row = conn.execute("SELECT value FROM meta WHERE key=?",
                           (STATION_META_KEY,)).fetchone()
    except sqlite3.Error:
        row = None  # an old replica without the table, or a damaged one: checked later
    if row and row[0]:
        return f"replica-{_safe_name(str(row[0]))}"
    return f"{stem}-{_safe_name(socket.gethostname())}"


def _safe_name(text: str) -> str:
    return _UNSAFE.sub("-", text).strip("-.") or "station"


def list_backups(dest_dir: str | Path, stem: str | None = None) -> list[Path]:
    """Backups in a folder, oldest first (by the time in their names)."""
    folder = Path(dest_dir)
    if not folder.is_dir():
        return []
    found = []
    for p in folder.iterdir():
        match = _NAME.match(p.name)
        if match and (stem is None or match["stem"] == stem) and p.is_file():
            found.append((match["stamp"], int(match["seq"] or 0), p))
    return [p for _, _, p in sorted(found)]


def verify_backup(path: str | Path) -> BackupInfo:
    """Check a ledger copy: SQLite's integrity check passes and the event log has no gaps.
    Raises BackupError naming the problem."""
    p = Path(path)
    if not p.is_file():
        raise BackupError(f"{p} does not exist")
    try:
        conn = _open_readonly(p)
    except sqlite3.Error as e:
        raise BackupError(f"{p} cannot be opened: {e}") from None
    try:
        return _check_copy(conn, p)
    finally:
        conn.close()


def _open_readonly(p: Path) -> sqlite3.Connection:
    if Path(f"{p}-wal").exists():
        # A station's replica (or a ledger copied with its -wal): the newest events may still
        # be in the -wal, which immutable=1 would ignore.
        return sqlite3.connect(f"file:{p}?mode=ro", uri=True, timeout=10.0)
    # immutable=1: reading a finished backup must not create -shm/-journal files beside it.
    return sqlite3.connect(f"file:{p}?mode=ro&immutable=1", uri=True)


def _check_copy(conn: sqlite3.Connection, p: Path) -> BackupInfo:
    try:
        problems = [row[0] for row in conn.execute("PRAGMA integrity_check(20)")]
        if problems != ["ok"]:
            raise BackupError(f"{p} is damaged: {'; '.join(problems[:3])}")
        has_events = conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type='table' AND name='events'"
        ).fetchone()
        if not has_events:
            raise BackupError(f"{p} is not an Antrean ledger (it has no events table)")
        count, last = conn.execute("SELECT count(*), coalesce(max(seq), 0) FROM events").fetchone()
        # Sequence numbers start at 1 and have no gaps; anything else is a damaged log.
        if count != last:
            raise BackupError(f"{p} has {count} events but its last sequence number is {last}")
        row = conn.execute("SELECT command_id FROM events WHERE seq=?", (last,)).fetchone()
    except sqlite3.DatabaseError as e:
        raise BackupError(f"{p} is damaged: {e}") from None
    # The one check every tool uses (shared.ledger.check): chain, promises, projection.
    report = check_connection(conn, str(p))
    if not report.ok:
        raise BackupError(report.first())
    return BackupInfo(p, count, last, row[0] if row else None)


def _fsync_dir(folder: Path) -> None:
    # The rename is durable only once the directory entry is on disk. Windows cannot open a
    # directory for fsync, and NTFS journals the rename anyway.
    if os.name != "posix":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_file(path: Path) -> None:
    with open(path, "rb+") as f:
        os.fsync(f.fileno())


def _remove_quietly(*paths: Path) -> None:
    for p in paths:
        with contextlib.suppress(FileNotFoundError):
            p.unlink()


def _snapshot(src: sqlite3.Connection, target: Path) -> None:
    """Copy `src` into a fresh file at `target` as a self-contained rollback-journal database,
    0600 whatever the umask (a backup holds the whole hall's history)."""
    create_private(target)
    dst = sqlite3.connect(target)
    try:
        # pages=-1 copies everything in one step inside one read transaction: a consistent
        # snapshot, and the hub's commits meanwhile neither block nor restart it.
        src.backup(dst, pages=-1)
        # The copy inherits WAL mode from the source's header; a single file is what a backup
        # (and a USB disk carried to another PC) needs.
        dst.execute("PRAGMA journal_mode=DELETE")
    finally:
        dst.close()


def _open_source(src: Path) -> sqlite3.Connection:
    if not src.is_file():
        # Never let sqlite3.connect create an empty "ledger" where the real one is missing.
        raise BackupError(f"ledger {src} does not exist")
    try:
        return sqlite3.connect(f"file:{src}?mode=ro", uri=True, timeout=10.0)
    except sqlite3.Error as e:
        raise BackupError(f"cannot open ledger {src}: {e}") from None


def _publish(tmp: Path, final: Path) -> Path:
    """Make a checked copy durable under its final name: the data, the rename, the folder."""
    _fsync_file(tmp)
    os.replace(tmp, final)
    _fsync_dir(final.parent)
    return final


def _prepare(src: str | Path, dest_dir: str | Path, keep: int) -> tuple[Path, Path]:
    if keep < 1:
        raise ValueError("keep must be at least 1")
    folder = Path(dest_dir)
    try:
        private_dir(folder)
    except OSError as e:
        raise BackupError(f"cannot create backup folder {folder}: {e.strerror or e}") from None
    return Path(src), folder


def backup_ledger(src: str | Path, dest_dir: str | Path, keep: int = 48, *,
                  skip_unchanged: bool = False, now: dt.datetime | None = None) -> Path:
    """Write a checked, timestamped copy of the ledger `src` into `dest_dir` and keep only the
    newest `keep` copies. With `skip_unchanged`, returns the newest existing copy instead when
    the ledger has no new events since it (the loop mode: quiet nights do not push the last
    useful copies out)."""
    source, folder = _prepare(src, dest_dir, keep)
    conn = _open_source(source)
    try:
        stem = copy_stem(source, conn)
        if skip_unchanged:
            newest = _newest_matching(conn, folder, stem)
            if newest is not None:
                return newest
        tmp = folder / f".{stem}-{uuid.uuid4().hex}{_TMP_SUFFIX}"
        try:
            _snapshot(conn, tmp)
            copy = sqlite3.connect(tmp)
            try:
                info = _check_copy(copy, tmp)
            finally:
                copy.close()
            _check_prefix_of(conn, info, source)
            final = _publish(tmp, folder / backup_name(
                stem, now or dt.datetime.now(dt.UTC), info.last_seq))
        except sqlite3.Error as e:
            raise BackupError(f"backup of {source} failed: {e}") from None
        except OSError as e:
            raise BackupError(f"cannot write to {folder}: {e.strerror or e}") from None
        finally:
            _remove_quietly(tmp, Path(f"{tmp}-journal"))
    finally:
        conn.close()
    _prune(folder, stem, keep, final)
    log.info("backed up %s to %s (%d events)", source, final, info.events)
    return final


def _check_prefix_of(conn: sqlite3.Connection, info: BackupInfo, source: Path) -> None:
    """The copy's events must be exactly the source's first N events: the log is append-only,
    so the source can have more since the snapshot, never different ones."""
    count, last_id = conn.execute(
        "SELECT count(*), (SELECT command_id FROM events WHERE seq=?) FROM events WHERE seq<=?",
        (info.last_seq, info.last_seq),
    ).fetchone()
    if count != info.events or last_id != info.last_command_id:
        raise BackupError(f"the copy of {source} does not match the ledger's first "
                          f"{info.events} events")


def _newest_matching(conn: sqlite3.Connection, folder: Path, stem: str) -> Path | None:
    backups = list_backups(folder, stem)
    if not backups:
        return None
    match = _NAME.match(backups[-1].name)
    if match is None or match["seq"] is None:
        return None
    seq = int(match["seq"])
    row = conn.execute(
        "SELECT (SELECT max(seq) FROM events), (SELECT command_id FROM events WHERE seq=?)",
        (seq,),
    ).fetchone()
    if row[0] != seq:
        return None
    try:
        newest = verify_backup(backups[-1])
    except BackupError:
        return None  # a damaged newest copy is replaced, not trusted
    return backups[-1] if newest.last_command_id == row[1] else None


def _prune(folder: Path, stem: str, keep: int, just_written: Path) -> None:
    backups = [p for p in list_backups(folder, stem) if p != just_written]
    for old in backups[: max(0, len(backups) - (keep - 1))]:
        with contextlib.suppress(OSError):
            old.unlink()
            log.info("removed old backup %s", old)
    # Temporary files of a backup that was killed half-way (power cut, SIGKILL).
    for stale in folder.glob(f".{stem}-*{_TMP_SUFFIX}*"):
        with contextlib.suppress(OSError):
            stale.unlink()


def backup_database(src: str | Path, dest_dir: str | Path, keep: int = 48, *,
                    skip_unchanged: bool = False, now: dt.datetime | None = None) -> Path:
    """A checked, timestamped copy of another SQLite file (the hub's station and officer store,
    hub-auth.db, which a station's replica cannot give back). Same atomic write and pruning as
    backup_ledger; an unchanged file returns the newest copy when `skip_unchanged`."""
    source, folder = _prepare(src, dest_dir, keep)
    stem = source.stem
    conn = _open_source(source)
    tmp = folder / f".{stem}-{uuid.uuid4().hex}{_TMP_SUFFIX}"
    try:
        _snapshot(conn, tmp)
        copy = sqlite3.connect(tmp)
        try:
            problems = [row[0] for row in copy.execute("PRAGMA integrity_check(20)")]
        finally:
            copy.close()
        if problems != ["ok"]:
            raise BackupError(f"the copy of {source} is damaged: {'; '.join(problems[:3])}")
        existing = list_backups(folder, stem)
        if skip_unchanged and existing and existing[-1].read_bytes() == tmp.read_bytes():
            return existing[-1]
        final = _publish(tmp, folder / backup_name(stem, now or dt.datetime.now(dt.UTC), None))
    except sqlite3.Error as e:
        raise BackupError(f"backup of {source} failed: {e}") from None
    except OSError as e:
        raise BackupError(f"cannot write to {folder}: {e.strerror or e}") from None
    finally:
        conn.close()
        _remove_quietly(tmp, Path(f"{tmp}-journal"))
    _prune(folder, stem, keep, final)
    log.info("backed up %s to %s", source, final)
    return final


def backup_logos(ledger: str | Path, dest_dir: str | Path) -> list[Path]:
    """Copy the hub's uploaded logos (shared.hub.assets, beside the ledger) into
    `<dest_dir>/assets/logos/`: each one missing there, checked against its name's hash. Their
    names are content-addressed, so a copy is never stale and none is pruned (a config version
    kept in the ledger may name any of them). Returns the files copied now."""
    source = assets.logo_dir(ledger)
    if not source.is_dir():
        return []
    target = Path(dest_dir) / assets.LOGO_PREFIX
    copied: list[Path] = []
    try:
        for path in sorted(source.iterdir()):
            match = assets.LOGO_NAME.fullmatch(path.name)
            if match is None or (target / path.name).is_file():
                continue
            body = path.read_bytes()
            if not hashlib.sha256(body).hexdigest().startswith(match["digest"]):
                log.error("logo %s does not match its name's hash; not backed up", path)
                continue
            assets.store(target, path.name, body)
            copied.append(target / path.name)
    except OSError as e:
        raise BackupError(f"cannot copy the logos to {target}: {e.strerror or e}") from None
    if copied:
        log.info("backed up %d logo(s) to %s", len(copied), target)
    return copied


def restore_ledger(backup: str | Path, dest: str | Path, *, force: bool = False,
                   now: dt.datetime | None = None) -> Path:
    """Put a checked backup (or a station's replica) in place as the ledger `dest`. Refuses to
    replace an existing ledger unless `force`; with `force` the old ledger (and its -wal/-shm)
    is kept beside it as `<name>.before-restore-<time>`, never deleted. Refuses while a hub
    (or another restore) holds the ledger's lock: the hub would keep acknowledging tickets into
    the file moved aside."""
    source, target = Path(backup), Path(dest)
    try:
        held = hold_for_tool(target, "antrean backup restore")
    except LedgerError as e:
        raise BackupError(str(e)) from None
    with held:
        return _restore_held(source, target, force, now)


def _restore_held(source: Path, target: Path, force: bool, now: dt.datetime | None) -> Path:
    info = verify_backup(source)
    companions = [Path(f"{target}{suffix}") for suffix in ("-wal", "-shm")]
    existing = [p for p in (target, *companions) if p.exists()]
    if existing and not force:
        raise BackupError(f"{target} already exists; stop the hub and restore with --force "
                          "(the old ledger is kept beside it)")
    private_dir(target.parent)
    tmp = target.with_name(f".{target.name}-{uuid.uuid4().hex}{_TMP_SUFFIX}")
    try:
        src = _open_readonly(source)
        try:
            _snapshot(src, tmp)
        finally:
            src.close()
        check = sqlite3.connect(tmp)
        try:
            restored = _check_copy(check, tmp)
        finally:
            check.close()
        if restored.last_seq != info.last_seq:
            raise BackupError(f"restoring {source} copied {restored.last_seq} of "
                              f"{info.last_seq} events")
        _fsync_file(tmp)
        if existing:
            stamp = f"{(now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC):%Y%m%dT%H%M%SZ}"
            aside = target.with_name(f"{target.name}.before-restore-{stamp}")
            # The -wal belongs to its database by name: move all three together.
            for p, suffix in ((target, ""), (companions[0], "-wal"), (companions[1], "-shm")):
                if p.exists():
                    os.replace(p, Path(f"{aside}{suffix}"))
            log.warning("kept the replaced ledger as %s", aside)
        os.replace(tmp, target)
        _fsync_dir(target.parent)
        record_file_head(target)  # what the hub's next start must find in it
    except sqlite3.Error as e:
        raise BackupError(f"restore of {source} failed: {e}") from None
    except OSError as e:
        raise BackupError(f"cannot write {target}: {e.strerror or e}") from None
    finally:
        _remove_quietly(tmp, Path(f"{tmp}-journal"))
    log.info("restored %s to %s (%d events)", source, target, info.events)
    return target


def run_backups(src: str | Path, dest_dir: str | Path, keep: int, every_s: float,
                stop: threading.Event, also: tuple[str | Path, ...] = ()) -> int:
    """Back up the ledger (its uploaded logos, and the `also` SQLite files) every `every_s`
    seconds until `stop` is
    set; a failed round is logged and retried next round (a full backup disk must not stop the
    loop once space is freed). Returns the number of failed rounds."""
    failures = 0
    while not stop.is_set():
        try:
            backup_ledger(src, dest_dir, keep, skip_unchanged=True)
            backup_logos(src, dest_dir)
            for other in also:
                backup_database(other, dest_dir, keep, skip_unchanged=True)
        except BackupError as e:
            failures += 1
            log.error("backup failed: %s", e)
        stop.wait(every_s)
    return failures
