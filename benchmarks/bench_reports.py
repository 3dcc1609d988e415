"""The reports: a month of ~100,000 tickets, the time to compute its monthly report from the
ledger's events and to export it as CSV, XLSX and PDF.

    .venv/bin/python benchmarks/bench_reports.py [--tickets N] [--keep DIR]

Arrangement: a ledger of the busy test hall (tests/data/busy_hall.toml: ten counters, three
services) filled for November 2026 — 21 working days, N tickets spread over them (default
100,000), each issued by the kiosk and called, started and finished at a counter (one in eight
a no-show, one in ten a priority claim, checked), with the ledger's own rules on a manual
clock, many commands a transaction (the fast fill of tests/helpers/region.py).

Timed, each the best of three in this process:
- compute: shared.reports.figures.compute for the month (by agency), as `antrean report`
  runs it: the period's events read through the events_ticket index and folded per ticket.
- baseline: a plain SQL count of the same events (`SELECT kind, count(*) ... GROUP BY kind`
  over the same ticket_id range): the floor of any report that reads them. Printed as a ratio.
- export: to_csv, to_xlsx, to_pdf of that report (the PDF with its three SVG charts).
Aims (issue 14): compute <= 2 s, each export <= 10 s.
"""

from __future__ import annotations

import argparse
import datetime as dt
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from shared.clock import ManualClock
from shared.config import load_config
from shared.ledger.ledger import Ledger
from shared.ledger.model import Actor, Command, CommandRefused
from shared.ledger.projection import apply_event, insert_event
from shared.ledger.store import connect, immediate
from shared.reports.export import to_csv, to_pdf, to_xlsx
from shared.reports.figures import Period, compute

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "tests" / "data" / "busy_hall.toml"
WIB = dt.timezone(dt.timedelta(hours=7))
SERVICES = ("ktp", "kk", "bpjs")
MONTH = Period.month(2026, 11)


def fill(path: Path, tickets: int) -> int:
    config = load_config(CONFIG)
    days = [d for d in MONTH.days() if d.weekday() < 5]
    clock = ManualClock(dt.datetime.combine(days[0], dt.time(7, 30), WIB))
    led = Ledger(path, config, clock)
    counters = sorted(config.counters)
    officers = {n: Actor(f"loket-{n}", f"petugas{n}") for n in counters}
    kiosk = Actor("kiosk-1")

    def run(kind: str, actor: Actor, **args: Any) -> bool:
        try:
            events = led._decide(Command(kind, args, actor))
        except CommandRefused:
            return False
        for e in events:
            insert_event(led.conn, e)
            apply_event(led.conn, e)
        return bool(events)

    per_day = tickets // len(days) + 1
    step = dt.timedelta(seconds=7 * 3600 / per_day)  # 08:00-15:00
    issued = 0
    for day in days:
        clock.set(dt.datetime.combine(day, dt.time(8, 0), WIB))
        with immediate(led.conn):
            for n in counters:
                run("sign_in", officers[n], counter=n)
            for i in range(per_day):
                if issued >= tickets:
                    break
                run("issue_ticket", kiosk, service=SERVICES[i % 3],
                    priority="lansia" if i % 10 == 3 else None)
                issued += 1
                n = counters[i % len(counters)]
                run("finish", officers[n], counter=n)
                if run("call_next", officers[n], counter=n):
                    ticket = led.reader.active_ticket(n)
                    if i % 8 == 5:
                        run("no_show", officers[n], counter=n)
                    else:
                        if ticket is not None and ticket.priority:
                            run("check_priority", officers[n], counter=n, valid=i % 30 != 3)
                        run("start", officers[n], counter=n)
                clock.advance(seconds=step.total_seconds())
            for n in counters:
                run("finish", officers[n], counter=n)
                run("sign_out", officers[n], counter=n)
        if day != days[-1]:
            with immediate(led.conn):
                run("close_day", Actor("hub"), day=day.isoformat())
    seq = led.reader.last_seq()
    led.close()
    return seq


def best(fn: Callable[[], Any], repeat: int = 3) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t)
    return min(times), result


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tickets", type=int, default=100_000)
    ap.add_argument("--keep", default=None,
                    help="folder to keep the ledger and the three exports in")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-reports-"))
    try:
        path = work / "ledger.db"
        t = time.perf_counter()
        seq = fill(path, args.tickets)
        print(f"filled: {seq:,} events in {time.perf_counter() - t:.0f} s")
        config = load_config(CONFIG)
        conn = connect(path, readonly=True)
        lo, hi = f"{MONTH.start:%Y%m%d}-", f"{MONTH.end + dt.timedelta(days=1):%Y%m%d}-"
        base, counts = best(lambda: conn.execute(
            "SELECT kind, count(*) FROM events WHERE ticket_id >= ? AND ticket_id < ? "
            "GROUP BY kind", (lo, hi)).fetchall())
        took, report = best(lambda: compute(conn, config, MONTH))
        conn.close()
        events = sum(n for _, n in counts)
        print(f"month {MONTH.label()}: {report.total.issued:,} tickets, {events:,} ticket "
              f"events, {report.total.served:,} served")
        print(f"baseline (plain SQL count of the same events): {base * 1000:7.0f} ms")
        print(f"compute (monthly report, by agency):           {took * 1000:7.0f} ms  "
              f"= {took / base:.1f} x baseline   (aim <= 2000 ms)")
        outputs = {}
        for fmt, fn in (("csv", lambda: to_csv(report, "monthly")),
                        ("xlsx", lambda: to_xlsx(report, "monthly")),
                        ("pdf", lambda: to_pdf(report, "monthly", config))):
            took_fmt, data = best(fn)
            outputs[fmt] = data
            print(f"export {fmt:4}: {took_fmt * 1000:7.0f} ms  {len(data):>9,} bytes  "
                  f"= {took_fmt / base:.1f} x baseline   (aim <= 10000 ms)")
        if args.keep:
            keep = Path(args.keep)
            keep.mkdir(parents=True, exist_ok=True)
            shutil.copy(path, keep / "ledger.db")
            for fmt, data in outputs.items():
                (keep / f"monthly.{fmt}").write_bytes(data)
            print(f"kept in {keep}")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
