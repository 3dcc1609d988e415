"""Station alerts in the ledger: a problem is opened by its station and stays open until that
station resolves it; every ledger and replica answers `open_alerts` the same way."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from shared.clock import ManualClock
from shared.config import HallConfig
from shared.ledger import model as m
from shared.ledger.ledger import Ledger
from shared.ledger.model import Actor, Command, Event
from shared.ledger.projection import apply_event, insert_event, last_seq
from shared.ledger.queries import LedgerReader
from shared.ledger.store import connect, immediate

KIOSK_1, KIOSK_2 = Actor("kiosk-1"), Actor("kiosk-2")
MONDAY = dt.date(2026, 11, 30)


def alert(led: Ledger, who: Actor, message: str, state: str | None = None,
          kind: str = "printer") -> m.Result:
    args = {"kind": kind, "message": message} | ({"state": state} if state else {})
    return led.execute(Command("alert", args, who))


def open_keys(reader: LedgerReader, day: dt.date | None = None) -> list[str]:
    return [a.key for a in reader.open_alerts(day)]


def test_an_alert_is_open_until_its_station_resolves_it(ledger: Ledger,
                                                         clock: ManualClock) -> None:
    assert alert(ledger, KIOSK_1, "Kiosk kiosk-1: kertas printer hampir habis.").ok
    clock.advance(minutes=20)
    assert alert(ledger, KIOSK_1, "Kiosk kiosk-1: kertas printer habis.").ok
    assert alert(ledger, KIOSK_2, "Kiosk kiosk-2: tiket A-003 gagal dicetak (jam).").ok

    shown = ledger.reader.open_alerts()
    assert [(a.key, a.device, a.kind) for a in shown] == [
        ("kiosk-1:printer", "kiosk-1", "printer"), ("kiosk-2:printer", "kiosk-2", "printer")]
    # One line per problem: the station's latest words, since the first time it was raised.
    assert shown[0].message == "Kiosk kiosk-1: kertas printer habis."
    assert shown[0].at_ms - shown[0].since_ms == 20 * 60 * 1000

    done = alert(ledger, KIOSK_1, "Kiosk kiosk-1: printer normal kembali.", m.ALERT_RESOLVED)
    assert done.ok and len(done.events) == 1
    assert done.events[0].data == {"kind": "printer", "state": "resolved",
                                   "key": "kiosk-1:printer",
                                   "message": "Kiosk kiosk-1: printer normal kembali."}
    assert open_keys(ledger.reader) == ["kiosk-2:printer"]

    # Raised again later: a new problem, with its own start.
    clock.advance(minutes=5)
    alert(ledger, KIOSK_1, "Kiosk kiosk-1: kertas printer habis.")
    again = ledger.reader.open_alerts()[-1]
    assert again.key == "kiosk-1:printer" and again.since_ms == again.at_ms


def test_resolving_what_is_not_open_writes_nothing(ledger: Ledger) -> None:
    before = last_seq(ledger.conn)
    result = alert(ledger, KIOSK_1, "Kiosk kiosk-1: printer normal kembali.", m.ALERT_RESOLVED)
    assert result.ok and result.events == () and last_seq(ledger.conn) == before


def test_a_station_cannot_resolve_another_stations_problem(ledger: Ledger) -> None:
    alert(ledger, KIOSK_1, "Kiosk kiosk-1: kertas printer habis.")
    # The key comes from the sender, not from anything it writes.
    result = alert(ledger, KIOSK_2, "kiosk-1:printer", m.ALERT_RESOLVED)
    assert result.ok and result.events == ()
    assert open_keys(ledger.reader) == ["kiosk-1:printer"]


@pytest.mark.parametrize("args", [
    {"kind": "printer", "message": "x", "state": "closed"},
    {"kind": "printer", "message": "x", "state": 1},
    {"kind": "", "message": "x"},
    {"kind": "p" * 41, "message": "x"},
    {"kind": "printer", "message": "x", "key": "kiosk-2:printer"},
])
def test_a_bad_alert_is_refused_and_writes_nothing(ledger: Ledger, args: dict[str, object]
                                                   ) -> None:
    before = last_seq(ledger.conn)
    result = ledger.execute(Command("alert", dict(args), KIOSK_1))
    assert not result.ok and result.refusal is not None and result.refusal.code == "bad_args"
    assert last_seq(ledger.conn) == before


def test_alerts_of_an_older_ledger_stay_readable_and_resolvable(
        tmp_path: Path, small_config: HallConfig, clock: ManualClock) -> None:
    # Written the way Antrean wrote alerts before they had a state: {kind, message} only.
    path = tmp_path / "old.db"
    conn = connect(path)
    with immediate(conn):
        old = Event(1, "old-1", m.STATION_ALERT, None, "kiosk-1", None, 1796004000000,
                    {"kind": "printer", "message": "Kiosk kiosk-1: printer paper_out"})
        insert_event(conn, old)
        apply_event(conn, old)
    conn.close()

    led = Ledger(path, small_config, clock)
    try:
        [a] = led.reader.open_alerts()
        assert (a.key, a.message, a.since_ms) == (
            "kiosk-1:printer", "Kiosk kiosk-1: printer paper_out", 1796004000000)
        assert led.verify()  # the old event is still part of a sound ledger
        alert(led, KIOSK_1, "Kiosk kiosk-1: printer normal kembali.", m.ALERT_RESOLVED)
        assert led.reader.open_alerts() == []
        assert led.rebuild() > 0 and led.reader.open_alerts() == []
    finally:
        led.close()


def test_only_todays_alerts_with_a_day(ledger: Ledger, clock: ManualClock) -> None:
    alert(ledger, KIOSK_1, "Kiosk kiosk-1: tiket A-001 gagal dicetak (jam).")
    assert open_keys(ledger.reader, MONDAY) == ["kiosk-1:printer"]
    tuesday = MONDAY + dt.timedelta(days=1)
    # Yesterday's unresolved problem is not today's news; the station says so again if needed.
    assert open_keys(ledger.reader, tuesday) == []
    assert open_keys(ledger.reader) == ["kiosk-1:printer"]
    clock.advance(days=1)
    alert(ledger, KIOSK_1, "Kiosk kiosk-1: kertas printer habis.")
    assert open_keys(ledger.reader, tuesday) == ["kiosk-1:printer"]


def test_a_replica_answers_like_the_hubs_ledger(ledger: Ledger, tmp_path: Path,
                                                small_config: HallConfig) -> None:
    from shared.station.replica import Replica

    alert(ledger, KIOSK_1, "Kiosk kiosk-1: kertas printer habis.")
    alert(ledger, KIOSK_2, "Kiosk kiosk-2: kertas printer habis.")
    alert(ledger, KIOSK_1, "Kiosk kiosk-1: printer normal kembali.", m.ALERT_RESOLVED)
    replica = Replica(tmp_path / "replica.db")
    try:
        replica.apply(ledger.reader.events_after(0))
        copy = LedgerReader(replica.conn, small_config)
        assert copy.open_alerts() == ledger.reader.open_alerts()
        assert open_keys(copy) == ["kiosk-2:printer"]
    finally:
        replica.close()
