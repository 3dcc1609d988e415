"""A station speaking the hub's protocol by hand (aiohttp), for tests that must see every
frame the hub sends and the code it closes with."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import aiohttp

from tests.system.conftest import HubProcess


class Raw:
    """A station speaking the protocol by hand, to see every frame and the close code."""

    def __init__(self, session: aiohttp.ClientSession, ws: aiohttp.ClientWebSocketResponse,
                 welcome: dict[str, Any]) -> None:
        self.session, self.ws, self.welcome = session, ws, welcome
        self.frames: list[dict[str, Any]] = []

    @classmethod
    async def connect(cls, hub: HubProcess, token: str) -> Raw:
        session = aiohttp.ClientSession()
        ws = await session.ws_connect(hub.url, max_msg_size=0)
        await ws.send_str(json.dumps({"type": "hello", "token": token, "after": 0}))
        welcome = json.loads((await ws.receive(timeout=10)).data)
        return cls(session, ws, welcome)

    async def next(self, timeout: float = 10) -> dict[str, Any] | None:
        """The next frame, or None when the hub closed the connection."""
        msg = await self.ws.receive(timeout=timeout)
        if msg.type != aiohttp.WSMsgType.TEXT:
            return None
        frame = dict(json.loads(msg.data))
        self.frames.append(frame)
        return frame

    async def command(self, cid: str, kind: str, /, **args: Any) -> dict[str, Any] | None:
        await self.ws.send_str(json.dumps({"type": "command", "id": cid, "kind": kind,
                                           "args": args}))
        return await self.until(lambda f: f.get("id") == cid)

    async def sign_in(self, cid: str, officer: str, pin: str, counter: int
                      ) -> dict[str, Any] | None:
        await self.ws.send_str(json.dumps({"type": "sign_in", "id": cid, "officer": officer,
                                           "pin": pin, "counter": counter}))
        return await self.until(lambda f: f.get("id") == cid)

    async def until(self, wanted: Callable[[dict[str, Any]], bool], timeout: float = 10
                    ) -> dict[str, Any] | None:
        while True:
            frame = await self.next(timeout)
            if frame is None or wanted(frame):
                return frame

    async def close(self) -> None:
        await self.ws.close()
        await self.session.close()
