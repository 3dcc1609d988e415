"""A hall for board tests: a real ledger (LocalLedger on a tmp_path file) with a kiosk link and
a staff link, and helpers to run commands and wait for their replies."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pytestqt.qtbot import QtBot

from shared.clock import ManualClock
from shared.config import HallConfig
from shared.ledger.model import Result
from shared.station.link import EmbeddedLink, LocalLedger


class Hall:
    """A ledger with a kiosk and a staff link, and helpers to run commands and wait."""

    def __init__(self, qtbot: QtBot, path: Path, config: HallConfig, clock: ManualClock) -> None:
        self.qtbot = qtbot
        self.config = config
        self.clock = clock
        self.local = LocalLedger(path, config, clock)
        self.kiosk = self.local.link("kiosk-1")
        self.staff = self.local.link("counter-staff")  # an admin: it acts for every counter
        self._replies: dict[str, Result] = {}
        for link in (self.kiosk, self.staff):
            link.replied.connect(lambda r: self._replies.__setitem__(r.command_id, r))

    def send(self, link: EmbeddedLink, kind: str, **args: Any) -> str:
        return link.send(kind, args)

    def wait(self, *ids: str) -> list[Result]:
        self.qtbot.waitUntil(lambda: all(i in self._replies for i in ids), timeout=5000)
        results = [self._replies[i] for i in ids]
        assert all(r.ok for r in results), [r.refusal for r in results]
        return results

    def run(self, link: EmbeddedLink, kind: str, **args: Any) -> Result:
        return self.wait(self.send(link, kind, **args))[0]

    def open(self, *counters: int) -> None:
        # One officer per counter (an officer signs in at one counter at a time); the staff
        # link then acts for all of them.
        self.wait(*(self.staff.sign_in(f"petugas-{n}", "", n) for n in counters))

    def issue(self, service: str, n: int = 1) -> None:
        self.wait(*(self.send(self.kiosk, "issue_ticket", service=service) for _ in range(n)))

    def call(self, counter: int) -> str:
        result = self.run(self.staff, "call_next", counter=counter)
        return str(result.value["ticket"]["label"])
