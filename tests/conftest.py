"""Shared fixtures. Qt runs offscreen here: the test machines have no screen."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# Qt Multimedia probes for PipeWire/VA-API/PulseAudio and logs when they are absent.
os.environ.setdefault("QT_LOGGING_RULES", "qt.multimedia*=false")

import pytest

from shared.clock import ManualClock
from shared.config import HallConfig, example_config_path, load_config
from shared.ledger.ledger import Ledger
from shared.ledger.model import Actor

DATA = Path(__file__).parent / "data"
WIB = dt.timezone(dt.timedelta(hours=7))
# A Monday in the service week, after opening.
MONDAY_0900 = dt.datetime(2026, 11, 30, 9, 0, tzinfo=WIB)

KIOSK = Actor("kiosk-1")


@pytest.fixture
def small_config() -> HallConfig:
    return load_config(DATA / "small_hall.toml")


@pytest.fixture
def example_config() -> HallConfig:
    return load_config(example_config_path())


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(MONDAY_0900)


@pytest.fixture
def ledger(tmp_path: Path, small_config: HallConfig, clock: ManualClock) -> Iterator[Ledger]:
    led = Ledger(tmp_path / "ledger.db", small_config, clock)
    yield led
    led.close()


def officer(counter: int, name: str | None = None) -> Actor:
    return Actor(f"counter-{counter}", name or f"officer-{counter}")


def open_counter(led: Ledger, counter: int) -> Actor:
    """Sign an officer in at a counter (which opens it) and return the officer's actor."""
    who = officer(counter)
    result = led.run("sign_in", who, counter=counter)
    assert result.ok, result.refusal
    return who
