"""Counter app latency: a click on "Panggil berikutnya" until the window shows the new number.

    .venv/bin/python benchmarks/bench_counter.py [--calls 200] [--links embedded hub]

Each link kind gets a fresh hall with enough waiting tickets, a signed-in officer and a real
CounterWindow (offscreen). One sample = QTest mouse click on the button → the ticket label
shows a different number (measured in the slot that runs right after the window redrew).
"embedded" is the in-process LocalLedger/EmbeddedLink; "hub" is a real hub on 127.0.0.1 in a
thread of this process (a real WebSocket and a replica per station; the hub's thread shares
the GIL with the GUI, so a hub on its own PC is if anything faster).

The baseline, measured in the same run on the same kind of hall: a direct `Ledger.call_next`
(validate, append, durable commit). The ratio says what the app adds on top of the ledger.
Aim: p99 ≤ 100 ms.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from counter_client.screenshots import MORNING, default_config, pick_counter
from shared.clock import ManualClock
from shared.config import HallConfig
from shared.ledger.ledger import Ledger
from shared.ledger.model import Actor
from shared.ledger.queries import percentile

PIN = "1234"
OFFICER = "bench"


def seed(path: Path, cfg: HallConfig, clock: ManualClock, counter: int, n: int) -> None:
    led = Ledger(path, cfg, clock)
    try:
        services = [s for q in cfg.counters[counter].queues for s in cfg.services_in_queue(q)
                    if s.daily_quota is None]
        kiosk = Actor("kiosk-bench")
        for i in range(n):
            result = led.issue_ticket(services[i % len(services)].code, kiosk)
            if not result.ok:
                raise RuntimeError(f"seeding failed: {result.refusal}")
    finally:
        led.close()


def baseline(cfg: HallConfig, counter: int, calls: int, work: Path) -> list[float]:
    clock = ManualClock(MORNING.replace(hour=9))
    path = work / "baseline.db"
    seed(path, cfg, clock, counter, calls + 10)
    led = Ledger(path, cfg, clock)
    try:
        who = Actor(f"counter-{counter}", OFFICER)
        assert led.run("sign_in", who, counter=counter).ok
        out = []
        for _ in range(calls):
            t0 = time.perf_counter()
            result = led.call_next(counter, who)
            out.append((time.perf_counter() - t0) * 1000)
            assert result.ok and result.value["ticket"]
        return out
    finally:
        led.close()


def through_window(kind: str, cfg: HallConfig, counter: int, calls: int, work: Path
                   ) -> list[float]:
    from PySide6.QtCore import QEventLoop, Qt, QTimer
    from PySide6.QtTest import QTest

    from counter_client.app import CounterWindow
    from counter_client.core import CounterCore
    from shared.station.link import LocalLedger, StationLink

    clock = ManualClock(MORNING.replace(hour=9))
    path = work / f"{kind}.db"
    seed(path, cfg, clock, counter, calls + 10)
    closers: list = []
    link: StationLink
    if kind == "embedded":
        local = LocalLedger(path, cfg, clock, pin_check=lambda who, pin: pin == PIN)
        link = local.link(f"counter-{counter}")
        closers.append(local.close)
    else:
        sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
        from shared.station.hub_link import HubLink
        from shared.station.replica import Replica
        from tests.helpers.inproc_hub import ThreadedHub

        hubdir = work / "hub"
        hubdir.mkdir()
        path.rename(hubdir / "ledger.db")
        hub = ThreadedHub(cfg, hubdir, clock)
        hub.auth.add_officer(OFFICER, "Bench", PIN)
        token = hub.auth.enroll(f"counter-{counter}", "counter", counter)
        hub_link = HubLink(cfg, hub.url, token, Replica(work / "replica.db"),
                           f"counter-{counter}", clock)
        link = hub_link

        def stop_hub() -> None:
            hub_link.close()
            hub.stop()
            hub._loop.close()

        closers.append(stop_hub)

    def wait(done, timeout_s: float = 30.0) -> None:
        loop = QEventLoop()
        poll = QTimer()
        poll.setInterval(2)
        end = time.monotonic() + timeout_s

        def check() -> None:
            if done() or time.monotonic() > end:
                loop.quit()

        poll.timeout.connect(check)
        poll.start()
        loop.exec()
        poll.stop()
        if not done():
            raise TimeoutError(kind)

    try:
        wait(link.is_online)
        core = CounterCore(link, counter, repeat_guard_s=0)
        window = CounterWindow(core)
        window.resize(1366, 768)
        window.show()
        core.sign_in(OFFICER, PIN)
        wait(lambda: core.state.signed_in and core.state.busy is None)
        button = window.buttons["call_next"]
        samples = []
        for _ in range(calls):
            before = window.ticket_label.text()
            loop = QEventLoop()
            shown: list[float] = []

            def on_changed(before: str = before, shown: list[float] = shown,
                           loop: QEventLoop = loop) -> None:
                # Connected after the window's own slot: the label has been redrawn.
                if not shown and window.ticket_label.text() != before:
                    shown.append(time.perf_counter())
                    loop.quit()

            core.changed.connect(on_changed)
            guard = QTimer()
            guard.setSingleShot(True)
            guard.timeout.connect(loop.quit)
            guard.start(30000)
            t0 = time.perf_counter()
            QTest.mouseClick(button, Qt.MouseButton.LeftButton)
            if not shown:
                loop.exec()
            guard.stop()
            core.changed.disconnect(on_changed)
            if not shown:
                raise TimeoutError(f"{kind}: the new number never appeared")
            samples.append((shown[0] - t0) * 1000)
            # Let the rest of this call's events settle before the next click.
            wait(lambda: core.state.busy is None)
        core.stop()
        window.close()
        return samples
    finally:
        for close in closers:
            close()


def summary(xs: list[float]) -> dict[str, float]:
    return {"p50": round(percentile(xs, 50) or 0, 2), "p99": round(percentile(xs, 99) or 0, 2),
            "max": round(max(xs), 2)}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--calls", type=int, default=200)
    p.add_argument("--links", nargs="+", default=["embedded", "hub"],
                   choices=["embedded", "hub"])
    args = p.parse_args(argv)

    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication(["bench-counter"])
    cfg = default_config()
    counter = pick_counter(cfg)
    results: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory(prefix="bench-counter-") as tmp:
        work = Path(tmp)
        base = summary(baseline(cfg, counter, args.calls, work))
        results["baseline Ledger.call_next"] = base
        for kind in args.links:
            (work / kind).mkdir()
            s = summary(through_window(kind, cfg, counter, args.calls, work / kind))
            s["p50/baseline"] = round(s["p50"] / base["p50"], 1) if base["p50"] else 0
            s["p99/baseline"] = round(s["p99"] / base["p99"], 1) if base["p99"] else 0
            results[f"click→shown, {kind}"] = s
    print(f"hall: {cfg.mpp.name} ({cfg.source}), counter {counter}, {args.calls} calls each")
    print(f"{'':34s} {'p50 ms':>8s} {'p99 ms':>8s} {'max ms':>8s} {'p50 x':>7s} {'p99 x':>7s}")
    for name, s in results.items():
        print(f"{name:34s} {s['p50']:8.2f} {s['p99']:8.2f} {s['max']:8.2f} "
              f"{s.get('p50/baseline', 1.0):7.1f} {s.get('p99/baseline', 1.0):7.1f}")
    print(json.dumps(results))
    ok = all(s["p99"] <= 100 for name, s in results.items() if name.startswith("click"))
    print("p99 ≤ 100 ms:", "yes" if ok else "NO")
    app.processEvents()
    return 0


if __name__ == "__main__":
    sys.exit(main())
