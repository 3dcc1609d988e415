"""The hub's wire protocol, both directions: JSON text frames over a WebSocket. See
docs/protocol.md.

What a station sends (`Hello`, `CommandMsg`, `SignIn`, `Ping`) and what the hub sends
(`Welcome`, `Events`, `ResultMsg`, `Error`, `Pong`) are typed here once, with one encoder
(`encode`) and one parser per direction: `parse` reads a station's frame (the hub uses it),
`parse_from_hub` reads the hub's (stations use it). Both parsers are strict and total: any
text either becomes a typed message or a `ProtocolError` with a code and an English reason;
nothing a peer sends can raise anything else.

The error codes, the refusal codes the hub itself gives, and the close codes are named here
too; what a station does about each is decided in shared.station.protocol.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from shared.ledger.model import Event, Refusal, Result

PROTOCOL_VERSION = 1
MAX_FRAME_BYTES = 64 * 1024
MAX_ID_LEN = 64

# --- close codes (docs/protocol.md section 9) ---------------------------------------------------

# The station did not take a frame within the hub's send timeout (or its replies piled up):
# it reconnects and catches up.
CLOSE_TOO_FAR_BEHIND = 1000
CLOSE_GOING_AWAY = 1001  # the hub is stopping (restart, shutdown)
CLOSE_FLOOD = 1008  # more than 1,000 refused or unreadable messages in a row
CLOSE_TOO_BIG = 1009  # a frame over MAX_FRAME_BYTES (aiohttp closes with it by itself)
CLOSE_BAD_HELLO = 4000  # the first frame was not a readable hello, or none came in time
CLOSE_UNKNOWN_TOKEN = 4001
CLOSE_PROTOCOL = 4002
CLOSE_REPLICA_AHEAD = 4003
CLOSE_REVOKED = 4004
CLOSE_HISTORY_DIFFERS = 4005
CLOSE_TOO_MANY_CONNECTIONS = 4006  # the token already has the most connections the hub allows
# The hub's default for that most (`antrean hub --max-connections-per-token`): one station
# holds one; reconnecting, it may briefly hold two while the hub has not yet seen the old one
# go. Four leaves room for that, and bounds what one token (a stolen one) can open.
MAX_CONNECTIONS_PER_TOKEN = 4

# --- error codes (an `error` frame: the hub could not take a frame) -----------------------------

BAD_JSON = "bad_json"
BAD_MESSAGE = "bad_message"
UNKNOWN_TYPE = "unknown_type"
TOO_BIG = "too_big"
RATE_LIMITED = "rate_limited"  # also a refusal code: a command over the rate gets a result
# Sent right before the hub closes the connection for good, each with its close code.
UNKNOWN_TOKEN = "unknown_token"
TOKEN_REVOKED = "token_revoked"
PROTOCOL = "protocol"
REPLICA_AHEAD = "replica_ahead"
HISTORY_DIFFERS = "history_differs"
# Before a 4006 close; not final: the station tries again after its backoff.
TOO_MANY_CONNECTIONS = "too_many_connections"
FINAL_ERRORS: dict[str, int] = {
    UNKNOWN_TOKEN: CLOSE_UNKNOWN_TOKEN,
    PROTOCOL: CLOSE_PROTOCOL,
    REPLICA_AHEAD: CLOSE_REPLICA_AHEAD,
    TOKEN_REVOKED: CLOSE_REVOKED,
    HISTORY_DIFFERS: CLOSE_HISTORY_DIFFERS,
}

# --- refusal codes the hub gives itself (a `result` with ok false), before the ledger's own -----

UNKNOWN_COMMAND = "unknown_command"
FORBIDDEN = "forbidden"
BAD_ARGS = "bad_args"
NOT_SIGNED_IN = "not_signed_in"
BAD_PIN = "bad_pin"
PIN_LOCKED = "pin_locked"
OFFICER_DISABLED = "officer_disabled"
# The officer signed in with a temporary PIN (after a reset): change_pin first.
PIN_CHANGE_REQUIRED = "pin_change_required"
LEDGER_ERROR = "ledger_error"
OFFLINE = "offline"  # the station's own: asked for while it had no connection to the hub


class ProtocolError(ValueError):
    def __init__(self, code: str, message: str, msg_id: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.msg_id = msg_id


# --- station -> hub -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Hello:
    token: str
    after: int  # the last seq the station holds (0: none)
    protocol: int = PROTOCOL_VERSION
    # The chain's hash of event `after` (None with after 0), so that the hub can tell a
    # replica of another history from one that is merely behind: events are compared by
    # (seq, hash), never by seq alone.
    hash: str | None = None
    # The station's clock when it said hello (Unix ms) and its app's version: what the
    # console's station list shows (clock offset, version); None from older stations.
    clock_ms: int | None = None
    version: str | None = None


@dataclass(frozen=True)
class CommandMsg:
    id: str
    kind: str
    args: dict[str, Any]


@dataclass(frozen=True)
class SignIn:
    id: str
    officer: str
    pin: str
    counter: int


@dataclass(frozen=True)
class Ping:
    pass


Message = Hello | CommandMsg | SignIn | Ping
Request = CommandMsg | SignIn  # what a station sends and expects a result for

# --- hub -> station -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Welcome:
    protocol: int
    version: str
    station: str  # the name the token was enrolled as
    role: str
    counter: int | None  # the counter a counter station is bound to
    last_seq: int  # the hub's newest event when it said welcome
    config_digest: str  # compare with /config's X-Config-Digest
    # The hub's clock when it said welcome (Unix ms): a station judges how fresh an event is
    # on the hub's time, not its own clock (None from a hub before this field).
    hub_time_ms: int | None = None


@dataclass(frozen=True)
class Events:
    events: tuple[Event, ...]


@dataclass(frozen=True)
class ResultMsg:
    id: str
    result: Result


@dataclass(frozen=True)
class Error:
    code: str
    message: str
    id: str | None = None


@dataclass(frozen=True)
class Pong:
    pass


HubMessage = Welcome | Events | ResultMsg | Error | Pong


# --- encoding -------------------------------------------------------------------------------------


def dumps(obj: dict[str, Any]) -> str:
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)


def encode(msg: Message | HubMessage) -> str:
    """The frame for a message, either direction."""
    match msg:
        case Hello(token, after, protocol, digest, clock_ms, version):
            hello: dict[str, Any] = {"type": "hello", "token": token, "after": after,
                                     "protocol": protocol}
            if digest is not None:
                hello["hash"] = digest
            if clock_ms is not None:
                hello["clock_ms"] = clock_ms
            if version is not None:
                hello["version"] = version
            return dumps(hello)
        case CommandMsg(msg_id, kind, args):
            return dumps({"type": "command", "id": msg_id, "kind": kind, "args": args})
        case SignIn(msg_id, officer, pin, counter):
            return dumps({"type": "sign_in", "id": msg_id, "officer": officer, "pin": pin,
                          "counter": counter})
        case Ping():
            return '{"type":"ping"}'
        case Welcome():
            return dumps({"type": "welcome", "protocol": msg.protocol, "version": msg.version,
                          "station": msg.station, "role": msg.role, "counter": msg.counter,
                          "last_seq": msg.last_seq, "config_digest": msg.config_digest,
                          "hub_time_ms": msg.hub_time_ms})
        case Events(events):
            return events_frame(events)
        case ResultMsg(_, result):
            return result_frame(result)
        case Error(code, message, msg_id):
            return error(code, message, msg_id)
        case Pong():
            return '{"type":"pong"}'
    raise TypeError(f"not a protocol message: {msg!r}")


def events_frame(events: Sequence[Event]) -> str:
    return dumps({"type": "events", "events": [e.to_dict() for e in events]})


def result_frame(result: Result) -> str:
    d = result.to_dict()
    d.pop("events", None)  # they reach every station through the event stream
    return dumps({"type": "result", "id": result.command_id, "result": d})


def error(code: str, message: str, msg_id: str | None = None) -> str:
    return dumps({"type": "error", "code": code, "message": message, "id": msg_id})


# --- parsing what a station sent ------------------------------------------------------------------


def _id(d: dict[str, Any]) -> str:
    v = d.get("id")
    if not isinstance(v, str) or not 1 <= len(v) <= MAX_ID_LEN:
        raise ProtocolError(BAD_MESSAGE, f"'id' must be text of 1-{MAX_ID_LEN} characters")
    return v


def _int(d: dict[str, Any], key: str, msg_id: str | None, low: int = 0) -> int:
    v = d.get(key)
    if not isinstance(v, int) or isinstance(v, bool) or v < low:
        raise ProtocolError(BAD_MESSAGE, f"'{key}' must be a whole number ≥ {low}", msg_id)
    return v


def _object(text: str | bytes) -> dict[str, Any]:
    if isinstance(text, bytes):
        raise ProtocolError(BAD_MESSAGE, "frames must be text (JSON), not binary")
    try:
        d = json.loads(text)
    except (ValueError, RecursionError):
        raise ProtocolError(BAD_JSON, "frame is not valid JSON") from None
    if not isinstance(d, dict):
        raise ProtocolError(BAD_MESSAGE, "a message is a JSON object")
    return d


# SQLite's integers: a number outside them cannot be looked up, stored or compared there.
_INT_MIN, _INT_MAX = -(2**63), 2**63 - 1


def _unstorable(d: dict[str, Any]) -> str | None:
    """Why a value somewhere in a station's frame cannot reach the ledger, or None.

    JSON may spell half of a UTF-16 surrogate pair (`"\\ud800"`); Python then holds a string
    that UTF-8 cannot encode, and the first SQLite lookup, hash or reply that touches it raises
    (a kiosk's `cancel` of such a "ticket" ended its connection). Integers beyond 64 bits fail
    the same way. Refused here, at the edge, every command and field alike. The walk is
    iterative: json.loads already bounds the nesting."""
    todo: list[object] = [d]
    while todo:
        v = todo.pop()
        if type(v) is str:
            if not v.isascii():
                try:
                    v.encode("utf-8")
                except UnicodeEncodeError:
                    return "text must be valid Unicode (no lone surrogate escapes)"
        elif type(v) is int:
            if not _INT_MIN <= v <= _INT_MAX:
                return "numbers must be whole numbers within 64 bits"
        elif type(v) is dict:
            todo.extend(v)
            todo.extend(v.values())
        elif type(v) is list:
            todo.extend(v)
    return None


def _readable_id(d: dict[str, Any]) -> str | None:
    """The frame's id when it is one a reply can carry (for an error about the rest)."""
    v = d.get("id")
    if type(v) is str and 1 <= len(v) <= MAX_ID_LEN and _unstorable({"id": v}) is None:
        return v
    return None


def parse(text: str | bytes) -> Message:
    """A frame a station sent (the hub reads these)."""
    if isinstance(text, bytes):
        raise ProtocolError(BAD_MESSAGE, "frames must be text (JSON), not binary")
    if len(text) > MAX_FRAME_BYTES:
        raise ProtocolError(TOO_BIG, f"frame larger than {MAX_FRAME_BYTES} bytes")
    d = _object(text)
    why = _unstorable(d)
    if why is not None:
        raise ProtocolError(BAD_MESSAGE, why, _readable_id(d))
    kind = d.get("type")
    if kind == "hello":
        token = d.get("token")
        if not isinstance(token, str) or len(token) > 200:
            raise ProtocolError(BAD_MESSAGE, "'token' must be text")
        after = _int(d, "after", None) if "after" in d else 0
        proto = _int(d, "protocol", None, 1) if "protocol" in d else PROTOCOL_VERSION
        digest = d.get("hash")
        if digest is not None and not _is_hash(digest):
            raise ProtocolError(BAD_MESSAGE, "'hash' must be 64 hexadecimal characters")
        clock_ms = _int(d, "clock_ms", None) if d.get("clock_ms") is not None else None
        version = d.get("version")
        if version is not None and (not isinstance(version, str) or len(version) > 40):
            raise ProtocolError(BAD_MESSAGE, "'version' must be text of at most 40 characters")
        return Hello(token, after, proto, digest, clock_ms, version)
    if kind == "command":
        msg_id = _id(d)
        cmd_kind = d.get("kind")
        if not isinstance(cmd_kind, str) or len(cmd_kind) > 40:
            raise ProtocolError(BAD_MESSAGE, "'kind' must be text", msg_id)
        args = d.get("args", {})
        if not isinstance(args, dict):
            raise ProtocolError(BAD_MESSAGE, "'args' must be an object", msg_id)
        return CommandMsg(msg_id, cmd_kind, args)
    if kind == "sign_in":
        msg_id = _id(d)
        officer, pin = d.get("officer"), d.get("pin")
        if not isinstance(officer, str) or not 1 <= len(officer) <= 32:
            raise ProtocolError(BAD_MESSAGE, "'officer' must be text of 1-32 characters", msg_id)
        if not isinstance(pin, str) or len(pin) > 12:
            raise ProtocolError(BAD_MESSAGE, "'pin' must be text", msg_id)
        return SignIn(msg_id, officer, pin, _int(d, "counter", msg_id, 1))
    if kind == "ping":
        return Ping()
    if not isinstance(kind, str):
        raise ProtocolError(BAD_MESSAGE, "'type' is missing")
    raise ProtocolError(UNKNOWN_TYPE, f"unknown message type {kind[:40]!r}")


# --- parsing what the hub sent --------------------------------------------------------------------

# The hub's frames carry no size limit of their own (catch-up frames hold 2,000 events); fields
# the hub adds later are ignored, as section 11 asks of every program.


def _field(d: dict[str, Any], key: str, kind: type, what: str) -> Any:
    # Exact types, as json.loads makes them: true is not a number here.
    v = d.get(key)
    if type(v) is not kind:
        raise ProtocolError(BAD_MESSAGE, f"{what}: '{key}' is missing or of the wrong type")
    return v


def _text_or_none(v: object) -> bool:
    return v is None or type(v) is str


def _is_hash(v: object) -> bool:
    return isinstance(v, str) and len(v) == 64 and all(c in "0123456789abcdef" for c in v)


def _event(d: object) -> Event:
    # The hot path of catch-up (20,000 events for a new replica): exact type checks, no
    # per-field helper calls.
    if type(d) is not dict:
        raise ProtocolError(BAD_MESSAGE, "an event is a JSON object")
    seq, command_id, kind = d.get("seq"), d.get("command_id"), d.get("kind")
    ticket_id, device, officer = d.get("ticket_id"), d.get("device"), d.get("officer")
    at_ms, data, digest = d.get("at_ms"), d.get("data"), d.get("hash")
    if (type(seq) is not int or seq < 1 or type(command_id) is not str
            or type(kind) is not str or not _text_or_none(ticket_id) or type(device) is not str
            or not _text_or_none(officer) or type(at_ms) is not int or type(data) is not dict
            or not _text_or_none(digest)):
        raise ProtocolError(BAD_MESSAGE, f"event {str(seq)[:20]} is malformed")
    return Event(seq, command_id, kind, ticket_id, device, officer, at_ms, data, digest)


def _refusal(d: object) -> Refusal:
    if not isinstance(d, dict):
        raise ProtocolError(BAD_MESSAGE, "result: 'refusal' must be an object")
    detail = d.get("detail", {})
    if not isinstance(detail, dict):
        raise ProtocolError(BAD_MESSAGE, "result: refusal 'detail' must be an object")
    return Refusal(_field(d, "code", str, "refusal"), _field(d, "message", str, "refusal"),
                   _field(d, "pesan", str, "refusal"), detail)


def _result(msg_id: str, d: object) -> Result:
    if not isinstance(d, dict):
        raise ProtocolError(BAD_MESSAGE, "result: 'result' must be an object")
    if d.get("command_id") != msg_id:
        raise ProtocolError(BAD_MESSAGE, "result: 'command_id' differs from the frame's id")
    ok = _field(d, "ok", bool, "result")
    value = d.get("value") or {}
    if not isinstance(value, dict):
        raise ProtocolError(BAD_MESSAGE, "result: 'value' must be an object")
    refusal = None if d.get("refusal") is None else _refusal(d["refusal"])
    if not ok and refusal is None:
        raise ProtocolError(BAD_MESSAGE, "result: a refused command needs its 'refusal'")
    duplicate = d.get("duplicate", False)
    if not isinstance(duplicate, bool):
        raise ProtocolError(BAD_MESSAGE, "result: 'duplicate' must be true or false")
    return Result(msg_id, ok, value, refusal=refusal, duplicate=duplicate)


def parse_from_hub(text: str | bytes) -> HubMessage:
    """A frame the hub sent (stations read these). A frame type this program does not know
    is a ProtocolError with code UNKNOWN_TYPE, which a station ignores (section 11)."""
    d = _object(text)
    kind = d.get("type")
    if kind == "events":
        events = d.get("events")
        if not isinstance(events, list):
            raise ProtocolError(BAD_MESSAGE, "events: 'events' must be a list")
        return Events(tuple(_event(e) for e in events))
    if kind == "result":
        msg_id = _field(d, "id", str, "result")
        return ResultMsg(msg_id, _result(msg_id, d.get("result")))
    if kind == "welcome":
        counter = d.get("counter")
        if counter is not None and (type(counter) is not int or counter < 1):
            raise ProtocolError(BAD_MESSAGE, "welcome: 'counter' must be a number or null")
        last = _field(d, "last_seq", int, "welcome")
        if last < 0:
            raise ProtocolError(BAD_MESSAGE, "welcome: 'last_seq' must not be negative")
        hub_time = d.get("hub_time_ms")
        if hub_time is not None and type(hub_time) is not int:
            raise ProtocolError(BAD_MESSAGE, "welcome: 'hub_time_ms' must be a number or null")
        return Welcome(_field(d, "protocol", int, "welcome"), _field(d, "version", str, "welcome"),
                       _field(d, "station", str, "welcome"), _field(d, "role", str, "welcome"),
                       counter, last, _field(d, "config_digest", str, "welcome"), hub_time)
    if kind == "error":
        msg_id = d.get("id")
        if not _text_or_none(msg_id):
            raise ProtocolError(BAD_MESSAGE, "error: 'id' must be text or null")
        return Error(_field(d, "code", str, "error"), _field(d, "message", str, "error"), msg_id)
    if kind == "pong":
        return Pong()
    if not isinstance(kind, str):
        raise ProtocolError(BAD_MESSAGE, "'type' is missing")
    raise ProtocolError(UNKNOWN_TYPE, f"unknown message type {kind[:40]!r}")
