"""Random command sequences against a real ledger file: whatever officers, kiosks and the clock do,
the projection equals its replay, numbers stay contiguous, and no ticket is ever at two counters
or called twice."""

from __future__ import annotations

import datetime as dt
import tempfile
from collections import defaultdict
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from shared.clock import ManualClock
from shared.config import PRIORITY_GROUPS
from shared.ledger import model as m
from shared.ledger.ledger import RECORDED_REFUSALS, Ledger
from shared.ledger.model import Actor, Command
from shared.ledger.projection import iter_events, last_seq, projection_dump
from tests.helpers.ledger import all_day_config, wib

CONFIG = all_day_config()
SERVICES = sorted(CONFIG.services)
COUNTERS = sorted(CONFIG.counters)
KIOSK = Actor("kiosk-1")

counters = st.sampled_from(COUNTERS)
services = st.sampled_from([*SERVICES, "no-such-service"])
tickets = st.integers(min_value=0, max_value=30)  # an index into the tickets issued so far

# Weighted so that a typical sequence issues, calls and serves a good number of tickets.
KINDS = (
    ["call_next"] * 8 + ["issue"] * 6 + ["finish", "start", "recall", "no_show", "transfer"] * 2
    + ["return_no_show", "return_no_show", "cancel", "sign_in", "sign_out"]
    + ["pause_counter", "open_counter", "open_counter", "close_counter", "advance", "advance"]
    + ["repeat"]
)


@st.composite
def steps(draw: st.DrawFn) -> tuple[Any, ...]:
    kind = draw(st.sampled_from(KINDS))
    if kind == "issue":
        return (kind, draw(services), draw(st.one_of(st.none(), st.sampled_from(PRIORITY_GROUPS))))
    if kind == "sign_in":
        return (kind, draw(counters), draw(st.sampled_from(["ani", "budi"])))
    if kind == "transfer":
        return (kind, draw(counters), draw(services), draw(st.sampled_from([None, True, False])))
    if kind in ("return_no_show", "cancel"):
        return (kind, draw(tickets))
    if kind == "advance":  # minutes; a day's worth crosses midnight, and so may 600 from 23:40
        return (kind, draw(st.sampled_from([1, 7, 45, 180, 600, 24 * 60])))
    if kind == "repeat":  # the last successful command again, with the same id
        return (kind,)
    return (kind, draw(counters))


def command_for(step: tuple[Any, ...], led: Ledger, ticket_ids: list[str],
                officers: dict[int, str]) -> Command | None:
    kind = step[0]
    if kind == "issue":
        args = {"service": step[1]} | ({"priority": step[2]} if step[2] else {})
        return Command("issue_ticket", args, KIOSK)
    if kind == "sign_in":
        return Command("sign_in", {"counter": step[1]}, Actor(f"counter-{step[1]}", step[2]))
    if kind in ("return_no_show", "cancel"):
        # Mostly a ticket in a state the command accepts, sometimes any ticket at all.
        wanted = ("no_show",) if kind == "return_no_show" else ("waiting", "called")
        fitting = [r[0] for r in led.conn.execute(
            f"SELECT ticket_id FROM tickets WHERE status IN ({','.join('?' * len(wanted))}) "
            "ORDER BY ticket_id", wanted)]
        pool = fitting if fitting and step[1] % 4 else ticket_ids
        if not pool:
            return None
        return Command(kind, {"ticket": pool[step[1] % len(pool)]}, KIOSK)
    counter = step[1]
    who = Actor(f"counter-{counter}", officers.get(counter, "ani"))
    if kind == "transfer":
        args = {"counter": counter, "service": step[2]}
        if step[3] is not None:
            args["to_front"] = step[3]
        return Command("transfer", args, who)
    return Command(kind, {"counter": counter}, who)


def check_step_invariants(led: Ledger) -> None:
    conn = led.conn
    held = [r[0] for r in conn.execute(
        "SELECT ticket_id FROM counters WHERE ticket_id IS NOT NULL")]
    assert len(held) == len(set(held)), f"a ticket at two counters: {held}"
    active = {r[0]: r[1] for r in conn.execute(
        "SELECT ticket_id, counter FROM tickets WHERE status IN ('called', 'serving')")}
    holding = {r[0]: r[1] for r in conn.execute(
        "SELECT counter, ticket_id FROM counters WHERE ticket_id IS NOT NULL")}
    # Every active ticket is held by exactly the counter it was called to, and nothing else is.
    assert active == {t: c for c, t in holding.items()}


def check_history(evs: list[m.Event]) -> None:
    """Walk the log with the ticket state machine written out by hand."""
    numbers: dict[tuple[str, str], list[int]] = defaultdict(list)
    state: dict[str, str] = {}
    at_counter: dict[int, str] = {}
    allowed = {
        m.TICKET_CALLED: {m.WAITING},
        m.TICKET_RECALLED: {m.CALLED},
        m.TICKET_STARTED: {m.CALLED},
        m.TICKET_FINISHED: {m.CALLED, m.SERVING},
        m.TICKET_NO_SHOW: {m.CALLED},
        m.TICKET_REQUEUED: {m.NO_SHOW},
        m.TICKET_TRANSFERRED: {m.CALLED, m.SERVING},
        m.TICKET_CANCELLED: {m.WAITING, m.CALLED},
    }
    after = {
        m.TICKET_CALLED: m.CALLED, m.TICKET_STARTED: m.SERVING, m.TICKET_FINISHED: m.FINISHED,
        m.TICKET_NO_SHOW: m.NO_SHOW, m.TICKET_REQUEUED: m.WAITING,
        m.TICKET_TRANSFERRED: m.WAITING, m.TICKET_CANCELLED: m.CANCELLED,
    }
    for e in evs:
        if e.kind == m.TICKET_ISSUED:
            assert e.ticket_id not in state
            numbers[(e.data["service_day"], e.data["queue"])].append(e.data["number"])
            state[e.ticket_id] = m.WAITING
            continue
        if e.kind not in allowed:
            continue
        assert e.ticket_id is not None
        before = state[e.ticket_id]
        # A second ticket.called needs a requeue or a transfer (back to waiting) in between.
        assert before in allowed[e.kind], f"{e.kind} of {e.ticket_id} while {before} (seq {e.seq})"
        if e.kind == m.TICKET_CALLED:
            counter = e.data["counter"]
            assert counter not in at_counter, f"counter {counter} called a second ticket"
            at_counter[counter] = e.ticket_id
        elif e.kind in (m.TICKET_FINISHED, m.TICKET_NO_SHOW, m.TICKET_TRANSFERRED,
                        m.TICKET_CANCELLED):
            for c, t in list(at_counter.items()):
                if t == e.ticket_id:
                    del at_counter[c]
        state[e.ticket_id] = after.get(e.kind, before)
    for key, ns in numbers.items():
        assert ns == list(range(1, len(ns) + 1)), f"numbers of {key}: {ns}"


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    start=st.sampled_from([wib(2026, 11, 30, 9, 0), wib(2026, 11, 30, 23, 40)]),
    staffed=st.sets(counters, min_size=3),
    plan=st.lists(steps(), min_size=20, max_size=80),
)
def test_any_command_sequence_keeps_the_ledger_sound(
    start: dt.datetime, staffed: set[int], plan: list[tuple[Any, ...]]
) -> None:
    clock = ManualClock(start)
    with tempfile.TemporaryDirectory() as tmp:
        led = Ledger(Path(tmp) / "ledger.db", CONFIG, clock)
        try:
            ticket_ids: list[str] = []
            officers: dict[int, str] = {}
            last: Command | None = None
            for counter in sorted(staffed):
                plan = [("sign_in", counter, "ani"), *plan]
            for step in plan:
                if step[0] == "advance":
                    clock.advance(minutes=step[1])
                    continue
                command = last if step[0] == "repeat" else command_for(
                    step, led, ticket_ids, officers)
                if command is None:
                    continue
                seq_before = last_seq(led.conn)
                result = led.execute(command)
                if result.duplicate:
                    # A retry writes nothing; it gets the first answer, a recorded refusal too.
                    assert last_seq(led.conn) == seq_before
                    assert result.ok or result.events[0].kind == m.TICKET_REFUSED
                elif not result.ok:
                    assert result.refusal is not None and result.refusal.code
                    if (command.kind == "issue_ticket"
                            and result.refusal.code in RECORDED_REFUSALS):
                        # A ticket refused for a reason of the hall is counted: one event.
                        assert [e.kind for e in result.events] == [m.TICKET_REFUSED]
                        assert last_seq(led.conn) == seq_before + 1
                    else:
                        assert last_seq(led.conn) == seq_before
                else:
                    assert [e.seq for e in result.events] == list(
                        range(seq_before + 1, last_seq(led.conn) + 1))
                    last = command
                for e in result.events:
                    if e.kind == m.TICKET_ISSUED and not result.duplicate:
                        ticket_ids.append(e.ticket_id or "")
                    elif e.kind == m.OFFICER_SIGNED_IN:
                        officers[e.data["counter"]] = e.data["officer"]
                check_step_invariants(led)

            assert led.verify()
            before = projection_dump(led.conn)
            led.rebuild()
            assert projection_dump(led.conn) == before
            history = list(iter_events(led.conn))
            check_history(history)
            for kind in sorted({e.kind for e in history}):
                event(kind)
        finally:
            led.close()
