"""The PIN throttle of the auth store (AuthStore.check_pin), on a real store file with the
time given: per officer id at one station, per station, escalating, kept in the file."""

from __future__ import annotations

from pathlib import Path

from shared.hub import auth
from shared.hub.auth import AuthStore

T0 = 1_800_000_000.0


def guesses(store: AuthStore, officer: str, station: str, n: int, now: float) -> list[str]:
    return [store.check_pin(officer, f"{i:06d}", station, now) for i in range(n)]


def test_the_lock_is_per_station_escalates_and_lives_in_the_file(tmp_path: Path) -> None:
    store = AuthStore(tmp_path / "hub-auth.db")
    store.add_officer("siti", "Siti", "246810")
    assert guesses(store, "siti", "loket-a", 5, T0) == ["bad"] * 5
    assert store.check_pin("siti", "246810", "loket-a", T0 + 1) == "locked"
    assert store.check_pin("siti", "246810", "loket-b", T0 + 1) == "ok"  # elsewhere: fine
    store.close()

    store = AuthStore(tmp_path / "hub-auth.db")  # a restart keeps it
    assert store.check_pin("siti", "246810", "loket-a", T0 + 59) == "locked"
    # A minute later five more guesses, then two minutes: each lock doubles.
    assert guesses(store, "siti", "loket-a", 5, T0 + 61) == ["bad"] * 5
    assert store.check_pin("siti", "246810", "loket-a", T0 + 61 + 119) == "locked"
    assert store.check_pin("siti", "246810", "loket-a", T0 + 61 + 121) == "ok"
    # The right PIN wiped the count: five fresh guesses before the next lock, of a minute.
    assert guesses(store, "siti", "loket-a", 5, T0 + 200) == ["bad"] * 5
    assert store.check_pin("siti", "246810", "loket-a", T0 + 261) == "ok"
    store.close()


def test_a_station_sweeping_ids_locks_itself_and_reset_pin_unlocks_an_officer(
        tmp_path: Path) -> None:
    store = AuthStore(tmp_path / "hub-auth.db")
    store.add_officer("budi", "Budi", "135790")
    n = auth.STATION_FAILURES_BEFORE_LOCK
    codes = [store.check_pin(f"id-{i}", "000000", "loket-a", T0) for i in range(n)]
    assert codes == ["bad"] * n
    assert store.check_pin("budi", "135790", "loket-a", T0 + 1) == "locked"
    assert store.check_pin("budi", "135790", "loket-a",
                           T0 + auth.STATION_LOCK_SECONDS + 1) == "ok"

    assert guesses(store, "budi", "loket-c", 5, T0) == ["bad"] * 5
    assert store.check_pin("budi", "135790", "loket-c", T0 + 1) == "locked"
    store.reset_pin("budi", "975310")  # IT gives a new PIN: the id is unlocked everywhere
    assert store.check_pin("budi", "975310", "loket-c", T0 + 2) == "ok"
    store.close()
