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
from antrean.sim.report import build_report, total_figures, write_report
from shared.config import HallConfig, load_config
from shared.hub.auth import AuthStore
from shared.ledger.lock import hold_for_tool
from shared.ledger.store import LedgerError, connect

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
            self.plan = d.plan_day(self.config, opts.day, opts.counters)
        except d.PlanError as e:
            raise SimulationError(str(e)) from None
        self.visitors = d.plan_visitors(self.plan, opts.visitors, opts.kiosks, opts.seed)
        self.work = _prepare_workdir(opts.out)
        self.ledger = self.work / "ledger.db"
        self.port = _free_port()
        self.hub: subprocess.Popen[bytes] | None = None
        self.workers: list[_Worker] = []
        self.web_token = ""

    # --- the hall --------------------------------------------------------------------------

    def _stations(self) -> list[dict[str, Any]]:
        """Enroll every station with its role (counters bound to their loket) and add one
        officer per counter; returns the station specs for the workers."""
        store = AuthStore(self.work / "hub-auth.db")
        specs: list[dict[str, Any]] = []
        try:
            def station(role: str, name: str, counter: int | None = None,
                        **extra: Any) -> dict[str, Any]:
                token = store.enroll(name, role, counter)
                return {"role": role, "name": name, "token": token, "counter": counter,
                        "replica": str(self.work / "replicas" / f"{name}.db"), **extra}

            for k in range(self.opts.kiosks):
                mine = [v.to_dict() for v in self.visitors if v.kiosk == k]
                specs.append(station("kiosk", f"kiosk-{k + 1}", visitors=mine))
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
        return specs

    def _start_hub(self) -> None:
        start = dt.datetime.combine(self.opts.day, SIM_START, self.config.tz)
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
                  "day": self.opts.day.isoformat(), "counters": self.opts.counters,
                  "seed": self.opts.seed,
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
                f = total_figures(conn, self.opts.day)
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
        if self.hub is not None and self.hub.poll() is None:
            self.hub.terminate()
            try:
                self.hub.wait(15)
            except subprocess.TimeoutExpired:
                self.hub.kill()
                self.hub.wait(10)

    # --- the day -------------------------------------------------------------------------------

    def run(self) -> dict[str, Any]:
        opts = self.opts
        t0 = time.monotonic()
        specs = self._stations()
        self.say(f"{self.config.mpp.name}: {opts.day:%A} {opts.day}, {opts.visitors} visitors, "
                 f"{len(self.plan.counters)} working counters, {opts.kiosks} kiosks, "
                 f"{opts.boards} boards, {opts.speed:g}× real time")
        try:
            self._start_hub()
            self._start_workers(specs)
            sim_start = dt.datetime.combine(opts.day, SIM_START, self.config.tz)
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
            self._wait_for("finished", time.monotonic() + 180)
            for w in self.workers:
                if w.proc.wait(60) != 0:
                    raise SimulationError(f"worker {w.name} failed; see its log")
        finally:
            self._stop()
        wall = time.monotonic() - t0
        stations = [s for w in self.workers
                    for s in json.loads(w.out.read_text())["stations"]]
        report = self._check_and_report(stations, {
            "command": opts.command, "speed": opts.speed, "seed": opts.seed,
            "counters": len(self.plan.counters) + len(self.plan.idle_counters),
            "counters_working": len(self.plan.counters), "kiosks": opts.kiosks,
            "boards": opts.boards, "worker_processes": len(self.workers),
            "wall_seconds": round(wall, 1), "sim_start": f"{sim_start:%H:%M}",
            "sim_end": f"{ended:%H:%M}", "python": sys.version.split()[0],
            "cpus": os.cpu_count(),
        })
        if not opts.keep_replicas:
            shutil.rmtree(self.work / "replicas", ignore_errors=True)
        return report

    def _answer_surveys(self) -> None:
        import asyncio

        from antrean.sim import survey

        plan = survey.plan_answers(self.ledger, self.opts.survey_share, self.opts.seed)
        answered, refused = asyncio.run(survey.send_answers(
            f"ws://127.0.0.1:{self.port}/ws", self.web_token, plan))
        self.say(f"SKM: {answered} visitors answered the survey ({refused} refused)")
        if refused:
            raise SimulationError(f"the hub refused {refused} of the simulated SKM answers")

    def _skm_report(self) -> None:
        """The SKM report of the day's month, as PDF and XLSX beside the day report."""
        from antrean.sim import survey
        from shared.reports import skm

        conn = connect(self.ledger, readonly=True)
        try:
            report = skm.compute(conn, self.config, skm.skm_period(
                "month", self.opts.day.year, self.opts.day.month))
        finally:
            conn.close()
        (self.opts.out / "skm-report.pdf").write_bytes(skm.to_pdf(report, self.config))
        (self.opts.out / "skm-report.xlsx").write_bytes(skm.to_xlsx(report))
        self.say(f"{survey.summary_line(report)} -> {self.opts.out / 'skm-report.pdf'}")

    def _check_and_report(self, stations: list[dict[str, Any]], run: dict[str, Any]
                          ) -> dict[str, Any]:
        conn = connect(self.ledger, readonly=True)
        try:
            acknowledged = [a["ticket"] for s in stations if s["role"] == "kiosk"
                            for a in s["acknowledged"]]
            checks = [
                inv.check_acknowledged(conn, acknowledged),
                inv.check_numbers(conn),
                *inv.check_replay(conn),
                inv.check_hours(conn, self.plan),
                inv.check_replicas(conn, stations),
                inv.check_boards(conn, [s for s in stations if s["role"] == "display"]),
                inv.check_station_errors(stations),
                inv.check_end_of_day(conn),
            ]
            from shared.ledger.queries import LedgerReader

            rows = LedgerReader(conn, self.config).figures(self.opts.day, by="agency")
            checks.append(inv.check_figures(rows, total_figures(conn, self.opts.day)))
        finally:
            conn.close()
        checks.append(inv.check_verify(self.ledger, self.config))
        conn = connect(self.ledger, readonly=True)
        try:
            report = build_report(conn, self.plan, stations, self.opts.visitors, run, checks)
        finally:
            conn.close()
        write_report(report, self.opts.out)
        if self.opts.survey_share:
            self._skm_report()
        return report


def _pump(stream: IO[str] | None, lines: queue.Queue[str | None]) -> None:
    assert stream is not None
    with contextlib.suppress(ValueError, OSError):
        for line in stream:
            lines.put(line)
    lines.put(None)


def simulate(opts: SimOptions, progress: Callable[[str], None] | None = None
             ) -> dict[str, Any]:
    return Simulation(opts, progress).run()
