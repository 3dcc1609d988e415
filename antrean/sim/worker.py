"""A process full of simulated stations: kiosks, counters and boards, each a real `HubClient`
with its own replica, sharing one asyncio loop so a hall of 48 stations needs a few processes,
not 48.

Run as `python -m antrean.sim.worker SPEC.json` (the runner does). Protocol with the runner, one
line each way: when every station's day is over the worker prints `work-done`; the runner then
writes `final SEQ` (the hub's last sequence number) to stdin, the worker waits until every
replica holds that much, prints `caught-up` (the runner stops the hub), writes its summary JSON
to the spec's `out` and prints `finished`.

Behaviour is scheduled on the hub's simulated clock: the runner hands over an anchor (a moment
of the system-wide monotonic clock and the hub's simulated time at that moment) and the speed.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import logging
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from antrean.sim import day as d
from shared.config import HallConfig, load_config
from shared.ledger import model as m
from shared.ledger.model import Event, Result
from shared.ledger.projection import ledger_hash
from shared.ledger.queries import LedgerReader
from shared.station.client import HubClient
from shared.station.replica import Replica

log = logging.getLogger("antrean.sim")
COMMAND_TIMEOUT = 120.0
RATE_LIMIT_RETRIES = 50
IDLE_LOOK_MINUTES = 2.0  # an idle officer glances at the line at least this often


@dataclass(frozen=True)
class SimClock:
    """The hub's simulated clock, read from this process: `anchor_mono` is a reading of the
    system-wide monotonic clock taken when the hub's clock said `anchor_sim`."""

    anchor_mono: float
    anchor_sim: dt.datetime
    speed: float

    def now(self) -> dt.datetime:
        return self.anchor_sim + dt.timedelta(
            seconds=(time.monotonic() - self.anchor_mono) * self.speed)

    def real_seconds_until(self, moment: dt.datetime) -> float:
        return (moment - self.now()).total_seconds() / self.speed

    async def until(self, moment: dt.datetime) -> None:
        delay = self.real_seconds_until(moment)
        if delay > 0:
            await asyncio.sleep(delay)  # simulated time passing, not a wait for a condition


@dataclass
class Timing:
    """How late commands went out (simulated seconds after the behaviour wanted them) and how
    long the hub took to answer (real milliseconds): the hub keeping up, or not."""

    late_s: list[float] = field(default_factory=list)
    rtt_ms: list[float] = field(default_factory=list)
    rate_limited: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {"late_s": [round(x, 2) for x in self.late_s],
                "rtt_ms": [round(x, 2) for x in self.rtt_ms], "rate_limited": self.rate_limited}


class SimStation:
    def __init__(self, spec: dict[str, Any], hub: str, clock: SimClock, plan: d.DayPlan,
                 seed: int) -> None:
        self.spec = spec
        self.name: str = spec["name"]
        self.role: str = spec["role"]
        self.clock = clock
        self.plan = plan
        self.seed = seed
        self.replica = Replica(spec["replica"])
        # 48 replicas share this machine's one disk, where a hall gives each its own PC: without
        # this, the stations' fsyncs (not the hub) would set the pace. The hub's ledger keeps
        # synchronous=FULL; a replica in WAL mode with NORMAL loses no committed event unless
        # the power fails, and replays identically either way.
        self.replica.conn.execute("PRAGMA synchronous=NORMAL")
        self.reader = LedgerReader(self.replica.conn, plan.config)
        self.client = HubClient(hub, spec["token"], self.replica, self._on_events)
        self.timing = Timing()
        self.summary: dict[str, Any] = {"name": self.name, "role": self.role, "errors": []}
        self.calls: list[dict[str, Any]] = []  # every call and recall this station received
        self.wake = asyncio.Event()
        self.queues: tuple[str, ...] = ()

    def _on_events(self, events: list[Event]) -> None:
        for e in events:
            if e.kind in m.CALL_KINDS:
                self.calls.append({"seq": e.seq, "kind": e.kind, "ticket": e.ticket_id,
                                   "counter": e.data.get("counter")})
            elif e.kind == m.TICKET_REQUEUED or (
                e.kind in (m.TICKET_ISSUED, m.TICKET_TRANSFERRED)
                and e.data.get("queue") in self.queues
            ):
                self.wake.set()

    async def command(self, kind: str, args: dict[str, Any], wanted: dt.datetime) -> Result:
        self.timing.late_s.append((self.clock.now() - wanted).total_seconds())
        t0 = time.monotonic()
        command_id = uuid.uuid4().hex
        for attempt in range(1, RATE_LIMIT_RETRIES + 1):
            result = await self.client.command(kind, args, command_id=command_id,
                                               timeout=COMMAND_TIMEOUT)
            if result.ok or result.refusal is None or result.refusal.code != "rate_limited":
                break
            # Over this station's rate limit: nothing was executed, the same id may be sent
            # again. Counted: at speeds that need it, the hub's limit shapes the day.
            self.timing.rate_limited += 1
            await asyncio.sleep(0.05 * attempt)  # backing off from the hub's rate limit
        self.timing.rtt_ms.append((time.monotonic() - t0) * 1000)
        return result

    def error(self, what: str, result: Result) -> None:
        reason = result.refusal.message if result.refusal else "refused"
        self.summary["errors"].append(f"{self.name}: {what}: {reason}")
        log.error("%s: %s refused: %s", self.name, what, reason)

    async def run(self) -> None:
        """The station's day; subclasses act."""

    def finish_summary(self) -> dict[str, Any]:
        self.summary.update({
            "calls": self.calls, "timing": self.timing.to_dict(),
            "last_seq": self.replica.last_seq, "hash": ledger_hash(self.replica.conn),
        })
        return self.summary


class Kiosk(SimStation):
    """Visitors queue at the kiosk: each taps for a while, then the ticket is issued."""

    async def run(self) -> None:
        visitors = [d.Visitor.from_dict(v) for v in self.spec["visitors"]]
        acknowledged: list[dict[str, Any]] = []
        refused: list[dict[str, Any]] = []
        free = self.plan.tickets_from
        for v in visitors:
            at = max(v.arrives, free) + dt.timedelta(
                seconds=d.kiosk_touch_seconds(self.seed, v.number))
            await self.clock.until(at)
            args: dict[str, Any] = {"service": v.service}
            if v.priority:
                args["priority"] = v.priority
            result = await self.command("issue_ticket", args, at)
            free = at
            if result.ok:
                t = result.value["ticket"]
                acknowledged.append({"visitor": v.number, "ticket": t["ticket_id"],
                                     "service": v.service, "wanted": at.isoformat(),
                                     "line_s": round((at - v.arrives).total_seconds(), 1)})
            else:
                assert result.refusal is not None
                refused.append({"visitor": v.number, "service": v.service,
                                "code": result.refusal.code, "wanted": at.isoformat()})
        self.summary.update({"acknowledged": acknowledged, "refused": refused})


class Board(SimStation):
    """A hall board only listens: its summary is the calls it received, in order."""


class Counter(SimStation):
    """One officer at one loket through the day: signs in, calls, serves, marks no-shows,
    takes returning no-shows back, transfers the odd visitor, breaks, serves the line out after
    closing (up to the overtime limit), finishes and signs out."""

    def __init__(self, spec: dict[str, Any], hub: str, clock: SimClock, plan: d.DayPlan,
                 seed: int) -> None:
        super().__init__(spec, hub, clock, plan, seed)
        self.number: int = spec["counter"]
        self.day: d.CounterDay | None = next(
            (c for c in plan.counters if c.number == self.number), None)
        if self.day is not None:
            self.queues = self.day.queues
        self.returns: list[asyncio.Task[None]] = []
        self.counts = {"called": 0, "served": 0, "no_show": 0, "returned": 0,
                       "transferred": 0, "recalled": 0, "idle_calls": 0}

    def waiting(self) -> int:
        return self.reader.waiting_count(self.queues, self.plan.day)

    async def run(self) -> None:
        cd = self.day
        if cd is None:
            self.summary["closed_today"] = True  # its agency does not open today
            return
        await self.clock.until(d.sign_in_moment(cd, self.seed))
        signed = await self.client.sign_in(self.spec["officer"], self.spec["pin"], self.number,
                                           timeout=COMMAND_TIMEOUT)
        if not signed.ok:
            self.error("sign in", signed)
            return
        await self.clock.until(cd.opens)
        await self._work(cd)
        for task in self.returns:
            await task
        out = await self.command("sign_out", {"counter": self.number}, self.clock.now())
        if not out.ok:
            self.error("sign out", out)
        self.summary["counts"] = self.counts
        self.summary["left_at"] = self.clock.now().isoformat()

    async def _work(self, cd: d.CounterDay) -> None:
        holding = False  # a served visitor still on the counter (finished by the next call)
        overtime_end = cd.closes + dt.timedelta(minutes=d.OVERTIME_LIMIT)
        while True:
            now = self.clock.now()
            brk = cd.break_at(now + dt.timedelta(minutes=d.WIND_DOWN_BEFORE_BREAK))
            closing = now >= cd.closes
            pending = any(not t.done() for t in self.returns)
            self.wake.clear()
            line = self.waiting()
            stop = closing and (now >= overtime_end or (line == 0 and not pending))
            if holding and (brk is not None or stop or line == 0):
                done = await self.command("finish", {"counter": self.number}, now)
                if not done.ok:
                    self.error("finish", done)
                holding = False
            if stop:
                return
            if brk is not None:
                await self._take_break(brk)
                continue
            if line == 0:
                await self._idle(cd, now)
                continue
            called = await self.command("call_next", {"counter": self.number}, now)
            holding = False
            if not called.ok:
                self.error("call_next", called)
                await self._idle(cd, now)
                continue
            ticket = called.value.get("ticket")
            if ticket is None:
                self.counts["idle_calls"] += 1  # another counter took the last one
                continue
            self.counts["called"] += 1
            holding = await self._serve(cd, ticket)

    async def _idle(self, cd: d.CounterDay, now: dt.datetime) -> None:
        until = now + dt.timedelta(minutes=IDLE_LOOK_MINUTES)
        wind_down = dt.timedelta(minutes=d.WIND_DOWN_BEFORE_BREAK)
        for moment in (cd.closes, *(b[0] - wind_down for b in cd.breaks)):
            if now < moment < until:
                until = moment
        delay = max(0.0, self.clock.real_seconds_until(until))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.wake.wait(), delay)

    async def _take_break(self, brk: tuple[dt.datetime, dt.datetime]) -> None:
        paused = await self.command("pause_counter",
                                    {"counter": self.number, "reason": "Istirahat"},
                                    self.clock.now())
        if not paused.ok:
            self.error("pause_counter", paused)
        await self.clock.until(brk[1])
        opened = await self.command("open_counter", {"counter": self.number}, brk[1])
        if not opened.ok:
            self.error("open_counter", opened)

    async def _serve(self, cd: d.CounterDay, ticket: dict[str, Any]) -> bool:
        """Returns whether a served visitor is still at the counter."""
        last_moves = cd.closes - dt.timedelta(minutes=d.LAST_MOVES_BEFORE_CLOSING)
        fate = d.ticket_fate(self.plan, self.seed, ticket,
                             transfer_allowed=self.clock.now() < last_moves)
        n = self.number
        t = self.clock.now()
        if not fate.present:
            t += dt.timedelta(minutes=d.NO_SHOW_WAIT_BEFORE_RECALL)
            await self.clock.until(t)
            recalled = await self.command("recall", {"counter": n}, t)
            if not recalled.ok:
                self.error("recall", recalled)
            self.counts["recalled"] += 1
            t += dt.timedelta(minutes=d.NO_SHOW_WAIT_AFTER_RECALL)
            await self.clock.until(t)
            gone = await self.command("no_show", {"counter": n}, t)
            if not gone.ok:
                self.error("no_show", gone)
                return False
            self.counts["no_show"] += 1
            if fate.returns_after is not None:
                back = t + dt.timedelta(minutes=fate.returns_after)
                if back < last_moves:
                    self.returns.append(asyncio.create_task(
                        self._take_back(ticket["ticket_id"], back)))
            return False
        t += dt.timedelta(minutes=fate.walk_minutes)
        await self.clock.until(t)
        started = await self.command("start", {"counter": n}, t)
        if not started.ok:
            self.error("start", started)
            return False
        t += dt.timedelta(minutes=fate.service_minutes)
        await self.clock.until(t)
        if fate.transfer_to is not None:
            moved = await self.command("transfer", {"counter": n, "service": fate.transfer_to}, t)
            if not moved.ok:
                self.error("transfer", moved)
                return True
            self.counts["transferred"] += 1
            return False
        self.counts["served"] += 1
        return True

    async def _take_back(self, ticket_id: str, at: dt.datetime) -> None:
        """A no-show comes back to this counter; the officer puts the ticket back in line."""
        await self.clock.until(at)
        back = await self.command("return_no_show", {"ticket": ticket_id, "counter": self.number},
                                  at)
        if back.ok:
            self.counts["returned"] += 1
        else:
            self.error("return_no_show", back)


ROLES: dict[str, type[SimStation]] = {"kiosk": Kiosk, "counter": Counter, "display": Board}


async def run_worker(spec: dict[str, Any], config: HallConfig) -> dict[str, Any]:
    plan = d.plan_day(config, dt.date.fromisoformat(spec["day"]), spec["counters"])
    clock = SimClock(spec["clock"]["mono"], dt.datetime.fromisoformat(spec["clock"]["sim"]),
                     float(spec["clock"]["speed"]))
    stations = [ROLES[s["role"]](s, spec["hub"], clock, plan, spec["seed"])
                for s in spec["stations"]]
    await asyncio.gather(*(s.client.start(timeout=60) for s in stations))
    results = await asyncio.gather(*(s.run() for s in stations), return_exceptions=True)
    for s, r in zip(stations, results, strict=True):
        if isinstance(r, BaseException):
            s.summary["errors"].append(f"{s.name}: crashed: {r!r}")
            log.error("%s crashed", s.name, exc_info=r)
    print("work-done", flush=True)
    loop = asyncio.get_running_loop()
    line = await loop.run_in_executor(None, sys.stdin.readline)
    target = int(line.split()[1]) if line.startswith("final ") else 0
    deadline = time.monotonic() + 120
    while any(s.client.last_seq < target for s in stations) and time.monotonic() < deadline:
        await asyncio.sleep(0.05)  # replicas still applying the last events
    # The runner stops the hub now: left running, a fast clock would pass midnight while the
    # summaries are made and the hub would close the day behind the replicas' backs.
    print("caught-up", flush=True)
    for s in stations:
        await s.client.close()
    summaries = [s.finish_summary() for s in stations]
    for s in stations:
        s.replica.close()
    return {"stations": summaries, "target_seq": target}


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    logging.basicConfig(level=logging.WARNING,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    spec = json.loads(Path(argv[0]).read_text())
    config = load_config(spec["config"])
    result = asyncio.run(run_worker(spec, config))
    Path(spec["out"]).write_text(json.dumps(result))
    print("finished", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
