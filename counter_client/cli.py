"""`antrean counter`: the officer's app at one loket.

    antrean counter --ledger hall.db --counter 3            # one PC, in-process ledger
    antrean counter --hub ws://192.168.1.10:8470 --token … --counter 3 --panel
    antrean counter --screenshots docs/screenshots          # write the screenshots and exit
    antrean counter --key call_next="F12 Enter" --key recall=F11   # a different caller button
    antrean counter ... --idle-minutes 15   # sign an idle officer out sooner (0: never)
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from counter_client import core as c
from shared.config import SettingsError
from shared.counter_rules import IDLE_SIGN_OUT_S, parse_idle_minutes
from shared.station.setup import (
    StationSetupError,
    add_station_arguments,
    check_station_arguments,
    open_link,
)

log = logging.getLogger(__name__)

# What the officer (or IT staff) types after --key, and the action it means.
KEY_ACTIONS = {
    "call_next": c.CALL_NEXT, "recall": c.RECALL, "start": c.START, "finish": c.FINISH,
    "no_show": c.NO_SHOW, "transfer": c.TRANSFER, "return_no_show": c.RETURN_NO_SHOW,
    "pause": c.PAUSE, "open": c.OPEN, "close": c.CLOSE,
}


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_station_arguments(p, default_device="counter")
    p.add_argument("--counter", type=int, default=None, metavar="N",
                   help="bind this PC to counter N (default: the officer picks it at sign-in)")
    p.add_argument("--panel", action="store_true",
                   help="narrow always-on-top side panel at the screen's right edge")
    p.add_argument("--key", action="append", default=[], metavar="ACTION=KEYS",
                   help="keys for an action, space-separated, e.g. call_next=\"F12 Enter +\"; "
                        f"actions: {', '.join(KEY_ACTIONS)}")
    p.add_argument("--idle-minutes", type=idle_minutes, default=IDLE_SIGN_OUT_S / 60,
                   metavar="N",
                   help="sign the officer out after N minutes without a key, click or touch "
                        "and with no visitor at the counter, as the browser counter does "
                        f"(default: {IDLE_SIGN_OUT_S // 60:g}; a fraction such as 0.5 is "
                        "allowed; 0: never)")
    p.add_argument("--screenshots", type=Path, default=None, metavar="DIR",
                   help="write screenshots of every state to DIR and exit")


def idle_minutes(text: str) -> float:
    try:
        return parse_idle_minutes(text)  # the browser counter's --idle-minutes reads the same
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def parse_keys(specs: list[str]) -> dict[str, tuple[str, ...]]:
    keys: dict[str, tuple[str, ...]] = {}
    for spec in specs:
        name, sep, value = spec.partition("=")
        if not sep or name.strip() not in KEY_ACTIONS:
            raise ValueError(f"--key {spec!r}: use ACTION=KEYS with ACTION one of "
                             f"{', '.join(KEY_ACTIONS)}")
        keys[KEY_ACTIONS[name.strip()]] = tuple(value.split())
    return keys


def check(args: argparse.Namespace) -> None:
    """The key bindings and the hub settings, before any window opens."""
    if args.screenshots is not None:
        return
    try:
        parse_keys(args.key)
        check_station_arguments(args)
    except (ValueError, StationSetupError) as e:
        raise SettingsError(str(e)) from None


def run(args: argparse.Namespace) -> int:
    if args.screenshots is not None:
        from counter_client.screenshots import default_config, make_screenshots
        from shared.config import ConfigError, load_config

        try:
            cfg = load_config(args.hall_config) if args.hall_config else default_config()
        except ConfigError as e:
            print(f"antrean counter: {e}", file=sys.stderr)
            return 2
        for path in make_screenshots(args.screenshots, cfg, args.counter):
            print(path)
        return 0
    try:
        keys = parse_keys(args.key)
    except ValueError as e:
        print(f"antrean counter: {e}", file=sys.stderr)
        return 2
    if args.device == "counter" and args.counter is not None:
        args.device = f"counter-{args.counter}"

    from PySide6.QtGui import QFont, QGuiApplication

    from counter_client.app import PANEL_WIDTH, CounterWindow
    from counter_client.core import CounterCore
    from shared.station.startup import start_qt

    # Qt checked first; Ctrl+C and systemctl stop end the loop, then the cleanup below.
    app, stop = start_qt("antrean counter", "Antrean loket")
    app.setFont(QFont("DejaVu Sans", 11))
    try:
        link, owner = open_link(args, role="counter")
    except StationSetupError as e:
        print(f"antrean counter: {e}", file=sys.stderr)
        return 2
    try:
        try:
            core = CounterCore(link, args.counter,
                               idle_sign_out_s=args.idle_minutes * 60.0)
        except ValueError as e:
            print(f"antrean counter: {e}", file=sys.stderr)
            return 2
        window = CounterWindow(core, panel=args.panel, keys=keys)
        screen = QGuiApplication.primaryScreen()
        if args.panel and screen is not None:
            area = screen.availableGeometry()
            window.setGeometry(area.right() - PANEL_WIDTH + 1, area.top(), PANEL_WIDTH,
                               area.height())
        else:
            window.resize(1366, 768)
        window.show()
        log.info("counter app up: device %s, counter %s", args.device, args.counter or "(pick)")
        code = stop.exec()
        core.stop()
        return code
    finally:
        close = getattr(owner, "close", None)
        if callable(close):
            close()
