"""`antrean demo`: a whole hall on this PC.

    antrean demo                         # with a screen: hub, kiosk, 2 counters, board, windows
    antrean demo --headless --out DIR    # no screen: a scripted session, pictures and WAVs
    antrean demo --no-web                # without the embedded web station

With a screen, an embedded hub (the real LAN hub, in this process) serves the example hall;
a kiosk, two counters and a board, each in its own window, reach it over the network like
stations on other PCs, and so does a web station (the tickets' QR codes open its pages; the
console prints its address). Without a screen (a server, CI) the same hall runs a short scripted
morning and writes a screenshot of every station, each printed ticket and each announcement
into the output folder, then exits 0 (1 with a one-line error when something fails).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from antrean.demo.web import DEFAULT_WEB_PORT

if TYPE_CHECKING:
    from antrean.demo.runner import DemoOptions

DEFAULT_PORT = 8470
DEFAULT_OUT = "antrean-demo-output"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--headless", action="store_true",
                   help="run the scripted session even where there is a screen")
    p.add_argument("--out", type=Path, default=Path(DEFAULT_OUT), metavar="DIR",
                   help=f"where the scripted session writes its files (default: ./{DEFAULT_OUT})")
    p.add_argument("--data", type=Path, default=None, metavar="DIR",
                   help="the demo hub's ledger, tokens and replicas, emptied at each start "
                        "(default: OUT/data)")
    p.add_argument("--hall-config", type=Path, default=None, metavar="FILE",
                   help="hall config TOML (default: the example hall, MPP Sukoharjo)")
    p.add_argument("--host", default="127.0.0.1",
                   help="address the hub listens on (0.0.0.0: let other PCs of the LAN join)")
    p.add_argument("--port", type=int, default=None,
                   help=f"the hub's port (default {DEFAULT_PORT}, or a free one if that is "
                        f"taken; 0: any free port)")
    p.add_argument("--web-port", type=int, default=None, metavar="PORT",
                   help=f"the embedded web station's port, whose address the tickets' QR "
                        f"codes hold (default {DEFAULT_WEB_PORT}, or a free one if that is "
                        f"taken; 0: any free port)")
    p.add_argument("--no-web", action="store_true",
                   help="run no web station (the tickets' QR codes then hold their number "
                        "only)")


def check(args: argparse.Namespace) -> None:
    """The ports, before anything starts."""
    from shared.config import SettingsError

    for flag, port in (("--port", args.port), ("--web-port", args.web_port)):
        if port is not None and not 0 <= port <= 65535:
            raise SettingsError(f"{flag} {port} is not a port number (0-65535)")
    if args.no_web and args.web_port is not None:
        raise SettingsError("--web-port and --no-web contradict each other; give one")
    if (args.port and args.web_port and args.port == args.web_port):
        raise SettingsError(f"--port and --web-port are both {args.port}; the hub and the "
                            f"web station need a port each")


def run(args: argparse.Namespace) -> int:
    from antrean.demo import runner

    headless = args.headless or not runner.has_screen()
    if headless:
        # Before Qt is loaded: windows are drawn into memory, and Qt Multimedia does not
        # complain about the sound server this machine lacks.
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
        os.environ.setdefault("QT_LOGGING_RULES", "qt.multimedia*=false")
    if not args.verbose:
        # Each station's connect and disconnect is news in a hall, not in a demo.
        for name in ("antrean.hub", "aiohttp.access", "kiosk", "counter_client", "display"):
            logging.getLogger(name).setLevel(logging.WARNING)
    try:
        options = _options(args)
        return runner.run_headless(options) if headless else runner.run_windows(options)
    except KeyboardInterrupt:
        print("antrean demo: interrupted", file=sys.stderr)
        return 130
    except Exception as e:
        from antrean.demo.hall import DemoError
        from antrean.demo.plan import PlanError
        from shared.config import ConfigError

        if not isinstance(e, (DemoError, PlanError, ConfigError, OSError)):
            logging.getLogger(__name__).debug("demo failed", exc_info=True)
            print(f"antrean demo: unexpected {type(e).__name__}: {e} (run with -v for details)",
                  file=sys.stderr)
            if args.verbose:
                raise
            return 1
        print(f"antrean demo: {e}", file=sys.stderr)
        return 1


def _options(args: argparse.Namespace) -> DemoOptions:
    from antrean.demo.hall import DemoError
    from antrean.demo.runner import DemoOptions
    from shared.config import example_config_path, load_config

    config = load_config(args.hall_config or example_config_path())
    out = args.out
    port = DEFAULT_PORT if args.port is None else args.port
    if not 0 <= port <= 65535:
        raise DemoError(f"--port {port} is not a port number")
    web_port = DEFAULT_WEB_PORT if args.web_port is None else args.web_port
    return DemoOptions(config=config, out=out, data=args.data or out / "data", host=args.host,
                       port=port, port_given=args.port is not None, web=not args.no_web,
                       web_port=web_port, web_port_given=args.web_port is not None)
