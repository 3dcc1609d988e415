"""Opening ledger files: read-only connections find the right file whatever its path holds."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from shared.ledger.ledger import Ledger
from shared.ledger.model import Actor
from shared.ledger.store import WAL_LIMIT_BYTES, connect

KIOSK = Actor("kiosk-1")


@pytest.mark.parametrize("folder", ["hall#2", "hall?x=1", "hall%20b", "ruang 1", "loket&b"])
def test_a_read_only_connection_opens_the_file_it_was_given(tmp_path: Path, folder: str) -> None:
    path = tmp_path / folder / "ledger.db"
    writer = connect(path)
    writer.execute("INSERT INTO meta (key, value) VALUES ('hall', 'uji')")
    try:
        reader = connect(path, readonly=True)
        try:
            assert [tuple(r) for r in reader.execute("SELECT key, value FROM meta")] == [
                ("hall", "uji")]
            with pytest.raises(sqlite3.OperationalError, match="readonly"):
                reader.execute("INSERT INTO meta (key, value) VALUES ('x', 'y')")
        finally:
            reader.close()
    finally:
        writer.close()
    # Nothing was created beside it, as opening a mis-parsed URI would do.
    assert sorted(p.name for p in tmp_path.iterdir()) == [folder]


def test_a_read_only_connection_never_creates_a_file(tmp_path: Path) -> None:
    with pytest.raises(sqlite3.OperationalError):
        connect(tmp_path / "missing.db", readonly=True)
    assert list(tmp_path.iterdir()) == []


def test_the_wal_is_cut_back_after_a_reader_held_it_open(ledger: Ledger) -> None:
    """A reader holding an old snapshot (a backup being copied, a long catch-up) keeps the
    checkpoint from restarting the WAL, which grows past its ~16 MB; once the reader is done,
    the next restart cuts the file back under WAL_LIMIT_BYTES instead of keeping it at its
    largest for good (a small disk filled that way)."""
    wal = Path(f"{ledger.path}-wal")
    reader = connect(ledger.path, readonly=True)
    try:
        reader.execute("BEGIN")
        reader.execute("SELECT count(*) FROM events").fetchone()  # the snapshot is now held
        while wal.stat().st_size <= WAL_LIMIT_BYTES + 4 * 1024 * 1024:
            assert ledger.issue_ticket("bpjs-daftar", KIOSK).ok
        reader.execute("COMMIT")
    finally:
        reader.close()
    for _ in range(5):  # a checkpoint, then the restart that truncates
        assert ledger.issue_ticket("bpjs-daftar", KIOSK).ok
    assert wal.stat().st_size <= WAL_LIMIT_BYTES
    assert ledger.verify()
