"""The hall voice for the board in a browser (`/papan?suara=1`): each call's announcement as the
WAV file the Qt board plays, rendered by the display's own command
(`python -m display.voice render`, chime then voice, with the hall config's [voice] settings)
in a child process, so the web station imports no app and no speech engine.

Only a call of today in the replica can be asked for (`/suara/{seq}.wav`, by the event's
sequence number): nobody can make the station speak words of their own. A call is rendered
once (one render at a time) and kept in the station's voice folder under its label, counter
and kind, which fix its words.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from pathlib import Path

from shared.ledger import model as m
from shared.ledger.queries import Call
from shared.station.call_audio import RENDER_TIMEOUT_S, render_call
from web.station import CONFIG_META_KEY, WebStation

log = logging.getLogger(__name__)

RECENT_CALLS = 50  # a board asks for the call it just showed, never an old one


class VoiceUnavailable(Exception):
    """The announcement could not be rendered (no speech engine on this PC...)."""


def own_counter_name(station: WebStation, number: int) -> str | None:
    """A counter's own name is spoken only when it says more than "Loket N" (as the board)."""
    counter = station.config.counters.get(number)
    return counter.name if counter and counter.name != f"Loket {number}" else None


class Voice:
    def __init__(self, station: WebStation, folder: Path) -> None:
        self.station = station
        self.folder = folder
        self._lock = asyncio.Lock()

    def call(self, seq: int) -> Call | None:
        calls = self.station.reader.recent_calls(limit=RECENT_CALLS, day=self.station.today())
        return next((c for c in calls if c.seq == seq), None)

    async def wav(self, call: Call) -> Path:
        recall = call.kind == m.TICKET_RECALLED
        path = self.folder / f"{call.label}-loket-{call.counter}{'-ulang' if recall else ''}.wav"
        async with self._lock:
            if not path.exists():
                await self._render(call, recall, path)
        return path

    async def _render(self, call: Call, recall: bool, path: Path) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        config = self.folder / "hall.toml"  # the hub's config, for its [voice] settings
        raw = self.station.replica.get_meta(CONFIG_META_KEY)
        if raw is not None:
            config.write_text(raw, encoding="utf-8")
        part = path.with_suffix(".part.wav")
        problem = await render_call(call.label, call.counter, part,
                                    config=config if raw is not None else None,
                                    cache=self.folder / "cache", recall=recall,
                                    counter_label=own_counter_name(self.station, call.counter),
                                    timeout=RENDER_TIMEOUT_S)
        if problem is not None:
            with contextlib.suppress(FileNotFoundError):
                part.unlink()
            log.warning("the announcement of %s could not be rendered: %s", call.label, problem)
            raise VoiceUnavailable(problem)
        os.replace(part, path)
