"""A station-like process for the multi-process ledger tests (run with `python -m`).

It opens the ledger file itself (as a second hub or a tool would), prints `ready`, waits for a
start file to appear so every worker begins at the same moment, then runs its load and prints one
line per acknowledged command, flushed, only after `execute` has returned (the commit is durable):

    issue --count N --services a,b   issue N tickets, alternating services; prints each label
    call --counter N                 sign in, then call_next until the line is empty; prints each
                                     label it called

The clock is fixed (`--clock`, ISO with offset) so that hours checks pass whatever the real time.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from pathlib import Path

from shared.clock import ManualClock
from shared.config import load_config
from shared.ledger.ledger import Ledger
from shared.ledger.model import Actor


def wait_for(path: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        if time.monotonic() > deadline:
            raise SystemExit(f"start file {path} did not appear within {timeout} s")
        time.sleep(0.002)


def say(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--db", required=True, type=Path)
    p.add_argument("--config", required=True, type=Path)
    p.add_argument("--clock", required=True, type=dt.datetime.fromisoformat)
    p.add_argument("--go", type=Path, help="wait for this file before starting")
    p.add_argument("--device", default="worker")
    sub = p.add_subparsers(dest="action", required=True)
    issue = sub.add_parser("issue")
    issue.add_argument("--count", type=int, required=True)
    issue.add_argument("--services", required=True)
    call = sub.add_parser("call")
    call.add_argument("--counter", type=int, required=True)
    args = p.parse_args(argv)

    led = Ledger(args.db, load_config(args.config), ManualClock(args.clock))
    try:
        if args.action == "call":
            who = Actor(args.device, f"officer-{args.counter}")
            signed = led.run("sign_in", who, counter=args.counter)
            if not signed.ok:
                raise SystemExit(f"sign_in refused: {signed.refusal}")
        say("ready")
        if args.go is not None:
            wait_for(args.go, 60.0)
        if args.action == "issue":
            services = args.services.split(",")
            actor = Actor(args.device)
            for i in range(args.count):
                result = led.issue_ticket(services[i % len(services)], actor,
                                          command_id=f"{args.device}:{i}")
                if not result.ok:
                    raise SystemExit(f"issue refused: {result.refusal}")
                say(result.value["ticket"]["label"])
        else:
            while True:
                result = led.call_next(args.counter, who)
                if not result.ok:
                    raise SystemExit(f"call_next refused: {result.refusal}")
                ticket = result.value["ticket"]
                if ticket is None:
                    break
                say(ticket["label"])
        say("done")
    finally:
        led.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
