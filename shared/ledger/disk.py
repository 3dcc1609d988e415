"""Free-space headroom on the ledger's disk.

Below a floor (`antrean hub --min-free-mb`, default DEFAULT_MIN_FREE_MB) the ledger refuses
new tickets with a clear refusal, while SQLite still has room: the visitors already waiting are
called and served (each of those commands needs WAL space too), and the hub can still restart.
Without it a small disk filled up by itself until every command failed with SQLite's "database
or disk is full", and the hub could not even start again.

The default keeps six times the WAL's bound (shared.ledger.store: WAL_LIMIT_BYTES, 20 MiB)
free, room for thousands of calls after the last new ticket."""

from __future__ import annotations

import shutil
from pathlib import Path

DEFAULT_MIN_FREE_MB = 128
DISK_LOW = "disk_low"  # the refusal's code (docs/protocol.md)
MB = 1024 * 1024


def free_bytes(path: str | Path) -> int:
    """Bytes an unprivileged process may still write on the disk holding `path` (or its
    nearest existing parent folder)."""
    p = Path(path)
    while not p.exists() and p != p.parent:
        p = p.parent
    return shutil.disk_usage(p).free


def megabytes(n: int) -> str:
    return f"{n / MB:.2f} MB"
