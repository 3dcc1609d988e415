"""A hall for counter-app tests: a real ledger through a real StationLink, embedded (LocalLedger
in this process) or behind a real hub on 127.0.0.1 (HubLink, each station with its own replica).

Each counter's link is wrapped in `SwitchableLink`, which can cut the connection by hand
(offline) or go deaf (lost replies) without stopping the hall.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from counter_client.app import CounterWindow
from counter_client.core import CounterCore
from counter_client.switchable import SwitchableLink
from shared.clock import ManualClock
from shared.config import HallConfig
from shared.ledger import model as m
from shared.station.link import LocalLedger, StationLink

PIN = "246810"  # six digits, as docs/install-id.md advises: the PIN field takes them
TIMEOUT = 5000


@dataclass
class Hall:
    """A running hall of one link kind: a kiosk link to issue tickets, and counter windows."""

    qtbot: QtBot
    config: HallConfig
    clock: ManualClock
    new_link: Callable[[str], StationLink]
    kiosk: StationLink
    cores: list[CounterCore] = field(default_factory=list)

    def issue(self, service: str, n: int = 1, priority: str | None = None) -> list[str]:
        labels = []
        for _ in range(n):
            args = {"service": service} if priority is None else {
                "service": service, "priority": priority}
            with self.qtbot.waitSignal(self.kiosk.replied, timeout=TIMEOUT) as got:
                self.kiosk.send("issue_ticket", args)
            result = got.args[0]
            assert result.ok, result.refusal
            labels.append(result.value["ticket"]["label"])
        return labels

    def counter(self, number: int | None = 1, *, panel: bool = False, guard_s: float = 0.0,
                reply_timeout_ms: int = 3000, device: str | None = None,
                keys: dict[str, tuple[str, ...]] | None = None,
                monotonic: Callable[[], float] | None = None,
                idle_s: float | None = None,
                ) -> tuple[CounterCore, CounterWindow, SwitchableLink]:
        link = SwitchableLink(self.new_link(device or f"counter-{number}"))
        core = CounterCore(link, number, tick_ms=50, repeat_guard_s=guard_s,
                           reply_timeout_ms=reply_timeout_ms,
                           **({"monotonic": monotonic} if monotonic else {}),
                           **({"idle_sign_out_s": idle_s} if idle_s is not None else {}))
        window = CounterWindow(core, panel=panel, keys=keys)
        self.qtbot.addWidget(window)
        window.resize(360 if panel else 1366, 768)
        window.show()
        self.qtbot.waitExposed(window)
        self.cores.append(core)
        return core, window, link

    def signed_in(self, number: int = 1, officer: str | None = None, **kw: object
                  ) -> tuple[CounterCore, CounterWindow, SwitchableLink]:
        core, window, link = self.counter(number, **kw)  # type: ignore[arg-type]
        window.officer_edit.setText(officer or f"petugas-{number}")
        window.pin_edit.setText(PIN)
        self.qtbot.mouseClick(window.sign_in_button, Qt.MouseButton.LeftButton)
        idle(self.qtbot, core)
        assert core.state.signed_in, window.message_label.text()
        return core, window, link


OFFICERS = ("siti", "budi", "petugas-1", "petugas-2", "petugas-3")
# The names officers were added with on the hub (the rest: their ID, capitalised).
OFFICER_NAMES = {"siti": "Siti Rahmawati", "budi": "Budi Santoso"}


@contextmanager
def open_hall(kind: str, qtbot: QtBot, tmp_path: Path, config: HallConfig,
              clock: ManualClock) -> Iterator[Hall]:
    """The same hall either in this process (kind "embedded": LocalLedger/EmbeddedLink) or
    behind a real hub on 127.0.0.1 (kind "hub": HubLink over a WebSocket, each station with
    its own replica). The hub shares the test's ManualClock, so the counter's timers and the
    ledger agree."""
    if kind == "embedded":
        local = LocalLedger(tmp_path / "hall.db", config, clock,
                            pin_check=lambda who, pin: pin == PIN,
                            officer_names=lambda who: OFFICER_NAMES.get(who, who.title()))
        h = Hall(qtbot, config, clock, local.link, local.link("kiosk-1"))
        try:
            yield h
        finally:
            for core in h.cores:
                core.stop()
            local.close()
        return

    from shared.station.hub_link import HubLink
    from shared.station.replica import Replica
    from tests.helpers.inproc_hub import ThreadedHub

    hub = ThreadedHub(config, tmp_path, clock)
    for officer in OFFICERS:
        hub.auth.add_officer(officer, OFFICER_NAMES.get(officer, officer.title()), PIN)
    links: list[HubLink] = []

    def new_link(device: str) -> StationLink:
        if device.startswith("kiosk"):
            role, counter = "kiosk", None
        else:  # "counter-3", "counter-3b", "counter-None"
            role = "counter"
            digits = "".join(ch for ch in device.removeprefix("counter-") if ch.isdigit())
            counter = int(digits) if digits else None
        token = hub.auth.enroll(device, role, counter)
        link = HubLink(config, hub.url, token, Replica(tmp_path / f"replica-{device}.db"),
                       device, clock)
        links.append(link)
        qtbot.waitUntil(link.is_online, timeout=TIMEOUT)
        return link

    h = Hall(qtbot, config, clock, new_link, new_link("kiosk-1"))
    try:
        yield h
    finally:
        for core in h.cores:
            core.stop()
        for link in links:
            link.close()
        hub.stop()
        # ThreadedHub.stop() leaves its asyncio loop (and the loop's self-pipe sockets) open.
        hub._loop.close()


def idle(qtbot: QtBot, core: CounterCore) -> None:
    qtbot.waitUntil(lambda: core.state.busy is None, timeout=TIMEOUT)


def click(qtbot: QtBot, window: CounterWindow, action: str) -> None:
    button = window.buttons[action]
    assert button.isEnabled(), f"{action} is disabled"
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def called_events(link: StationLink) -> list[m.Event]:
    return [e for e in link.reader.events_after(0) if e.kind == m.TICKET_CALLED]


def activate(qtbot: QtBot, window: CounterWindow) -> None:
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=TIMEOUT)



