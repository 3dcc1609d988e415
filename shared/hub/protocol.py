"""The hub's wire protocol: JSON text frames over a WebSocket. See docs/protocol.md.

Parsing is strict and total: any frame either becomes a typed message or a `ProtocolError`
with a code and an English reason; nothing a station sends can raise anything else.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

PROTOCOL_VERSION = 1
MAX_FRAME_BYTES = 64 * 1024
MAX_ID_LEN = 64


class ProtocolError(ValueError):
    def __init__(self, code: str, message: str, msg_id: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.msg_id = msg_id


@dataclass(frozen=True)
class Hello:
    token: str
    after: int
    protocol: int


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


def _id(d: dict[str, Any]) -> str:
    v = d.get("id")
    if not isinstance(v, str) or not 1 <= len(v) <= MAX_ID_LEN:
        raise ProtocolError("bad_message", f"'id' must be text of 1-{MAX_ID_LEN} characters")
    return v


def _int(d: dict[str, Any], key: str, msg_id: str | None, low: int = 0) -> int:
    v = d.get(key)
    if not isinstance(v, int) or isinstance(v, bool) or v < low:
        raise ProtocolError("bad_message", f"'{key}' must be a whole number ≥ {low}", msg_id)
    return v


def parse(text: str | bytes) -> Message:
    if isinstance(text, bytes):
        raise ProtocolError("bad_message", "frames must be text (JSON), not binary")
    if len(text) > MAX_FRAME_BYTES:
        raise ProtocolError("too_big", f"frame larger than {MAX_FRAME_BYTES} bytes")
    try:
        d = json.loads(text)
    except (ValueError, RecursionError):
        raise ProtocolError("bad_json", "frame is not valid JSON") from None
    if not isinstance(d, dict):
        raise ProtocolError("bad_message", "a message is a JSON object")
    kind = d.get("type")
    if kind == "hello":
        token = d.get("token")
        if not isinstance(token, str) or len(token) > 200:
            raise ProtocolError("bad_message", "'token' must be text")
        after = _int(d, "after", None) if "after" in d else 0
        proto = _int(d, "protocol", None, 1) if "protocol" in d else PROTOCOL_VERSION
        return Hello(token, after, proto)
    if kind == "command":
        msg_id = _id(d)
        cmd_kind = d.get("kind")
        if not isinstance(cmd_kind, str) or len(cmd_kind) > 40:
            raise ProtocolError("bad_message", "'kind' must be text", msg_id)
        args = d.get("args", {})
        if not isinstance(args, dict):
            raise ProtocolError("bad_message", "'args' must be an object", msg_id)
        return CommandMsg(msg_id, cmd_kind, args)
    if kind == "sign_in":
        msg_id = _id(d)
        officer, pin = d.get("officer"), d.get("pin")
        if not isinstance(officer, str) or not 1 <= len(officer) <= 32:
            raise ProtocolError("bad_message", "'officer' must be text of 1-32 characters", msg_id)
        if not isinstance(pin, str) or len(pin) > 12:
            raise ProtocolError("bad_message", "'pin' must be text", msg_id)
        return SignIn(msg_id, officer, pin, _int(d, "counter", msg_id, 1))
    if kind == "ping":
        return Ping()
    if not isinstance(kind, str):
        raise ProtocolError("bad_message", "'type' is missing")
    raise ProtocolError("unknown_type", f"unknown message type {kind[:40]!r}")


def dumps(obj: dict[str, Any]) -> str:
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)


def error(code: str, message: str, msg_id: str | None = None) -> str:
    return dumps({"type": "error", "code": code, "message": message, "id": msg_id})
