"""docs/protocol.md, section by section, as a third-party client would read it, against a real
hub process: every message, error, refusal, close code and HTTP answer the document promises.
(A hub in a thread is used only where the document's 10-second hello timeout would make the
test wait 10 s.)"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import json
import signal
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from shared.clock import ManualClock
from shared.config import HallConfig
from shared.hub.auth import ROLE_COMMANDS
from shared.ledger.model import COMMAND_ARGS
from tests.helpers.inproc_hub import ThreadedHub
from tests.system.conftest import DATA, HubProcess
from tests.system.raw_station import Raw

DOC = Path(__file__).resolve().parents[2] / "docs" / "protocol.md"


@pytest.fixture(scope="module")
def shared_hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HubProcess]:
    h = HubProcess(tmp_path_factory.mktemp("protocol"), DATA / "small_hall.toml")
    h.add_officer("siti", "2468")
    h.add_officer("lock-me", "1111")
    h.add_officer("budi", "1357")
    h.start()
    yield h
    h.stop()


@pytest.fixture(scope="module")
def tokens(shared_hub: HubProcess) -> dict[str, str]:
    return {"kiosk": shared_hub.enroll("kiosk-1", "kiosk"),
            "display": shared_hub.enroll("board-1", "display"),
            "web": shared_hub.enroll("web-1", "web"),
            "counter": shared_hub.enroll("loket-1", "counter", 1),
            "free-counter": shared_hub.enroll("loket-x", "counter"),
            "admin": shared_hub.enroll("supervisor", "admin")}


async def opened(hub: HubProcess) -> aiohttp.ClientWebSocketResponse:
    session = aiohttp.ClientSession()
    ws = await session.ws_connect(hub.url)
    ws._test_session = session  # type: ignore[attr-defined]
    return ws


async def frames_until_closed(ws: aiohttp.ClientWebSocketResponse) -> list[dict[str, Any]]:
    got = []
    while True:
        msg = await ws.receive(timeout=15)
        if msg.type != aiohttp.WSMsgType.TEXT:
            await ws._test_session.close()  # type: ignore[attr-defined]
            return got
        got.append(json.loads(msg.data))


# --- section 4: hello and welcome --------------------------------------------------------


def test_welcome_says_what_the_token_is(shared_hub: HubProcess, tokens: dict[str, str]) -> None:
    async def go() -> None:
        ws = await opened(shared_hub)
        # `after` and `protocol` may be left out (defaults 0 and 1).
        await ws.send_str(json.dumps({"type": "hello", "token": tokens["counter"]}))
        welcome = json.loads((await ws.receive(timeout=10)).data)
        assert set(welcome) == {"type", "protocol", "version", "station", "role", "counter",
                                "last_seq", "config_digest", "hub_time_ms"}
        hub_now = dt.datetime.fromisoformat(str(shared_hub.health()["time"]))
        assert abs(welcome["hub_time_ms"] / 1000 - hub_now.timestamp()) < 5
        assert (welcome["type"], welcome["protocol"], welcome["station"], welcome["role"],
                welcome["counter"]) == ("welcome", 1, "loket-1", "counter", 1)
        health = shared_hub.health()
        assert welcome["config_digest"] == health["config_digest"]
        await ws.close()
        await ws._test_session.close()  # type: ignore[attr-defined]

    asyncio.run(go())


@pytest.mark.parametrize(("first", "code", "error"), [
    ('{"type":"ping"}', 4000, "bad_message"),  # JSON, but not a hello: not a token problem
    ('{"type":"command","id":"x","kind":"issue_ticket"}', 4000, "bad_message"),
    ("not json", 4000, "bad_json"),
    ('{"type":"hello","token":5}', 4000, "bad_message"),
    ('{"type":"hello","token":"nope-nope-nope"}', 4001, "unknown_token"),
    ('{"type":"hello","token":"TOKEN","protocol":2}', 4002, "protocol"),
    ('{"type":"hello","token":"TOKEN","after":999999}', 4003, "replica_ahead"),
])
def test_a_hello_that_fails_is_one_error_then_the_close_code(
        shared_hub: HubProcess, tokens: dict[str, str], first: str, code: int, error: str
) -> None:
    async def go() -> tuple[list[dict[str, Any]], int | None]:
        ws = await opened(shared_hub)
        await ws.send_str(first.replace("TOKEN", tokens["display"]))
        got = await frames_until_closed(ws)
        return got, ws.close_code

    got, close_code = asyncio.run(go())
    assert [f["code"] for f in got] == [error] and got[0]["id"] is None, got
    assert close_code == code


def test_a_binary_first_frame_is_closed_with_4000(shared_hub: HubProcess) -> None:
    async def go() -> tuple[list[dict[str, Any]], int | None]:
        ws = await opened(shared_hub)
        await ws.send_bytes(b"\x00hello")
        return await frames_until_closed(ws), ws.close_code

    got, code = asyncio.run(go())
    assert code == 4000 and [f["code"] for f in got] == ["bad_message"]


def test_no_hello_in_time_is_closed_with_4000(tmp_path: Path, small_config: HallConfig,
                                              clock: ManualClock) -> None:
    h = ThreadedHub(small_config, tmp_path, clock, hello_timeout=0.3)

    async def go() -> int | None:
        async with aiohttp.ClientSession() as session:
            ws = await session.ws_connect(h.url)
            msg = await ws.receive(timeout=10)
            assert msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)
            return ws.close_code

    try:
        assert asyncio.run(go()) == 4000
    finally:
        h.stop()


# --- sections 5 and 6: messages, results, refusals, errors ----------------------------------


def run(coro: Any) -> Any:
    return asyncio.run(coro)


def test_commands_results_events_and_duplicates(shared_hub: HubProcess,
                                                tokens: dict[str, str]) -> None:
    async def go() -> None:
        kiosk = await Raw.connect(shared_hub, tokens["kiosk"])
        await kiosk.ws.send_str(json.dumps({"type": "command", "id": "doc-k1",
                                            "kind": "issue_ticket",
                                            "args": {"service": "ktp-baru"}}))
        seen = []
        while True:
            frame = await kiosk.next()
            assert frame is not None
            seen.append(frame)
            if frame.get("type") == "result" and frame["id"] == "doc-k1":
                break
        result = seen[-1]["result"]
        assert set(result) == {"command_id", "ok", "value", "refusal", "duplicate"}
        assert result["ok"] and not result["duplicate"] and result["refusal"] is None
        assert set(result["value"]) == {"seq", "ticket", "people_ahead",
                                        "estimated_wait_minutes", "secret"}
        ticket = result["value"]["ticket"]
        assert {"ticket_id", "label", "status", "service", "rank"} <= set(ticket)
        # Section 7: the events a command wrote arrive before its result.
        mine = [e for f in seen if f.get("type") == "events" for e in f["events"]
                if e["command_id"] == "doc-k1"]
        assert [e["seq"] for e in mine] == result["value"]["seq"]
        assert set(mine[0]) == {"seq", "command_id", "kind", "ticket_id", "device", "officer",
                                "at_ms", "data", "hash"}
        # Section 6.2: the hash covers the previous event's hash and this event's fields.
        events = [e for f in seen if f.get("type") == "events" for e in f["events"]]
        at = events.index(mine[0])
        previous = events[at - 1]["hash"] if at else None
        if previous is not None:
            fields = {k: v for k, v in mine[0].items() if k != "hash"}
            text = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
            assert mine[0]["hash"] == hashlib.sha256(
                f"{previous}\n{text}".encode()).hexdigest()
        assert mine[0]["device"] == "kiosk-1" and mine[0]["kind"] == "ticket.issued"
        # The ticket's web secret: in the reply to the kiosk and in the event every station gets.
        assert mine[0]["data"]["secret"] == result["value"]["secret"]
        # Section 8: the same id again writes nothing and answers the first result.
        again = await kiosk.command("doc-k1", "issue_ticket", service="ktp-baru")
        assert again is not None and again["result"]["duplicate"] is True
        assert again["result"]["value"]["seq"] == result["value"]["seq"]
        # `args` may be left out for a command that takes none... and is then incomplete.
        await kiosk.ws.send_str(json.dumps({"type": "command", "id": "doc-k2",
                                            "kind": "issue_ticket"}))
        no_args = await kiosk.until(lambda f: f.get("id") == "doc-k2")
        assert no_args is not None and no_args["result"]["refusal"]["code"] == "bad_args"
        await kiosk.close()

    run(go())


@pytest.mark.parametrize(("role", "kind", "args", "code"), [
    # An unknown kind is unknown_command for every role, admin included.
    ("admin", "launch_rocket", {}, "unknown_command"),
    ("kiosk", "launch_rocket", {}, "unknown_command"),
    ("kiosk", "call_next", {"counter": 1}, "forbidden"),
    ("display", "issue_ticket", {"service": "ktp-baru"}, "forbidden"),
    # The public web station reads only: not even an alert.
    ("web", "issue_ticket", {"service": "ktp-baru"}, "forbidden"),
    ("web", "alert", {"kind": "printer", "message": "Kertas habis"}, "forbidden"),
    ("admin", "force_sign_out", {"counter": 1}, "forbidden"),  # the hub's own
    ("admin", "close_day", {"day": "2026-11-29"}, "forbidden"),  # the hub's own
    ("admin", "sign_in", {"counter": 1}, "forbidden"),  # only as the sign_in message
    # Numbers are numbers: "1" is malformed, not an unknown counter or service.
    ("admin", "call_next", {"counter": "1"}, "bad_args"),
    ("admin", "issue_ticket", {"service": 7}, "bad_args"),
    ("admin", "recall", {"counter": True}, "bad_args"),
    ("counter", "call_next", {"counter": "1"}, "bad_args"),
    ("admin", "issue_ticket", {"service": "ktp-baru", "x": 1}, "bad_args"),
    ("admin", "cancel", {}, "bad_args"),
    ("admin", "issue_ticket", {"service": "nope"}, "unknown_service"),
    ("admin", "call_next", {"counter": 99}, "unknown_counter"),
    ("admin", "cancel", {"ticket": "20261130-KTP-999"}, "unknown_ticket"),
    ("counter", "call_next", {"counter": 1}, "not_signed_in"),
    ("counter", "alert", {"kind": "printer", "message": "Kertas habis"}, None),  # no officer
    ("kiosk", "cancel", {"ticket": "20261130-KTP-999"}, "forbidden"),  # not its ticket
])
def test_refusal_codes(shared_hub: HubProcess, tokens: dict[str, str], role: str, kind: str,
                       args: dict[str, Any], code: str | None) -> None:
    async def go() -> dict[str, Any]:
        station = await Raw.connect(shared_hub, tokens[role])
        reply = await station.command(f"doc-{role}-{kind}-{len(args)}-{code}", kind, **args)
        await station.close()
        assert reply is not None and reply["type"] == "result", reply
        return dict(reply["result"])

    result = run(go())
    if code is None:
        assert result["ok"], result
        return
    assert not result["ok"] and result["value"] == {} and not result["duplicate"]
    refusal = result["refusal"]
    assert refusal["code"] == code, refusal
    assert refusal["message"] and refusal["pesan"] and isinstance(refusal["detail"], dict)


def test_every_command_kind_of_the_doc_is_the_hubs() -> None:
    """Section 5.1's table lists exactly the kinds the hub knows (its own force_sign_out and
    close_day aside, which section 3 names), and section 3's roles are the hub's."""
    text = DOC.read_text(encoding="utf-8")
    table = text.split("| kind | args", 1)[1].split("\n\n", 1)[0]
    listed = {line.split("`")[1] for line in table.splitlines() if line.startswith("| `")}
    assert listed == set(COMMAND_ARGS) - {"force_sign_out", "close_day"}
    assert "`force_sign_out`" in text and "`close_day`" in text
    for role in ROLE_COMMANDS:
        assert f"`{role}`" in text


def test_a_bound_counter_station_names_only_its_counter(shared_hub: HubProcess,
                                                        tokens: dict[str, str]) -> None:
    async def go() -> None:
        loket = await Raw.connect(shared_hub, tokens["counter"])
        other = await loket.sign_in("doc-s0", "siti", "2468", 2)
        assert other is not None and other["result"]["refusal"]["code"] == "forbidden"
        ok = await loket.sign_in("doc-s1", "siti", "2468", 1)
        assert ok is not None and ok["result"]["ok"], ok
        elsewhere = await loket.command("doc-c1", "open_counter", counter=2)
        assert elsewhere is not None
        assert elsewhere["result"]["refusal"]["code"] == "forbidden"
        mine = await loket.command("doc-c2", "open_counter", counter=1)
        assert mine is not None and mine["result"]["ok"]
        await loket.close()
        # Reconnected, the station keeps its officer (the PIN is not asked again).
        back = await Raw.connect(shared_hub, tokens["counter"])
        paused = await back.command("doc-c3", "pause_counter", counter=1)
        assert paused is not None and paused["result"]["ok"], paused
        out = await back.command("doc-c4", "sign_out", counter=1)
        assert out is not None and out["result"]["ok"]
        await back.close()

    run(go())


def test_sign_in_refusals_and_the_lock(shared_hub: HubProcess, tokens: dict[str, str]) -> None:
    async def go() -> None:
        loket = await Raw.connect(shared_hub, tokens["free-counter"])
        for i in range(5):
            wrong = await loket.sign_in(f"doc-l{i}", "lock-me", "0000", 2)
            assert wrong is not None and wrong["result"]["refusal"]["code"] == "bad_pin"
        locked = await loket.sign_in("doc-l5", "lock-me", "1111", 2)  # even the right PIN
        assert locked is not None and locked["result"]["refusal"]["code"] == "pin_locked"
        kiosk = await Raw.connect(shared_hub, tokens["kiosk"])
        not_kiosk = await kiosk.sign_in("doc-l6", "budi", "1357", 2)
        assert not_kiosk is not None
        assert not_kiosk["result"]["refusal"]["code"] == "forbidden"
        for msg, problem in [
            ({"type": "sign_in", "id": "doc-b1", "officer": "budi", "pin": "1357",
              "counter": 0}, "'counter' must be a whole number"),
            ({"type": "sign_in", "id": "doc-b2", "officer": "", "pin": "1357", "counter": 2},
             "'officer' must be text"),
            ({"type": "sign_in", "id": "doc-b3", "officer": "budi", "pin": 1357, "counter": 2},
             "'pin' must be text"),
        ]:
            await loket.ws.send_str(json.dumps(msg))
            err = await loket.until(lambda f, i=msg["id"]: f.get("id") == i)
            assert err is not None and err["type"] == "error" and err["code"] == "bad_message"
            assert problem in err["message"]
        await loket.close()
        await kiosk.close()

    run(go())


@pytest.mark.parametrize(("frame", "code", "frame_id"), [
    ("not json", "bad_json", None),
    ("[1, 2]", "bad_message", None),
    ('{"type":"command","id":"doc-e1","kind":"issue_ticket","args":[1]}', "bad_message",
     "doc-e1"),
    ('{"type":"command","id":"' + "x" * 65 + '","kind":"issue_ticket"}', "bad_message", None),
    ('{"type":"command","kind":"issue_ticket"}', "bad_message", None),
    ('{"type":"subscribe"}', "unknown_type", None),
    ('{"no_type":1}', "bad_message", None),
    ('{"type":"hello","token":"x"}', "bad_message", None),  # 5.3: hello again
])
def test_error_frames(shared_hub: HubProcess, tokens: dict[str, str], frame: str, code: str,
                      frame_id: str | None) -> None:
    async def go() -> dict[str, Any]:
        board = await Raw.connect(shared_hub, tokens["display"])
        await board.ws.send_str(frame)
        err = await board.until(lambda f: f.get("type") in ("error", "result"))
        # The connection stays usable (6.3: nothing was executed).
        await board.ws.send_str('{"type":"ping"}')
        pong = await board.until(lambda f: f.get("type") == "pong")
        assert pong == {"type": "pong"}
        await board.close()
        assert err is not None
        return err

    err = run(go())
    assert err == {"type": "error", "code": code, "message": err["message"], "id": frame_id}


def test_binary_and_oversized_frames_on_an_open_connection(shared_hub: HubProcess,
                                                           tokens: dict[str, str]) -> None:
    async def go() -> None:
        board = await Raw.connect(shared_hub, tokens["display"])
        await board.ws.send_bytes(b"{}")
        err = await board.until(lambda f: f.get("type") == "error")
        assert err is not None and err["code"] == "bad_message"
        await board.ws.send_str("x" * (64 * 1024 + 1))
        assert await board.next() is None
        assert board.ws.close_code == 1009
        await board.close()

    run(go())


# --- section 9: rate limits and close codes ----------------------------------------------------


def test_over_the_rate_commands_get_results_and_a_flood_is_closed(
        shared_hub: HubProcess, tokens: dict[str, str]) -> None:
    async def go() -> None:
        board = await Raw.connect(shared_hub, tokens["display"])
        for i in range(400):  # bursts of 200 allowed, then 50 a second
            await board.ws.send_str(json.dumps({"type": "command", "id": f"doc-r{i}",
                                                "kind": "alert", "args": {}}))
        codes = []
        while len(codes) < 400:
            frame = await board.until(lambda f: f.get("type") == "result")
            assert frame is not None
            codes.append(frame["result"]["refusal"]["code"])
        assert codes.count("rate_limited") >= 150 and codes.count("bad_args") >= 150
        # More than 1,000 refused or unreadable messages in a row: closed with 1008.
        for _ in range(1200):
            await board.ws.send_str("not json")
        while await board.next(timeout=30) is not None:
            pass
        assert board.ws.close_code == 1008
        await board.close()

    run(go())


def test_a_stopping_hub_closes_with_1001(hub: HubProcess) -> None:
    token = hub.enroll("board-1", "display")
    hub.start()

    async def go() -> int | None:
        board = await Raw.connect(hub, token)
        assert hub.proc is not None
        hub.proc.send_signal(signal.SIGTERM)
        assert await board.next() is None
        await board.close()
        return board.ws.close_code

    assert run(go()) == 1001
    assert hub.proc is not None and hub.proc.wait(20) == 0


# --- section 10: HTTP -------------------------------------------------------------------------


def get(hub: HubProcess, path: str, token: str | None = None) -> tuple[int, bytes, Any]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    request = urllib.request.Request(f"{hub.http}{path}", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as r:
            return int(r.status), bytes(r.read()), r.headers
    except urllib.error.HTTPError as e:
        return e.code, e.read(), e.headers


def test_health(shared_hub: HubProcess) -> None:
    status, body, _ = get(shared_hub, "/health")
    health = json.loads(body)
    assert status == 200
    assert set(health) == {"ok", "version", "protocol", "last_seq", "mpp", "config_digest",
                           "time", "stations"}
    assert health["ok"] is True and health["protocol"] == 1


def test_config_station_and_their_refusals(shared_hub: HubProcess,
                                           tokens: dict[str, str]) -> None:
    status, body, headers = get(shared_hub, "/config", tokens["display"])
    assert status == 200 and headers["Content-Type"].startswith("application/toml")
    assert headers["X-Config-Digest"] == shared_hub.health()["config_digest"]
    assert body == (DATA / "small_hall.toml").read_bytes()
    status, body, _ = get(shared_hub, "/station", tokens["counter"])
    assert (status, json.loads(body)) == (200, {"station": "loket-1", "role": "counter",
                                                "counter": 1})
    for path in ("/config", "/events", "/station"):
        for token in (None, "nope-nope-nope"):
            status, body, _ = get(shared_hub, path, token)
            assert (status, json.loads(body)) == (401, {"error": "unknown token"}), path


@pytest.mark.parametrize("query", ["after=-1", "limit=0", "limit=10001", "after=x",
                                   "limit=1.5", "after="])
def test_events_refuses_out_of_range_paging(shared_hub: HubProcess, tokens: dict[str, str],
                                            query: str) -> None:
    status, body, _ = get(shared_hub, f"/events?{query}", tokens["display"])
    assert status == 400
    assert json.loads(body) == {"error": "after is a whole number >= 0 and limit one from 1 "
                                         "to 10000"}


def test_events_pages(shared_hub: HubProcess, tokens: dict[str, str]) -> None:
    async def issue() -> None:
        kiosk = await Raw.connect(shared_hub, tokens["kiosk"])
        for i in range(3):
            await kiosk.command(f"doc-p{i}", "issue_ticket", service="kk")
        await kiosk.close()

    run(issue())
    status, body, _ = get(shared_hub, "/events?after=0&limit=10000", tokens["display"])
    everything = json.loads(body)
    assert status == 200 and set(everything) == {"events", "last_seq"}
    pages, after = [], 0
    while after < everything["last_seq"]:
        _, body, _ = get(shared_hub, f"/events?after={after}&limit=2", tokens["display"])
        page = json.loads(body)["events"]
        assert 1 <= len(page) <= 2
        pages += page
        after = page[-1]["seq"]
    assert pages == everything["events"]
    assert [e["seq"] for e in pages] == list(range(1, everything["last_seq"] + 1))
