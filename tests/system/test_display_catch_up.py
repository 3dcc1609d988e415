"""A hall board cut off from the hub catches up when it comes back: it shows every call it
missed, and announces, exactly once, only those still within the freshness window.

Real parts: a hub process on 127.0.0.1 (simulated clock), Qt HubLinks for the board, the kiosk
and the counter, the real BoardCore. Test doubles, named as such:
- `LanCable`: the network cable between the board PC and the hub — a TCP relay on loopback that
  can be unplugged (its connections dropped, new ones refused) and plugged in again, so the
  board is offline while the hub and the other stations keep working.
- `HubTimeClock`: the board PC's clock kept in step with the hub's (as NTP would on a LAN),
  since the hub runs on a simulated clock.
- `RecordingAnnouncer`: records announce(key, text); plays nothing.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from display.core import AnnouncedStore, BoardCore
from shared.config import HallConfig, load_config
from shared.ledger.model import Result
from shared.station.hub_link import HubLink
from shared.station.replica import Replica
from tests.helpers.stubs import RecordingAnnouncer
from tests.system.conftest import HubProcess, free_port

FRESHNESS_S = 120  # small_hall keeps the default announce_freshness_seconds


class LanCable:
    """Test double for the board PC's network cable: relays TCP from a loopback port to the
    hub's port, and can be unplugged and plugged back in."""

    def __init__(self, hub_port: int) -> None:
        self.hub_port = hub_port
        self.port = free_port()
        self._lock = threading.Lock()
        self._sockets: list[socket.socket] = []
        self._listener: socket.socket | None = None
        self.plug()

    def plug(self) -> None:
        listener = socket.create_server(("127.0.0.1", self.port))
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def unplug(self) -> None:
        """Every connection through the cable drops; new ones are refused."""
        if self._listener is not None:
            # shutdown() stops listening and wakes the accepting thread; close() alone would
            # leave the socket listening for the thread blocked in accept().
            with contextlib.suppress(OSError):
                self._listener.shutdown(socket.SHUT_RDWR)
            self._listener.close()
            self._listener = None
        with self._lock:
            sockets, self._sockets = self._sockets, []
        for s in sockets:
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)
            s.close()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                near, _ = listener.accept()
            except OSError:
                return  # unplugged
            try:
                far = socket.create_connection(("127.0.0.1", self.hub_port))
            except OSError:
                near.close()
                continue
            with self._lock:
                self._sockets += [near, far]
            for a, b in ((near, far), (far, near)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        for s in (src, dst):
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)


class HubTimeClock:
    """Test double for the board PC's clock: the hub's simulated time, synced from /health."""

    def __init__(self, hub: HubProcess) -> None:
        self.sync(hub)

    def sync(self, hub: HubProcess) -> None:
        t0 = time.monotonic()
        hub_now = dt.datetime.fromisoformat(str(hub.health()["time"]))
        self._base = hub_now + dt.timedelta(seconds=(time.monotonic() - t0) / 2)
        self._t0 = time.monotonic()

    def now(self) -> dt.datetime:
        return self._base + dt.timedelta(seconds=time.monotonic() - self._t0)


class Stations:
    def __init__(self, qtbot: QtBot, hub: HubProcess, config: HallConfig, cable: LanCable
                 ) -> None:
        self.qtbot = qtbot
        self.replies: dict[str, Result] = {}
        self.tokens: dict[str, str] = {}
        hub.add_officer("siti", "2468")
        self.kiosk = self._link(hub, config, hub.url, "kiosk-1", "kiosk")
        self.counter = self._link(hub, config, hub.url, "loket-1", "counter", 1)
        self.board = self._link(hub, config, f"ws://127.0.0.1:{cable.port}", "board-1",
                                "display")

    def _link(self, hub: HubProcess, config: HallConfig, url: str, name: str, role: str,
              counter: int | None = None) -> HubLink:
        token = self.tokens[name] = hub.enroll(name, role, counter)
        link = HubLink(config, url, token, Replica(hub.workdir / f"replica-{name}.db"), name)
        link.replied.connect(lambda r: self.replies.__setitem__(r.command_id, r))
        return link

    def wait(self, command_id: str) -> Result:
        self.qtbot.waitUntil(lambda: command_id in self.replies, timeout=10000)
        result = self.replies[command_id]
        assert result.ok, result.refusal
        return result

    def call_next(self) -> tuple[str, int]:
        """(label, seq of its ticket.called event)"""
        result = self.wait(self.counter.send("call_next", {"counter": 1}))
        return str(result.value["ticket"]["label"]), int(result.value["seq"][-1])

    def online(self, *links: HubLink, timeout: int = 15000) -> None:
        self.qtbot.waitUntil(lambda: all(link.is_online() for link in links), timeout=timeout)

    def close(self) -> None:
        for link in (self.kiosk, self.counter, self.board):
            link.close()


@pytest.fixture
def hall(qtbot: QtBot, hub: HubProcess) -> Iterator[tuple[Stations, LanCable]]:
    hub.start()
    cable = LanCable(hub.port)
    stations = Stations(qtbot, hub, load_config(hub.config), cable)
    yield stations, cable
    stations.close()
    cable.unplug()


def test_a_board_cut_off_catches_up_and_announces_only_fresh_missed_calls_once(
    qtbot: QtBot, hub: HubProcess, hall: tuple[Stations, LanCable], tmp_path: Path
) -> None:
    st, cable = hall
    config = load_config(hub.config)
    clock = HubTimeClock(hub)
    voice = RecordingAnnouncer()
    core = BoardCore(st.board, config, voice, AnnouncedStore(tmp_path / "board-state.db"),
                     clock=clock)
    core.start()
    try:
        st.online(st.kiosk, st.counter, st.board)
        for _ in range(5):
            st.wait(st.kiosk.send("issue_ticket", {"service": "ktp-ganti"}))
        st.wait(st.counter.sign_in("siti", "2468", 1))

        # Online: a call is shown and spoken at once.
        label, seq_1 = st.call_next()
        assert label == "KTP-001"
        qtbot.waitUntil(lambda: len(voice.calls) == 1, timeout=10000)
        assert voice.calls[0][0] == str(seq_1)

        # The board's cable is pulled. The hall goes on: a call now...
        cable.unplug()
        qtbot.waitUntil(lambda: not st.board.is_online() and not core.online, timeout=10000)
        stale_label, stale_seq = st.call_next()
        assert stale_label == "KTP-002"

        # ...then the hub restarts ten minutes later (hub time), and two more calls follow.
        hub.kill()
        hub.clock = "2026-11-30T09:10:00+07:00"
        hub.start()
        clock.sync(hub)
        st.online(st.kiosk, st.counter)
        fresh = [st.call_next(), st.call_next()]
        assert [lbl for lbl, _ in fresh] == ["KTP-003", "KTP-004"]
        assert not st.board.is_online() and len(voice.calls) == 1

        # Plugged back in: the board catches up, shows all it missed, speaks the fresh two.
        cable.plug()
        st.online(st.board)
        qtbot.waitUntil(lambda: st.board.reader.last_seq() == st.counter.reader.last_seq(),
                        timeout=10000)
        qtbot.waitUntil(lambda: len(voice.calls) == 3, timeout=5000)
        assert [key for key, _ in voice.calls] == [str(seq_1)] + [str(s) for _, s in fresh]
        assert "K, T, P, nol, nol, tiga" in voice.calls[1][1]
        assert "K, T, P, nol, nol, empat" in voice.calls[2][1]
        assert stale_seq < fresh[0][1]  # KTP-002 was missed too, but 10 minutes ago: shown only
        assert core.current is not None and core.current.label == "KTP-004"
        assert [h.label for h in core.history] == ["KTP-003", "KTP-002", "KTP-001"]
        qtbot.waitUntil(lambda: core.tiles[1].label == "KTP-004", timeout=5000)

        # Cut and back again: nothing new, nothing spoken twice. The next live call is the
        # only new announcement.
        cable.unplug()
        qtbot.waitUntil(lambda: not st.board.is_online(), timeout=10000)
        cable.plug()
        st.online(st.board)
        label, seq_5 = st.call_next()
        assert label == "KTP-005"
        qtbot.waitUntil(lambda: len(voice.calls) == 4, timeout=10000)
        assert voice.calls[3][0] == str(seq_5)
        assert len({key for key, _ in voice.calls}) == 4
    finally:
        core.close()


def test_a_restarted_board_does_not_repeat_what_it_announced(
    qtbot: QtBot, hub: HubProcess, hall: tuple[Stations, LanCable], tmp_path: Path
) -> None:
    """The board PC reboots (new link, new core) with its replica and state file: calls it
    already spoke stay silent; one it missed while down, still fresh, is spoken once."""
    st, _cable = hall
    config = load_config(hub.config)
    clock = HubTimeClock(hub)
    state = tmp_path / "board-state.db"
    voice = RecordingAnnouncer()
    core = BoardCore(st.board, config, voice, AnnouncedStore(state), clock=clock)
    core.start()
    st.online(st.kiosk, st.counter, st.board)
    for _ in range(2):
        st.wait(st.kiosk.send("issue_ticket", {"service": "kk"}))
    st.wait(st.counter.sign_in("siti", "2468", 1))
    _, seq_1 = st.call_next()
    qtbot.waitUntil(lambda: len(voice.calls) == 1, timeout=10000)

    core.close()
    st.board.close()
    _, seq_2 = st.call_next()  # while the board PC reboots

    board = HubLink(config, hub.url, st.tokens["board-1"],
                    Replica(hub.workdir / "replica-board-1.db"), "board-1")
    st.board = board  # closed by the fixture
    voice_after = RecordingAnnouncer()
    core = BoardCore(board, config, voice_after, AnnouncedStore(state), clock=clock)
    core.start()
    try:
        st.online(board)
        qtbot.waitUntil(lambda: len(voice_after.calls) == 1, timeout=10000)
        assert voice_after.calls[0][0] == str(seq_2)
        assert core.current is not None and core.current.label == "KK-002"
        assert [h.label for h in core.history] == ["KK-001"]
        assert seq_1 < seq_2
    finally:
        core.close()


class ShiftedClock:
    """Test double for a board PC whose clock is wrong: the hub's time (HubTimeClock) plus a
    fixed shift."""

    def __init__(self, hub_time: HubTimeClock, shift: dt.timedelta) -> None:
        self.hub_time, self.shift = hub_time, shift

    def now(self) -> dt.datetime:
        return self.hub_time.now() + self.shift


@pytest.mark.parametrize("shift_minutes", [60, -60])
def test_a_board_whose_clock_is_an_hour_off_still_speaks_fresh_calls(
    qtbot: QtBot, hub: HubProcess, hall: tuple[Stations, LanCable], tmp_path: Path,
    shift_minutes: int
) -> None:
    """Freshness is judged on the hub's time, learnt at the welcome, not on the board's own
    clock: a board PC an hour ahead (or behind) speaks a call made a moment ago."""
    st, _cable = hall
    config = load_config(hub.config)
    wrong = ShiftedClock(HubTimeClock(hub), dt.timedelta(minutes=shift_minutes))
    board = HubLink(config, hub.url, st.tokens["board-1"], Replica(tmp_path / "skewed.db"),
                    "board-1", clock=wrong)
    st.board.close()
    st.board = board  # closed by the fixture
    voice = RecordingAnnouncer()
    core = BoardCore(board, config, voice, AnnouncedStore(tmp_path / "state.db"), clock=wrong)
    core.start()
    try:
        st.online(st.kiosk, st.counter, board)
        st.wait(st.kiosk.send("issue_ticket", {"service": "ktp-ganti"}))
        st.wait(st.counter.sign_in("siti", "2468", 1))
        label, seq = st.call_next()
        qtbot.waitUntil(lambda: len(voice.calls) == 1, timeout=10000)
        assert voice.calls[0][0] == str(seq) and label == "KTP-001"
        # The board's hall clock shows the hub's time too, not the PC's wrong one.
        assert abs((core.clock.now() - wrong.hub_time.now()).total_seconds()) < 5
        hub_clock = board.hub_clock()
        assert hub_clock is not None
        assert abs((hub_clock.now() - wrong.hub_time.now()).total_seconds()) < 5
    finally:
        core.close()
