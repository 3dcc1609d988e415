"""The auth store's `pin_change_required` column: added to a store made before it (its
officers asked for nothing), set by a reset, cleared by the officer's own change."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from shared.hub.auth import AuthError, AuthStore, temporary_pin


def test_an_older_store_gains_the_column_and_its_officers_keep_their_pin(tmp_path: Path) -> None:
    path = tmp_path / "hub-auth.db"
    store = AuthStore(path)
    store.add_officer("siti", "Siti", "2468")
    store.close()
    old = sqlite3.connect(path)  # as a store of the release before: without the column
    old.execute("ALTER TABLE officers DROP COLUMN pin_change_required")
    old.commit()
    old.close()

    store = AuthStore(path)
    try:
        assert not store.pin_change_required("siti")
        assert store.check_pin("siti", "2468", "loket-1") == "ok"
        store.reset_pin("siti", "424242", change_required=True)
        assert store.pin_change_required("siti")
        with pytest.raises(AuthError, match="4-12 digits"):
            store.change_pin("siti", "12")
        assert store.pin_change_required("siti")  # a bad new PIN changed nothing
        assert store.check_pin("siti", "424242", "loket-1") == "ok"
        store.change_pin("siti", "135790")
        assert not store.pin_change_required("siti")
        assert store.check_pin("siti", "135790", "loket-1") == "ok"
    finally:
        store.close()


def test_a_temporary_pin_is_six_digits_and_not_the_same_each_time() -> None:
    pins = {temporary_pin() for _ in range(20)}
    assert all(p.isdigit() and len(p) == 6 for p in pins)
    assert len(pins) > 1
