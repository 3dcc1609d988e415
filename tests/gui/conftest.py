"""Fixtures of the GUI tests (their helpers live in tests/helpers/)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from shared.clock import ManualClock
from shared.config import HallConfig
from tests.helpers.kiosk_hall import Kiosk, close_kiosk, make_kiosk


@pytest.fixture
def kiosk(qtbot: QtBot, tmp_path: Path, small_config: HallConfig,
          clock: ManualClock) -> Iterator[Kiosk]:
    k = make_kiosk(qtbot, tmp_path, small_config, clock)
    yield k
    close_kiosk(k)
