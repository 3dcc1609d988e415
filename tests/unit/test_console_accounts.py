"""The console's account store on a real SQLite file: argon2id hashes, the persisted sign-in
throttle (per account and per client address), server-side sessions with idle sign-out, the
audit log, and the `antrean console user ...` commands through the real command line."""

from __future__ import annotations

import io
import stat
import sys
from pathlib import Path

import pytest

from antrean.cli import main
from console import accounts as a
from console.accounts import AccountError, AccountStore

PASSWORD = "kata-sandi-rahasia"


class Clock:
    """A wall clock the test moves (seconds)."""

    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(tmp_path: Path, clock: Clock) -> AccountStore:
    s = AccountStore(tmp_path / "accounts.db", clock=clock)
    s.add("kepala", "Kepala DPMPTSP", "supervisor", PASSWORD)
    s.add("siti", "Siti", "coordinator", PASSWORD, agency="DUKCAPIL")
    return s


def test_the_file_is_private_and_holds_no_password(store: AccountStore) -> None:
    assert stat.S_IMODE(store.path.stat().st_mode) == 0o600
    (hashed,) = store.conn.execute("SELECT hash FROM users WHERE username='kepala'").fetchone()
    assert hashed.startswith("$argon2id$") and PASSWORD not in hashed
    assert PASSWORD.encode() not in store.path.read_bytes()


def test_a_right_password_opens_a_session_a_wrong_one_does_not(store: AccountStore) -> None:
    assert store.sign_in("kepala", "salah-salah-salah", "10.0.0.5").reason == "bad"
    assert store.sign_in("nobody", PASSWORD, "10.0.0.5").reason == "bad"
    ok = store.sign_in("Kepala ", PASSWORD, "10.0.0.5")
    assert ok.reason == "ok" and ok.session_id
    session = store.session(ok.session_id)
    assert session is not None and session.user.username == "kepala" and session.csrf
    # The table keeps the id's digest only: the id itself is nowhere in the file.
    assert ok.session_id.encode() not in store.path.read_bytes()
    assert store.session("not-a-session") is None


def test_refusals_the_store_gives(store: AccountStore) -> None:
    with pytest.raises(AccountError, match="at least"):
        store.add("budi", "", "admin", "short")
    with pytest.raises(AccountError, match="coordinator needs"):
        store.add("budi", "", "coordinator", PASSWORD)
    with pytest.raises(AccountError, match="only a coordinator"):
        store.add("budi", "", "admin", PASSWORD, agency="DUKCAPIL")
    with pytest.raises(AccountError, match="exists"):
        store.add("kepala", "", "admin", PASSWORD)
    with pytest.raises(AccountError, match="user name"):
        store.add("bu di", "", "admin", PASSWORD)
    assert [u.username for u in store.users()] == ["kepala", "siti"]


def test_an_account_is_locked_after_five_failures_even_with_the_right_password(
        store: AccountStore, clock: Clock, tmp_path: Path) -> None:
    for n in range(a.ACCOUNT_FAILURES_BEFORE_LOCK):
        assert store.sign_in("kepala", "salah-salah-salah", f"10.0.0.{n}").reason == "bad"
    locked = store.sign_in("kepala", PASSWORD, "10.0.0.99")
    assert locked.reason == "locked" and locked.session_id is None
    assert 0 < locked.retry_after <= a.ACCOUNT_LOCK_SECONDS
    # Another account is not locked, and the lock holds across a restart (it is persisted).
    assert store.sign_in("siti", PASSWORD, "10.0.0.99").reason == "ok"
    store.close()
    again = AccountStore(tmp_path / "accounts.db", clock=clock)
    assert again.sign_in("kepala", PASSWORD, "10.0.0.98").reason == "locked"
    clock.now += a.ACCOUNT_LOCK_SECONDS + 1
    assert again.sign_in("kepala", PASSWORD, "10.0.0.98").reason == "ok"


def test_an_address_is_locked_after_twenty_failures_on_any_accounts(store: AccountStore) -> None:
    for n in range(a.ADDRESS_FAILURES_BEFORE_LOCK):
        assert store.sign_in(f"guess{n}", "salah-salah-salah", "10.0.0.7").reason == "bad"
    assert store.sign_in("kepala", PASSWORD, "10.0.0.7").reason == "locked"
    assert store.sign_in("kepala", PASSWORD, "10.0.0.8").reason == "ok"


def test_an_idle_session_ends_and_a_used_one_lives(store: AccountStore, clock: Clock) -> None:
    sid = store.sign_in("kepala", PASSWORD, "10.0.0.5").session_id
    clock.now += a.IDLE_SECONDS - 60
    assert store.session(sid) is not None  # touched: the idle time starts again
    clock.now += a.IDLE_SECONDS - 60
    assert store.session(sid, touch=False) is not None
    clock.now += 120  # past the idle time since the last touch
    assert store.session(sid) is None
    assert store.session(sid) is None  # and it is gone for good


def test_disable_and_reset_end_the_sessions(store: AccountStore) -> None:
    sid = store.sign_in("siti", PASSWORD, "10.0.0.5").session_id
    store.reset_password("siti", "sandi-baru-yang-panjang")
    assert store.session(sid) is None
    assert store.sign_in("siti", PASSWORD, "10.0.0.5").reason == "bad"
    sid = store.sign_in("siti", "sandi-baru-yang-panjang", "10.0.0.5").session_id
    store.disable("siti")
    assert store.session(sid) is None
    assert store.sign_in("siti", "sandi-baru-yang-panjang", "10.0.0.5").reason == "bad"
    with pytest.raises(AccountError, match="no user"):
        store.disable("nobody")


def test_every_sign_in_is_in_the_audit_log(store: AccountStore) -> None:
    store.sign_in("kepala", "salah-salah-salah", "10.0.0.5")
    store.sign_in("kepala", PASSWORD, "10.0.0.6")
    log = store.audit_log()
    assert [(e[1], e[2], e[3], e[4]) for e in log] == [
        ("sign_in", "kepala", "10.0.0.6", True), ("sign_in", "kepala", "10.0.0.5", False)]
    assert all(PASSWORD not in e[5] for e in log)


def test_the_user_commands(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                           capsys: pytest.CaptureFixture[str]) -> None:
    """The password comes from stdin (never argv); the agency is checked against the hall
    config; a mistake is one line and changes nothing."""
    from tests.helpers.hub_process import DATA

    accounts = tmp_path / "accounts.db"
    where = ["--accounts", str(accounts)]
    monkeypatch.setattr(sys, "stdin", io.StringIO(PASSWORD + "\n"))
    assert main(["console", "user", "add", "siti", "--role", "coordinator", "--agency",
                 "DUKCAPIL", "--name", "Siti Aminah", "--config",
                 str(DATA / "small_hall.toml"), *where]) == 0
    monkeypatch.setattr(sys, "stdin", io.StringIO(PASSWORD + "\n"))
    assert main(["console", "user", "add", "budi", "--role", "coordinator", "--agency",
                 "PAJAK", "--config", str(DATA / "small_hall.toml"), *where]) == 2
    err = capsys.readouterr().err
    assert "no agency 'PAJAK'" in err and "Traceback" not in err
    monkeypatch.setattr(sys, "stdin", io.StringIO("short\n"))
    assert main(["console", "user", "add", "budi", "--role", "admin", *where]) == 2
    assert "at least" in capsys.readouterr().err
    assert main(["console", "user", "list", *where]) == 0
    assert capsys.readouterr().out == "siti\tcoordinator DUKCAPIL\tSiti Aminah\n"
    assert main(["console", "user", "disable", "siti", *where]) == 0
    assert main(["console", "user", "list", *where]) == 0
    assert "(disabled)" in capsys.readouterr().out
    store = AccountStore(accounts)
    assert store.sign_in("siti", PASSWORD, "x").reason == "bad"
    store.close()


def test_sign_ins_from_worker_threads_while_sessions_are_read(store: AccountStore) -> None:
    """The console checks passwords in worker threads while its event loop reads sessions
    from the same store: every answer is right and every session lives."""
    from concurrent.futures import ThreadPoolExecutor

    first = store.sign_in("kepala", PASSWORD, "10.0.0.1").session_id
    with ThreadPoolExecutor(3) as pool:
        answers = list(pool.map(
            lambda n: store.sign_in(("kepala", "siti")[n % 2], PASSWORD, f"10.0.1.{n}"),
            range(6)))
        for _ in range(50):
            assert store.session(first) is not None
    assert [x.reason for x in answers] == ["ok"] * 6
    assert all(store.session(x.session_id) is not None for x in answers)
    assert len(store.audit_log()) == 7
