"""`antrean kiosk`: the touchscreen ticket kiosk.

    antrean kiosk --ledger hall.db --windowed                      # one PC, a window
    antrean kiosk --hub ws://10.0.0.2:8470 --token T --printer usb:0416:5011 --paper 58mm
    antrean kiosk --screenshots docs/screenshots                   # render every screen, exit
    antrean kiosk --hash-pin 2468                                  # print a hash for the config
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

from kiosk.printing import PrinterSettings, printer_settings_from_mapping
from kiosk.ticket import PAPERS
from shared.config import ConfigError
from shared.station.setup import StationSetupError, add_station_arguments, open_link

log = logging.getLogger(__name__)


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_station_arguments(p, default_device="kiosk-1")
    p.add_argument("--windowed", action="store_true",
                   help="run in a window (default: full screen, kiosk mode)")
    p.add_argument("--printer", default="dummy",
                   help="dummy | file:/dev/usb/lp0 | network:HOST[:PORT] | usb:VID:PID "
                        "(default: dummy, prints nowhere)")
    p.add_argument("--paper", choices=PAPERS, default="58mm", help="thermal paper width")
    p.add_argument("--admin-pin", default=None,
                   help="admin PIN (visible in the process list: prefer --admin-pin-hash)")
    p.add_argument("--admin-pin-hash", default=os.environ.get("ANTREAN_ADMIN_PIN_HASH"),
                   help="admin PIN hash from --hash-pin (default: $ANTREAN_ADMIN_PIN_HASH)")
    p.add_argument("--hash-pin", metavar="PIN", default=None,
                   help="print the hash of PIN for --admin-pin-hash and exit")
    p.add_argument("--screenshots", metavar="DIR", default=None,
                   help="render every screen in portrait and landscape into DIR and exit")


def printer_settings(spec: str, paper: str) -> PrinterSettings:
    """--printer text to PrinterSettings; raises ConfigError naming what is wrong."""
    kind, _, rest = spec.partition(":")
    table: dict[str, object] = {"kind": kind, "paper": paper}
    if kind == "file":
        table["device"] = rest
    elif kind == "network":
        host, _, port = rest.partition(":")
        table["host"] = host
        if port:
            if not port.isdigit():
                raise ConfigError("--printer", "port", f'"{port}" is not a port number')
            table["port"] = int(port)
    elif kind == "usb":
        vendor, _, product = rest.partition(":")
        table["vendor_id"], table["product_id"] = vendor, product
    elif kind != "dummy" or rest:
        raise ConfigError("--printer", "kind",
                          f'"{spec}": use dummy, file:PATH, network:HOST[:PORT] or usb:VID:PID')
    return printer_settings_from_mapping(table, "--printer", "")


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
        settings = printer_settings(args.printer, args.paper)
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
        link, owner = open_link(args)
    except StationSetupError as e:
        print(f"antrean kiosk: {e}", file=sys.stderr)
        return 2
    pin_hash = args.admin_pin_hash or (hash_pin(args.admin_pin) if args.admin_pin else None)
    if pin_hash is None:
        log.warning("no admin PIN set: the admin menu and leaving kiosk mode are locked")
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
