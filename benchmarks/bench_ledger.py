"""Ledger benchmarks: durable command throughput, call_next latency in a full hall, rebuild time.

    .venv/bin/python benchmarks/bench_ledger.py [--quick]

(a) Durable commands per second: cycles of issue_ticket + call_next + finish through
    `Ledger.execute` (WAL, synchronous=FULL, BEGIN IMMEDIATE, one fsync per command), against a
    plain SQLite loop on the same disk (WAL, synchronous=FULL, one INSERT of an event-sized row
    per transaction). Runs alternate and the median is kept, because the machine may be shared.
    Aim: ledger / plain >= 0.5.
(b) call_next latency with 5,000 waiting tickets across the example hall's services
    (shared/examples/sukoharjo.toml; a generated 140-service hall if that file is missing), all
    counters signed in, calls rotating over the counters; one ticket is issued (not timed) after
    each call so the line stays at 5,000. Durable, and again with synchronous=OFF to show what is
    disk and what is CPU, and once more durable on tmpfs (/dev/shm, where fsync costs nothing) to
    show the ledger's own work. Beside it, the disk's floor: a bare one-INSERT durable commit.
    Aim: p99 <= 2 ms (durable).
(c) Rebuilding the projection from 50,000 events (and verify(), which replays into memory).
    Aim: <= 2 s.
(d) The WAL file's size: bytes appended per ticket, its largest in steady state (the
    wal_autocheckpoint bound), while a reader holds a snapshot (a backup copying), and after the
    reader lets go, with shared.ledger.store's journal_size_limit and without it (as before).
    Aim: back under WAL_LIMIT_BYTES once the reader is done.

Setup shortcut, used for (b) and (c) only: the 5,000 tickets and the 50,000 events are written by
`Ledger._decide` + `insert_event` + `apply_event` — exactly what `execute` does — but many
commands per transaction (one fsync per batch instead of one per command). The rules (hours,
quotas, numbering) are all applied; only idempotency look-ups and listeners are skipped.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from shared.clock import ManualClock
from shared.config import HallConfig, example_config_path, load_config, loads_config
from shared.ledger.ledger import Ledger
from shared.ledger.model import Actor, Command, CommandRefused, Event
from shared.ledger.projection import apply_event, insert_event
from shared.ledger.store import WAL_LIMIT_BYTES, immediate

WIB = dt.timezone(dt.timedelta(hours=7))
MONDAY_0800 = dt.datetime(2026, 11, 30, 8, 0, tzinfo=WIB)
KIOSK = Actor("kiosk-1")
MB = 1024 * 1024
SMALL_HALL = Path(__file__).resolve().parents[1] / "tests" / "data" / "small_hall.toml"


# --- helpers -------------------------------------------------------------------------------------


def pct(xs: list[float], p: float) -> float:
    s = sorted(xs)
    return s[min(len(s) - 1, max(0, round(p / 100 * len(s)) - 1))]


def officer(counter: int) -> Actor:
    return Actor(f"counter-{counter}", f"officer-{counter}")


def generated_hall(services: int = 140, agencies: int = 32) -> HallConfig:
    """A hall shaped like an MPP: 32 agencies, one queue and one or two counters each."""
    lines = ['[mpp]\nname = "MPP Bench"\nkabupaten = "Bench"\nexample = true\n',
             "[schedule.hours]\n" + "".join(
                 f'{d} = "08:00-15:00"\n' for d in ("mon", "tue", "wed", "thu", "fri"))]
    counter = 1
    for a in range(agencies):
        prefix = "".join(chr(65 + int(ch)) for ch in f"{a:02d}")
        lines.append(f'[[agencies]]\ncode = "AG{a}"\nname = "Agency {a}"\n')
        lines.append(f'[[queues]]\nprefix = "{prefix}"\npolicy = "interleave"\n')
        for _ in range(2 if a < 8 else 1):
            lines.append(f'[[counters]]\nnumber = {counter}\nagency = "AG{a}"\n'
                         f'queues = ["{prefix}"]\n')
            counter += 1
        for s in range(a, services, agencies):
            lines.append(f'[[services]]\ncode = "svc-{s}"\nname = "Service {s}"\n'
                         f'agency = "AG{a}"\nqueue = "{prefix}"\nstandard_minutes = 10\n')
    return loads_config("\n".join(lines), "generated")


def hall() -> tuple[HallConfig, str]:
    path = example_config_path()
    if path.exists():
        try:
            return load_config(path), str(path)
        except Exception as e:  # the example is being written by someone else: fall back
            print(f"(example hall unusable: {e}; generating one)")
    return generated_hall(), "generated 140-service hall"


class Batch:
    """Run commands the way `Ledger.execute` does, many per transaction (setup only)."""

    def __init__(self, led: Ledger) -> None:
        self.led = led
        self.written = 0

    def run(self, kind: str, actor: Actor, **args: Any) -> list[Event]:
        try:
            events = self.led._decide(Command(kind, args, actor))
        except CommandRefused:
            return []
        for e in events:
            insert_event(self.led.conn, e)
            apply_event(self.led.conn, e)
        self.written += len(events)
        return events


def fill_waiting(led: Ledger, config: HallConfig, n: int) -> int:
    """Issue n tickets round-robin over the services open at the clock's time."""
    services = sorted(config.services)
    issued, i, misses = 0, 0, 0
    with immediate(led.conn):
        batch = Batch(led)
        while issued < n and misses < len(services):
            if batch.run("issue_ticket", KIOSK, service=services[i % len(services)]):
                issued, misses = issued + 1, 0
            else:  # closed today or quota used up
                misses += 1
            i += 1
    return issued


def ledger_at(folder: Path, name: str, config: HallConfig, start: dt.datetime) -> tuple[
        Ledger, ManualClock]:
    clock = ManualClock(start)
    return Ledger(folder / name, config, clock), clock


# --- (a) durable throughput --------------------------------------------------------------------


def plain_inserts(path: Path, n: int) -> float:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("CREATE TABLE IF NOT EXISTS events (seq INTEGER PRIMARY KEY, data TEXT)")
    row = json.dumps({"service_day": "2026-11-30", "queue": "B", "number": 1, "label": "B-001",
                      "service": "bpjs-daftar", "agency": "BPJSKES", "priority": None})
    t = time.perf_counter()
    for _ in range(n):
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("INSERT INTO events (data) VALUES (?)", (row,))
        conn.execute("COMMIT")
    elapsed = time.perf_counter() - t
    conn.close()
    return n / elapsed


def ledger_cycles(path: Path, cycles: int) -> float:
    config = load_config(SMALL_HALL)
    led = Ledger(path, config, ManualClock(MONDAY_0800 + dt.timedelta(hours=1)))
    who = officer(3)
    led.run("sign_in", who, counter=3)
    t = time.perf_counter()
    for _ in range(cycles):
        assert led.issue_ticket("bpjs-daftar", KIOSK).ok
        assert led.call_next(3, who).ok
        assert led.run("finish", who, counter=3).ok
    elapsed = time.perf_counter() - t
    led.close()
    return 3 * cycles / elapsed


def bench_throughput(folder: Path, quick: bool) -> dict[str, float]:
    rounds, cycles = (2, 300) if quick else (3, 700)
    plain, ours = [], []
    for r in range(rounds):
        plain.append(plain_inserts(folder / f"plain-{r}.db", 3 * cycles))
        ours.append(ledger_cycles(folder / f"ledger-{r}.db", cycles))
    return {"plain": statistics.median(plain), "ledger": statistics.median(ours)}


# --- (b) call_next latency ---------------------------------------------------------------------


def bench_call_next(folder: Path, config: HallConfig, calls: int, durable: bool
                    ) -> dict[str, float]:
    led, clock = ledger_at(folder, f"calls-{durable}.db", config, MONDAY_0800 + dt.timedelta(
        hours=1))
    if not durable:
        led.conn.execute("PRAGMA synchronous=OFF")
    waiting = fill_waiting(led, config, 5000)
    counters = sorted(config.counters)
    for n in counters:
        assert led.run("sign_in", officer(n), counter=n).ok
    # Top-ups go to the services of the counter just called, so every counter keeps a line.
    by_queue = {q: [s.code for s in config.services_in_queue(q)] for q in config.queues}
    wall: list[float] = []
    cpu: list[float] = []
    called = 0
    for i in range(calls):
        n = counters[i % len(counters)]
        c0, t0 = time.process_time(), time.perf_counter()
        r = led.call_next(n, officer(n))
        wall.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
        if r.value.get("ticket"):
            called += 1
            queue = r.value["ticket"]["queue"]
            for svc in by_queue[queue]:
                if led.issue_ticket(svc, KIOSK).ok:
                    break
        clock.advance(seconds=2)
    still = sum(led.reader.waiting_count([q], MONDAY_0800.date()) for q in config.queues)
    led.close()
    return {"waiting_at_start": waiting, "waiting_at_end": still, "calls": calls,
            "called": called, **summary(wall, "wall"), **summary(cpu, "cpu")}


def bare_commit_latency(path: Path, n: int) -> dict[str, float]:
    """The floor under any durable command on this disk: one INSERT, one fsync'd commit."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("CREATE TABLE t (seq INTEGER PRIMARY KEY, data TEXT)")
    wall = []
    for _ in range(n):
        t0 = time.perf_counter()
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("INSERT INTO t (data) VALUES (?)", ("x" * 200,))
        conn.execute("COMMIT")
        wall.append(time.perf_counter() - t0)
    conn.close()
    return summary(wall, "wall")


def summary(xs: list[float], name: str) -> dict[str, float]:
    return {f"{name}_p50_ms": pct(xs, 50) * 1000, f"{name}_p99_ms": pct(xs, 99) * 1000,
            f"{name}_max_ms": max(xs) * 1000}


# --- (c) rebuild --------------------------------------------------------------------------------


def weekdays(start: dt.datetime, config: HallConfig) -> Iterator[dt.datetime]:
    day = start
    while True:
        if config.schedule.hours_on(day.date()) and day.date() not in config.holidays:
            yield day
        day += dt.timedelta(days=1)


def build_history(folder: Path, config: HallConfig, target: int) -> Ledger:
    """Whole service days — tickets issued, called, recalled, started, finished, no-shows —
    until the log holds `target` events."""
    led, clock = ledger_at(folder, "history.db", config, MONDAY_0800)
    counters = sorted(config.counters)
    with immediate(led.conn):
        batch = Batch(led)
        for n in counters:
            batch.run("sign_in", officer(n), counter=n)
        for day in weekdays(MONDAY_0800, config):
            if batch.written >= target:
                break
            clock.set(day + dt.timedelta(hours=1))
            services = sorted(config.services)
            for i in range(2500):
                batch.run("issue_ticket", KIOSK, service=services[i % len(services)])
            busy = True
            k = 0
            while busy and batch.written < target:
                busy = False
                for n in counters:
                    clock.advance(seconds=20)
                    if not any(e.kind == "ticket.called"
                               for e in batch.run("call_next", officer(n), counter=n)):
                        continue
                    busy = True
                    k += 1
                    if k % 5 == 0:
                        batch.run("recall", officer(n), counter=n)
                    if k % 7 == 0:
                        batch.run("no_show", officer(n), counter=n)
                    else:
                        batch.run("start", officer(n), counter=n)
            for n in counters:  # close the day: the last tickets are finished
                batch.run("finish", officer(n), counter=n)
    return led


def bench_rebuild(folder: Path, config: HallConfig, target: int) -> dict[str, float]:
    t = time.perf_counter()
    led = build_history(folder, config, target)
    built = time.perf_counter() - t
    events = led.reader.last_seq()
    tickets = led.conn.execute("SELECT count(*) FROM tickets").fetchone()[0]
    times = []
    for _ in range(3):
        t = time.perf_counter()
        led.rebuild()
        times.append(time.perf_counter() - t)
    t = time.perf_counter()
    ok = led.verify()
    verify_s = time.perf_counter() - t
    led.close()
    return {"events": events, "tickets": tickets, "build_s": built,
            "rebuild_s": statistics.median(times), "verify_s": verify_s, "verify_ok": ok}


# --- (d) WAL size --------------------------------------------------------------------------------


def bench_wal(folder: Path, tickets: int, limited: bool) -> dict[str, float]:
    """Tickets issued one durable command at a time; a reader holds a snapshot (as a backup
    copying the ledger does) for the middle third, then lets go."""
    config = load_config(SMALL_HALL)
    led = Ledger(folder / f"wal-{limited}.db", config,
                 ManualClock(MONDAY_0800 + dt.timedelta(hours=1)))
    if not limited:  # as before shared.ledger.store set journal_size_limit
        led.conn.execute("PRAGMA journal_size_limit=-1")
    wal = Path(f"{led.path}-wal")
    reader = sqlite3.connect(f"file:{led.path}?mode=ro", uri=True)
    sizes: list[int] = []
    per_ticket = 0.0
    pinned_max = 0
    third = tickets // 3
    for i in range(tickets):
        if i == third:
            reader.execute("BEGIN")
            reader.execute("SELECT count(*) FROM events").fetchone()
        if i == 2 * third:
            pinned_max = max(sizes)
            reader.execute("COMMIT")
        assert led.issue_ticket("bpjs-daftar", KIOSK).ok
        sizes.append(wal.stat().st_size)
        if i == 99:
            per_ticket = sizes[-1] / 100  # before the first checkpoint: all of it appended
    steady = max(sizes[:third])
    final = sizes[-1]
    reader.close()
    led.close()
    return {"per_ticket": per_ticket, "steady_max": steady, "pinned_max": pinned_max,
            "final": final}


# --- main --------------------------------------------------------------------------------------


def verdict(ok: bool) -> str:
    return "OK" if ok else "MISSED"


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="smaller runs, for a smoke test")
    args = p.parse_args()
    config, where = hall()
    print(f"hall: {where} ({len(config.services)} services, {len(config.counters)} counters)")
    print(f"sqlite {sqlite3.sqlite_version}, python {sys.version.split()[0]}, "
          f"{os.cpu_count()} CPUs, load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    with tempfile.TemporaryDirectory(prefix="bench-ledger-") as tmp:
        folder = Path(tmp)

        tp = bench_throughput(folder, args.quick)
        ratio = tp["ledger"] / tp["plain"]
        print("\n(a) durable commands per second (issue + call_next + finish cycles)")
        print(f"    plain SQLite durable inserts : {tp['plain']:8.0f} /s")
        print(f"    ledger commands              : {tp['ledger']:8.0f} /s")
        print(f"    ratio                        : {ratio:8.2f}   aim >= 0.5  "
              f"{verdict(ratio >= 0.5)}")

        calls = 600 if args.quick else 2000
        print(f"\n(b) call_next latency, 5,000 waiting, {len(config.counters)} counters, "
              f"{calls} calls (wall clock; CPU = this process's CPU time)")
        for durable in (True, False):
            r = bench_call_next(folder, config, calls, durable)
            mode = "durable (sync=FULL)" if durable else "sync=OFF           "
            aim = f"  aim p99 <= 2 ms  {verdict(r['wall_p99_ms'] <= 2.0)}" if durable else ""
            print(f"    {mode}: p50 {r['wall_p50_ms']:.2f} ms  p99 {r['wall_p99_ms']:.2f} ms  "
                  f"max {r['wall_max_ms']:.1f} ms{aim}")
            print(f"    {'':19}  CPU p50 {r['cpu_p50_ms']:.2f} ms  p99 {r['cpu_p99_ms']:.2f} ms")
        print(f"    (waiting {r['waiting_at_start']} at start, {r['waiting_at_end']} at end; "
              f"{r['called']} of {r['calls']} calls called a ticket)")
        floor = bare_commit_latency(folder / "floor.db", calls // 2)
        print(f"    floor: a bare durable INSERT commit on this disk: p50 "
              f"{floor['wall_p50_ms']:.2f} ms  p99 {floor['wall_p99_ms']:.2f} ms")
        if Path("/dev/shm").is_dir():  # memory-backed: the ledger's own work, without the disk
            with tempfile.TemporaryDirectory(dir="/dev/shm") as shm:
                r = bench_call_next(Path(shm), config, calls, True)
            print(f"    on tmpfs (sync=FULL, no disk): p50 {r['wall_p50_ms']:.2f} ms  "
                  f"p99 {r['wall_p99_ms']:.2f} ms  max {r['wall_max_ms']:.1f} ms")

        target = 10_000 if args.quick else 50_000
        r = bench_rebuild(folder, config, target)
        print(f"\n(c) rebuild the projection from {r['events']:,} events "
              f"({r['tickets']:,} tickets; built in {r['build_s']:.1f} s)")
        print(f"    rebuild : {r['rebuild_s']:.2f} s  aim <= 2 s  "
              f"{verdict(r['rebuild_s'] <= 2.0 * r['events'] / 50_000)}")
        print(f"    verify  : {r['verify_s']:.2f} s  (replay in memory + compare; "
              f"{'equal' if r['verify_ok'] else 'DIFFERENT'})")

        tickets = 1500 if args.quick else 3000
        print(f"\n(d) WAL file size over {tickets:,} tickets, one durable command each; a reader "
              f"holds a snapshot for the middle third")
        for limited in (True, False):
            w = bench_wal(folder, tickets, limited)
            name = (f"journal_size_limit {WAL_LIMIT_BYTES // MB} MB" if limited
                    else "no journal_size_limit (before)")
            print(f"    {name:31}: {w['per_ticket'] / 1024:.0f} KB written per ticket, "
                  f"steady max {w['steady_max'] / MB:.1f} MB, held open {w['pinned_max'] / MB:.1f} "
                  f"MB, after {w['final'] / MB:.1f} MB"
                  + (f"  aim <= {WAL_LIMIT_BYTES // MB} MB after  "
                     f"{verdict(w['final'] <= WAL_LIMIT_BYTES)}" if limited else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
