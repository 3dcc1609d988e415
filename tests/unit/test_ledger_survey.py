"""The SKM answer as a ledger command (answer_survey): once per served ticket, with its secret,
within its window; every refusal changes nothing; the check and a replay agree."""

from __future__ import annotations

from typing import Any

import pytest

from shared import skm
from shared.clock import ManualClock
from shared.hub.auth import ROLE_COMMANDS, Station, permitted
from shared.ledger import model as m
from shared.ledger.check import check_connection
from shared.ledger.ledger import Ledger
from shared.ledger.model import Actor
from tests.helpers.ledger import KIOSK, events, open_counter, snapshot

WEB = Actor("web-1")
PROFILE = {"umur": "u40", "jenis_kelamin": "L", "pendidikan": "sma", "pekerjaan": "wirausaha"}
ANSWERS = [4, 3, 3, 4, 3, 4, 4, 2, 3]


def served(led: Ledger, counter: int = 1) -> tuple[str, str]:
    """A ticket issued, called and finished at a counter: its id and secret."""
    issued = led.issue_ticket("ktp-baru", KIOSK)
    who = open_counter(led, counter) if led.reader.counter(counter).officer is None else (
        Actor(f"counter-{counter}", f"officer-{counter}"))
    assert led.call_next(counter, who).ok
    assert led.run("finish", who, counter=counter).ok
    ticket = issued.value["ticket"]["ticket_id"]
    return ticket, issued.value["secret"]


def answer(led: Ledger, ticket: str, secret: str, **more: Any) -> m.Result:
    args: dict[str, Any] = {"ticket": ticket, "secret": secret, "answers": ANSWERS,
                            "profile": PROFILE, "saran": "Ruang tunggu kurang kursi"}
    return led.run("answer_survey", WEB, **{**args, **more})


def test_a_served_ticket_is_answered_once(ledger: Ledger) -> None:
    ticket, secret = served(ledger)
    done = answer(ledger, ticket, secret)
    assert done.ok, done.refusal
    (e,) = done.events
    assert e.kind == m.SURVEY_ANSWERED and e.ticket_id == ticket and e.device == "web-1"
    assert e.data == {"answers": ANSWERS, "profile": PROFILE,
                      "saran": "Ruang tunggu kurang kursi", "service_day": "2026-11-30",
                      "agency": "DUKCAPIL", "service": "ktp-baru", "counter": 1,
                      "officer": "officer-1", "via": "qr"}
    assert "secret" not in e.data
    before = snapshot(ledger)
    again = answer(ledger, ticket, secret, answers=[1] * 9)
    assert again.refusal is not None and again.refusal.code == "already_answered"
    assert snapshot(ledger) == before
    # The same command again (a retry) is the first answer, not a refusal.
    assert ledger.execute(m.Command("answer_survey", {}, WEB, done.command_id)).duplicate
    report = check_connection(ledger.conn, "ledger")
    assert report.ok, report.lines
    assert ledger.verify()


def test_refusals_change_nothing(ledger: Ledger, clock: ManualClock) -> None:
    ticket, secret = served(ledger)
    waiting = ledger.issue_ticket("ktp-baru", KIOSK)
    before = snapshot(ledger)
    wid, wsecret = waiting.value["ticket"]["ticket_id"], waiting.value["secret"]
    cases = [
        (answer(ledger, wid, wsecret), "not_served"),
        (answer(ledger, ticket, "0" * 20), "unknown_ticket"),
        (answer(ledger, "20261130-KTP-999", secret), "unknown_ticket"),
        (answer(ledger, ticket, secret, answers=[4] * 8), "bad_args"),
        (answer(ledger, ticket, secret, answers=[0] * 9), "bad_args"),
        (answer(ledger, ticket, secret, profile={**PROFILE, "pekerjaan": "raja"}), "bad_args"),
        (answer(ledger, ticket, secret, saran="x" * 501), "bad_args"),
        (answer(ledger, ticket, secret, answers="4,4,4"), "bad_args"),
        (answer(ledger, ticket, secret, counter=2), "survey_closed"),
    ]
    for result, code in cases:
        assert result.refusal is not None and result.refusal.code == code, result
        assert result.refusal.pesan
    assert snapshot(ledger) == before
    # At the counter that served it, within minutes; by its QR, within a day.
    clock.advance(minutes=skm.COUNTER_ANSWER_MINUTES + 1)
    late = answer(ledger, ticket, secret, counter=1)
    assert late.refusal is not None and late.refusal.code == "survey_closed"
    clock.advance(hours=skm.SURVEY_WINDOW_HOURS)
    late = answer(ledger, ticket, secret)
    assert late.refusal is not None and late.refusal.code == "survey_closed"
    assert snapshot(ledger) == before


def test_at_the_counter_that_just_finished_it(ledger: Ledger, clock: ManualClock) -> None:
    ticket, secret = served(ledger)
    clock.advance(minutes=skm.COUNTER_ANSWER_MINUTES - 1)
    done = answer(ledger, ticket, secret, counter=1)
    assert done.ok and done.events[0].data["via"] == "counter"
    assert not events(ledger, m.SURVEY_ANSWERED)[0].officer  # the actor is the web station


def test_the_web_role_sends_this_one_command() -> None:
    assert ROLE_COMMANDS["web"] == frozenset({"answer_survey"})
    web = Station("web-1", "web", None)
    args = {"ticket": "20261130-KTP-001", "secret": "0" * 20, "answers": ANSWERS,
            "profile": PROFILE}
    assert permitted(web, None, "answer_survey", args) is None
    for kind, other in [("alert", {"kind": "x", "message": "y"}),
                        ("issue_ticket", {"service": "ktp-baru"})]:
        refusal = permitted(web, None, kind, other)
        assert refusal is not None and refusal.code == "forbidden"
    for role in ("kiosk", "counter", "display", "export", "admin"):
        refusal = permitted(Station("x", role, None), "siti", "answer_survey", args)
        assert refusal is not None and refusal.code == "forbidden", role


@pytest.mark.parametrize("bad", [{"answers": {"U1": 4}}, {"profile": ["L"]}, {"counter": "1"}])
def test_wrong_json_types_are_malformed(bad: dict[str, Any]) -> None:
    args = {"ticket": "t", "secret": "s", "answers": ANSWERS, "profile": PROFILE, **bad}
    refusal = m.check_args("answer_survey", args)
    assert refusal is not None and refusal.code == "bad_args"
