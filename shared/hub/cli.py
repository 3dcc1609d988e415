"""`antrean hub`: run the hub, enroll stations, add officers, restore from a replica.

`--tls` serves wss:// and https:// with the hub's own certificate (made once beside the ledger,
see shared.hub.tls); `enroll` prints that certificate's fingerprint next to the token, for the
station to pin."""

from __future__ import annotations

import argparse
import getpass
import logging
import sqlite3
import sys
from pathlib import Path

from shared.cli import SettingsError
from shared.config import ConfigError, HallConfig, example_config_path, load_config
from shared.hub import tls
from shared.hub.auth import ROLES, AuthError, AuthStore

DEFAULT_PORT = 8470
log = logging.getLogger("antrean.hub")


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--ledger", default="antrean-data/ledger.db", help="the ledger file")
    p.add_argument("--auth", default=None, help="station/officer store (default: beside ledger)")
    p.add_argument("--config", default=None, help="hall config TOML (default: the example hall)")
    p.add_argument("--host", default="0.0.0.0", help="address to listen on")
    p.add_argument("--port", type=int, default=DEFAULT_PORT)
    p.add_argument("--no-mdns", action="store_true", help="do not advertise on the LAN")
    p.add_argument("--tls", action="store_true",
                   help="serve wss:// and https:// (the hall LAN is not trusted); the "
                        f"certificate is made once beside the ledger ({tls.CERT_FILE}, "
                        f"{tls.KEY_FILE})")
    p.add_argument("--tls-cert", metavar="PEM", default=None,
                   help="use this existing certificate instead (implies --tls; with --tls-key)")
    p.add_argument("--tls-key", metavar="PEM", default=None,
                   help="the private key of --tls-cert")
    p.add_argument("--simulated-clock", metavar="ISO[,SPEED]", default=None,
                   help="run on a simulated clock (tests, antrean simulate); never in a hall")
    p.add_argument("--restore-from", metavar="REPLICA",
                   help="start a new hub from a station's replica (when the hub PC is lost)")
    sub = p.add_subparsers(dest="action")
    e = sub.add_parser("enroll", help="enroll a station and print its token")
    e.add_argument("--role", required=True, choices=ROLES)
    e.add_argument("--name", required=True, help="station name, e.g. kiosk-1 or loket-3")
    e.add_argument("--counter", type=int, default=None, help="bind a counter station to a loket")
    o = sub.add_parser("officer", help="manage officers")
    osub = o.add_subparsers(dest="officer_action", required=True)
    add = osub.add_parser("add", help="add an officer or change their PIN")
    add.add_argument("officer", help="officer id, e.g. NIP or a short name")
    add.add_argument("--name", required=True)
    add.add_argument("--pin", default=None, help="PIN (asked for when omitted)")
    sub.add_parser("stations", help="list enrolled stations")
    sub.add_parser("fingerprint", help="print the TLS certificate's fingerprint (stations pin "
                                       "it); makes the certificate if there is none yet")


def auth_path(args: argparse.Namespace) -> Path:
    return Path(args.auth) if args.auth else Path(args.ledger).with_name("hub-auth.db")


def tls_paths(args: argparse.Namespace) -> tuple[Path, Path]:
    """The certificate and key: the pair given, or the hub's own beside the ledger (made when
    missing). A pair given by hand must exist: it is never made up in its place."""
    cert, key = getattr(args, "tls_cert", None), getattr(args, "tls_key", None)
    if bool(cert) != bool(key):
        raise tls.TlsError("give --tls-cert and --tls-key together")
    if cert and key:
        for path in (Path(cert), Path(key)):
            if not path.is_file():
                raise tls.TlsError(f"{path} does not exist")
        return Path(cert), Path(key)
    cert_path, key_path = tls.default_paths(args.ledger)
    if tls.ensure_certificate(cert_path, key_path):
        log.info("made the hub's TLS certificate %s (key %s, mode 0600)", cert_path, key_path)
    return cert_path, key_path


def uses_tls(args: argparse.Namespace) -> bool:
    return bool(getattr(args, "tls", False) or getattr(args, "tls_cert", None)
                or getattr(args, "tls_key", None))


def check(args: argparse.Namespace) -> None:
    """What the hub refuses on its command line, before it opens the ledger or a port."""
    if not 0 <= args.port <= 65535:
        raise SettingsError(f"--port {args.port} is not a port number")
    if bool(args.tls_cert) != bool(args.tls_key):
        raise SettingsError("give --tls-cert and --tls-key together")
    if args.simulated_clock:
        from shared.clock import parse_simulated_clock

        try:
            parse_simulated_clock(args.simulated_clock)
        except ValueError as e:
            raise SettingsError(str(e)) from None


def run(args: argparse.Namespace) -> int:
    try:
        if args.action == "enroll":
            # The fingerprint first: a certificate problem must not leave a station enrolled
            # with a token nobody saw.
            fingerprint = tls.certificate_fingerprint(tls_paths(args)[0])
            store = AuthStore(auth_path(args))
            token = store.enroll(args.name, args.role, args.counter)
            print(f"station {args.name} enrolled as {args.role}. Put these lines in its "
                  f"/etc/antrean/station.env (the token is shown only this once):\n"
                  f"ANTREAN_TOKEN={token}\n"
                  f"{tls.FINGERPRINT_ENV}={fingerprint}\n"
                  f"(the fingerprint of the hub's TLS certificate, for ANTREAN_HUB=wss://...; "
                  f"the same for every station of this hub)")
            return 0
        if args.action == "fingerprint":
            print(tls.certificate_fingerprint(tls_paths(args)[0]))
            return 0
        if args.action == "officer":
            pin = args.pin or getpass.getpass(f"PIN for {args.officer}: ")
            AuthStore(auth_path(args)).add_officer(args.officer, args.name, pin)
            print(f"officer {args.officer} saved")
            return 0
        if args.action == "stations":
            for st in AuthStore(auth_path(args)).stations():
                print(f"{st.name}\t{st.role}\t{st.counter or ''}")
            return 0
        return _serve(args)
    except (AuthError, ConfigError, RestoreError, tls.TlsError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2


class RestoreError(Exception):
    pass


def restore_from_replica(replica: Path, ledger: Path, config: HallConfig) -> int:
    """Copy a station replica into place as the hub's ledger (same schema) and return its last
    sequence number.

    The copy is made beside the target and checked there (a ledger's schema, projection equal
    to a replay of its events); only a good copy is renamed into place. Otherwise a wrong file
    (not SQLite, the auth store, a torn copy) left a ledger behind that blocked the next try
    with "exists already", or that a plain `antrean hub` would then serve as an empty hall."""
    from shared.ledger.ledger import Ledger
    from shared.ledger.projection import last_seq
    from shared.ledger.store import MIGRATIONS, LedgerError

    if not replica.is_file():
        raise RestoreError(f"replica {replica} does not exist")
    if ledger.exists():
        raise RestoreError(f"{ledger} exists already; move it away to restore over it")
    ledger.parent.mkdir(parents=True, exist_ok=True)
    partial = ledger.with_name(ledger.name + ".restoring")
    for stale in _sqlite_files(partial):
        stale.unlink(missing_ok=True)
    try:
        src = sqlite3.connect(f"{replica.resolve().as_uri()}?mode=ro", uri=True)
        dst = sqlite3.connect(partial)
        try:
            version = src.execute("PRAGMA user_version").fetchone()[0]
            tables = {r[0] for r in src.execute("SELECT name FROM sqlite_master")}
            if not 1 <= version <= len(MIGRATIONS) or not {"events", "tickets"} <= tables:
                raise RestoreError(f"{replica} is not an Antrean ledger or replica")
            src.backup(dst)
        finally:
            src.close()
            dst.close()
        led = Ledger(partial, config)
        try:
            if not led.verify():
                raise RestoreError(f"{replica}: its projection differs from its events; "
                                   f"restore from another station's replica")
            seq = last_seq(led.conn)
            led.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            led.close()
        partial.replace(ledger)
    except (sqlite3.Error, LedgerError) as e:
        raise RestoreError(f"cannot restore from {replica}: {e}") from None
    finally:
        for leftover in _sqlite_files(partial):
            leftover.unlink(missing_ok=True)
    return seq


def _sqlite_files(db: Path) -> list[Path]:
    return [db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")]


def _serve(args: argparse.Namespace) -> int:
    from shared.hub.server import Hub, run_hub
    from shared.ledger.ledger import Ledger

    config = load_config(args.config or example_config_path())
    ledger = Path(args.ledger)
    if args.restore_from:
        seq = restore_from_replica(Path(args.restore_from), ledger, config)
        log.info("restored ledger from %s up to seq %d", args.restore_from, seq)
    led = Ledger(ledger, config)
    if not led.verify():
        led.close()
        raise RestoreError(f"{ledger}: projection differs from its events; run "
                           f"'antrean ledger rebuild' first")
    led.close()
    clock = None
    if args.simulated_clock:
        from shared.clock import parse_simulated_clock

        try:
            clock = parse_simulated_clock(args.simulated_clock)
        except ValueError as e:
            raise RestoreError(str(e)) from None
    ssl_context = None
    where = f"ws://{args.host}:{args.port}/ws"
    if uses_tls(args):
        cert, key = tls_paths(args)
        ssl_context = tls.server_context(cert, key)
        where = (f"wss://{args.host}:{args.port}/ws, certificate {cert} with SHA-256 "
                 f"fingerprint {tls.certificate_fingerprint(cert)}")
    hub = Hub(config, ledger, AuthStore(auth_path(args)), clock)
    print(f"Antrean hub for {config.mpp.name} on {where}", flush=True)
    run_hub(hub, args.host, args.port, advertise=not args.no_mdns, ssl_context=ssl_context)
    return 0
