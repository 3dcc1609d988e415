"""The wire format, both directions: every message survives encode -> parse, the hub's frames
as docs/protocol.md shows them parse to typed messages, and both parsers are total (any text is
a message or a ProtocolError, never another exception)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.hub import protocol as p
from shared.ledger.model import Event, Refusal, Result

ids = st.text(min_size=1, max_size=p.MAX_ID_LEN)
texts = st.text(max_size=20)
# Numbers within 64 bits: a station's message holding a bigger one is refused (below).
json_scalars = (st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1)
                | st.text(max_size=8))
json_objects = st.dictionaries(st.text(max_size=6), json_scalars, max_size=4)

events = st.builds(
    Event, seq=st.integers(1, 10**9), command_id=texts, kind=texts,
    ticket_id=st.none() | texts, device=texts, officer=st.none() | texts,
    at_ms=st.integers(0, 2**53), data=json_objects)
refusals = st.builds(Refusal, code=texts, message=texts, pesan=texts, detail=json_objects)


@st.composite
def results(draw: st.DrawFn) -> p.ResultMsg:
    msg_id = draw(ids)
    ok = draw(st.booleans())
    refusal = None if ok else draw(refusals)
    value = draw(json_objects) if ok else {}
    return p.ResultMsg(msg_id, Result(msg_id, ok, value, refusal=refusal,
                                      duplicate=draw(st.booleans())))


hub_messages = st.one_of(
    st.builds(p.Welcome, protocol=st.integers(1, 9), version=texts, station=texts, role=texts,
              counter=st.none() | st.integers(1, 99), last_seq=st.integers(0, 10**9),
              config_digest=texts, hub_time_ms=st.none() | st.integers(0, 2**53)),
    st.builds(p.Events, events=st.lists(events, max_size=4).map(tuple)),
    results(),
    st.builds(p.Error, code=texts, message=texts, id=st.none() | ids),
    st.just(p.Pong()),
)
station_messages = st.one_of(
    st.builds(p.Hello, token=st.text(max_size=200), after=st.integers(0, 10**9),
              protocol=st.integers(1, 9)),
    st.builds(p.CommandMsg, id=ids, kind=st.text(max_size=40), args=json_objects),
    st.builds(p.SignIn, id=ids, officer=st.text(min_size=1, max_size=32),
              pin=st.text(max_size=12), counter=st.integers(1, 99)),
    st.just(p.Ping()),
)


@given(hub_messages)
def test_every_hub_message_survives_encode_and_parse(msg: p.HubMessage) -> None:
    assert p.parse_from_hub(p.encode(msg)) == msg


@given(station_messages)
def test_every_station_message_survives_encode_and_parse(msg: p.Message) -> None:
    assert p.parse(p.encode(msg)) == msg


hostile = st.one_of(
    st.text(max_size=100),
    st.binary(max_size=20),
    json_objects.map(json.dumps),
    st.fixed_dictionaries(
        {"type": st.sampled_from(["welcome", "events", "result", "error", "pong", "x"])},
        optional={"events": st.lists(json_objects | json_scalars, max_size=3),
                  "result": json_objects | json_scalars, "id": json_scalars,
                  "code": json_scalars, "message": json_scalars, "last_seq": json_scalars,
                  "station": json_scalars, "counter": json_scalars}).map(json.dumps),
)


@given(hostile)
def test_the_hubs_frames_are_parsed_totally(text: str | bytes) -> None:
    try:
        msg = p.parse_from_hub(text)
    except p.ProtocolError as e:
        assert e.code in (p.BAD_JSON, p.BAD_MESSAGE, p.UNKNOWN_TYPE) and e.message
    else:
        assert isinstance(msg, (p.Welcome, p.Events, p.ResultMsg, p.Error, p.Pong))


@given(hostile)
def test_the_stations_frames_are_parsed_totally(text: str | bytes) -> None:
    try:
        msg = p.parse(text)
    except p.ProtocolError as e:
        assert e.code in (p.BAD_JSON, p.BAD_MESSAGE, p.UNKNOWN_TYPE, p.TOO_BIG) and e.message
    else:
        assert isinstance(msg, (p.Hello, p.CommandMsg, p.SignIn, p.Ping))


# Frames as docs/protocol.md shows them (sections 4, 6.1-6.4).
DOC_FRAMES: list[tuple[str, Any]] = [
    ('{"type":"welcome","protocol":1,"version":"0.1.0","station":"board-1","role":"display",'
     '"counter":null,"last_seq":0,"config_digest":"a9f2761a07f92a29",'
     '"hub_time_ms":1796004000012}',
     p.Welcome(1, "0.1.0", "board-1", "display", None, 0, "a9f2761a07f92a29",
               1796004000012)),
    ('{"type":"events","events":[{"seq":5,"command_id":"c1-0004","kind":"ticket.called",'
     '"ticket_id":"20261130-KK-001","device":"loket-1","officer":"siti",'
     '"at_ms":1796004000158,"data":{"counter":1}}]}',
     p.Events((Event(5, "c1-0004", "ticket.called", "20261130-KK-001", "loket-1", "siti",
                     1796004000158, {"counter": 1}),))),
    ('{"type":"error","code":"unknown_token","message":"this station is not enrolled",'
     '"id":null}', p.Error("unknown_token", "this station is not enrolled", None)),
    ('{"type":"pong"}', p.Pong()),
    ('{"type":"result","id":"k1-0002","result":{"command_id":"k1-0002","ok":false,"value":{},'
     '"refusal":{"code":"forbidden","message":"a kiosk station may not send call_next",'
     '"pesan":"Perintah ini tidak diizinkan dari perangkat ini.","detail":{}},'
     '"duplicate":false}}',
     p.ResultMsg("k1-0002", Result("k1-0002", False, refusal=Refusal(
         "forbidden", "a kiosk station may not send call_next",
         "Perintah ini tidak diizinkan dari perangkat ini.")))),
]


@pytest.mark.parametrize(("frame", "msg"), DOC_FRAMES)
def test_the_documented_frames_parse_to_their_messages(frame: str, msg: Any) -> None:
    assert p.parse_from_hub(frame) == msg


@pytest.mark.parametrize("frame", [
    # The types a JSON value has are the protocol's: "1" is not a sequence number, true not one.
    '{"type":"events","events":[{"seq":"1","command_id":"c","kind":"k","ticket_id":null,'
    '"device":"d","officer":null,"at_ms":1,"data":{}}]}',
    '{"type":"events","events":[{"seq":true,"command_id":"c","kind":"k","ticket_id":null,'
    '"device":"d","officer":null,"at_ms":1,"data":{}}]}',
    '{"type":"events","events":[{"seq":0,"command_id":"c","kind":"k","ticket_id":null,'
    '"device":"d","officer":null,"at_ms":1,"data":{}}]}',
    '{"type":"events","events":[{"seq":1,"command_id":"c","kind":"k","ticket_id":null,'
    '"device":"d","officer":null,"at_ms":1,"data":[]}]}',
    '{"type":"events","events":[{"seq":1,"command_id":"c","kind":"k"}]}',
    '{"type":"events","events":{}}',
    '{"type":"welcome","protocol":1,"version":"0.1.0","station":"b","role":"display",'
    '"counter":null,"last_seq":-1,"config_digest":"x"}',
    '{"type":"welcome","protocol":"1","version":"0.1.0","station":"b","role":"display",'
    '"counter":null,"last_seq":0,"config_digest":"x"}',
    '{"type":"result","id":"a","result":{"command_id":"b","ok":true}}',
    '{"type":"result","id":"a","result":{"command_id":"a","ok":false,"refusal":null}}',
    '{"type":"result","id":"a","result":{"command_id":"a","ok":1}}',
    '{"type":"error","code":7,"message":"m","id":null}',
    '{"events":[]}',
])
def test_malformed_hub_frames_are_refused_as_bad_messages(frame: str) -> None:
    with pytest.raises(p.ProtocolError) as e:
        p.parse_from_hub(frame)
    assert e.value.code == p.BAD_MESSAGE


def test_fields_a_later_hub_adds_are_ignored() -> None:
    frame = ('{"type":"welcome","protocol":1,"version":"0.2.0","station":"b","role":"display",'
             '"counter":2,"last_seq":4,"config_digest":"x","hall_hash":"ab12"}')
    assert p.parse_from_hub(frame) == p.Welcome(1, "0.2.0", "b", "display", 2, 4, "x")
    with pytest.raises(p.ProtocolError) as e:
        p.parse_from_hub('{"type":"notice"}')
    assert e.value.code == p.UNKNOWN_TYPE


def test_every_final_error_has_its_close_code_in_the_4000s() -> None:
    assert p.FINAL_ERRORS == {"unknown_token": 4001, "protocol": 4002, "replica_ahead": 4003,
                              "token_revoked": 4004, "history_differs": 4005}
    assert p.CLOSE_BAD_HELLO == 4000 and p.CLOSE_GOING_AWAY == 1001 and p.CLOSE_FLOOD == 1008


@pytest.mark.parametrize("value", ["\ud800", "x\udfff", 2**63, -(2**63) - 1, [1, {"k": 10**30}],
                                   {"\ud800": 1}])
def test_unstorable_values_anywhere_are_a_bad_message_with_its_id(value: object) -> None:
    """Text UTF-8 cannot encode and numbers SQLite cannot hold never reach the hub's handlers:
    the frame is bad_message, with its id when that is readable."""
    for frame in ({"type": "command", "id": "c1", "kind": "cancel", "args": {"ticket": value}},
                  {"type": "sign_in", "id": "c1", "officer": "siti", "pin": "1", "counter": value},
                  {"type": "hello", "token": "t", "after": 0, "extra": value}):
        with pytest.raises(p.ProtocolError) as e:
            p.parse(json.dumps(frame))
        assert e.value.code == p.BAD_MESSAGE
        assert e.value.msg_id == (None if frame["type"] == "hello" else "c1")
    with pytest.raises(p.ProtocolError) as e:
        p.parse(json.dumps({"type": "command", "id": "\ud800", "kind": "x"}))
    assert e.value.msg_id is None
