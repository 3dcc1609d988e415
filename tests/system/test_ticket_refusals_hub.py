"""A real hub process records a new ticket refused for the hall's reason (quota full) once,
however often the kiosk retries it, sends it to every station as an event, and writes nothing
for a malformed request; the ledger it leaves passes the one check (chain, replay)."""

from __future__ import annotations

import asyncio
import uuid

from shared.ledger.check import check_file
from shared.ledger.model import TICKET_REFUSED
from tests.system.conftest import HubProcess
from tests.system.raw_station import Raw


def test_a_refused_ticket_is_recorded_once_and_reaches_the_stations(hub: HubProcess) -> None:
    kiosk, board = hub.enroll("kiosk-1", "kiosk"), hub.enroll("papan-1", "display")
    hub.start()

    async def scenario() -> None:
        raw, watcher = await Raw.connect(hub, kiosk), await Raw.connect(hub, board)
        try:
            for _ in range(5):  # ktp-baru's daily quota
                reply = await raw.command(uuid.uuid4().hex, "issue_ticket", service="ktp-baru")
                assert reply is not None and reply["result"]["ok"], reply
            cid = uuid.uuid4().hex
            first = await raw.command(cid, "issue_ticket", service="ktp-baru")
            assert first is not None
            result = first["result"]
            assert (result["ok"], result["refusal"]["code"]) == (False, "quota_full")
            again = await raw.command(cid, "issue_ticket", service="ktp-baru")
            assert again is not None
            assert again["result"]["duplicate"] is True
            assert again["result"]["refusal"] == result["refusal"]
            bad = await raw.command(uuid.uuid4().hex, "issue_ticket", service=3)
            assert bad is not None and bad["result"]["refusal"]["code"] == "bad_args"
            seen = await watcher.until(lambda f: f.get("type") == "events" and any(
                e["kind"] == TICKET_REFUSED for e in f["events"]))
            assert seen is not None
            (event,) = [e for e in seen["events"] if e["kind"] == TICKET_REFUSED]
            assert (event["seq"], event["device"], event["ticket_id"]) == (6, "kiosk-1", None)
            assert (event["data"]["service"], event["data"]["reason"]) == ("ktp-baru",
                                                                          "quota_full")
        finally:
            await raw.close()
            await watcher.close()

    asyncio.run(scenario())
    # Five tickets and one refusal: the retry and the malformed request wrote nothing.
    assert hub.health()["last_seq"] == 6
    hub.stop()
    report = check_file(hub.ledger)
    assert report.ok and report.events == 6, report.lines
