"""The Qt StationLink against a real hub process on 127.0.0.1."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from pytestqt.qtbot import QtBot

from shared.config import load_config
from shared.station.hub_link import HubLink
from shared.station.replica import Replica
from tests.system.conftest import HubProcess


def make_link(hub: HubProcess, name: str, role: str, counter: int | None = None) -> HubLink:
    token = hub.enroll(name, role, counter)
    return HubLink(load_config(hub.config), hub.url, token,
                   Replica(hub.workdir / f"replica-{name}.db"), name)


def test_stations_share_the_ledger_and_catch_up_after_a_hub_restart(
    qtbot: QtBot, hub: HubProcess
) -> None:
    hub.add_officer("siti", "2468")
    kiosk_token = hub.enroll("kiosk-1", "kiosk")
    hub.start()
    kiosk = HubLink(load_config(hub.config), hub.url, kiosk_token,
                    Replica(hub.workdir / "replica-kiosk.db"), "kiosk-1")
    counter = make_link(hub, "loket-1", "counter", 1)
    try:
        qtbot.waitUntil(lambda: kiosk.is_online() and counter.is_online(), timeout=10000)

        with qtbot.waitSignal(kiosk.replied, timeout=10000) as got:
            kiosk.send("issue_ticket", {"service": "ktp-baru"})
        assert got.args[0].value["ticket"]["label"] == "KTP-001"

        with qtbot.waitSignal(counter.replied, timeout=10000) as got:
            counter.sign_in("siti", "0000", 1)
        assert got.args[0].refusal.code == "bad_pin"
        with qtbot.waitSignal(counter.replied, timeout=10000) as got:
            counter.sign_in("siti", "2468", 1)
        assert got.args[0].ok and counter.officer == "siti"

        # A kiosk may not call tickets: the hub refuses by role.
        with qtbot.waitSignal(kiosk.replied, timeout=10000) as got:
            kiosk.send("call_next", {"counter": 1})
        assert got.args[0].refusal.code == "forbidden"

        with qtbot.waitSignal(counter.replied, timeout=10000) as got:
            counter.send("call_next", {"counter": 1})
        assert got.args[0].value["ticket"]["label"] == "KTP-001"
        qtbot.waitUntil(lambda: kiosk.reader.last_seq() == counter.reader.last_seq() == 3)

        # The hub dies; both stations see it and refuse to promise anything meanwhile.
        hub.kill()
        qtbot.waitUntil(lambda: not kiosk.is_online() and not counter.is_online(),
                        timeout=10000)
        with qtbot.waitSignal(kiosk.replied, timeout=5000) as got:
            kiosk.send("issue_ticket", {"service": "ktp-baru"})
        assert got.args[0].refusal.code == "offline"

        hub.start()
        qtbot.waitUntil(lambda: kiosk.is_online() and counter.is_online(), timeout=15000)
        with qtbot.waitSignal(kiosk.replied, timeout=10000) as got:
            kiosk.send("issue_ticket", {"service": "ktp-baru"})
        assert got.args[0].value["ticket"]["label"] == "KTP-002"
        qtbot.waitUntil(lambda: counter.reader.last_seq() == 4, timeout=10000)
        assert counter.reader.waiting_count(["KTP"], dt.date(2026, 11, 30)) == 1
    finally:
        kiosk.close()
        counter.close()


def test_unknown_token_is_refused_for_good(qtbot: QtBot, hub: HubProcess, tmp_path: Path
                                          ) -> None:
    hub.start()
    link = HubLink(load_config(hub.config), hub.url, "not-a-real-token-at-all",
                   Replica(tmp_path / "r.db"), "intruder")
    try:
        qtbot.waitUntil(lambda: link.refused_reason is not None, timeout=10000)
        assert not link.is_online()
    finally:
        link.close()


def test_a_sign_in_sent_again_with_its_id_gets_the_first_result_and_signs_in_once(
    qtbot: QtBot, hub: HubProcess
) -> None:
    hub.add_officer("siti", "2468")
    hub.start()
    counter = make_link(hub, "loket-1", "counter", 1)
    admin = make_link(hub, "admin-1", "admin")
    try:
        qtbot.waitUntil(lambda: counter.is_online() and admin.is_online(), timeout=10000)
        with qtbot.waitSignal(counter.replied, timeout=10000) as got:
            cid = counter.sign_in("siti", "2468", 1)
        assert got.args[0].ok and not got.args[0].duplicate and counter.officer == "siti"
        with qtbot.waitSignal(counter.replied, timeout=10000) as got:
            counter.sign_in("siti", "2468", 1, command_id=cid)  # its reply was lost, say
        again = got.args[0]
        assert again.ok and again.duplicate and again.value["officer_name"] == "Siti"
        events = counter.reader.events_after(0)
        assert [(e.kind, e.command_id) for e in events] == [("officer.signed_in", cid)]

        # An admin signs siti out of counter 1: the counter's link and the hub both know at
        # once, and the counter's next command is refused for it, not tried on the ledger.
        with qtbot.waitSignal(admin.replied, timeout=10000) as got:
            admin.send("sign_out", {"counter": 1})
        assert got.args[0].ok
        qtbot.waitUntil(lambda: counter.officer is None, timeout=10000)
        with qtbot.waitSignal(counter.replied, timeout=10000) as got:
            counter.send("call_next", {"counter": 1})
        assert got.args[0].refusal.code == "not_signed_in"
        assert got.args[0].refusal.message == "sign in first"
    finally:
        counter.close()
        admin.close()
