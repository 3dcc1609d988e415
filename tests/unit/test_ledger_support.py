"""Helpers the ledger tests share (no tests here): snapshots of a ledger's whole state, its events,
and hall configs derived from tests/data/small_hall.toml."""

from __future__ import annotations

import datetime as dt
from typing import Any

from shared.config import HallConfig, loads_config
from shared.ledger import model as m
from shared.ledger.ledger import Ledger
from shared.ledger.projection import iter_events, ledger_hash, projection_dump
from tests.conftest import DATA, WIB

SMALL_HALL = (DATA / "small_hall.toml").read_text(encoding="utf-8")

HALL_HOURS = """[schedule.hours]
mon = "08:00-15:00"
tue = "08:00-15:00"
wed = "08:00-15:00"
thu = "08:00-15:00"
fri = "08:00-11:00"
"""

ALL_DAY_HOURS = "[schedule.hours]\n" + "".join(
    f'{day} = "00:00-23:59"\n' for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
)


def all_day_config() -> HallConfig:
    """The small hall, but every agency open every day 00:00-23:59 with no cutoff, so tickets can
    be issued on both sides of midnight."""
    text = SMALL_HALL.replace(HALL_HOURS, ALL_DAY_HOURS)
    text = text.replace("cutoff_minutes = 30", "cutoff_minutes = 0")
    text = text.replace('[agencies.hours]\nmon = "08:00-12:00"\nwed = "08:00-12:00"\n', "")
    assert text.count("00:00-23:59") == 7 and "cutoff_minutes = 0" in text
    assert "[agencies.hours]" not in text
    return loads_config(text, "all_day")


def wib(year: int, month: int, day: int, hour: int = 0, minute: int = 0,
        second: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, second, tzinfo=WIB)


def snapshot(led: Ledger) -> tuple[str, dict[str, list[tuple[object, ...]]]]:
    """Everything a command could change: the event log (as a hash) and the projection."""
    return ledger_hash(led.conn), projection_dump(led.conn)


def events(led: Ledger, kind: str | None = None) -> list[m.Event]:
    return [e for e in iter_events(led.conn) if kind is None or e.kind == kind]


def label(result: m.Result) -> str:
    assert result.ok, result.refusal
    ticket: dict[str, Any] | None = result.value["ticket"]
    assert ticket is not None
    return str(ticket["label"])


def called_label(result: m.Result) -> str | None:
    """The label a call_next called, or None when the line was empty."""
    assert result.ok, result.refusal
    ticket = result.value["ticket"]
    return None if ticket is None else str(ticket["label"])
