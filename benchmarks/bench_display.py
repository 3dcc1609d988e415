"""Hall board benchmarks: call -> pixels, call -> first audio, CPU/memory idle and in a burst,
and memory over a compressed 8-hour day.

    .venv/bin/python benchmarks/bench_display.py [--quick]

Everything runs offscreen on a real ledger (LocalLedger, SQLite in a temp folder) with the
example hall (40 counters) and a ManualClock. Latencies are measured from the moment the
link emits `events_applied` for the call (a probe connected before the board) to:
- the end of the current-call panel's paintEvent (`CurrentCallView.painted`), and
- the first sound handed to the player (`RecordingAudioOutput.play`, the chime), with the
  real Announcer and a real engine (espeak-ng), warm cache and cold cache.
The baseline, in the same run, is the same event with a board core but no window (what the
link and the core cost before any painting).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QT_LOGGING_RULES", "qt.multimedia*=false")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from PySide6.QtCore import QEventLoop, QTimer
from PySide6.QtWidgets import QApplication

from display.board import BoardWindow
from display.core import AnnouncedStore, BoardCore
from shared.clock import ManualClock
from shared.config import HallConfig, example_config_path, load_config
from shared.station.link import EmbeddedLink, LocalLedger

WIB = dt.timezone(dt.timedelta(hours=7))
OPENING = dt.datetime(2026, 11, 30, 8, 0, tzinfo=WIB)


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def cpu_s() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def pct(xs: list[float], p: float) -> float:
    s = sorted(xs)
    return s[min(len(s) - 1, max(0, round(p / 100 * len(s)) - 1))]


def summary(name: str, ms: list[float]) -> str:
    return (f"{name}: n={len(ms)} p50={statistics.median(ms):.1f} ms "
            f"p99={pct(ms, 99):.1f} ms max={max(ms):.1f} ms")


def wait(app: QApplication, cond: Callable[[], bool], timeout: float = 20.0) -> None:
    end = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > end:
            raise TimeoutError("condition not met")
        # Run the event loop in short slices that sleep between events: a spinning
        # processEvents() loop would be counted as the board's CPU.
        loop = QEventLoop()
        QTimer.singleShot(5, loop.quit)
        loop.exec()


class Hall:
    """A ledger, a kiosk and a staff link; every counter signed in."""

    def __init__(self, app: QApplication, path: Path, config: HallConfig,
                 clock: ManualClock) -> None:
        self.app, self.config, self.clock = app, config, clock
        self.local = LocalLedger(path, config, clock)
        self.kiosk = self.local.link("kiosk-1")
        self.staff = self.local.link("staff")  # an admin: it acts for every counter
        self.replies: dict[str, Any] = {}
        for link in (self.kiosk, self.staff):
            link.replied.connect(lambda r: self.replies.__setitem__(r.command_id, r))
        # An officer signs in at one counter at a time: one for each.
        sign_ins = [self.staff.sign_in(f"petugas-{n}", "", n) for n in sorted(config.counters)]
        self.wait_all(sign_ins)
        # (counter, service of its queue): tickets are issued and called round-robin over
        # these, so every call_next finds someone waiting. Services closed today drop out.
        pairs = []
        for n, counter in sorted(config.counters.items()):
            services = [s.code for q in counter.queues for s in config.services_in_queue(q)
                        if s.daily_quota is None]
            if services:
                pairs.append((n, services[0]))
        results = self.wait_all([self.kiosk.send("issue_ticket", {"service": svc})
                                 for _, svc in pairs])
        self.pairs = [p for p, r in zip(pairs, results, strict=True) if r.ok]

    def wait_all(self, ids: list[str]) -> list[Any]:
        wait(self.app, lambda: all(i in self.replies for i in ids))
        return [self.replies.pop(i) for i in ids]

    def issue(self, n: int) -> None:
        ids = [self.kiosk.send("issue_ticket", {"service": self.pairs[i % len(self.pairs)][1]})
               for i in range(n)]
        self.wait_all(ids)

    def counter_for(self, i: int) -> int:
        return self.pairs[i % len(self.pairs)][0]

    def close(self) -> None:
        self.local.close()


def probed_link(hall: Hall, device: str) -> tuple[EmbeddedLink, list[float]]:
    """A link whose events_applied is timed by a slot connected before the board's."""
    link = hall.local.link(device)
    t0: list[float] = []
    link.events_applied.connect(lambda evs: t0.append(time.perf_counter()))
    return link, t0


def measure_paint(app: QApplication, hall: Hall, link: EmbeddedLink, t0: list[float], n: int,
                  window: BoardWindow | None, core: BoardCore) -> list[float]:
    """Event emitted -> current-call panel painted (or, without a window, -> core updated)."""
    marks: list[float] = []
    if window is not None:
        window.current_call.painted.connect(lambda: marks.append(time.perf_counter()))
    else:
        core.current_changed.connect(lambda *a: marks.append(time.perf_counter()))
    out = []
    for i in range(n):
        hall.clock.advance(seconds=2)
        t0.clear()
        marks.clear()
        cid = hall.staff.send("call_next", {"counter": hall.counter_for(i)})
        wait(app, lambda: cid in hall.replies and bool(marks) and bool(t0))  # noqa: B023
        hall.replies.pop(cid)
        out.append((marks[0] - t0[0]) * 1000)
    return out


def bench_paint(app: QApplication, config: HallConfig, tmp: Path, n: int) -> None:
    clock = ManualClock(OPENING)
    hall = Hall(app, tmp / "paint.db", config, clock)
    hall.issue(3 * n + 100)  # baseline, 1080p and 4K runs each call n or fewer
    # Baseline: the core alone.
    link0, t00 = probed_link(hall, "display-core-only")
    core0 = BoardCore(link0, config, None, AnnouncedStore(None))
    core0.start()
    base = measure_paint(app, hall, link0, t00, n, None, core0)
    core0.close()
    link, t0 = probed_link(hall, "display-1")
    core = BoardCore(link, config, None, AnnouncedStore(None))
    core.start()
    window = BoardWindow(core, size=(1920, 1080))
    window.show()
    app.processEvents()
    painted = measure_paint(app, hall, link, t0, n, window, core)
    print(summary("baseline  event -> core updated (no window)", base))
    print(summary("1920x1080 event -> current call painted     ", painted))
    window.resize(3840, 2160)
    app.processEvents()
    painted4k = measure_paint(app, hall, link, t0, max(20, n // 3), window, core)
    print(summary("3840x2160 event -> current call painted     ", painted4k))
    print(f"ratio p50 painted/baseline (1080p): "
          f"{statistics.median(painted) / statistics.median(base):.1f}x")
    window.close()
    core.close()
    hall.close()


def bench_voice(app: QApplication, config: HallConfig, tmp: Path, n: int) -> None:
    import shutil

    from display.voice.announcer import Announcer
    from display.voice.audio import RecordingAudioOutput
    from display.voice.synthesizer import EspeakNgSynthesizer

    if shutil.which("espeak-ng") is None:
        print("voice: skipped (no espeak-ng)")
        return
    clock = ManualClock(OPENING)
    hall = Hall(app, tmp / "voice.db", config, clock)
    hall.issue(3 * n + 10)
    cache = tmp / "voice-cache"
    output = RecordingAudioOutput()
    announcer = Announcer(EspeakNgSynthesizer(cache, voice=config.voice.language,
                                              rate=config.voice.rate), output)
    link = hall.local.link("display-voice")
    t0: list[float] = []
    link.events_applied.connect(lambda evs: t0.append(time.monotonic()))
    core = BoardCore(link, config, announcer, AnnouncedStore(None))
    core.start()
    window = BoardWindow(core, size=(1920, 1080))
    window.show()

    def one(i: int, kind: str) -> float:
        t0.clear()
        before = len(output.played)
        hall.clock.advance(seconds=1)
        cid = hall.staff.send(kind, {"counter": hall.counter_for(i)})
        wait(app, lambda: len(output.played) > before and bool(t0))
        # Let the call finish, so the next measurement starts with an idle announcer.
        wait(app, lambda: announcer.pending() == 0 and cid in hall.replies)
        hall.replies.pop(cid)
        return (output.started_at[before] - t0[0]) * 1000

    cold = [one(i, "call_next") for i in range(n)]  # new labels: never rendered before
    warm = [one(i, "recall") for i in range(n)]  # the same words as the counter's last call
    print(summary("event -> first sound to player, cold cache (espeak-ng)", cold))
    print(summary("event -> first sound to player, warm cache            ", warm))
    announcer.shutdown()
    window.close()
    core.close()
    hall.close()


def bench_resources(app: QApplication, config: HallConfig, tmp: Path, idle_s: float,
                    burst: int) -> None:
    clock = ManualClock(OPENING)
    hall = Hall(app, tmp / "res.db", config, clock)
    hall.issue(burst + 50)
    link = hall.local.link("display-res")
    core = BoardCore(link, config, None, AnnouncedStore(None))
    core.start()
    window = BoardWindow(core, size=(1920, 1080))
    window.show()
    app.processEvents()
    c0, w0 = cpu_s(), time.monotonic()
    wait(app, lambda: time.monotonic() - w0 >= idle_s, timeout=idle_s + 5)
    idle_cpu = (cpu_s() - c0) / (time.monotonic() - w0) * 100
    print(f"idle ({idle_s:.0f} s, ticker + clock running): CPU {idle_cpu:.1f}% of one core, "
          f"RSS {rss_mb():.0f} MB")
    c0, w0 = cpu_s(), time.monotonic()
    ids = [hall.staff.send("call_next", {"counter": hall.counter_for(i)}) for i in range(burst)]
    hall.wait_all(ids)
    app.processEvents()
    wall = time.monotonic() - w0
    print(f"burst of {burst} calls in {wall:.2f} s: CPU {(cpu_s() - c0) / wall * 100:.0f}% "
          f"of one core (ledger writer thread included), RSS {rss_mb():.0f} MB")
    window.close()
    core.close()
    hall.close()


def bench_day(app: QApplication, config: HallConfig, tmp: Path, calls: int) -> None:
    """Many thousand calls through one board, time compressed into the 08:00-12:00 morning."""
    clock = ManualClock(OPENING)
    hall = Hall(app, tmp / "day.db", config, clock)
    link = hall.local.link("display-day")
    core = BoardCore(link, config, None, AnnouncedStore(tmp / "day-state.db"))
    core.start()
    window = BoardWindow(core, size=(1920, 1080))
    window.show()
    step = 4 * 3600 / calls
    batch = 50
    warm_rss = 0.0
    t_start = time.monotonic()
    for done in range(0, calls, batch):
        hall.issue(batch)
        ids = []
        for i in range(batch):
            clock.advance(seconds=step)
            ids.append(hall.staff.send("call_next", {"counter": hall.counter_for(done + i)}))
        hall.wait_all(ids)
        window.tick_clock()
        window.next_page()
        app.processEvents()
        if done + batch == 500:
            warm_rss = rss_mb()
    end_rss = rss_mb()
    print(f"compressed day: {calls} calls (+{calls} tickets) in {time.monotonic() - t_start:.0f} s;"
          f" RSS after 500 calls {warm_rss:.1f} MB, at the end {end_rss:.1f} MB, "
          f"growth {(end_rss / warm_rss - 1) * 100:+.1f}%")
    window.close()
    core.close()
    hall.close()


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--quick", action="store_true", help="fewer samples (a smoke run)")
    args = p.parse_args()
    app = QApplication.instance() or QApplication(sys.argv[:1])
    config = load_config(example_config_path())
    print(f"hall: {config.mpp.name}, {len(config.counters)} counters; "
          f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs")
    with tempfile.TemporaryDirectory(prefix="bench-display-") as t:
        tmp = Path(t)
        bench_paint(app, config, tmp, 60 if args.quick else 300)
        bench_voice(app, config, tmp, 8 if args.quick else 30)
        bench_resources(app, config, tmp, 3 if args.quick else 10, 100 if args.quick else 300)
        bench_day(app, config, tmp, 1000 if args.quick else 5000)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
