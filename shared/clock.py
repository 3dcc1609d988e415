"""Time sources. All ledger times are aware datetimes; the hall's zone only matters for display
and for deciding which service day a moment belongs to."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from typing import Protocol


class Clock(Protocol):
    def now(self) -> dt.datetime:
        """The current moment, timezone-aware."""
        ...


class SystemClock:
    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC)


class ManualClock:
    """A clock that only moves when told to: for tests and compressed-time simulations."""

    def __init__(self, start: dt.datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("ManualClock needs a timezone-aware start")
        self._now = start
        self._lock = threading.Lock()

    def now(self) -> dt.datetime:
        with self._lock:
            return self._now

    def set(self, moment: dt.datetime) -> None:
        with self._lock:
            self._now = moment

    def advance(self, **delta: float) -> dt.datetime:
        with self._lock:
            self._now += dt.timedelta(**delta)
            return self._now


class OffsetClock:
    """Another clock's time shifted by `offset_ms()` (read at every call): a station's view
    of the hub's clock, its own plus the difference it measured at the welcome."""

    def __init__(self, base: Clock, offset_ms: Callable[[], int]) -> None:
        self.base = base
        self.offset_ms = offset_ms

    def now(self) -> dt.datetime:
        return self.base.now() + dt.timedelta(milliseconds=self.offset_ms())


def to_ms(moment: dt.datetime) -> int:
    return int(moment.timestamp() * 1000)


def from_ms(ms: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(ms / 1000, dt.UTC)


class SimulatedClock:
    """Starts at a chosen moment and runs `speed` times faster than real time: for tests
    against a hub process and for `antrean simulate`'s compressed service day."""

    def __init__(self, start: dt.datetime, speed: float = 1.0) -> None:
        if start.tzinfo is None:
            raise ValueError("SimulatedClock needs a timezone-aware start")
        import time

        self._time = time
        self._start = start
        self._t0 = time.monotonic()
        self.speed = speed

    def now(self) -> dt.datetime:
        elapsed = self._time.monotonic() - self._t0
        return self._start + dt.timedelta(seconds=elapsed * self.speed)


def parse_simulated_clock(spec: str) -> SimulatedClock:
    """'2026-11-30T09:00+07:00' or '2026-11-30T09:00+07:00,60' (start, speed)."""
    start_text, _, speed_text = spec.partition(",")
    try:
        start = dt.datetime.fromisoformat(start_text.strip())
        speed = float(speed_text) if speed_text else 1.0
    except ValueError:
        raise ValueError(f"bad clock {spec!r}: use ISO-TIME[,SPEED]") from None
    if start.tzinfo is None or speed <= 0:
        raise ValueError(f"bad clock {spec!r}: the time needs a UTC offset, speed must be > 0")
    return SimulatedClock(start, speed)
