"""Enrolling a browser as a counter station with a one-time code.

An agency's own laptop gets no software and no token typed by hand: IT makes a short code
(`antrean hub stations code NAME --counter N`, later the console), the officer's browser opens
the web station's /petugas page and types it, and the web station redeems it with the hub
(POST /enrol, allowed to a station of role `web` and to nothing else). The hub then enrols
NAME as an ordinary `counter` station, bound to that counter, and hands its token to the web
station, which keeps it in the browser's HTTP-only cookie. From then on the browser is a
counter station like a Qt one: the hub checks its token, revokes it live (4004) and throttles
its PINs under its own name.

A code is short so that it can be read off a screen and typed: 8 letters and digits without
the look-alikes (0/O, 1/I/L), about 40 bits. That is enough because a code lives 10 minutes,
works once, and a web station that sends wrong codes is locked out for a while (so is every
browser behind it: enrolment is rare, and IT simply makes a new code). Codes are stored as
their SHA-256, like tokens: the store's file never holds one that works.
"""

from __future__ import annotations

import hashlib
import secrets
import sqlite3
import threading
import time
from dataclasses import dataclass

from shared.hub.auth import AuthError, AuthStore, Station

CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 8
CODE_MINUTES = 10
# Wrong codes in a row from one web station before it may not try for a while (doubling).
FAILURES_BEFORE_LOCK = 5
LOCK_SECONDS = 60.0
LOCK_MAX_SECONDS = 3600.0

# Why a code was refused -> what the officer reads (the web station shows it).
REFUSALS = {
    "bad": "Kode pendaftaran salah atau sudah dipakai. Minta kode baru kepada petugas TI.",
    "expired": "Kode pendaftaran sudah kedaluwarsa. Minta kode baru kepada petugas TI.",
    "locked": "Terlalu banyak kode salah. Tunggu beberapa menit, lalu coba lagi.",
}


class EnrolmentRefused(Exception):
    def __init__(self, why: str) -> None:
        super().__init__(why)
        self.why = why  # a key of REFUSALS

    @property
    def pesan(self) -> str:
        return REFUSALS[self.why]


@dataclass(frozen=True)
class Code:
    code: str  # as shown: XXXX-XXXX
    name: str
    counter: int
    expires: float  # Unix time


def normalise(code: str) -> str:
    """What the officer typed, as stored: upper case, without spaces and dashes."""
    return "".join(ch for ch in code.upper() if ch.isalnum())


def _hash(code: str) -> str:
    return hashlib.sha256(normalise(code).encode()).hexdigest()


class Enrolment:
    """The one-time codes, kept in the hub's auth store (their own tables)."""

    def __init__(self, store: AuthStore) -> None:
        self.store = store
        self._conn = sqlite3.connect(store.path, check_same_thread=False, isolation_level=None,
                                     timeout=10.0)
        self._conn.execute(
            "CREATE TABLE IF NOT EXISTS enrolment_codes (code_hash TEXT PRIMARY KEY, "
            "name TEXT NOT NULL, counter INTEGER NOT NULL, expires REAL NOT NULL, "
            "created REAL NOT NULL)")
        self._conn.execute(
            "CREATE TABLE IF NOT EXISTS enrolment_failures (requester TEXT PRIMARY KEY, "
            "count INTEGER NOT NULL, locks INTEGER NOT NULL, locked_until REAL NOT NULL)")
        self._lock = threading.Lock()

    def close(self) -> None:
        self._conn.close()

    def create(self, name: str, counter: int, minutes: float = CODE_MINUTES,
               now: float | None = None) -> Code:
        """A new code that enrols NAME as a counter station bound to COUNTER. An older code
        for the same name stops working (one browser per name)."""
        if not name or len(name) > 64:
            raise AuthError("a station name is 1-64 characters")
        if counter < 1:
            raise AuthError("a counter number is 1 or more")
        if not 0 < minutes <= 24 * 60:
            raise AuthError("a code lives 1 minute to 24 hours")
        existing = {s.name: s for s in self.store.stations()}.get(name)
        if existing is not None and existing.role != "counter":
            raise AuthError(f"{name!r} is enrolled as a {existing.role} station; pick another "
                            f"name")
        now = time.time() if now is None else now
        raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                self._conn.execute("DELETE FROM enrolment_codes WHERE name=? OR expires<?",
                                   (name, now))
                self._conn.execute(
                    "INSERT INTO enrolment_codes (code_hash, name, counter, expires, created) "
                    "VALUES (?,?,?,?,?)", (_hash(raw), name, counter, now + minutes * 60, now))
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")
        return Code(f"{raw[:4]}-{raw[4:]}", name, counter, now + minutes * 60)

    def redeem(self, code: str, requester: str, now: float | None = None
               ) -> tuple[str, Station]:
        """Use a code once: enrol its station and return the new token. Raises
        EnrolmentRefused ("bad", "expired", "locked"); a wrong code counts against the
        requester (the web station that asked)."""
        now = time.time() if now is None else now
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                why, row = self._take(code, requester, now)
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")
        if why is not None:
            raise EnrolmentRefused(why)
        assert row is not None
        name, counter = str(row[0]), int(row[1])
        token = self.store.enroll(name, "counter", counter)
        return token, Station(name, "counter", counter)

    def _take(self, code: str, requester: str, now: float
              ) -> tuple[str | None, tuple[str, int, float] | None]:
        lock = self._conn.execute(
            "SELECT count, locks, locked_until FROM enrolment_failures WHERE requester=?",
            (requester,)).fetchone()
        if lock is not None and lock[2] > now:
            return "locked", None
        row = self._conn.execute(
            "SELECT name, counter, expires FROM enrolment_codes WHERE code_hash=?",
            (_hash(code),)).fetchone() if len(normalise(code)) == CODE_LENGTH else None
        if row is not None:
            # Used or expired, it goes: a code never works twice.
            self._conn.execute("DELETE FROM enrolment_codes WHERE code_hash=?", (_hash(code),))
            self._conn.execute("DELETE FROM enrolment_failures WHERE requester=?",
                               (requester,))
            return ("expired", None) if row[2] < now else (None, (row[0], row[1], row[2]))
        count, locks = (lock[0] + 1, lock[1]) if lock else (1, 0)
        until = 0.0
        if count >= FAILURES_BEFORE_LOCK:
            until, count, locks = now + min(LOCK_MAX_SECONDS, LOCK_SECONDS * 2 ** locks), 0, \
                locks + 1
        self._conn.execute(
            "INSERT INTO enrolment_failures (requester, count, locks, locked_until) "
            "VALUES (?,?,?,?) ON CONFLICT(requester) DO UPDATE SET count=excluded.count, "
            "locks=excluded.locks, locked_until=excluded.locked_until",
            (requester, count, locks, until))
        return "bad", None


def redeem_reply(enrolment: Enrolment, station: Station, body: object
                 ) -> tuple[int, dict[str, object]]:
    """The hub's answer to POST /enrol from `station`: (HTTP status, JSON body). Only a web
    station may redeem (it is the one that serves /petugas)."""
    if station.role != "web":
        return 403, {"error": "forbidden", "message": "only a web station redeems codes"}
    code = body.get("code") if isinstance(body, dict) else None
    if not isinstance(code, str) or len(code) > 32:
        return 400, {"error": "bad_args", "message": "send {\"code\": \"XXXX-XXXX\"}"}
    try:
        token, enrolled = enrolment.redeem(code, station.name)
    except EnrolmentRefused as e:
        return 400, {"error": e.why, "message": f"code refused: {e.why}", "pesan": e.pesan}
    return 200, {"token": token, "station": enrolled.name, "counter": enrolled.counter}
