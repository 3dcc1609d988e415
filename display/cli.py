"""`antrean display`: the hall board on a display PC.

    antrean display --ledger hall.db                      # one PC, full screen
    antrean display --hub ws://10.0.0.2:8470 --token T --zone "Zona A" --media /srv/promo
    antrean display --screenshots docs/screenshots        # PNGs of the board, no screen needed
"""

from __future__ import annotations

import argparse
import logging
import re
import sys
from pathlib import Path

from shared.config import SettingsError
from shared.station.setup import (
    StationSetupError,
    add_station_arguments,
    check_station_arguments,
    open_link,
)

log = logging.getLogger(__name__)


def parse_size(text: str) -> tuple[int, int]:
    m = re.fullmatch(r"\s*(\d{2,5})\s*[xX×]\s*(\d{2,5})\s*", text)
    if not m:
        raise argparse.ArgumentTypeError(f"size must look like 1920x1080, not {text!r}")
    return int(m.group(1)), int(m.group(2))


def parse_agencies(text: str) -> list[str]:
    codes = [c.strip() for c in text.split(",") if c.strip()]
    if not codes:
        raise argparse.ArgumentTypeError("give agency codes separated by commas, e.g. A,B")
    return codes


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_station_arguments(p, default_device="display-1")
    p.add_argument("--windowed", action="store_true",
                   help="a normal window instead of full screen (for setting up)")
    p.add_argument("--size", type=parse_size, default=None, metavar="WxH",
                   help="window size, e.g. 1920x1080 or 1080x1920 (default: the screen)")
    p.add_argument("--agencies", type=parse_agencies, default=None, metavar="A,B",
                   help="show only these agency codes (several boards in one hall)")
    p.add_argument("--zone", default=None, help="show only the agencies of this zone")
    p.add_argument("--media", type=Path, default=None, metavar="DIR",
                   help="images and videos to show; an empty or missing folder shows none")
    p.add_argument("--no-voice", action="store_true",
                   help="do not announce (a second board in the same hall)")
    p.add_argument("--state", type=Path, default=None, metavar="FILE",
                   help="where the last announced call is kept (default: next to the replica)")
    p.add_argument("--screenshots", type=Path, default=None, metavar="DIR",
                   help="render the board at the hall's sizes to PNG files in DIR and exit")


def check(args: argparse.Namespace) -> None:
    """The hub settings, before any window opens."""
    if args.screenshots is None:
        try:
            check_station_arguments(args)
        except StationSetupError as e:
            raise SettingsError(str(e)) from None


def run(args: argparse.Namespace) -> int:

    if args.screenshots is not None:
        from display.screenshots import render
        from shared.config import ConfigError, load_config

        try:
            cfg = load_config(args.hall_config) if args.hall_config else None
        except ConfigError as e:
            print(f"antrean display: {e}", file=sys.stderr)
            return 2
        for path in render(args.screenshots, cfg, args.media):
            print(path)
        return 0

    from PySide6.QtGui import QGuiApplication

    from display.app import BoardApp, BoardOptions, default_state_path
    from shared.station.startup import start_qt
    from shared.zones import BoardFilterError

    # Qt checked first; Ctrl+C and systemctl stop end the loop, then the cleanup below.
    _, stop = start_qt("antrean display")
    try:
        link, owner = open_link(args, role="display")
    except StationSetupError as e:
        print(f"antrean display: {e}", file=sys.stderr)
        return 2
    screen = QGuiApplication.primaryScreen().size()
    size = args.size or (screen.width(), screen.height())
    options = BoardOptions(
        agencies=args.agencies, zone=args.zone, media=args.media, voice=not args.no_voice,
        size=size,
        state_path=args.state or default_state_path(link.device, args.replica or args.ledger),
    )
    try:
        board = BoardApp(link, link.config, options)
    except BoardFilterError as e:
        print(f"antrean display: {e}", file=sys.stderr)
        getattr(owner, "close", lambda: None)()
        return 2
    board.start()
    if args.windowed:
        board.window.resize(*size)
        board.window.show()
    else:
        board.window.showFullScreen()
    log.info("board %s showing %d counters", link.device, len(board.core.counter_numbers))
    try:
        return stop.exec()
    finally:
        board.close()
        getattr(owner, "close", lambda: None)()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="antrean display", description=__doc__.splitlines()[0])
    add_arguments(p)
    return run(p.parse_args(argv))


if __name__ == "__main__":
    raise SystemExit(main())
