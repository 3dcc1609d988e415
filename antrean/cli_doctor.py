"""`antrean doctor`: check this PC for its job in the hall and say how to fix what is wrong.

    antrean doctor --role kiosk --printer usb:04b8:0e15        (hub address from ANTREAN_HUB)
    antrean doctor --role display --hub wss://192.168.10.2:8470 --hub-fingerprint SHA256HEX
    antrean doctor --role hub --config /etc/antrean/hall.toml --ledger /var/lib/antrean/ledger.db

On a station it also checks that the hub accepts the station's token for this PC's job, and
that Qt can show windows here (the same check the apps make before their first window).

Exit status 0 when nothing FAILed (warnings allowed), 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import asdict

from antrean.doctor import (
    ROLES,
    Status,
    default_data_path,
    option_value,
    read_station_env,
    run_checks,
    worst,
)

STATION_ENV = "/etc/antrean/station.env"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--role", choices=ROLES, default=None,
                   help="this PC's job; without it every check runs and sound only warns")
    p.add_argument("--config", default=None, help="hall config TOML to validate")
    p.add_argument("--hub", default=os.environ.get("ANTREAN_HUB"),
                   help="hub address, e.g. wss://192.168.10.2:8470 (default: $ANTREAN_HUB, "
                        "else ANTREAN_HUB in --station-env; with --role hub, this PC's hub)")
    p.add_argument("--hub-fingerprint", default=os.environ.get("ANTREAN_HUB_FINGERPRINT"),
                   help="the hub certificate's SHA-256 fingerprint printed at enrollment "
                        "(default: $ANTREAN_HUB_FINGERPRINT, else the one in --station-env)")
    p.add_argument("--token", default=os.environ.get("ANTREAN_TOKEN"),
                   help="this station's token, checked against the hub and this PC's role "
                        "(default: $ANTREAN_TOKEN, else ANTREAN_TOKEN in --station-env)")
    p.add_argument("--printer", default=None, metavar="ADDRESS",
                   help="the kiosk's ticket printer, as given to antrean kiosk --printer: "
                        "net:HOST[:PORT], usb:VENDOR:PRODUCT, serial:DEVICE[,BAUD], file:DEVICE "
                        "(default: --printer in --station-env's ANTREAN_ARGS)")
    p.add_argument("--ledger", default=None,
                   help="the hub's ledger file (hub PC), for the disk check (default: "
                        "/var/lib/antrean/ledger.db with --role hub)")
    p.add_argument("--replica", default=None,
                   help="this station's replica file, for the disk check (default: --replica "
                        "in --station-env's ANTREAN_ARGS, else the user's data folder)")
    p.add_argument("--station-env", default=None, metavar="FILE",
                   help="read the hub address, printer and replica from this station.env "
                        f"(default: {STATION_ENV} when it exists)")
    p.add_argument("--json", action="store_true", help="print the results as JSON")


def run(args: argparse.Namespace) -> int:
    hub, printer, replica = args.hub, args.printer, args.replica
    fingerprint, token, counter = args.hub_fingerprint, args.token, None
    env_path = args.station_env or (STATION_ENV if os.access(STATION_ENV, os.R_OK) else None)
    if env_path:
        try:
            env = read_station_env(env_path)
        except OSError as e:
            print(f"error: cannot read {env_path}: {e.strerror or e}", file=sys.stderr)
            return 2
        app_args = env.get("ANTREAN_ARGS", "")
        hub = hub or env.get("ANTREAN_HUB")
        fingerprint = fingerprint or env.get("ANTREAN_HUB_FINGERPRINT")
        token = token or env.get("ANTREAN_TOKEN")
        printer = printer or option_value(app_args, "--printer")
        replica = replica or option_value(app_args, "--replica")
        bound = option_value(app_args, "--counter")
        counter = int(bound) if bound and bound.isdigit() else None
    if hub is None and args.role == "hub":
        hub = "http://127.0.0.1:8470"  # on the hub PC, ask the local hub
    data_path = args.ledger or replica or (
        "/var/lib/antrean/ledger.db" if args.role == "hub" else default_data_path())
    results = run_checks(role=args.role, config=args.config, hub=hub, printer=printer,
                         data_path=data_path, hub_fingerprint=fingerprint, token=token,
                         counter=counter)
    overall = worst(results)
    if args.json:
        print(json.dumps({"status": overall.value,
                          "checks": [asdict(r) for r in results]}, indent=2))
    else:
        for r in results:
            print("\n".join(r.lines()))
        print(f"\n{overall.value}: " + {
            Status.OK: "this PC is ready",
            Status.WARN: "this PC works, but look at the warnings",
            Status.FAIL: "fix the FAIL lines above, then run antrean doctor again",
        }[overall])
    return 1 if overall == Status.FAIL else 0
