"""Opening ledger files: read-only connections find the right file whatever its path holds."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from shared.ledger.store import connect


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
