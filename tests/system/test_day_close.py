"""Closing the service day: tickets still waiting when their day ended expire (one
`ticket.expired` event each, written by the hub), at start-up for days that ended while the
hub was down and at the hall's midnight while it runs; counted in `ledger figures`; applied by
replicas; never twice."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import aiohttp
import pytest

from shared.clock import ManualClock
from shared.config import load_config
from shared.ledger.model import Event
from shared.ledger.projection import projection_dump
from shared.ledger.store import connect
from shared.station.replica import Replica
from tests.helpers.inproc_hub import ThreadedHub
from tests.helpers.xserver import wait_for
from tests.system.conftest import DATA, HubProcess
from tests.system.raw_station import Raw

ROOT = Path(__file__).resolve().parents[2]


def statuses(ledger: Path) -> dict[str, str]:
    conn = connect(ledger, readonly=True)
    try:
        return {r[0]: r[1] for r in conn.execute("SELECT label, status FROM tickets")}
    finally:
        conn.close()


def expired_events(ledger: Path) -> list[tuple[str, str, dict[str, str]]]:
    conn = connect(ledger, readonly=True)
    try:
        return [(r[0], r[1], json.loads(r[2])) for r in conn.execute(
            "SELECT ticket_id, device, data FROM events WHERE kind='ticket.expired' "
            "ORDER BY seq")]
    finally:
        conn.close()


def test_a_hub_started_the_next_morning_expires_yesterdays_waiting_tickets(
        hub: HubProcess, tmp_path: Path) -> None:
    hub.add_officer("siti", "246810")
    kiosk_token, loket = hub.enroll("kiosk-1", "kiosk"), hub.enroll("loket-1", "counter", 1)
    board = hub.enroll("papan-1", "display")
    hub.start()

    async def monday() -> None:
        kiosk = await Raw.connect(hub, kiosk_token)
        for i, service in enumerate(("ktp-baru", "ktp-baru", "ktp-baru")):
            issued = await kiosk.command(f"i{i}", "issue_ticket", service=service)
            assert issued is not None and issued["result"]["ok"], issued
        counter = await Raw.connect(hub, loket)
        assert (await counter.sign_in("s1", "siti", "246810", 1) or {})["result"]["ok"]
        called = await counter.command("c1", "call_next", counter=1)
        assert called is not None and called["result"]["ok"]
        finished = await counter.command("c2", "finish", counter=1)
        assert finished is not None and finished["result"]["ok"]
        await kiosk.close()
        await counter.close()

    asyncio.run(monday())
    hub.stop()
    assert statuses(hub.ledger) == {"KTP-001": "finished", "KTP-002": "waiting",
                                    "KTP-003": "waiting"}
    # A replica as it was at closing time, before the hub closes the day.
    replica = Replica(tmp_path / "papan.db")

    async def fill(r: Replica) -> list[Event]:
        async with aiohttp.ClientSession() as s, s.get(
                f"{hub.http}/events?after={r.last_seq}",
                headers={"Authorization": f"Bearer {board}"}) as resp:
            return [Event.from_dict(e) for e in (await resp.json())["events"]]

    hub.clock = "2026-12-01T07:30:00+07:00"  # Tuesday morning
    hub.start()
    assert statuses(hub.ledger) == {"KTP-001": "finished", "KTP-002": "expired",
                                    "KTP-003": "expired"}
    expired = expired_events(hub.ledger)
    assert [(t, d) for t, d, _ in expired] == [("20261130-KTP-002", "hub"),
                                               ("20261130-KTP-003", "hub")]
    assert expired[0][2] == {"service_day": "2026-11-30", "reason": "day_closed"}
    assert hub.log_path is not None
    assert "closed service day 2026-11-30: 2 tickets still waiting expired" in (
        hub.log_path.read_text())

    # A replica applies the new kind and ends with the hub's projection.
    replica.apply(asyncio.run(fill(replica)))
    hub_conn = connect(hub.ledger, readonly=True)
    try:
        assert projection_dump(replica.conn) == projection_dump(hub_conn)
    finally:
        hub_conn.close()
        replica.close()

    # The day's figures count them.
    done = subprocess.run([sys.executable, "-m", "antrean", "ledger", "figures",
                           str(hub.ledger), "--config", str(hub.config), "--day",
                           "2026-11-30"], cwd=ROOT, capture_output=True, text=True,
                          timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    header = lines[1].split()
    total = next(line.split() for line in lines if line.startswith("total"))
    assert total[header.index("waiting")] == "0"
    assert total[header.index("expired")] == "2"

    # Restarted again: nothing more is written.
    before = len(expired_events(hub.ledger))
    hub.stop()
    hub.start()
    assert len(expired_events(hub.ledger)) == before


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(dt.datetime.fromisoformat("2026-11-30T09:00:00+07:00"))


def test_a_running_hub_closes_the_day_at_the_halls_midnight(tmp_path: Path,
                                                           clock: ManualClock) -> None:
    config = load_config(DATA / "small_hall.toml")
    h = ThreadedHub(config, tmp_path, clock, day_poll_seconds=0.02)
    try:
        token = h.auth.enroll("kiosk-1", "kiosk")

        async def issue() -> None:
            async with aiohttp.ClientSession() as s:
                ws = await s.ws_connect(h.url)
                await ws.send_str(json.dumps({"type": "hello", "token": token, "after": 0}))
                assert json.loads((await ws.receive(timeout=10)).data)["type"] == "welcome"
                await ws.send_str(json.dumps({"type": "command", "id": "i1",
                                              "kind": "issue_ticket",
                                              "args": {"service": "ktp-baru"}}))
                while True:
                    frame = json.loads((await ws.receive(timeout=10)).data)
                    if frame.get("id") == "i1":
                        assert frame["result"]["ok"], frame
                        break
                await ws.close()

        asyncio.run(issue())
        clock.set(dt.datetime.fromisoformat("2026-11-30T23:59:59+07:00"))
        assert statuses(h.hub.ledger_path) == {"KTP-001": "waiting"}
        clock.set(dt.datetime.fromisoformat("2026-12-01T00:00:01+07:00"))
        wait_for(lambda: statuses(h.hub.ledger_path) == {"KTP-001": "expired"}, 10,
                 "the hub closing the day at midnight")
    finally:
        h.stop()
