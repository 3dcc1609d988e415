"""What the hub's last run left in its ledger: a small record beside it, `ledger.db.head`.

    {"seq": 2039, "hash": "9f3c…"}

The hub rewrites it after every commit (the commit is durable by then, so the record never
claims more than the file holds) and once more, synced to disk, when it stops cleanly. At the
next start the ledger must hold that event with that hash: a zero-length file, a WAL that was
truncated or garbled (SQLite then silently drops the commits in it) or an older copy put in
its place all fail the comparison, and the hub refuses to start instead of serving a hall with
acknowledged tickets missing. A ledger *ahead* of the record is fine when its chain continues
from the recorded (seq, hash): that is a hub killed between a commit and the record's rewrite.

Why a sidecar and not a row in the ledger (or the auth store): a record inside the ledger file
is lost together with the damage it should reveal, and the auth store is a separate database
the hub writes rarely; a second SQLite commit per ticket would double the fsyncs of the hot
path. The sidecar is one fixed-width line rewritten in place (never torn: see
`HeadRecord.committed`), without an fsync after each commit — only at a clean stop — so it
costs about a microsecond per commit; after a power cut it may be a little behind, which the
"ahead, chain continues" rule accepts.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

SUFFIX = ".head"


class HeadUnreadable(Exception):
    """The record exists but is not one (garbled, hand-edited)."""


@dataclass(frozen=True)
class Head:
    seq: int
    hash: str


def head_path(ledger: str | Path) -> Path:
    p = Path(ledger)
    return p.with_name(p.name + SUFFIX)


class HeadRecord:
    def __init__(self, ledger: str | Path) -> None:
        self.path = head_path(ledger)
        self._fd: int | None = None

    def read(self) -> Head | None:
        """The record, or None when there is none (a new hall, an older version's ledger)."""
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        except (OSError, UnicodeDecodeError) as e:
            raise HeadUnreadable(f"{self.path} cannot be read: {e}") from None
        try:
            d = json.loads(text)
            seq, digest = d["seq"], d["hash"]
        except (ValueError, TypeError, KeyError):
            raise HeadUnreadable(f"{self.path} is not a ledger head record") from None
        if type(seq) is not int or seq < 0 or not isinstance(digest, str):
            raise HeadUnreadable(f"{self.path} is not a ledger head record")
        return Head(seq, digest)

    def committed(self, seq: int, digest: str, durable: bool = False) -> None:
        """Record that the ledger holds events up to `seq`, the last with hash `digest`.

        One write of a fixed-width record over the old one, in place: a rename per commit
        costs ~0.8 ms on ext4 (it flushes the new file's data first, auto_da_alloc), this
        one ~1 µs. A write this small within the file's first sector is never torn, by a
        SIGKILL (it reaches the page cache whole) or by a power cut (sectors are written
        whole); the record is always one committed (seq, hash) or the one before it."""
        record = _RECORD.format(seq=seq, digest=digest.ljust(64)[:64]).encode("ascii")
        first = self._fd is None
        new = first and not self.path.exists()
        if self._fd is None:
            self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        os.lseek(self._fd, 0, os.SEEK_SET)  # (os.pwrite does not exist on Windows)
        os.write(self._fd, record)
        if first:  # whatever was there before (an older, longer record) is cut off
            os.ftruncate(self._fd, len(record))
        if durable:
            os.fsync(self._fd)
            if new and os.name == "posix":
                dfd = os.open(self.path.parent, os.O_RDONLY)
                try:
                    os.fsync(dfd)
                finally:
                    os.close(dfd)

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def remove(self) -> None:
        self.close()
        self.path.unlink(missing_ok=True)


# Always the same length (seq right-aligned in 20 places, JSON allows the spaces), so a
# rewrite in place covers the old record exactly.
_RECORD = '{{"seq": {seq:20d}, "hash": "{digest}"}}\n'


def write_head(ledger: str | Path, seq: int, digest: str) -> None:
    """Write a ledger's record once, synced (after a check or a restore)."""
    record = HeadRecord(ledger)
    try:
        record.committed(seq, digest, durable=True)
    finally:
        record.close()


def record_file_head(ledger: str | Path) -> Head:
    """Write the record for what a ledger file holds now (after a restore put it in place),
    synced: the next start of the hub compares the file with it."""
    from shared.ledger.projection import hash_at, last_seq
    from shared.ledger.store import connect

    conn = connect(ledger, readonly=True)
    try:
        seq = last_seq(conn)
        head = Head(seq, hash_at(conn, seq) or "")
    finally:
        conn.close()
    write_head(ledger, head.seq, head.hash)
    return head
