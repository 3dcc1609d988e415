"""The scripted session of the headless demo: a Monday morning at the counters of one agency.

Visitors take numbers by tapping the kiosk's own buttons; officers sign in by typing their ID
and PIN and press their counter's own buttons; the board shows and announces every call with
the real voice. The hall's clock is a `ManualClock` moved forward between steps (a visitor
every minute or two, a service of several minutes), so screens and tickets show believable
times while the session itself takes seconds. Every wait is for a condition (a reply, every
station holding the hub's last event, the voice having finished); there is no fixed sleep.

Output, in the folder it is given:
    kiosk.png, counter-<N>.png, board.png   every station at the end, at its hall size
    hall.png                                the four side by side, for a quick look
    tickets/<label>.png                     each printed ticket (the printer's dots)
    announcements/NN-<label>-loket-<N>.wav  each call as the hall hears it: chime, then voice
    summary.json                            what happened, for people and tests
"""

from __future__ import annotations

import datetime as dt
import sqlite3
import time
from collections import Counter as Tally
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PySide6.QtCore import QCoreApplication, QEventLoop, QRect, Qt, QTimer
from PySide6.QtGui import QColor, QImage, QPainter
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QAbstractButton, QLabel, QWidget

from antrean.demo.hall import CounterStation, DemoError, Hall
from antrean.demo.plan import DemoVisitor
from counter_client.app import LABELS
from display.voice import DEFAULT_CHIME, wavfile
from display.voice.audio import RecordingAudioOutput
from kiosk.printing import render_png
from shared.clock import ManualClock
from shared.indonesian import tanggal
from shared.ledger import model as m
from shared.ledger.projection import last_seq
from shared.ledger.store import connect

WAIT_S = 20.0  # a generous bound for any one step; a healthy step takes milliseconds
PAUSE_MS = 700  # between repeats of a call (the Announcer is built with this)
OUTPUT_FILES = ("kiosk.png", "board.png", "hall.png", "summary.json")


@dataclass
class Heard:
    """One announcement as the board handed it to the voice."""

    key: str
    seq: int
    kind: str
    label: str
    counter: int
    text: str
    start: int | None = None  # index into the recording output's `played` when it started
    wav: str | None = None
    error: str | None = None


@dataclass
class Record:
    tickets: list[dict[str, Any]] = field(default_factory=list)
    heard: dict[str, Heard] = field(default_factory=dict)
    steps: list[str] = field(default_factory=list)


def wait_until(done: Callable[[], bool], what: str, timeout_s: float = WAIT_S) -> None:
    """Run the Qt event loop until `done()` holds (checked every few milliseconds)."""
    if done():
        return
    loop = QEventLoop()
    poll = QTimer()
    poll.setInterval(5)
    deadline = time.monotonic() + timeout_s
    timed_out: list[bool] = []

    def check() -> None:
        if done():
            loop.quit()
        elif time.monotonic() > deadline:
            timed_out.append(True)
            loop.quit()

    poll.timeout.connect(check)
    poll.start()
    loop.exec()
    poll.stop()
    if timed_out:
        raise DemoError(f"timed out after {timeout_s:g} s waiting for {what}")


class Session:
    def __init__(self, hall: Hall, clock: ManualClock, out: Path,
                 output: RecordingAudioOutput) -> None:
        self.hall = hall
        self.clock = clock
        self.out = out
        self.output = output
        self.record = Record()
        self.began: dt.datetime = clock.now()
        self._ledger: sqlite3.Connection = connect(hall.hub.ledger_path, readonly=True)
        self._errors: dict[str, list[str]] = {c.officer.station: [] for c in hall.counters}
        for station in hall.counters:
            station.core.message.connect(
                lambda text, kind, name=station.officer.station: self._on_message(name, text,
                                                                                  kind))
        core = hall.board.core
        core.announced.connect(self._on_announced)
        assert hall.announcer is not None
        hall.announcer.started.connect(self._on_started)
        hall.announcer.finished.connect(self._on_finished)
        hall.announcer.failed.connect(self._on_failed)

    def close(self) -> None:
        self._ledger.close()

    # --- the script ----------------------------------------------------------------------------

    def run(self) -> None:
        hall = self.hall
        first, second = hall.counters
        visitors = list(hall.plan.visitors)
        wait_until(lambda: all(link.is_online() for link in hall.links),
                   "every station to connect to the hub")
        wait_until(lambda: hall.kiosk.step == "welcome", "the kiosk's welcome screen")
        self.step("opening: both officers sign in")
        self.sign_in(first)
        self.sign_in(second)
        self.take_ticket(visitors[0], minutes_before=1)
        self.take_ticket(visitors[1], minutes_before=2)
        self.take_ticket(visitors[2], minutes_before=1)
        self.take_ticket(visitors[3], minutes_before=2)
        self.minutes(1)
        self.press(first, "call_next")
        self.press(second, "call_next")
        self.minutes(1)
        self.press(first, "start")
        self.minutes(1)
        self.step(f"nobody comes to {second.officer.station}: a recall, then a no-show")
        self.press(second, "recall")
        self.minutes(2)
        self.press(second, "no_show")
        self.press(second, "call_next")
        self.minutes(1)
        self.press(second, "start")
        self.take_ticket(visitors[4], minutes_before=1)
        self.take_ticket(visitors[5], minutes_before=1)
        self.minutes(5)
        self.press(first, "finish")
        self.press(first, "call_next")
        self.minutes(1)
        self.press(first, "start")
        self.minutes(1)
        self.press(second, "finish")
        self.press(second, "call_next")
        self.take_ticket(visitors[6], minutes_before=1)
        self.minutes(1)
        self.press(second, "start")
        # The last visitor's ticket stays on the kiosk for its picture.
        self.take_ticket(visitors[7], minutes_before=1, leave=False)
        self.minutes(5)
        self.press(second, "finish")
        self.press(second, "call_next")
        self.minutes(1)
        self.settle_voice()

    def step(self, text: str) -> None:
        now = self.clock.now().astimezone(self.hall.config.tz)
        line = f"{now:%H:%M}  {text}"
        self.record.steps.append(line)
        print(f"  {line}", flush=True)

    def minutes(self, n: float) -> None:
        self.clock.advance(minutes=n)

    # --- the kiosk -----------------------------------------------------------------------------

    def take_ticket(self, visitor: DemoVisitor, minutes_before: float = 0,
                    leave: bool = True) -> None:
        hall = self.hall
        kiosk = hall.kiosk
        self.minutes(minutes_before)
        wait_until(lambda: kiosk.step == "welcome", "the kiosk to be free")
        service = hall.config.services[visitor.service]
        self.step(f"a visitor takes a number for {service.name}"
                  + (f" ({visitor.priority})" if visitor.priority else ""))
        self.tap("take_number")
        self.tap_paged(f"agency:{visitor.agency}")
        self.tap_paged(f"service:{visitor.service}")
        self.tap(f"priority:{visitor.priority or 'none'}")
        wait_until(lambda: kiosk.step == "ticket" or kiosk.step == "closed",
                   "the kiosk to show the ticket")
        if kiosk.step != "ticket":
            message = kiosk.message.body("en") if kiosk.message else "no reason given"
            raise DemoError(f"the kiosk issued no ticket for {visitor.service}: {message}")
        wait_until(lambda: kiosk.ticket is not None and kiosk.ticket.print_state != "printing",
                   "the ticket to print")
        ticket = kiosk.ticket
        assert ticket is not None
        if ticket.print_state != "printed":
            raise DemoError(f"ticket {ticket.label} did not print: {ticket.print_error}")
        preview = self.out / "tickets" / f"{ticket.label}.png"
        render_png(ticket.layout).save(preview)
        self.record.tickets.append({
            "label": ticket.label, "ticket_id": ticket.ticket_id, "service": visitor.service,
            "priority": ticket.priority, "people_ahead": ticket.people_ahead,
            "wait_minutes": ticket.wait_minutes, "preview": str(preview.relative_to(self.out)),
        })
        self.sync()
        if leave:
            self.tap("done")
            wait_until(lambda: kiosk.step == "welcome", "the kiosk to return to its start")

    def tap(self, name: str) -> None:
        button = self._kiosk_button(name)
        if button is None:
            raise DemoError(f"the kiosk shows no {name!r} button on its {self.hall.kiosk.step} "
                            f"screen")
        QTest.mouseClick(button, Qt.MouseButton.LeftButton)

    def tap_paged(self, name: str) -> None:
        """Tap a tile, turning pages ("Berikutnya") until it shows, as a visitor would."""
        for _ in range(20):
            if self._kiosk_button(name) is not None:
                self.tap(name)
                return
            if self._kiosk_button("next_page") is None:
                break
            self.tap("next_page")
        raise DemoError(f"the kiosk shows no {name!r} tile on any page")

    def _kiosk_button(self, name: str) -> QAbstractButton | None:
        # A screen's new tiles are shown by a queued call (QLayout::addWidget); let it run.
        QCoreApplication.processEvents()
        window = self.hall.kiosk_window
        found = (window.current_screen().findChild(QAbstractButton, name)
                 or window.header.findChild(QAbstractButton, name))
        if found is None or not found.isVisible() or not found.isEnabled():
            return None
        return found

    # --- the counters --------------------------------------------------------------------------

    def sign_in(self, station: CounterStation) -> None:
        window, core, officer = station.window, station.core, station.officer
        self.step(f"{officer.name} signs in at {station.officer.station}")
        window.officer_edit.clear()
        window.pin_edit.clear()
        QTest.keyClicks(window.officer_edit, officer.officer)
        QTest.keyClicks(window.pin_edit, officer.pin)
        QTest.mouseClick(window.sign_in_button, Qt.MouseButton.LeftButton)
        wait_until(lambda: core.state.busy is None, f"{officer.station} to sign in")
        self._check(station, "sign in")
        if not core.state.signed_in:
            raise DemoError(f"{officer.name} could not sign in at {officer.station}")
        self.sync()

    def press(self, station: CounterStation, action: str) -> None:
        core, name = station.core, station.officer.station
        button = station.window.buttons[action]
        label = LABELS.get(action, action)
        self.step(f"{name}: {label}")
        if not button.isVisible() or not button.isEnabled():
            raise DemoError(f"{name}: the {action} button is not available now")
        QTest.mouseClick(button, Qt.MouseButton.LeftButton)
        if core.state.busy is None and not self._errors[name]:
            raise DemoError(f"{name}: pressing {action} sent nothing")
        wait_until(lambda: core.state.busy is None, f"the hub to answer {name}'s {action}")
        self._check(station, action)
        self.sync()

    def _on_message(self, station: str, text: str, kind: str) -> None:
        if kind == "error":
            self._errors[station].append(text)

    def _check(self, station: CounterStation, action: str) -> None:
        errors = self._errors[station.officer.station]
        if errors:
            raise DemoError(f"{station.officer.station}: {action} was refused: {errors[-1]}")

    # --- the hall in step ------------------------------------------------------------------------

    def sync(self) -> None:
        """Wait until every station holds every event the hub has: the board has then seen
        (and judged fresh) each call before the clock moves on."""
        target = last_seq(self._ledger)
        wait_until(lambda: all(link.reader.last_seq() >= target for link in self.hall.links),
                   f"every station to hold event {target}")

    # --- the voice ---------------------------------------------------------------------------

    def _on_announced(self, key: str, text: str) -> None:
        calls = self.hall.board_link.reader.calls_after(int(key) - 1, limit=1)
        call = calls[0] if calls else None
        self.record.heard[key] = Heard(
            key, int(key), call.kind if call else "", call.label if call else "?",
            call.counter if call else 0, text)

    def _on_started(self, key: str) -> None:
        heard = self.record.heard.get(key)
        if heard is not None:
            heard.start = len(self.output.played)

    def _on_finished(self, key: str) -> None:
        heard = self.record.heard.get(key)
        if heard is None or heard.start is None:
            return
        parts: list[Path | float] = []
        for path in self.output.played[heard.start:]:
            if parts and Path(path) != DEFAULT_CHIME and parts[-1] != DEFAULT_CHIME:
                parts.append(PAUSE_MS / 1000)  # the pause between two repeats of the voice
            parts.append(Path(path))
        n = len([h for h in self.record.heard.values() if h.wav is not None]) + 1
        again = "-ulang" if heard.kind == m.TICKET_RECALLED else ""
        name = f"{n:02d}-{heard.label}-loket-{heard.counter}{again}.wav"
        wavfile.join_wavs(parts, self.out / "announcements" / name)
        heard.wav = f"announcements/{name}"

    def _on_failed(self, key: str, reason: str) -> None:
        heard = self.record.heard.get(key)
        if heard is not None:
            heard.error = reason

    def settle_voice(self) -> None:
        announcer = self.hall.announcer
        assert announcer is not None  # the headless hall has its own
        wait_until(lambda: announcer.pending() == 0
                   and all(h.wav or h.error for h in self.record.heard.values()),
                   "the board to finish announcing", timeout_s=60)
        failed = [h for h in self.record.heard.values() if h.error]
        if failed:
            raise DemoError(f"the call of {failed[0].label} was not announced: "
                            f"{failed[0].error}")

    # --- pictures and the summary ----------------------------------------------------------------

    def screenshots(self) -> dict[str, str]:
        hall = self.hall
        board = hall.board.window
        # The board turns its pages every few seconds; show the first (the demo's counters).
        board.counter_grid.page = 0
        board.waiting.page = 0
        wait_until(lambda: not board.current_call.is_blinking(),
                   "the board's new call to stop blinking")
        for counter in hall.counters:
            counter.core.refresh()
        board.tick_clock()
        hall.kiosk_window.refresh()
        QCoreApplication.processEvents()  # queued layout and show calls, before the pictures
        shots = {"kiosk": "kiosk.png"}
        shots.update({c.officer.station: f"counter-{c.officer.counter}.png"
                      for c in hall.counters})
        shots["board"] = "board.png"
        images: dict[str, QImage] = {}
        for window, (key, name) in zip(hall.windows(), shots.items(), strict=True):
            image = window.grab().toImage()
            if not image.save(str(self.out / name)):
                raise DemoError(f"could not write {self.out / name}")
            images[key] = image
        overview = hall_overview([images["kiosk"], *(images[c.officer.station]
                                                     for c in hall.counters), images["board"]])
        if not overview.save(str(self.out / "hall.png")):
            raise DemoError(f"could not write {self.out / 'hall.png'}")
        shots["hall"] = "hall.png"
        return shots

    def kiosk_text(self) -> list[str]:
        """Every label the kiosk shows, as it was photographed."""
        screen: QWidget = self.hall.kiosk_window.current_screen()
        return [w.text() for w in screen.findChildren(QLabel) if w.isVisible() and w.text()]

    def summary(self, shots: dict[str, str], started: float) -> dict[str, Any]:
        hall = self.hall
        kinds = Tally(row[0] for row in self._ledger.execute("SELECT kind FROM events"))
        heard = sorted(self.record.heard.values(), key=lambda h: h.seq)
        tz = hall.config.tz
        end = self.clock.now().astimezone(tz)
        ticket = hall.kiosk.ticket
        return {
            "hall": hall.config.mpp.name,
            "config": hall.config.source,
            "hub": hall.hub.url,
            "ledger": str(hall.hub.ledger_path.resolve()),
            "clock": {"start": self.began.astimezone(tz).isoformat(), "end": end.isoformat(),
                      "day": tanggal(end.date())},
            "stations": {name: ("kiosk" if name == "kiosk-1" else
                                "display" if name.startswith("display") else "counter")
                         for name in hall.tokens},
            "officers": [{"officer": c.officer.officer, "name": c.officer.name,
                          "counter": c.officer.counter, "station": c.officer.station}
                         for c in hall.counters],
            "steps": self.record.steps,
            "tickets": self.record.tickets,
            "calls": [{"seq": h.seq, "kind": h.kind, "label": h.label, "counter": h.counter,
                       "text": h.text, "wav": h.wav} for h in heard],
            "events": dict(sorted(kinds.items())),
            "kiosk": {"ticket": ticket.label if ticket else None, "text": self.kiosk_text()},
            "screenshots": shots,
            "seconds": round(time.monotonic() - started, 1),
        }


def clear_output(out: Path) -> None:
    """Remove what the last demo run wrote here (and nothing else)."""
    for sub, pattern in (("tickets", "*.png"), ("announcements", "*.wav"), ("web", "*.html")):
        for path in (out / sub).glob(pattern):
            path.unlink()
    for name in OUTPUT_FILES:
        (out / name).unlink(missing_ok=True)
    for path in out.glob("counter-*.png"):
        path.unlink()


def hall_overview(images: list[QImage]) -> QImage:
    """Kiosk on the left at full height; board top right; the counters under it."""
    kiosk, *counters, board = images
    width = 1920
    # Heights follow from the width: kiosk h = board h + counter h, at each picture's aspect.
    k_aspect = kiosk.width() / kiosk.height()
    b_aspect = board.height() / board.width()
    c_aspect = counters[0].height() / counters[0].width()
    n = len(counters)
    height = round(width * (b_aspect + c_aspect / n) / (1 + k_aspect * (b_aspect + c_aspect / n)))
    kw = round(height * k_aspect)
    right = width - kw
    bh = round(right * b_aspect)
    canvas = QImage(width, height, QImage.Format.Format_RGB32)
    canvas.fill(QColor("#0b1a2e"))
    p = QPainter(canvas)
    p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
    p.drawImage(QRect(0, 0, kw, height), kiosk)
    p.drawImage(QRect(kw, 0, right, bh), board)
    cw = right // n
    for i, image in enumerate(counters):
        p.drawImage(QRect(kw + i * cw, bh, cw, height - bh), image)
    p.end()
    return canvas
