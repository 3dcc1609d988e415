"""The hub's own requests, for an admin station (the console): what the ledger does not hold —
the enrolled stations and who of them is connected now, the officers of the auth store — and
the changes to that store (enrol, revoke, rename a station, make a browser's one-time
enrolment code; add, edit, disable, enable an
officer, reset a PIN). docs/protocol.md section 5.5.

They travel as ordinary `command` frames whose kind is one of auth.HUB_ADMIN_COMMANDS, so the
role policy (`permitted`) refuses them to every role but admin before they get here, and the
station clients need nothing new. The hub answers them itself, on its event loop, from its auth
store and its connections: nothing is written to the ledger (names and PINs are personal data
that every replica, the public web station's included, would otherwise carry forever).

What a station said in its hello (its clock, its app's version, the replica's seq) is kept
here for each connection, and in the store when it goes (`AuthStore.note_seen`), so the list
shows a station that went offline with when it was last seen.

Not remembered by the ledger, a request's id is remembered here for the hub's lifetime: a
request sent again after a lost reply gets the first reply (`duplicate`), not a second token.
"""

from __future__ import annotations

import logging
import sqlite3
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Collection, Iterable
from dataclasses import dataclass, replace
from typing import Any, Protocol

from shared.clock import Clock, to_ms
from shared.hub import protocol as p
from shared.hub.auth import (
    HUB_ADMIN_COMMANDS,
    PIN_MAX_DIGITS,
    PIN_MIN_DIGITS,
    ROLES,
    AuthError,
    AuthStore,
    Station,
    temporary_pin,
)
from shared.hub.enrolment import Enrolment
from shared.ledger.model import Refusal, Result

log = logging.getLogger("antrean.hub.admin")

REMEMBERED_REPLIES = 500  # request ids whose reply is kept for a resend

# Refusal codes of these requests (besides the policy's forbidden and bad_args).
UNKNOWN_STATION = "unknown_station"
UNKNOWN_OFFICER = "unknown_officer"
EXISTS = "exists"

# Each request's arguments: name -> (JSON type, required). An optional one may be null.
ARGS: dict[str, dict[str, tuple[type, bool]]] = {
    "station_list": {},
    "station_enroll": {"name": (str, True), "role": (str, True), "counter": (int, False)},
    "station_revoke": {"name": (str, True)},
    "station_rename": {"name": (str, True), "new_name": (str, True)},
    "station_code": {"name": (str, True), "counter": (int, True)},
    "officer_list": {},
    "officer_add": {"officer": (str, True), "name": (str, True), "pin": (str, True),
                    "agency": (str, False)},
    "officer_edit": {"officer": (str, True), "name": (str, True), "agency": (str, False)},
    "officer_disable": {"officer": (str, True)},
    "officer_enable": {"officer": (str, True)},
    # Without a pin the hub makes a temporary one and says it in the reply (once); with
    # change_required (the default) the officer replaces it at their next sign-in.
    "officer_reset_pin": {"officer": (str, True), "pin": (str, False),
                          "change_required": (bool, False)},
}
assert set(ARGS) == HUB_ADMIN_COMMANDS, "every hub request has its argument list"
_SECRET_ARGS = {"pin"}  # never logged


class Connection(Protocol):
    """What the hub's session of a connected station offers here (server._Session)."""

    station: Station
    token_hash: str
    handed: int  # the newest event written to its socket
    officer: str | None
    officer_counter: int | None


@dataclass(frozen=True)
class _Hello:
    since: float  # when it connected (the hub's clock, Unix s)
    peer: str
    version: str | None
    offset_ms: int | None  # the station's clock minus the hub's


def _refused(msg_id: str, code: str, message: str, pesan: str) -> Result:
    return Result(msg_id, False, refusal=Refusal(code, message, pesan))


class HubAdmin:
    def __init__(self, auth: AuthStore, clock: Clock,
                 connections: Callable[[], Iterable[Connection]],
                 auth_changed: Callable[[], Awaitable[None]],
                 fingerprint: Callable[[], str | None],
                 agencies: Callable[[], Collection[str]],
                 counters: Callable[[], Collection[int]],
                 enrolment: Callable[[], Enrolment] | None = None) -> None:
        self.auth = auth
        self.clock = clock
        self._connections = connections
        # The hub's enforcement of the store (close revoked tokens, sign disabled officers
        # out): the store's data_version does not move for the hub's own writes.
        self._auth_changed = auth_changed
        self._fingerprint = fingerprint
        self._agencies = agencies
        self._counters = counters
        # The hub's store of one-time codes (opened on first use); without one, the
        # store's own, opened here.
        self._enrolment = enrolment
        self._own_enrolment: Enrolment | None = None
        self._hellos: dict[int, _Hello] = {}
        self._replies: OrderedDict[str, Result] = OrderedDict()

    # --- connections, told by the hub ---------------------------------------------------------

    def connected(self, s: Connection, hello: p.Hello, peer: str) -> None:
        now = self.clock.now()
        offset = None if hello.clock_ms is None else hello.clock_ms - to_ms(now)
        self._hellos[id(s)] = _Hello(now.timestamp(), peer, hello.version, offset)
        self._note(s)

    def disconnected(self, s: Connection) -> None:
        self._note(s)
        self._hellos.pop(id(s), None)

    def _note(self, s: Connection) -> None:
        h = self._hellos.get(id(s))
        if h is None:
            return
        try:
            self.auth.note_seen(s.station.name, self.clock.now().timestamp(), h.version,
                                s.handed, h.offset_ms, h.peer)
        except sqlite3.Error as e:  # a full disk must not end the connection
            log.error("could not note station %s as seen: %s", s.station.name, e)

    # --- requests ------------------------------------------------------------------------------

    async def execute(self, station: Station, msg_id: str, kind: str,
                      args: dict[str, Any]) -> Result:
        """A request the role policy allowed (an admin station's)."""
        if msg_id in self._replies:
            return replace(self._replies[msg_id], duplicate=True)
        malformed = _check(kind, args)
        if malformed is not None:
            return Result(msg_id, False, refusal=malformed)
        try:
            result = await getattr(self, f"_{kind}")(msg_id, args)
        except AuthError as e:
            code = (UNKNOWN_STATION if "no station" in str(e) else
                    UNKNOWN_OFFICER if "no officer" in str(e) else p.BAD_ARGS)
            result = _refused(msg_id, code, str(e), _PESAN.get(code, "Isian tidak valid."))
        shown = {k: ("…" if k in _SECRET_ARGS else v) for k, v in args.items()}
        if kind not in ("station_list", "officer_list"):
            log.info("%s from %s %s: %s", kind, station.name, shown,
                     "done" if result.ok else result.refusal and result.refusal.message)
        if result.ok and kind not in ("station_list", "officer_list"):
            self._replies[msg_id] = result
            while len(self._replies) > REMEMBERED_REPLIES:
                self._replies.popitem(last=False)
        return result

    async def _station_list(self, msg_id: str, args: dict[str, Any]) -> Result:
        seen = self.auth.seen()
        live: dict[str, list[Connection]] = {}
        for s in self._connections():
            live.setdefault(s.station.name, []).append(s)
        now = self.clock.now().timestamp()
        rows = []
        for st in self.auth.stations():
            conns = live.get(st.name, [])
            row: dict[str, Any] = {
                "name": st.name, "role": st.role, "counter": st.counter,
                "connected": bool(conns), "connections": len(conns),
                "last_seen_ms": None, "version": None, "seq": None, "offset_ms": None,
                "peer": None, "officer": None}
            if st.name in seen:
                at, version, seq, offset, peer = seen[st.name]
                row.update(last_seen_ms=int(at * 1000), version=version, seq=seq,
                           offset_ms=offset, peer=peer)
            if conns:
                newest = max(conns, key=lambda c: self._hellos.get(id(c), _NO_HELLO).since)
                h = self._hellos.get(id(newest), _NO_HELLO)
                row.update(last_seen_ms=int(now * 1000), version=h.version,
                           seq=max(c.handed for c in conns), offset_ms=h.offset_ms,
                           peer=h.peer, officer=next((c.officer for c in conns if c.officer),
                                                     None))
            rows.append(row)
        return Result(msg_id, True, {"stations": rows, "hub_time_ms": int(now * 1000)})

    async def _station_enroll(self, msg_id: str, args: dict[str, Any]) -> Result:
        name, role, counter = args["name"].strip(), args["role"], args.get("counter")
        if role not in ROLES:
            return _refused(msg_id, p.BAD_ARGS, f"unknown role {role!r}",
                            "Peran perangkat tidak dikenal.")
        if counter is not None and (role != "counter" or counter not in self._counters()):
            return _refused(msg_id, p.BAD_ARGS, f"counter {counter} is not a counter of this "
                            f"hall, or the role is not counter",
                            "Loket tidak ada di konfigurasi, atau peran bukan loket.")
        if any(s.name == name for s in self.auth.stations()):
            return _refused(msg_id, EXISTS, f"a station named {name!r} is enrolled already",
                            "Nama perangkat ini sudah terdaftar.")
        token = self.auth.enroll(name, role, counter)
        return Result(msg_id, True, {"station": {"name": name, "role": role,
                                                 "counter": counter},
                                     "token": token, "fingerprint": self._fingerprint()})

    async def _station_revoke(self, msg_id: str, args: dict[str, Any]) -> Result:
        gone = self.auth.revoke(args["name"])
        await self._auth_changed()  # its open connections close now (4004)
        return Result(msg_id, True, {"station": {"name": gone.name, "role": gone.role,
                                                 "counter": gone.counter}})

    async def _station_rename(self, msg_id: str, args: dict[str, Any]) -> Result:
        new = args["new_name"].strip()
        renamed = self.auth.rename(args["name"], new)
        for s in self._connections():
            if s.station.name == args["name"]:
                s.station = replace(s.station, name=new)  # its next events carry the new name
        return Result(msg_id, True, {"station": {"name": renamed.name, "role": renamed.role,
                                                 "counter": renamed.counter}})

    async def _station_code(self, msg_id: str, args: dict[str, Any]) -> Result:
        """A one-time code that enrols a browser (the web station's /petugas) as a counter
        station NAME bound to COUNTER (shared.hub.enrolment): the console shows it once."""
        name, counter = args["name"].strip(), args["counter"]
        if counter not in self._counters():
            return _refused(msg_id, p.BAD_ARGS, f"counter {counter} is not a counter of this "
                            f"hall", "Loket tidak ada di konfigurasi.")
        other = next((s for s in self.auth.stations() if s.name == name), None)
        if other is not None and other.role != "counter":
            return _refused(msg_id, EXISTS, f"{name!r} is enrolled as a {other.role} station",
                            "Nama ini dipakai perangkat lain (bukan loket). Pilih nama lain.")
        made = self._codes().create(name, counter)
        return Result(msg_id, True, {"code": made.code, "name": made.name,
                                     "counter": made.counter,
                                     "expires_ms": int(made.expires * 1000)})

    def _codes(self) -> Enrolment:
        if self._enrolment is not None:
            return self._enrolment()
        if self._own_enrolment is None:
            self._own_enrolment = Enrolment(self.auth)
        return self._own_enrolment

    async def _officer_list(self, msg_id: str, args: dict[str, Any]) -> Result:
        where: dict[str, list[dict[str, Any]]] = {}
        for s in self._connections():
            if s.officer:
                where.setdefault(s.officer, []).append(
                    {"station": s.station.name, "counter": s.officer_counter})
        return Result(msg_id, True, {"officers": [
            {"officer": o.officer, "name": o.name, "agency": o.agency, "disabled": o.disabled,
             "signed_in": where.get(o.officer, [])} for o in self.auth.officers()]})

    def _agency(self, msg_id: str, agency: str | None) -> Result | None:
        if agency and agency not in self._agencies():
            return _refused(msg_id, p.BAD_ARGS, f"no agency {agency!r} in the hall config",
                            "Instansi tidak ada di konfigurasi.")
        return None

    async def _officer_add(self, msg_id: str, args: dict[str, Any]) -> Result:
        officer = args["officer"].strip()
        bad = self._agency(msg_id, args.get("agency"))
        if bad is not None:
            return bad
        if any(o.officer == officer for o in self.auth.officers()):
            return _refused(msg_id, EXISTS, f"officer {officer!r} exists already",
                            "ID petugas ini sudah ada.")
        if not args["name"].strip():
            return _refused(msg_id, p.BAD_ARGS, "an officer needs a name",
                            "Nama petugas wajib diisi.")
        self.auth.add_officer(officer, args["name"].strip(), args["pin"])
        self.auth.edit_officer(officer, args["name"], args.get("agency"))
        return Result(msg_id, True, {"officer": officer})

    async def _officer_edit(self, msg_id: str, args: dict[str, Any]) -> Result:
        bad = self._agency(msg_id, args.get("agency"))
        if bad is not None:
            return bad
        self.auth.edit_officer(args["officer"], args["name"], args.get("agency"))
        return Result(msg_id, True, {"officer": args["officer"]})

    async def _officer_disable(self, msg_id: str, args: dict[str, Any]) -> Result:
        self.auth.set_disabled(args["officer"], True)
        await self._auth_changed()  # signed out where they are, now
        return Result(msg_id, True, {"officer": args["officer"]})

    async def _officer_enable(self, msg_id: str, args: dict[str, Any]) -> Result:
        self.auth.set_disabled(args["officer"], False)
        return Result(msg_id, True, {"officer": args["officer"]})

    async def _officer_reset_pin(self, msg_id: str, args: dict[str, Any]) -> Result:
        pin = args.get("pin") or temporary_pin()
        required = args.get("change_required", True) is not False
        self.auth.reset_pin(args["officer"], pin, change_required=required)
        value: dict[str, Any] = {"officer": args["officer"], "pin_change_required": required}
        if not args.get("pin"):
            value["pin"] = pin  # the one place it is said: the console shows it once
        return Result(msg_id, True, value)


_NO_HELLO = _Hello(0.0, "", None, None)
_PESAN = {UNKNOWN_STATION: "Perangkat tidak ditemukan.",
          UNKNOWN_OFFICER: "Petugas tidak ditemukan."}


_TYPE_WORDS = {int: "a whole number", bool: "true or false"}


def _check(kind: str, args: dict[str, Any]) -> Refusal | None:
    spec = ARGS[kind]
    extra = set(args) - set(spec)
    if extra:
        return Refusal(p.BAD_ARGS, f"{kind} does not take {sorted(extra)}",
                       "Perintah tidak dikenal.")
    for name, (want, required) in spec.items():
        value = args.get(name)
        if value is None:
            if required:
                return Refusal(p.BAD_ARGS, f"{kind} needs {name!r}", "Perintah tidak lengkap.")
            continue
        if not isinstance(value, want) or (want is int and isinstance(value, bool)):
            return Refusal(p.BAD_ARGS, f"{kind}: {name!r} must be "
                           f"{_TYPE_WORDS.get(want, 'text')}",
                           "Perintah tidak lengkap.")
        if isinstance(value, str) and not value.strip():
            return Refusal(p.BAD_ARGS, f"{kind}: {name!r} is empty", "Isian wajib diisi.")
    pin = args.get("pin")
    if isinstance(pin, str) and not (
            pin.isdigit() and PIN_MIN_DIGITS <= len(pin) <= PIN_MAX_DIGITS):
        return Refusal(p.BAD_ARGS, f"a PIN is {PIN_MIN_DIGITS}-{PIN_MAX_DIGITS} digits",
                       f"PIN terdiri dari {PIN_MIN_DIGITS}–{PIN_MAX_DIGITS} angka.")
    return None
