"""`antrean kiosk`: the touchscreen ticket kiosk.

    antrean kiosk --ledger hall.db --windowed                      # one PC, a window
    antrean kiosk --hub ws://10.0.0.2:8470 --token T --printer usb:0416:5011 --paper 58mm
    antrean kiosk --hub ws://10.0.0.2:8470 --token T --printer net:192.168.10.21:9100
    antrean kiosk --screenshots docs/screenshots                   # render every screen, exit
    antrean kiosk --hash-pin 2468                                  # print a hash for the config
"""

from __future__ import annotations

import argparse
import logging
import os
import re
import sys
from pathlib import Path

from kiosk.printing import PRINTER_ADDRESS_FORMS, PrinterSettings, printer_from_address
from kiosk.ticket import PAPERS
from shared.config import ConfigError, SettingsError
from shared.station.setup import (
    StationSetupError,
    add_station_arguments,
    check_station_arguments,
    open_link,
)

log = logging.getLogger(__name__)
# What kiosk.core.hash_pin makes: pbkdf2_sha256$<rounds>$<salt hex>$<hash hex>.
PIN_HASH = re.compile(r"pbkdf2_sha256\$\d+\$[0-9a-f]+\$[0-9a-f]{64}")


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_station_arguments(p, default_device="kiosk-1")
    p.add_argument("--windowed", action="store_true",
                   help="run in a window (default: full screen, kiosk mode)")
    p.add_argument("--printer", default="dummy", metavar="ADDRESS",
                   help=f"the ticket printer: {PRINTER_ADDRESS_FORMS} (default: %(default)s)")
    p.add_argument("--paper", choices=PAPERS, default="58mm",
                   help="thermal paper width (default: %(default)s)")
    p.add_argument("--no-printer-status", dest="printer_status", action="store_false",
                   help="print without asking the printer for its paper status first, for a "
                        "printer or print server that never answers (paper out is then noticed "
                        "only by the printer's own light)")
    p.add_argument("--admin-pin", default=None,
                   help="admin PIN (visible in the process list: prefer --admin-pin-hash)")
    p.add_argument("--admin-pin-hash", default=os.environ.get("ANTREAN_ADMIN_PIN_HASH"),
                   help="admin PIN hash from --hash-pin (default: $ANTREAN_ADMIN_PIN_HASH)")
    p.add_argument("--hash-pin", metavar="PIN", default=None,
                   help="print the hash of PIN for --admin-pin-hash and exit")
    p.add_argument("--screenshots", metavar="DIR", default=None,
                   help="render every screen in portrait and landscape into DIR and exit")


def printer_settings(args: argparse.Namespace) -> PrinterSettings:
    """The printer the arguments name; raises ConfigError with one line naming what is wrong."""
    return printer_from_address(args.printer, args.paper, status_check=args.printer_status)


def check(args: argparse.Namespace) -> None:
    """The printer, the admin PIN hash and the hub settings, before any window opens."""
    if args.hash_pin or args.screenshots:
        return
    try:
        printer_settings(args)
        check_station_arguments(args)
    except (ConfigError, StationSetupError) as e:
        raise SettingsError(str(e)) from None
    if args.admin_pin_hash and not PIN_HASH.fullmatch(args.admin_pin_hash.strip()):
        raise SettingsError("the admin PIN hash (--admin-pin-hash or ANTREAN_ADMIN_PIN_HASH) "
                            "is not one printed by 'antrean kiosk --hash-pin PIN'")


def run(args: argparse.Namespace) -> int:
    from kiosk.core import hash_pin

    if args.hash_pin:
        print(hash_pin(args.hash_pin))
        return 0
    if args.screenshots:
        from kiosk.screens.screenshots import render_all

        written = render_all(Path(args.screenshots),
                             Path(args.hall_config) if args.hall_config else None)
        print(f"{len(written)} screenshots in {args.screenshots}")
        return 0
    try:
        settings = printer_settings(args)
    except ConfigError as e:
        print(f"antrean kiosk: {e}", file=sys.stderr)
        return 2
    return _run_gui(args, settings)


def _run_gui(args: argparse.Namespace, settings: PrinterSettings) -> int:
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QCursor
    from PySide6.QtWidgets import QApplication

    from kiosk.app import KioskWindow
    from kiosk.core import KioskCore, KioskSettings, hash_pin
    from kiosk.print_worker import PrintWorker
    from kiosk.printing import make_printer
    from shared.station.startup import start_qt

    # Qt checked first; Ctrl+C and systemctl stop end the loop, then the cleanup below.
    app, stop = start_qt("antrean kiosk")
    try:
        link, owner = open_link(args, role="kiosk")
    except StationSetupError as e:
        print(f"antrean kiosk: {e}", file=sys.stderr)
        return 2
    pin_hash = args.admin_pin_hash or (hash_pin(args.admin_pin) if args.admin_pin else None)
    if pin_hash is None:
        log.warning("no admin PIN set: the admin menu and leaving kiosk mode are locked "
                    "(antrean kiosk --hash-pin PIN prints a hash for ANTREAN_ADMIN_PIN_HASH)")
    worker = PrintWorker(make_printer(settings))
    core = KioskCore(link, worker, link.clock, link.config,
                     KioskSettings(paper=settings.paper, admin_pin_hash=pin_hash))
    window = KioskWindow(core, kiosk_mode=not args.windowed)
    core.quit_requested.connect(app.quit)
    if args.windowed:
        window.resize(540, 960)
        window.show()
    else:
        # Touch only: no pointer on screen, no window frame to drag.
        QApplication.setOverrideCursor(QCursor(Qt.CursorShape.BlankCursor))
        window.showFullScreen()
    try:
        return stop.exec()
    finally:
        worker.shutdown()
        link.close()
        close = getattr(owner, "close", None)
        if close is not None and owner is not link:
            close()
