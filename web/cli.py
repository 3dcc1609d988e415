"""`antrean web`: the web station (visitors' ticket pages, the board in a browser, the screens
above the loket, today's overview), serving from its own replica of the ledger.

    antrean web --hub ws://127.0.0.1:8470 --token T --listen 127.0.0.1:8080
    antrean web --hub wss://192.168.10.2:8470 --token T --hub-fingerprint F --listen 0.0.0.0:8080
    antrean web ... --listen 0.0.0.0:8443 --tls-cert hall.crt --tls-key hall.key   # HTTPS
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import signal
import ssl
import sys
from pathlib import Path

from shared.config import SettingsError
from shared.counter_rules import parse_idle_minutes
from shared.station import https
from shared.station.follower import check_settings, parse_listen

__all__ = ["add_arguments", "check", "parse_listen", "run"]

log = logging.getLogger(__name__)


def positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number above 0, not {text!r}")
    return int(text)


def idle_minutes(text: str) -> float:
    try:
        return parse_idle_minutes(text)  # the Qt counter's --idle-minutes reads the same
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--hub", default=os.environ.get("ANTREAN_HUB"),
                   help="hub address, e.g. wss://192.168.10.2:8470 (default: $ANTREAN_HUB)")
    p.add_argument("--hub-fingerprint", default=os.environ.get("ANTREAN_HUB_FINGERPRINT"),
                   metavar="SHA256HEX",
                   help="the hub certificate's SHA-256 fingerprint, printed by 'antrean hub "
                        "... enroll'; required with a wss:// hub "
                        "(default: $ANTREAN_HUB_FINGERPRINT)")
    p.add_argument("--token", default=os.environ.get("ANTREAN_TOKEN"),
                   help="this station's token, enrolled with --role web "
                        "(default: $ANTREAN_TOKEN)")
    p.add_argument("--device", default="web-1", help="this station's name")
    p.add_argument("--replica", type=Path, default=None,
                   help="replica file (default: replica-DEVICE.db in the user's data folder, "
                        "~/.local/share/antrean on Linux)")
    p.add_argument("--listen", type=parse_listen, default=("127.0.0.1", 8080),
                   metavar="HOST:PORT",
                   help="where to serve the pages (default: 127.0.0.1:8080; 0.0.0.0:8080 for "
                        "the hall's Wi-Fi)")
    https.add_arguments(p, "the pages")
    p.add_argument("--proxy-address", default="", metavar="IP",
                   help="the HTTPS reverse proxy's address (e.g. 127.0.0.1), when one is in "
                        "front: from it, X-Forwarded-Proto says whether the browser used "
                        "HTTPS (the counter's cookies are then Secure) and the client's "
                        "address is the last one in X-Forwarded-For, for the rate limit "
                        "(default: no proxy)")
    p.add_argument("--idle-minutes", type=idle_minutes, default=30, metavar="N",
                   help="sign an officer out of the browser counter after N minutes without "
                        "a press (default: 30; a fraction such as 0.5 is allowed; 0: never)")
    p.add_argument("--rate-limit", type=positive, default=120, metavar="N",
                   help="requests a minute one client address may make (default: 120)")
    p.add_argument("--nice", type=int, default=10, choices=range(0, 20), metavar="0-19",
                   help="lower this process's CPU priority by N (default: 10), so a flood of "
                        "phones yields the CPU to the hub on the same PC")
    p.add_argument("--simulated-clock", metavar="ISO[,SPEED]", default=None,
                   help="run on a simulated clock (tests); never in a hall")


def check(args: argparse.Namespace) -> None:
    """The hub settings, before anything is opened."""
    check_settings(args.hub, args.token, args.hub_fingerprint, args.simulated_clock,
                   "the web station", "web")
    https.check(args)


def default_replica(device: str) -> Path:
    base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return base / "antrean" / f"replica-{device}.db"


def run(args: argparse.Namespace) -> int:
    # The pair is read before the hub is asked anything: a wrong file changes nothing.
    try:
        ssl_context = https.server_context(args.tls_cert, args.tls_key)
    except SettingsError as e:
        print(f"antrean web: {e}", file=sys.stderr)
        return 2
    if args.nice and hasattr(os, "nice"):  # not on Windows
        os.nice(args.nice)
    try:
        return asyncio.run(_serve(args, ssl_context))
    except OSError as e:  # the port is taken, the address is not this PC's
        print(f"antrean web: cannot serve on {args.listen[0]}:{args.listen[1]}: {e}",
              file=sys.stderr)
        return 2


async def _serve(args: argparse.Namespace, ssl_context: ssl.SSLContext | None) -> int:
    from shared.clock import Clock, parse_simulated_clock
    from web.app import serve
    from web.station import WebStation, WebStationError

    clock: Clock | None = (parse_simulated_clock(args.simulated_clock)
                           if args.simulated_clock else None)
    try:
        station = await WebStation.open(args.hub, args.token,
                                        args.replica or default_replica(args.device),
                                        args.hub_fingerprint, clock)
    except WebStationError as e:
        print(f"antrean web: {e}", file=sys.stderr)
        return 2
    try:
        host, port = args.listen
        runner = await serve(station, host, port, args.rate_limit,
                             ssl_context=ssl_context, proxy=args.proxy_address,
                             idle_seconds=args.idle_minutes * 60.0)
    except OSError:
        await station.close()
        raise
    log.info("web station %s serving %s://%s:%d/ from %s", args.device,
             "https" if ssl_context else "http", host, port, station.replica.path)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):  # Windows: Ctrl+C ends asyncio.run
            loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        await runner.cleanup()
        await station.close()
    return 0
