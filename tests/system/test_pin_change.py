"""A reset PIN is a temporary one: the officer who signs in with it may only choose their own
(`change_pin`) or sign out, against a real hub process. A wrong old PIN is throttled as at
sign-in; a bad new PIN changes nothing; no PIN reaches the hub's log."""

from __future__ import annotations

import asyncio

from shared.hub.auth import PIN_FAILURES_BEFORE_LOCK, AuthStore
from tests.system.conftest import HubProcess
from tests.system.raw_station import Raw
from tests.system.test_hub_admin import enroll, hub_cli


def _refusal(frame: dict | None) -> str:  # type: ignore[type-arg]
    assert frame is not None
    return str(frame["result"]["refusal"]["code"]) if not frame["result"]["ok"] else "ok"


def test_a_reset_pin_must_be_changed_before_calling(hub: HubProcess) -> None:
    hub.add_officer("siti", "2468")
    hub.start()
    counter, kiosk_token = enroll(hub, "loket-1", "counter"), enroll(hub, "kiosk-1", "kiosk")
    done = hub_cli(hub, "officer", "reset-pin", "siti", "--pin", "424242")
    assert done.returncode == 0, done.stderr
    assert "choose their own at the next sign-in" in done.stdout

    async def go() -> None:
        kiosk = await Raw.connect(hub, kiosk_token)
        await kiosk.command("i1", "issue_ticket", service="ktp-baru")
        loket = await Raw.connect(hub, counter)
        signed = await loket.sign_in("s1", "siti", "424242", 1)
        assert signed is not None and signed["result"]["ok"], signed
        assert signed["result"]["value"]["pin_change_required"] is True
        called = await loket.command("c1", "call_next", counter=1)
        assert _refusal(called) == "pin_change_required"
        assert called is not None and "PIN" in called["result"]["refusal"]["pesan"]

        # The new PIN too short: refused before the old one is even checked; nothing changed.
        short = await loket.command("p1", "change_pin", old_pin="424242", new_pin="12")
        assert _refusal(short) == "bad_args"
        same = await loket.command("p2", "change_pin", old_pin="424242", new_pin="424242")
        assert _refusal(same) == "bad_args"
        assert _refusal(await loket.command("c2", "call_next", counter=1)) \
            == "pin_change_required"

        # A reconnect does not get round it: the seat resumes, and so does the change asked.
        await loket.close()
        loket = await Raw.connect(hub, counter)
        assert _refusal(await loket.command("c3", "call_next", counter=1)) \
            == "pin_change_required"

        changed = await loket.command("p3", "change_pin", old_pin="424242", new_pin="135790")
        assert _refusal(changed) == "ok", changed
        # Sent again after a lost reply (the same id): the first result, not a wrong old PIN.
        again_sent = await loket.command("p3", "change_pin", old_pin="424242", new_pin="135790")
        assert again_sent is not None and again_sent["result"]["ok"]
        assert again_sent["result"].get("duplicate") is True
        called = await loket.command("c4", "call_next", counter=1)
        assert _refusal(called) == "ok", called
        assert called is not None and called["result"]["value"]["ticket"]["label"] == "KTP-001"

        assert _refusal(await loket.command("f1", "finish", counter=1)) == "ok"
        assert _refusal(await loket.command("o1", "sign_out", counter=1)) == "ok"
        # The chosen PIN signs in with no change asked; the temporary one no longer does.
        other = await Raw.connect(hub, enroll(hub, "loket-2", "counter"))
        assert _refusal(await other.sign_in("s2", "siti", "424242", 2)) == "bad_pin"
        again = await other.sign_in("s3", "siti", "135790", 2)
        assert _refusal(again) == "ok"
        assert again is not None and "pin_change_required" not in again["result"]["value"]
        for station in (loket, other, kiosk):
            await station.close()

    asyncio.run(go())
    log = hub.log_path.read_text()
    assert "siti changed their PIN" in log
    for pin in ("424242", "135790"):
        assert pin not in log


def test_a_wrong_old_pin_is_throttled_and_changes_nothing(hub: HubProcess) -> None:
    hub.add_officer("siti", "2468")
    hub.start()
    counter = enroll(hub, "loket-1", "counter")
    assert hub_cli(hub, "officer", "reset-pin", "siti", "--pin", "424242").returncode == 0

    async def go() -> None:
        loket = await Raw.connect(hub, counter)
        assert _refusal(await loket.sign_in("s1", "siti", "424242", 1)) == "ok"
        for n in range(PIN_FAILURES_BEFORE_LOCK):
            wrong = await loket.command(f"p{n}", "change_pin", old_pin="000000",
                                        new_pin="135790")
            assert _refusal(wrong) == "bad_pin"
        # Locked now, even with the right old PIN: the same throttle as the sign-in's.
        locked = await loket.command("px", "change_pin", old_pin="424242", new_pin="135790")
        assert _refusal(locked) == "pin_locked"
        await loket.close()

    asyncio.run(go())
    store = AuthStore(hub.ledger.with_name("hub-auth.db"))
    try:
        assert store.pin_change_required("siti")
        assert store.check_pin("siti", "135790", "elsewhere") == "bad"
        assert store.check_pin("siti", "424242", "elsewhere") == "ok"
    finally:
        store.close()


def test_no_change_required_and_the_old_store_migrated(hub: HubProcess) -> None:
    hub.add_officer("siti", "2468")
    store = AuthStore(hub.ledger.with_name("hub-auth.db"))
    try:
        assert not store.pin_change_required("siti")  # added by IT with their own PIN
    finally:
        store.close()
    hub.start()
    counter = enroll(hub, "loket-1", "counter")
    done = hub_cli(hub, "officer", "reset-pin", "siti", "--pin", "424242",
                   "--no-change-required")
    assert done.returncode == 0 and "choose their own" not in done.stdout

    async def go() -> None:
        loket = await Raw.connect(hub, counter)
        signed = await loket.sign_in("s1", "siti", "424242", 1)
        assert signed is not None and "pin_change_required" not in signed["result"]["value"]
        assert _refusal(await loket.command("c1", "call_next", counter=1)) == "ok"
        await loket.close()

    asyncio.run(go())
