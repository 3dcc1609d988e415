"""Running the demo hall: in windows on a PC with a screen, or the scripted session without one.

Both start the same way: a fresh data folder, the embedded hub, the stations enrolled with
their tokens, two officers with their PINs, every station on its own `HubLink`. They differ in
who presses the buttons (people, or the script), the clock (the real one, or a `ManualClock`
on a Monday morning) and where the voice goes (the speakers, or WAV files).
"""

from __future__ import annotations

import contextlib
import json
import socket
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from antrean.demo.hall import (
    DemoError,
    Hall,
    build_hall,
    prepare_data_dir,
)
from antrean.demo.hub import EmbeddedHub, HubStartError, port_is_free
from antrean.demo.layout import Box, Tiling, tile
from antrean.demo.plan import DemoPlan, make_plan, monday_morning, next_opening, open_now
from antrean.demo.web import (
    DEFAULT_WEB_PORT,
    EmbeddedWeb,
    WebStartError,
    bind,
    public_address,
    with_public_url,
)
from shared.clock import Clock, ManualClock, SimulatedClock, SystemClock
from shared.config import HallConfig
from shared.indonesian import jam, tanggal

if TYPE_CHECKING:
    from display.voice.announcer import Announcer
    from display.voice.audio import RecordingAudioOutput
    from display.voice.tts import Pyttsx3Synthesizer

FRAME_POLL_MS = 50
FRAME_WAIT_MS = 10_000  # how long the window manager gets to frame the windows


@dataclass(frozen=True)
class DemoOptions:
    config: HallConfig
    out: Path
    data: Path
    host: str
    port: int
    port_given: bool  # a --port the user chose is never swapped for another
    web: bool = True  # the embedded web station (--no-web: none)
    web_port: int = DEFAULT_WEB_PORT
    web_port_given: bool = False


WEB = "web-1"
WEB_WAIT_S = 10.0


def say(text: str = "") -> None:
    print(text, flush=True)


# --- shared start-up -----------------------------------------------------------------------------


def start_hub(options: DemoOptions, clock: Clock) -> EmbeddedHub:
    port = options.port
    if not options.port_given and port and not port_is_free(options.host, port):
        say(f"port {port} is in use (a hub already runs here?); the demo takes a free port")
        port = 0
    hub = EmbeddedHub(options.config, options.data, clock, options.host, port)
    try:
        hub.start()
    except HubStartError as e:
        hub.auth.close()
        raise DemoError(str(e)) from None
    return hub


def reserve_web(options: DemoOptions) -> tuple[DemoOptions, socket.socket | None]:
    """Bind the web station's port before the hub starts and put its address in the hall
    config's public_url, so every demo ticket's QR opens its live page."""
    if not options.web:
        return options, None
    try:
        sock = bind(options.host, options.web_port, options.web_port_given)
    except WebStartError as e:
        raise DemoError(str(e)) from None
    url = public_address(options.host, int(sock.getsockname()[1]))
    return replace(options, config=with_public_url(options.config, url)), sock


def start_web(hall: Hall, sock: socket.socket | None, clock: Clock, data: Path
              ) -> EmbeddedWeb | None:
    """The web station, on its own web-role token and replica, following the demo's hub."""
    if sock is None:
        return None
    token = hall.hub.auth.enroll(WEB, "web")
    station = EmbeddedWeb(sock, hall.hub.url, token, data / f"replica-{WEB}.db", clock)
    try:
        station.start()
    except WebStartError as e:
        raise DemoError(str(e)) from None
    return station


def describe_web(config: HallConfig, station: EmbeddedWeb | None) -> None:
    url = config.mpp.public_url
    if station is None or url is None:
        say("Web:  off (--no-web); the tickets' QR codes hold their number only")
        return
    say(f"Halaman tiket: {url}/t/<ticket>-<secret> (the QR on every ticket opens it)")
    say(f"Web:  {url}/ (today's overview), {url}/papan (the board), {url}/loket/3")


def fetch(url: str, timeout: float = 5.0) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return int(r.status), r.read().decode("utf-8")
    except urllib.error.HTTPError as e:
        return int(e.code), ""


def save_web_pages(hall: Hall, out: Path) -> dict[str, Any]:
    """The overview and the last visitor's ticket page, fetched over HTTP from the web
    station at the address the kiosk's QR holds, into out/web/."""
    url = hall.config.mpp.public_url
    ticket = hall.kiosk.ticket
    assert url is not None
    pages = {"/": "web/index.html"}
    if ticket is not None and ticket.qr_payload.startswith(url):
        pages[ticket.qr_payload.removeprefix(url)] = f"web/ticket-{ticket.label}.html"
    (out / "web").mkdir(exist_ok=True)
    deadline = time.monotonic() + WEB_WAIT_S
    for path, name in pages.items():
        while True:
            # 404 until the web station's replica holds the ticket, a moment after the hub.
            status, body = fetch(url + path)
            if status == 200 or time.monotonic() > deadline:
                break
            time.sleep(0.05)  # polling another thread's replica; bounded by the deadline
        if status != 200:
            raise DemoError(f"the web station answered HTTP {status} for {url}{path}")
        (out / name).write_text(body, encoding="utf-8")
    return {"url": url, "pages": pages}


def qt_application() -> Any:
    from PySide6.QtGui import QFont

    from shared.station.startup import QtStartError
    from shared.station.startup import qt_application as checked_application

    try:
        app = checked_application("Antrean demo")
    except QtStartError as e:
        raise DemoError(str(e)) from None
    app.setFont(QFont("DejaVu Sans", 11))
    return app


def describe(hall: Hall, options: DemoOptions, clock_note: str) -> None:
    config, plan, hub = hall.config, hall.plan, hall.hub
    example = " (example data, not official)" if config.mpp.example else ""
    say(f"Hall: {config.mpp.name}, {config.mpp.kabupaten}{example}")
    say(f"Hub:  {hub.url}   data folder: {options.data.resolve()}")
    say(f"Time: {clock_note}")
    agency = config.agencies[plan.agency].short_name
    for o in plan.officers:
        counter = config.counters[o.counter]
        say(f"Officer {o.name}: ID {o.officer}, PIN {o.pin}, at {counter.name} ({agency}, "
            f"queue {plan.queue})")
    say("Stations and their tokens (another PC of the LAN joins with "
        "`antrean kiosk|counter|display --hub ADDRESS --token TOKEN`):")
    for name, token in hall.tokens.items():
        say(f"  {name:10} {token}")
    if hub.host in ("127.0.0.1", "localhost", "::1"):
        say("  (the hub listens on this PC only; run with --host 0.0.0.0 to let other PCs join)")
    else:
        from shared.hub.discovery import lan_addresses

        addresses = ", ".join(f"ws://{a}:{hub.port}/ws" for a in lan_addresses(hub.host))
        say(f"  other PCs reach the hub at {addresses or hub.url}")


def moment_text(config: HallConfig, clock: Clock) -> str:
    now = clock.now().astimezone(config.tz)
    return f"{tanggal(now.date())} {jam(now, config.mpp.timezone)}"


@contextlib.contextmanager
def flushed_qt_objects() -> Iterator[None]:
    """Let Qt delete what was closed before the interpreter tears the bindings down."""
    try:
        yield
    finally:
        from PySide6.QtCore import QCoreApplication, QEvent

        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
        QCoreApplication.processEvents()


# --- headless: the scripted session ------------------------------------------------------------


def headless_voice(config: HallConfig, data: Path
                   ) -> tuple[Announcer, Pyttsx3Synthesizer, RecordingAudioOutput]:
    """The hall voice (pyttsx3 driving espeak-ng, in its worker process) into a
    `RecordingAudioOutput`: the test double for the sound card this PC does not have, which
    keeps the list of WAV files it was handed."""
    from antrean.demo.session import PAUSE_MS
    from display.voice.announcer import Announcer
    from display.voice.audio import RecordingAudioOutput
    from display.voice.tts import Pyttsx3Synthesizer

    synth = Pyttsx3Synthesizer.from_voice(data / "voice-cache", config.voice)
    try:
        synth.start()
    except Exception as e:  # the engine's own words say which part is missing
        synth.close()
        raise DemoError(f"the hall voice could not start ({e}); install espeak-ng "
                        f"(apt-get install espeak-ng)") from None
    output = RecordingAudioOutput()
    announcer = Announcer(synth, output, repeat=config.voice.repeat, pause_ms=PAUSE_MS)
    return announcer, synth, output


def run_headless(options: DemoOptions) -> int:
    from antrean.demo.session import Session, clear_output

    started = time.monotonic()
    options, web_sock = reserve_web(options)
    config, out = options.config, options.out
    plan = make_plan(config)
    clock = ManualClock(monday_morning(config, plan.services, SystemClock().now()))
    prepare_data_dir(options.data)
    out.mkdir(parents=True, exist_ok=True)
    clear_output(out)
    (out / "tickets").mkdir(exist_ok=True)
    (out / "announcements").mkdir(exist_ok=True)
    qt_application()
    quiet_offscreen_warning()
    with contextlib.ExitStack() as stack:
        stack.enter_context(flushed_qt_objects())
        announcer, synth, output = headless_voice(config, options.data)
        stack.callback(synth.close)
        stack.callback(announcer.shutdown)
        hub = start_hub(options, clock)
        stack.callback(hub.stop)
        hall = build_hall(config, plan, clock, hub, options.data, scripted=True,
                          announcer=announcer, synthesizer=synth)
        stack.pop_all()  # the hall closes all of it from now on
        stack.enter_context(flushed_qt_objects())
        stack.callback(hall.close)
        web = start_web(hall, web_sock, clock, options.data)
        if web is not None:
            stack.callback(web.stop)
        say("antrean demo: no screen here, so the hall runs a short scripted session")
        describe(hall, options, f"simulated, from {moment_text(config, clock)}")
        describe_web(config, web)
        for window in hall.windows():
            window.show()
        session = Session(hall, clock, out, output)
        stack.callback(session.close)
        session.run()
        shots = session.screenshots()
        summary = session.summary(shots, started)
        if web is not None:
            summary["web"] = save_web_pages(hall, out)
        (out / "summary.json").write_text(
            json.dumps(summary, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    report(summary, out)
    return 0


def quiet_offscreen_warning() -> None:
    """Drop the one warning the offscreen platform gives for every window with a layout
    ("This plugin does not support propagateSizeHints()"): it is about the missing window
    system, not the hall. Every other Qt message still reaches stderr."""
    from PySide6.QtCore import QtMsgType, qInstallMessageHandler

    def handler(mode: QtMsgType, context: object, message: str) -> None:
        if "does not support propagateSizeHints" not in message:
            print(message, file=sys.stderr, flush=True)

    qInstallMessageHandler(handler)


def report(summary: dict[str, Any], out: Path) -> None:
    tickets = summary["tickets"]
    calls = summary["calls"]
    recalls = sum(1 for c in calls if c["kind"] == "ticket.recalled")
    files = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()
                   and "data" not in p.relative_to(out).parts)
    say()
    say(f"Session ({summary['clock']['day']}, until {summary['clock']['end'][11:16]}):")
    say(f"  {len(tickets)} tickets issued: {', '.join(t['label'] for t in tickets)}")
    say(f"  {len(calls)} calls ({recalls} recall) announced, "
        f"{sum(1 for c in calls if c['wav'])} WAV files")
    say(f"  the kiosk shows ticket {summary['kiosk']['ticket']}")
    say(f"  {len(files)} files written to {out.resolve()}")
    for name in files:
        say(f"    {name}")
    say(f"  took {summary['seconds']:.1f} s")


# --- with a screen: four windows ----------------------------------------------------------------


def windowed_clock(config: HallConfig, plan: DemoPlan) -> tuple[Clock, str]:
    """The real clock while the hall is open; otherwise a clock that starts at the next
    opening and runs at real speed, so the demo works at night and on Sundays too."""
    now = SystemClock().now()
    if open_now(config, plan.services, now):
        return SystemClock(), f"the real clock ({moment_text(config, SystemClock())})"
    clock = SimulatedClock(next_opening(config, plan.services, now))
    return clock, (f"the hall is closed now, so the demo's clock starts at the next opening, "
                   f"{moment_text(config, clock)}")


def frame_margins(window: Any) -> tuple[int, int, int, int]:
    """left, top, right, bottom of the frame the window manager draws around `window` (all 0
    until it has framed the window, and on a desktop that draws none)."""
    frame, inner = window.frameGeometry(), window.geometry()
    return (inner.x() - frame.x(), inner.y() - frame.y(), frame.right() - inner.right(),
            frame.bottom() - inner.bottom())


def place_windows(hall: Hall, area: Any) -> Tiling:
    """Tile the four windows over `area` (the screen's free area, without panels), frames
    included: no overlap, nothing left uncovered, each window at least its minimum size when
    the screen has room for that."""
    windows = [hall.kiosk_window, hall.board.window, *(c.window for c in hall.counters)]
    margins = [frame_margins(w) for w in windows]
    mins = [(w.minimumWidth() + left + right, w.minimumHeight() + top + bottom)
            for w, (left, top, right, bottom) in zip(windows, margins, strict=True)]
    tiling = tile(Box(area.x(), area.y(), area.width(), area.height()), mins[0], mins[1],
                  mins[2:])
    boxes = [tiling.kiosk, tiling.board, *tiling.counters]
    for w, (left, top, right, bottom), box in zip(windows, margins, boxes, strict=True):
        w.move(box.x, box.y)  # a window's position is its frame's, its size is without it
        w.resize(max(box.width - left - right, 1), max(box.height - top - bottom, 1))
    return tiling


def place_when_framed(hall: Hall, screen: Any) -> Any:
    """Place the windows now, and again each time the window manager's frames around them
    change: their sizes are known only once the windows are shown and framed. Stops when all
    are framed, or after FRAME_WAIT_MS on a desktop that draws none; then says, once, when
    the screen is too small for the windows' minimum sizes. Returns the timer (keep it)."""
    from PySide6.QtCore import QTimer

    windows = hall.windows()
    tiling = place_windows(hall, screen.availableGeometry())
    placed_with = [frame_margins(w) for w in windows]
    timer = QTimer()
    timer.setInterval(FRAME_POLL_MS)
    deadline = time.monotonic() + FRAME_WAIT_MS / 1000

    def check() -> None:
        nonlocal tiling, placed_with
        margins = [frame_margins(w) for w in windows]
        if margins != placed_with:
            placed_with = margins
            tiling = place_windows(hall, screen.availableGeometry())
        if not all(any(m) for m in margins) and time.monotonic() < deadline:
            return
        timer.stop()
        if not tiling.fits:
            area = screen.availableGeometry()
            say(f"antrean demo: the screen's free area ({area.width()}x{area.height()}) is "
                f"smaller than the four windows need ({tiling.needs[0]}x{tiling.needs[1]}), "
                f"so they overlap; move them by hand or use a bigger screen")

    timer.timeout.connect(check)
    timer.start()
    return timer


def run_windows(options: DemoOptions) -> int:
    config = options.config
    plan = make_plan(config)
    clock, clock_note = windowed_clock(config, plan)
    options, web_sock = reserve_web(options)
    config = options.config
    prepare_data_dir(options.data)
    app = qt_application()
    with contextlib.ExitStack() as stack:
        stack.enter_context(flushed_qt_objects())
        hub = start_hub(options, clock)
        stack.callback(hub.stop)
        hall = build_hall(config, plan, clock, hub, options.data, scripted=False)
        stack.pop_all()
        stack.enter_context(flushed_qt_objects())
        stack.callback(hall.close)
        web = start_web(hall, web_sock, clock, options.data)
        if web is not None:
            stack.callback(web.stop)
        describe(hall, options, clock_note)
        describe_web(config, web)
        for window in hall.windows():
            window.show()
        screen = app.primaryScreen()
        if screen is not None:
            placing = place_when_framed(hall, screen)
            stack.callback(placing.stop)
        say("The hall is open: take a number at the kiosk, sign in at a counter and call it. "
            "Close the windows (or press Ctrl+C here) to stop.")
        from shared.station.startup import stop_on_signals

        # Ctrl+C and SIGTERM close the hall like closing its windows does.
        code = stack.enter_context(stop_on_signals(app)).exec()
    say("antrean demo: the hall is closed")
    return code


def has_screen() -> bool:
    """Whether windows can be shown: a Wayland or X11 display on Linux and other Unixes
    (Windows and macOS always have one), unless Qt was told to draw offscreen."""
    import os

    if os.environ.get("QT_QPA_PLATFORM", "").split(":")[0] in ("offscreen", "minimal"):
        return False
    if sys.platform.startswith(("win", "darwin")):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
