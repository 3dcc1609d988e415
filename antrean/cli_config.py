"""`antrean config check FILE`: validate a hall config and summarise it."""

from __future__ import annotations

import argparse
import sys

from shared.config import ConfigError, example_config_path, load_config
from shared.ticket_url import LEGACY_PREFIX


def add_arguments(p: argparse.ArgumentParser) -> None:
    sub = p.add_subparsers(dest="action", required=True)
    check = sub.add_parser("check", help="validate a config file")
    check.add_argument("file", nargs="?", help="config file (default: the example hall)")


def run(args: argparse.Namespace) -> int:
    path = args.file or str(example_config_path())
    try:
        cfg = load_config(path)
    except ConfigError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
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
