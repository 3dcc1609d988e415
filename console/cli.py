"""`antrean console`: the MPP's console (the live hall; the reports), a station with the
`admin` role on its own replica, serving the office's browsers; and its accounts.

    antrean console --hub ws://127.0.0.1:8470 --token T --listen 127.0.0.1:8090
    antrean console ... --listen 0.0.0.0:8443 --tls-cert hall.crt --tls-key hall.key  # HTTPS
    antrean console user add kepala --role supervisor --name "Kepala DPMPTSP"
    antrean console user add siti --role coordinator --agency DUKCAPIL --name "Siti Aminah"
    antrean console user list
    antrean console user disable siti
    antrean console user reset-password siti

A password is read from the terminal (asked twice) or, when stdin is not a terminal, from its
first line: never from the command line, where `ps` and the shell's history would show it.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import getpass
import logging
import os
import signal
import sqlite3
import ssl
import sys
from pathlib import Path

from shared.config import ConfigError, HallConfig, SettingsError, load_config, loads_config
from shared.hub.tls import is_loopback
from shared.station import https
from shared.station.follower import check_settings, parse_listen

log = logging.getLogger(__name__)


def minutes(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= 24 * 60:
        raise argparse.ArgumentTypeError(f"expected minutes from 1 to 1440, not {text!r}")
    return int(text)


def _where(p: argparse.ArgumentParser, default: object = None) -> None:
    """Where the console keeps its files; on the console itself and on each `user` action."""
    p.add_argument("--device", default=default, help="this console's name (default: console-1)")
    p.add_argument("--replica", type=Path, default=default,
                   help="replica file (default: replica-DEVICE.db in the user's data folder, "
                        "~/.local/share/antrean on Linux)")
    p.add_argument("--accounts", type=Path, default=default,
                   help="the accounts file (default: accounts-DEVICE.db beside the replica)")


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--hub", default=os.environ.get("ANTREAN_HUB"),
                   help="hub address, e.g. wss://192.168.10.2:8470 (default: $ANTREAN_HUB)")
    p.add_argument("--hub-fingerprint", default=os.environ.get("ANTREAN_HUB_FINGERPRINT"),
                   metavar="SHA256HEX",
                   help="the hub certificate's SHA-256 fingerprint; required with a wss:// hub "
                        "(default: $ANTREAN_HUB_FINGERPRINT)")
    p.add_argument("--token", default=os.environ.get("ANTREAN_TOKEN"),
                   help="this console's token, enrolled with --role admin "
                        "(default: $ANTREAN_TOKEN)")
    _where(p)
    p.add_argument("--listen", type=parse_listen, default=("127.0.0.1", 8090),
                   metavar="HOST:PORT",
                   help="where to serve the console (default: 127.0.0.1:8090; for the "
                        "office's LAN over HTTPS with --tls-cert/--tls-key, or behind an HTTPS "
                        "reverse proxy, docs/install-id.md)")
    https.add_arguments(p, "the console")
    p.add_argument("--proxy-address", default="", metavar="IP",
                   help="the HTTPS reverse proxy's address (e.g. 127.0.0.1): from it, a "
                        "client's address is the last one in X-Forwarded-For, for the "
                        "sign-in throttle and the audit log (default: no proxy)")
    p.add_argument("--idle-minutes", type=minutes, default=30, metavar="N",
                   help="sign a person out after N minutes without a click (default: 30)")
    p.add_argument("--simulated-clock", metavar="ISO[,SPEED]", default=None,
                   help="run on a simulated clock (tests); never in a hall")
    p.add_argument("--logo-dir", type=Path, default=None, metavar="DIR",
                   help="where agency logos uploaded in the console are kept; the config "
                        "names them assets/logos/FILE (default: this install's assets/logos)")
    sub = p.add_subparsers(dest="action", metavar="ACTION")
    user = sub.add_parser("user", help="the console's accounts",
                          description="the console's accounts (people, not stations)")
    actions = user.add_subparsers(dest="user_action", required=True, metavar="USER_ACTION")
    add = actions.add_parser("add", help="add an account; the password is asked for")
    add.add_argument("username", help="the name to sign in with: a-z, 0-9, '.', '_', '-'")
    add.add_argument("--role", required=True, choices=("supervisor", "admin", "coordinator"),
                     help="supervisor or admin (the whole hall), or coordinator (one agency)")
    add.add_argument("--name", default="", help="the person's name as the console shows it")
    add.add_argument("--agency", default=None,
                     help="a coordinator's agency code from the hall config, e.g. DUKCAPIL")
    add.add_argument("--config", type=Path, default=None,
                     help="the hall config, to check --agency (default: the copy the "
                          "console keeps in its replica)")
    lst = actions.add_parser("list", help="the accounts")
    dis = actions.add_parser("disable", help="disable an account and end its sessions")
    dis.add_argument("username", help="the account to disable")
    reset = actions.add_parser("reset-password",
                               help="a new password (asked for); ends the account's sessions")
    reset.add_argument("username", help="the account whose password is replaced")
    for each in (add, lst, dis, reset):
        _where(each, argparse.SUPPRESS)


def check(args: argparse.Namespace) -> None:
    if args.action == "user":
        return  # the accounts file and the hall config are read when the action runs
    check_settings(args.hub, args.token, args.hub_fingerprint, args.simulated_clock,
                   "the console", "admin")
    https.check(args)


def _agencies_from_file(path: Path) -> HallConfig:
    try:
        return load_config(path)
    except (ConfigError, OSError) as e:
        raise SettingsError(f"cannot read the hall config {path}: {e}") from None


def replica_path(args: argparse.Namespace) -> Path:
    if args.replica:
        return Path(args.replica)
    base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return base / "antrean" / f"replica-{args.device or 'console-1'}.db"


def accounts_path(args: argparse.Namespace) -> Path:
    if args.accounts:
        return Path(args.accounts)
    return replica_path(args).with_name(f"accounts-{args.device or 'console-1'}.db")


def run(args: argparse.Namespace) -> int:
    if args.action == "user":
        return run_user(args)
    # The pair is read before the hub is asked anything: a wrong file changes nothing.
    try:
        ssl_context = https.server_context(args.tls_cert, args.tls_key)
    except SettingsError as e:
        print(f"antrean console: {e}", file=sys.stderr)
        return 2
    try:
        return asyncio.run(_serve(args, ssl_context))
    except OSError as e:
        print(f"antrean console: cannot serve on {args.listen[0]}:{args.listen[1]}: {e}",
              file=sys.stderr)
        return 2


# --- accounts -----------------------------------------------------------------------------------


def read_password(prompt: str = "Password: ") -> str:
    if sys.stdin.isatty():
        first = getpass.getpass(prompt)
        if getpass.getpass("Again: ") != first:
            raise SettingsError("the two passwords differ; nothing changed")
        return first
    return sys.stdin.readline().rstrip("\r\n")


def kept_config(replica: Path) -> HallConfig | None:
    """The hall config the console keeps in its replica, when it ran once."""
    from shared.station.follower import CONFIG_META_KEY

    if not replica.exists():
        return None
    conn = sqlite3.connect(f"file:{replica}?mode=ro", uri=True)
    try:
        row = conn.execute("SELECT value FROM meta WHERE key=?", (CONFIG_META_KEY,)).fetchone()
    except sqlite3.Error:
        row = None
    finally:
        conn.close()
    return loads_config(row[0].encode(), str(replica)) if row else None


def run_user(args: argparse.Namespace) -> int:
    from console.accounts import AccountError, AccountStore

    try:
        if args.user_action == "add" and args.agency:
            config = (_agencies_from_file(args.config) if args.config
                      else kept_config(replica_path(args)))
            if config is None:
                raise SettingsError("no hall config to check --agency against: give --config "
                                    "hall.toml, or start the console once")
            if args.agency not in config.agencies:
                raise SettingsError(f"no agency {args.agency!r} in the hall config; one of "
                                    f"{', '.join(sorted(config.agencies))}")
        store = AccountStore(accounts_path(args))
    except (SettingsError, ConfigError) as e:
        print(f"antrean console: {e}", file=sys.stderr)
        return 2
    try:
        if args.user_action == "list":
            for u in store.users():
                scope = f" {u.agency}" if u.agency else ""
                state = " (disabled)" if u.disabled else ""
                print(f"{u.username}\t{u.role}{scope}\t{u.name}{state}")
            return 0
        if args.user_action == "disable":
            store.disable(args.username)
            print(f"disabled {args.username}; their sessions ended")
            return 0
        password = read_password()
        if args.user_action == "add":
            user = store.add(args.username, args.name, args.role, password, args.agency)
            print(f"added {user.username} ({user.role}{' ' + user.agency if user.agency else ''})")
        else:
            store.reset_password(args.username, password)
            print(f"new password for {args.username}; their sessions ended")
        return 0
    except (AccountError, SettingsError) as e:
        print(f"antrean console: {e}", file=sys.stderr)
        return 2
    finally:
        store.close()


# --- serving ------------------------------------------------------------------------------------


async def _serve(args: argparse.Namespace, ssl_context: ssl.SSLContext | None) -> int:
    from console.accounts import AccountStore
    from console.app import serve
    from shared.clock import Clock, parse_simulated_clock
    from shared.station.follower import Follower, FollowerError

    clock: Clock | None = (parse_simulated_clock(args.simulated_clock)
                           if args.simulated_clock else None)
    try:
        station = await Follower.open(args.hub, args.token, replica_path(args),
                                      args.hub_fingerprint, clock, role="admin")
    except FollowerError as e:
        print(f"antrean console: {e}", file=sys.stderr)
        return 2
    accounts = AccountStore(accounts_path(args),
                            clock=lambda: station.now().timestamp(),
                            idle_seconds=args.idle_minutes * 60.0)
    if not accounts.users():
        log.warning("no console account yet: add one with 'antrean console user add NAME "
                    "--role supervisor'")
    try:
        host, port = args.listen
        runner = await serve(station, accounts, host, port, args.proxy_address,
                             getattr(args, "logo_dir", None), ssl_context)
    except OSError:
        accounts.close()
        await station.close()
        raise
    log.info("console %s serving %s://%s:%d/ from %s", args.device or "console-1",
             "https" if ssl_context else "http", host, port, station.replica.path)
    if ssl_context is None and not args.proxy_address and not is_loopback(host):
        # The session cookie is Secure: a browser on another PC keeps it over HTTPS only.
        log.warning("serving plain HTTP on %s: browsers on other PCs cannot sign in; give "
                    "--tls-cert and --tls-key (docs/install-id.md)", host)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        await runner.cleanup()
        accounts.close()
        await station.close()
    return 0
