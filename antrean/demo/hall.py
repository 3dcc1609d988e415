"""The whole hall in one process: the embedded hub and, each with its own `HubLink`, a kiosk,
two counters and a board, built from the apps' own cores and windows.

The composition root is the one place that puts the apps together; it imports them like any
other module, inside `build_hall`: `antrean demo` picks its Qt platform and logging rules after
importing this package and before the apps load Qt Multimedia.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from antrean.demo.hub import EmbeddedHub
from antrean.demo.plan import BOARD, KIOSK, DemoOfficer, DemoPlan
from shared.clock import Clock
from shared.config import HallConfig
from shared.ledger.lock import hold_for_tool
from shared.ledger.store import LedgerError
from shared.station.hub_link import HubLink
from shared.station.replica import Replica

if TYPE_CHECKING:
    from PySide6.QtWidgets import QWidget

    from counter_client.app import CounterWindow
    from counter_client.core import CounterCore
    from display.app import BoardApp
    from display.voice.announcer import Announcer
    from display.voice.synthesizer import Synthesizer
    from kiosk.app import KioskWindow
    from kiosk.core import KioskCore
    from kiosk.print_worker import PrintWorker
    from kiosk.printing import DummyPrinter

KIOSK_SIZE = (1080, 1920)  # a portrait kiosk screen
COUNTER_SIZE = (1366, 768)  # the counter PC's laptop screen
BOARD_SIZE = (1920, 1080)  # the hall TV
DEMO_MARKER = "ANTREAN-DEMO.txt"


class DemoError(Exception):
    """The demo cannot go on; the message is one line of English for the console."""


@dataclass
class CounterStation:
    officer: DemoOfficer
    token: str
    link: HubLink
    core: CounterCore
    window: CounterWindow


@dataclass
class Hall:
    """Every station of the demo, wired to the hub. `close()` takes it all down."""

    config: HallConfig
    clock: Clock
    plan: DemoPlan
    hub: EmbeddedHub
    tokens: dict[str, str]
    kiosk_link: HubLink
    kiosk: KioskCore
    kiosk_window: KioskWindow
    printer: DummyPrinter
    print_worker: PrintWorker
    counters: list[CounterStation]
    board_link: HubLink
    board: BoardApp
    announcer: Announcer | None = None  # the headless one (the board's own voice closes with it)
    synthesizer: Synthesizer | None = None

    @property
    def links(self) -> list[HubLink]:
        return [self.kiosk_link, *(c.link for c in self.counters), self.board_link]

    def windows(self) -> list[QWidget]:
        return [self.kiosk_window, *(c.window for c in self.counters), self.board.window]

    def close(self) -> None:
        """Windows, then apps, then links, then the hub: each part stops before what it uses."""
        for station in self.counters:
            station.core.stop()
            station.window.close()
        self.kiosk_window.close()
        self.print_worker.shutdown()
        if self.announcer is not None:
            self.announcer.shutdown()
        self.board.close()  # closes its window, core and (when it made one) its own voice
        if self.synthesizer is not None:
            self.synthesizer.close()
        for link in self.links:
            link.close()
        self.hub.stop()


def prepare_data_dir(data: Path) -> None:
    """Make the demo's data folder, emptied of the last demo run's ledger, tokens, officers,
    replicas and board state (the voice cache stays: it only saves rendering time). Every run
    is a fresh service day; the folder keeps the last one for a look afterwards. A folder
    holding a ledger the demo did not make is refused: pointing --data at a real hall's
    folder must never touch it."""
    data.mkdir(parents=True, exist_ok=True)
    marker = data / DEMO_MARKER
    if (data / "ledger.db").exists() and not marker.exists():
        raise DemoError(f"{data} holds a ledger the demo did not make; give the demo its own "
                        f"folder with --data")
    # A demo still running on this folder holds its ledger: never delete from under it.
    try:
        held = hold_for_tool(data / "ledger.db", "antrean demo (clearing its folder)")
    except LedgerError as e:
        raise DemoError(str(e)) from None
    with held:
        for pattern in ("ledger.db*", "hub-auth.db*", "replica-*.db*", "*-announced.db*"):
            for path in data.glob(pattern):
                if path != held.path:  # the lock file stays: another process may wait on it
                    path.unlink()
    marker.write_text("Made by `antrean demo`: a demonstration hall, not a real one. "
                      "Safe to delete.\n", encoding="utf-8")


def enroll(hub: EmbeddedHub, plan: DemoPlan) -> dict[str, str]:
    """Station name -> token, and the demo officers with their PINs."""
    tokens = {KIOSK: hub.auth.enroll(KIOSK, "kiosk")}
    for o in plan.officers:
        tokens[o.station] = hub.auth.enroll(o.station, "counter", o.counter)
        hub.auth.add_officer(o.officer, o.name, o.pin)
    tokens[BOARD] = hub.auth.enroll(BOARD, "display")
    return tokens


def _link(hub: EmbeddedHub, config: HallConfig, clock: Clock, data: Path, tokens: dict[str, str],
          name: str) -> HubLink:
    # The config is the hub's own (same file, same process), so it is not fetched over HTTP;
    # everything else goes over the WebSocket like a station on another PC.
    return HubLink(config, hub.url, tokens[name], Replica(data / f"replica-{name}.db"), name,
                   clock)


def build_hall(config: HallConfig, plan: DemoPlan, clock: Clock, hub: EmbeddedHub, data: Path,
               *, scripted: bool, announcer: Announcer | None = None,
               synthesizer: Synthesizer | None = None) -> Hall:
    """Enroll the stations and build them. `scripted`: the headless session drives them, so
    nothing times out on its own and a second call right after a call is not an impatient
    repeat. `announcer`: the board's voice; None lets the board make the hall voice."""
    from counter_client.app import CounterWindow
    from counter_client.core import CounterCore
    from display.app import BoardApp, BoardOptions
    from kiosk.app import KioskWindow
    from kiosk.core import KioskCore, KioskSettings
    from kiosk.print_worker import PrintWorker
    from kiosk.printing import DummyPrinter

    tokens = enroll(hub, plan)
    kiosk_link = _link(hub, config, clock, data, tokens, KIOSK)
    # No thermal printer on a demo PC: the DummyPrinter keeps the ESC/POS bytes in memory.
    printer = DummyPrinter("80mm")
    worker = PrintWorker(printer)
    long = 3_600_000 if scripted else None
    # The scripted visitors tap as fast as a program does, one tap per screen and never a double
    # tap: the kiosk's settling time after each screen (settle_ms) would only slow them down.
    settings = KioskSettings(paper="80mm") if long is None else \
        KioskSettings(paper="80mm", idle_timeout_ms=long, ticket_timeout_ms=long,
                      failed_ticket_timeout_ms=long, settle_ms=0)
    kiosk = KioskCore(kiosk_link, worker, clock, config, settings)
    kiosk_window = KioskWindow(kiosk, kiosk_mode=False)
    kiosk_window.resize(*KIOSK_SIZE)

    counters = []
    for officer in plan.officers:
        link = _link(hub, config, clock, data, tokens, officer.station)
        core = CounterCore(link, officer.counter, repeat_guard_s=0.0 if scripted else 1.0)
        window = CounterWindow(core)
        window.resize(*COUNTER_SIZE)
        counters.append(CounterStation(officer, tokens[officer.station], link, core, window))

    board_link = _link(hub, config, clock, data, tokens, BOARD)
    options = BoardOptions(
        size=BOARD_SIZE, voice=True, state_path=data / f"{BOARD}-announced.db",
        voice_cache=data / "voice-cache")
    board = BoardApp(board_link, config, options, announcer=announcer, clock=clock)
    board.start()
    return Hall(config, clock, plan, hub, tokens, kiosk_link, kiosk, kiosk_window, printer,
                worker, counters, board_link, board, announcer, synthesizer)
