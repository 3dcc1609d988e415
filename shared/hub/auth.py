"""Who may talk to the hub: enrolled stations (token + role) and officers (id + PIN), and what
each may send (`permitted`, the role policy the hub and one-PC mode share).

Tokens are long random strings, so a SHA-256 of them is enough to store; PINs are short, so
they are stored with a per-officer salt through scrypt, and guessing is throttled.

`antrean hub stations revoke` and `officer disable` write this store while the hub runs; the
hub notices through SQLite's `data_version` (which changes when another connection commits)
and closes what the change took away, live connections included. A revoked or replaced token
is kept (as its hash) so the hub can tell a station "revoked" rather than "never enrolled".
"""

from __future__ import annotations

import difflib
import hashlib
import hmac
import secrets
import sqlite3
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from shared.hub import protocol as p
from shared.ledger.files import create_private
from shared.ledger.model import Refusal, check_args

ROLES = ("kiosk", "counter", "display", "web", "admin", "export")

# Requests about the hub itself (its enrolled stations, its officers, who is connected), which
# the hub answers from its auth store and its connections, never through the ledger:
# shared.hub.admin. Only an admin station may send them (the console).
HUB_ADMIN_COMMANDS = frozenset({
    "station_list", "station_enroll", "station_revoke", "station_rename", "station_code",
    "officer_list", "officer_add", "officer_edit", "officer_disable", "officer_enable",
    "officer_reset_pin",
})

# The officer's own request about their PIN, answered by the hub from its auth store like the
# admin's (never through the ledger: a PIN is not history); a counter or admin station sends it
# with an officer signed in (shared.hub.server, docs/protocol.md section 5.4).
HUB_OFFICER_COMMANDS = frozenset({"change_pin"})

# Which commands each role may send. A display only reads; a kiosk only issues tickets; a web
# station only reads, but for a served visitor's SKM answer (not even an alert: it may face
# the internet).
ROLE_COMMANDS: dict[str, frozenset[str]] = {
    # A kiosk cancels only a ticket it issued itself whose visitor walked away before the reply
    # came (the hub checks the ticket's issuer).
    "kiosk": frozenset({"issue_ticket", "cancel", "alert"}),
    "counter": frozenset({
        "call_next", "recall", "start", "finish", "no_show", "return_no_show", "transfer",
        "cancel", "check_priority", "open_counter", "pause_counter", "close_counter",
        "sign_in", "sign_out", "alert", "change_pin",
    }),
    "display": frozenset({"alert"}),
    # The region's exporter (`antrean export postgres`) follows the event stream and catches
    # up; it sends no command at all, not even an alert.
    "export": frozenset(),
    # The public web station (antrean web) serves phones from its replica; its one write is an
    # SKM answer for a served ticket, proved by the ticket's secret (the ledger checks it).
    "web": frozenset({"answer_survey"}),
    "admin": frozenset({
        "issue_ticket", "call_next", "recall", "start", "finish", "no_show", "return_no_show",
        "transfer", "cancel", "check_priority", "open_counter", "pause_counter",
        "close_counter", "sign_in", "sign_out", "alert",
        # `antrean config import` and the console's config pages.
        "change_config", "change_pin",
    }) | HUB_ADMIN_COMMANDS,
}

# PIN guessing (AuthStore.check_pin): per officer id at one station, and per station.
PIN_FAILURES_BEFORE_LOCK = 5  # wrong PINs in a row for one id at one station...
PIN_LOCK_SECONDS = 60.0  # ...lock that id there for a minute,
PIN_LOCK_MAX_SECONDS = 3600.0  # doubling with each further lock, up to an hour
STATION_FAILURES_BEFORE_LOCK = 20  # wrong PINs in a row at one station, any ids...
STATION_LOCK_SECONDS = 900.0  # ...and it signs nobody in for 15 minutes,
STATION_LOCK_MAX_SECONDS = 4 * 3600.0  # doubling with each further lock, up to 4 hours
PIN_MIN_DIGITS, PIN_MAX_DIGITS = 4, 12
PIN_ADVISED_DIGITS = 6  # `officer add` warns below this (docs/install-id.md says why)


@dataclass(frozen=True)
class Station:
    name: str
    role: str
    counter: int | None  # a counter station may be bound to one counter


@dataclass(frozen=True)
class Officer:
    officer: str
    name: str
    disabled: bool
    agency: str | None = None  # the agency code they serve for, when IT gave one


class AuthError(ValueError):
    pass


NOT_FROM_HERE = "Perintah ini tidak diizinkan dari perangkat ini."


def permitted(station: Station, officer: str | None, kind: str, args: Mapping[str, Any],
              *, sign_in: bool = False, ticket_issuer: str | None = None,
              officer_counter: int | None = None) -> Refusal | None:
    """Whether this station, with this officer signed in on it, may send this command: the one
    role policy, applied by the hub and by one-PC mode (EmbeddedLink) alike. None when allowed.

    Pure: what it needs of the ledger comes as plain values, `ticket_issuer` being the station
    that issued `args["ticket"]` (asked only of a cancel), `officer_counter` the counter the
    signed-in officer signed in at. `sign_in=True` judges the sign_in
    message, whose PIN the caller checks after this (a `command` of kind sign_in is forbidden:
    it would skip the PIN).

    The order is docs/protocol.md section 3's: a kind nobody knows is unknown_command for every
    role, admin included; a kind the role may not send is forbidden; malformed arguments are
    bad_args; then a kiosk cancels only what it issued, and a counter station acts only on its
    own counter (when enrolled with one), only with an officer signed in, and only at the
    counter that officer signed in at: an unbound counter station cannot call at another
    officer's counter under its own officer's name.
    """
    allowed = ROLE_COMMANDS.get(station.role, frozenset())
    if sign_in:
        if "sign_in" not in allowed:
            return Refusal(p.FORBIDDEN, f"a {station.role} station may not sign officers in",
                           NOT_FROM_HERE)
        if station.counter is not None and args.get("counter") != station.counter:
            return _bound(station)
        return None
    # The hub's own requests are not the ledger's commands: shared.hub.admin checks their args.
    malformed = (None if kind in HUB_ADMIN_COMMANDS or kind in HUB_OFFICER_COMMANDS
                 else check_args(kind, args))
    if malformed is not None and malformed.code == p.UNKNOWN_COMMAND:
        return malformed
    if kind == "sign_in":
        return Refusal(p.FORBIDDEN, "sign in with the sign_in message (it checks the PIN)",
                       NOT_FROM_HERE)
    if kind not in allowed:
        return Refusal(p.FORBIDDEN, f"a {station.role} station may not send {kind}",
                       NOT_FROM_HERE)
    if malformed is not None:
        return malformed
    if kind == "alert" and args.get("key") is not None and station.role != "admin":
        # Only the console resolves another station's problem (by the alert's key).
        return Refusal(p.FORBIDDEN, "only an admin station resolves another station's alert",
                       NOT_FROM_HERE)
    if station.role == "kiosk" and kind == "cancel" and ticket_issuer != station.name:
        return Refusal(p.FORBIDDEN, "a kiosk may cancel only tickets it issued", NOT_FROM_HERE)
    if station.role == "counter" and kind != "alert":
        counter = args.get("counter")
        if station.counter is not None and counter is not None and counter != station.counter:
            return _bound(station)
        if officer is None:
            return Refusal(p.NOT_SIGNED_IN, "sign in first",
                           "Petugas belum masuk. Silakan masuk dengan ID dan PIN.")
        if counter is not None and counter != officer_counter:
            return Refusal(
                p.FORBIDDEN, f"{officer} is signed in at counter {officer_counter}, not {counter}",
                "Petugas di perangkat ini masuk di loket lain. Masuk lagi di loket ini.")
    return None


def _bound(station: Station) -> Refusal:
    return Refusal(p.FORBIDDEN, f"this station is bound to counter {station.counter}",
                   "Perangkat ini untuk loket lain.")


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _nearest(name: str, names: list[str]) -> str:
    near = difflib.get_close_matches(name, names, n=1)
    return f' (did you mean "{near[0]}"?)' if near else ""


def _pin_hash(pin: str, salt: bytes) -> str:
    return hashlib.scrypt(pin.encode(), salt=salt, n=2**14, r=8, p=1, dklen=32).hex()


class AuthStore:
    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        create_private(self.path)  # token and PIN hashes: 0600 whatever the umask
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
        columns = {r[1] for r in self._conn.execute("PRAGMA table_info(officers)")}
        if "disabled" not in columns:  # stores made before officers could be disabled
            self._conn.execute("ALTER TABLE officers ADD COLUMN disabled REAL")
        if "agency" not in columns:  # stores made before officers had an agency
            self._conn.execute("ALTER TABLE officers ADD COLUMN agency TEXT")
        if "pin_change_required" not in columns:  # stores made before a reset asked for a
            # new PIN at the next sign-in (NULL: no change asked, as for every older officer)
            self._conn.execute("ALTER TABLE officers ADD COLUMN pin_change_required REAL")
        # When the hub last saw each station, and what it said then (shared.hub.admin): the
        # console's station list keeps stations that went offline, across hub restarts too.
        self._conn.execute(
            "CREATE TABLE IF NOT EXISTS station_seen (name TEXT PRIMARY KEY, "
            "last_seen REAL NOT NULL, version TEXT, seq INTEGER NOT NULL, offset_ms INTEGER, "
            "peer TEXT NOT NULL)")
        self._conn.execute(
            "CREATE TABLE IF NOT EXISTS revoked_tokens (token_hash TEXT PRIMARY KEY, "
            "name TEXT NOT NULL, role TEXT NOT NULL, revoked REAL NOT NULL, why TEXT NOT NULL)"
        )
        # Wrong PINs, kept here so that a restart of the hub gives no fresh guesses. A key is
        # "officer<US>station<US>id" or "station<US>name" (US: the unit separator, char 31).
        self._conn.execute(
            "CREATE TABLE IF NOT EXISTS pin_failures (key TEXT PRIMARY KEY, "
            "count INTEGER NOT NULL, locks INTEGER NOT NULL, locked_until REAL NOT NULL, "
            "last REAL NOT NULL)"
        )
        self._lock = threading.Lock()

    def close(self) -> None:
        self._conn.close()

    def data_version(self) -> int:
        """Changes whenever another connection (the CLI) committed to this store."""
        with self._lock:
            return int(self._conn.execute("PRAGMA data_version").fetchone()[0])

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
        with self._lock, self._conn:
            self._conn.execute("BEGIN IMMEDIATE")
            # The token it replaces stops working, on open connections too.
            self._conn.execute(
                "INSERT OR REPLACE INTO revoked_tokens (token_hash, name, role, revoked, why) "
                "SELECT token_hash, name, role, ?, 'replaced' FROM stations WHERE name=?",
                (time.time(), name))
            self._conn.execute(
                "INSERT INTO stations (name, role, counter, token_hash, created) "
                "VALUES (?,?,?,?,?) ON CONFLICT(name) DO UPDATE SET role=excluded.role, "
                "counter=excluded.counter, token_hash=excluded.token_hash",
                (name, role, counter, token_hash(token), time.time()),
            )
        return token

    def revoke(self, name: str) -> Station:
        """Withdraw a station's token: the hub refuses it from now on, open connections
        included. Enroll the name again for a new token."""
        with self._lock, self._conn:
            self._conn.execute("BEGIN IMMEDIATE")
            row = self._conn.execute(
                "SELECT name, role, counter, token_hash FROM stations WHERE name=?", (name,)
            ).fetchone()
            if row is None:
                names = [r[0] for r in self._conn.execute("SELECT name FROM stations")]
                raise AuthError(f"no station named {name!r} is enrolled{_nearest(name, names)}")
            self._conn.execute(
                "INSERT OR REPLACE INTO revoked_tokens (token_hash, name, role, revoked, why) "
                "VALUES (?,?,?,?, 'revoked')", (row[3], row[0], row[1], time.time()))
            self._conn.execute("DELETE FROM stations WHERE name=?", (name,))
        return Station(row[0], row[1], row[2])

    def revoked_station(self, token: object) -> str | None:
        """The name of the station this token belonged to, when it was revoked or replaced."""
        if not isinstance(token, str) or not 8 <= len(token) <= 200:
            return None
        with self._lock:
            row = self._conn.execute("SELECT name FROM revoked_tokens WHERE token_hash=?",
                                     (token_hash(token),)).fetchone()
        return str(row[0]) if row else None

    def station_by_hash(self, hashed: str) -> Station | None:
        """The station a token hash still belongs to (None once revoked or replaced)."""
        with self._lock:
            row = self._conn.execute(
                "SELECT name, role, counter FROM stations WHERE token_hash=?", (hashed,)
            ).fetchone()
        return Station(row[0], row[1], row[2]) if row else None

    def station_for(self, token: object) -> Station | None:
        if not isinstance(token, str) or not 8 <= len(token) <= 200:
            return None
        with self._lock:
            row = self._conn.execute(
                "SELECT name, role, counter FROM stations WHERE token_hash=?",
                (token_hash(token),),
            ).fetchone()
        return Station(row[0], row[1], row[2]) if row else None

    def stations(self) -> list[Station]:
        with self._lock:
            rows = self._conn.execute("SELECT name, role, counter FROM stations ORDER BY name")
            return [Station(*r) for r in rows]

    def rename(self, name: str, new: str) -> Station:
        """A station's new name (its token stays): events it sends from now on carry it."""
        if not new or len(new) > 64:
            raise AuthError("a station name is 1-64 characters")
        with self._lock, self._conn:
            self._conn.execute("BEGIN IMMEDIATE")
            row = self._conn.execute("SELECT role, counter FROM stations WHERE name=?",
                                     (name,)).fetchone()
            if row is None:
                names = [r[0] for r in self._conn.execute("SELECT name FROM stations")]
                raise AuthError(f"no station named {name!r} is enrolled{_nearest(name, names)}")
            if new != name and self._conn.execute(
                    "SELECT 1 FROM stations WHERE name=?", (new,)).fetchone():
                raise AuthError(f"a station named {new!r} is enrolled already")
            self._conn.execute("UPDATE stations SET name=? WHERE name=?", (new, name))
            self._conn.execute("UPDATE OR REPLACE station_seen SET name=? WHERE name=?",
                               (new, name))
        return Station(new, row[0], row[1])

    def note_seen(self, name: str, at: float, version: str | None, seq: int,
                  offset_ms: int | None, peer: str) -> None:
        with self._lock:
            self._conn.execute(
                "INSERT OR REPLACE INTO station_seen (name, last_seen, version, seq, offset_ms, "
                "peer) VALUES (?,?,?,?,?,?)", (name, at, version, seq, offset_ms, peer))

    def seen(self) -> dict[str, tuple[float, str | None, int, int | None, str]]:
        """name -> (last seen, app version, replica seq, clock offset ms, address)."""
        with self._lock:
            return {r[0]: (float(r[1]), r[2], int(r[3]), r[4], r[5]) for r in
                    self._conn.execute("SELECT name, last_seen, version, seq, offset_ms, peer "
                                       "FROM station_seen")}

    # --- officers ------------------------------------------------------------------------------

    def add_officer(self, officer: str, name: str, pin: str) -> None:
        """Add an officer, or change an existing one's name and PIN (which enables them
        again if they were disabled)."""
        if not officer or len(officer) > 32:
            raise AuthError("an officer id is 1-32 characters")
        _check_pin_format(pin)
        salt = secrets.token_bytes(16)
        with self._lock:
            self._conn.execute(
                "INSERT INTO officers (officer, name, salt, pin_hash, created) VALUES (?,?,?,?,?) "
                "ON CONFLICT(officer) DO UPDATE SET name=excluded.name, salt=excluded.salt, "
                "pin_hash=excluded.pin_hash, disabled=NULL, pin_change_required=NULL",
                (officer, name, salt, _pin_hash(pin, salt), time.time()),
            )

    def officer_name(self, officer: str) -> str | None:
        """The name an officer was added with (what screens greet them by), or None."""
        with self._lock:
            row = self._conn.execute(
                "SELECT name FROM officers WHERE officer=?", (officer,)).fetchone()
        return str(row[0]) if row and row[0] else None

    def officers(self) -> list[Officer]:
        with self._lock:
            rows = self._conn.execute(
                "SELECT officer, name, disabled IS NOT NULL, agency FROM officers "
                "ORDER BY officer")
            return [Officer(r[0], r[1], bool(r[2]), r[3]) for r in rows]

    def edit_officer(self, officer: str, name: str, agency: str | None) -> None:
        """An officer's name and agency (their PIN stays)."""
        if not name.strip() or len(name) > 100:
            raise AuthError("an officer's name is 1-100 characters")
        with self._lock:
            done = self._conn.execute("UPDATE officers SET name=?, agency=? WHERE officer=?",
                                      (name.strip(), agency or None, officer))
            if done.rowcount == 0:
                names = [r[0] for r in self._conn.execute("SELECT officer FROM officers")]
                raise AuthError(f"no officer {officer!r}{_nearest(officer, names)}")

    def disabled_officers(self) -> set[str]:
        with self._lock:
            return {r[0] for r in self._conn.execute(
                "SELECT officer FROM officers WHERE disabled IS NOT NULL")}

    def officer_active(self, officer: str) -> bool:
        """Known and not disabled."""
        with self._lock:
            row = self._conn.execute("SELECT disabled FROM officers WHERE officer=?",
                                     (officer,)).fetchone()
        return row is not None and row[0] is None

    def set_disabled(self, officer: str, disabled: bool) -> None:
        """A disabled officer cannot sign in; the running hub signs them out where they are."""
        with self._lock:
            done = self._conn.execute(
                "UPDATE officers SET disabled=? WHERE officer=?",
                (time.time() if disabled else None, officer))
            if done.rowcount == 0:
                names = [r[0] for r in self._conn.execute("SELECT officer FROM officers")]
                raise AuthError(f"no officer {officer!r}{_nearest(officer, names)}")

    def reset_pin(self, officer: str, pin: str, *, change_required: bool = False) -> None:
        """A new PIN for an officer. `change_required`: the PIN is a temporary one (IT's), and
        the hub lets the officer who signs in with it do nothing but choose their own
        (`change_pin`) or sign out."""
        _check_pin_format(pin)
        salt = secrets.token_bytes(16)
        with self._lock:
            done = self._conn.execute(
                "UPDATE officers SET salt=?, pin_hash=?, pin_change_required=? "
                "WHERE officer=?",
                (salt, _pin_hash(pin, salt), time.time() if change_required else None,
                 officer))
            if done.rowcount == 0:
                names = [r[0] for r in self._conn.execute("SELECT officer FROM officers")]
                raise AuthError(f"no officer {officer!r}{_nearest(officer, names)}")
        self.clear_pin_failures(officer)

    def pin_change_required(self, officer: str) -> bool:
        """Whether the officer's PIN is a temporary one they must replace at sign-in."""
        with self._lock:
            row = self._conn.execute("SELECT pin_change_required FROM officers WHERE officer=?",
                                     (officer,)).fetchone()
        return row is not None and row[0] is not None

    def change_pin(self, officer: str, new_pin: str) -> None:
        """The officer's own new PIN (they proved the old one): the change asked is done."""
        _check_pin_format(new_pin)
        salt = secrets.token_bytes(16)
        with self._lock:
            done = self._conn.execute(
                "UPDATE officers SET salt=?, pin_hash=?, pin_change_required=NULL "
                "WHERE officer=?", (salt, _pin_hash(new_pin, salt), officer))
            if done.rowcount == 0:
                raise AuthError(f"no officer {officer!r}")

    def check_pin(self, officer: object, pin: object, station: str = "",
                  now: float | None = None) -> str:
        """'ok', 'bad', 'locked' or 'disabled'; `station` is the station the PIN was typed at.
        Only the right PIN learns that an officer is disabled.

        Guessing is throttled in this store, so a restart of the hub gives no fresh guesses:
        after PIN_FAILURES_BEFORE_LOCK wrong PINs in a row for one officer id at one station,
        that id is locked *at that station* for PIN_LOCK_SECONDS, doubling with each further
        lock up to PIN_LOCK_MAX_SECONDS (another station still signs the officer in: nobody
        with one counter token can lock a real officer out of the hall); after
        STATION_FAILURES_BEFORE_LOCK wrong PINs in a row at one station, whatever the ids, the
        station signs nobody in for STATION_LOCK_SECONDS, doubling up to
        STATION_LOCK_MAX_SECONDS (one station cannot sweep through every officer: about 120
        guesses a day at most, once the locks have grown). A right PIN resets both. An
        unknown id costs what a real one does: its PIN is hashed against a dummy hash of the
        same parameters, and its failures are counted the same way."""
        if not isinstance(officer, str) or not isinstance(pin, str) or len(pin) > 12:
            return "bad"
        now = time.time() if now is None else now
        pair, whole = f"officer\x1f{station}\x1f{officer}", f"station\x1f{station}"
        with self._lock:
            throttled = self._locked(pair, now) or self._locked(whole, now)
            row = None if throttled else self._conn.execute(
                "SELECT salt, pin_hash, disabled FROM officers WHERE officer=?", (officer,)
            ).fetchone()
        if throttled:
            return "locked"
        salt, stored = (row[0], row[1]) if row is not None else (_DUMMY_SALT, _DUMMY_HASH)
        # Both sides always hashed and compared in constant time; an unknown id never matches.
        matches = hmac.compare_digest(_pin_hash(pin, salt), stored)
        ok = row is not None and matches
        with self._lock, self._conn:
            self._conn.execute("BEGIN IMMEDIATE")
            if ok:
                self._conn.execute("DELETE FROM pin_failures WHERE key IN (?,?)", (pair, whole))
                return "disabled" if row is not None and row[2] is not None else "ok"
            self._failed(pair, now, PIN_FAILURES_BEFORE_LOCK, PIN_LOCK_SECONDS,
                         PIN_LOCK_MAX_SECONDS)
            self._failed(whole, now, STATION_FAILURES_BEFORE_LOCK, STATION_LOCK_SECONDS,
                         STATION_LOCK_MAX_SECONDS)
            # Rows of ids nobody typed for a day go (unknown ids would pile up otherwise).
            self._conn.execute("DELETE FROM pin_failures WHERE last < ? AND locked_until < ?",
                               (now - 86400.0, now))
        return "bad"

    def _locked(self, key: str, now: float) -> bool:
        row = self._conn.execute("SELECT locked_until FROM pin_failures WHERE key=?",
                                 (key,)).fetchone()
        return row is not None and row[0] > now

    def _failed(self, key: str, now: float, allowed: int, first: float, longest: float) -> None:
        row = self._conn.execute("SELECT count, locks FROM pin_failures WHERE key=?",
                                 (key,)).fetchone()
        count, locks = (row[0] + 1, row[1]) if row else (1, 0)
        until = 0.0
        if count >= allowed:
            until, count, locks = now + min(longest, first * 2 ** locks), 0, locks + 1
        self._conn.execute(
            "INSERT INTO pin_failures (key, count, locks, locked_until, last) VALUES (?,?,?,?,?) "
            "ON CONFLICT(key) DO UPDATE SET count=excluded.count, locks=excluded.locks, "
            "locked_until=excluded.locked_until, last=excluded.last",
            (key, count, locks, until, now))

    def clear_pin_failures(self, officer: str) -> None:
        """Unlock an officer id at every station (a new PIN from IT)."""
        with self._lock:
            keys = [r[0] for r in self._conn.execute(
                "SELECT key FROM pin_failures WHERE key LIKE 'officer' || char(31) || '%'")]
            gone = [(k,) for k in keys if k.split("\x1f", 2)[2:] == [officer]]
            self._conn.executemany("DELETE FROM pin_failures WHERE key=?", gone)


# An unknown officer id's PIN is hashed with this salt (one scrypt, the same cost as a real
# id's) and compared with this stand-in for a stored hash; `ok` needs a real row besides.
_DUMMY_SALT = b"antrean-no-such-officer"
_DUMMY_HASH = "5f" * 32


def temporary_pin() -> str:
    """A PIN for IT to tell an officer after a reset, which they replace at sign-in."""
    return "".join(secrets.choice("0123456789") for _ in range(PIN_ADVISED_DIGITS))


def check_pin_format(pin: str) -> None:
    """AuthError unless `pin` is a PIN (the officer's own new one included)."""
    _check_pin_format(pin)


def _check_pin_format(pin: str) -> None:
    if not pin.isdigit() or not PIN_MIN_DIGITS <= len(pin) <= PIN_MAX_DIGITS:
        raise AuthError(f"a PIN is {PIN_MIN_DIGITS}-{PIN_MAX_DIGITS} digits")
