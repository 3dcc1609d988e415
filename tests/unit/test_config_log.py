"""The hall config as ledger history (shared/ledger/config_log.py): config.changed events, the
config in force at an instant, scheduled changes taking effect at the hall's midnight, refusals
that change nothing, and reports that use the rules in force on each day."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from shared.clock import ManualClock
from shared.config import loads_config
from shared.ledger import config_log
from shared.ledger import model as m
from shared.ledger.check import check_file
from shared.ledger.ledger import Ledger
from shared.ledger.model import Actor
from shared.reports.figures import Period, compute
from tests.helpers.ledger import KIOSK, MONDAY_0900, SMALL_HALL, WIB, open_counter

ADMIN = Actor("admin-pc", "it-officer")
QUOTA_5 = "daily_quota = 5\n"


def with_quota(n: int) -> str:
    assert QUOTA_5 in SMALL_HALL
    return SMALL_HALL.replace(QUOTA_5, f"daily_quota = {n}\n")


def ledger(tmp_path: Path, clock: ManualClock, text: str = SMALL_HALL) -> Ledger:
    """A ledger run under `text` (as the hub's --config file), with no change yet."""
    return Ledger(tmp_path / "ledger.db", loads_config(text, "small_hall.toml"), clock)


def test_the_digest_is_of_what_the_toml_says_not_its_layout() -> None:
    same = "# a comment IT added\n" + SMALL_HALL.replace('name = "KTP-el"', 'name   =  "KTP-el"')
    assert config_log.canonical_digest(same) == config_log.canonical_digest(SMALL_HALL)
    assert config_log.canonical_digest(with_quota(7)) != config_log.canonical_digest(SMALL_HALL)


def test_a_change_is_an_event_with_who_when_digest_and_content(tmp_path: Path) -> None:
    clock = ManualClock(MONDAY_0900)
    led = ledger(tmp_path, clock)
    clock.advance(minutes=5)
    result = led.run("change_config", ADMIN, content=with_quota(7))
    assert result.ok, result.refusal
    # The first change records the file the ledger ran under as version 1, in force since
    # the start, so the days before keep their rules.
    first, e = result.events
    assert first.data["version"] == 1 and first.data["effective_ms"] == 0
    assert first.data["content"] == SMALL_HALL and first.data["source"] == "small_hall.toml"
    assert e.kind == m.CONFIG_CHANGED and (e.device, e.officer) == ("admin-pc", "it-officer")
    assert e.data["version"] == 2 and e.data["effective"] == "now"
    assert e.data["effective_ms"] == e.at_ms
    assert e.data["content"] == with_quota(7)
    assert e.data["digest"] == config_log.canonical_digest(with_quota(7))
    assert led.config.services["ktp-baru"].daily_quota == 7
    # Replay = projection, and the ledger's promises hold, with config events in the log.
    assert led.verify()
    led.close()
    report = check_file(tmp_path / "ledger.db")
    assert report.ok, report.problems
    # Read back from the file, as a replica or a restarted hub does.
    conn = Ledger(tmp_path / "ledger.db", loads_config(SMALL_HALL), clock)
    assert [v.version for v in conn.config_versions] == [1, 2]
    assert conn.config.services["ktp-baru"].daily_quota == 7
    conn.close()


def test_the_config_in_force_is_the_latest_change_effective_by_then() -> None:
    def version(n: int, effective: dt.datetime, seq: int) -> config_log.ConfigVersion:
        text = with_quota(n)
        return config_log.ConfigVersion(n, config_log.canonical_digest(text), text, 0,
                                        int(effective.timestamp() * 1000), "x", "hub", None, seq)

    monday = dt.datetime(2026, 12, 7, tzinfo=WIB)
    versions = [version(1, MONDAY_0900, 1), version(3, monday, 2),
                version(2, MONDAY_0900 + dt.timedelta(hours=1), 3)]
    assert config_log.config_in_force(versions, MONDAY_0900 - dt.timedelta(seconds=1)) is None

    def quota(at: dt.datetime) -> int | None:
        cfg = config_log.config_in_force(versions, at)
        assert cfg is not None
        return cfg.services["ktp-baru"].daily_quota

    assert quota(MONDAY_0900) == 1
    assert quota(MONDAY_0900 + dt.timedelta(hours=2)) == 2
    assert quota(monday - dt.timedelta(milliseconds=1)) == 2
    assert quota(monday) == 3
    assert [v.version for v in config_log.scheduled(versions, MONDAY_0900)] == [3, 2]


def test_a_quota_from_next_monday_takes_effect_when_the_clock_passes_midnight(
        tmp_path: Path) -> None:
    clock = ManualClock(dt.datetime(2026, 12, 4, 9, 0, tzinfo=WIB))  # Friday
    led = ledger(tmp_path, clock, with_quota(1))
    result = led.run("change_config", ADMIN, content=with_quota(2), effective="2026-12-07")
    assert result.ok, result.refusal
    assert result.events[-1].data["effective_ms"] == int(
        dt.datetime(2026, 12, 7, tzinfo=WIB).timestamp() * 1000)
    assert led.issue_ticket("ktp-baru", KIOSK).ok
    assert led.issue_ticket("ktp-baru", KIOSK).refusal.code == "quota_full"  # type: ignore[union-attr]
    clock.set(dt.datetime(2026, 12, 6, 23, 59, tzinfo=WIB))  # Sunday night: still the old rules
    assert led.config.services["ktp-baru"].daily_quota == 1
    clock.set(dt.datetime(2026, 12, 7, 9, 0, tzinfo=WIB))  # Monday
    assert led.issue_ticket("ktp-baru", KIOSK).ok
    assert led.issue_ticket("ktp-baru", KIOSK).ok
    third = led.issue_ticket("ktp-baru", KIOSK)
    assert not third.ok and third.refusal is not None and third.refusal.code == "quota_full"
    led.close()


def test_bad_changes_are_refused_and_write_nothing(tmp_path: Path) -> None:
    clock = ManualClock(MONDAY_0900)
    led = ledger(tmp_path, clock)
    before = led.conn.execute("SELECT count(*) FROM events").fetchone()[0]
    cases = {
        "bad_config": dict(content=SMALL_HALL.replace("daily_quota", "daily_qouta")),
        "bad_args": dict(content=with_quota(3), effective="2026-11-01"),
        "unchanged": dict(content="# only a comment\n" + SMALL_HALL),
    }
    for code, args in cases.items():
        result = led.run("change_config", ADMIN, **args)
        assert not result.ok and result.refusal is not None
        assert result.refusal.code == code, result.refusal
    bad = led.run("change_config", ADMIN, content=cases["bad_config"]["content"])
    assert bad.refusal is not None and 'did you mean "daily_quota"' in bad.refusal.message
    assert led.conn.execute("SELECT count(*) FROM events").fetchone()[0] == before


def test_removing_a_service_with_people_waiting_needs_confirming(tmp_path: Path) -> None:
    clock = ManualClock(MONDAY_0900)
    led = ledger(tmp_path, clock)
    for _ in range(3):
        assert led.issue_ticket("pajak-kendaraan", KIOSK).ok
    without = SMALL_HALL.split("[[services]]\ncode = \"pajak-kendaraan\"")[0] + \
        SMALL_HALL.split('standard_minutes = 7\n')[1]
    assert "pajak-kendaraan" not in without
    refused = led.run("change_config", ADMIN, content=without)
    assert refused.refusal is not None and refused.refusal.code == "strands_tickets"
    assert refused.refusal.detail["waiting"] == 3 and "3 tickets" in refused.refusal.message
    assert "pajak-kendaraan" in led.config.services
    forced = led.run("change_config", ADMIN, content=without, force=True)
    assert forced.ok, forced.refusal
    assert "pajak-kendaraan" not in led.config.services


def test_a_report_for_last_month_uses_last_months_standard_times(tmp_path: Path) -> None:
    clock = ManualClock(MONDAY_0900)  # Monday 30 November
    led = ledger(tmp_path, clock)
    who = open_counter(led, 3)
    assert led.issue_ticket("bpjs-daftar", KIOSK).ok
    clock.advance(minutes=1)
    assert led.call_next(3, who).ok
    clock.advance(minutes=10)  # served in 10 minutes: within November's 12
    assert led.run("finish", who, counter=3).ok
    clock.set(dt.datetime(2026, 12, 1, 9, 0, tzinfo=WIB))
    stricter = SMALL_HALL.replace("standard_minutes = 12", "standard_minutes = 5")
    assert led.run("change_config", ADMIN, content=stricter).ok
    november = Period(dt.date(2026, 11, 1), dt.date(2026, 11, 30))
    report = compute(led.conn, led.config, november, by="service")
    (row,) = report.rows
    assert led.config.services["bpjs-daftar"].standard_minutes == 5
    assert row.standard_min == 12.0 and row.within_standard == 1.0
    led.close()
