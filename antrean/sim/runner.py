"""Orchestrates a simulated day: a real hub process on 127.0.0.1 on a simulated clock, stations
enrolled and officers added, a few worker processes full of simulated stations, then the
invariants and the day report.

The hub's clock starts at 06:45 hall time on the chosen day and runs `speed` times faster than
real time; the workers schedule every visitor and officer on that clock (see antrean.sim.worker).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import queue
import shutil
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from antrean.sim import day as d
from antrean.sim import invariants as inv
from antrean.sim.report import build_report, build_run_report, total_figures, write_report
from shared.config import HallConfig, load_config
from shared.hub.auth import AuthStore
from shared.ledger.lock import hold_for_tool
from shared.ledger.store import LedgerError, connect
from shared.reports.figures import Period

DEFAULT_SPEED = 120.0
SIM_START = dt.time(6, 45)  # the hub's clock starts here: time to connect and sign in
MARKER = ".antrean-simulate"
COUNTERS_PER_WORKER = 14
PIN = "2468"


class SimulationError(Exception):
    """The simulation could not run (bad options, a process died); not a failed invariant."""


@dataclass(frozen=True)
class SimOptions:
    config: Path
    out: Path
    day: dt.date
    visitors: int = 3000
    counters: int | None = None  # the first N counters of the config; None: all
    kiosks: int = 4
    boards: int = 4
    speed: float = DEFAULT_SPEED
    seed: int = 1
    command: str = ""
    keep_replicas: bool = False
    # The share of served visitors who answer the SKM survey after the day (0: none).
    survey_share: float = 0.0
    # Working days in one ledger, from `day` on (weekends and holidays skipped); 1: that day.
    days: int = 1


@dataclass
class _Worker:
    name: str
    proc: subprocess.Popen[str]
    out: Path
    lines: queue.Queue[str | None] = field(default_factory=queue.Queue)
    pump: threading.Thread | None = None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _prepare_workdir(out: Path) -> Path:
    """out/run holds this run's ledger, logs and replicas; a previous run's is replaced, but
    only if it was ours."""
    work = out / "run"
    if work.exists():
        if not (work / MARKER).exists():
            raise SimulationError(f"{work} exists and was not made by antrean simulate; "
                                  f"choose another --out")
        # A simulation still running there has its hub on that ledger: not from under it.
        try:
            hold_for_tool(work / "ledger.db", "antrean simulate").release()
        except LedgerError as e:
            raise SimulationError(f"{e}; or choose another --out") from None
        shutil.rmtree(work)
    (work / "replicas").mkdir(parents=True)
    (work / MARKER).write_text("made by antrean simulate; replaced by the next run\n")
    return work


def _last_seq(ledger: Path) -> int:
    """The ledger's last event (0 before the first day made it)."""
    if not ledger.exists():
        return 0
    conn = connect(ledger, readonly=True)
    try:
        return int(conn.execute("SELECT coalesce(max(seq), 0) FROM events").fetchone()[0])
    finally:
        conn.close()


class Simulation:
    def __init__(self, opts: SimOptions, progress: Callable[[str], None] | None = None) -> None:
        if opts.visitors < 1 or opts.kiosks < 1 or opts.boards < 0 or opts.speed <= 0:
            raise SimulationError("visitors and kiosks must be at least 1, boards at least 0, "
                                  "speed above 0")
        if not 0.0 <= opts.survey_share <= 1.0:
            raise SimulationError("--survey-share is a share of the served visitors, 0 to 1")
        self.opts = opts
        self.say = progress or (lambda _msg: None)
        self.config: HallConfig = load_config(opts.config)
        try:
            # One day is exactly the day asked for (a closed day is refused); a longer run
            # takes the hall's working days from there on, as a month of service would.
            days = [opts.day] if opts.days == 1 else d.working_days(
                self.config, opts.day, opts.days)
            self.plans = [d.plan_day(self.config, day, opts.counters) for day in days]
        except d.PlanError as e:
            raise SimulationError(str(e)) from None
        self._set_day(0)
        self.work = _prepare_workdir(opts.out)
        self.ledger = self.work / "ledger.db"
        self.port = _free_port()
        self.hub: subprocess.Popen[bytes] | None = None
        self.workers: list[_Worker] = []
        self.web_token = ""
        self.enrolled: list[dict[str, Any]] = []

    def _set_day(self, i: int) -> None:
        """Make the i-th day of the run the current one. Day 0 keeps the run's seed (a one-day
        run is what it always was); later days draw their own visitors."""
        self.plan = self.plans[i]
        self.seed = self.opts.seed + 7919 * i
        self.visitors = d.plan_visitors(self.plan, self.opts.visitors, self.opts.kiosks,
                                        self.seed)

    # --- the hall --------------------------------------------------------------------------

    def _enroll(self) -> None:
        """Enroll every station with its role (counters bound to their loket) and add one
        officer per counter, once for the whole run: each day the same stations come back."""
        store = AuthStore(self.work / "hub-auth.db")
        specs: list[dict[str, Any]] = []
        try:
            def station(role: str, name: str, counter: int | None = None,
                        **extra: Any) -> dict[str, Any]:
                token = store.enroll(name, role, counter)
                return {"role": role, "name": name, "token": token, "counter": counter,
                        "replica": str(self.work / "replicas" / f"{name}.db"), **extra}

            for k in range(self.opts.kiosks):
                specs.append(station("kiosk", f"kiosk-{k + 1}", kiosk=k))
            for b in range(self.opts.boards):
                specs.append(station("display", f"board-{b + 1}"))
            numbers = sorted(self.config.counters)[:self.opts.counters]
            for n in numbers:
                officer = f"petugas-{n:02d}"
                store.add_officer(officer, f"Petugas Loket {n}", PIN)
                specs.append(station("counter", f"loket-{n}", n, officer=officer, pin=PIN))
            if self.opts.survey_share:
                # Not a worker's station: the runner answers the surveys itself after the day.
                self.web_token = store.enroll("web-skm", "web")
        finally:
            store.close()
        self.enrolled = specs

    def _stations(self) -> list[dict[str, Any]]:
        """The station specs for the current day's workers: each kiosk with its visitors."""
        return [{**s, "visitors": [v.to_dict() for v in self.visitors if v.kiosk == s["kiosk"]]}
                if s["role"] == "kiosk" else s for s in self.enrolled]

    def _start_hub(self) -> None:
        # A new hub process each day on the same ledger and station tokens: its clock starts
        # at the day's 06:45 (the night jumped over) and it closes the days before at start.
        self.port = _free_port()
        start = dt.datetime.combine(self.plan.day, SIM_START, self.config.tz)
        log = open(self.work / "hub.log", "ab")  # noqa: SIM115 (the child keeps it)
        self.hub = subprocess.Popen(
            [sys.executable, "-m", "antrean", "hub", "--ledger", str(self.ledger),
             "--config", str(self.opts.config), "--host", "127.0.0.1", "--port",
             str(self.port), "--no-mdns",
             "--simulated-clock", f"{start.isoformat()},{self.opts.speed:g}"],
            stdout=log, stderr=subprocess.STDOUT, env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        log.close()
        deadline = time.monotonic() + 30
        while True:
            if self.hub.poll() is not None:
                raise SimulationError(f"the hub exited: {(self.work / 'hub.log').read_text()}")
            try:
                self._health()
                return
            except OSError:
                if time.monotonic() > deadline:
                    raise SimulationError("the hub did not start within 30 s") from None
                time.sleep(0.05)  # a starting server; bounded by the deadline

    def _health(self) -> dict[str, Any]:
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/health", timeout=5) as r:
            return dict(json.load(r))

    def _anchor(self) -> tuple[float, str]:
        """Pair a monotonic reading (system-wide, so every worker can use it) with the hub's
        simulated time, from the quickest of a few /health round trips."""
        best: tuple[float, float, str] | None = None
        for _ in range(5):
            t0 = time.monotonic()
            health = self._health()
            t1 = time.monotonic()
            if best is None or t1 - t0 < best[0]:
                best = (t1 - t0, (t0 + t1) / 2, str(health["time"]))
        assert best is not None
        return best[1], best[2]

    def _start_workers(self, specs: list[dict[str, Any]]) -> None:
        mono, sim = self._anchor()
        common = {"hub": f"ws://127.0.0.1:{self.port}/ws", "config": str(self.opts.config),
                  "day": self.plan.day.isoformat(), "counters": self.opts.counters,
                  "seed": self.seed,
                  "clock": {"mono": mono, "sim": sim, "speed": self.opts.speed}}
        counters = [s for s in specs if s["role"] == "counter"]
        groups: list[tuple[str, list[dict[str, Any]]]] = [
            ("kiosks-boards", [s for s in specs if s["role"] != "counter"])]
        parts = max(1, -(-len(counters) // COUNTERS_PER_WORKER))
        for i in range(parts):
            groups.append((f"counters-{i + 1}", counters[i::parts]))
        for name, stations in groups:
            if not stations:
                continue
            spec_path = self.work / f"{name}.spec.json"
            out = self.work / f"{name}.result.json"
            spec_path.write_text(json.dumps({**common, "stations": stations, "out": str(out)}))
            err = open(self.work / f"{name}.log", "ab")  # noqa: SIM115 (the child keeps it)
            proc = subprocess.Popen(
                [sys.executable, "-m", "antrean.sim.worker", str(spec_path)],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=err, text=True,
                env={**os.environ, "PYTHONUNBUFFERED": "1"})
            err.close()
            w = _Worker(name, proc, out)
            w.pump = threading.Thread(target=_pump, args=(proc.stdout, w.lines), daemon=True)
            w.pump.start()
            self.workers.append(w)

    def _wait_for(self, word: str, deadline: float) -> None:
        """Wait until every worker has said `word`, reporting progress meanwhile."""
        waiting = set(range(len(self.workers)))
        last_note = time.monotonic()
        while waiting:
            for i in sorted(waiting):
                w = self.workers[i]
                try:
                    line = w.lines.get(timeout=0.5)
                except queue.Empty:
                    continue
                if line is None:
                    raise SimulationError(
                        f"worker {w.name} exited ({w.proc.wait()}); see "
                        f"{self.work / (w.name + '.log')}")
                if line.strip() == word:
                    waiting.discard(i)
            if self.hub is not None and self.hub.poll() is not None:
                raise SimulationError(f"the hub died; see {self.work / 'hub.log'}")
            if time.monotonic() > deadline:
                raise SimulationError(f"timed out waiting for the workers to say {word!r}")
            if time.monotonic() - last_note > 15:
                last_note = time.monotonic()
                self.say(self._progress())

    def _progress(self) -> str:
        try:
            health = self._health()
            conn = connect(self.ledger, readonly=True)
            try:
                f = total_figures(conn, self.plan.day)
            finally:
                conn.close()
        except (OSError, sqlite3.Error) as e:
            return f"(progress unavailable: {e})"
        now = dt.datetime.fromisoformat(str(health["time"])).astimezone(self.config.tz)
        return (f"  {now:%H:%M} WIB  issued {f.issued}, served {f.served}, no-show "
                f"{f.no_show}, waiting {f.waiting}  (seq {health['last_seq']})")

    def _stop(self) -> None:
        for w in self.workers:
            if w.proc.poll() is None:
                w.proc.kill()
                w.proc.wait(10)
            if w.pump is not None:
                w.pump.join(10)  # it ends at the worker's end of output
            for pipe in (w.proc.stdin, w.proc.stdout):
                if pipe is not None:
                    with contextlib.suppress(OSError):
                        pipe.close()
        self._stop_hub()

    def _stop_hub(self) -> None:
        if self.hub is not None and self.hub.poll() is None:
            self.hub.terminate()
            try:
                self.hub.wait(15)
            except subprocess.TimeoutExpired:
                self.hub.kill()
                self.hub.wait(10)
        self.hub = None

    # --- the day -------------------------------------------------------------------------------

    def run(self) -> dict[str, Any]:
        opts = self.opts
        t0 = time.monotonic()
        self._enroll()
        reports = []
        for i in range(len(self.plans)):
            self._set_day(i)
            reports.append(self._run_day())
        if len(reports) == 1:
            report = reports[0]
        else:
            report = build_run_report(reports, {
                "command": opts.command, "speed": opts.speed, "seed": opts.seed,
                "wall_seconds": round(time.monotonic() - t0, 1), "python": sys.version.split()[0],
                "cpus": os.cpu_count()})
        write_report(report, opts.out)
        if opts.survey_share:
            report["skm"] = self._skm_report()
            write_report(report, opts.out)
        if not opts.keep_replicas:
            shutil.rmtree(self.work / "replicas", ignore_errors=True)
        return report

    def _run_day(self) -> dict[str, Any]:
        """One service day: a hub and the station workers from the day's 06:45 to its end,
        the surveys, then that day's invariants and report."""
        opts, day = self.opts, self.plan.day
        t0 = time.monotonic()
        since = _last_seq(self.ledger)
        self.say(f"{self.config.mpp.name}: {day:%A} {day}, {opts.visitors} visitors, "
                 f"{len(self.plan.counters)} working counters, {opts.kiosks} kiosks, "
                 f"{opts.boards} boards, {opts.speed:g}× real time")
        self.hub, self.workers = None, []
        try:
            self._start_hub()
            self._start_workers(self._stations())
            sim_start = dt.datetime.combine(day, SIM_START, self.config.tz)
            sim_end = self.plan.hall_closes + dt.timedelta(minutes=d.OVERTIME_LIMIT + 15)
            budget = (sim_end - sim_start).total_seconds() / opts.speed * 1.5 + 120
            self._wait_for("work-done", time.monotonic() + budget)
            if opts.survey_share:
                self._answer_surveys()
            health = self._health()
            final = int(health["last_seq"])
            ended = dt.datetime.fromisoformat(str(health["time"])).astimezone(self.config.tz)
            self.say(f"day over at {ended:%H:%M} WIB (seq {final}); replicas catching up")
            for w in self.workers:
                assert w.proc.stdin is not None
                w.proc.stdin.write(f"final {final}\n")
                w.proc.stdin.flush()
            self._wait_for("caught-up", time.monotonic() + 180)
            self._stop_hub()
            self._wait_for("finished", time.monotonic() + 180)
            for w in self.workers:
                if w.proc.wait(60) != 0:
                    raise SimulationError(f"worker {w.name} failed; see its log")
        finally:
            self._stop()
        wall = time.monotonic() - t0
        stations = [s for w in self.workers
                    for s in json.loads(w.out.read_text())["stations"]]
        return self._check_and_report(stations, {
            "command": opts.command, "speed": opts.speed, "seed": self.seed,
            "counters": len(self.plan.counters) + len(self.plan.idle_counters),
            "counters_working": len(self.plan.counters), "kiosks": opts.kiosks,
            "boards": opts.boards, "worker_processes": len(self.workers),
            "wall_seconds": round(wall, 1), "sim_start": f"{sim_start:%H:%M}",
            "sim_end": f"{ended:%H:%M}", "python": sys.version.split()[0],
            "cpus": os.cpu_count(),
        }, since)

    def _answer_surveys(self) -> None:
        import asyncio

        from antrean.sim import survey

        # A run of several days answers each day's visitors that evening, as their phones would.
        day = self.plan.day if len(self.plans) > 1 else None
        plan = survey.plan_answers(self.ledger, self.opts.survey_share, self.opts.seed, day)
        answered, refused = asyncio.run(survey.send_answers(
            f"ws://127.0.0.1:{self.port}/ws", self.web_token, plan,
            f"sim-skm-{day}" if day else "sim-skm"))
        self.say(f"SKM: {answered} visitors answered the survey ({refused} refused)")
        if refused:
            raise SimulationError(f"the hub refused {refused} of the simulated SKM answers")

    def _skm_period(self) -> Period:
        """One day: its month (as before). Several: the month when every working day of it
        ran, else the dates the run covered."""
        from shared.reports import skm

        first, last = self.plans[0].day, self.plans[-1].day
        month = skm.skm_period("month", first.year, first.month)
        if len(self.plans) == 1:
            return month
        ran = {p.day for p in self.plans}
        whole = [month.start + dt.timedelta(days=i)
                 for i in range((month.end - month.start).days + 1)]
        if all(day in ran for day in whole if d.hall_open_on(self.config, day)):
            return month
        return Period(first, last)

    def _skm_report(self) -> dict[str, Any]:
        """The SKM report of the run's period, as PDF and XLSX beside the day report."""
        from antrean.sim import survey
        from shared.reports import skm

        conn = connect(self.ledger, readonly=True)
        try:
            report = skm.compute(conn, self.config, self._skm_period())
        finally:
            conn.close()
        (self.opts.out / "skm-report.pdf").write_bytes(skm.to_pdf(report, self.config))
        (self.opts.out / "skm-report.xlsx").write_bytes(skm.to_xlsx(report))
        self.say(f"{survey.summary_line(report)} -> {self.opts.out / 'skm-report.pdf'}")
        return {"period": report.period_text, "respondents": report.respondents,
                "population": report.population, "sample": report.sample,
                "enough": report.enough,
                "ikm": float(report.ikm.value) if report.ikm else None,
                "mutu": report.ikm.mutu.grade if report.ikm else None}

    def _check_and_report(self, stations: list[dict[str, Any]], run: dict[str, Any],
                          since: int) -> dict[str, Any]:
        """The current day's invariants and report; `since` is the ledger's last seq before
        the day began (0 on the first), so a later day is checked on its own tickets and calls
        while the whole log is still replayed and verified."""
        day = self.plan.day
        conn = connect(self.ledger, readonly=True)
        try:
            acknowledged = [a["ticket"] for s in stations if s["role"] == "kiosk"
                            for a in s["acknowledged"]]
            checks = [
                inv.check_acknowledged(conn, acknowledged, day),
                inv.check_numbers(conn),
                *inv.check_replay(conn),
                inv.check_hours(conn, self.plan),
                inv.check_replicas(conn, stations),
                inv.check_boards(conn, [s for s in stations if s["role"] == "display"], since),
                inv.check_station_errors(stations),
                inv.check_end_of_day(conn),
            ]
            from shared.ledger.queries import LedgerReader

            rows = LedgerReader(conn, self.config).figures(day, by="agency")
            checks.append(inv.check_figures(rows, total_figures(conn, day)))
        finally:
            conn.close()
        checks.append(inv.check_verify(self.ledger, self.config))
        conn = connect(self.ledger, readonly=True)
        try:
            return build_report(conn, self.plan, stations, self.opts.visitors, run, checks,
                                since)
        finally:
            conn.close()


def _pump(stream: IO[str] | None, lines: queue.Queue[str | None]) -> None:
    assert stream is not None
    with contextlib.suppress(ValueError, OSError):
        for line in stream:
            lines.put(line)
    lines.put(None)


def simulate(opts: SimOptions, progress: Callable[[str], None] | None = None
             ) -> dict[str, Any]:
    return Simulation(opts, progress).run()
