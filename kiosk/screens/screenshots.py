"""Render every kiosk screen at both hall orientations to PNG files.

    python -m kiosk.screens.screenshots OUTDIR [--config FILE]
    antrean kiosk --screenshots OUTDIR

Drives a real `KioskCore` over an in-process ledger (a temporary file) with the example hall,
a `ManualClock` on a Monday morning and the `DummyPrinter` test double, so the pictures show what
a visitor would see. Files are named kiosk-<screen>-<portrait|landscape>.png.
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

from PySide6.QtCore import QEventLoop, QThread
from PySide6.QtWidgets import QApplication

from kiosk.app import KioskWindow
from kiosk.core import KioskCore, KioskSettings, Step, hash_pin
from kiosk.print_worker import PrintWorker
from kiosk.printing import DummyPrinter
from shared.clock import ManualClock
from shared.config import HallConfig, example_config_path, load_config
from shared.ledger.ledger import Ledger
from shared.ledger.model import Actor
from shared.station.link import LocalLedger

ORIENTATIONS = {"portrait": (1080, 1920), "landscape": (1920, 1080)}
WIB = dt.timezone(dt.timedelta(hours=7))
# A Monday of the service week, mid-morning: some agencies (BPOM, Taspen, Imigrasi in the
# example hall) are not at the MPP on Mondays, so closed tiles appear too.
MONDAY_0930 = dt.datetime(2026, 11, 30, 9, 30, tzinfo=WIB)
HOLIDAY_1000 = dt.datetime(2026, 12, 25, 10, 0, tzinfo=WIB)
SCREENSHOT_PIN = "2468"


def render_all(outdir: Path, config_path: Path | None = None) -> list[Path]:
    """Render every screen in both orientations into `outdir`; returns the files written."""
    # No window flashes up on a desktop; this must precede the QApplication.
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication(sys.argv[:1])
    config = load_config(config_path or example_config_path())
    outdir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []

    for orientation, size in ORIENTATIONS.items():
        written += _render_orientation(app, config, outdir, orientation, size)
    return written


def _render_orientation(app: QApplication, config: HallConfig, outdir: Path, orientation: str,
                        size: tuple[int, int]) -> list[Path]:
    width, height = size
    written: list[Path] = []
    with tempfile.TemporaryDirectory(prefix="antrean-shots-") as tmp:
        db = Path(tmp) / "ledger.db"
        clock = ManualClock(MONDAY_0930)
        _seed(Ledger(db, config, clock), Actor("kiosk-seed"))
        local = LocalLedger(db, config, clock)
        printer = DummyPrinter("80mm")
        worker = PrintWorker(printer)
        core = KioskCore(local.link("kiosk-1"), worker, clock, config, KioskSettings(
            paper="80mm", admin_pin_hash=hash_pin(SCREENSHOT_PIN),
            # Nothing may time out while the pictures are taken.
            idle_timeout_ms=600_000, ticket_timeout_ms=600_000,
            failed_ticket_timeout_ms=600_000, reply_timeout_ms=600_000))
        window = KioskWindow(core)
        window.resize(width, height)
        window.show()

        def shot(name: str) -> None:
            _settle(app)
            path = outdir / f"kiosk-{name}-{orientation}.png"
            window.grab().save(str(path))
            written.append(path)

        def wait(cond: Callable[[], bool]) -> None:
            deadline = time.monotonic() + 10
            while not cond():
                if time.monotonic() > deadline:
                    raise RuntimeError("the kiosk did not reach the expected state")
                _settle(app)

        try:
            shot("welcome")
            core.start()
            shot("agency")
            core.next_page()
            core.next_page()
            shot("agency-last-page")
            core.reset()
            core.toggle_language()
            core.start()
            shot("agency-english")
            core.reset()
            core.start()
            core.choose_agency("DUKCAPIL")
            shot("service")
            core.back()
            core.choose_agency("KEMENAG")
            shot("service-quota-full")
            core.choose_service("kemenag-haji")
            shot("closed-quota-full")
            core.reset()
            core.start()
            core.choose_agency("DUKCAPIL")
            first_open = next(t.code for t in core.service_tiles()
                              if t.availability.is_open)
            core.choose_service(first_open)
            shot("priority")
            core.choose_priority(None)
            shot("issuing")
            wait(lambda: core.ticket is not None and core.ticket.print_state == "printed")
            shot("ticket")
            core.reset()
            core.start()
            core.choose_agency("DUKCAPIL")
            core.choose_service(first_open)
            core.choose_priority("lansia")
            wait(lambda: core.ticket is not None and core.ticket.print_state == "printed")
            shot("ticket-priority")
            printer.fail_with = "printer is out of paper"
            core.reset()
            core.start()
            core.choose_agency("DUKCAPIL")
            core.choose_service(first_open)
            core.choose_priority(None)
            wait(lambda: core.ticket is not None and core.ticket.print_state == "failed")
            shot("ticket-print-failed")
            printer.fail_with = None
            # The "please wait / try again" screen, reached here without a slow hub: its
            # content does not depend on the reply.
            core.reset()
            core._go(Step.SLOW)
            shot("slow")
            core.reset()
            core._on_printer_status("paper_low")
            core.link._set_online(False)  # type: ignore[attr-defined]
            shot("offline")
            core.link._set_online(True)  # type: ignore[attr-defined]
            shot("welcome-paper-low")
            core._on_printer_status("paper_out")
            shot("welcome-paper-out")
            core._on_printer_status("ok")
            # Nobody has touched the screen for a while: the warning before the kiosk starts
            # over.
            core.start()
            core.choose_agency("DUKCAPIL")
            core._on_idle()
            shot("countdown")
            core.reset()
            core.request_admin()
            core.enter_pin("0000")
            shot("pin")
            core.enter_pin(SCREENSHOT_PIN)
            shot("admin")
            # The 07:55 crowd: a ticket taken before the counters open says from when.
            clock.set(MONDAY_0930.replace(hour=7, minute=40))
            core.reset()
            core.start()
            core.choose_agency("DUKCAPIL")
            core.choose_service(first_open)
            core.choose_priority(None)
            wait(lambda: core.ticket is not None and core.ticket.print_state == "printed")
            shot("ticket-before-opening")
            clock.set(MONDAY_0930.replace(hour=6, minute=45))
            core.reset()
            shot("welcome-before-opening")
            clock.set(HOLIDAY_1000)
            core.reset()
            shot("welcome-holiday")
        finally:
            window.close()
            worker.shutdown()
            local.close()
            window.deleteLater()
            _settle(app)
    return written


def _seed(ledger: Ledger, actor: Actor) -> None:
    """Some people already waiting at Dukcapil, and the Kemenag hajj quota used up."""
    try:
        services = ledger.config.services
        for code in services:
            if services[code].agency == "DUKCAPIL":
                for _ in range(3):
                    ledger.issue_ticket(code, actor)
        if "kemenag-haji" in services:
            for _ in range(services["kemenag-haji"].daily_quota or 0):
                ledger.issue_ticket("kemenag-haji", actor)
    finally:
        ledger.close()


def _settle(app: QApplication) -> None:
    for _ in range(5):
        app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 20)
        QThread.msleep(5)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m kiosk.screens.screenshots",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("outdir", type=Path)
    parser.add_argument("--config", type=Path, default=None,
                        help="hall config (default: the example hall)")
    args = parser.parse_args(argv)
    for path in render_all(args.outdir, args.config):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
