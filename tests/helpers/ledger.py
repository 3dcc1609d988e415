"""A hall's ledger for tests: the test halls (tests/data), the Monday the tests happen on, the
kiosk and officers who act in them, and snapshots of a ledger's whole state and its events."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from shared.config import HallConfig, loads_config
from shared.ledger import model as m
from shared.ledger.ledger import Ledger
from shared.ledger.model import Actor
from shared.ledger.projection import iter_events, ledger_hash, projection_dump

DATA = Path(__file__).resolve().parents[1] / "data"
WIB = dt.timezone(dt.timedelta(hours=7))
# A Monday in the service week, after opening.
MONDAY_0900 = dt.datetime(2026, 11, 30, 9, 0, tzinfo=WIB)

KIOSK = Actor("kiosk-1")


def officer(counter: int, name: str | None = None) -> Actor:
    return Actor(f"counter-{counter}", name or f"officer-{counter}")


def open_counter(led: Ledger, counter: int) -> Actor:
    """Sign an officer in at a counter (which opens it) and return the officer's actor."""
    who = officer(counter)
    result = led.run("sign_in", who, counter=counter)
    assert result.ok, result.refusal
    return who


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
