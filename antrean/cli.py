"""The `antrean` command, the one entry point of every program of the hall. Each subcommand
lives in its own module, imported only when it is chosen, so `antrean config check` does not pay
for loading Qt (and one command never breaks on another's dependencies)."""

from __future__ import annotations

import argparse
import logging
import sys
from typing import Protocol

import shared
from shared.config import SettingsError

# subcommand -> help. `module(name)` imports each one's module.
SUBCOMMANDS: dict[str, str] = {
    "config": "check a hall config file",
    "ledger": "inspect, verify and rebuild a ledger file",
    "hub": "run the ledger hub; enroll stations and officers",
    "kiosk": "the touchscreen ticket kiosk",
    "counter": "the officer's counter (loket) app",
    "display": "the waiting-hall board and voice announcer",
    "web": "the web station: visitors' ticket pages, the board in a browser, loket screens",
    "console": "the MPP's console: the live hall and reports, for signed-in office staff",
    "backup": "back up and restore the hub's ledger",
    "doctor": "check this PC for its job in the hall",
    "simulate": "simulate a service day against a real hub (soak and load tool)",
    "demo": "a whole hall on this PC (scripted where there is no screen)",
    "export": "stream the hall's ledger into the region's PostgreSQL",
    "region": "the region's PostgreSQL: reports across halls, schema",
    "report": "the hall's reports from its ledger (monthly, any range) as CSV, XLSX or PDF",
}


class Subcommand(Protocol):
    """What a subcommand's module offers. It may also have `check(args)`: the settings it
    refuses (raising SettingsError), checked before anything starts."""

    def add_arguments(self, p: argparse.ArgumentParser) -> None: ...

    def run(self, args: argparse.Namespace) -> int: ...


def module(name: str) -> Subcommand:
    """The subcommand's module, imported now: plain import statements, so a reader (and
    import-linter) sees every module the command line can reach."""
    match name:
        case "config":
            from antrean import cli_config
            return cli_config
        case "ledger":
            from shared.ledger import cli as ledger_cli
            return ledger_cli
        case "hub":
            from shared.hub import cli as hub_cli
            return hub_cli
        case "kiosk":
            from kiosk import cli as kiosk_cli
            return kiosk_cli
        case "counter":
            from counter_client import cli as counter_cli
            return counter_cli
        case "display":
            from display import cli as display_cli
            return display_cli
        case "web":
            from web import cli as web_cli
            return web_cli
        case "console":
            from console import cli as console_cli
            return console_cli
        case "backup":
            from antrean import cli_backup
            return cli_backup
        case "doctor":
            from antrean import cli_doctor
            return cli_doctor
        case "simulate":
            from antrean import cli_simulate
            return cli_simulate
        case "demo":
            from antrean import cli_demo
            return cli_demo
        case "export":
            from antrean import cli_export
            return cli_export
        case "region":
            from antrean import cli_region
            return cli_region
        case "report":
            from antrean import cli_report
            return cli_report
    raise KeyError(f"no subcommand {name!r}")


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
    for name, help_text in SUBCOMMANDS.items():
        p = sub.add_parser(name, help=help_text, description=help_text)
        if name == chosen:
            module(name).add_arguments(p)
    # Set afterwards: the modules' own subparsers do not inherit a formatter from their parent.
    for each in subparsers(parser):
        each.formatter_class = DefaultsHelpFormatter
    return parser


def parse(argv: list[str]) -> argparse.Namespace:
    """The command line as `main()` reads it (argparse exits 2 with a usage line on a bad one)."""
    chosen = next((a for a in argv if not a.startswith("-")), None)
    return build_parser(chosen).parse_args(argv)


def check(args: argparse.Namespace) -> None:
    """The settings validation `main()` runs before it starts anything (no window, no hub, no
    network, no file opened): the subcommand module's `check(args)`, when it has one. Raises
    SettingsError. tests/unit/test_documented_commands.py runs every documented command line
    through `parse` and `check`."""
    validate = getattr(module(args.command), "check", None)
    if validate is not None:
        validate(args)


class _CurrentStderr(logging.StreamHandler):  # type: ignore[type-arg]
    """Logs to whatever sys.stderr is when a record is written, not the one at start-up: a
    caller that swaps stderr (a test's capture, a service wrapper) and closes the old one
    would otherwise get 'I/O operation on closed file' from every later log line."""

    @property  # type: ignore[override]
    def stream(self) -> object:
        return sys.stderr

    @stream.setter
    def stream(self, _value: object) -> None:
        pass


def main(argv: list[str] | None = None) -> int:
    args = parse(sys.argv[1:] if argv is None else argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s", force=True,
        handlers=[_CurrentStderr()],
    )
    try:
        check(args)
    except SettingsError as e:
        print(f"antrean {args.command}: {e}", file=sys.stderr)
        return 2
    try:
        return int(module(args.command).run(args) or 0)
    except KeyboardInterrupt:
        # Ctrl+C before an app's own handling is in place (while it loads): no traceback.
        print(f"antrean {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
