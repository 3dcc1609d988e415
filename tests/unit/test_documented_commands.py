"""Every command line and setting the documentation gives works through the program's own
parsing and settings validation: `antrean.cli.parse` and `antrean.cli.check`, the two steps
`antrean` takes before it opens a window, a port or a file.

Collected afresh from README.md, docs/*.md and deploy/** on every run, so a line added to the
docs is tested without anyone listing it:
- every `antrean …` command in fenced code blocks and inline code (Markdown), in the install
  scripts (including what they print for the admin), in units' ExecStart lines (expanded with
  the unit's environment and the shipped station.env of its app) and in backticks in comments;
- every `--printer VALUE` anywhere, run as the kiosk would get it;
- every `ANTREAN_*=value` setting, run with the app that reads it: the station variables
  (a station.env file, a block of them, one in a sentence) with the station app, extra hub
  and backup arguments appended to their unit's ExecStart.
A code block is read like the shell would: `A="… antrean hub --ledger …"` then `$A enroll`,
and `export ANTREAN_HUB=…` for the commands after it.

The docs' placeholders (`…`, `paste-the-hub-fingerprint-here`, `$role`) are swapped for valid
sample values by the small tables below; anything else is taken as written. A line with an
elision (`antrean hub ... enroll`) may leave out required arguments, but what it says must
parse. A documented line that fails is a failing test naming the file and line."""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import re
import shlex
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from antrean.cli import SUBCOMMANDS, SettingsError, build_parser, check, parse

ROOT = Path(__file__).resolve().parents[2]
SAMPLE_FINGERPRINT = "8d770407fb06b5ed20d2df26e409334d7d857b3ee46451ab050909ef6764f396"
SAMPLE_TOKEN = "rCU_EWTykiLr-6-BG4VXzTtFdjqKPRdb"
ELISIONS = {"...", "…"}
# The docs' stand-ins for a value the reader fills in, by the setting they stand in for.
PLACEHOLDERS = {
    "--hub-fingerprint": {"SHA256HEX", "<fingerprint>", "fingerprint-from-enroll"},
    "ANTREAN_HUB_FINGERPRINT": {"<fingerprint>", "paste-the-hub-fingerprint-here",
                                "sidik-jari-dari-langkah-3", "fingerprint-from-enroll",
                                "sidik-jari"},
    "ANTREAN_TOKEN": {"<token>", "token-dari-langkah-3", "token-from-enroll"},
    "--simulated-clock": {"<day>T06:45+07:00,<speed>"},
    "ANTREAN_ADMIN_PIN_HASH": {"pbkdf2_sha256$60000$9f1c…$3ab2…"},
}
SAMPLES = {"--hub-fingerprint": SAMPLE_FINGERPRINT, "ANTREAN_HUB_FINGERPRINT": SAMPLE_FINGERPRINT,
           "--token": SAMPLE_TOKEN, "ANTREAN_TOKEN": SAMPLE_TOKEN,
           "--simulated-clock": "2026-11-30T06:45+07:00,120",
           "ANTREAN_ADMIN_PIN_HASH": "pbkdf2_sha256$60000$" + "ab" * 16 + "$" + "cd" * 32}
# Shell variables of the install scripts, as they are when the script prints the line.
SHELL_SAMPLES = {"role": "kiosk", "env_file": "/etc/antrean/station.env", "PREFIX": "/opt/antrean"}
STATION_APPS = ("kiosk", "counter", "display")
STATION_VARS = {"ANTREAN_HUB", "ANTREAN_TOKEN", "ANTREAN_HUB_FINGERPRINT", "ANTREAN_ARGS",
                "ANTREAN_ADMIN_PIN_HASH", "ANTREAN_REGION_DSN", "ANTREAN_PROVINCE"}
# deploy/stations/<stem>.env files whose command is more than `antrean <stem>`.
ENV_FILE_COMMANDS = {"export": ("export", "postgres")}
UNIT_ARGS = {"ANTREAN_HUB_ARGS": "antrean-hub.service",
             "ANTREAN_BACKUP_ARGS": "antrean-backup.service"}
# Read by other programs, not by `antrean`: cage's options, the bootstrap's and the install
# scripts' own variables.
NOT_ANTREAN = {"ANTREAN_CAGE_ARGS", "ANTREAN_VENV", "ANTREAN_ROOT", "ANTREAN_SRC",
               "ANTREAN_PYTHON", "ANTREAN_BOOTSTRAP"}
# Documented lines that other branches of issue 10 make work; each flips to XPASS (a failure,
# xfail is strict) when its fix is merged, and its entry goes.
EXPECTED_TO_FAIL = [
]

ENV_ASSIGNMENT = re.compile(r"(?<![\w$])(ANTREAN_[A-Z_]+)=")
POWERSHELL_ENV = re.compile(r"\$env:(ANTREAN_[A-Z_]+)\s*=\s*\"([^\"]*)\"")
PRINTER = re.compile(r"--printer[ =]([^\s`\"')]+)")
COMMAND = re.compile(r"(?<![\w.$/-])(?:[\w.${}/-]*/)?antrean(?=\s)")
SHELL_VAR = re.compile(r"\$(?:\{(\w+)\}|(\w+))")
INLINE_CODE = re.compile(r"`([^`]+)`")
FENCE = re.compile(r"^\s*(```|~~~)")


@dataclass(frozen=True)
class Documented:
    """One documented thing to run: `antrean ARGV` with `env`."""
    path: Path
    line: int
    text: str  # as the docs show it
    argv: tuple[str, ...]
    env: tuple[tuple[str, str], ...] = ()
    elided: bool = False  # the docs left arguments out (`antrean hub ... enroll`)

    @property
    def where(self) -> str:
        return f"{self.path.relative_to(ROOT)}:{self.line}"


@dataclass
class Context:
    """What the shell knows at a point of a code block, a unit or an env file."""
    variables: dict[str, str] = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)
    unset_is_empty: bool = False  # systemd: an unset $VAR in ExecStart expands to nothing


# --- reading the docs ----------------------------------------------------------------------------


def sources() -> list[Path]:
    deploy = [p for p in sorted((ROOT / "deploy").rglob("*")) if p.is_file()]
    return [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")), *deploy]


def logical_lines(lines: list[str], first: int = 1) -> Iterator[tuple[int, str]]:
    """(line number, text) with backslash-continued lines joined, as a shell reads them."""
    number, parts = first, list[str]()
    for i, raw in enumerate(lines, first):
        if not parts:
            number = i
        stripped = raw.rstrip()
        if stripped.endswith("\\"):
            parts.append(stripped.rstrip("\\"))
            continue
        parts.append(stripped)
        yield number, " ".join(p.strip() for p in parts)
        parts = []
    if parts:
        yield number, " ".join(p.strip() for p in parts)


def expand(text: str, ctx: Context) -> str:
    def value(m: re.Match[str]) -> str:
        name = m.group(1) or m.group(2)
        for table in (SHELL_SAMPLES, ctx.variables, ctx.env):
            if name in table:
                return table[name]
        return "" if ctx.unset_is_empty else m.group(0)

    return SHELL_VAR.sub(value, text)


def shell_words(text: str) -> list[str]:
    """Words up to the end of the command (a comment, `;`, `&&`, `|`, a closing quote of the
    string the command is printed in)."""
    lexer = shlex.shlex(text, posix=True, punctuation_chars=";&|()")
    lexer.whitespace_split = True
    lexer.commenters = "#"
    try:
        words = list(lexer)
    except ValueError:  # the command sits inside a quoted string: it ends at that quote
        cut = max(text.rfind('"'), text.rfind("'"))
        return shell_words(text[:cut]) if cut > 0 else []
    for i, word in enumerate(words):
        if word and set(word) <= set(";&|()"):
            return words[:i]
    return words


def commands_in(text: str, ctx: Context) -> Iterator[list[str]]:
    """The `antrean …` commands in one logical line, each as its words after `antrean`."""
    text = expand(text, ctx)
    for m in COMMAND.finditer(text):
        words = shell_words(text[m.end():])
        if words and (words[0] in SUBCOMMANDS or words[0] in option_table(None)):
            yield words


def assignments_in(text: str) -> Iterator[tuple[str, str]]:
    """ANTREAN_NAME=value pairs in a line of shell, prose or an env file: the value's first
    word, or for an *_ARGS list of arguments all of them up to the next setting or comment;
    the punctuation of a sentence around it dropped."""
    for m in POWERSHELL_ENV.finditer(text):
        yield m.group(1), m.group(2)
    for m in ENV_ASSIGNMENT.finditer(text):
        rest = ENV_ASSIGNMENT.split(text[m.end():], maxsplit=1)[0]
        try:
            words = shlex.split(rest, comments=True)
        except ValueError:
            words = rest.split()
        if m.group(1).endswith("_ARGS"):  # a list of arguments: the rest of the line
            value = " ".join(words).rstrip(";,")
        else:
            value = (words[0] if words else "").rstrip(";,)")
        if value.endswith(".") and not value.endswith("..."):
            value = value[:-1]  # the end of a sentence
        yield m.group(1), value


def env_file_values(lines: list[str]) -> dict[str, str]:
    """NAME=value lines of a systemd EnvironmentFile (the whole rest of the line, unquoted)."""
    values = {}
    for raw in lines:
        line = raw.strip()
        if line and not line.startswith("#") and "=" in line:
            name, _, value = line.partition("=")
            values[name.strip()] = value.strip().strip('"')
    return values


# --- what each kind of file documents ----------------------------------------------------------


def collect() -> list[Documented]:
    found: list[Documented] = []
    for path in sources():
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except UnicodeDecodeError:
            continue  # a binary file (none today)
        if path.suffix == ".md":
            found += from_markdown(path, lines)
        elif path.suffix == ".service":
            found += from_unit(path, lines)
        elif path.suffix == ".env":
            found += from_env_file(path, lines)
        elif path.suffix == ".sh":
            found += from_lines(path, lines, Context(), env_group=False)
        else:
            found += from_backticks(path, lines)
        found += printers(path, lines)
    return found


def from_markdown(path: Path, lines: list[str]) -> list[Documented]:
    found: list[Documented] = []
    block: list[str] | None = None
    start = 0
    for i, line in enumerate(lines, 1):
        if FENCE.match(line):
            if block is None:
                block, start = [], i + 1
            else:
                found += from_lines(path, block, Context(), env_group=True, first=start)
                block = None
            continue
        if block is not None:
            block.append(line)
        else:
            found += from_backticks(path, [line], first=i)
    return found


def from_backticks(path: Path, lines: list[str], first: int = 1) -> list[Documented]:
    """Inline code, in Markdown prose and in the comments of deploy files: each span is a
    command or a setting of its own."""
    found: list[Documented] = []
    for number, line in enumerate(lines, first):
        for span in INLINE_CODE.findall(line):
            words = span.split(maxsplit=1)
            if words and words[0] in ELISIONS and len(words) > 1 and \
                    words[1].split()[0] in SUBCOMMANDS:
                span = f"antrean {words[1]}"  # `... hub --ledger ... stations`
            found += from_lines(path, [span], Context(), env_group=True, first=number)
    return found


def from_lines(path: Path, lines: list[str], ctx: Context, *, env_group: bool,
               first: int = 1) -> list[Documented]:
    """Lines read as a shell script: assignments and exports feed the commands after them.
    `env_group`: the ANTREAN_* settings of these lines belong together (one station.env)."""
    found: list[Documented] = []
    settings: list[tuple[int, str, str]] = []
    for number, line in logical_lines(lines, first):
        settings += [(number, name, value) for name, value in assignments_in(line)]
        try:
            words = shlex.split(line, comments=True)
        except ValueError:
            words = []
        if words and words[0] == "export":
            words = words[1:]
        if words and all(re.fullmatch(r"\w+=.*", w, re.DOTALL) for w in words):
            for w in words:  # A="sudo … antrean hub --ledger …" for `$A enroll` below
                name, _, value = w.partition("=")
                ctx.variables[name] = value
                if name.startswith("ANTREAN_") and name not in NOT_ANTREAN:
                    ctx.env[name] = value
            continue
        for command in commands_in(line, ctx):
            found.append(documented(path, number, line, command, ctx.env))
    if settings:
        found += from_settings(path, settings, group=env_group)
    return found


def from_env_file(path: Path, lines: list[str]) -> list[Documented]:
    settings = [(i, name, value) for i, raw in enumerate(lines, 1)
                for name, value in env_file_values([raw]).items()]
    found = from_settings(path, settings, group=True, apps=(path.stem,))
    for i, raw in enumerate(lines, 1):
        if raw.lstrip().startswith("#"):
            found += from_backticks(path, [raw], first=i)
    return found


def from_unit(path: Path, lines: list[str]) -> list[Documented]:
    """ExecStart with the unit's Environment= and, for a station's unit, the shipped
    station.env of each app it runs (antrean-cage@.service runs all three)."""
    found: list[Documented] = []
    unit_env: dict[str, str] = {}
    uses_station_env = False
    for raw in lines:
        line = raw.strip()
        if line.startswith("Environment="):
            for word in shlex.split(line.partition("=")[2]):
                name, _, value = word.partition("=")
                unit_env[name] = value
        name = path.name.removesuffix(".service")
        if line.startswith("EnvironmentFile=") and (
                line.endswith("/station.env")
                or line.endswith(f"/{name.removeprefix('antrean-')}.env")):
            uses_station_env = True
    name = path.name.removesuffix(".service")
    apps = STATION_APPS if "@" in name else (name.removeprefix("antrean-"),)
    for i, raw in enumerate(lines, 1):
        if raw.startswith("ExecStart="):
            for app in apps:
                env = dict(unit_env)
                station = ROOT / "deploy" / "stations" / f"{app}.env"
                if uses_station_env and station.is_file():
                    env.update(env_file_values(station.read_text().splitlines()))
                text = raw.partition("=")[2].replace("%i", app)
                for command in commands_in(text, Context(env=env, unset_is_empty=True)):
                    found.append(documented(path, i, raw, command, env))
        elif raw.lstrip().startswith("#"):
            found += from_backticks(path, [raw], first=i)
            found += from_settings(path, [(i, n, v) for n, v in assignments_in(raw)],
                                   group=False)
    return found


def from_settings(path: Path, settings: list[tuple[int, str, str]], *, group: bool,
                  apps: tuple[str, ...] = ()) -> list[Documented]:
    """ANTREAN_* settings, run with the app that reads them. Settings of one group (a
    station.env, a code block) are run together; otherwise each on its own line."""
    if not group:
        return [d for s in settings for d in from_settings(path, [s], group=True, apps=apps)]
    found: list[Documented] = []
    station = {name: (number, value) for number, name, value in settings
               if name in STATION_VARS}
    for number, name, value in settings:
        if name in NOT_ANTREAN or name in STATION_VARS:
            continue
        if name in UNIT_ARGS:
            found += with_unit_args(path, number, name, value)
            continue
        found.append(Documented(path, number, f"{name}={value}", ("unknown-setting", name)))
    if station:
        number = min(n for n, _ in station.values())
        env = {name: value for name, (_, value) in station.items() if name != "ANTREAN_ARGS"}
        args = station.get("ANTREAN_ARGS", (0, ""))[1]
        text = " ".join(f"{name}={value}" for name, (_, value) in station.items())
        if len(station) == 1:
            # A sentence about one setting: the others as a station.env would have them.
            # A group (a station.env, a block) is taken as written: one it lacks is missing.
            env.setdefault("ANTREAN_TOKEN", SAMPLE_TOKEN)
            if env.get("ANTREAN_HUB", "").startswith("wss://"):
                env.setdefault("ANTREAN_HUB_FINGERPRINT", SAMPLE_FINGERPRINT)
        for app in apps or apps_taking(args, "ANTREAN_ADMIN_PIN_HASH" in env):
            found.append(documented(path, number, text,
                                    [*ENV_FILE_COMMANDS.get(app, (app,)), *shell_words(args)],
                                    env, station_env=True))
    return found


def with_unit_args(path: Path, number: int, name: str, value: str) -> list[Documented]:
    """ANTREAN_HUB_ARGS=… / ANTREAN_BACKUP_ARGS=…: the unit's ExecStart with them."""
    unit = ROOT / "deploy" / "systemd" / UNIT_ARGS[name]
    found = []
    for raw in unit.read_text().splitlines():
        if raw.startswith("ExecStart="):
            ctx = Context(env={name: value}, unset_is_empty=True)
            for command in commands_in(raw.partition("=")[2], ctx):
                found.append(documented(path, number, f"{name}={value}", command, {}))
    return found


def apps_taking(args: str, admin_pin: bool) -> tuple[str, ...]:
    """The station apps whose command line has every option in `args` (all of them when it
    names none): which app an ANTREAN_ARGS line in a guide is for."""
    options = {w.split("=")[0] for w in shell_words(args) if w.startswith("--")}
    apps = tuple(a for a in STATION_APPS if options <= option_names(a)
                 and (not admin_pin or a == "kiosk"))
    return apps or ("kiosk",)  # none takes them all: the kiosk's parser says which is wrong


def printers(path: Path, lines: list[str]) -> list[Documented]:
    """Every `--printer VALUE`, in prose, comments and commands alike, run by a kiosk."""
    found = []
    for number, line in enumerate(lines, 1):
        for value in PRINTER.findall(line):
            if value not in ELISIONS and not value.startswith("$"):
                found.append(documented(path, number, f"--printer {value}",
                                        ["kiosk", "--ledger", "hall.db", "--printer", value], {}))
    return found


# --- the program's own knowledge ---------------------------------------------------------------


_options: dict[str, dict[str, bool]] = {}  # by subcommand, "" for the top


def option_table(command: str | None) -> dict[str, bool]:
    """Option -> whether it takes a value, over the subcommand's whole parser tree (None:
    the options of `antrean` itself)."""
    key = command or ""
    if key not in _options:
        table: dict[str, bool] = {}
        top = build_parser(command)
        if command is None:
            _options[key] = {o: a.nargs != 0 for a in top._actions for o in a.option_strings}
            return _options[key]
        todo = [top]
        while todo:
            parser = todo.pop()
            for action in parser._actions:
                for option in action.option_strings:
                    table[option] = action.nargs != 0
                if isinstance(action, argparse._SubParsersAction):
                    todo.extend(action.choices.values())
        _options[key] = table
    return _options[key]


def option_names(command: str) -> set[str]:
    return set(option_table(command))


def documented(path: Path, number: int, text: str, words: list[str], env: dict[str, str],
               station_env: bool = False) -> Documented:
    """The docs' words as the program gets them: placeholders swapped for samples, an
    elided value for a sample of its option, a bare elision dropped, `[--force]` as
    `--force`."""
    command = words[0] if words and words[0] in SUBCOMMANDS else None
    takes_value = option_table(command) if command else {}
    argv: list[str] = []
    elided = False
    for word in words:
        if word.startswith("[") and word.endswith("]"):
            word = word[1:-1]
        previous = argv[-1] if argv else ""
        if word in ELISIONS or word in PLACEHOLDERS.get(previous, ()):
            if takes_value.get(previous):
                argv.append(SAMPLES.get(previous, "sample"))
            else:
                elided = True
            continue
        argv.append(word)
    if len(argv) == 1 and not station_env:
        elided = True  # `antrean kiosk` in a sentence names the program, it is no command
    settings = {name: value for name, value in env.items() if name.startswith("ANTREAN_")}
    for name, value in settings.items():
        if value in ELISIONS or value in PLACEHOLDERS.get(name, ()):
            settings[name] = SAMPLES.get(name, value)
    return Documented(path, number, text.strip(), tuple(argv), tuple(sorted(settings.items())),
                      elided)


# --- the test ------------------------------------------------------------------------------------


def params() -> list[Any]:
    seen: dict[str, int] = {}
    result = []
    for d in collect():
        base = f"{d.where} {' '.join(d.argv)[:60]}"
        seen[base] = seen.get(base, 0) + 1
        marks = [pytest.mark.xfail(strict=True, reason=reason)
                 for pattern, reason in EXPECTED_TO_FAIL
                 if pattern.search(d.text) or pattern.search(" ".join(d.argv))][:1]
        result.append(pytest.param(d, id=base if seen[base] == 1 else f"{base} #{seen[base]}",
                                   marks=marks))
    return result


DOCUMENTED = params()


def run_documented(d: Documented, monkeypatch: pytest.MonkeyPatch) -> str | None:
    """None when `antrean ARGV` with `env` passes parsing and settings validation; what the
    program said otherwise."""
    if d.argv[:1] == ("unknown-setting",):
        return (f"nothing in Antrean reads {d.argv[1]} (or the test's tables do not know it: "
                f"tests/unit/test_documented_commands.py)")
    for name in [n for n in os.environ if n.startswith("ANTREAN_")]:
        monkeypatch.delenv(name)
    for name, value in d.env:
        monkeypatch.setenv(name, value)
    stderr = io.StringIO()
    try:
        with contextlib.redirect_stderr(stderr):
            args = parse(list(d.argv))
    except SystemExit as e:
        said = stderr.getvalue().strip().splitlines()[-1:] or [f"exit {e.code}"]
        if d.elided and "the following arguments are required" in said[0]:
            return None  # the docs left them out on purpose
        return said[0]
    if d.elided:
        return None  # what was left out may be what the check would want
    try:
        check(args)
    except SettingsError as e:
        return str(e)
    return None


def test_the_docs_document_commands() -> None:
    """The collection itself works: the guides' known lines are among what it found."""
    found = {(d.path.name, d.argv[:2]) for d in collect()}
    assert ("README.md", ("hub", "--tls")) in found
    assert ("install-id.md", ("hub", "--ledger")) in found  # via $A
    assert ("antrean-hub.service", ("hub", "--config")) in found
    assert ("kiosk.env", ("kiosk", "--device")) in found
    assert ("install-hub.sh", ("doctor", "--role")) in found
    assert len(DOCUMENTED) > 60


@pytest.mark.parametrize("doc", DOCUMENTED)
def test_documented_line_works(doc: Documented, monkeypatch: pytest.MonkeyPatch) -> None:
    problem = run_documented(doc, monkeypatch)
    env = "".join(f"{k}={shlex.quote(v)} " for k, v in doc.env)
    assert problem is None, (f"{doc.where}: {problem}\n  documented: {doc.text}\n"
                             f"  run as:     {env}antrean {shlex.join(doc.argv)}")
