"""Render the hall board to PNG files with a realistic morning: `python -m display.screenshots OUT`.

The hall is the example config (MPP Sukoharjo, ~40 counters). Tickets are issued and called
through a real ledger with a ManualClock, so what is painted is what a board would show at
10:15 on a Monday. Also used by the demo, and by IT staff to check a config's look.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

# Screenshots need no screen.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QT_LOGGING_RULES", "qt.multimedia*=false")

from PySide6.QtCore import QEventLoop

from shared.clock import ManualClock
from shared.config import HallConfig, example_config_path, load_config
from shared.ledger import model as m
from shared.ledger.ledger import Ledger
from shared.ledger.model import Actor

WIB = dt.timezone(dt.timedelta(hours=7))
MORNING = dt.datetime(2026, 11, 30, 8, 0, tzinfo=WIB)  # a Monday

# The board that is also shown with a kiosk's alert on its staff line.
ALERT_SHOT = ("40", 1920, 1080)

# (counters, width, height): the sizes the hall uses.
SHOTS: tuple[tuple[str, int, int], ...] = (
    ("2", 1920, 1080), ("2", 3840, 2160), ("40", 1920, 1080), ("40", 3840, 2160),
    ("40", 1080, 1920),
)


def build_morning(path: Path, config: HallConfig, clock: ManualClock, seed: int = 7,
                  tickets: int = 420, calls: int = 150) -> None:
    """Fill a ledger with a busy morning: most counters open, tickets waiting, calls made."""
    rng = random.Random(seed)
    led = Ledger(path, config, clock)
    try:
        kiosk = Actor("kiosk-1")
        staff: dict[int, Actor] = {}
        for number in sorted(config.counters):
            if number % 11 == 0:
                continue  # a few counters are closed: nobody from that agency came in today
            who = Actor(f"counter-{number}", f"petugas-{number}")
            if led.run("sign_in", who, counter=number).ok:
                staff[number] = who
        services = list(config.services.values())
        # Dukcapil and the tax office draw most of the crowd, as in real halls.
        weights = [6 if s.agency in ("DUKCAPIL", "BKD", "SAMSAT") else 1 for s in services]
        for _ in range(tickets):
            clock.advance(seconds=rng.uniform(2, 8))
            svc = rng.choices(services, weights)[0]
            led.run("issue_ticket", kiosk, service=svc.code,
                    priority="lansia" if rng.random() < 0.06 else None)
        open_counters = list(staff)
        for _ in range(calls):
            clock.advance(seconds=rng.uniform(5, 40))
            number = rng.choice(open_counters)
            led.call_next(number, staff[number])
            if rng.random() < 0.08:
                led.run("recall", staff[number], counter=number)
        # Two counters on a break, to show that state too.
        for number in open_counters[3:5]:
            who = staff[number]
            if led.reader.active_ticket(number) is not None:
                led.run("finish", who, counter=number)
            led.run("pause_counter", who, counter=number, reason="istirahat")
        clock.advance(seconds=20)
        # The newest call is a real, fresh call on the board.
        last = open_counters[0]
        led.call_next(last, staff[last])
        assert led.reader.recent_calls(1)[0].kind in m.CALL_KINDS
    finally:
        led.close()


def _with_alert(app: Any, local: Any, core: Any, window: Any, path: Path) -> Path:
    """The same board with the staff line a kiosk's paper-out puts on it (sent through the
    ledger like the kiosk's own)."""
    kiosk = local.link("kiosk-2")
    kiosk.send("alert", {"kind": "printer", "state": "open",
                         "message": "Kiosk kiosk-2: kertas printer habis."})
    deadline = time.monotonic() + 10
    while not core.alerts and time.monotonic() < deadline:
        app.processEvents(QEventLoop.ProcessEventsFlag.WaitForMoreEvents, 50)
    if not core.alerts:
        raise RuntimeError("the board did not learn of the kiosk's alert")
    app.processEvents()
    window.grab().save(str(path))
    kiosk.send("alert", {"kind": "printer", "state": "resolved",
                         "message": "Kiosk kiosk-2: printer normal kembali."})
    while core.alerts and time.monotonic() < deadline:
        app.processEvents(QEventLoop.ProcessEventsFlag.WaitForMoreEvents, 50)
    return path


def two_counter_agencies(config: HallConfig) -> list[str]:
    """Agencies whose counters add up to two: a board over one corner of the hall."""
    per_agency: dict[str, int] = {}
    for c in config.counters.values():
        per_agency[c.agency] = per_agency.get(c.agency, 0) + 1
    for code, n in per_agency.items():
        if n == 2:
            return [code]
    singles = [code for code, n in per_agency.items() if n == 1]
    return singles[:2]


def render(out_dir: Path, config: HallConfig | None = None, media: Path | None = None,
           shots: Sequence[tuple[str, int, int]] = SHOTS) -> list[Path]:
    from PySide6.QtWidgets import QApplication

    from display.board import BoardWindow, load_logo
    from display.core import AnnouncedStore, BoardCore
    from display.media import MediaArea
    from shared.station.link import LocalLedger

    app = QApplication.instance() or QApplication(sys.argv[:1])
    cfg = config or load_config(example_config_path())
    out_dir.mkdir(parents=True, exist_ok=True)
    made: list[Path] = []
    with tempfile.TemporaryDirectory(prefix="antrean-shots-") as tmp:
        clock = ManualClock(MORNING)
        db = Path(tmp) / "hall.db"
        build_morning(db, cfg, clock)
        local = LocalLedger(db, cfg, clock)
        try:
            for counters, w, h in shots:
                link = local.link(f"display-{counters}-{w}x{h}")
                agencies = two_counter_agencies(cfg) if counters == "2" else None
                core = BoardCore(link, cfg, None, AnnouncedStore(None), agencies=agencies)
                core.start()
                area = MediaArea.from_folder(media) if media else None
                window = BoardWindow(core, media=area, logo=load_logo(cfg), size=(w, h))
                window.show()
                app.processEvents()
                name = f"display-{len(core.counter_numbers)}-{w}x{h}"
                path = out_dir / f"{name}.png"
                window.grab().save(str(path))
                made.append(path)
                if (counters, w, h) == ALERT_SHOT:
                    alert = out_dir / f"{name}-alert.png"
                    made.append(_with_alert(app, local, core, window, alert))
                window.close()
                window.deleteLater()
                core.deleteLater()
                app.processEvents()
        finally:
            local.close()
    return made


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m display.screenshots",
                                description="Render the hall board to PNG files.")
    p.add_argument("out_dir", type=Path)
    p.add_argument("--hall-config", type=Path, default=None)
    p.add_argument("--media", type=Path, default=None, help="a media folder to show as well")
    args = p.parse_args(argv)
    cfg = load_config(args.hall_config) if args.hall_config else None
    for path in render(args.out_dir, cfg, args.media):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
