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
  runs it: the period's tickets read from the projection's tickets table (the same fold of
  the events; those with a requeue or transfer folded from their events again).
- baseline: a plain SQL count of the same events (`SELECT kind, count(*) ... GROUP BY kind`
  over the same ticket_id range): the floor of any report that reads them. Printed as a ratio.
- export: to_csv, to_xlsx, to_pdf of that report (the PDF with its three SVG charts).
- browser (skipped with --no-browser): the console's /laporan page of that month, served by
  the console's own aiohttp app (console.app.build_app) over the ledger as its replica, loaded
  in Debian's chromium through Playwright, signed in; the time from navigation to the load
  event, the first load (the report computed) and the best of three after it. Baseline: the
  same page for a day without tickets (the page's frame, no figures), in the same browser.
Aims (issue 14): compute <= 2 s, the page in the browser <= 2 s, each export <= 10 s.
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


class ConsoleThread:
    """The console's own app (sessions, the report page) on 127.0.0.1, on an event loop of
    its own thread, over a replica file (here the bench's ledger: the same schema)."""

    def __init__(self, replica_path: Path, config: Any, work: Path, warm: bool) -> None:
        import asyncio
        import threading

        from console.accounts import AccountStore
        from shared.station.follower import Follower
        from shared.station.replica import Replica

        self.loop = asyncio.new_event_loop()
        self.replica = Replica(replica_path)
        clock = ManualClock(dt.datetime(2026, 12, 1, 9, 0, tzinfo=WIB))
        self.station = Follower(config, self.replica, None, clock)
        self.station.stale_since = None
        work.mkdir(parents=True, exist_ok=True)
        self.accounts = AccountStore(work / "accounts.db")
        self.accounts.add("kepala", "Kepala DPMPTSP", "supervisor", PASSWORD)
        self.port = 0
        self.warm = warm
        started = threading.Event()
        self.thread = threading.Thread(target=self._run, args=(started,), daemon=True)
        self.thread.start()
        started.wait(30)

    def _run(self, started: Any) -> None:
        import asyncio

        from aiohttp import web

        from console.app import build_app

        asyncio.set_event_loop(self.loop)
        self.app = build_app(self.station, self.accounts, warm=self.warm)
        runner = web.AppRunner(self.app, access_log=None, handler_cancellation=True,
                               shutdown_timeout=1.0)
        self.loop.run_until_complete(runner.setup())
        site = web.TCPSite(runner, "127.0.0.1", 0)
        self.loop.run_until_complete(site.start())
        self.port = runner.addresses[0][1]
        self.runner = runner
        started.set()
        self.loop.run_forever()
        self.loop.run_until_complete(runner.cleanup())

    def warmed(self) -> bool:
        """Last month's report is in the console's cache (its warm-up did it)."""
        from console.app import REPORT_CACHE

        cache = self.app[REPORT_CACHE]
        return any(key[0] == "page" for key in cache.held())

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(30)
        self.accounts.close()
        self.replica.close()


PASSWORD = "kata-sandi-bench"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


def browser_timing(path: Path, config: Any, work: Path) -> None:
    """The month's report page in chromium, against an empty day's page."""
    import importlib.util

    if importlib.util.find_spec("playwright") is None:
        print("browser: Playwright is not installed; skipped")
        return
    if not Path(CHROMIUM).exists():
        print("browser: chromium is not installed; skipped")
        return
    cold = page_timing(ConsoleThread(path, config, work / "cold", warm=False))
    print(f"browser baseline (an empty day's /laporan):    {cold[0] * 1000:7.0f} ms")
    print(f"browser /laporan month, first load, computed:  {cold[1] * 1000:7.0f} ms  "
          f"= {cold[1] / cold[0]:.1f} x baseline   (aim <= 2000 ms; {cold[3]} tickets in the "
          f"page)")
    print(f"browser /laporan month, again (best of 3):     {cold[2] * 1000:7.0f} ms  "
          f"= {cold[2] / cold[0]:.1f} x baseline   (aim <= 2000 ms)")
    console = ConsoleThread(path, config, work / "warm", warm=True)
    t = time.perf_counter()
    while not console.warmed():
        if time.perf_counter() - t > 300:
            raise RuntimeError("the console did not warm last month's report in 300 s")
        time.sleep(0.1)  # waiting on the console's own worker, bounded above
    print(f"console: last month's report warmed {time.perf_counter() - t:.1f} s after start")
    warm = page_timing(console)
    print(f"browser /laporan month, first load, warmed:    {warm[1] * 1000:7.0f} ms  "
          f"= {warm[1] / warm[0]:.1f} x baseline   (aim <= 2000 ms; {warm[3]} tickets in the "
          f"page)")


def page_timing(console: ConsoleThread) -> tuple[float, float, float, str]:
    """(baseline, the month's first load, best of three after it, tickets in the page)."""
    from playwright.sync_api import sync_playwright

    month_url = f"{console.url}/laporan?periode=bulan&bulan={MONTH.start:%Y-%m}"
    empty_url = f"{console.url}/laporan?periode=hari&tanggal=2026-10-01"
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
            # Plain http on 127.0.0.1: chromium keeps the console's Secure cookie there.
            page = browser.new_context(viewport={"width": 1920, "height": 1080}).new_page()
            page.goto(console.url + "/masuk")
            page.fill("input[name=username]", "kepala")
            page.fill("input[name=password]", PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_url("**/aula")

            def load(url: str) -> float:
                t = time.perf_counter()
                page.goto(url, wait_until="load", timeout=120_000)
                took = time.perf_counter() - t
                assert page.locator("section.report-head").count() == 1, page.content()[:500]
                return took

            base = min(load(empty_url) for _ in range(3))
            first = load(month_url)
            again = min(load(month_url) for _ in range(3))
            issued = page.locator('section[data-table="summary"] tbody td').first.inner_text()
            browser.close()
    finally:
        console.close()
    return base, first, again, issued


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tickets", type=int, default=100_000)
    ap.add_argument("--keep", default=None,
                    help="folder to keep the ledger and the three exports in")
    ap.add_argument("--ledger", default=None,
                    help="a ledger this bench filled before (kept with --keep): not filled again")
    ap.add_argument("--no-browser", action="store_true",
                    help="skip the console page in chromium")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-reports-"))
    try:
        path = work / "ledger.db"
        if args.ledger:
            shutil.copy(args.ledger, path)
            print(f"ledger: a copy of {args.ledger}")
        else:
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
        if not args.no_browser:
            browser_timing(path, config, work)
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
