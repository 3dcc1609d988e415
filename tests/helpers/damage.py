"""Real damage to real ledger files, as disks, crashes and hurried people cause it: bytes flipped
inside a record, an index that lost entries (SQLite's integrity check fails, yet every row
still reads), a truncated or garbled -wal, a file emptied to 0 bytes."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path


def replace_bytes(path: Path, old: bytes, new: bytes) -> None:
    """Overwrite the first occurrence of `old` with `new` (same length) inside the file: a
    record's content changes, its structure does not, so SQLite's integrity check passes."""
    assert len(old) == len(new)
    data = path.read_bytes()
    at = data.find(old)
    assert at >= 0, f"{old!r} not found in {path}"
    path.write_bytes(data[:at] + new + data[at + len(old):])


def write_past_an_index(path: Path, index: str, write: Callable[[], None]) -> None:
    """Run `write` while SQLite does not know of `index`, then put the index back: the rows
    written are missing from it. Every row reads as before; `PRAGMA integrity_check` fails."""
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        row = conn.execute("SELECT type, name, tbl_name, rootpage, sql FROM sqlite_master "
                           "WHERE name=?", (index,)).fetchone()
        assert row is not None, index
        conn.execute("PRAGMA writable_schema=ON")
        conn.execute("DELETE FROM sqlite_master WHERE name=?", (index,))
    finally:
        conn.close()
    write()
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA writable_schema=ON")
        conn.execute("INSERT INTO sqlite_master VALUES (?,?,?,?,?)", row)
    finally:
        conn.close()


def truncate(path: Path, size: int) -> None:
    with open(path, "r+b") as f:
        f.truncate(size)


def garble(path: Path, at: int, length: int = 64) -> None:
    """Overwrite `length` bytes at offset `at` with 0x5A."""
    with open(path, "r+b") as f:
        f.seek(at)
        f.write(b"\x5a" * length)


def integrity(path: Path) -> list[str]:
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        return [r[0] for r in conn.execute("PRAGMA integrity_check")]
    finally:
        conn.close()
