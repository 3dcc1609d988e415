"""A StationLink with a hand-operated cable.

`SwitchableLink` wraps a real link and can be unplugged and plugged back in: while unplugged it
reports offline, commands sent are lost on the wire, replies and events do not arrive (events
are delivered on reconnect, as a replica catching up would). It can also go deaf while
connected (a half-open connection): commands still go out, but replies are lost and events held.
The screenshot script uses it to show the offline screen, and the tests use it to exercise
offline handling and lost replies against a real ledger; it is not meant for a hall.
"""

from __future__ import annotations

import uuid
from typing import Any

from PySide6.QtCore import Slot

from shared.ledger.model import Event, Result
from shared.ledger.queries import LedgerReader
from shared.station.link import StationLink


class SwitchableLink(StationLink):
    def __init__(self, inner: StationLink) -> None:
        super().__init__(inner.config, inner.device, inner.clock)
        self.inner = inner
        self.connected = True
        self.hearing = True  # False: a half-open connection, nothing comes back
        self.sent: list[tuple[str, str]] = []  # (kind, command id) of what reached the wire
        self._held: list[Event] = []
        inner.replied.connect(self._on_replied)
        inner.events_applied.connect(self._on_events)
        inner.online_changed.connect(self._on_inner_online)
        self._set_online(inner.is_online())

    @property
    def reader(self) -> LedgerReader:
        return self.inner.reader

    @property
    def officer(self) -> str | None:
        return self.inner.officer

    def offline_reason(self) -> str | None:
        return self.inner.offline_reason()

    def send(self, kind: str, args: dict[str, Any] | None = None,
             command_id: str | None = None) -> str:
        cid = command_id or uuid.uuid4().hex
        if not self.connected:
            return cid
        self.sent.append((kind, cid))
        return self.inner.send(kind, args, command_id=cid)

    def sign_in(self, officer: str, pin: str, counter: int,
                command_id: str | None = None) -> str:
        cid = command_id or uuid.uuid4().hex
        if not self.connected:
            return cid
        self.sent.append(("sign_in", cid))
        return self.inner.sign_in(officer, pin, counter, command_id=cid)

    def unplug(self) -> None:
        self.connected = False
        self._set_online(False)

    def plug_in(self) -> None:
        self.connected = True
        self.hearing = True
        self._release()
        self._set_online(self.inner.is_online())

    def go_deaf(self) -> None:
        self.hearing = False

    def hear_again(self) -> None:
        self.hearing = True
        self._release()

    def _release(self) -> None:
        held, self._held = self._held, []
        if held and self.connected and self.hearing:
            self.events_applied.emit(held)

    @Slot(object)
    def _on_replied(self, result: Result) -> None:
        if self.connected and self.hearing:
            self.replied.emit(result)

    @Slot(list)
    def _on_events(self, events: list[Event]) -> None:
        if self.connected and self.hearing:
            self.events_applied.emit(events)
        else:
            self._held.extend(events)

    @Slot(bool)
    def _on_inner_online(self, online: bool) -> None:
        if self.connected:
            if online == self.is_online():
                self._reason_changed()  # the inner link says why it is (still) offline
            else:
                self._set_online(online)
