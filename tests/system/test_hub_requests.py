"""The hub's own requests (shared/hub/admin.py, docs/protocol.md section 5.5) against a real
hub process: an admin station lists the stations (connected or not, seq, version, clock
offset) and the officers, enrols, renames and revokes stations, adds and disables officers,
and resolves another station's alert for a person; every other role is refused."""

from __future__ import annotations

import asyncio
import json
import time

import shared
from shared.clock import to_ms
from shared.station.client import HubClient
from tests.helpers.hub_process import ledger_fingerprint
from tests.system.conftest import HubProcess
from tests.system.raw_station import Raw
from tests.system.test_enrolment import redeem


def test_only_an_admin_station_may_ask_the_hub(hub: HubProcess) -> None:
    kiosk_token = hub.enroll("kiosk-1", "kiosk")
    counter_token = hub.enroll("loket-1", "counter", 1)
    display_token = hub.enroll("board-1", "display")
    hub.start()

    async def go() -> None:
        for token in (kiosk_token, counter_token, display_token):
            raw = await Raw.connect(hub, token)
            for i, kind in enumerate(("station_list", "station_enroll", "officer_list")):
                args = {"name": "x", "role": "admin"} if kind == "station_enroll" else {}
                reply = await raw.command(f"q{i}", kind, **args)
                assert reply is not None and reply["type"] == "result", raw.frames
                assert reply["result"]["refusal"]["code"] == "forbidden", reply
            await raw.close()

    asyncio.run(go())
    assert {s.name for s in hub.stations()} == {"kiosk-1", "loket-1", "board-1"}


def test_the_station_list_shows_who_is_connected_with_seq_version_and_clock(
        hub: HubProcess) -> None:
    admin_token = hub.enroll("console-1", "admin")
    kiosk_token = hub.enroll("kiosk-1", "kiosk")
    hub.enroll("board-1", "display")  # enrolled, never connected
    old_token = hub.enroll("old-kiosk", "kiosk")
    hub.start()

    async def go() -> None:
        kiosk = HubClient(hub.url, kiosk_token)  # an Antrean station: its hello has a clock
        await kiosk.start()
        for _ in range(3):
            assert (await kiosk.command("issue_ticket", {"service": "ktp-baru"})).ok
        old = await Raw.connect(hub, old_token)  # a hello without clock_ms nor version
        admin = HubClient(hub.url, admin_token)
        await admin.start()
        listed = await admin.command("station_list")
        assert listed.ok, listed.refusal
        rows = {r["name"]: r for r in listed.value["stations"]}
        assert set(rows) == {"console-1", "kiosk-1", "board-1", "old-kiosk"}
        k = rows["kiosk-1"]
        assert k["connected"] and k["role"] == "kiosk" and k["version"] == shared.__version__
        assert k["seq"] == 3  # the three events it was sent
        # The kiosk's clock is this machine's, the hub's a simulated one at 09:00 WIB.
        assert k["offset_ms"] is not None and abs(
            k["offset_ms"] - (to_ms(_now()) - listed.value["hub_time_ms"])) < 60_000
        assert rows["old-kiosk"]["connected"] and rows["old-kiosk"]["offset_ms"] is None
        assert rows["old-kiosk"]["version"] is None
        b = rows["board-1"]
        assert not b["connected"] and b["last_seen_ms"] is None and b["seq"] is None
        await kiosk.close()
        await old.close()

        async def offline() -> dict[str, object]:
            while True:  # until the hub has seen the kiosk go (its handler's finally)
                got = await admin.command("station_list")
                row = next(r for r in got.value["stations"] if r["name"] == "kiosk-1")
                if not row["connected"]:
                    return dict(row)
                await asyncio.sleep(0.05)  # polling the hub's view; bounded by wait_for

        gone = await asyncio.wait_for(offline(), 10)
        assert gone["last_seen_ms"] is not None and gone["seq"] == 3
        assert gone["version"] == shared.__version__
        await admin.close()

    asyncio.run(go())


def _now():  # type: ignore[no-untyped-def]
    import datetime as dt

    return dt.datetime.now(dt.UTC)


def test_enrol_rename_and_revoke_from_an_admin_station(hub: HubProcess) -> None:
    admin_token = hub.enroll("console-1", "admin")
    hub.start()

    async def go() -> None:
        admin = HubClient(hub.url, admin_token)
        await admin.start()
        made = await admin.command("station_enroll", {"name": "kiosk-2", "role": "kiosk"},
                                   command_id="enrol-1")
        assert made.ok, made.refusal
        token = made.value["token"]
        assert made.value["fingerprint"] is None  # this hub serves plain ws://
        # The same request again (its reply lost): the same token, not a second one.
        again = await admin.command("station_enroll", {"name": "kiosk-2", "role": "kiosk"},
                                    command_id="enrol-1")
        assert again.duplicate and again.value["token"] == token
        taken = await admin.command("station_enroll", {"name": "kiosk-2", "role": "kiosk"})
        assert not taken.ok and taken.refusal and taken.refusal.code == "exists"
        bad = await admin.command("station_enroll", {"name": "k", "role": "kiosk",
                                                     "counter": 1})
        assert not bad.ok and bad.refusal and bad.refusal.code == "bad_args"
        bad = await admin.command("station_enroll", {"name": "k", "role": "boss"})
        assert not bad.ok and bad.refusal and bad.refusal.code == "bad_args"

        kiosk = await Raw.connect(hub, token)
        assert kiosk.welcome["station"] == "kiosk-2"
        renamed = await admin.command("station_rename", {"name": "kiosk-2",
                                                         "new_name": "kiosk-lobi"})
        assert renamed.ok, renamed.refusal
        issued = await kiosk.command("i1", "issue_ticket", service="ktp-baru")
        assert issued is not None and issued["result"]["ok"]
        # Its events came before its result (docs/protocol.md section 7).
        devices = {e["device"] for f in kiosk.frames if f.get("type") == "events"
                   for e in f["events"]}
        assert devices == {"kiosk-lobi"}  # events carry the new name from now on

        before = ledger_fingerprint(hub)
        revoked = await admin.command("station_revoke", {"name": "kiosk-lobi"})
        assert revoked.ok, revoked.refusal
        notice = await kiosk.until(lambda f: f.get("type") == "error", timeout=5)
        assert notice is not None and notice["code"] == "token_revoked"
        assert await kiosk.next() is None and kiosk.ws.close_code == 4004
        await kiosk.close()
        missing = await admin.command("station_revoke", {"name": "kiosk-lobi"})
        assert not missing.ok and missing.refusal and missing.refusal.code == "unknown_station"
        assert ledger_fingerprint(hub) == before  # the hub's own requests write no events
        await admin.close()

    asyncio.run(go())


def test_officers_added_and_disabled_from_an_admin_station(hub: HubProcess) -> None:
    admin_token = hub.enroll("console-1", "admin")
    counter_token = hub.enroll("loket-1", "counter", 1)
    hub.start()

    async def go() -> None:
        admin = HubClient(hub.url, admin_token)
        await admin.start()
        weak = await admin.command("officer_add", {"officer": "rina", "name": "Rina",
                                                   "pin": "12"})
        assert not weak.ok and weak.refusal and weak.refusal.pesan.startswith("PIN")
        far = await admin.command("officer_add", {"officer": "rina", "name": "Rina",
                                                  "pin": "246810", "agency": "NOPE"})
        assert not far.ok and far.refusal and far.refusal.code == "bad_args"
        added = await admin.command("officer_add", {"officer": "rina", "name": "Rina Wati",
                                                    "pin": "246810", "agency": "DUKCAPIL"})
        assert added.ok, added.refusal
        counter = await Raw.connect(hub, counter_token)
        signed = await counter.sign_in("s1", "rina", "246810", 1)
        assert signed is not None and signed["result"]["ok"], signed
        assert signed["result"]["value"]["officer_name"] == "Rina Wati"
        listed = await admin.command("officer_list")
        rina = next(o for o in listed.value["officers"] if o["officer"] == "rina")
        assert rina == {"officer": "rina", "name": "Rina Wati", "agency": "DUKCAPIL",
                        "disabled": False, "signed_in": [{"station": "loket-1", "counter": 1}]}
        edited = await admin.command("officer_edit", {"officer": "rina",
                                                      "name": "Rina Wati S.", "agency": None})
        assert edited.ok
        off = await admin.command("officer_disable", {"officer": "rina"})
        assert off.ok
        out = await counter.until(lambda f: f.get("type") == "events" and any(
            e["kind"] == "officer.signed_out" for e in f["events"]), timeout=5)
        assert out is not None
        listed = await admin.command("officer_list")
        rina = next(o for o in listed.value["officers"] if o["officer"] == "rina")
        assert rina["disabled"] and rina["signed_in"] == [] and rina["agency"] is None
        assert (await admin.command("officer_enable", {"officer": "rina"})).ok
        assert (await admin.command("officer_reset_pin", {"officer": "rina",
                                                          "pin": "135790"})).ok
        old_pin = await counter.sign_in("s2", "rina", "246810", 1)
        assert old_pin is not None and old_pin["result"]["refusal"]["code"] == "bad_pin"
        new_pin = await counter.sign_in("s3", "rina", "135790", 1)
        assert new_pin is not None and new_pin["result"]["ok"]
        extra = await admin.command("officer_list", {"all": True})
        assert not extra.ok and extra.refusal and extra.refusal.code == "bad_args"
        await counter.close()
        await admin.close()

    asyncio.run(go())


def test_an_admin_station_resolves_another_stations_alert_for_a_person(hub: HubProcess
                                                                       ) -> None:
    admin_token = hub.enroll("console-1", "admin")
    kiosk_token = hub.enroll("kiosk-1", "kiosk")
    hub.start()

    async def go() -> None:
        kiosk = await Raw.connect(hub, kiosk_token)
        opened = await kiosk.command("a1", "alert", kind="printer", message="Kertas habis")
        assert opened is not None and opened["result"]["ok"]
        # A kiosk cannot resolve by key (another station's problem).
        sneaky = await kiosk.command("a2", "alert", kind="printer", message="ok",
                                     state="resolved", key="kiosk-1:printer")
        assert sneaky is not None and sneaky["result"]["refusal"]["code"] == "forbidden"
        admin = await Raw.connect(hub, admin_token)
        wrong = await admin.command("r0", "alert", kind="disk", message="x", state="resolved",
                                    key="kiosk-1:printer", by="Siti")
        assert wrong is not None and wrong["result"]["refusal"]["code"] == "bad_args"
        done = await admin.command("r1", "alert", kind="printer", message="Kertas diisi",
                                   state="resolved", key="kiosk-1:printer", by="Siti Aminah")
        assert done is not None and done["result"]["ok"], done
        events = [e for f in admin.frames if f.get("type") == "events" for e in f["events"]]
        last = events[-1]
        assert last["kind"] == "station.alert" and last["device"] == "console-1"
        assert last["data"] == {"kind": "printer", "message": "Kertas diisi",
                                "state": "resolved", "key": "kiosk-1:printer",
                                "by": "Siti Aminah"}
        await kiosk.close()
        await admin.close()

    asyncio.run(go())
    health = json.loads(json.dumps(hub.health()))
    assert health["ok"]


def test_an_admin_station_makes_a_browsers_one_time_code(hub: HubProcess) -> None:
    admin_token = hub.enroll("console-1", "admin")
    web_token = hub.enroll("web-1", "web")
    hub.enroll("kiosk-1", "kiosk")
    hub.start()

    async def go() -> str:
        admin = HubClient(hub.url, admin_token)
        await admin.start()
        made = await admin.command("station_code", {"name": "loket-2-web", "counter": 2},
                                   command_id="code-1")
        assert made.ok, made.refusal
        code = made.value["code"]
        assert made.value["name"] == "loket-2-web" and made.value["counter"] == 2
        assert made.value["expires_ms"] > time.time() * 1000  # codes live in real time
        # Sent again (its reply lost): the same code, not a second one that voids the first.
        again = await admin.command("station_code", {"name": "loket-2-web", "counter": 2},
                                    command_id="code-1")
        assert again.duplicate and again.value["code"] == code
        for args, why in (({"name": "x", "counter": 99}, "bad_args"),
                          ({"name": "kiosk-1", "counter": 2}, "exists"),
                          ({"name": "x", "counter": "2"}, "bad_args"),
                          ({"name": "x"}, "bad_args")):
            bad = await admin.command("station_code", args)
            assert not bad.ok and bad.refusal and bad.refusal.code == why, (args, bad)
        await admin.close()
        return code

    code = asyncio.run(go())
    status, body = redeem(hub, web_token, code)
    assert status == 200 and body["station"] == "loket-2-web" and body["counter"] == 2
    assert redeem(hub, web_token, code)[0] == 400  # once

