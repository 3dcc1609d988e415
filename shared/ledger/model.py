"""The ledger's vocabulary: commands, events, results and refusals. Plain data, no I/O."""

from __future__ import annotations

import json
import sqlite3
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

# Ticket statuses in the projection.
WAITING = "waiting"
CALLED = "called"
SERVING = "serving"
FINISHED = "finished"
NO_SHOW = "no_show"
CANCELLED = "cancelled"
EXPIRED = "expired"  # still waiting when its service day ended (the hub closed the day)
ACTIVE_STATUSES = (CALLED, SERVING)

# Counter statuses.
COUNTER_CLOSED = "closed"
COUNTER_OPEN = "open"
COUNTER_PAUSED = "paused"

# Event kinds, the only words the append-only log speaks.
TICKET_ISSUED = "ticket.issued"
TICKET_CALLED = "ticket.called"
TICKET_RECALLED = "ticket.recalled"
TICKET_STARTED = "ticket.started"
TICKET_FINISHED = "ticket.finished"
TICKET_NO_SHOW = "ticket.no_show"
TICKET_REQUEUED = "ticket.requeued"
TICKET_TRANSFERRED = "ticket.transferred"
TICKET_CANCELLED = "ticket.cancelled"
# Written by the hub for each ticket still waiting when its service day ended.
TICKET_EXPIRED = "ticket.expired"
# The officer's check of a priority claim (UU 25/2009 groups): audited, counted in the figures.
TICKET_PRIORITY_CHECKED = "ticket.priority_checked"
COUNTER_OPENED = "counter.opened"
COUNTER_PAUSED_EVENT = "counter.paused"
COUNTER_CLOSED_EVENT = "counter.closed"
OFFICER_SIGNED_IN = "officer.signed_in"
OFFICER_SIGNED_OUT = "officer.signed_out"
STATION_ALERT = "station.alert"
# Written by the hub when it refuses a new ticket for a reason of the hall (the quota is used
# up, past the cut-off, closed today, a holiday, not open yet): no ticket, but the refusal is
# history the console and the reports count ("ditolak hari ini", quota refusals). Malformed
# commands and the hub's own faults (disk_low) write nothing.
TICKET_REFUSED = "ticket.refused"
# A served visitor's SKM response (PermenPANRB 14/2017), sent by the web station: once per
# finished ticket (shared/skm.py holds the questionnaire and the index).
SURVEY_ANSWERED = "survey.answered"
# A new version of the hall configuration (shared.ledger.config_log): who, when, its digest,
# its full TOML text and when it takes effect.
CONFIG_CHANGED = "config.changed"

EVENT_KINDS = (
    TICKET_ISSUED, TICKET_CALLED, TICKET_RECALLED, TICKET_STARTED, TICKET_FINISHED,
    TICKET_NO_SHOW, TICKET_REQUEUED, TICKET_TRANSFERRED, TICKET_CANCELLED, TICKET_EXPIRED,
    TICKET_PRIORITY_CHECKED, COUNTER_OPENED,
    COUNTER_PAUSED_EVENT, COUNTER_CLOSED_EVENT, OFFICER_SIGNED_IN, OFFICER_SIGNED_OUT,
    STATION_ALERT, TICKET_REFUSED, SURVEY_ANSWERED, CONFIG_CHANGED,
)
# The ledger's rules as a table: which statuses each ticket event may find its ticket in,
# and the status it leaves it in (an event not in STATUS_AFTER leaves it as it was). Read by
# the one check of a ledger and by the simulator's invariants.
STATUS_BEFORE: dict[str, tuple[str, ...]] = {
    TICKET_CALLED: (WAITING,),
    TICKET_RECALLED: (CALLED,),
    TICKET_STARTED: (CALLED,),
    TICKET_FINISHED: (CALLED, SERVING),
    TICKET_NO_SHOW: (CALLED,),
    TICKET_CANCELLED: (WAITING, CALLED),
    TICKET_REQUEUED: (NO_SHOW,),
    TICKET_TRANSFERRED: (CALLED, SERVING),
    TICKET_PRIORITY_CHECKED: (CALLED, SERVING),
    TICKET_EXPIRED: (WAITING,),
    SURVEY_ANSWERED: (FINISHED,),
}
STATUS_AFTER: dict[str, str] = {
    TICKET_CALLED: CALLED, TICKET_STARTED: SERVING, TICKET_FINISHED: FINISHED,
    TICKET_NO_SHOW: NO_SHOW, TICKET_CANCELLED: CANCELLED, TICKET_REQUEUED: WAITING,
    TICKET_TRANSFERRED: WAITING, TICKET_EXPIRED: EXPIRED,
}
# Events a board shows and announces.
CALL_KINDS = (TICKET_CALLED, TICKET_RECALLED)

# A station alert opens a problem (paper out, a failed print) or resolves it. The problem is
# named by its key, "<station>:<kind>", so a station's "printer OK again" resolves every
# printer alert it raised. An alert written before alerts had a state is an open one.
ALERT_OPEN = "open"
ALERT_RESOLVED = "resolved"
ALERT_STATES = (ALERT_OPEN, ALERT_RESOLVED)

# Command kinds and the argument names each takes (name -> required).
COMMAND_ARGS: dict[str, dict[str, bool]] = {
    "issue_ticket": {"service": True, "priority": False},
    "call_next": {"counter": True},
    "recall": {"counter": True},
    "start": {"counter": True},
    "finish": {"counter": True},
    "no_show": {"counter": True},
    "return_no_show": {"ticket": True, "counter": False},
    "transfer": {"counter": True, "service": True, "to_front": False},
    "cancel": {"ticket": True, "reason": False},
    "check_priority": {"counter": True, "valid": True},
    "open_counter": {"counter": True},
    "pause_counter": {"counter": True, "reason": False},
    "close_counter": {"counter": True},
    "sign_in": {"counter": True},
    "sign_out": {"counter": True},
    # The hub's own, sent by no station: an officer IT disabled leaves their counter even with
    # a ticket in hand (it stays at the counter, for the next officer who signs in there).
    "force_sign_out": {"counter": True},
    # The hub's own too: a past service day's tickets still waiting expire (ticket.expired).
    "close_day": {"day": True},
    # `key` and `by`: an admin station (the console) resolves another station's alert by its
    # key, with the name of the person who did (shared.hub.auth.permitted allows only admin).
    "alert": {"kind": True, "message": True, "state": False, "key": False, "by": False},
    # The web station's one command: the ticket's web secret proves the visitor holds it (the
    # QR), `counter` that it was answered on the survey screen of the counter that served it.
    "answer_survey": {"ticket": True, "secret": True, "answers": True, "profile": True,
                      "saran": False, "counter": False},
    # A new hall config (TOML text), now or from a date; `force` confirms stranding tickets.
    "change_config": {"content": True, "effective": False, "force": False, "source": False},
}
# The JSON type of each argument, checked before any rule: a counter sent as "3" is a
# malformed command (bad_args), not an unknown counter. An optional argument may be null.
ARG_TYPES: dict[str, type] = {
    "counter": int, "service": str, "ticket": str, "priority": str, "reason": str,
    "to_front": bool, "valid": bool, "kind": str, "message": str, "state": str, "day": str,
    "secret": str, "answers": list, "profile": dict, "saran": str,
    "content": str, "effective": str, "force": bool, "source": str,
    "key": str, "by": str,
}
_TYPE_WORDS = {int: "a whole number", str: "text", bool: "true or false", list: "a list",
               dict: "an object"}


@dataclass(frozen=True)
class Actor:
    """Who sent a command: the station (device) and, at a counter, the signed-in officer."""

    device: str
    officer: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"device": self.device, "officer": self.officer}


@dataclass(frozen=True)
class Command:
    kind: str
    args: dict[str, Any]
    actor: Actor
    id: str = field(default_factory=lambda: uuid.uuid4().hex)

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "kind": self.kind, "args": self.args, "actor": self.actor.to_dict()}


@dataclass(frozen=True)
class Event:
    seq: int
    command_id: str
    kind: str
    ticket_id: str | None
    device: str
    officer: str | None
    at_ms: int
    data: dict[str, Any]
    # Its place in the hash chain (shared.ledger.chain): set once the ledger stored it, carried
    # to stations, checked by every replica. Not part of what is hashed, nor of equality: the
    # same event read back from the log or made by the command is the same event.
    hash: str | None = field(default=None, compare=False)

    def fields(self) -> dict[str, Any]:
        """The event's own fields, without its hash: what the chain hashes."""
        # A plain dict, not dataclasses.asdict: its deep copy cost more than the JSON encoding
        # on the hub's hot path. The data dict is shared, not copied; treat it as read-only.
        return {"seq": self.seq, "command_id": self.command_id, "kind": self.kind,
                "ticket_id": self.ticket_id, "device": self.device, "officer": self.officer,
                "at_ms": self.at_ms, "data": self.data}

    def to_dict(self) -> dict[str, Any]:
        """The event as the hub sends it: its fields and, once stored, its hash."""
        d = self.fields()
        if self.hash is not None:
            d["hash"] = self.hash
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Event:
        return cls(
            seq=int(d["seq"]), command_id=str(d["command_id"]), kind=str(d["kind"]),
            ticket_id=d.get("ticket_id"), device=str(d["device"]), officer=d.get("officer"),
            at_ms=int(d["at_ms"]), data=dict(d["data"]),
            hash=d.get("hash") if isinstance(d.get("hash"), str) else None,
        )

    def canonical(self) -> str:
        """A stable text form of the event's fields (never its hash), for hashing: JSON with
        sorted keys, no spaces, UTF-8 text as is (what json.dumps gives with those options,
        from one encoder made once: every stored and every applied event is hashed)."""
        return _canonical_json(self.fields())


_canonical_json = json.JSONEncoder(sort_keys=True, separators=(",", ":"),
                                   ensure_ascii=False).encode
EventHandler = Callable[[sqlite3.Connection, "Event"], None]


@dataclass(frozen=True)
class Refusal:
    """Why a command was refused: a code for programs, English for logs, Indonesian for people."""

    code: str
    message: str
    pesan: str
    detail: dict[str, Any] = field(default_factory=dict)


class CommandRefused(Exception):
    def __init__(self, refusal: Refusal) -> None:
        super().__init__(refusal.message)
        self.refusal = refusal


def refuse(code: str, message: str, pesan: str, **detail: Any) -> CommandRefused:
    return CommandRefused(Refusal(code, message, pesan, detail))


def check_args(kind: str, args: object) -> Refusal | None:
    """Whether a command is well formed: a known kind, an object of exactly its arguments,
    each of its type. Shared by the ledger and the hub (which checks before its own rules)."""
    spec = COMMAND_ARGS.get(kind)
    if spec is None:
        return Refusal("unknown_command", f"unknown command {kind!r}", "Perintah tidak dikenal.")
    if not isinstance(args, dict):
        return Refusal("bad_args", "command arguments must be an object",
                       "Perintah tidak lengkap.")
    for name, required in spec.items():
        if required and args.get(name) is None:
            return Refusal("bad_args", f"{kind} needs {name!r}", "Perintah tidak lengkap.")
    extra = set(args) - set(spec)
    if extra:
        return Refusal("bad_args", f"{kind} does not take {sorted(extra)}",
                       "Perintah tidak dikenal.")
    for name, value in args.items():
        want = ARG_TYPES[name]
        # bool is an int in Python; JSON true is not a counter number.
        if value is not None and (not isinstance(value, want)
                                  or (want is int and isinstance(value, bool))):
            return Refusal("bad_args", f"{kind}: {name!r} must be {_TYPE_WORDS[want]}, "
                           f"not {json.dumps(value)[:40]}", "Perintah tidak lengkap.")
    return None


@dataclass(frozen=True)
class Result:
    command_id: str
    ok: bool
    value: dict[str, Any] = field(default_factory=dict)
    events: tuple[Event, ...] = ()
    refusal: Refusal | None = None
    duplicate: bool = False  # the command id had been executed before; nothing new written

    def to_dict(self) -> dict[str, Any]:
        return {
            "command_id": self.command_id,
            "ok": self.ok,
            "value": self.value,
            "events": [e.to_dict() for e in self.events],
            "refusal": asdict(self.refusal) if self.refusal else None,
            "duplicate": self.duplicate,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Result:
        ref = d.get("refusal")
        return cls(
            command_id=d["command_id"], ok=bool(d["ok"]), value=dict(d.get("value") or {}),
            events=tuple(Event.from_dict(e) for e in d.get("events") or ()),
            refusal=Refusal(**ref) if ref else None, duplicate=bool(d.get("duplicate")),
        )
