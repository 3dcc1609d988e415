"""The in-process StationLink: commands run on the writer thread, replies and events come back
on the GUI thread, and the reader sees what the events say."""

from __future__ import annotations

from pathlib import Path

from pytestqt.qtbot import QtBot

from shared.clock import ManualClock
from shared.config import HallConfig
from shared.station.link import LocalLedger


def test_issue_and_call_through_embedded_links(
    qtbot: QtBot, tmp_path: Path, small_config: HallConfig, clock: ManualClock
) -> None:
    local = LocalLedger(tmp_path / "hall.db", small_config, clock,
                        pin_check=lambda who, pin: pin == "1234")
    try:
        kiosk, counter = local.link("kiosk-1"), local.link("counter-1")
        seen: list[str] = []
        counter.events_applied.connect(lambda evs: seen.extend(e.kind for e in evs))

        with qtbot.waitSignal(kiosk.replied, timeout=5000) as got:
            kiosk.send("issue_ticket", {"service": "ktp-baru"})
        result = got.args[0]
        assert result.ok and result.value["ticket"]["label"] == "KTP-001"
        assert kiosk.reader.waiting_count(["KTP"], clock.now().date()) == 1

        with qtbot.waitSignal(counter.replied, timeout=5000) as got:
            counter.sign_in("siti", "0000", 1)
        assert not got.args[0].ok and got.args[0].refusal.code == "bad_pin"

        with qtbot.waitSignal(counter.replied, timeout=5000) as got:
            counter.sign_in("siti", "1234", 1)
        assert got.args[0].ok
        with qtbot.waitSignal(counter.replied, timeout=5000) as got:
            counter.send("call_next", {"counter": 1})
        assert got.args[0].value["ticket"]["label"] == "KTP-001"
        qtbot.waitUntil(lambda: "ticket.called" in seen)
        assert counter.reader.active_ticket(1).label == "KTP-001"
    finally:
        local.close()


def test_an_embedded_link_applies_its_roles_policy_as_the_hub_does(
    qtbot: QtBot, tmp_path: Path, small_config: HallConfig, clock: ManualClock
) -> None:
    local = LocalLedger(tmp_path / "hall.db", small_config, clock,
                        pin_check=lambda who, pin: pin == "1234")
    try:
        kiosk = local.link("kiosk-1", "kiosk")
        board = local.link("papan-1", "display")
        counter = local.link("loket-1", "counter", 1)
        with qtbot.waitSignal(kiosk.replied, timeout=5000) as got:
            kiosk.send("issue_ticket", {"service": "ktp-baru"})
        assert got.args[0].ok
        with qtbot.waitSignal(counter.replied, timeout=5000) as got:
            counter.sign_in("siti", "1234", 1)
        assert got.args[0].ok and counter.officer == "siti"
        before = board.reader.last_seq()

        # A board only reads: it may not call, even with a counter open and a ticket waiting.
        with qtbot.waitSignal(board.replied, timeout=5000) as got:
            board.send("call_next", {"counter": 1})
        refusal = got.args[0].refusal
        assert refusal.code == "forbidden"
        assert refusal.message == "a display station may not send call_next"
        assert refusal.pesan == "Perintah ini tidak diizinkan dari perangkat ini."
        with qtbot.waitSignal(kiosk.replied, timeout=5000) as got:
            kiosk.sign_in("siti", "1234", 1)
        assert got.args[0].refusal.code == "forbidden" and kiosk.officer is None
        with qtbot.waitSignal(counter.replied, timeout=5000) as got:
            counter.send("open_counter", {"counter": 2})  # bound to counter 1
        assert got.args[0].refusal.message == "this station is bound to counter 1"
        assert board.reader.last_seq() == before  # nothing reached the ledger

        # What its role allows goes through as before.
        with qtbot.waitSignal(board.replied, timeout=5000) as got:
            board.send("alert", {"kind": "speaker", "message": "Pengeras suara mati"})
        assert got.args[0].ok
        with qtbot.waitSignal(counter.replied, timeout=5000) as got:
            counter.send("call_next", {"counter": 1})
        assert got.args[0].value["ticket"]["label"] == "KTP-001"
    finally:
        local.close()


def test_an_unbound_counter_link_acts_only_at_its_officers_counter(
    qtbot: QtBot, tmp_path: Path, small_config: HallConfig, clock: ManualClock
) -> None:
    """One PC applies the same policy as the hub: a counter station enrolled without a
    counter, its officer signed in at counter 1, may not call at counter 2."""
    local = LocalLedger(tmp_path / "hall.db", small_config, clock,
                        pin_check=lambda who, pin: pin == "246810")
    try:
        kiosk, loket = local.link("kiosk-1", "kiosk"), local.link("loket-a", "counter")
        with qtbot.waitSignal(kiosk.replied, timeout=5000) as got:
            kiosk.send("issue_ticket", {"service": "ktp-baru"})
        assert got.args[0].ok
        with qtbot.waitSignal(loket.replied, timeout=5000) as got:
            loket.sign_in("siti", "246810", 1)
        assert got.args[0].ok
        before = loket.reader.last_seq()
        with qtbot.waitSignal(loket.replied, timeout=5000) as got:
            loket.send("call_next", {"counter": 2})
        refusal = got.args[0].refusal
        assert refusal is not None and refusal.code == "forbidden"
        assert refusal.message == "siti is signed in at counter 1, not 2"
        assert loket.reader.last_seq() == before
        with qtbot.waitSignal(loket.replied, timeout=5000) as got:
            loket.send("call_next", {"counter": 1})
        assert got.args[0].ok and got.args[0].value["ticket"]["label"] == "KTP-001"
    finally:
        local.close()


def test_one_pc_closes_yesterday_before_the_first_command_of_today(
    qtbot: QtBot, tmp_path: Path, small_config: HallConfig, clock: ManualClock
) -> None:
    """On one PC there is no hub process: the in-process writer closes the service day, as
    the hub does, before the first command of the next day."""
    local = LocalLedger(tmp_path / "hall.db", small_config, clock)
    try:
        kiosk = local.link("kiosk-1", "kiosk")
        seen: list[str] = []
        kiosk.events_applied.connect(lambda evs: seen.extend(e.kind for e in evs))
        with qtbot.waitSignal(kiosk.replied, timeout=5000) as got:
            kiosk.send("issue_ticket", {"service": "ktp-baru"})
        yesterday = got.args[0].value["ticket"]["ticket_id"]
        clock.advance(days=1)
        with qtbot.waitSignal(kiosk.replied, timeout=5000) as got:
            kiosk.send("issue_ticket", {"service": "ktp-baru"})
        assert got.args[0].ok and got.args[0].value["ticket"]["label"] == "KTP-001"
        qtbot.waitUntil(lambda: "ticket.expired" in seen, timeout=5000)
        old = kiosk.reader.ticket(yesterday)
        assert old is not None and old.status == "expired"
    finally:
        local.close()
