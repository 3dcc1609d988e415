"""The `antrean` command. Each subcommand lives in its own module and is imported lazily, so
`antrean config check` does not pay for loading Qt."""

from __future__ import annotations

import argparse
import importlib
import logging
import sys

import shared

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


class DefaultsHelpFormatter(argparse.HelpFormatter):
    """Every option's help ends with its default, so `--help` answers "what if I leave it
    out?". A help text that already says its default (or must not show it, like a token read
    from the environment) is left as it is; an option that is simply off is not annotated."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        text = action.help or ""
        default = action.default
        if ("default" in text.lower() or default is None or default is False
                or default == [] or default is argparse.SUPPRESS):
            return text
        if action.option_strings or action.nargs in (argparse.OPTIONAL, argparse.ZERO_OR_MORE):
            return f"{text} (default: %(default)s)"
        return text


def subparsers(parser: argparse.ArgumentParser) -> list[argparse.ArgumentParser]:
    """The parser and every parser below it (subcommands, their actions, ...)."""
    found = [parser]
    for action in parser._actions:  # argparse offers no public walk over its subparsers
        if isinstance(action, argparse._SubParsersAction):
            for child in dict.fromkeys(action.choices.values()):
                found += subparsers(child)
    return found


def build_parser(chosen: str | None = None) -> argparse.ArgumentParser:
    """Only the chosen subcommand's module is imported, so one command never pays for (or
    breaks on) another's dependencies."""
    parser = argparse.ArgumentParser(prog="antrean", description="Antrean queue system")
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug messages")
    parser.add_argument("--version", action="version", version=f"antrean {shared.__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, (module_name, help_text) in SUBCOMMANDS.items():
        p = sub.add_parser(name, help=help_text, description=help_text)
        p.set_defaults(_module=module_name)
        if name == chosen:
            importlib.import_module(module_name).add_arguments(p)
    # Set afterwards: the modules' own subparsers do not inherit a formatter from their parent.
    for each in subparsers(parser):
        each.formatter_class = DefaultsHelpFormatter
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
        format="%(asctime)s %(levelname)s %(name)s: %(message)s", force=True,
    )
    try:
        check(args)
    except SettingsError as e:
        print(f"antrean {args.command}: {e}", file=sys.stderr)
        return 2
    try:
        module = importlib.import_module(args._module)
        return int(module.run(args) or 0)
    except KeyboardInterrupt:
        # Ctrl+C before an app's own handling is in place (while it loads): no traceback.
        print(f"antrean {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    # `python -m shared.cli`: run the imported module, not this __main__ copy of it, whose
    # SettingsError is another class than the one the subcommands raise.
    from shared.cli import main as imported_main

    sys.exit(imported_main())
