"""`antrean hub`: run the hub, enroll and revoke stations, manage officers, restore from a
replica.

`--tls` serves wss:// and https:// with the hub's own certificate (made once beside the ledger,
see shared.hub.tls); `enroll` prints that certificate's fingerprint next to the token, for the
station to pin.

`stations revoke`, `officer disable` and the others work while the hub runs: they write the
auth store, and the running hub notices the change within a second (it watches the store's
SQLite data_version) and closes what was taken away, open connections included. No signal to
find the hub's process and no admin port are needed, and it works the same when the hub is
down (the change applies when it starts)."""

from __future__ import annotations

import argparse
import errno
import getpass
import logging
import sqlite3
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from shared.clock import SystemClock
from shared.config import ConfigError, HallConfig, SettingsError, example_config_path, load_config
from shared.hub import tls
from shared.hub.auth import PIN_ADVISED_DIGITS, ROLES, AuthError, AuthStore
from shared.hub.enrolment import CODE_MINUTES, Enrolment
from shared.hub.protocol import MAX_CONNECTIONS_PER_TOKEN
from shared.ledger import config_log
from shared.ledger.disk import DEFAULT_MIN_FREE_MB, MB, free_bytes, megabytes
from shared.ledger.files import create_private, private_dir
from shared.ledger.lock import LedgerLock, hold_for_hub
from shared.ledger.store import LedgerError, connect

if TYPE_CHECKING:
    from shared.ledger.check import CheckReport

DEFAULT_PORT = 8470
START_MIN_FREE_BYTES = 1024 * 1024
# Up to this many events the hub checks its whole ledger before serving (a few seconds);
# beyond, the newest events before serving and the whole ledger in the background.
FULL_CHECK_LIMIT = 50_000  # below this (and a floor set), the hub does not start
log = logging.getLogger("antrean.hub")


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--ledger", default="antrean-data/ledger.db", help="the ledger file")
    p.add_argument("--auth", default=None, help="station/officer store (default: beside ledger)")
    p.add_argument("--config", default=None, help="hall config TOML (default: the example hall)")
    p.add_argument("--host", default="0.0.0.0",
                   help="address to listen on (0.0.0.0: every network of this PC; without "
                        "--tls, tokens and PINs then cross the LAN readable)")
    p.add_argument("--port", type=int, default=DEFAULT_PORT, help="TCP port to listen on")
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
    p.add_argument("--full-check-limit", type=int, metavar="EVENTS", default=FULL_CHECK_LIMIT,
                   help="check the whole ledger before serving up to this many events; a "
                        "larger one is checked in its newest events first and whole in the "
                        f"background, so a restart takes seconds (default: {FULL_CHECK_LIMIT})")
    p.add_argument("--max-connections-per-token", type=int, metavar="N",
                   default=MAX_CONNECTIONS_PER_TOKEN,
                   help="open connections one station's token may hold; more are refused "
                        f"(close 4006) (default: {MAX_CONNECTIONS_PER_TOKEN})")
    p.add_argument("--min-free-mb", type=int, default=DEFAULT_MIN_FREE_MB, metavar="MB",
                   help="refuse new tickets while the ledger's disk has less free space than "
                        f"this, so waiting visitors are still served (default "
                        f"{DEFAULT_MIN_FREE_MB}; 0: no floor)")
    p.add_argument("--restore-from", metavar="REPLICA",
                   help="start a new hub from a station's replica (when the hub PC is lost)")
    sub = p.add_subparsers(dest="action", metavar="ACTION",
                           help="without one, run the hub; with one, do it and exit")
    e = sub.add_parser("enroll", help="enroll a station (or re-enroll it: a new token, the old "
                                      "one stops working) and print its token")
    e.add_argument("--role", required=True, choices=ROLES, help="what the station may do")
    e.add_argument("--name", required=True, help="station name, e.g. kiosk-1 or loket-3")
    e.add_argument("--counter", type=int, default=None,
                   help="bind a counter station to this loket (default: not bound; the "
                        "officer picks the loket at sign-in)")
    o = sub.add_parser("officer", help="add, list, disable and enable officers; reset a PIN")
    osub = o.add_subparsers(dest="officer_action", required=True, metavar="ACTION")
    add = osub.add_parser("add", help="add an officer, or change their name and PIN")
    add.add_argument("officer", help="officer id, e.g. NIP or a short name")
    add.add_argument("--name", required=True, help="the officer's name, as screens show it")
    add.add_argument("--pin", default=None, help="PIN, 4-12 digits, 6 advised (default: asked)")
    osub.add_parser("list", help="list the officers and whether each may sign in")
    disable = osub.add_parser("disable", help="stop an officer signing in; a running hub signs "
                                              "them out of their counter at once")
    disable.add_argument("officer", help="officer id")
    enable = osub.add_parser("enable", help="let a disabled officer sign in again")
    enable.add_argument("officer", help="officer id")
    reset = osub.add_parser("reset-pin", help="give an officer a temporary PIN, which they "
                                              "replace with their own at the next sign-in")
    reset.add_argument("officer", help="officer id")
    reset.add_argument("--pin", default=None,
                       help="the new PIN, 4-12 digits, 6 advised (default: asked for)")
    reset.add_argument("--no-change-required", dest="change_required", action="store_false",
                       help="the PIN given is the officer's own: no change at sign-in")
    st = sub.add_parser("stations", help="list enrolled stations, or revoke one")
    ssub = st.add_subparsers(dest="stations_action", metavar="ACTION",
                             help="list (the default) or revoke")
    ssub.add_parser("list", help="list enrolled stations: name, role, bound counter")
    revoke = ssub.add_parser("revoke", help="withdraw a station's token; a running hub closes "
                                            "its open connection at once")
    revoke.add_argument("name", help="the station's name, as enrolled")
    code = ssub.add_parser("code", help="a one-time code that enrols a browser as a counter "
                                        "station (typed at the web station's /petugas page)")
    code.add_argument("name", help="the new station's name, e.g. loket-7-web")
    code.add_argument("--counter", type=int, required=True, help="the loket it is bound to")
    code.add_argument("--minutes", type=int, default=CODE_MINUTES,
                      help=f"how long the code works (default: {CODE_MINUTES})")
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
    if args.min_free_mb < 0:
        raise SettingsError(f"--min-free-mb {args.min_free_mb} is below 0")
    if bool(args.tls_cert) != bool(args.tls_key):
        raise SettingsError("give --tls-cert and --tls-key together")
    if args.full_check_limit < 0:
        raise SettingsError(f"--full-check-limit {args.full_check_limit}: give 0 or more")
    if args.max_connections_per_token < 1:
        raise SettingsError(f"--max-connections-per-token {args.max_connections_per_token}: "
                            f"give 1 or more")
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
            return _officer(args, AuthStore(auth_path(args)))
        if args.action == "stations":
            return _stations(args, AuthStore(auth_path(args)))
        return _serve(args)
    except LedgerError as e:
        cause = e.__cause__
        failure = (_environment_failure(args, cause)
                   if isinstance(cause, (sqlite3.Error, OSError)) else str(e))
        print(f"error: {failure}", file=sys.stderr)
        return 2
    except (AuthError, ConfigError, RestoreError, tls.TlsError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except (sqlite3.Error, OSError) as e:  # a full disk, a file that is not SQLite: one line
        print(f"error: {_environment_failure(args, e)}", file=sys.stderr)
        return 2


def _environment_failure(args: argparse.Namespace, e: sqlite3.Error | OSError) -> str:
    """What went wrong outside the hub's control, in one line: above all a full disk."""
    what = e.strerror if isinstance(e, OSError) and e.strerror else str(e)
    ledger = Path(args.ledger)
    try:
        free = free_bytes(ledger)
    except OSError:
        free = None
    if isinstance(e, OSError):
        full = e.errno == errno.ENOSPC
    else:
        full = getattr(e, "sqlite_errorcode", None) == sqlite3.SQLITE_FULL
    if full or (free is not None and free < START_MIN_FREE_BYTES):
        return _full_disk(ledger, free or 0, what)
    if isinstance(e, OSError):  # a port taken, a folder not writable, ...
        return f"{e.filename}: {what}" if e.filename else str(e)
    return f"{ledger} (or a file beside it): {what}"


def _refuse_full_disk(args: argparse.Namespace) -> None:
    """A disk too full to open the ledger safely stops the start in one line, whichever SQLite
    step would have failed first (or not failed, and then failed the first command). Between
    this and the floor the hub starts, and refuses only new tickets (shared.ledger.disk)."""
    if not args.min_free_mb:
        return
    free = free_bytes(args.ledger)
    if free < min(args.min_free_mb * MB, START_MIN_FREE_BYTES):
        raise RestoreError(_full_disk(Path(args.ledger), free, "no room to open the ledger"))


def _full_disk(ledger: Path, free: int, what: str) -> str:
    return (f"the disk of {ledger} is full ({megabytes(free)} free): {what}; free space on it "
            f"(old files, journalctl --vacuum-size=100M), then start the hub again")


LIVE = "a running hub applies it within a second"


def _officer(args: argparse.Namespace, store: AuthStore) -> int:
    action, officer = args.officer_action, getattr(args, "officer", None)
    if action == "list":
        rows = store.officers()
        for o in rows:
            print(f"{o.officer}\t{o.name}\t{'disabled' if o.disabled else 'active'}")
        if not rows:
            print("no officers yet: antrean hub ... officer add ID --name NAME", file=sys.stderr)
        return 0
    assert officer is not None
    if action == "add":
        pin = args.pin or _ask_pin(officer)
        store.add_officer(officer, args.name, pin)
        print(f"officer {officer} saved")
        _warn_short(pin)
    elif action == "reset-pin":
        pin = args.pin or _ask_pin(officer)
        store.reset_pin(officer, pin, change_required=args.change_required)
        print(f"officer {officer} has a new PIN (the old one no longer signs in)"
              + ("; they choose their own at the next sign-in" if args.change_required else ""))
        _warn_short(pin)
    elif action == "disable":
        store.set_disabled(officer, True)
        print(f"officer {officer} disabled: they cannot sign in, and are signed out of their "
              f"counter ({LIVE}); 'officer enable {officer}' undoes it")
    elif action == "enable":
        store.set_disabled(officer, False)
        print(f"officer {officer} may sign in again")
    return 0


def _warn_short(pin: str) -> None:
    if len(pin) < PIN_ADVISED_DIGITS:
        print(f"warning: a {len(pin)}-digit PIN is weak; use {PIN_ADVISED_DIGITS} digits "
              f"(docs/install-id.md)", file=sys.stderr)


def _ask_pin(officer: str) -> str:
    pin = getpass.getpass(f"PIN for {officer}: ")
    if getpass.getpass("the same PIN again: ") != pin:
        raise AuthError("the two PINs differ; nothing was changed")
    return pin


def _stations(args: argparse.Namespace, store: AuthStore) -> int:
    if args.stations_action == "code":
        return _code(args, store)
    if args.stations_action == "revoke":
        st = store.revoke(args.name)
        print(f"station {st.name} ({st.role}) revoked: the hub refuses its token from now on, "
              f"and closes its open connection ({LIVE}); enroll it again for a new token")
        return 0
    for st in store.stations():
        print(f"{st.name}\t{st.role}\t{st.counter or ''}")
    return 0


def _code(args: argparse.Namespace, store: AuthStore) -> int:
    if args.config is not None and args.counter not in load_config(args.config).counters:
        raise AuthError(f"counter {args.counter} is not in the hall config")
    enrolment = Enrolment(store)
    try:
        made = enrolment.create(args.name, args.counter, args.minutes)
    finally:
        enrolment.close()
    print(f"enrolment code for {made.name} (counter {made.counter}): {made.code}\n"
          f"type it on the officer's laptop at https://WEB-STATION/petugas within "
          f"{args.minutes} minutes; it works once")
    return 0


class RestoreError(Exception):
    pass


RESTORE_HINT = ("start the hub from the newest station replica instead: antrean hub --ledger "
                "NEW-LEDGER --restore-from REPLICA (docs/install-id.md, section 10)")


def check_before_serving(ledger: Path, full_limit: int = FULL_CHECK_LIMIT
                         ) -> CheckReport | None:
    """The hub's start-up check: the ledger passes the one check (shared.ledger.check) and is
    what the hub's last run left in it (its head record, shared.ledger.head). Raises
    RestoreError with one line otherwise; returns the report (None for a new hall)."""
    from shared.ledger.check import QUICK_TAIL, check_file
    from shared.ledger.head import HeadRecord, HeadUnreadable
    from shared.ledger.projection import hash_at
    from shared.ledger.store import connect

    try:
        head = HeadRecord(ledger).read()
    except HeadUnreadable as e:
        raise RestoreError(f"{e}: cannot tell what the last run left; {RESTORE_HINT}") from None
    if not ledger.exists():
        if head is not None:
            raise RestoreError(f"{ledger} is missing, but the hub's last run left events up to "
                               f"seq {head.seq} in it; {RESTORE_HINT}")
        return None  # a new hall
    # With a head record, a ledger of more than `full_limit` events gets the quick form here:
    # SQLite's integrity check, the schema and the chain of the newest events, then the
    # record's seq and hash below. The full check (every event's hash, the promises,
    # projection = replay) grows with the ledger, about 5 s per 100,000 events on a 2-core
    # PC, so a year's ledger would keep the hall waiting minutes at every restart; the hub
    # runs it in the background once serving (Hub.full_check), and `ledger verify`, every
    # backup and every restore run it too. A ledger the record does not vouch for (none yet,
    # or ahead of it by more than the tail) always gets the full check first.
    if head is None:
        report = check_file(ledger)
    else:
        report = check_file(ledger, tail=QUICK_TAIL, integrity=True)
        if report.ok and (report.last_seq <= full_limit
                          or report.last_seq - head.seq >= QUICK_TAIL):
            report = check_file(ledger)
    if report.damaged:
        raise RestoreError(f"{report.first()}; do not rebuild it: {RESTORE_HINT}")
    if head is not None:
        if report.last_seq < head.seq:
            raise RestoreError(
                f"{ledger} holds events up to seq {report.last_seq}, but the hub's last run "
                f"committed up to seq {head.seq}: {head.seq - report.last_seq} events were lost "
                f"(a truncated or damaged -wal file, or an older copy put in its place); "
                f"{RESTORE_HINT}")
        conn = connect(ledger, readonly=True)
        try:
            ours = hash_at(conn, head.seq)
        finally:
            conn.close()
        if ours != head.hash:
            raise RestoreError(
                f"{ledger}: its event {head.seq} is not the one the hub's last run committed "
                f"(another history was put in its place); {RESTORE_HINT}")
    if not report.ok:
        raise RestoreError(f"{report.first()}; the events themselves are sound: run 'antrean "
                           f"ledger rebuild {ledger} --config CONFIG', then start the hub")
    return report


def restore_from_replica(replica: Path, ledger: Path, config: HallConfig) -> int:
    """Copy a station replica into place as the hub's ledger (same schema) and return its last
    sequence number.

    The replica must pass the one check (shared.ledger.check: SQLite's integrity check, the
    schema, the hash chain, the ledger's promises, projection equal to a replay); the copy is
    made beside the target and only then renamed into place, with a head record for it.
    Otherwise a wrong file (not SQLite, the auth store, a torn or damaged copy) left a ledger
    behind that blocked the next try with "exists already", or that a plain `antrean hub`
    would then serve."""
    from shared.ledger.check import check_file
    from shared.ledger.head import write_head
    from shared.ledger.ledger import Ledger
    from shared.ledger.projection import hash_at, last_seq

    if not replica.is_file():
        raise RestoreError(f"replica {replica} does not exist")
    if ledger.exists():
        raise RestoreError(f"{ledger} exists already; move it away to restore over it")
    report = check_file(replica)
    if not report.ok:
        raise RestoreError(f"cannot restore from {replica}: {report.first()}; restore from "
                           f"another station's replica")
    private_dir(ledger.parent)
    partial = ledger.with_name(ledger.name + ".restoring")
    for stale in _sqlite_files(partial):
        stale.unlink(missing_ok=True)
    create_private(partial)
    try:
        src = sqlite3.connect(f"{replica.resolve().as_uri()}?mode=ro", uri=True)
        dst = sqlite3.connect(partial)
        try:
            src.backup(dst)
        finally:
            src.close()
            dst.close()
        led = Ledger(partial, config)  # migrates a replica of an older schema
        try:
            seq = last_seq(led.conn)
            digest = hash_at(led.conn, seq) or ""
            led.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            led.close()
        if seq != report.last_seq or digest != report.last_hash:
            raise RestoreError(f"the copy of {replica} does not hold what it was checked to "
                               f"hold (seq {seq}); try again")
        partial.replace(ledger)
        write_head(ledger, seq, digest)
    except (sqlite3.Error, LedgerError, OSError) as e:
        raise RestoreError(f"cannot restore from {replica}: {e}") from None
    finally:
        for leftover in _sqlite_files(partial):
            leftover.unlink(missing_ok=True)
    return seq


def hall_config_for_hub(ledger: Path, given: str | None, file_config: HallConfig) -> HallConfig:
    """The config the hub starts with. A ledger that holds the hall config (config.changed)
    is the truth, and --config may be left out. A --config that differs from it is neither
    imported nor a reason to refuse to start: imported, a file left on the hub PC from before
    a change made with `antrean config import` (or the console) would undo that change at the
    next restart, unseen; refused, a hall would stay without its hub after a power cut because
    of an old file (the systemd unit passes --config at every start). The ledger wins, and
    the log says so in one line, with what to run to change the config."""
    if not ledger.exists():
        return file_config
    conn = connect(ledger, readonly=True)
    try:
        versions = config_log.config_versions(conn)
    finally:
        conn.close()
    if not versions:
        return file_config  # the first change records it as version 1
    now = config_log.version_in_force(versions, SystemClock().now()) or versions[0]
    if given is not None and config_log.canonical_digest(file_config.raw_toml) not in (
            now.digest, versions[-1].digest):
        log.warning("--config %s differs from the hall config in the ledger (version %d, "
                    "digest %s); serving the ledger's: to change the config, run 'antrean "
                    "config import %s' against the running hub", given, now.version,
                    now.digest[:16], given)
    return now.config


def _sqlite_files(db: Path) -> list[Path]:
    return [db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")]


def _serve(args: argparse.Namespace) -> int:
    # Held from before a restore until the hub stops: no tool replaces the ledger under a
    # running hub, and no second hub serves it (shared.ledger.lock).
    held = hold_for_hub(args.ledger)
    try:
        return _serve_held(args, held)
    finally:
        held.release()


def _serve_held(args: argparse.Namespace, held: LedgerLock) -> int:
    from shared.hub.server import Hub, run_hub
    from shared.ledger.head import write_head

    config = load_config(args.config or example_config_path())
    ledger = Path(args.ledger)
    _refuse_full_disk(args)
    if args.restore_from:
        seq = restore_from_replica(Path(args.restore_from), ledger, config)
        log.info("restored ledger from %s up to seq %d", args.restore_from, seq)
    report = check_before_serving(ledger, args.full_check_limit)
    config = hall_config_for_hub(ledger, args.config, config)
    if report is not None:
        # The record starts from what was checked: a ledger from before records existed, or
        # one just restored, has one from now on.
        write_head(ledger, report.last_seq, report.last_hash)
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
    floor = args.min_free_mb * MB
    full_check = None
    if report is not None and report.quick:
        # Start-up checked the newest events only; the whole ledger is checked now, beside.
        full_check = [sys.executable, "-m", "antrean", "ledger", "verify", str(ledger),
                      "--config", str(args.config or example_config_path())]
    hub = Hub(config, ledger, AuthStore(auth_path(args)), clock, ledger_lock=held,
              min_free_bytes=floor, max_connections_per_token=args.max_connections_per_token,
              full_check=full_check)
    if ssl_context is not None:
        hub.tls_fingerprint = tls.certificate_fingerprint(cert)
    if floor and free_bytes(ledger) < floor:
        log.error("only %s free on the disk of %s, below --min-free-mb %d: the hub refuses new "
                  "tickets until space is freed", megabytes(free_bytes(ledger)), ledger,
                  args.min_free_mb)
    if ssl_context is None and not tls.is_loopback(args.host):
        # Loud on purpose: a hall LAN is not trusted, and this is the default without --tls.
        warning = (f"WARNING: NOT ENCRYPTED: plain ws:// on {args.host}: station tokens and "
                   f"officers' PINs cross the LAN readable by anyone on it; run the hub with "
                   f"--tls (docs/install-id.md), or --host 127.0.0.1 for this PC only")
        log.warning(warning)
        where = f"{where} -- {warning}"
    print(f"Antrean hub for {config.mpp.name} on {where}", flush=True)
    run_hub(hub, args.host, args.port, advertise=not args.no_mdns, ssl_context=ssl_context)
    return 0
