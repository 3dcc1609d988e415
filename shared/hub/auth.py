"""Who may talk to the hub: enrolled stations (token + role) and officers (id + PIN).

Tokens are long random strings, so a SHA-256 of them is enough to store; PINs are short, so
they are stored with a per-officer salt through scrypt, and guessing is throttled.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path

ROLES = ("kiosk", "counter", "display", "admin")

# Which commands each role may send. A display only reads; a kiosk only issues tickets.
ROLE_COMMANDS: dict[str, frozenset[str]] = {
    # A kiosk cancels only a ticket it issued itself whose visitor walked away before the reply
    # came (the hub checks the ticket's issuer).
    "kiosk": frozenset({"issue_ticket", "cancel", "alert"}),
    "counter": frozenset({
        "call_next", "recall", "start", "finish", "no_show", "return_no_show", "transfer",
        "cancel", "check_priority", "open_counter", "pause_counter", "close_counter",
        "sign_in", "sign_out", "alert",
    }),
    "display": frozenset({"alert"}),
    "admin": frozenset({
        "issue_ticket", "call_next", "recall", "start", "finish", "no_show", "return_no_show",
        "transfer", "cancel", "check_priority", "open_counter", "pause_counter",
        "close_counter", "sign_in", "sign_out", "alert",
    }),
}

PIN_FAILURES_BEFORE_LOCK = 5
PIN_LOCK_SECONDS = 60.0


@dataclass(frozen=True)
class Station:
    name: str
    role: str
    counter: int | None  # a counter station may be bound to one counter


class AuthError(ValueError):
    pass


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _pin_hash(pin: str, salt: bytes) -> str:
    return hashlib.scrypt(pin.encode(), salt=salt, n=2**14, r=8, p=1, dklen=32).hex()


class AuthStore:
    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._conn = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=FULL")
        self._conn.execute(
            "CREATE TABLE IF NOT EXISTS stations (name TEXT PRIMARY KEY, role TEXT NOT NULL, "
            "counter INTEGER, token_hash TEXT NOT NULL UNIQUE, created REAL NOT NULL)"
        )
        self._conn.execute(
            "CREATE TABLE IF NOT EXISTS officers (officer TEXT PRIMARY KEY, name TEXT NOT NULL, "
            "salt BLOB NOT NULL, pin_hash TEXT NOT NULL, created REAL NOT NULL)"
        )
        self._lock = threading.Lock()
        self._failures: dict[str, tuple[int, float]] = {}  # officer -> (count, locked until)

    def close(self) -> None:
        self._conn.close()

    # --- stations ------------------------------------------------------------------------------

    def enroll(self, name: str, role: str, counter: int | None = None) -> str:
        """Enroll (or re-enroll, replacing the old token) a station; returns its new token."""
        if role not in ROLES:
            raise AuthError(f"unknown role {role!r}; use one of {', '.join(ROLES)}")
        if not name or len(name) > 64:
            raise AuthError("a station name is 1-64 characters")
        token = secrets.token_urlsafe(24)
        while token.startswith("-"):  # a token must paste safely after a command-line flag
            token = secrets.token_urlsafe(24)
        with self._lock:
            self._conn.execute(
                "INSERT INTO stations (name, role, counter, token_hash, created) "
                "VALUES (?,?,?,?,?) ON CONFLICT(name) DO UPDATE SET role=excluded.role, "
                "counter=excluded.counter, token_hash=excluded.token_hash",
                (name, role, counter, _token_hash(token), time.time()),
            )
        return token

    def station_for(self, token: object) -> Station | None:
        if not isinstance(token, str) or not 8 <= len(token) <= 200:
            return None
        with self._lock:
            row = self._conn.execute(
                "SELECT name, role, counter FROM stations WHERE token_hash=?",
                (_token_hash(token),),
            ).fetchone()
        return Station(row[0], row[1], row[2]) if row else None

    def stations(self) -> list[Station]:
        with self._lock:
            rows = self._conn.execute("SELECT name, role, counter FROM stations ORDER BY name")
            return [Station(*r) for r in rows]

    # --- officers ------------------------------------------------------------------------------

    def add_officer(self, officer: str, name: str, pin: str) -> None:
        if not officer or len(officer) > 32:
            raise AuthError("an officer id is 1-32 characters")
        if not pin.isdigit() or not 4 <= len(pin) <= 12:
            raise AuthError("a PIN is 4-12 digits")
        salt = secrets.token_bytes(16)
        with self._lock:
            self._conn.execute(
                "INSERT INTO officers (officer, name, salt, pin_hash, created) VALUES (?,?,?,?,?) "
                "ON CONFLICT(officer) DO UPDATE SET name=excluded.name, salt=excluded.salt, "
                "pin_hash=excluded.pin_hash",
                (officer, name, salt, _pin_hash(pin, salt), time.time()),
            )

    def officer_name(self, officer: str) -> str | None:
        """The name an officer was added with (what screens greet them by), or None."""
        with self._lock:
            row = self._conn.execute(
                "SELECT name FROM officers WHERE officer=?", (officer,)).fetchone()
        return str(row[0]) if row and row[0] else None

    def check_pin(self, officer: object, pin: object, now: float | None = None) -> str:
        """'ok', 'bad' or 'locked'. After five wrong PINs an officer id is locked for a minute,
        so a PIN cannot be guessed from a counter in any useful time."""
        if not isinstance(officer, str) or not isinstance(pin, str) or len(pin) > 12:
            return "bad"
        now = time.monotonic() if now is None else now
        with self._lock:
            count, until = self._failures.get(officer, (0, 0.0))
            if until > now:
                return "locked"
            row = self._conn.execute(
                "SELECT salt, pin_hash FROM officers WHERE officer=?", (officer,)
            ).fetchone()
        ok = row is not None and hmac.compare_digest(_pin_hash(pin, row[0]), row[1])
        with self._lock:
            if ok:
                self._failures.pop(officer, None)
                return "ok"
            count += 1
            if count >= PIN_FAILURES_BEFORE_LOCK:
                self._failures[officer] = (0, now + PIN_LOCK_SECONDS)
            else:
                self._failures[officer] = (count, 0.0)
        return "bad"
