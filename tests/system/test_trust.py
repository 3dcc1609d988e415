"""Trust between the hub and its stations, against a real hub process: what a revoked token
can still do on an open connection (nothing), where an unbound counter station may act (only
at the counter its officer signed in at), and how PIN guessing is throttled (persisted, per
station and per officer, unknown ids as slow as real ones)."""

from __future__ import annotations

import asyncio
import json

from shared.ledger.store import connect
from tests.system.conftest import HubProcess
from tests.system.raw_station import Raw


def ledger_events(hub: HubProcess, kind: str) -> list[tuple[str, str | None, str]]:
    """(device, officer, data) of each event of this kind, from the hub's ledger file."""
    conn = connect(hub.ledger, readonly=True)
    try:
        return [(r[0], r[1], r[2]) for r in conn.execute(
            "SELECT device, officer, data FROM events WHERE kind=? ORDER BY seq", (kind,))]
    finally:
        conn.close()


# --- item 9: an unbound counter station acts only at its officer's counter ---------------------


def test_an_unbound_counter_station_cannot_act_at_another_officers_counter(
        hub: HubProcess) -> None:
    hub.add_officer("siti", "246810")
    hub.add_officer("budi", "1357")
    loket_a, loket_b = hub.enroll("loket-a", "counter"), hub.enroll("loket-b", "counter")
    kiosk_token = hub.enroll("kiosk-1", "kiosk")
    hub.start()

    async def go() -> None:
        kiosk = await Raw.connect(hub, kiosk_token)
        for i in range(2):
            issued = await kiosk.command(f"i{i}", "issue_ticket", service="ktp-baru")
            assert issued is not None and issued["result"]["ok"], issued
        a, b = await Raw.connect(hub, loket_a), await Raw.connect(hub, loket_b)
        signed = await a.sign_in("s1", "siti", "246810", 1)
        assert signed is not None and signed["result"]["ok"], signed
        signed = await b.sign_in("s2", "budi", "1357", 2)
        assert signed is not None and signed["result"]["ok"], signed
        # Siti's station calls at budi's counter: refused, nothing written.
        for cid, kind in (("c1", "call_next"), ("c2", "pause_counter"), ("c3", "sign_out")):
            refused = await a.command(cid, kind, counter=2)
            assert refused is not None and not refused["result"]["ok"], refused
            refusal = refused["result"]["refusal"]
            assert refusal["code"] == "forbidden", refusal
            assert "counter 1, not 2" in refusal["message"]
            assert refusal["pesan"] == ("Petugas di perangkat ini masuk di loket lain. "
                                        "Masuk lagi di loket ini.")
        # At her own counter she calls; budi at his.
        mine = await a.command("c4", "call_next", counter=1)
        assert mine is not None and mine["result"]["ok"], mine
        his = await b.command("c5", "call_next", counter=2)
        assert his is not None and his["result"]["ok"], his
        for r in (kiosk, a, b):
            await r.close()

    asyncio.run(go())
    calls = [(device, officer, json.loads(data)["counter"])
             for device, officer, data in ledger_events(hub, "ticket.called")]
    assert calls == [("loket-a", "siti", 1), ("loket-b", "budi", 2)]
