"""The `antrean` command. Each subcommand lives in its own module and is imported lazily, so
`antrean config check` does not pay for loading Qt."""

from __future__ import annotations

import argparse
import importlib
import logging
import sys

# subcommand -> (module, help). Each module has `add_arguments(parser)` and `run(args) -> int`,
# and may have `check(args)`: the settings it refuses, checked before anything starts.
SUBCOMMANDS: dict[str, tuple[str, str]] = {
    "config": ("shared.cli_config", "check a hall config file"),
    "ledger": ("shared.ledger.cli", "inspect, verify and rebuild a ledger file"),
    "hub": ("shared.hub.cli", "run the ledger hub; enroll stations and officers"),
    "kiosk": ("kiosk.cli", "the touchscreen ticket kiosk"),
    "counter": ("counter_client.cli", "the officer's counter (loket) app"),
    "display": ("display.cli", "the waiting-hall board and voice announcer"),
    "backup": ("shared.cli_backup", "back up and restore the hub's ledger"),
    "doctor": ("shared.cli_doctor", "check this PC for its job in the hall"),
    "simulate": ("shared.cli_simulate",
                 "simulate a service day against a real hub (soak and load tool)"),
    "demo": ("shared.cli_demo", "a whole hall on this PC (scripted where there is no screen)"),
}


def build_parser(chosen: str | None = None) -> argparse.ArgumentParser:
    """Only the chosen subcommand's module is imported, so one command never pays for (or
    breaks on) another's dependencies."""
    parser = argparse.ArgumentParser(prog="antrean", description="Antrean queue system")
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug messages")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, (module_name, help_text) in SUBCOMMANDS.items():
        p = sub.add_parser(name, help=help_text, description=help_text)
        p.set_defaults(_module=module_name)
        if name == chosen:
            importlib.import_module(module_name).add_arguments(p)
    return parser


class SettingsError(Exception):
    """A setting the subcommand refuses before it starts; the message is one line of English."""


def parse(argv: list[str]) -> argparse.Namespace:
    """The command line as `main()` reads it (argparse exits 2 with a usage line on a bad one)."""
    chosen = next((a for a in argv if not a.startswith("-")), None)
    return build_parser(chosen).parse_args(argv)


def check(args: argparse.Namespace) -> None:
    """The settings validation `main()` runs before it starts anything (no window, no hub, no
    network, no file opened): the subcommand module's `check(args)`, when it has one. Raises
    SettingsError. tests/unit/test_documented_commands.py runs every documented command line
    through `parse` and `check`."""
    validate = getattr(importlib.import_module(args._module), "check", None)
    if validate is not None:
        validate(args)


def main(argv: list[str] | None = None) -> int:
    args = parse(sys.argv[1:] if argv is None else argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        check(args)
    except SettingsError as e:
        print(f"antrean {args.command}: {e}", file=sys.stderr)
        return 2
    module = importlib.import_module(args._module)
    return int(module.run(args) or 0)


if __name__ == "__main__":
    # `python -m shared.cli`: run the imported module, not this __main__ copy of it, whose
    # SettingsError is another class than the one the subcommands raise.
    from shared.cli import main as imported_main

    sys.exit(imported_main())
