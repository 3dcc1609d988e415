"""The console's own store: the people who sign in (supervisor, admin, agency coordinator),
their server-side sessions, the sign-in throttle and the audit log. One SQLite file beside the
console's replica, made 0600 (shared.ledger.files), never the hub's auth store: a console's
accounts are people in an office, not stations.

Passwords are hashed with argon2id (argon2-cffi's PasswordHasher, its recommended settings).
A session id is 32 random bytes; the table keeps only its SHA-256, so a copy of the file
signs nobody in. No aiohttp here: the store is plain SQLite, used by the CLI and the app."""

from __future__ import annotations

import contextlib
import hashlib
import secrets
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import argon2

from shared.ledger.files import create_private

ROLES = ("supervisor", "admin", "coordinator")
ROLE_NAMES = {"supervisor": ("Supervisor", "Supervisor"), "admin": ("Admin", "Admin"),
              "coordinator": ("Koordinator instansi", "Agency coordinator")}

# Sign-in throttle, persisted (a restart does not reset it): failures in a row...
ACCOUNT_FAILURES_BEFORE_LOCK = 5  # ...for one account, from anywhere, lock it for
ACCOUNT_LOCK_SECONDS = 300.0  # five minutes;
ADDRESS_FAILURES_BEFORE_LOCK = 20  # ...from one client address, any accounts, lock it
ADDRESS_LOCK_SECONDS = 900.0  # for fifteen minutes.
IDLE_SECONDS = 30 * 60.0  # a session unused this long is signed out
MIN_PASSWORD = 10
USERNAME_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789._-")

SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    username TEXT PRIMARY KEY, name TEXT NOT NULL, role TEXT NOT NULL, agency TEXT,
    hash TEXT NOT NULL, disabled INTEGER NOT NULL DEFAULT 0, created REAL NOT NULL);
CREATE TABLE IF NOT EXISTS sessions (
    id_hash TEXT PRIMARY KEY, username TEXT NOT NULL, csrf TEXT NOT NULL,
    created REAL NOT NULL, last_seen REAL NOT NULL);
CREATE TABLE IF NOT EXISTS throttle (
    key TEXT PRIMARY KEY, failures INTEGER NOT NULL, locked_until REAL NOT NULL);
CREATE TABLE IF NOT EXISTS audit (
    id INTEGER PRIMARY KEY AUTOINCREMENT, at REAL NOT NULL, action TEXT NOT NULL,
    username TEXT NOT NULL, address TEXT NOT NULL, ok INTEGER NOT NULL, detail TEXT NOT NULL);
"""


class AccountError(Exception):
    """A user's mistake with an account (unknown name, weak password): one English line."""


@dataclass(frozen=True)
class User:
    username: str
    name: str
    role: str
    agency: str | None  # a coordinator's agency code; None for the others
    disabled: bool

    def sees(self, agency: str) -> bool:
        return self.role != "coordinator" or agency == self.agency


@dataclass(frozen=True)
class Session:
    user: User
    csrf: str


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: float  # Unix seconds
    action: str  # sign_in, sign_out, export, csrf_refused, …
    username: str
    address: str
    ok: bool
    detail: str


@dataclass(frozen=True)
class SignIn:
    """The answer to a sign-in: a session id for the cookie, or why not."""

    session_id: str | None
    reason: str  # "ok", "bad" (wrong name or password, one answer for both), "locked"
    retry_after: float = 0.0


def _digest(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


class AccountStore:
    def __init__(self, path: Path, clock: Callable[[], float] = time.time,
                 idle_seconds: float = IDLE_SECONDS) -> None:
        self.path = create_private(path)
        # Autocommit, shared with the console's worker thread that checks passwords: every
        # use holds the lock, and a change of several rows is one transaction (`_tx`). The
        # password check itself (argon2, a tenth of a second) runs outside the lock.
        self.conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self.lock = threading.RLock()
        self.conn.execute("PRAGMA busy_timeout=5000")
        self.conn.executescript(SCHEMA)
        self.clock = clock
        self.idle_seconds = idle_seconds
        self.hasher = argon2.PasswordHasher()
        # Verified against when the name is unknown, so a wrong name costs what a wrong
        # password does (no timing tells which names exist).
        self._dummy = self.hasher.hash(secrets.token_hex(16))

    def close(self) -> None:
        with self.lock:
            self.conn.close()

    @contextlib.contextmanager
    def _tx(self) -> Iterator[None]:
        with self.lock:
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                yield
            except BaseException:
                self.conn.execute("ROLLBACK")
                raise
            self.conn.execute("COMMIT")

    # --- accounts -----------------------------------------------------------------------------

    def add(self, username: str, name: str, role: str, password: str,
            agency: str | None = None) -> User:
        username = username.strip().lower()
        if not username or len(username) > 64 or not set(username) <= USERNAME_CHARS:
            raise AccountError("a user name is 1-64 of a-z, 0-9, '.', '_' and '-'")
        if role not in ROLES:
            raise AccountError(f"unknown role {role!r}; one of {', '.join(ROLES)}")
        if (role == "coordinator") != bool(agency):
            raise AccountError("a coordinator needs --agency CODE, and only a coordinator has one")
        self._check_password(password)
        hashed = self.hasher.hash(password)
        try:
            with self.lock:
                self.conn.execute(
                    "INSERT INTO users (username, name, role, agency, hash, created) "
                    "VALUES (?,?,?,?,?,?)",
                    (username, name.strip() or username, role, agency, hashed, self.clock()))
        except sqlite3.IntegrityError:
            raise AccountError(f"user {username!r} exists already") from None
        user = self.user(username)
        assert user is not None
        return user

    def _check_password(self, password: str) -> None:
        if len(password) < MIN_PASSWORD:
            raise AccountError(f"a password is at least {MIN_PASSWORD} characters")

    def user(self, username: str) -> User | None:
        with self.lock:
            row = self.conn.execute(
                "SELECT username, name, role, agency, disabled FROM users WHERE username=?",
                (username.strip().lower(),)).fetchone()
        return User(row[0], row[1], row[2], row[3], bool(row[4])) if row else None

    def users(self) -> list[User]:
        with self.lock:
            return [User(r[0], r[1], r[2], r[3], bool(r[4])) for r in self.conn.execute(
                "SELECT username, name, role, agency, disabled FROM users ORDER BY username")]

    def disable(self, username: str) -> None:
        self._require(username)
        with self._tx():
            self.conn.execute("UPDATE users SET disabled=1 WHERE username=?", (username,))
            self.conn.execute("DELETE FROM sessions WHERE username=?", (username,))

    def reset_password(self, username: str, password: str) -> None:
        """A new password; the account's sessions end and its throttle is cleared."""
        self._require(username)
        self._check_password(password)
        with self._tx():
            self.conn.execute("UPDATE users SET hash=? WHERE username=?",
                              (self.hasher.hash(password), username))
            self.conn.execute("DELETE FROM sessions WHERE username=?", (username,))
            self.conn.execute("DELETE FROM throttle WHERE key=?", (f"user:{username}",))

    def _require(self, username: str) -> None:
        if self.user(username) is None:
            raise AccountError(f"no user {username!r}")

    # --- signing in ---------------------------------------------------------------------------

    def sign_in(self, username: str, password: str, address: str) -> SignIn:
        """Checks the throttle first (a locked account or address is not even tried), then
        the password; every attempt goes into the audit log. Safe to call from a worker
        thread while the event loop uses the store."""
        username = username.strip().lower()[:64]
        now = self.clock()
        keys = (f"user:{username}", f"addr:{address}")
        with self.lock:
            locked = max(self._locked_until(k) for k in keys)
            if locked > now:
                self.audit("sign_in", username, address, False, "throttled")
                return SignIn(None, "locked", locked - now)
            row = self.conn.execute("SELECT hash, disabled FROM users WHERE username=?",
                                    (username,)).fetchone()
        try:
            ok = self.hasher.verify(row[0] if row else self._dummy, password) and bool(row)
        except (argon2.exceptions.VerificationError, argon2.exceptions.InvalidHashError):
            ok = False
        with self.lock:
            if not ok or row[1]:
                self.audit("sign_in", username, address, False,
                           "disabled" if ok else "wrong name or password")
                self._fail(keys, now)
                return SignIn(None, "bad")
            session_id = secrets.token_urlsafe(32)
            with self._tx():
                if self.hasher.check_needs_rehash(row[0]):
                    self.conn.execute("UPDATE users SET hash=? WHERE username=?",
                                      (self.hasher.hash(password), username))
                self.conn.execute("DELETE FROM throttle WHERE key=?", (keys[0],))
                self.conn.execute(
                    "INSERT INTO sessions (id_hash, username, csrf, created, last_seen) "
                    "VALUES (?,?,?,?,?)", (_digest(session_id), username,
                                           secrets.token_urlsafe(32), now, now))
            self.audit("sign_in", username, address, True, "")
        return SignIn(session_id, "ok")

    def _locked_until(self, key: str) -> float:
        with self.lock:
            row = self.conn.execute("SELECT locked_until FROM throttle WHERE key=?",
                                    (key,)).fetchone()
            return float(row[0]) if row else 0.0

    def _fail(self, keys: tuple[str, str], now: float) -> None:
        limits = ((ACCOUNT_FAILURES_BEFORE_LOCK, ACCOUNT_LOCK_SECONDS),
                  (ADDRESS_FAILURES_BEFORE_LOCK, ADDRESS_LOCK_SECONDS))
        with self._tx():
            for key, (most, seconds) in zip(keys, limits, strict=True):
                row = self.conn.execute("SELECT failures FROM throttle WHERE key=?",
                                        (key,)).fetchone()
                failures = (int(row[0]) if row else 0) + 1
                until = 0.0
                if failures >= most:
                    failures, until = 0, now + seconds
                self.conn.execute(
                    "INSERT INTO throttle (key, failures, locked_until) VALUES (?,?,?) "
                    "ON CONFLICT(key) DO UPDATE SET failures=excluded.failures, "
                    "locked_until=max(locked_until, excluded.locked_until)",
                    (key, failures, until))

    def session(self, session_id: str | None, touch: bool = True) -> Session | None:
        """The session a cookie names, when it is live (not idle too long, its user enabled);
        `touch` (a person's request, not a live stream) keeps it alive. An idle one is
        deleted."""
        with self.lock:
            if not session_id:
                return None
            now = self.clock()
            row = self.conn.execute(
                "SELECT s.username, s.csrf, s.last_seen FROM sessions s WHERE s.id_hash=?",
                (_digest(session_id),)).fetchone()
            if row is None:
                return None
            if now - float(row[2]) > self.idle_seconds:
                self.conn.execute("DELETE FROM sessions WHERE id_hash=?", (_digest(session_id),))
                return None
            user = self.user(row[0])
            if user is None or user.disabled:
                return None
            if touch:
                self.conn.execute("UPDATE sessions SET last_seen=? WHERE id_hash=?",
                                  (now, _digest(session_id)))
            return Session(user, str(row[1]))

    def sign_out(self, session_id: str, address: str) -> None:
        with self.lock:
            row = self.conn.execute("SELECT username FROM sessions WHERE id_hash=?",
                                    (_digest(session_id),)).fetchone()
            self.conn.execute("DELETE FROM sessions WHERE id_hash=?", (_digest(session_id),))
            if row:
                self.audit("sign_out", row[0], address, True, "")

    # --- the audit log ------------------------------------------------------------------------

    def audit(self, action: str, username: str, address: str, ok: bool, detail: str) -> None:
        with self.lock:
            self.conn.execute(
                "INSERT INTO audit (at, action, username, address, ok, detail) "
                "VALUES (?,?,?,?,?,?)",
                (self.clock(), action, username, address, int(ok), detail))

    def audit_page(self, username: str = "", action: str = "", since: float | None = None,
                   until: float | None = None, offset: int = 0, limit: int = 50
                   ) -> tuple[list[AuditEntry], int]:
        """One page of the audit log, newest first, filtered by who (a user name, exactly),
        what (an action) and when (since <= at < until, Unix seconds); and how many entries
        the filter finds in all."""
        where: list[str] = []
        params: list[str | float] = []
        if username:
            where.append("username = ?")
            params.append(username.strip().lower())
        if action:
            where.append("action = ?")
            params.append(action)
        if since is not None:
            where.append("at >= ?")
            params.append(since)
        if until is not None:
            where.append("at < ?")
            params.append(until)
        clause = " WHERE " + " AND ".join(where) if where else ""
        with self.lock:
            total = int(self.conn.execute(f"SELECT count(*) FROM audit{clause}",
                                          params).fetchone()[0])
            rows = self.conn.execute(
                f"SELECT id, at, action, username, address, ok, detail FROM audit{clause} "
                f"ORDER BY id DESC LIMIT ? OFFSET ?", (*params, limit, offset)).fetchall()
        return [AuditEntry(int(r[0]), float(r[1]), r[2], r[3], r[4], bool(r[5]), r[6])
                for r in rows], total

    def audit_actions(self) -> list[str]:
        """The actions the audit log holds, for the page's filter."""
        with self.lock:
            return [r[0] for r in self.conn.execute(
                "SELECT DISTINCT action FROM audit ORDER BY action")]

    def audit_log(self, limit: int = 100) -> list[tuple[float, str, str, str, bool, str]]:
        """Newest first: (at, action, username, address, ok, detail)."""
        with self.lock:
            return [(float(r[0]), r[1], r[2], r[3], bool(r[4]), r[5]) for r in self.conn.execute(
                "SELECT at, action, username, address, ok, detail FROM audit ORDER BY id DESC "
                "LIMIT ?", (limit,))]
