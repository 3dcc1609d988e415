"""Screenshots of every state of the counter app, full window and side panel.

    python -m counter_client.screenshots OUTDIR [--hall-config FILE] [--counter N]

Writes OUTDIR/counter-<state>-<full|panel>.png. A morning is staged on a throw-away ledger with a
manual clock (Monday 30 November 2026, from 08:10 WIB), so the pictures are the same every run.
The demo reuses `stage_hall` and `capture`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from shared.clock import ManualClock
from shared.config import HallConfig, example_config_path, load_config
from shared.ledger.ledger import Ledger
from shared.ledger.model import Actor

WIB = dt.timezone(dt.timedelta(hours=7))
MORNING = dt.datetime(2026, 11, 30, 8, 10, tzinfo=WIB)  # a Monday
STATES = ("signed-out", "idle", "called", "serving", "alert", "transfer", "paused", "offline")
SIZES = {"full": (1366, 768), "panel": (360, 768)}
OFFICER = "198705122010"
OFFICER_NAME = "Siti Rahmawati"
PIN = "1234"


def default_config() -> HallConfig:
    """The example hall when it exists, else the small test hall."""
    path = example_config_path()
    if not path.exists():
        path = Path(__file__).resolve().parent.parent / "tests" / "data" / "small_hall.toml"
    return load_config(path)


def pick_counter(cfg: HallConfig) -> int:
    """A counter that serves two queues shows more; Dukcapil is the one everybody knows."""
    multi = [c for c in cfg.counters.values() if len(c.queues) > 1]
    for c in multi:
        if c.agency.upper() == "DUKCAPIL":
            return c.number
    return multi[0].number if multi else min(cfg.counters)


def stage_hall(path: Path, cfg: HallConfig, clock: ManualClock, counter: int) -> None:
    """A morning so far: visitors took numbers from 08:10, the officer has served a few and one
    did not come when called; 12 people are waiting in the counter's queues."""
    led = Ledger(path, cfg, clock)
    try:
        kiosk = Actor("kiosk-1")
        queues = cfg.counters[counter].queues
        services = [s for q in queues for s in cfg.services_in_queue(q)]
        priorities = {4: "lansia", 9: "disabilitas"}
        issued = 0
        for i in range(100):
            if issued == 17:
                break
            svc = services[i % len(services)]
            r = led.issue_ticket(svc.code, kiosk, priority=priorities.get(issued))
            if not r.ok:
                continue  # a service whose quota is used up: the next one
            issued += 1
            clock.advance(minutes=2, seconds=17)
        who = Actor(f"counter-{counter}", OFFICER)
        _ok(led.run("sign_in", who, counter=counter))
        for i in range(5):
            _ok(led.call_next(counter, who))
            clock.advance(minutes=1)
            if i == 2:
                _ok(led.run("no_show", who, counter=counter))
                continue
            _ok(led.run("start", who, counter=counter))
            clock.advance(minutes=6, seconds=30)
            _ok(led.run("finish", who, counter=counter))
        _ok(led.run("sign_out", who, counter=counter))
    finally:
        led.close()


def _ok(result: object) -> None:
    if not getattr(result, "ok", False):
        raise RuntimeError(f"staging failed: {getattr(result, 'refusal', result)}")


def capture(outdir: Path, cfg: HallConfig, counter: int, mode: str,
            workdir: Path, size: tuple[int, int] | None = None) -> list[Path]:
    """Walk one window through every state, saving a PNG of each."""
    from counter_client.app import CounterWindow
    from counter_client.core import CounterCore
    from counter_client.switchable import SwitchableLink
    from shared.station.link import LocalLedger

    clock = ManualClock(MORNING)
    db = workdir / f"ledger-{mode}.db"
    stage_hall(db, cfg, clock, counter)
    local = LocalLedger(db, cfg, clock, pin_check=lambda who, pin: pin == PIN,
                        officer_names={OFFICER: OFFICER_NAME}.get)
    link = SwitchableLink(local.link(f"counter-{counter}"))
    core = CounterCore(link, counter, repeat_guard_s=0)
    window = CounterWindow(core, panel=(mode == "panel"))
    window.resize(*(size or SIZES[mode]))
    window.show()
    saved: list[Path] = []

    def shot(state: str) -> None:
        _settle()
        path = outdir / f"counter-{state}-{mode}.png"
        window.grab().save(str(path))
        saved.append(path)

    try:
        window.officer_edit.setText(OFFICER)
        window.pin_edit.setText(PIN)
        shot("signed-out")
        core.sign_in(OFFICER, PIN)
        _wait(lambda: core.state.signed_in and core.state.busy is None)
        shot("idle")
        core.call_next()
        _wait(lambda: core.state.current is not None and core.state.busy is None)
        clock.advance(seconds=40)
        core.refresh()
        shot("called")
        core.start()
        _wait(lambda: core.state.busy is None and core.state.current is not None
              and core.state.current.serving_s is not None)
        standard = core.state.current.standard_minutes if core.state.current else 10
        clock.advance(minutes=standard + 3, seconds=12)
        core.refresh()
        shot("serving")
        # A kiosk runs out of paper: every counter shows it until the kiosk says it is fixed.
        kiosk = local.link("kiosk-1")
        kiosk.send("alert", {"kind": "printer", "state": "open",
                             "message": "Kiosk kiosk-1: kertas printer habis."})
        _wait(lambda: bool(core.state.alerts))
        shot("alert")
        kiosk.send("alert", {"kind": "printer", "state": "resolved",
                             "message": "Kiosk kiosk-1: printer normal kembali."})
        _wait(lambda: not core.state.alerts)
        window.open_transfer()
        if window.transfer_list.count() > 1:
            window.transfer_list.setCurrentRow(1)
        shot("transfer")
        window.show_main()
        core.finish()
        _wait(lambda: core.state.busy is None and core.state.current is None)
        core.pause()
        _wait(lambda: core.state.busy is None and core.state.status == "paused")
        shot("paused")
        core.open()
        _wait(lambda: core.state.busy is None and core.state.status == "open")
        core.call_next()
        _wait(lambda: core.state.busy is None and core.state.current is not None)
        link.unplug()
        shot("offline")
    finally:
        window.close()
        local.close()
        # Qt objects are destroyed here, in order, not by the garbage collector at exit.
        for obj in (window, core, link, link.inner, local):
            obj.deleteLater()
        _flush_deletes()
    return saved


def _flush_deletes() -> None:
    from PySide6.QtCore import QCoreApplication, QEvent

    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    QCoreApplication.processEvents()


def _settle() -> None:
    _wait(lambda: True, settle_ms=30)


def _wait(done: Callable[[], bool], timeout_s: float = 10.0, settle_ms: int = 0) -> None:
    """Run the event loop until `done()` (checked every 10 ms), then a little longer for the
    last repaint."""
    from PySide6.QtCore import QEventLoop, QTimer

    loop = QEventLoop()
    poll = QTimer()
    poll.setInterval(10)
    end = time.monotonic() + timeout_s
    failed: list[bool] = []

    def check() -> None:
        if done():
            poll.stop()
            QTimer.singleShot(settle_ms, loop.quit)
        elif time.monotonic() > end:
            failed.append(True)
            loop.quit()

    poll.timeout.connect(check)
    poll.start()
    loop.exec()
    poll.stop()
    if failed:
        raise TimeoutError("the counter app did not reach the expected state")


def make_screenshots(outdir: Path, cfg: HallConfig | None = None,
                     counter: int | None = None) -> list[Path]:
    from PySide6.QtGui import QFont
    from PySide6.QtWidgets import QApplication

    cfg = cfg or default_config()
    number = counter if counter is not None else pick_counter(cfg)
    outdir.mkdir(parents=True, exist_ok=True)
    app = QApplication.instance() or QApplication(["antrean-counter-screenshots"])
    if isinstance(app, QApplication):
        app.setFont(QFont("DejaVu Sans", 11))
    saved: list[Path] = []
    with tempfile.TemporaryDirectory(prefix="antrean-counter-") as tmp:
        for mode in SIZES:
            saved += capture(outdir, cfg, number, mode, Path(tmp))
    return saved


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m counter_client.screenshots")
    p.add_argument("outdir", type=Path)
    p.add_argument("--hall-config", default=None)
    p.add_argument("--counter", type=int, default=None)
    args = p.parse_args(argv)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    cfg = load_config(args.hall_config) if args.hall_config else default_config()
    for path in make_screenshots(args.outdir, cfg, args.counter):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
