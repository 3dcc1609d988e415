"""Every command's arguments, fuzzed with every JSON type, against one real hub process.

A kiosk that sent `cancel` with a list, an object or a lone surrogate escape as its ticket
ended its own connection (a traceback in the hub's log, close 1006, the reply before it lost).
Here each station (admin, kiosk, a counter with its officer signed in) sends hostile arguments
for every command kind in COMMAND_ARGS, and the `sign_in` message hostile fields, over ONE
connection each, to ONE hub process shared by the module: every id must get a reply (a
`result`, or an `error` with its id) whose code docs/protocol.md documents, the connection
must stay open, the hub's log must hold no traceback, and `antrean ledger verify` must pass
afterwards."""

from __future__ import annotations

import asyncio
import json
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shared.hub import protocol as p
from shared.hub.auth import ROLE_COMMANDS
from shared.ledger.model import COMMAND_ARGS
from tests.helpers.hub_process import DATA, HubProcess

ROOT = Path(__file__).resolve().parents[2]
PIN = "2468"
OFFICER = "siti"
BATCH = 8  # commands per example, all in flight at once on the one connection
EXAMPLES = 20  # per station: a few seconds, and within the hub's rate limit (a burst of 200)


def documented_codes() -> set[str]:
    """The `error` codes (section 6.3) and refusal codes (section 6.1) docs/protocol.md
    lists: a reply with any other code is one a program could not act on."""
    doc = (ROOT / "docs" / "protocol.md").read_text()
    table = doc[doc.index("Refusal codes:"):doc.index("New codes may be added")]
    refusals = {code for line in table.splitlines() if line.startswith("| `")
                for code in re.findall(r"`([a-z_]+)`", line.split("|")[1])}
    errors = doc[doc.index("### 6.3"):doc.index("### 6.4")]
    return refusals | set(re.findall(r"`([a-z_]+)`", errors.split("Codes:")[1]))


CODES = documented_codes()
# The ledger's commands, and the officer's own request the hub answers from its auth store.
FUZZED_ARGS: dict[str, dict[str, bool]] = {
    **COMMAND_ARGS, "change_pin": {"old_pin": True, "new_pin": True}}


@pytest.fixture(scope="module")
def shared_hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[HubProcess,
                                                                             dict[str, str]]]:
    h = HubProcess(tmp_path_factory.mktemp("fuzz-hub"), DATA / "small_hall.toml")
    tokens = {role: h.enroll(f"{role}-1", role) for role in ("admin", "kiosk", "counter")}
    h.add_officer(OFFICER, PIN)
    h.start()
    yield h, tokens
    h.stop()


@pytest.fixture(scope="module")
def loop() -> Iterator[asyncio.AbstractEventLoop]:
    lp = asyncio.new_event_loop()
    yield lp
    lp.close()


# Every JSON type, and the values that reach deepest: real services, counters and tickets,
# text that UTF-8 cannot encode (a lone surrogate escape), NUL, numbers beyond SQLite's.
SURROGATE = "\ud800"
plain = st.one_of(
    st.none(), st.booleans(),
    st.integers(-3, 6), st.sampled_from([2**63, -(2**63) - 1, 10**30]), st.integers(),
    st.floats(allow_nan=False), st.text(max_size=8),
    st.sampled_from(["ktp-baru", "kk", "bpjs-daftar", "20261130-KTP-001", "20261130-KK-001",
                     "lansia", "open", "resolved", "printer", SURROGATE, f"ktp{SURROGATE}",
                     "\x00", ""]),
)
json_value = st.one_of(plain, st.lists(plain, max_size=3),
                       st.dictionaries(st.text(max_size=4) | st.just(SURROGATE), plain,
                                       max_size=2))


@st.composite
def command(draw: st.DrawFn, kinds: list[str]) -> tuple[str, dict[str, Any]]:
    kind = draw(st.sampled_from(kinds))
    names = sorted(FUZZED_ARGS[kind])
    # Counter 1 half the time: the counter's officer signed in there, and a counter station
    # acts only at its officer's counter (any other is `forbidden` before the ledger's rules).
    args = {n: draw(st.just(1) | json_value if n == "counter" else json_value)
            for n in names if draw(st.booleans()) or FUZZED_ARGS[kind][n]}
    if draw(st.integers(0, 9)) == 0:
        args[draw(st.sampled_from(["x", "counter", "ticket", SURROGATE]))] = draw(json_value)
    return kind, args


@st.composite
def sign_in(draw: st.DrawFn) -> dict[str, Any]:
    fields = {"officer": draw(json_value | st.just(OFFICER)),
              "pin": draw(json_value | st.just(PIN)), "counter": draw(json_value)}
    return {k: v for k, v in fields.items() if draw(st.integers(0, 5)) or k == "pin"}


class Station:
    """One connection, kept open across every example of a test."""

    def __init__(self, session: aiohttp.ClientSession, ws: aiohttp.ClientWebSocketResponse
                 ) -> None:
        self.session, self.ws, self.n = session, ws, 0

    @classmethod
    async def open(cls, h: HubProcess, token: str) -> Station:
        session = aiohttp.ClientSession()
        ws = await session.ws_connect(h.url, max_msg_size=0)
        await ws.send_str(json.dumps({"type": "hello", "token": token, "after": 0}))
        while True:
            frame = json.loads((await ws.receive(timeout=10)).data)
            if frame["type"] == "welcome":
                return cls(session, ws)

    async def send_all(self, frames: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
        """Send every frame (each given a fresh id), then read until each id has its reply.
        A closed connection fails."""
        ids = []
        for f in frames:
            self.n += 1
            ids.append(f"f{self.n}")
            # ensure_ascii: a lone surrogate goes out as the escape a hostile client sends.
            await self.ws.send_str(json.dumps({**f, "id": ids[-1]}))
        replies: dict[str, dict[str, Any]] = {}
        while len(replies) < len(ids):
            msg = await self.ws.receive(timeout=10)
            assert msg.type == aiohttp.WSMsgType.TEXT, (
                f"the hub closed the connection ({self.ws.close_code}) after {frames}")
            frame = json.loads(msg.data)
            if frame.get("id") in ids:
                replies[frame["id"]] = frame
        return replies

    async def still_served(self) -> None:
        """The connection is open and the hub still answers on it."""
        await self.ws.send_str('{"type":"ping"}')
        while True:
            msg = await self.ws.receive(timeout=10)
            assert msg.type == aiohttp.WSMsgType.TEXT, f"closed ({self.ws.close_code})"
            if json.loads(msg.data)["type"] == "pong":
                return

    async def close(self) -> None:
        await self.ws.close()
        await self.session.close()


def code_of(reply: dict[str, Any]) -> str | None:
    if reply["type"] == "error":
        return str(reply["code"])
    assert reply["type"] == "result", reply
    refusal = reply["result"]["refusal"]
    return None if reply["result"]["ok"] else str(refusal["code"])


def check_hub_afterwards(h: HubProcess) -> None:
    assert h.proc is not None and h.proc.poll() is None, "the hub exited"
    assert h.log_path is not None
    log = h.log_path.read_text()
    assert "Traceback" not in log, log[log.index("Traceback") - 300:][:3000]
    verify = subprocess.run(
        [sys.executable, "-m", "antrean", "ledger", "verify", str(h.ledger), "--config",
         str(h.config)], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert verify.returncode == 0, verify.stdout + verify.stderr


def fuzz(loop: asyncio.AbstractEventLoop, station: Station, frames: st.SearchStrategy[
        list[dict[str, Any]]]) -> list[str | None]:
    seen: list[str | None] = []

    @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(frames)
    def run(batch: list[dict[str, Any]]) -> None:
        replies = loop.run_until_complete(station.send_all(batch))
        for reply in replies.values():
            code = code_of(reply)
            assert code is None or code in CODES, f"undocumented code in {reply}"
            seen.append(code)

    run()
    loop.run_until_complete(station.still_served())
    return seen


def command_frames(role: str) -> st.SearchStrategy[list[dict[str, Any]]]:
    """Every kind for an admin; a kiosk's and a counter's own kinds mostly (the others are
    all `forbidden` before their arguments are read), and now and then any kind."""
    kinds = sorted(COMMAND_ARGS) if role == "admin" else sorted(ROLE_COMMANDS[role])
    frame = (command(kinds) | command(sorted(COMMAND_ARGS))).map(
        lambda c: {"type": "command", "kind": c[0], "args": c[1]})
    return st.lists(frame, min_size=BATCH, max_size=BATCH)


@pytest.mark.parametrize("role", ["admin", "kiosk", "counter"])
def test_every_command_with_every_json_type_gets_a_documented_reply(
    shared_hub: tuple[HubProcess, dict[str, str]], loop: asyncio.AbstractEventLoop, role: str
) -> None:
    h, tokens = shared_hub
    station = loop.run_until_complete(Station.open(h, tokens[role]))
    try:
        if role == "counter":
            signed = loop.run_until_complete(station.send_all(
                [{"type": "sign_in", "officer": OFFICER, "pin": PIN, "counter": 1}]))
            assert [code_of(r) for r in signed.values()] in ([None], ["counter_taken"])
        seen = fuzz(loop, station, command_frames(role))
        # The fuzzing reached past the argument checks, into the ledger's own rules.
        assert len(seen) == EXAMPLES * BATCH
        assert {"bad_args", "bad_message"} <= set(seen), set(seen)
        assert set(seen) - {"bad_args", "bad_message", "forbidden", "unknown_command"}
    finally:
        loop.run_until_complete(station.close())
    check_hub_afterwards(h)


def test_sign_in_with_every_json_type_gets_a_documented_reply(
    shared_hub: tuple[HubProcess, dict[str, str]], loop: asyncio.AbstractEventLoop
) -> None:
    h, tokens = shared_hub
    station = loop.run_until_complete(Station.open(h, tokens["counter"]))
    try:
        frames = st.lists(sign_in().map(lambda f: {"type": "sign_in", **f}), min_size=2,
                          max_size=2)
        seen = fuzz(loop, station, frames)
        assert "bad_message" in seen
    finally:
        loop.run_until_complete(station.close())
    check_hub_afterwards(h)


def test_a_kiosk_cancelling_a_list_an_object_or_a_surrogate_keeps_its_connection(
    shared_hub: tuple[HubProcess, dict[str, str]], loop: asyncio.AbstractEventLoop
) -> None:
    """The report's case: the reply before the bad cancel arrives, the bad cancel gets its
    own reply, and the connection goes on serving the kiosk."""
    h, tokens = shared_hub
    station = loop.run_until_complete(Station.open(h, tokens["kiosk"]))
    issue = {"type": "command", "kind": "issue_ticket", "args": {"service": "kk"}}
    try:
        for ticket in ([1, "20261130-KK-001"], {"ticket": "20261130-KK-001"}, SURROGATE,
                       f"20261130-KK-001{SURROGATE}"):
            bad = {"type": "command", "kind": "cancel", "args": {"ticket": ticket}}
            replies = loop.run_until_complete(station.send_all([issue, bad, issue]))
            first, refused, last = replies.values()
            assert first["result"]["ok"] and last["result"]["ok"]
            assert code_of(refused) in (p.BAD_ARGS, p.BAD_MESSAGE), refused
    finally:
        loop.run_until_complete(station.close())
    check_hub_afterwards(h)
