"""Through a real hub on loopback: the kiosk's issue reply carries the ticket's secret, a retry
of the same command gets the same one, a display's replica learns it from the event, and the
hub writes it to no log line."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest

from shared.clock import ManualClock
from shared.config import HallConfig
from shared.ledger.model import Event
from shared.ledger.queries import LedgerReader
from shared.station.client import HubClient
from shared.station.replica import Replica
from tests.helpers.inproc_hub import ThreadedHub


def test_the_secret_reaches_the_kiosk_and_every_replica_but_no_log(
        tmp_path: Path, small_config: HallConfig, clock: ManualClock,
        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    hub = ThreadedHub(small_config, tmp_path / "hub", clock)
    kiosk_token = hub.auth.enroll("kiosk-1", "kiosk")
    board_token = hub.auth.enroll("papan-1", "display")
    replica = Replica(tmp_path / "board.db")

    async def go() -> tuple[dict, dict]:  # type: ignore[type-arg]
        issued = asyncio.Event()

        def seen(events: list[Event]) -> None:
            if any(e.kind == "ticket.issued" for e in events):
                issued.set()

        kiosk = HubClient(hub.url, kiosk_token)
        board = HubClient(hub.url, board_token, replica=replica, on_events=seen)
        await kiosk.start(timeout=20)
        await board.start(timeout=20)
        try:
            first = await kiosk.command("issue_ticket", {"service": "ktp-baru"},
                                        command_id="tap-1", timeout=20)
            again = await kiosk.command("issue_ticket", {"service": "ktp-baru"},
                                        command_id="tap-1", timeout=20)
            await asyncio.wait_for(issued.wait(), 20)
            return first.value, again.value
        finally:
            await kiosk.close()
            await board.close()

    try:
        first, again = asyncio.run(go())
    finally:
        hub.stop()
    try:
        secret = first["secret"]
        assert len(secret) == 20 and again["secret"] == secret
        ticket_id = first["ticket"]["ticket_id"]
        assert LedgerReader(replica.conn, small_config).ticket_secret(ticket_id) == secret
        assert "connected" in caplog.text  # the hub did log: the test sees its lines
        assert secret not in caplog.text
    finally:
        replica.close()
