"""The station's protocol object, without sockets: fed with what a connection does, it must
answer with the right actions — the hello, backoff with jitter, resending, refusing offline,
catch-up, close codes, the officer session — for the Qt link and the asyncio client alike."""

from __future__ import annotations

import datetime as dt
import json
import random
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import shared
from shared.clock import ManualClock, to_ms
from shared.hub import protocol as p
from shared.ledger.model import OFFICER_SIGNED_OUT, Event, Refusal, Result
from shared.station import protocol as sp
from shared.station.protocol import (
    Apply,
    Backoff,
    CaughtUp,
    Connect,
    Disconnect,
    GiveUp,
    Reply,
    RetryIn,
    Send,
    State,
    StationProtocol,
    WentOffline,
    WentOnline,
)

TOKEN = "k1-token-0123456789"


def welcome(last_seq: int = 0, station: str = "kiosk-1", role: str = "kiosk") -> str:
    return p.encode(p.Welcome(1, "0.1.0", station, role, None, last_seq, "a9f2761a07f92a29"))


def event(seq: int, kind: str = "ticket.issued", command_id: str | None = None,
          **data: Any) -> Event:
    return Event(seq, command_id or f"c{seq}", kind, None, "kiosk-1", None,
                 1796004000000 + seq, data)


def events(*evs: Event) -> str:
    return p.events_frame(list(evs))


def result(msg_id: str, ok: bool = True, code: str = "wrong_state", **value: Any) -> str:
    refusal = None if ok else Refusal(code, "no", "tidak")
    return p.result_frame(Result(msg_id, ok, dict(value), refusal=refusal))


def sent(actions: list[sp.Action]) -> list[dict[str, Any]]:
    return [json.loads(a.text) for a in actions if isinstance(a, Send)]


def kinds(actions: list[sp.Action]) -> list[type]:
    return [type(a) for a in actions]


def online(proto: StationProtocol | None = None, last_seq: int = 0, hub_seq: int = 0
           ) -> StationProtocol:
    proto = proto or StationProtocol(TOKEN, last_seq)
    assert proto.start() == [Connect()]
    proto.connected(last_seq)
    proto.frame_received(welcome(hub_seq))
    assert proto.online
    return proto


def command(msg_id: str, kind: str = "issue_ticket", **args: Any) -> p.CommandMsg:
    return p.CommandMsg(msg_id, kind, args or {"service": "kk"})


# --- the hello and the welcome ------------------------------------------------------------------


def test_the_hello_carries_the_replicas_last_seq_and_the_protocol() -> None:
    proto = StationProtocol(TOKEN, last_seq=3)
    assert proto.start() == [Connect()]
    assert proto.start() == []  # already connecting: one connection at a time
    actions = proto.connected(last_seq=7)  # the replica moved on since the object was made
    hello = sent(actions)[0]
    # With the station's clock and version, for the console's station list (section 4).
    assert isinstance(hello.pop("clock_ms"), int) and hello.pop("version") == shared.__version__
    assert hello == {"type": "hello", "token": TOKEN, "after": 7, "protocol": 1}
    assert proto.state is State.HELLO_SENT and not proto.online
    # Parsed by the hub's own parser as the hello it is.
    parsed = p.parse(actions[0].text)  # type: ignore[union-attr]
    assert isinstance(parsed, p.Hello) and parsed.after == 7 and parsed.protocol == 1


def test_the_welcome_puts_the_station_online_with_its_fields() -> None:
    proto = StationProtocol(TOKEN)
    proto.start()
    proto.connected(0)
    actions = proto.frame_received(welcome(0, station="papan-1", role="display"))
    assert kinds(actions) == [WentOnline, CaughtUp]
    w = actions[0].welcome  # type: ignore[union-attr]
    assert (w.station, w.role, w.counter, w.last_seq, w.config_digest) == (
        "papan-1", "display", None, 0, "a9f2761a07f92a29")
    assert proto.welcome == w and proto.online and not proto.catching_up
    assert proto.frame_received(welcome(0)) == []  # a second welcome changes nothing


def test_the_welcome_teaches_the_station_the_hubs_time() -> None:
    """A station whose clock is an hour ahead learns an offset of minus an hour; a welcome
    without the hub's time (an older hub) leaves the hub's time unknown."""
    local = ManualClock(dt.datetime(2026, 11, 30, 3, 0, tzinfo=dt.UTC))
    hub_ms = to_ms(local.now() - dt.timedelta(hours=1))
    proto = StationProtocol(TOKEN, clock=local)
    proto.start()
    proto.connected(0)
    assert not proto.hub_time_known
    proto.frame_received(p.encode(p.Welcome(1, "0.1.0", "papan-1", "display", None, 0, "x",
                                            hub_ms)))
    assert proto.hub_time_known and proto.hub_offset_ms == -3_600_000
    older = StationProtocol(TOKEN, clock=local)
    older.start()
    older.connected(0)
    older.frame_received(welcome(0))
    assert not older.hub_time_known and older.hub_offset_ms == 0


def test_catch_up_state_follows_the_events_up_to_the_welcomes_last_seq() -> None:
    proto = StationProtocol(TOKEN, last_seq=2)
    proto.start()
    proto.connected(2)
    assert kinds(proto.frame_received(welcome(5))) == [WentOnline]
    assert proto.catching_up
    actions = proto.frame_received(events(event(1), event(2), event(3), event(4)))
    assert kinds(actions) == [Apply]  # 1 and 2 are held already: skipped
    assert [e.seq for e in actions[0].events] == [3, 4]  # type: ignore[union-attr]
    assert proto.catching_up
    actions = proto.frame_received(events(event(5), event(6)))
    assert kinds(actions) == [Apply, CaughtUp] and actions[1] == CaughtUp(6)
    assert not proto.catching_up and proto.last_seq == 6
    assert kinds(proto.frame_received(events(event(7)))) == [Apply]  # live: no more CaughtUp


# --- gaps, close codes, backoff -------------------------------------------------------------------


def test_a_gap_drops_the_connection_and_the_next_hello_asks_from_the_last_held_event() -> None:
    proto = online(last_seq=4, hub_seq=4)
    actions = proto.frame_received(events(event(6)))
    assert kinds(actions) == [Disconnect] and "seq 4 got seq 6" in actions[0].reason  # type: ignore[union-attr]
    assert proto.frame_received(events(event(5))) == []  # frames of a dropped connection
    assert proto.request(command("c-1")) == [
        Reply(Result("c-1", False, refusal=sp.OFFLINE_REFUSAL))]
    actions = proto.closed(1000)
    assert kinds(actions) == [WentOffline, RetryIn]
    assert proto.timer_fired() == [Connect()]
    assert sent(proto.connected())[0]["after"] == 4


def test_events_the_replica_refused_make_it_reconnect() -> None:
    proto = online()
    assert kinds(proto.frame_received(events(event(1)))) == [Apply]
    actions = proto.events_not_applied("disk I/O error")
    assert actions == [Disconnect("disk I/O error")]
    proto.closed(None)
    proto.timer_fired()
    # What the replica really holds is what the hello asks from (it may be less).
    assert sent(proto.connected(last_seq=0))[0]["after"] == 0


@pytest.mark.parametrize("code", [None, 1000, 1001, 1006, 1008, 1009, 1011, 4000])
def test_other_closes_reconnect_after_a_backoff(code: int | None) -> None:
    proto = online()
    actions = proto.closed(code)
    assert kinds(actions) == [WentOffline, RetryIn]
    assert proto.state is State.IDLE
    assert proto.timer_fired() == [Connect()]


@pytest.mark.parametrize(("error", "close"), sorted(p.FINAL_ERRORS.items()))
def test_a_final_error_stops_retrying_and_answers_what_was_in_flight(error: str, close: int
                                                                     ) -> None:
    proto = online()
    proto.request(command("c-1"))
    text = p.error(error, f"the hub says {error}")
    actions = proto.frame_received(text)
    assert kinds(actions) == [GiveUp, WentOffline, Reply]
    assert actions[0] == GiveUp(error, f"the hub says {error}")
    refused = actions[2].result  # type: ignore[union-attr]
    assert refused.command_id == "c-1" and refused.refusal.code == error
    assert refused.refusal.pesan == sp.REFUSALS[error][1]
    assert proto.closed(close) == []  # no retry: a refused station must not hammer the hub
    assert proto.timer_fired() == []
    later = proto.request(command("c-2"))
    assert kinds(later) == [Reply] and later[0].result.refusal.code == error  # type: ignore[union-attr]


@pytest.mark.parametrize(("close", "error"), [(4001, "unknown_token"), (4002, "protocol"),
                                              (4003, "replica_ahead"), (4004, "token_revoked")])
def test_a_final_close_code_alone_stops_retrying_too(close: int, error: str) -> None:
    proto = StationProtocol(TOKEN)
    proto.start()
    proto.connected()
    actions = proto.closed(close)  # before any welcome, and without the error frame
    assert kinds(actions) == [GiveUp] and actions[0].code == error  # type: ignore[union-attr]
    assert proto.state is State.REFUSED and proto.timer_fired() == []


def test_a_closed_link_neither_retries_nor_sends() -> None:
    proto = online()
    assert proto.close() == [WentOffline()]
    assert proto.closed(1001) == [] and proto.timer_fired() == []
    assert kinds(proto.request(command("c-1"))) == [Reply]


def test_backoff_doubles_to_its_cap_with_jitter_in_the_upper_half() -> None:
    backoff = Backoff(0.25, 5.0, random.Random(7))
    ceilings = [0.25, 0.5, 1.0, 2.0, 4.0, 5.0, 5.0, 5.0]
    for ceiling in ceilings * 20:
        if ceiling == 0.25:
            backoff.reset()
        delay = backoff.next()
        assert ceiling / 2 <= delay <= ceiling
    with pytest.raises(ValueError):
        Backoff(0, 5)


def test_the_backoff_starts_over_after_a_welcome_not_after_a_mere_connection() -> None:
    proto = StationProtocol(TOKEN, backoff=Backoff(1.0, 60.0, random.Random(1)))
    proto.start()
    delays = []
    for _ in range(4):  # the hub accepts the connection and closes it before any welcome
        proto.connected()
        delays.append(proto.closed(1011)[-1].seconds)  # type: ignore[union-attr]
        proto.timer_fired()
    for delay, ceiling in zip(delays, [1, 2, 4, 8], strict=True):
        assert ceiling / 2 <= delay <= ceiling  # each from its ceiling's upper half
    proto.connected()
    proto.frame_received(welcome())
    assert proto.closed(1001)[-1].seconds <= 1.0  # type: ignore[union-attr]


class _NoJitter(random.Random):
    """The old schedule: every station waits exactly the ceiling."""

    def random(self) -> float:
        return 1.0


def reconnect_times(rngs: list[random.Random], hub_back_after: float) -> list[float]:
    """When each station's first attempt after the hub is back happens, if all lost it at
    t=0 (the hub restarted: 1001 to every station) and it came back at `hub_back_after`."""
    times = []
    for rng in rngs:
        proto = online(StationProtocol(TOKEN, backoff=Backoff(0.25, 5.0, rng)))
        t = 0.0
        actions = proto.closed(p.CLOSE_GOING_AWAY)
        while True:
            t += next(a.seconds for a in actions if isinstance(a, RetryIn))
            assert proto.timer_fired() == [Connect()]
            if t >= hub_back_after:
                break
            actions = proto.closed(None)  # connection refused: the hub is not up yet
        times.append(t)
    return times


def test_forty_stations_come_back_spread_out_after_a_hub_restart() -> None:
    lockstep = reconnect_times([_NoJitter() for _ in range(40)], hub_back_after=6.0)
    assert len(set(lockstep)) == 1  # what the hall saw before: 40 hellos in one instant

    for back in (0.2, 1.5, 6.0, 20.0):
        times = reconnect_times([random.Random(n) for n in range(40)], hub_back_after=back)
        spread = max(times) - min(times)
        busiest = max(sum(1 for t in times if start <= t < start + 0.05)
                      for start in times)
        # Spread over the window the stations were in (under half a second right after the
        # restart, seconds once the hub took a while), a handful in any 50 ms.
        assert spread >= (0.3 if back < 1 else 1.5), (back, sorted(times))
        assert busiest <= (16 if back < 1 else 7), (back, sorted(times))
        assert len(set(times)) == 40


# --- requests: offline, in flight, resent ------------------------------------------------------


def test_a_request_while_offline_is_refused_at_once_by_default() -> None:
    proto = StationProtocol(TOKEN)
    assert proto.request(command("c-1")) == [
        Reply(Result("c-1", False, refusal=sp.OFFLINE_REFUSAL))]
    proto.start()
    proto.connected()
    assert kinds(proto.request(command("c-2"))) == [Reply]  # waiting for the welcome
    proto.frame_received(welcome())
    assert proto.pending == ()  # neither was kept: nothing goes out later


def test_a_queueing_station_sends_offline_requests_after_the_welcome() -> None:
    proto = StationProtocol(TOKEN, queue_offline=True)
    assert proto.request(command("c-1")) == []
    proto.start()
    proto.connected()
    assert proto.request(p.SignIn("s-1", "siti", "2468", 1)) == []
    actions = proto.frame_received(welcome())
    assert [(m["type"], m["id"]) for m in sent(actions)] == [("command", "c-1"),
                                                             ("sign_in", "s-1")]


def test_in_flight_requests_go_again_with_their_ids_after_a_reconnect() -> None:
    proto = online()
    first = proto.request(command("c-1"))
    assert sent(first) == [{"type": "command", "id": "c-1", "kind": "issue_ticket",
                            "args": {"service": "kk"}}]
    proto.request(p.SignIn("s-1", "siti", "2468", 1))
    proto.request(command("c-2", "call_next", counter=1))
    assert kinds(proto.frame_received(result("c-2"))) == [Reply]  # answered: not resent
    proto.closed(1006)
    proto.timer_fired()
    proto.connected()
    actions = proto.frame_received(welcome())
    assert [(m["type"], m["id"]) for m in sent(actions)] == [("command", "c-1"),
                                                             ("sign_in", "s-1")]
    assert sent(actions)[1]["pin"] == "2468"
    proto.frame_received(result("c-1"))
    proto.forget("s-1")  # the app gave up waiting for it
    proto.closed(1006)
    proto.timer_fired()
    proto.connected()
    assert sent(proto.frame_received(welcome())) == []


def test_an_error_frame_answers_its_request_and_nothing_else() -> None:
    proto = online()
    proto.request(command("c-1"))
    actions = proto.frame_received(p.error("bad_message", "'args' must be an object", "c-1"))
    assert actions == [Reply(Result("c-1", False, refusal=Refusal(
        "bad_message", "'args' must be an object", sp.FRAME_REFUSED)))]
    assert proto.pending == ()
    assert proto.frame_received(p.error("rate_limited", "slow down")) == []
    assert proto.frame_received(p.error("bad_message", "?", "never-sent")) == []
    assert proto.online


def test_unknown_and_unreadable_frames_are_ignored() -> None:
    proto = online()
    for frame in ['{"type":"notice","text":"from a newer hub"}', "not json", "[]",
                  '{"type":"events","events":[{"seq":"1"}]}', '{"type":"result","id":7}',
                  '{"type":"welcome"}', b'{"type":"pong"}']:
        assert proto.frame_received(frame) == []
    assert proto.online and proto.last_seq == 0


# --- the officer session --------------------------------------------------------------------


def test_the_session_follows_sign_in_sign_out_and_the_hubs_sign_out() -> None:
    proto = online(StationProtocol(TOKEN))
    proto.request(p.SignIn("s-0", "siti", "0000", 1))
    proto.frame_received(result("s-0", ok=False, code="bad_pin"))
    assert proto.session.officer is None
    proto.request(p.SignIn("s-1", "siti", "2468", 1))
    proto.frame_received(result("s-1"))
    assert (proto.session.officer, proto.session.counter) == ("siti", 1)
    proto.request(command("o-1", "sign_out", counter=1))
    proto.frame_received(result("o-1"))
    assert proto.session.officer is None

    proto.request(p.SignIn("s-2", "siti", "2468", 1))
    proto.frame_received(result("s-2", duplicate=True))
    assert proto.session.officer == "siti"
    # Someone else signing out changes nothing; IT disabling siti (the hub's forced
    # sign-out) ends the session.
    proto.frame_received(events(event(1, OFFICER_SIGNED_OUT, counter=2, officer="budi")))
    assert proto.session.officer == "siti"
    proto.frame_received(events(event(2, OFFICER_SIGNED_OUT, counter=1, officer="siti",
                                      reason="officer_disabled")))
    assert proto.session.officer is None


def test_a_revoked_station_loses_its_officer() -> None:
    proto = online()
    proto.request(p.SignIn("s-1", "siti", "2468", 1))
    proto.frame_received(result("s-1"))
    proto.frame_received(p.error("token_revoked", "revoked"))
    assert proto.session.officer is None


# --- whatever happens, the object stays consistent ------------------------------------------------

inputs = st.one_of(
    st.tuples(st.just("start")),
    st.tuples(st.just("connected"), st.none() | st.integers(0, 5)),
    st.tuples(st.just("closed"), st.sampled_from([None, 1000, 1001, 1006, 4000, 4001, 4004])),
    st.tuples(st.just("timer")),
    st.tuples(st.just("welcome"), st.integers(0, 8)),
    st.tuples(st.just("events"), st.lists(st.integers(1, 10), max_size=4)),
    st.tuples(st.just("request"), st.sampled_from(["a", "b", "c"])),
    st.tuples(st.just("result"), st.sampled_from(["a", "b", "c", "z"]), st.booleans()),
    st.tuples(st.just("error"), st.sampled_from(["bad_message", "rate_limited",
                                                 "token_revoked"]),
              st.sampled_from([None, "a", "b"])),
    st.tuples(st.just("garbage"), st.text(max_size=30)),
    st.tuples(st.just("not_applied")),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(inputs, max_size=40), st.booleans())
def test_any_sequence_of_inputs_keeps_the_protocol_consistent(
        steps: list[tuple[Any, ...]], queue_offline: bool) -> None:
    proto = StationProtocol(TOKEN, queue_offline=queue_offline,
                            backoff=Backoff(0.25, 5.0, random.Random(0)))
    said_online = False
    replied: list[str] = []
    for step in steps:
        was = proto.state
        match step:
            case ("start",):
                actions = proto.start()
            case ("connected", seq):
                actions = proto.connected(seq)
            case ("closed", code):
                actions = proto.closed(code)
            case ("timer",):
                actions = proto.timer_fired()
            case ("welcome", seq):
                actions = proto.frame_received(welcome(seq))
            case ("events", seqs):
                actions = proto.frame_received(events(*(event(s) for s in seqs)))
            case ("request", msg_id):
                actions = proto.request(command(msg_id))
            case ("result", msg_id, ok):
                actions = proto.frame_received(result(msg_id, ok))
            case ("error", code, msg_id):
                actions = proto.frame_received(p.error(code, "why", msg_id))
            case ("garbage", text):
                actions = proto.frame_received(text)
            case ("not_applied",):
                actions = proto.events_not_applied("disk")
        for a in actions:
            if isinstance(a, Send):
                # A frame goes out only on a connection: the hello once connected, the rest
                # once welcomed.
                assert json.loads(a.text)["type"] == "hello" or proto.online, (was, a)
            if isinstance(a, WentOnline):
                assert not said_online
                said_online = True
            if isinstance(a, WentOffline):
                assert said_online
                said_online = False
            if isinstance(a, Apply):
                seqs = [e.seq for e in a.events]
                assert seqs == list(range(seqs[0], seqs[0] + len(seqs)))
            if isinstance(a, Reply):
                replied.append(a.result.command_id)
            if isinstance(a, (Connect, RetryIn)):
                assert proto.state not in (State.REFUSED, State.CLOSED)
        assert said_online == proto.online or proto.state is State.DISCONNECTING
        if proto.state is State.REFUSED:
            assert proto.pending == () and proto.session.officer is None
        if not queue_offline and not proto.online and proto.state is not State.DISCONNECTING:
            # A Qt station keeps only what it sent on a live connection.
            assert set(proto.pending) <= {"a", "b", "c"}
