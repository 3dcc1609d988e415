"""The hall board without widgets: what is shown and what is spoken.

`BoardCore` listens to a `StationLink`, keeps the current call, the last calls, a tile per
counter and the waiting count per agency, and hands each fresh call to an announcer exactly once.
The board window (`display.board`) only paints what this object says; tests drive it directly.

Exactly once, across restarts and reconnects: the highest call sequence number this board has
decided about (spoken, or judged too old to speak) is kept in a small SQLite file
(`AnnouncedStore`). A call at or below it is never spoken again; a call above it is spoken only
if it is younger than `rules.announce_freshness_seconds` by the hub's clock (the link's own,
corrected by the difference it measured at the welcome: StationLink.hub_clock), so a board that
comes back after ten minutes shows what it missed but does not read out a stale list.
"""

from __future__ import annotations

import datetime as dt
import logging
import sqlite3
from collections.abc import Iterable
from pathlib import Path
from typing import Protocol

from PySide6.QtCore import QObject, QTimer, Signal, Slot

from display.models import (
    TILE_CLOSED,
    TILE_PAUSED,
    TILE_READY,
    TILE_SERVING,
    AgencyWaiting,
    CallEntry,
    CounterTile,
)
from shared.clock import Clock, to_ms
from shared.config import HallConfig
from shared.ledger import model as m
from shared.ledger.model import Event
from shared.ledger.queries import Alert, Call
from shared.speech import call_text
from shared.station.link import StationLink
from shared.zones import BoardFilterError, select_agencies

log = logging.getLogger(__name__)

# Events after which a counter tile or the waiting counts may have changed.
_TICKET_KINDS = frozenset(k for k in m.EVENT_KINDS if k.startswith("ticket."))
_COUNTER_KINDS = frozenset({
    m.COUNTER_OPENED, m.COUNTER_PAUSED_EVENT, m.COUNTER_CLOSED_EVENT,
    m.OFFICER_SIGNED_IN, m.OFFICER_SIGNED_OUT,
})


class Announcing(Protocol):
    """What the board needs of a voice: queue one announcement under a unique key."""

    def announce(self, key: str, text: str) -> None: ...


class AnnouncedStore:
    """The last call sequence number this board has decided about, kept on disk.

    One row in a tiny SQLite file next to the replica: a commit is atomic, so a power cut
    leaves either the old or the new number, never a torn file. WAL with synchronous=NORMAL
    keeps a commit well under a millisecond on the GUI thread (it may lose the very last
    commit on power loss, which costs at most one repeated announcement, never a missed one).
    `path=None` keeps it in memory (a board without a state file, and benchmarks).
    """

    def __init__(self, path: str | Path | None, board: str = "board") -> None:
        self.path = Path(path) if path is not None else None
        self.board = board
        if self.path is not None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        self._conn = sqlite3.connect(str(self.path) if self.path else ":memory:")
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=NORMAL")
        with self._conn:
            self._conn.execute(
                "CREATE TABLE IF NOT EXISTS announced (board TEXT PRIMARY KEY, last_seq INTEGER)")
        row = self._conn.execute(
            "SELECT last_seq FROM announced WHERE board=?", (board,)).fetchone()
        self._last_seq = int(row[0]) if row else 0

    @property
    def last_seq(self) -> int:
        return self._last_seq

    def advance(self, seq: int) -> None:
        if seq <= self._last_seq:
            return
        self._last_seq = seq
        with self._conn:
            self._conn.execute(
                "INSERT INTO announced(board, last_seq) VALUES(?, ?) "
                "ON CONFLICT(board) DO UPDATE SET last_seq=excluded.last_seq", (self.board, seq))

    def close(self) -> None:
        self._conn.close()


class _HubTime:
    """The hub's clock as the link knows it, else the board's own."""

    def __init__(self, link: StationLink, own: Clock) -> None:
        self.link, self.own = link, own

    def now(self) -> dt.datetime:
        hub = self.link.hub_clock()
        return hub.now() if hub is not None else self.own.now()


class BoardCore(QObject):
    """State of one hall board, fed by a link. Signals fire only when something changed."""

    # The newest call (CallEntry or None) and whether it just happened (the window blinks it).
    current_changed = Signal(object, bool)
    history_changed = Signal(list)  # list[CallEntry], newest first, without the current call
    counters_changed = Signal(list)  # list[CounterTile], by counter number
    waiting_changed = Signal(list)  # list[AgencyWaiting], in config order
    online_changed = Signal(bool)
    voice_problem_changed = Signal(str)  # "" when the voice works again
    alerts_changed = Signal(list)  # list[Alert]: stations' open problems, for the staff line
    announced = Signal(str, str)  # (key, text) handed to the announcer

    def __init__(
        self,
        link: StationLink,
        config: HallConfig,
        announcer: Announcing | None,
        store: AnnouncedStore,
        clock: Clock | None = None,
        agencies: Iterable[str] | None = None,
        zone: str | None = None,
        history_size: int = 6,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.link = link
        self.config = config
        self.announcer = announcer
        self.store = store
        # Calls are judged on the hub's time (the link's clock corrected by the difference it
        # measured at the welcome): a board whose own clock is an hour ahead still finds a
        # call made a second ago fresh, and speaks it. Before any welcome, and on one PC, the
        # board's own clock (the link's, unless one is given).
        self.own_clock: Clock = clock or link.clock
        self.clock: Clock = _HubTime(link, self.own_clock)
        self.history_size = history_size
        self._chosen = (tuple(agencies) if agencies is not None else None, zone)
        self._take_config(config)

        self.current: CallEntry | None = None
        self.history: list[CallEntry] = []
        self.tiles: dict[int, CounterTile] = {}
        self.waiting: list[AgencyWaiting] = []
        self.online = link.is_online()
        self.voice_problem = ""
        self.alerts: list[Alert] = []
        self._day: dt.date | None = None  # the service day the rows were built for
        self._last_seen_seq = 0  # highest call seq shown (or skipped by the filter)
        self._started = False

        # Tiles and waiting counts are refreshed on the next turn of the event loop, after the
        # current call is painted, and once for a burst of events rather than once per event.
        self._dirty_counters: set[int] = set()
        self._waiting_dirty = False
        self._alerts_dirty = False
        self._refresh_timer = QTimer(self)
        self._refresh_timer.setSingleShot(True)
        self._refresh_timer.setInterval(0)
        self._refresh_timer.timeout.connect(self._refresh_deferred)

        self._connect_voice(announcer)

    def _take_config(self, config: HallConfig) -> None:
        self.config = config
        chosen, zone = self._chosen
        self.agencies = select_agencies(config, chosen, zone)
        self.counter_numbers = sorted(
            n for n, c in config.counters.items() if c.agency in self.agencies)
        self._agency_queues = {
            code: sorted({s.queue for s in config.services_of(code)}) for code in self.agencies}

    @Slot(object)
    def _on_config(self, config: HallConfig) -> None:
        """A new hall config, live: the board's tiles, waiting rows and the voice's template
        follow it (the call on screen stays)."""
        try:
            self._take_config(config)
        except BoardFilterError as e:  # the board's --agencies/--zone fit the new config no more
            log.error("the new hall config does not fit this board: %s", e)
            return
        self.rebuild()

    # --- lifecycle ----------------------------------------------------------------------------

    def start(self) -> None:
        """Build the state from the local copy and speak what was missed while down."""
        self._started = True
        self.link.events_applied.connect(self._on_events)
        self.link.online_changed.connect(self._on_online)
        self.link.config_changed.connect(self._on_config)
        self.rebuild()

    def close(self) -> None:
        """Stop following the link and release the state file (a board shutting down)."""
        if self._started:
            self._started = False
            self.link.events_applied.disconnect(self._on_events)
            self.link.online_changed.disconnect(self._on_online)
            self.link.config_changed.disconnect(self._on_config)
            self._refresh_timer.stop()
        self.store.close()

    def rebuild(self) -> None:
        """(Re)build everything from the reader: at start and after a reconnect."""
        day = self.config.service_day(self.clock.now())
        self._day = day
        newest_first = self._recent_calls(day)
        if newest_first:
            self._last_seen_seq = max(self._last_seen_seq, newest_first[0].call.seq)
        entries = _unique_tickets([c.entry for c in newest_first if c.agency_filter_ok])
        spoke = self._speak_missed(newest_first)
        # A missed call that is spoken now blinks too; one only shown does not.
        self._set_calls(entries[0] if entries else None,
                        entries[1: self.history_size + 1], fresh=spoke)
        self._set_tiles({n: self._tile(n) for n in self.counter_numbers})
        self._set_waiting(self._waiting_rows(day))
        self._set_alerts(self.link.reader.open_alerts(day))

    def tick(self) -> None:
        """Called every second or so: at the start of a new service day everything is built
        again (the waiting counts restart, yesterday's alerts are no longer shown)."""
        if self._started and self.config.service_day(self.clock.now()) != self._day:
            self.rebuild()

    def _recent_calls(self, day: dt.date) -> list[_Candidate]:
        """Today's calls, newest first: enough for the history and for everything still fresh
        and not yet announced (the list grows until one of those limits is passed)."""
        reader = self.link.reader
        fresh_from = to_ms(self.clock.now()) - self.config.rules.announce_freshness_seconds * 1000
        limit = max(50, self.history_size * 4)
        while True:
            calls = reader.recent_calls(limit=limit, day=day)
            if len(calls) < limit:
                break
            oldest = calls[-1]
            if oldest.at_ms < fresh_from or oldest.seq <= self.store.last_seq:
                break
            limit *= 2
        return [_Candidate(c, self._entry(c), self._wanted(c.counter)) for c in calls]

    def _speak_missed(self, newest_first: list[_Candidate]) -> bool:
        pending = [c for c in reversed(newest_first) if c.call.seq > self.store.last_seq]
        spoke = False
        for cand in pending:
            if cand.agency_filter_ok:
                spoke = self._maybe_announce(cand.entry) or spoke
        if newest_first:
            self.store.advance(newest_first[0].call.seq)
        return spoke

    # --- events -------------------------------------------------------------------------------

    @Slot(list)
    def _on_events(self, events: list[Event]) -> None:
        if any(e.kind in m.CALL_KINDS for e in events):
            self._take_new_calls()
        for e in events:
            counter = e.data.get("counter") if isinstance(e.data, dict) else None
            if isinstance(counter, int) and counter in self.config.counters and (
                e.kind in _TICKET_KINDS or e.kind in _COUNTER_KINDS
            ) and self._wanted(counter):
                self._dirty_counters.add(counter)
            if e.kind in _TICKET_KINDS:
                self._waiting_dirty = True
            elif e.kind == m.STATION_ALERT:
                self._alerts_dirty = True
        if self._dirty_counters or self._waiting_dirty or self._alerts_dirty:
            self._refresh_timer.start()

    def _take_new_calls(self) -> None:
        calls = self.link.reader.calls_after(self._last_seen_seq)
        if not calls:
            return
        self._last_seen_seq = calls[-1].seq
        mine = [self._entry(c) for c in calls if self._wanted(c.counter)]
        for entry in mine:
            # Each call becomes current in turn, so the history keeps every one of a burst.
            self._push_call(entry)
            if entry.seq > self.store.last_seq:
                self._maybe_announce(entry)
        self.store.advance(calls[-1].seq)

    def _push_call(self, entry: CallEntry) -> None:
        history = self.history
        if self.current is not None:
            history = [self.current, *history]
        # A ticket appears once: a recall moves it back to the top instead of listing it twice.
        history = [h for h in history if h.ticket_id != entry.ticket_id][: self.history_size]
        self._set_calls(entry, history, fresh=True)

    def _maybe_announce(self, entry: CallEntry) -> bool:
        """Hand a call to the voice if it is fresh; True if it was handed over."""
        age_s = (to_ms(self.clock.now()) - entry.at_ms) / 1000
        if age_s > self.config.rules.announce_freshness_seconds:
            log.info("not announcing %s (seq %d): %.0f s old", entry.label, entry.seq, age_s)
            return False
        if self.announcer is None:
            return False
        counter = self.config.counters.get(entry.counter)
        # A counter's own name is spoken only when it says more than "Loket N".
        own_name = counter.name if counter and counter.name != f"Loket {entry.counter}" else None
        try:
            text = call_text(entry.label, entry.counter, self.config.voice,
                             counter_label=own_name, recall=entry.is_recall)
            self.announcer.announce(str(entry.seq), text)
        except Exception as e:  # the board must keep showing calls whatever the voice does
            log.exception("announcement of %s failed", entry.label)
            self._set_voice_problem(f"{type(e).__name__}: {e}")
            return False
        self.announced.emit(str(entry.seq), text)
        return True

    @Slot()
    def _refresh_deferred(self) -> None:
        if self._dirty_counters:
            tiles = dict(self.tiles)
            for n in self._dirty_counters:
                tiles[n] = self._tile(n)
            self._dirty_counters.clear()
            self._set_tiles(tiles)
        if self._waiting_dirty:
            self._waiting_dirty = False
            self._set_waiting(self._waiting_rows(self.config.service_day(self.clock.now())))
        if self._alerts_dirty:
            self._alerts_dirty = False
            self._set_alerts(self.link.reader.open_alerts(
                self.config.service_day(self.clock.now())))

    @Slot(bool)
    def _on_online(self, online: bool) -> None:
        self.online = online
        self.online_changed.emit(online)
        if online:
            log.info("back online: rebuilding the board from the local copy")
            self.rebuild()

    # --- voice --------------------------------------------------------------------------------

    def _connect_voice(self, announcer: object) -> None:
        # The real Announcer reports failures by signal; a plain fake has none.
        failed = getattr(announcer, "failed", None)
        if failed is not None and hasattr(failed, "connect"):
            failed.connect(lambda *args: self._set_voice_problem(
                " ".join(str(a) for a in args[1:]) or "announcement failed"))
        finished = getattr(announcer, "finished", None)
        if finished is not None and hasattr(finished, "connect"):
            finished.connect(lambda *args: self._set_voice_problem(""))

    def report_voice_problem(self, problem: str) -> None:
        """Show a voice problem found outside the announcer (e.g. no voice at start-up)."""
        self._set_voice_problem(problem)

    def _set_voice_problem(self, problem: str) -> None:
        if problem:
            log.warning("voice problem: %s", problem)
        if problem != self.voice_problem:
            self.voice_problem = problem
            self.voice_problem_changed.emit(problem)

    # --- building rows ------------------------------------------------------------------------

    def _wanted(self, counter: int) -> bool:
        # A call belongs to the zone of the counter the visitor must walk to.
        c = self.config.counters.get(counter)
        return c is not None and c.agency in self.agencies

    def _entry(self, call: Call) -> CallEntry:
        counter = self.config.counters.get(call.counter)
        agency_code = counter.agency if counter else call.agency
        agency = self.config.agencies.get(agency_code)
        return CallEntry(
            seq=call.seq, kind=call.kind, ticket_id=call.ticket_id, label=call.label,
            counter=call.counter,
            counter_name=counter.name if counter else f"Loket {call.counter}",
            agency=agency_code, agency_name=agency.short_name if agency else agency_code,
            at_ms=call.at_ms,
        )

    def _tile(self, number: int) -> CounterTile:
        reader = self.link.reader
        cfg = self.config.counters[number]
        view = reader.counter(number)
        label = None
        if view.ticket_id:
            ticket = reader.ticket(view.ticket_id)
            label = ticket.label if ticket else None
        if label:
            state = TILE_SERVING
        elif view.status == m.COUNTER_OPEN:
            state = TILE_READY
        elif view.status == m.COUNTER_PAUSED:
            state = TILE_PAUSED
        else:
            state = TILE_CLOSED
        agency = self.config.agencies[cfg.agency]
        return CounterTile(number, cfg.name, cfg.agency, agency.short_name, state, label)

    def _waiting_rows(self, day: dt.date) -> list[AgencyWaiting]:
        reader = self.link.reader
        return [
            AgencyWaiting(code, self.config.agencies[code].short_name,
                          reader.waiting_count(self._agency_queues[code], day))
            for code in self.agencies
        ]

    # --- change notification --------------------------------------------------------------------

    def _set_calls(self, current: CallEntry | None, history: list[CallEntry],
                   fresh: bool) -> None:
        if current != self.current or fresh:
            self.current = current
            self.current_changed.emit(current, fresh)
        if history != self.history:
            self.history = history
            self.history_changed.emit(list(history))

    def _set_tiles(self, tiles: dict[int, CounterTile]) -> None:
        if tiles != self.tiles:
            self.tiles = tiles
            self.counters_changed.emit([tiles[n] for n in sorted(tiles)])

    def _set_waiting(self, rows: list[AgencyWaiting]) -> None:
        if rows != self.waiting:
            self.waiting = rows
            self.waiting_changed.emit(list(rows))

    def _set_alerts(self, alerts: list[Alert]) -> None:
        if alerts != self.alerts:
            self.alerts = alerts
            self.alerts_changed.emit(list(alerts))


class _Candidate:
    __slots__ = ("agency_filter_ok", "call", "entry")

    def __init__(self, call: Call, entry: CallEntry, agency_filter_ok: bool) -> None:
        self.call = call
        self.entry = entry
        self.agency_filter_ok = agency_filter_ok


def _unique_tickets(newest_first: list[CallEntry]) -> list[CallEntry]:
    """Each ticket once, at its latest call: a recalled ticket is not listed twice."""
    seen: set[str] = set()
    out = []
    for entry in newest_first:
        if entry.ticket_id not in seen:
            seen.add(entry.ticket_id)
            out.append(entry)
    return out
