"""Shared fixtures (the helpers they use live in tests/helpers/). Qt runs offscreen here: the
test machines have no screen."""

from __future__ import annotations

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
from tests.helpers.ledger import DATA, MONDAY_0900


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
