"""`antrean config check|import|export|history`: the hall config, a file IT can check and the
versions the ledger holds (shared/ledger/config_log.py).

`import` validates a TOML file as strictly as the hub's loader, shows it as a diff against the
version in force, and sends it to the running hub as a change (an admin station's token);
`export` writes a version as the TOML it was imported as, which re-imports to the same digest;
`history` lists the versions with who and when. `export` and `history` read the hub, or a
ledger or a station's replica directly (--ledger), so a hall can recover its config offline."""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import difflib
import os
import sys
import uuid
from pathlib import Path
from typing import Any

from shared.config import ConfigError, SettingsError, example_config_path, load_config
from shared.hub import tls
from shared.ticket_url import LEGACY_PREFIX

STRANDS_EXIT = 3  # refused until confirmed with --yes


def add_arguments(p: argparse.ArgumentParser) -> None:
    sub = p.add_subparsers(dest="action", required=True)
    check = sub.add_parser("check", help="validate a config file")
    check.add_argument("file", nargs="?", help="config file (default: the example hall)")
    imp = sub.add_parser("import", help="send a config file to the running hub as a new version",
                         description="Validate FILE, show it as a diff against the version in "
                                     "force, and record it in the hub's ledger as a new "
                                     "version (now, or from --from DATE).")
    imp.add_argument("file", help="the hall config TOML")
    imp.add_argument("--from", dest="effective", type=_date, default=None, metavar="DATE",
                     help="take effect from this date (YYYY-MM-DD, at the hall's midnight); "
                          "default: now")
    imp.add_argument("--yes", action="store_true",
                     help="confirm a change that leaves waiting tickets without their service")
    hub_arguments(imp)
    exp = sub.add_parser("export", help="write a version of the hall config as TOML")
    exp.add_argument("--version", type=int, default=None, metavar="N",
                     help="that version (default: the one in force now)")
    exp.add_argument("--output", "-o", default=None, metavar="FILE",
                     help="write to FILE (default: standard output)")
    _source_arguments(exp)
    hist = sub.add_parser("history", help="list the versions of the hall config")
    _source_arguments(hist)


def hub_arguments(p: argparse.ArgumentParser, role: str = "admin") -> None:
    """The options that reach the hub as a station with a `role` token (also `antrean export
    postgres`)."""
    p.add_argument("--hub", default=os.environ.get("ANTREAN_HUB"),
                   help="the hall's hub, e.g. wss://192.168.1.10:8470 (default: $ANTREAN_HUB)")
    p.add_argument("--hub-fingerprint", default=os.environ.get(tls.FINGERPRINT_ENV),
                   metavar="SHA256HEX",
                   help="the hub certificate's SHA-256 fingerprint; required with wss:// "
                        f"(default: ${tls.FINGERPRINT_ENV})")
    p.add_argument("--token", default=os.environ.get("ANTREAN_TOKEN"),
                   help=f"a token enrolled with 'antrean hub ... enroll --role {role}' "
                        "(default: $ANTREAN_TOKEN)")


def _source_arguments(p: argparse.ArgumentParser) -> None:
    hub_arguments(p)
    p.add_argument("--ledger", default=None, metavar="PATH",
                   help="read the hub's ledger or a station's replica instead of the hub")


def _date(text: str) -> str:
    try:
        return dt.date.fromisoformat(text).isoformat()
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"--from must be a date such as 2026-12-07, not {text!r}") from None


def check(args: argparse.Namespace) -> None:
    if args.action == "check" or getattr(args, "ledger", None):
        return
    from shared.station.address import HubAddressError, check_hub_address

    if not args.hub:
        raise SettingsError("give the hall's hub with --hub (or ANTREAN_HUB), or a ledger "
                            "with --ledger" if args.action != "import" else
                            "give the hall's hub with --hub (or ANTREAN_HUB)")
    try:
        check_hub_address(args.hub, args.token, args.hub_fingerprint,
                          "give an admin station's token with --token (or ANTREAN_TOKEN), "
                          "enrolled with 'antrean hub ... enroll --role admin'")
    except HubAddressError as e:
        raise SettingsError(str(e)) from None


def run(args: argparse.Namespace) -> int:
    try:
        if args.action == "check":
            return _check(args.file)
        if args.action == "import":
            return _import(args)
        if args.action == "export":
            return _export(args)
        return _history(args)
    except ConfigError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except _Unreachable as e:
        print(f"error: {e}", file=sys.stderr)
        return 2


def _check(file: str | None) -> int:
    path = file or str(example_config_path())
    cfg = load_config(path)
    print(
        f"{path}: OK — {cfg.mpp.name}: {len(cfg.agencies)} agencies, {len(cfg.services)} services, "
        f"{len(cfg.queues)} queues, {len(cfg.counters)} counters"
    )
    # What every ticket's QR will hold: the address IT should see open on a guest's phone.
    if cfg.mpp.public_url:
        print(f"ticket QR: {cfg.mpp.public_url}/t/<ticket id>-<secret>")
    else:
        print(f"ticket QR: {LEGACY_PREFIX}<ticket id> (no [mpp] public_url: a phone cannot open "
              "it)")
    return 0


# --- the hub's versions --------------------------------------------------------------------


class _Unreachable(Exception):
    """The hub could not be asked (down, refused the token): one line for the user."""


async def _ask(args: argparse.Namespace, method: str, path: str,
               body: dict[str, Any] | None = None, raw: bool = False) -> Any:
    import aiohttp

    from shared.station.follower import http_url

    pin = tls.station_pin(args.hub, args.hub_fingerprint)
    ssl: aiohttp.Fingerprint | bool = aiohttp.Fingerprint(bytes.fromhex(pin)) if pin else True
    try:
        async with (
            aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as session,
            session.request(method, f"{http_url(args.hub)}{path}", ssl=ssl, json=body,
                            headers={"Authorization": f"Bearer {args.token}"}) as reply,
        ):
            if reply.status == 401:
                raise _Unreachable(f"the hub at {args.hub} refused the token; enroll an admin "
                                   f"station ('antrean hub ... enroll --role admin')")
            if reply.status != 200:
                raise _Unreachable(f"the hub at {args.hub} answered HTTP {reply.status} to "
                                   f"{path}")
            return await reply.text() if raw else await reply.json()
    except (aiohttp.ClientError, OSError, TimeoutError) as e:
        raise _Unreachable(f"cannot reach the hub at {args.hub}: {e or type(e).__name__}"
                           ) from None


def _versions(args: argparse.Namespace) -> tuple[list[Any], int | None]:
    """The config's versions and the number of the one in force now."""
    from shared.clock import SystemClock
    from shared.ledger import config_log

    if getattr(args, "ledger", None):
        from shared.ledger.store import connect

        path = Path(args.ledger)
        if not path.is_file():
            raise _Unreachable(f"{path} does not exist")
        conn = connect(path, readonly=True)
        try:
            versions = config_log.config_versions(conn)
        finally:
            conn.close()
        now = config_log.version_in_force(versions, SystemClock().now())
        return versions, now.version if now else None
    answer = asyncio.run(_ask(args, "GET", "/config/versions"))
    return ([config_log.version_from_dict(v) for v in answer["versions"]], answer["in_force"])


def _history(args: argparse.Namespace) -> int:
    versions, in_force = _versions(args)
    if not versions:
        print("the ledger holds no hall config yet (the hub records its --config file as "
              "version 1 when it starts)")
        return 0
    tz = versions[-1].config.tz
    from shared.ledger import config_log

    for v in versions:
        mark = "  (in force)" if v.version == in_force else ""
        print(config_log.describe(v, tz) + mark)
    return 0


def _export(args: argparse.Namespace) -> int:
    versions, in_force = _versions(args)
    want = args.version if args.version is not None else in_force
    found = [v for v in versions if v.version == want]
    if not found:
        known = ", ".join(str(v.version) for v in versions) or "none"
        print(f"error: no config version {want} (versions: {known})", file=sys.stderr)
        return 2
    text = found[0].content
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
        print(f"config version {want} written to {args.output}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0


def _import(args: argparse.Namespace) -> int:
    from shared.ledger import config_log

    new = load_config(args.file)  # as strict as the hub: a bad file never leaves this PC
    content = new.raw_toml.decode("utf-8")
    versions, in_force = _versions(args)
    current = next((v for v in versions if v.version == in_force), None)
    # Before the first change the ledger holds none: the hub runs its --config file.
    base = current.content if current else asyncio.run(_ask(args, "GET", "/config", raw=True))
    name = f"version {current.version}" if current else "version 1"
    effective = args.effective or config_log.NOW
    if config_log.canonical_digest(content) == config_log.canonical_digest(base) and (
            effective == "now"):
        print(f"{args.file} is the config in force already ({name}); nothing changed")
        return 0
    diff = list(difflib.unified_diff(
        base.splitlines(keepends=True), content.splitlines(keepends=True),
        fromfile=f"{name} (in force)", tofile=args.file))
    sys.stdout.writelines(diff)
    if diff and not diff[-1].endswith("\n"):
        print()
    reply = asyncio.run(_ask(args, "POST", "/config", {"id": uuid.uuid4().hex, "args": {
        "content": content, "effective": None if effective == "now" else effective,
        "force": True if args.yes else None, "source": Path(args.file).name}}))
    if not reply["ok"]:
        refusal = reply["refusal"] or {}
        if refusal.get("code") == "strands_tickets":
            print(f"error: {refusal.get('message')}; nothing changed. Run again with --yes "
                  f"to record it anyway", file=sys.stderr)
            return STRANDS_EXIT
        print(f"error: the hub refused the change: {refusal.get('message')}; nothing changed",
              file=sys.stderr)
        return 2
    data = reply["events"][-1]["data"]
    when = "now" if data["effective"] == "now" else f"from {data['effective']}"
    print(f"recorded as config version {data['version']} (digest {data['digest'][:16]}), "
          f"in force {when}")
    return 0
