"""Hub benchmarks: fan-out latency to 34 displays, kiosk round trip, throughput through the hub,
catch-up of 20,000 events, hub memory.

    .venv/bin/python benchmarks/bench_hub.py [--quick | --catch-up-only | --stall-only]

Arrangement (one machine, loopback):
- the hub: one real process, started as `antrean hub` is in a hall (`python -m antrean hub
  --ledger L --config tests/data/busy_hall.toml --host 127.0.0.1 --no-mdns --simulated-clock
  2026-11-30T09:00+07:00`), with the 40 stations enrolled in its auth store beforehand;
- two helper processes with 17 display HubClients each (asyncio, no replica: what is measured is
  the hub's fan-out, not 34 replicas fsyncing on the one disk this machine has — on a hall LAN
  each display writes its own disk);
- one helper process with 3 kiosks and 3 counters (HubClients, the counters signed in with a
  PIN); helpers are this script run with --helper;
- this process only starts, orders ("go", "stop" on the helpers' stdin) and adds up; it runs
  the in-process baseline for (c) and the catch-up client for (d) after the load.
Times across processes use time.monotonic() (CLOCK_MONOTONIC: one clock for the whole machine).

(a) call -> event at every display: a counter stamps the moment it sends call_next; each
    display stamps the moment its client hands it the frame's ticket.called event. Load: 3
    kiosks issuing every 100 ms each and 3 counters calling every 150 ms each (about 50 commands
    a second: a hall's peak is a few a second). Aim: p99 <= 50 ms.
(b) issue round trip from a kiosk under that load: send -> result. Aim: p99 <= 20 ms.
(c) commands per second through the hub: 10 kiosks and 10 counters (the hall's 3 + 3 and 7 + 7
    more, so that the hub's per-station limit of 50 commands/s is not what is measured) as fast
    as they can, each waiting for its reply, 34 displays receiving every event; against
    `Ledger.execute` in this process on the same disk with the same issue/call_next mix, run
    before and after the hall (the machine may be shared; the mean is used). Only commands that
    wrote events count (a call on an empty line writes nothing). Aim: ratio >= 0.3.
(d) catch-up: a new station (HubClient, fresh replica) joins a hub whose ledger holds 20,000
    events, from hello until its replica holds them all; also without a replica (hub + wire +
    parsing only). The 20,000-event ledger is built beforehand the way bench_ledger builds its
    history (the ledger's own decide/insert/apply, many commands a transaction). Aim: <= 1 s.
(e) hub memory: VmRSS from /proc/PID/status: started, 40 stations idle, after the load; and
    the catch-up hub before and after serving the 20,000 events.
(f) slow readers: a hub on a 7,000-event ledger; 150 connections with ONE display token, each
    a raw socket with a 4 KiB receive buffer (SO_RCVBUF) that sends the upgrade and a hello
    from seq 0 and then never reads (opened by a helper process). Meanwhile a kiosk issues a
    ticket every 20 ms, /health is asked every 0.25 s and a second kiosk connects afresh; the
    hub's VmRSS is sampled. Run
    twice: with the default cap of connections per token (most of the 150 are refused at the
    hello) and with the cap raised to 200 (all 150 are served, and only backpressure bounds
    them). Baseline, same run: the kiosk's round trip before the slow readers came.
    Aim: VmRSS < 120 MiB, issue p99 < 100 ms, every /health answered, the fresh kiosk welcomed.
(g) 40 displays (HubClients, no replica, in 2 helper processes) say hello from seq 0 at once
    to a hub whose ledger holds 7,000 events: seconds until the last of them holds them all.
    Baseline, same run: one display alone. Aim: < 2 s.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import logging
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from shared.clock import ManualClock
from shared.config import load_config
from shared.hub.auth import AuthStore
from shared.ledger.ledger import Ledger
from shared.ledger.model import TICKET_CALLED, Actor, Command, CommandRefused, Event
from shared.ledger.projection import apply_event, insert_event
from shared.ledger.store import immediate
from shared.station.client import HubClient
from shared.station.replica import Replica
from tests.helpers.slow_station import never_reads

ROOT = Path(__file__).resolve().parents[1]
BUSY_HALL = ROOT / "tests" / "data" / "busy_hall.toml"
WIB = dt.timezone(dt.timedelta(hours=7))
MONDAY_0900 = dt.datetime(2026, 11, 30, 9, 0, tzinfo=WIB)
CLOCK = "2026-11-30T09:00:00+07:00"
DISPLAYS, DISPLAY_HELPERS, KIOSKS = 34, 2, 3
COUNTERS = (1, 2, 7)  # busy_hall: 1 and 2 serve queues A and B, 7 serves C
MORE_KIOSKS, MORE_COUNTERS = 7, (3, 4, 5, 6, 8, 9, 10)  # join for (c) only
SERVICES = ("ktp", "kk", "bpjs")
PIN = "1357"


# --- small helpers -------------------------------------------------------------------------


def pct(xs: list[float], p: float) -> float:
    s = sorted(xs)
    return s[min(len(s) - 1, max(0, round(p / 100 * len(s)) - 1))]


def ms(x: float) -> str:
    return f"{x * 1000:6.1f} ms"


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def verdict(ok: bool) -> str:
    return "OK" if ok else "MISSED"


class Hub:
    """A hub process, started the way tests/system/conftest.py's HubProcess starts one."""

    def __init__(self, ledger: Path, config: Path, *extra: str) -> None:
        self.ledger = ledger
        self.config = config
        self.extra = extra
        self.port = free_port()
        self.url = f"ws://127.0.0.1:{self.port}/ws"
        self.auth = ledger.with_name("hub-auth.db")
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        log = open(self.ledger.with_name("hub.log"), "ab")  # noqa: SIM115
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "antrean", "hub", "--ledger", str(self.ledger),
             "--config", str(self.config), "--host", "127.0.0.1", "--port", str(self.port),
             "--no-mdns", "--simulated-clock", CLOCK, *self.extra],
            stdout=log, stderr=subprocess.STDOUT, cwd=ROOT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"})
        log.close()
        deadline = time.monotonic() + 30
        while True:
            try:
                self.health()
                return
            except OSError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    log_text = self.ledger.with_name("hub.log").read_text()[-2000:]
                    raise RuntimeError(f"hub did not start: {log_text}") from None
                time.sleep(0.05)  # polling a starting server

    def health(self) -> dict[str, Any]:
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/health", timeout=5) as r:
            return dict(json.load(r))

    def rss(self) -> int:
        assert self.proc is not None
        return rss_kib(self.proc.pid)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(20)


# --- helper processes ----------------------------------------------------------------------


async def read_line() -> str:
    return (await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)).strip()


async def helper_displays(url: str, tokens: list[str], out: Path) -> None:
    received: dict[int, list[float]] = {}

    def recorder(events: list[Event]) -> None:
        now = time.monotonic()
        for e in events:
            if e.kind == TICKET_CALLED:
                received.setdefault(e.seq, []).append(now)

    clients = [HubClient(url, t, None, recorder) for t in tokens]
    await asyncio.gather(*(c.start(timeout=60) for c in clients))
    print("ready", flush=True)
    await read_line()  # "stop"
    await asyncio.gather(*(c.close() for c in clients))
    out.write_text(json.dumps({str(k): v for k, v in received.items()}))
    print("done", flush=True)


async def helper_load(url: str, tokens: dict[str, Any], out: Path, latency_s: float,
                      throughput_s: float) -> None:
    """The hall's 3 kiosks and 3 counters for (a)/(b); for (c) 7 more of each join, so that
    the hub's per-station limit (50 commands/s, burst 200) is not what (c) measures."""

    async def connect(kiosk_tokens: list[str], counter_tokens: list[list[Any]]
                      ) -> tuple[list[HubClient], list[tuple[HubClient, int]]]:
        kiosks = [HubClient(url, t) for t in kiosk_tokens]
        counters = [(HubClient(url, t), n) for t, n in counter_tokens]
        await asyncio.gather(*(c.start(timeout=60) for c in kiosks),
                             *(c.start(timeout=60) for c, _ in counters))
        for c, n in counters:
            r = await c.sign_in(f"petugas{n}", PIN, n)
            assert r.ok, r.refusal
        return kiosks, counters

    kiosks, counters = await connect(tokens["kiosks"], tokens["counters"])
    print("ready", flush=True)
    await read_line()  # "go"

    issue_rtt: list[float] = []
    call_sent: dict[int, float] = {}
    refusals: list[str] = []
    empty_calls: list[int] = []

    async def kiosk(c: HubClient, k: int, until: float, period: float | None) -> int:
        n = 0
        while time.monotonic() < until:
            t0 = time.monotonic()
            r = await c.command("issue_ticket", {"service": SERVICES[(n + k) % 3]})
            if period is not None:
                issue_rtt.append(time.monotonic() - t0)
            if r.ok:
                n += 1
            else:
                refusals.append(r.refusal.code if r.refusal else "?")
            if period is not None:
                await asyncio.sleep(max(0.0, t0 + period - time.monotonic()))  # pacing
        return n

    async def counter(c: HubClient, number: int, until: float, period: float | None) -> int:
        n = 0
        while time.monotonic() < until:
            t0 = time.monotonic()
            r = await c.command("call_next", {"counter": number})
            if not r.ok:
                refusals.append(r.refusal.code if r.refusal else "?")
            elif not r.value.get("seq"):
                empty_calls.append(1)  # an empty line: nothing written, not counted
            else:
                n += 1
                if r.value.get("ticket") and period is not None:
                    call_sent[int(r.value["seq"][-1])] = t0
            if period is not None:
                await asyncio.sleep(max(0.0, t0 + period - time.monotonic()))  # pacing
        return n

    async def phase(seconds: float, kiosk_period: float | None, counter_period: float | None
                    ) -> tuple[int, float]:
        until = time.monotonic() + seconds
        t0 = time.monotonic()
        done = await asyncio.gather(
            *(kiosk(c, k, until, kiosk_period) for k, c in enumerate(kiosks)),
            *(counter(c, n, until, counter_period) for c, n in counters))
        return sum(done), time.monotonic() - t0

    latency_cmds, latency_elapsed = await phase(latency_s, 0.100, 0.150)
    first = {"empty": len(empty_calls), "refusals": list(refusals)}
    empty_calls.clear()
    refusals.clear()
    more_kiosks, more_counters = await connect(tokens["more_kiosks"], tokens["more_counters"])
    kiosks += more_kiosks
    counters += more_counters
    through_cmds, through_elapsed = await phase(throughput_s, None, None)
    await asyncio.gather(*(c.close() for c in kiosks), *(c.close() for c, _ in counters))
    out.write_text(json.dumps({
        "issue_rtt": issue_rtt, "call_sent": {str(k): v for k, v in call_sent.items()},
        "latency_cmds": latency_cmds, "latency_elapsed": latency_elapsed,
        "through_cmds": through_cmds, "through_elapsed": through_elapsed,
        "through_writers": len(kiosks) + len(counters),
        "refusals": first["refusals"], "empty_latency": first["empty"],
        "refusals_through": refusals, "empty_through": len(empty_calls)}))
    print("done", flush=True)


async def helper_from_zero(url: str, tokens: list[str], out: Path, target: int) -> None:
    """Displays that say hello from seq 0 at once ("go"); each notes when it holds `target`."""
    held: list[float] = []
    clients = [HubClient(url, t) for t in tokens]
    print("ready", flush=True)
    await read_line()  # "go"
    t0 = time.monotonic()

    async def one(c: HubClient) -> None:
        await c.start(timeout=60)
        while c.last_seq < target:
            await c.caught_up.wait()
        held.append(time.monotonic() - t0)

    await asyncio.wait_for(asyncio.gather(*(one(c) for c in clients)), 120)
    await asyncio.gather(*(c.close() for c in clients))
    out.write_text(json.dumps(held))
    print("done", flush=True)


def helper_main(args: argparse.Namespace) -> int:
    tokens = json.loads(Path(args.tokens).read_text())
    if args.helper == "slow":
        helper_slow(int(args.port), tokens["board"], int(args.count))
    elif args.helper == "from-zero":
        asyncio.run(helper_from_zero(args.url, tokens["displays"], Path(args.out),
                                     int(args.target)))
    elif args.helper == "displays":
        asyncio.run(helper_displays(args.url, tokens["displays"], Path(args.out)))
    else:
        asyncio.run(helper_load(args.url, tokens, Path(args.out), args.latency_s,
                                args.throughput_s))
    return 0


class Helper:
    def __init__(self, kind: str, url: str, tokens: dict[str, Any], folder: Path, name: str,
                 **extra: float) -> None:
        tok = folder / f"{name}.tokens.json"
        tok.write_text(json.dumps(tokens))
        self.out = folder / f"{name}.out.json"
        cmd = [sys.executable, __file__, "--helper", kind, "--url", url, "--tokens", str(tok),
               "--out", str(self.out)]
        for k, v in extra.items():
            cmd += [f"--{k.replace('_', '-')}", str(v)]
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     text=True, cwd=ROOT)

    def expect(self, word: str) -> None:
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline().strip()
        if line != word:
            raise RuntimeError(f"helper said {line!r}, expected {word!r}")

    def tell(self, word: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(word + "\n")
        self.proc.stdin.flush()

    def result(self) -> dict[str, Any]:
        return dict(self.output())

    def output(self) -> Any:
        self.proc.wait(60)
        return json.loads(self.out.read_text())


# --- (a), (b), (c), (e): the hall under load -------------------------------------------------


def run_hall(folder: Path, quick: bool) -> dict[str, Any]:
    hub = Hub(folder / "hall" / "ledger.db", BUSY_HALL)
    hub.ledger.parent.mkdir()
    store = AuthStore(hub.auth)
    displays = [store.enroll(f"board-{i + 1}", "display") for i in range(DISPLAYS)]
    kiosks = [store.enroll(f"kiosk-{i + 1}", "kiosk") for i in range(KIOSKS + MORE_KIOSKS)]
    counters = [[store.enroll(f"loket-{n}", "counter", n), n]
                for n in COUNTERS + MORE_COUNTERS]
    for n in COUNTERS + MORE_COUNTERS:
        store.add_officer(f"petugas{n}", f"Petugas {n}", PIN)
    store.close()
    hub.start()
    rss: dict[str, int] = {"started": hub.rss()}
    per = DISPLAYS // DISPLAY_HELPERS
    display_helpers = [
        Helper("displays", hub.url, {"displays": displays[i * per:(i + 1) * per]}, folder,
               f"displays-{i}") for i in range(DISPLAY_HELPERS)]
    latency_s, throughput_s = (6.0, 4.0) if quick else (20.0, 10.0)
    writers = {"kiosks": kiosks[:KIOSKS], "counters": counters[:len(COUNTERS)],
               "more_kiosks": kiosks[KIOSKS:], "more_counters": counters[len(COUNTERS):]}
    load = Helper("load", hub.url, writers, folder, "load",
                  latency_s=latency_s, throughput_s=throughput_s)
    try:
        for h in [*display_helpers, load]:
            h.expect("ready")
        stations = hub.health()["stations"]
        rss["40 stations idle"] = hub.rss()
        load.tell("go")
        load.expect("done")
        rss["after the load"] = hub.rss()
        for h in display_helpers:
            h.tell("stop")
        for h in display_helpers:
            h.expect("done")
        received: dict[str, list[float]] = {}
        for h in display_helpers:
            for seq, times in h.result().items():
                received.setdefault(seq, []).extend(times)
        result = load.result()
    finally:
        for h in [*display_helpers, load]:
            if h.proc.poll() is None:
                h.proc.kill()
        health = hub.health() if hub.proc and hub.proc.poll() is None else {}
        hub.stop()
    fanout: list[float] = []
    missing = 0
    for seq, sent in result["call_sent"].items():
        times = received.get(seq, [])
        missing += DISPLAYS - len(times)
        fanout.extend(t - sent for t in times)
    return {"stations": stations, "fanout": fanout, "missing": missing,
            "calls": len(result["call_sent"]), "rss": rss, "last_seq": health.get("last_seq"),
            **result}


def inprocess_rate(folder: Path, seconds: float) -> float:
    """Ledger.execute in this process: the same issue/call_next mix, one command at a time."""
    config = load_config(BUSY_HALL)
    led = Ledger(folder / "inproc.db", config, ManualClock(MONDAY_0900))
    officers = {n: Actor(f"loket-{n}", f"petugas{n}") for n in COUNTERS}
    for n, who in officers.items():
        assert led.run("sign_in", who, counter=n).ok
    done, i = 0, 0
    t0 = time.monotonic()
    while time.monotonic() - t0 < seconds:
        assert led.execute(Command("issue_ticket", {"service": SERVICES[i % 3]},
                                   Actor("kiosk-1"))).ok
        n = COUNTERS[i % 3]
        assert led.execute(Command("call_next", {"counter": n}, officers[n])).ok
        done += 2
        i += 1
    elapsed = time.monotonic() - t0
    led.close()
    return done / elapsed


# --- (d) catch-up ----------------------------------------------------------------------------


def build_ledger(path: Path, target: int) -> int:
    """Tickets issued, called, started and finished until the log holds `target` events, with
    the ledger's own rules, many commands a transaction (setup only)."""
    config = load_config(BUSY_HALL)
    clock = ManualClock(MONDAY_0900)
    led = Ledger(path, config, clock)
    counters = sorted(config.counters)
    written = 0

    def run(kind: str, actor: Actor, **args: Any) -> list[Event]:
        nonlocal written
        try:
            events = led._decide(Command(kind, args, actor))
        except CommandRefused:
            return []
        for e in events:
            insert_event(led.conn, e)
            apply_event(led.conn, e)
        written += len(events)
        return events

    officers = {n: Actor(f"loket-{n}", f"petugas{n}") for n in counters}
    with immediate(led.conn):
        for n in counters:
            run("sign_in", officers[n], counter=n)
        i = 0
        while written < target:
            run("issue_ticket", Actor("kiosk-1"), service=SERVICES[i % 3])
            if i % 2 == 1 and written < target:
                n = counters[(i // 2) % len(counters)]
                if run("call_next", officers[n], counter=n) and written < target:
                    run("start", officers[n], counter=n)
            clock.advance(seconds=1)
            i += 1
    seq = led.reader.last_seq()
    led.close()
    return seq


async def catch_up(url: str, token: str, replica_path: Path | None, target: int
                   ) -> tuple[float, float]:
    """Seconds from start to the last event held, and of those, in Replica.apply."""
    replica = Replica(replica_path) if replica_path else None
    done = asyncio.Event()
    applying = 0.0
    if replica is not None:
        apply = replica.apply

        def timed(events: list[Event]) -> list[Event]:
            nonlocal applying
            t = time.perf_counter()
            try:
                return apply(events)
            finally:
                applying += time.perf_counter() - t

        replica.apply = timed  # type: ignore[method-assign]

    def on_events(events: list[Event]) -> None:
        if events[-1].seq >= target:
            done.set()

    client = HubClient(url, token, replica, on_events)
    t0 = time.monotonic()
    await client.start(timeout=30)
    await asyncio.wait_for(done.wait(), 60)
    elapsed = time.monotonic() - t0
    await client.close()
    if replica is not None:
        assert replica.last_seq == target
        replica.close()
    return elapsed, applying


def run_catch_up(folder: Path, target: int, runs: int = 3) -> dict[str, Any]:
    hub = Hub(folder / "history" / "ledger.db", BUSY_HALL)
    hub.ledger.parent.mkdir()
    t = time.monotonic()
    events = build_ledger(hub.ledger, target)
    built = time.monotonic() - t
    store = AuthStore(hub.auth)
    token = store.enroll("board-new", "display")
    store.close()
    hub.start()
    try:
        rss = {"started on 20k events": hub.rss()}
        with_replica = [asyncio.run(catch_up(hub.url, token, folder / f"new-{i}.db", events))
                        for i in range(runs)]
        rss[f"after {runs} catch-ups"] = hub.rss()
        bare = [asyncio.run(catch_up(hub.url, token, None, events))[0] for _ in range(runs)]
    finally:
        hub.stop()
    return {"events": events, "built_s": built, "replica": with_replica, "bare": bare,
            "rss": rss}


def print_catch_up(c: dict[str, Any]) -> None:
    total = [t for t, _ in c["replica"]]
    applying = [a for _, a in c["replica"]]
    runs = len(total)
    print(f"\n(d) catch-up of {c['events']:,} events by a new station (ledger built in "
          f"{c['built_s']:.1f} s); {runs} runs each")
    print(f"    fresh replica : {' '.join(f'{x:.2f} s' for x in total)}   median "
          f"{statistics.median(total):.2f} s   aim <= 1 s  "
          f"{verdict(statistics.median(total) <= 1.0)}")
    print(f"      of which Replica.apply: {' '.join(f'{x:.2f} s' for x in applying)}   "
          f"({statistics.median(applying) / statistics.median(total):.0%} of the median)")
    print(f"    no replica    : {' '.join(f'{x:.2f} s' for x in c['bare'])}   median "
          f"{statistics.median(c['bare']):.2f} s   (hub + wire + parsing)")


# --- (f) slow readers, (g) 40 displays from zero ---------------------------------------------

SLOW_READERS, FROM_ZERO, FROM_ZERO_HELPERS, SMALL_LEDGER = 150, 40, 2, 7000


async def kiosk_while(url: str, token: str, seconds: float) -> list[float]:
    """Issue round trips, one every 20 ms, for `seconds`."""
    c = HubClient(url, token)
    await c.start(timeout=30)
    rtt: list[float] = []
    until = time.monotonic() + seconds
    while time.monotonic() < until:
        t0 = time.monotonic()
        r = await c.command("issue_ticket", {"service": SERVICES[len(rtt) % 3]}, timeout=30)
        assert r.ok, r.refusal
        rtt.append(time.monotonic() - t0)
        await asyncio.sleep(max(0.0, t0 + 0.020 - time.monotonic()))  # pacing
    await c.close()
    return rtt


async def watch_hub(hub: Hub, seconds: float) -> tuple[int, int, int]:
    """(highest VmRSS KiB, /health answered, /health failed) sampled every 0.25 s."""
    peak, ok, failed = hub.rss(), 0, 0
    loop = asyncio.get_running_loop()
    until = time.monotonic() + seconds
    while time.monotonic() < until:
        peak = max(peak, hub.rss())
        try:
            await loop.run_in_executor(None, hub.health)
            ok += 1
        except OSError:
            failed += 1
        await asyncio.sleep(0.25)  # the sampling period
    return max(peak, hub.rss()), ok, failed


async def fresh_kiosk_welcome(url: str, token: str) -> float:
    t0 = time.monotonic()
    c = HubClient(url, token)
    await c.start(timeout=30)
    await c.close()
    return time.monotonic() - t0


def helper_slow(port: int, token: str, count: int) -> None:
    """`count` slow readers, opened on "go" and held until "stop" (in their own process, so
    that what they cost this machine is not charged to the kiosk being measured)."""
    print("ready", flush=True)
    sys.stdin.readline()  # "go"
    socks = [never_reads(port, token) for _ in range(count)]
    print("connected", flush=True)
    sys.stdin.readline()  # "stop"
    for sock in socks:
        sock.close()
    print("done", flush=True)


def run_slow_readers(folder: Path, name: str, *hub_args: str, seconds: float = 8.0
                     ) -> dict[str, Any]:
    hub = Hub(folder / name / "ledger.db", BUSY_HALL, *hub_args)
    hub.ledger.parent.mkdir()
    build_ledger(hub.ledger, SMALL_LEDGER)
    store = AuthStore(hub.auth)
    board = store.enroll("board-hostile", "display")
    kiosk, fresh = store.enroll("kiosk-1", "kiosk"), store.enroll("kiosk-2", "kiosk")
    store.close()
    hub.start()
    slow = Helper("slow", hub.url, {"board": board}, folder, f"{name}-slow",
                  port=hub.port, count=SLOW_READERS)
    try:
        slow.expect("ready")
        started = hub.rss()
        before = asyncio.run(kiosk_while(hub.url, kiosk, 2.0))

        async def during() -> tuple[list[float], tuple[int, int, int], float]:
            loop = asyncio.get_running_loop()
            watch = asyncio.create_task(watch_hub(hub, seconds))
            issuing = asyncio.create_task(kiosk_while(hub.url, kiosk, seconds))
            slow.tell("go")
            await loop.run_in_executor(None, slow.expect, "connected")
            welcome = await fresh_kiosk_welcome(hub.url, fresh)
            return await issuing, await watch, welcome

        rtt, (peak, health_ok, health_failed), welcome = asyncio.run(during())
        connected = hub.health()["stations"]
        slow.tell("stop")
        slow.expect("done")
    finally:
        if slow.proc.poll() is None:
            slow.proc.kill()
        hub.stop()
    return {"started": started, "peak": peak, "before": before, "rtt": rtt,
            "health_ok": health_ok, "health_failed": health_failed, "welcome": welcome,
            "stations": connected}


def print_slow_readers(label: str, r: dict[str, Any]) -> None:
    p99, base = pct(r["rtt"], 99), pct(r["before"], 99)
    print(f"    {label}: {r['stations']} of them in the live stream (caught up) at the end")
    print(f"      VmRSS {r['started'] / 1024:.0f} MiB at start -> peak {r['peak'] / 1024:.0f} MiB"
          f"   aim < 120 MiB  {verdict(r['peak'] < 120 * 1024)}")
    print(f"      kiosk issue round trip meanwhile ({len(r['rtt'])} issues): p50 "
          f"{ms(pct(r['rtt'], 50))}  p99 {ms(p99)}  max {ms(max(r['rtt']))}; before the slow "
          f"readers p99 {ms(base)} (ratio {p99 / base:.1f})   aim p99 < 100 ms  "
          f"{verdict(p99 < 0.100)}")
    print(f"      /health: {r['health_ok']} answered, {r['health_failed']} failed; a fresh kiosk "
          f"welcomed in {ms(r['welcome'])}   "
          f"{verdict(r['health_failed'] == 0 and r['welcome'] < 5)}")


def run_from_zero(folder: Path) -> dict[str, Any]:
    hub = Hub(folder / "from-zero" / "ledger.db", BUSY_HALL)
    hub.ledger.parent.mkdir()
    events = build_ledger(hub.ledger, SMALL_LEDGER)
    store = AuthStore(hub.auth)
    tokens = [store.enroll(f"board-{i + 1}", "display") for i in range(FROM_ZERO + 1)]
    store.close()
    hub.start()
    per = FROM_ZERO // FROM_ZERO_HELPERS
    try:
        alone = Helper("from-zero", hub.url, {"displays": tokens[-1:]}, folder, "alone",
                       target=events)
        alone.expect("ready")
        alone.tell("go")
        alone.expect("done")
        one = float(alone.output()[0])
        helpers = [Helper("from-zero", hub.url, {"displays": tokens[i * per:(i + 1) * per]},
                          folder, f"from-zero-{i}", target=events)
                   for i in range(FROM_ZERO_HELPERS)]
        for h in helpers:
            h.expect("ready")
        for h in helpers:
            h.tell("go")
        for h in helpers:
            h.expect("done")
        held = [float(t) for h in helpers for t in h.output()]
        rss = hub.rss()
    finally:
        hub.stop()
    return {"events": events, "alone": one, "held": held, "rss": rss}


def print_from_zero(r: dict[str, Any]) -> None:
    last = max(r["held"])
    print(f"\n(g) {len(r['held'])} displays from seq 0 at once, {r['events']:,} events each")
    print(f"    all caught up in {last:.2f} s (median display {statistics.median(r['held']):.2f} "
          f"s); one display alone {r['alone']:.2f} s (ratio {last / r['alone']:.1f}); hub "
          f"VmRSS after {r['rss'] / 1024:.0f} MiB   aim < 2 s  {verdict(last < 2.0)}")


def run_stalls(folder: Path) -> None:
    print(f"\n(f) {SLOW_READERS} slow readers (one display token, hello from 0, never read) "
          f"against a {SMALL_LEDGER:,}-event ledger, for 8 s")
    print_slow_readers("default cap per token", run_slow_readers(folder, "slow-default"))
    print_slow_readers("cap raised to 200", run_slow_readers(
        folder, "slow-200", *CAP_200))
    print_from_zero(run_from_zero(folder))


CAP_200 = ("--max-connections-per-token", "200")


# --- main ------------------------------------------------------------------------------------


def main() -> int:
    # The hub runs on a simulated clock: every station here warns that its own clock differs.
    logging.getLogger("shared.station.protocol").setLevel(logging.ERROR)
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="shorter load, for a smoke test")
    p.add_argument("--catch-up-only", action="store_true",
                   help="only (d), five runs each: a new replica catching up 20,000 events")
    p.add_argument("--stall-only", action="store_true",
                   help="only (f), (g) and (d): slow readers, 40 displays from 0, a new replica")
    p.add_argument("--helper", choices=("displays", "load", "from-zero", "slow"),
                   help=argparse.SUPPRESS)
    p.add_argument("--target", type=int, default=0, help=argparse.SUPPRESS)
    p.add_argument("--port", type=int, default=0, help=argparse.SUPPRESS)
    p.add_argument("--count", type=int, default=0, help=argparse.SUPPRESS)
    p.add_argument("--url", help=argparse.SUPPRESS)
    p.add_argument("--tokens", help=argparse.SUPPRESS)
    p.add_argument("--out", help=argparse.SUPPRESS)
    p.add_argument("--latency-s", type=float, default=20.0, help=argparse.SUPPRESS)
    p.add_argument("--throughput-s", type=float, default=10.0, help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.helper:
        return helper_main(args)

    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, load average "
          f"{' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    if args.stall_only:
        with tempfile.TemporaryDirectory(prefix="bench-hub-") as tmp:
            run_stalls(Path(tmp))
            print_catch_up(run_catch_up(Path(tmp), 20_000))
        return 0
    if args.catch_up_only:
        with tempfile.TemporaryDirectory(prefix="bench-hub-") as tmp:
            print_catch_up(run_catch_up(Path(tmp), 20_000, runs=5))
        return 0
    print(f"stations: {DISPLAYS} displays in {DISPLAY_HELPERS} helper processes, {KIOSKS} kiosks "
          f"+ {len(COUNTERS)} counters in 1 helper process; hub in its own process")
    with tempfile.TemporaryDirectory(prefix="bench-hub-") as tmp:
        folder = Path(tmp)
        baseline_s = 3.0 if args.quick else 6.0
        (folder / "before").mkdir()
        (folder / "after").mkdir()
        local_before = inprocess_rate(folder / "before", baseline_s)
        r = run_hall(folder, args.quick)
        print(f"\nhub saw {r['stations']} stations connected; the load ran "
              f"{r['latency_cmds']} commands in {r['latency_elapsed']:.1f} s "
              f"({r['latency_cmds'] / r['latency_elapsed']:.0f}/s), {r['calls']} calls; "
              f"refusals: {sorted(set(r['refusals'])) or 'none'}")
        f = r["fanout"]
        print(f"\n(a) call_next sent -> ticket.called at each of {DISPLAYS} displays "
              f"({len(f)} deliveries, {r['missing']} missing)")
        print(f"    p50 {ms(pct(f, 50))}  p99 {ms(pct(f, 99))}  max {ms(max(f))}   "
              f"aim p99 <= 50 ms  {verdict(pct(f, 99) <= 0.050 and r['missing'] == 0)}")
        rtt = r["issue_rtt"]
        print(f"\n(b) issue_ticket round trip from a kiosk ({len(rtt)} issues, under the load)")
        print(f"    p50 {ms(pct(rtt, 50))}  p99 {ms(pct(rtt, 99))}  max {ms(max(rtt))}   "
              f"aim p99 <= 20 ms  {verdict(pct(rtt, 99) <= 0.020)}")

        hub_rate = r["through_cmds"] / r["through_elapsed"]
        local_after = inprocess_rate(folder / "after", baseline_s)
        local = (local_before + local_after) / 2
        print("\n(c) commands per second that wrote events (issue_ticket + call_next)")
        print(f"    through the hub ({r['through_writers']} writing stations, 34 displays "
              f"listening): {hub_rate:7.0f} /s   (calls on an empty line, not counted: "
              f"{r['empty_through']}; refusals: "
              f"{sorted(set(r['refusals_through'])) or 'none'})")
        print(f"    Ledger.execute in this process, same disk, before/after: "
              f"{local_before:.0f} /s, {local_after:.0f} /s")
        print(f"    ratio {hub_rate / local:.2f} (to the mean)   aim >= 0.3  "
              f"{verdict(hub_rate / local >= 0.3)}")

        c = run_catch_up(folder, 20_000)
        print_catch_up(c)

        print("\n(e) hub memory (VmRSS)")
        for k, v in {**r["rss"], **c["rss"]}.items():
            print(f"    {k:24}: {v / 1024:6.1f} MiB")
        run_stalls(folder)
    return 0


if __name__ == "__main__":
    sys.exit(main())
