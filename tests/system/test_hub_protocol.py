"""Hostile input at the hub: fuzzed frames, wrong roles, unknown tokens, floods, oversized
frames. The hub must answer clearly or close cleanly, keep serving others, and never change
the ledger for a refused message."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shared.clock import ManualClock
from shared.config import HallConfig
from shared.hub.auth import ROLE_COMMANDS
from shared.ledger.model import COMMAND_ARGS
from shared.ledger.projection import ledger_hash, projection_dump
from shared.ledger.store import connect
from tests.helpers.inproc_hub import ThreadedHub


@pytest.fixture
def threaded_hub(tmp_path: Path, small_config: HallConfig, clock: ManualClock
                 ) -> Iterator[ThreadedHub]:
    h = ThreadedHub(small_config, tmp_path, clock, rate_per_second=1e9, rate_burst=1e9)
    yield h
    h.stop()


@pytest.fixture
def loop() -> Iterator[asyncio.AbstractEventLoop]:
    lp = asyncio.new_event_loop()
    yield lp
    lp.close()


def ledger_state(h: ThreadedHub) -> tuple[str, object]:
    conn = connect(h.hub.ledger_path, readonly=True)
    try:
        return ledger_hash(conn), projection_dump(conn)
    finally:
        conn.close()


async def open_station(h: ThreadedHub, session: aiohttp.ClientSession, token: str
                       ) -> aiohttp.ClientWebSocketResponse:
    ws = await session.ws_connect(h.url)
    await ws.send_str(json.dumps({"type": "hello", "token": token, "after": 0}))
    welcome = json.loads((await ws.receive(timeout=10)).data)
    assert welcome["type"] == "welcome", welcome
    return ws


async def roundtrip_ping(ws: aiohttp.ClientWebSocketResponse) -> None:
    """The hub still answers this connection: a ping gets a pong (other replies may come
    first)."""
    await ws.send_str('{"type":"ping"}')
    while True:
        msg = await ws.receive(timeout=10)
        assert msg.type == aiohttp.WSMsgType.TEXT, msg
        if json.loads(msg.data).get("type") == "pong":
            return


# Flat values and one level of nesting: deep JSON costs generation time and reaches no code
# that shallow JSON does not (the parser checks the top level and the fields it reads).
scalars = (st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False)
           | st.text(max_size=12))
json_values = scalars | st.lists(scalars, max_size=3) | st.dictionaries(
    st.text(max_size=6), scalars, max_size=3)
hostile = st.one_of(
    st.text(max_size=200),
    json_values.map(json.dumps),
    st.fixed_dictionaries(
        {"type": st.sampled_from(["command", "sign_in", "hello", "ping", "x", ""])},
        optional={"id": json_values, "kind": st.sampled_from(sorted(COMMAND_ARGS)) | json_values,
                  "args": st.dictionaries(st.sampled_from(["service", "counter", "ticket",
                                                           "priority", "x"]), json_values,
                                          max_size=3) | json_values,
                  "officer": json_values, "pin": json_values, "counter": json_values,
                  "token": json_values},
    ).map(json.dumps),
)


def test_fuzzed_frames_never_crash_the_hub_nor_change_the_ledger(
    threaded_hub: ThreadedHub, loop: asyncio.AbstractEventLoop
) -> None:
    """≥ 10,000 hostile frames from an enrolled display (which may not write): every one gets
    an answer or is ignored, the connection stays usable, the ledger is unchanged."""
    h = threaded_hub
    token = h.auth.enroll("board-1", "display")
    before = ledger_state(h)
    session = loop.run_until_complete(_new_session())
    ws = loop.run_until_complete(open_station(h, session, token))
    sent = 0

    @settings(max_examples=100, deadline=None, derandomize=True,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(st.lists(hostile, min_size=100, max_size=100))
    def send_batch(frames: list[str]) -> None:
        nonlocal sent

        async def go() -> None:
            for f in frames:
                await ws.send_str(f)
            await roundtrip_ping(ws)

        loop.run_until_complete(go())
        sent += len(frames)

    try:
        send_batch()
        assert sent >= 10_000
        assert ledger_state(h) == before
    finally:
        loop.run_until_complete(ws.close())
        loop.run_until_complete(session.close())


async def _new_session() -> aiohttp.ClientSession:
    return aiohttp.ClientSession()


@pytest.mark.parametrize("role", ["kiosk", "counter", "display", "export"])
def test_each_role_is_refused_the_commands_it_may_not_send(
    threaded_hub: ThreadedHub, loop: asyncio.AbstractEventLoop, role: str
) -> None:
    h = threaded_hub
    token = h.auth.enroll(f"{role}-x", role)
    forbidden = sorted(set(COMMAND_ARGS) - ROLE_COMMANDS[role])
    assert forbidden
    before = ledger_state(h)

    async def go() -> list[dict]:  # type: ignore[type-arg]
        async with aiohttp.ClientSession() as session:
            ws = await open_station(h, session, token)
            replies = []
            for i, kind in enumerate(forbidden):
                await ws.send_str(json.dumps({"type": "command", "id": f"c{i}", "kind": kind,
                                              "args": {"counter": 1, "service": "ktp-baru",
                                                       "ticket": "x"}}))
            while len(replies) < len(forbidden):
                d = json.loads((await ws.receive(timeout=10)).data)
                if d["type"] == "result":
                    replies.append(d["result"])
            await ws.close()
            return replies

    replies = loop.run_until_complete(go())
    assert all(not r["ok"] and r["refusal"]["code"] == "forbidden" for r in replies)
    assert ledger_state(h) == before


def test_unknown_token_bad_hello_and_oversized_frames_are_closed_cleanly(
    threaded_hub: ThreadedHub, loop: asyncio.AbstractEventLoop
) -> None:
    h = threaded_hub
    good = h.auth.enroll("kiosk-1", "kiosk")

    async def go() -> None:
        async with aiohttp.ClientSession() as session:
            ws = await session.ws_connect(h.url)
            await ws.send_str(json.dumps({"type": "hello", "token": "nope-nope-nope"}))
            err = json.loads((await ws.receive(timeout=10)).data)
            assert err["code"] == "unknown_token"
            closing = await ws.receive(timeout=10)
            assert closing.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)
            assert ws.close_code == 4001

            ws = await session.ws_connect(h.url)
            await ws.send_str("not json")
            err = json.loads((await ws.receive(timeout=10)).data)
            assert err["code"] == "bad_json"

            ws = await open_station(h, session, good)
            await ws.send_str("x" * (70 * 1024))
            closing = await ws.receive(timeout=10)
            assert closing.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)
            assert ws.close_code == 1009  # message too big

            # …and the hub still serves a well-behaved kiosk.
            ws = await open_station(h, session, good)
            await ws.send_str(json.dumps({"type": "command", "id": "ok1",
                                          "kind": "issue_ticket",
                                          "args": {"service": "ktp-baru"}}))
            while True:
                d = json.loads((await ws.receive(timeout=10)).data)
                if d["type"] == "result":
                    assert d["result"]["ok"]
                    break
            await ws.close()

    loop.run_until_complete(go())


def test_a_flooding_station_is_throttled_and_the_others_are_served(
    tmp_path: Path, small_config: HallConfig, clock: ManualClock,
    loop: asyncio.AbstractEventLoop
) -> None:
    h = ThreadedHub(small_config, tmp_path, clock, rate_per_second=50, rate_burst=20)
    flood, calm = h.auth.enroll("kiosk-flood", "kiosk"), h.auth.enroll("board-1", "display")

    async def go() -> None:
        async with aiohttp.ClientSession() as session:
            bad = await open_station(h, session, flood)
            good = await open_station(h, session, calm)
            for _ in range(300):
                await bad.send_str('{"type":"ping"}')
            codes = []
            while len(codes) < 300:
                d = json.loads((await bad.receive(timeout=10)).data)
                codes.append(d.get("code") or d["type"])
            assert codes.count("rate_limited") >= 250
            await roundtrip_ping(good)
            await bad.close()
            await good.close()

    try:
        loop.run_until_complete(go())
    finally:
        h.stop()


def test_a_kiosk_may_cancel_only_the_tickets_it_issued(
    threaded_hub: ThreadedHub, loop: asyncio.AbstractEventLoop
) -> None:
    h = threaded_hub
    mine, other = h.auth.enroll("kiosk-1", "kiosk"), h.auth.enroll("kiosk-2", "kiosk")

    async def command(ws: aiohttp.ClientWebSocketResponse, cid: str, kind: str,
                      args: dict) -> dict:  # type: ignore[type-arg]
        await ws.send_str(json.dumps({"type": "command", "id": cid, "kind": kind,
                                      "args": args}))
        while True:
            d = json.loads((await ws.receive(timeout=10)).data)
            if d["type"] == "result" and d["id"] == cid:
                return dict(d["result"])

    async def go() -> None:
        async with aiohttp.ClientSession() as session:
            a = await open_station(h, session, mine)
            b = await open_station(h, session, other)
            issued = await command(a, "i1", "issue_ticket", {"service": "ktp-baru"})
            ticket = issued["value"]["ticket"]["ticket_id"]
            refused = await command(b, "c1", "cancel", {"ticket": ticket})
            assert refused["refusal"]["code"] == "forbidden"
            done = await command(a, "c2", "cancel", {"ticket": ticket})
            assert done["ok"]
            await a.close()
            await b.close()

    loop.run_until_complete(go())
