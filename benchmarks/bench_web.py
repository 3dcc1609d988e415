"""Web station benchmark: 1,000 visitors' ticket pages open over server-sent events while the
counters call.

    .venv/bin/python benchmarks/bench_web.py [--pages 1000] [--calls 20]

Arrangement (one machine, loopback; every process real):
- a hub process (`antrean hub`, the small test hall, simulated clock at Monday 09:00) and a web
  station process (`antrean web`, its own replica, rate limit lifted: every page comes from
  127.0.0.1);
- the tickets: PAGES + 2 × CALLS issued by a kiosk (HubClient) across the three queues that
  have no quota, each page's address read from the web station's replica (the secret in the
  ticket.issued event);
- a second process (this script with --hold) holds the pages: PAGES aiohttp connections to
  `/live/t/{id}-{secret}`, each parsing its event stream (what a phone's EventSource does,
  without rendering);
- two counters (HubClients, officers signed in) call one after the other, one call a second
  (each ticket stays called for 2 s before its counter finishes it and calls the next).

(a) call -> page: the counter stamps the moment it sends call_next; the called ticket's page
    stamps the moment its stream delivers `"called": true`. Aim: p99 <= 1 s.
(b) the counters' call round trip (send -> result) with the pages open, against the same
    calls made just before with no page open. Aim: ratio of the medians <= 1.2.
(c) the web station's RSS (VmRSS) idle and with the pages open, and its CPU (utime + stime from
    /proc) during the calls.
Times across processes use time.monotonic() (one clock for the machine).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from shared.hub.auth import AuthStore
from shared.station.client import HubClient

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "tests" / "data" / "small_hall.toml"
CLOCK = "2026-11-30T09:00:00+07:00"
# Queue -> (service, counter calling it). No quota on these, so a thousand tickets fit.
SERVICES = [("ktp-ganti", 2), ("bpjs-daftar", 3)]
# One call every PACE seconds, the counters in turn: each ticket stays called for
# 2 × PACE before its counter finishes it (a page that is slower than that would see it
# finished, never called, and count as missed).
PACE = 1.0


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, round(p / 100 * (len(xs) - 1)))]


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wait_http(url: str, timeout: float = 20.0) -> dict[str, object]:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                return dict(json.load(r))
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)  # a starting process; bounded by the deadline


def start(argv: list[str], log: Path) -> subprocess.Popen[bytes]:
    with open(log, "ab") as out:
        return subprocess.Popen([sys.executable, "-m", "antrean", *argv], stdout=out,
                                stderr=subprocess.STDOUT, cwd=ROOT,
                                env={**os.environ, "PYTHONUNBUFFERED": "1"})


async def page(session: object, url: str, ticket: str, seen: dict[str, float],
               ready: asyncio.Event, opened: list[int], total: int) -> None:
    """One phone's page: its event stream, parsed; the moment `"called": true` arrives."""
    import aiohttp

    assert isinstance(session, aiohttp.ClientSession)
    async with session.get(url) as resp:
        buffer = b""
        first = True
        async for chunk in resp.content.iter_any():
            buffer += chunk
            while b"\r\n\r\n" in buffer:
                event, buffer = buffer.split(b"\r\n\r\n", 1)
                if first:
                    first = False
                    opened[0] += 1
                    if opened[0] == total:
                        ready.set()
                if b'"called": true' in event and ticket not in seen:
                    seen[ticket] = time.monotonic()
                    print(f"seen {ticket} {seen[ticket]!r}", flush=True)
                    return


async def hold(listing: Path) -> None:
    """The pages' process (--hold): opens every page in the listing, says "ready", reports
    each called page, and ends when its standard input closes."""
    import aiohttp

    lines = [line.split() for line in listing.read_text().splitlines() if line.strip()]
    seen: dict[str, float] = {}
    ready = asyncio.Event()
    opened = [0]
    session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0),
                                    timeout=aiohttp.ClientTimeout(total=None))
    tasks = [asyncio.create_task(page(session, url, tid, seen, ready, opened, len(lines)))
             for tid, url in lines]
    await asyncio.wait_for(ready.wait(), 120)
    print("ready", flush=True)
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, sys.stdin.read)
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    await session.close()


async def run(pages: int, calls: int, work: Path) -> None:
    hub_port, web_port = free_port(), free_port()
    store = AuthStore(work / "hub-auth.db")
    tokens = {"web": store.enroll("web-1", "web"), "kiosk": store.enroll("kiosk-1", "kiosk"),
              **{f"c{n}": store.enroll(f"loket-{n}", "counter", n) for _, n in SERVICES}}
    for _, n in SERVICES:
        store.add_officer(f"officer-{n}", f"Officer {n}", "2468")
    store.close()
    hub = start(["hub", "--ledger", str(work / "ledger.db"), "--config", str(CONFIG),
                 "--host", "127.0.0.1", "--port", str(hub_port), "--no-mdns",
                 "--simulated-clock", CLOCK], work / "hub.log")
    web = None
    try:
        wait_http(f"http://127.0.0.1:{hub_port}/health")
        hub_url = f"ws://127.0.0.1:{hub_port}"
        web = start(["web", "--hub", hub_url, "--token", tokens["web"], "--listen",
                     f"127.0.0.1:{web_port}", "--replica", str(work / "web.db"),
                     "--rate-limit", "1000000", "--simulated-clock", CLOCK], work / "web.log")
        wait_http(f"http://127.0.0.1:{web_port}/health")
        kiosk = HubClient(hub_url, tokens["kiosk"])
        await kiosk.start()
        counters = {}
        for _, n in SERVICES:
            c = HubClient(hub_url, tokens[f"c{n}"])
            await c.start()
            assert (await c.sign_in(f"officer-{n}", "2468", n)).ok
            counters[n] = c
        tickets: list[str] = []
        need = pages + 2 * calls
        t0 = time.monotonic()
        for i in range(need):
            service, _ = SERVICES[i % len(SERVICES)]
            r = await kiosk.command("issue_ticket", {"service": service})
            while r.refusal is not None and r.refusal.code == "rate_limited":
                await asyncio.sleep(0.1)  # the hub's limit per station (50 a second)
                r = await kiosk.command("issue_ticket", {"service": service})
            assert r.ok, r.refusal
            tickets.append(str(r.value["ticket"]["ticket_id"]))
        print(f"issued {need} tickets in {time.monotonic() - t0:.1f} s")
        last = int(wait_http(f"http://127.0.0.1:{hub_port}/health")["last_seq"])  # type: ignore[call-overload]
        deadline = time.monotonic() + 60
        while int(wait_http(f"http://127.0.0.1:{web_port}/health")["last_seq"]) < last:  # type: ignore[call-overload]
            assert time.monotonic() < deadline, "the web replica did not catch up"
            await asyncio.sleep(0.05)  # polling the other process; bounded
        conn = sqlite3.connect(f"file:{work / 'web.db'}?mode=ro", uri=True)
        secrets = dict(conn.execute(
            "SELECT ticket_id, json_extract(data, '$.secret') FROM events "
            "WHERE kind='ticket.issued'").fetchall())
        conn.close()
        idle_rss = rss_mib(web.pid)

        async def call_round(n_calls: int) -> tuple[list[float], dict[str, float]]:
            trips: list[float] = []
            sent: dict[str, float] = {}
            for i in range(n_calls):
                counter = SERVICES[i % len(SERVICES)][1]
                c = counters[counter]
                if i >= len(SERVICES):
                    await c.command("finish", {"counter": counter})
                t = time.monotonic()
                r = await c.command("call_next", {"counter": counter})
                trips.append(time.monotonic() - t)
                assert r.ok, r.refusal
                sent[str(r.value["ticket"]["ticket_id"])] = t
                await asyncio.sleep(PACE)  # the calls' pace, not a wait for a result
            return trips, sent

        # (b) baseline: the same calls with no page open (they take the first tickets).
        base_trips, _ = await call_round(calls)
        for _, n in SERVICES:
            await counters[n].command("finish", {"counter": n})

        # The pages, in their own process (a phone does not share the counters' CPU): the
        # next tickets in line first, so the calls below land on open pages.
        open_ids = tickets[calls:calls + pages]
        listing = work / "pages.txt"
        listing.write_text("".join(
            f"{tid} http://127.0.0.1:{web_port}/live/t/{tid}-{secrets[tid]}\n"
            for tid in open_ids))
        t0 = time.monotonic()
        holder = await asyncio.create_subprocess_exec(
            sys.executable, __file__, "--hold", str(listing), stdin=subprocess.PIPE,
            stdout=subprocess.PIPE)
        assert holder.stdout is not None and holder.stdin is not None
        assert (await asyncio.wait_for(holder.stdout.readline(), 180)).strip() == b"ready"
        print(f"{len(open_ids)} pages open in {time.monotonic() - t0:.1f} s")
        seen: dict[str, float] = {}

        async def read_seen() -> None:
            assert holder.stdout is not None
            async for line in holder.stdout:
                _, tid, at = line.decode().split()
                seen[tid] = float(at)

        reader = asyncio.create_task(read_seen())
        open_rss = rss_mib(web.pid)
        cpu0, wall0 = cpu_seconds(web.pid), time.monotonic()
        trips, sent = await call_round(calls)
        deadline = time.monotonic() + 30
        while any(tid not in seen for tid in sent) and time.monotonic() < deadline:
            await asyncio.sleep(0.05)  # the last pages' news; bounded
        cpu = (cpu_seconds(web.pid) - cpu0) / (time.monotonic() - wall0)
        lat = [seen[tid] - t for tid, t in sent.items() if tid in seen]
        missed = len(sent) - len(lat)
        holder.stdin.close()
        await holder.wait()
        await reader
        for c in (kiosk, *counters.values()):
            await c.close()

        ratio = statistics.median(trips) / statistics.median(base_trips)
        good = bool(lat) and pct(lat, 99) <= 1 and not missed
        print(f"(a) call -> page ({len(lat)} calls, {missed} not seen): "
              f"p50 {statistics.median(lat) * 1000:.0f} ms, p99 {pct(lat, 99) * 1000:.0f} ms"
              f"  [aim p99 <= 1000 ms: {'ok' if good else 'MISSED'}]")
        base = statistics.median(base_trips) * 1000
        print(f"(b) counter call round trip: no pages p50 {base:.1f} ms, with {len(open_ids)} "
              f"pages p50 {statistics.median(trips) * 1000:.1f} ms, "
              f"p99 {pct(trips, 99) * 1000:.1f} ms; ratio {ratio:.2f}  "
              f"[aim <= 1.2: {'ok' if ratio <= 1.2 else 'MISSED'}]")
        print(f"(c) web station RSS idle {idle_rss:.0f} MiB, with pages {open_rss:.0f} MiB; "
              f"CPU during the calls {cpu * 100:.0f} % of one core")
    finally:
        for proc in (web, hub):
            if proc is not None and proc.poll() is None:
                proc.terminate()
                proc.wait(10)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pages", type=int, default=1000)
    ap.add_argument("--calls", type=int, default=20)
    ap.add_argument("--hold", type=Path, default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.hold is not None:
        asyncio.run(hold(args.hold))
        return
    with tempfile.TemporaryDirectory() as tmp:
        asyncio.run(run(args.pages, args.calls, Path(tmp)))


if __name__ == "__main__":
    main()
