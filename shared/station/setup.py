"""How an app gets its StationLink from the command line: an in-process ledger file (one PC,
tests) or the hub on the LAN."""

from __future__ import annotations

import argparse
import logging
import os
from pathlib import Path

from shared.config import ConfigError, HallConfig, example_config_path, load_config
from shared.hub.auth import AuthStore
from shared.station.address import HubAddressError, check_hub_address
from shared.station.link import LocalLedger, StationLink

log = logging.getLogger(__name__)


def add_station_arguments(p: argparse.ArgumentParser, default_device: str) -> None:
    p.add_argument("--hall-config", default=None,
                   help="hall config TOML (embedded mode; default: the example hall)")
    p.add_argument("--ledger", default=None,
                   help="run with an in-process ledger file instead of a hub (one PC; "
                        "default: use the hub)")
    p.add_argument("--hub", default=os.environ.get("ANTREAN_HUB"),
                   help="hub address, e.g. wss://192.168.1.10:8470 (default: $ANTREAN_HUB; "
                        "when that is unset too, the hub is found on the LAN by mDNS)")
    p.add_argument("--hub-fingerprint", default=os.environ.get("ANTREAN_HUB_FINGERPRINT"),
                   metavar="SHA256HEX",
                   help="the hub certificate's SHA-256 fingerprint, printed by 'antrean hub "
                        "... enroll'; required with a wss:// hub "
                        "(default: $ANTREAN_HUB_FINGERPRINT)")
    p.add_argument("--token", default=os.environ.get("ANTREAN_TOKEN"),
                   help="this station's enrollment token (default: $ANTREAN_TOKEN)")
    p.add_argument("--device", default=default_device, help="this station's name")
    p.add_argument("--replica", default=None,
                   help="replica file (LAN mode; default: replica-DEVICE.db in the user's data "
                        "folder, ~/.local/share/antrean on Linux)")


class StationSetupError(Exception):
    pass


NO_LINK = "give --ledger FILE (one PC) or --hub ADDRESS with --token"


def check_station_arguments(args: argparse.Namespace) -> None:
    """What `open_link` would refuse in these arguments, found before anything is opened:
    neither a ledger nor a hub, a hub address that is not ws:// or wss://, no token, or a
    fingerprint that does not fit the address. Raises StationSetupError."""
    if args.ledger:
        return
    if args.hub:
        try:
            check_hub_address(args.hub, args.token, args.hub_fingerprint,
                              "a station on the LAN needs its token (--token or ANTREAN_TOKEN)")
        except HubAddressError as e:
            raise StationSetupError(str(e)) from None
        return
    if not args.token:
        raise StationSetupError(NO_LINK)


def open_link(args: argparse.Namespace, *, role: str) -> tuple[StationLink, object]:
    """Returns the link and the object that owns its resources (close it on exit). `role` is
    the app's (kiosk, counter, display): on one PC the link applies that role's policy, as the
    hub does to a token enrolled with it; on the LAN the hub knows the token's role itself."""
    if args.ledger:
        cfg = _hall_config(args.hall_config)
        ledger = Path(args.ledger)
        if ledger.exists():
            from shared.ledger.check import check_file

            report = check_file(ledger)
            if report.damaged:
                # One PC: this file is the hall's only ledger; never run on a damaged one.
                raise StationSetupError(f"{report.first()}; restore it from a backup "
                                        f"(docs/install-id.md, section 9)")
        # Officers' PINs live in the same store the hub uses (`antrean hub --ledger L officer
        # add ...`), so one PC checks PINs exactly as a hall with a hub does.
        auth = AuthStore(ledger.with_name("hub-auth.db"))
        local = LocalLedger(ledger, cfg,
                            pin_check=lambda officer, pin: auth.check_pin(
                                officer, pin, args.device) == "ok",
                            officer_names=auth.officer_name)
        return local.link(args.device, role), local
    if not args.hub and args.token:
        args.hub = _discover_hub()
    if args.hub:
        from shared.station.hub_link import HubLink, HubLinkError  # the LAN client

        try:
            link = HubLink.from_args(args)
        except HubLinkError as e:
            raise StationSetupError(str(e)) from None
        return link, link
    raise StationSetupError(NO_LINK)


def _discover_hub() -> str:
    """No address given: ask the LAN (mDNS). A static address always works too; this only
    saves typing one on every station."""
    from shared.hub.discovery import discover

    found = discover(timeout=3.0)
    if not found:
        raise StationSetupError("no hub found on the LAN (mDNS); give --hub ADDRESS "
                                "(or ANTREAN_HUB)")
    log.info("found the hub at %s on the LAN", found[0])
    return found[0]


def _hall_config(path: str | None) -> HallConfig:
    try:
        return load_config(path or example_config_path())
    except ConfigError as e:
        raise StationSetupError(str(e)) from None
