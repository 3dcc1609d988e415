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
path. The sidecar is rewritten with a rename (atomic: a SIGKILL leaves the old record or the
new one, never half of one) and without an fsync after each commit — only at a clean stop —
so it costs a few microseconds per commit; after a power cut it may be a little behind, which
the "ahead, chain continues" rule accepts.
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
        self._tmp = self.path.with_name(f".{self.path.name}.tmp")

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
        """Record that the ledger holds events up to `seq`, the last with hash `digest`."""
        data = json.dumps({"seq": seq, "hash": digest}).encode()
        fd = os.open(self._tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.write(fd, data)
            if durable:
                os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(self._tmp, self.path)
        if durable and os.name == "posix":
            dfd = os.open(self.path.parent, os.O_RDONLY)
            try:
                os.fsync(dfd)
            finally:
                os.close(dfd)

    def remove(self) -> None:
        self.path.unlink(missing_ok=True)


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
    HeadRecord(ledger).committed(head.seq, head.hash, durable=True)
    return head
