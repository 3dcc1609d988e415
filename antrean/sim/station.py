"""One simulated station process: a kiosk issuing tickets, a counter calling and finishing
them, or a display recording every call it receives. Each keeps a real replica.

Run as `python -m antrean.sim.station ROLE --hub URL --token T --replica FILE --out FILE ...`;
it writes a JSON summary to --out when done. Used by the system tests and `antrean simulate`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
from pathlib import Path
from typing import Any

from shared.ledger.model import CALL_KINDS, Event
from shared.ledger.projection import ledger_hash
from shared.station.client import HubClient
from shared.station.replica import Replica


async def kiosk(client: HubClient, args: argparse.Namespace) -> dict[str, Any]:
    rng = random.Random(args.seed)
    services = args.services.split(",")
    acknowledged: list[str] = []
    refused: list[str] = []
    keep_going = Path(args.until_flag) if args.until_flag else None
    # At least --tickets tickets; with --until-flag, more until that file appears (so a test
    # can keep the load running for as long as it is busy disturbing the hub).
    while len(acknowledged) + len(refused) < args.tickets or (
        keep_going is not None and not keep_going.exists()
    ):
        if args.pace:
            await asyncio.sleep(args.pace)  # a visitor every so often, not a tight loop
        result = await client.command("issue_ticket", {"service": rng.choice(services)},
                                      timeout=120)
        if result.ok:
            acknowledged.append(result.value["ticket"]["ticket_id"])
        else:
            assert result.refusal is not None
            refused.append(result.refusal.code)
    return {"acknowledged": acknowledged, "refused": refused}


async def counter(client: HubClient, args: argparse.Namespace) -> dict[str, Any]:
    signed = await client.sign_in(args.officer, args.pin, args.counter, timeout=120)
    if not signed.ok:
        return {"error": signed.refusal.message if signed.refusal else "sign-in failed"}
    called: list[str] = []
    done_flag = Path(args.done_flag)
    while True:
        result = await client.command("call_next", {"counter": args.counter}, timeout=120)
        if not result.ok:
            # Not an empty queue but a refusal: that is a failure of the hall, say so.
            assert result.refusal is not None
            return {"called": called, "error": result.refusal.message}
        ticket = result.value.get("ticket")
        if ticket is None:
            if done_flag.exists():
                # Kiosks have finished: one more look after the flag, then stop.
                again = await client.command("call_next", {"counter": args.counter},
                                             timeout=120)
                if not (again.ok and again.value.get("ticket")):
                    break
                called.append(again.value["ticket"]["ticket_id"])
                continue
            await asyncio.sleep(0.02)  # an idle officer looks again shortly
            continue
        called.append(ticket["ticket_id"])
    await client.command("finish", {"counter": args.counter}, timeout=120)
    return {"called": called}


async def main_async(args: argparse.Namespace) -> dict[str, Any]:
    replica = Replica(args.replica)
    calls: list[dict[str, Any]] = []

    def on_events(events: list[Event]) -> None:
        for e in events:
            if e.kind in CALL_KINDS:
                calls.append({"seq": e.seq, "kind": e.kind, "ticket": e.ticket_id})

    client = HubClient(args.hub, args.token, replica, on_events)
    await client.start(timeout=60)
    try:
        if args.role == "kiosk":
            summary = await kiosk(client, args)
        elif args.role == "counter":
            summary = await counter(client, args)
        else:
            summary = {}
        summary["calls"] = calls
        # Tell the orchestrator this station's work is done, then wait until the replica
        # holds everything the hub had at the end (the orchestrator writes that seq).
        Path(args.out + ".work").write_text("done")
        final = Path(args.final_flag)
        while not final.exists() or not final.read_text().strip():
            await asyncio.sleep(0.02)  # waiting for the orchestrator's word
        target = int(final.read_text())
        while client.last_seq < target:
            await asyncio.sleep(0.02)  # the replica is still catching up
    finally:
        await client.close()
    summary["last_seq"] = replica.last_seq
    summary["hash"] = ledger_hash(replica.conn)
    replica.close()
    return summary


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m antrean.sim.station")
    ap.add_argument("role", choices=("kiosk", "counter", "display"))
    ap.add_argument("--hub", required=True)
    ap.add_argument("--token", required=True)
    ap.add_argument("--replica", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--done-flag", default="", help="counters stop when this file exists")
    ap.add_argument("--final-flag", required=True,
                    help="file the orchestrator fills with the hub's final seq")
    ap.add_argument("--tickets", type=int, default=0)
    ap.add_argument("--until-flag", default="", help="kiosks keep issuing until this exists")
    ap.add_argument("--pace", type=float, default=0.0, help="seconds between a kiosk's tickets")
    ap.add_argument("--services", default="")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--counter", type=int, default=0)
    ap.add_argument("--officer", default="")
    ap.add_argument("--pin", default="")
    args = ap.parse_args(argv)
    summary = asyncio.run(main_async(args))
    Path(args.out).write_text(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
