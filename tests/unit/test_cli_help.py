"""`antrean --help` and every subcommand's: each option says what it does and, where leaving it
out means something, its default; secrets read from the environment never show; `--version`."""

from __future__ import annotations

import argparse

import pytest

import shared
from antrean.cli import SUBCOMMANDS, build_parser, main, subparsers

SECRETS = {"ANTREAN_TOKEN": "tok-SECRET-1234567890",
           "ANTREAN_ADMIN_PIN_HASH": "scrypt$SECRET$hash",
           "ANTREAN_HUB_FINGERPRINT": "ab" * 32,
           "ANTREAN_HUB": "wss://192.0.2.7:8470"}


def every_parser() -> list[argparse.ArgumentParser]:
    found: list[argparse.ArgumentParser] = []
    for name in SUBCOMMANDS:
        top = build_parser(name)
        found += [p for p in subparsers(top) if p.prog.split()[1:2] == [name]]
    return [build_parser(), *found]


def documented(action: argparse.Action) -> bool:
    return not isinstance(action, (argparse._HelpAction, argparse._VersionAction,
                                   argparse._SubParsersAction))


def test_every_subcommand_and_action_has_a_parser_walked() -> None:
    progs = {p.prog for p in every_parser()}
    for name in SUBCOMMANDS:
        assert f"antrean {name}" in progs
    # The nested ones, too.
    for nested in ("antrean hub enroll", "antrean hub officer add", "antrean hub officer list",
                   "antrean hub stations revoke", "antrean backup restore",
                   "antrean ledger figures", "antrean config check"):
        assert nested in progs


@pytest.mark.parametrize("parser", every_parser(), ids=lambda p: p.prog)
def test_every_option_says_what_it_does_and_its_default(parser: argparse.ArgumentParser
                                                       ) -> None:
    formatter = parser._get_formatter()
    for action in parser._actions:
        if not documented(action):
            continue
        name = "/".join(action.option_strings) or action.dest
        assert action.help, f"{parser.prog} {name} has no help text"
        text = formatter._expand_help(action)
        meaningful = action.default not in (None, False, [], argparse.SUPPRESS)
        if meaningful and (action.option_strings or action.nargs in ("?", "*")):
            assert "default" in text.lower(), f"{parser.prog} {name}: {text!r}"
    # It renders (a stray % in a help text would raise here).
    assert parser.format_help()


def test_help_never_shows_a_secret_from_the_environment(monkeypatch: pytest.MonkeyPatch
                                                        ) -> None:
    for key, value in SECRETS.items():
        monkeypatch.setenv(key, value)
    for parser in every_parser():
        text = parser.format_help()
        for key in ("ANTREAN_TOKEN", "ANTREAN_ADMIN_PIN_HASH"):
            assert SECRETS[key] not in text, parser.prog


@pytest.mark.parametrize("argv", [["--help"], *([name, "--help"] for name in SUBCOMMANDS),
                                  ["hub", "officer", "--help"], ["hub", "stations", "--help"],
                                  ["backup", "run", "--help"]])
def test_help_through_the_real_command(argv: list[str], capsys: pytest.CaptureFixture[str]
                                       ) -> None:
    with pytest.raises(SystemExit) as done:
        main(argv)
    assert done.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: antrean")


def test_hub_help_shows_its_defaults(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["hub", "--help"])
    out = " ".join(capsys.readouterr().out.split())
    assert "(default: 0.0.0.0)" in out and "(default: 8470)" in out
    assert "(default: antrean-data/ledger.db)" in out


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0
    assert capsys.readouterr().out.strip() == f"antrean {shared.__version__}"


def test_log_lines_go_to_the_stderr_of_the_moment(monkeypatch: pytest.MonkeyPatch) -> None:
    # A caller that swaps stderr and closes the old one (pytest's capture, a service wrapper)
    # must not get "I/O operation on closed file" from every later log line.
    import io
    import logging
    import sys
    from pathlib import Path

    first = io.StringIO()
    monkeypatch.setattr(sys, "stderr", first)
    example = Path(shared.__file__).parent / "examples" / "sukoharjo.toml"
    assert main(["config", "check", str(example)]) == 0
    first.close()
    second = io.StringIO()
    monkeypatch.setattr(sys, "stderr", second)
    logging.getLogger("antrean.test").warning("after the swap")
    assert "WARNING antrean.test: after the swap" in second.getvalue()
    assert "Logging error" not in second.getvalue()
