"""Kiosk benchmark: a tap on a service until the ticket's ESC/POS bytes reach the printer, and
the app's start time and memory. Each figure is compared with a baseline measured in the same
run, as a ratio, so a slow machine does not hide a regression.

    .venv/bin/python benchmarks/bench_kiosk.py [--tickets 200]

- tap → bytes: a real mouse click (QTest) on the service tile of a `KioskWindow` over an
  in-process ledger (`LocalLedger`, a file in a temp dir, durable commits) with the example hall;
  the clock stops when the print thread has rendered the bytes and handed them to the printer (the
  `DummyPrinter` test double keeps them in memory: no device time is included).
  Baseline: `Ledger.issue_ticket` called directly on another file (the durable write alone).
- start: a fresh Python process until the kiosk window has painted its welcome screen, and its
  RSS then. Baseline: a fresh process showing an empty QWidget.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

WIB = dt.timezone(dt.timedelta(hours=7))
MONDAY_0900 = dt.datetime(2026, 11, 30, 9, 0, tzinfo=WIB)


def rss_kb() -> tuple[int, int]:
    """(current RSS, peak RSS) of this process in kB, from /proc."""
    values = {}
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(("VmRSS:", "VmHWM:")):
                key, value = line.split(":")
                values[key] = int(value.split()[0])
    return values.get("VmRSS", 0), values.get("VmHWM", 0)


def pct(xs: list[float], p: float) -> float:
    s = sorted(xs)
    return s[max(0, min(len(s) - 1, round(p / 100 * len(s)) - 1))]


# --- child processes for the start-up figures ---------------------------------------------------


def child_kiosk() -> None:
    from PySide6.QtWidgets import QApplication

    from kiosk.app import KioskWindow
    from kiosk.core import KioskCore
    from kiosk.print_worker import PrintWorker
    from kiosk.printing import DummyPrinter
    from shared.clock import ManualClock
    from shared.config import example_config_path, load_config
    from shared.station.link import LocalLedger

    app = QApplication(sys.argv[:1])
    config = load_config(example_config_path())
    clock = ManualClock(MONDAY_0900)
    with tempfile.TemporaryDirectory() as tmp:
        local = LocalLedger(Path(tmp) / "ledger.db", config, clock)
        worker = PrintWorker(DummyPrinter("80mm"))
        core = KioskCore(local.link("kiosk-1"), worker, clock, config)
        window = KioskWindow(core)
        window.resize(1080, 1920)
        window.show()
        window.grab()  # painted once
        app.processEvents()
        print("ready", rss_kb()[0], flush=True)
        worker.shutdown()
        local.close()


def child_bare() -> None:
    from PySide6.QtWidgets import QApplication, QWidget

    app = QApplication(sys.argv[:1])
    w = QWidget()
    w.resize(1080, 1920)
    w.show()
    w.grab()
    app.processEvents()
    print("ready", rss_kb()[0], flush=True)


def time_child(kind: str) -> tuple[float, int]:
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, __file__, f"--child-{kind}"],
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    elapsed = time.perf_counter() - start
    proc.wait()
    word, rss = line.split()
    assert word == "ready", line
    return elapsed, int(rss)


# --- tap → bytes ---------------------------------------------------------------------------------


def bench_tap_to_bytes(n: int) -> tuple[list[float], list[float]]:
    from PySide6.QtCore import QEventLoop, Qt, QTimer
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QAbstractButton, QApplication

    from kiosk.app import KioskWindow
    from kiosk.core import KioskCore, KioskSettings
    from kiosk.print_worker import PrintWorker
    from kiosk.printing import DummyPrinter
    from kiosk.ticket import TicketLayout
    from shared.clock import ManualClock
    from shared.config import example_config_path, load_config
    from shared.ledger.ledger import Ledger
    from shared.ledger.model import Actor
    from shared.station.link import LocalLedger

    class TimedPrinter(DummyPrinter):
        """The DummyPrinter test double, noting when each ticket's bytes were handed over."""

        def __init__(self) -> None:
            super().__init__("80mm")
            self.handed: list[float] = []
            self.lock = threading.Lock()

        def print_ticket(self, layout: TicketLayout) -> None:
            super().print_ticket(layout)
            with self.lock:
                self.handed.append(time.perf_counter())

    app = QApplication.instance() or QApplication(sys.argv[:1])
    config = load_config(example_config_path())
    clock = ManualClock(MONDAY_0900)
    services = [s for s in config.services.values() if s.daily_quota is None
                and config.schedule_for(s).hours_on(MONDAY_0900.date()) is not None]
    kiosk_ms: list[float] = []
    ledger_ms: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        # Baseline: the durable write alone, same disk, same config.
        led = Ledger(Path(tmp) / "baseline.db", config, clock)
        actor = Actor("bench")
        for i in range(n):
            t0 = time.perf_counter()
            result = led.issue_ticket(services[i % len(services)].code, actor)
            ledger_ms.append((time.perf_counter() - t0) * 1000)
            assert result.ok, result.refusal
        led.close()

        local = LocalLedger(Path(tmp) / "kiosk.db", config, clock)
        printer = TimedPrinter()
        worker = PrintWorker(printer)
        core = KioskCore(local.link("kiosk-1"), worker, clock, config,
                         # The tile is tapped right after its screen is drawn; a person
                         # would have looked first (the settling time is not what is measured).
                         KioskSettings(paper="80mm", ask_priority=False, settle_ms=0))
        window = KioskWindow(core)
        window.resize(1080, 1920)
        window.show()
        app.processEvents()
        loop = QEventLoop()
        worker.printed.connect(lambda _tid: loop.quit())
        worker.failed.connect(lambda _tid, why: loop.quit())
        guard = QTimer()
        guard.setSingleShot(True)
        guard.timeout.connect(loop.quit)
        for i in range(n):
            service = services[i % len(services)]
            core.reset()
            core.start()
            core.choose_agency(service.agency)
            while service.code not in {t.code for t in core.service_tiles()}:
                core.next_page()
            app.processEvents()
            tile = window.current_screen().findChild(QAbstractButton, f"service:{service.code}")
            assert tile is not None and tile.isVisible()
            before = len(printer.handed)
            t0 = time.perf_counter()
            QTest.mouseClick(tile, Qt.MouseButton.LeftButton)
            guard.start(5000)
            while len(printer.handed) == before and guard.isActive():
                loop.exec()
            guard.stop()
            if len(printer.handed) == before:
                raise RuntimeError(f"no ticket printed for {service.code}")
            kiosk_ms.append((printer.handed[-1] - t0) * 1000)
        window.close()
        worker.shutdown()
        local.close()
    return kiosk_ms, ledger_ms


def main() -> int:
    if "--child-kiosk" in sys.argv:
        child_kiosk()
        return 0
    if "--child-bare" in sys.argv:
        child_bare()
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=200)
    args = parser.parse_args()

    kiosk_ms, ledger_ms = bench_tap_to_bytes(args.tickets)
    _, peak = rss_kb()
    k50, k99 = statistics.median(kiosk_ms), pct(kiosk_ms, 99)
    b50, b99 = statistics.median(ledger_ms), pct(ledger_ms, 99)
    print(f"tap on a service -> ticket bytes at the printer ({args.tickets} tickets, "
          "example hall, in-process ledger):")
    print(f"  kiosk     p50 {k50:7.1f} ms   p99 {k99:7.1f} ms   max {max(kiosk_ms):7.1f} ms"
          f"   (aim: p99 <= 150 ms: {'met' if k99 <= 150 else 'NOT met'})")
    print(f"  baseline  p50 {b50:7.1f} ms   p99 {b99:7.1f} ms   (Ledger.issue_ticket alone)")
    print(f"  ratio     p50 {k50 / b50:5.1f}x     p99 {k99 / b99:5.1f}x")
    print(f"  peak RSS of this process after {args.tickets} tickets: {peak / 1024:.0f} MB")

    starts = [time_child("kiosk") for _ in range(3)]
    bares = [time_child("bare") for _ in range(3)]
    s = statistics.median(t for t, _ in starts)
    b = statistics.median(t for t, _ in bares)
    rss = statistics.median(r for _, r in starts)
    brss = statistics.median(r for _, r in bares)
    print("app start (fresh process until the welcome screen is painted), median of 3:")
    print(f"  kiosk     {s:5.2f} s   RSS {rss / 1024:5.0f} MB")
    print(f"  baseline  {b:5.2f} s   RSS {brss / 1024:5.0f} MB   (empty QWidget)")
    print(f"  ratio     {s / b:5.1f}x          {rss / brss:5.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
