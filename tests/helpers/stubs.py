"""Test doubles, each for a part that is not there in a test (a LAN that can be slowed or
unplugged, a speaker) and honest about what it cannot show. Everything else in the tests is
the real thing."""

from __future__ import annotations

from typing import Any

from shared.ledger.model import Command, Result
from shared.ledger.queries import LedgerReader
from shared.station.link import EmbeddedLink, StationLink


class RecordingAnnouncer:
    """Test double for the voice: records announce(key, text) calls; plays nothing. It proves
    what the board hands to the voice, not that a speaker makes a sound."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []

    def announce(self, key: str, text: str) -> None:
        self.calls.append((key, text))


class HeldRepliesLink(StationLink):
    """Test double for a slow LAN to the hub: commands reach the real in-process ledger at once,
    but its replies are held back until the test releases them. It cannot model a command that
    is lost on the way (the ledger always executes it)."""

    def __init__(self, inner: EmbeddedLink) -> None:
        super().__init__(inner.config, inner.device, inner.clock)
        self.inner = inner
        self.sent: list[Command] = []
        self.held: list[Result] = []
        inner.replied.connect(self.held.append)
        inner.events_applied.connect(self.events_applied)
        self._set_online(True)

    @property
    def reader(self) -> LedgerReader:
        return self.inner.reader

    def _submit(self, cmd: Command) -> None:
        self.sent.append(cmd)
        self.inner._submit(cmd)

    def release(self) -> None:
        held, self.held[:] = list(self.held), []
        for result in held:
            self.replied.emit(result)


class UnpluggableLink(StationLink):
    """Test double for the LAN between a board and the hub, around an EmbeddedLink: while
    unplugged it reports offline and holds the events back; plugging in reports online and
    delivers them, as a replica catching up would. Its reader is the ledger's own (a real
    replica would lag behind while offline; the board does not read while offline)."""

    def __init__(self, inner: EmbeddedLink) -> None:
        super().__init__(inner.config, inner.device, inner.clock)
        self.inner = inner
        self._held: list[Any] = []
        self._plugged = True
        inner.events_applied.connect(self._forward)
        self._set_online(True)

    @property
    def reader(self) -> Any:
        return self.inner.reader

    def _forward(self, events: list[Any]) -> None:
        if self._plugged:
            self.events_applied.emit(events)
        else:
            self._held.extend(events)

    def unplug(self) -> None:
        self._plugged = False
        self._set_online(False)

    def plug(self) -> None:
        self._plugged = True
        self._set_online(True)
        held, self._held = self._held, []
        if held:
            self.events_applied.emit(held)
