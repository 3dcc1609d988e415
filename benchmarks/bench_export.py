"""The region's exporter: catch-up rate against a plain COPY of the same rows, live lag, and the
size of a million events in PostgreSQL.

    .venv/bin/python benchmarks/bench_export.py [--events N] [--quick]

Arrangement (one machine, loopback): a real PostgreSQL (Debian's, a fresh cluster with its
default durability: fsync on) and a real hub process on a ledger of N events (default 100,000,
the busy test hall's tickets issued, called, started and finished); the exporter runs in this
process (region.exporter.Exporter, the code `antrean export postgres` runs) so that each
commit can be stamped.

(a) catch-up: from the exporter's start (empty region) until PostgreSQL holds all N events
    (events, chain hashes, tickets projection, one transaction per batch): events/s. Against
    it, in the same run, a plain COPY of the same N rows into a table of the same columns and
    primary key, one transaction: events/s, and the ratio exporter / COPY. And the hub's side
    alone: a bare client reading the same catch-up from the hub (parsed, not checked, not
    written), which bounds the exporter from above.
(b) live lag: a kiosk (speaking the hub protocol's frames, shared.hub.protocol) issues 20
    tickets a second for 15 s while the exporter is caught up; lag = the commit in PostgreSQL
    of the ticket.issued event (stamped by the exporter) minus the moment the kiosk sent the
    command (so it includes the hub's own work); also minus the moment the kiosk had its reply
    (the region's part alone). p50, p99, max. Aim: p99 < 1 s.
(c) size: pg_total_relation_size of region.events (table, TOAST and primary key) and of
    region.tickets, per event, scaled to a million events.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import aiohttp
import psycopg

from region import schema
from region.exporter import Exporter, Settings
from shared.hub import protocol as p
from tests.helpers.postgres import PostgresServer
from tests.helpers.region import SERVICES, fill_ledger, hall_config
from tests.system.conftest import HubProcess


def pct(xs: list[float], p: float) -> float:
    s = sorted(xs)
    return s[min(len(s) - 1, max(0, round(p / 100 * len(s)) - 1))]


async def catch_up_and_live(ex: Exporter, target: int, hub: HubProcess, kiosk_token: str,
                            commits: dict[int, float], rate: float, seconds: float
                            ) -> tuple[float, list[float], list[float], list[int]]:
    start = time.perf_counter()
    task = asyncio.create_task(ex.run())
    while not commits or max(commits) < target:
        await asyncio.sleep(0.005)  # benchmark polling of its own callback's stamps
    catch_up = max(commits.values()) - start
    sent: dict[int, tuple[float, float]] = {}
    # A kiosk that says it holds the whole history already (hello after = the hub's last
    # seq), so that the hub does not first stream it all 100,000 events, as it would to a
    # HubClient without a replica.
    async with aiohttp.ClientSession() as session, session.ws_connect(
            hub.url, max_msg_size=0) as ws:
        await ws.send_str(p.encode(p.Hello(kiosk_token, target)))
        n = int(rate * seconds)
        t0 = time.perf_counter()
        for i in range(-1, n):
            if i >= 0:
                await asyncio.sleep(max(0.0, t0 + i / rate - time.perf_counter()))  # the pace
                t = time.perf_counter()
                await ws.send_str(p.encode(p.CommandMsg(f"bench-{i}", "issue_ticket",
                                                        {"service": SERVICES[i % 3]})))
            while True:  # the welcome (i = -1), then this command's result
                frame = p.parse_from_hub((await ws.receive()).data)
                if isinstance(frame, p.Welcome) and i < 0:
                    break
                if isinstance(frame, p.ResultMsg) and frame.id == f"bench-{i}":
                    replied = time.perf_counter()
                    for seq in frame.result.value.get("seq", []):
                        sent[seq] = (t, replied)
                    break
    last = max(sent)
    deadline = time.perf_counter() + 30
    while max(commits) < last and time.perf_counter() < deadline:
        await asyncio.sleep(0.005)
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    lags = [commits[s] - t for s, (t, _) in sent.items() if s in commits]
    after_reply = [commits[s] - r for s, (_, r) in sent.items() if s in commits]
    worst = sorted(range(len(lags)), key=lags.__getitem__)[-3:]  # in the order they were sent
    return catch_up, lags, after_reply, worst


async def hub_stream(hub: HubProcess, token: str, target: int) -> float:
    """The hub's side alone: a bare client reading all `target` events of the catch-up (JSON
    parsed, nothing checked or written). The exporter cannot be faster than this."""
    start = time.perf_counter()
    async with aiohttp.ClientSession() as session, session.ws_connect(
            hub.url, max_msg_size=0) as ws:
        await ws.send_str(p.encode(p.Hello(token, 0)))
        got = 0
        while got < target:
            frame = p.parse_from_hub((await ws.receive()).data)
            if isinstance(frame, p.Events):
                got = frame.events[-1].seq
    return target / (time.perf_counter() - start)


def plain_copy(dsn: str) -> float:
    """The same rows, COPYed in one transaction into a table of the same shape."""
    with psycopg.connect(dsn) as conn:
        rows = conn.execute("SELECT hall, seq, command_id, kind, ticket_id, device, officer, "
                            "at_ms, data::text, hash FROM region.events ORDER BY seq").fetchall()
        conn.execute("CREATE TABLE bench_copy (LIKE region.events INCLUDING ALL)")
        conn.commit()
        start = time.perf_counter()
        with conn.cursor().copy("COPY bench_copy FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        conn.commit()
        took = time.perf_counter() - start
        conn.execute("DROP TABLE bench_copy")
        conn.commit()
    return len(rows) / took


def sizes(dsn: str) -> dict[str, float]:
    with psycopg.connect(dsn) as conn:
        n = conn.execute("SELECT count(*) FROM region.events").fetchone()[0]  # type: ignore[index]
        ev = conn.execute("SELECT pg_total_relation_size('region.events')").fetchone()[0]  # type: ignore[index]
        tk = conn.execute("SELECT pg_total_relation_size('region.tickets'), count(*) "
                          "FROM region.tickets").fetchone()
        assert tk is not None
    return {"events": n, "events_bytes_per_event": ev / n,
            "events_mb_per_million": ev / n * 1e6 / 2**20,
            "tickets": tk[1], "tickets_bytes_per_ticket": tk[0] / max(tk[1], 1),
            "all_mb_per_million_events": (ev + tk[0]) / n * 1e6 / 2**20}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--events", type=int, default=100_000)
    ap.add_argument("--quick", action="store_true", help="20,000 events, 5 s of live traffic")
    ap.add_argument("--json", default=None, help="also write the figures here")
    args = ap.parse_args()
    events = 20_000 if args.quick else args.events
    live_seconds = 5.0 if args.quick else 15.0
    pg = PostgresServer()
    pg.start(durable=True)
    folder = Path(tempfile.mkdtemp(prefix="bench-export-"))
    hub: HubProcess | None = None
    try:
        dsn = pg.create_database("region")
        with psycopg.connect(dsn, autocommit=True) as conn:
            schema.migrate(conn)
        config = hall_config(folder, "MPP Bench")
        t = time.perf_counter()
        filled = fill_ledger(folder / "ledger.db", config, events)
        print(f"ledger of {filled} events built in {time.perf_counter() - t:.1f} s")
        hub = HubProcess(folder, config)
        export_token = hub.enroll("region", "export")
        kiosk_token = hub.enroll("kiosk-1", "kiosk")
        hub.start()
        # Every seq of a batch is committed when its last one is.
        stamps: dict[int, float] = {}

        def written(seq: int, n: int) -> None:
            now = time.perf_counter()
            for s in range(seq - n + 1, seq + 1):
                stamps[s] = now

        ex = Exporter(Settings(dsn, hub.url.removesuffix("/ws"), export_token),
                      on_written=written)
        catch_up, lags, after_reply, worst = asyncio.run(catch_up_and_live(
            ex, filled, hub, kiosk_token, stamps, 20.0, live_seconds))
        copy_rate = plain_copy(dsn)
        hub_rate = asyncio.run(hub_stream(hub, kiosk_token, filled))
        size = sizes(dsn)
    finally:
        if hub is not None:
            hub.stop()
        pg.close()
        shutil.rmtree(folder, ignore_errors=True)
    rate = filled / catch_up
    figures = {
        "events": filled,
        "catch_up_s": round(catch_up, 2), "catch_up_events_per_s": round(rate),
        "plain_copy_events_per_s": round(copy_rate), "ratio": round(rate / copy_rate, 3),
        "hub_stream_events_per_s": round(hub_rate),
        "live_events": len(lags), "live_lag_p50_ms": round(statistics.median(lags) * 1000, 1),
        "live_lag_p99_ms": round(pct(lags, 99) * 1000, 1),
        "live_lag_max_ms": round(max(lags) * 1000, 1),
        "live_lag_worst_at": worst,  # which live events (0 = the first) were slowest
        "region_after_reply_p99_ms": round(pct(after_reply, 99) * 1000, 1),
        "region_after_reply_max_ms": round(max(after_reply) * 1000, 1),
        **{k: round(v, 1) for k, v in size.items()},
    }
    print(f"(a) catch-up of {filled} events: {catch_up:.2f} s = {rate:,.0f} events/s; plain "
          f"COPY of the same rows: {copy_rate:,.0f} events/s; ratio {rate / copy_rate:.2f}; "
          f"the hub's catch-up stream alone, read by a bare client: {hub_rate:,.0f} events/s")
    print(f"(b) live lag over {len(lags)} events at 20/s: p50 {figures['live_lag_p50_ms']} ms, "
          f"p99 {figures['live_lag_p99_ms']} ms, max {figures['live_lag_max_ms']} ms "
          f"({'OK' if pct(lags, 99) < 1 else 'OVER'} the 1 s aim); the slowest were live events "
          f"{worst}; of it after the kiosk had its reply: p99 "
          f"{figures['region_after_reply_p99_ms']} ms, "
          f"max {figures['region_after_reply_max_ms']} ms")
    print(f"(c) size: region.events {size['events_bytes_per_event']:.0f} B/event = "
          f"{size['events_mb_per_million']:.0f} MB per million events; with the tickets "
          f"projection {size['all_mb_per_million_events']:.0f} MB per million events")
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
