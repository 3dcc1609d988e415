"""The web station's HTTP side: pages rendered from the replica with Jinja2, and one
server-sent-events stream per open page that sends the page's live part again whenever the
replica changed (the same template renders the first page and every update, so a page without
JavaScript shows exactly what a live one does).

Pages: `/t/{ticket_id}-{secret}` (my ticket), `/papan` (the hall board; `?zone=`,
`?agencies=A,B`), `/loket/{n}` (the screen above a loket), `/` (today's overview). `?lang=en`
switches any of them to English."""

from __future__ import annotations

import json
import logging
import socket
import ssl
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp_jinja2
import jinja2
from aiohttp import web
from aiohttp_sse import sse_response

from shared.zones import BoardFilterError, select_agencies
from web import facts as f
from web import petugas, skm
from web.i18n import Words
from web.secure import PROXY, client_address
from web.station import WebStation
from web.voice import Voice, VoiceUnavailable

log = logging.getLogger(__name__)

STATION = web.AppKey("station", WebStation)
HERE = Path(__file__).parent

# A live page hears from its stream at least this often (the time moves the estimates, and
# a proxy that drops quiet connections is kept busy); the browser reconnects by itself after
# RETRY_MS when the stream breaks (the web station restarted).
REFRESH_SECONDS = 20.0
RETRY_MS = 2000

SECURITY_HEADERS = {
    # Our own files only: no inline script, nothing from elsewhere.
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; object-src 'none'; "
                               "base-uri 'none'; frame-ancestors 'none'",
    # The ticket's address holds its secret: never hand it to another site.
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
}


class RateLimiter:
    """A token bucket per client address: `per_minute` requests a minute, in bursts of as
    many. Behind a reverse proxy every phone shares the proxy's address, so there the limit
    is set high or the proxy limits instead (docs/install-id.md)."""

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.capacity = float(per_minute)
        self.rate = per_minute / 60.0
        self.clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}

    def allow(self, address: str) -> bool:
        now = self.clock()
        tokens, at = self._buckets.get(address, (self.capacity, now))
        tokens = min(self.capacity, tokens + (now - at) * self.rate)
        if len(self._buckets) > 50_000:  # forget full buckets rather than grow without end
            self._buckets = {k: v for k, v in self._buckets.items()
                             if v[0] + (now - v[1]) * self.rate < self.capacity}
        if tokens < 1.0:
            self._buckets[address] = (tokens, now)
            return False
        self._buckets[address] = (tokens - 1.0, now)
        return True


LIMITER = web.AppKey("limiter", RateLimiter)
VOICE = web.AppKey("voice", Voice)


@dataclass
class Live:
    """One page's live part: its template and what it shows, and the state its script acts on."""

    template: str
    context: dict[str, Any]
    state: dict[str, Any]


# A builder gets the request, the words and a dict of its own for the request's lifetime (a
# live stream renders many times from one request).
Builder = Callable[[web.Request, Words, dict[str, Any]], Live | None]


def words(request: web.Request) -> Words:
    return Words.of(request.query)


def lang_query(t: Words, **extra: str) -> str:
    """The query string that keeps the page's language (and its filters)."""
    params = {k: v for k, v in extra.items() if v}
    if t.lang != "id":
        params["lang"] = t.lang
    return ("?" + urlencode(params)) if params else ""


# --- what each page shows -----------------------------------------------------------------------


def ticket_live(request: web.Request, t: Words, scratch: dict[str, Any]) -> Live | None:
    station = request.app[STATION]
    # The secret is checked once per request; a live stream's later renders need only the id.
    known = scratch.get("ticket_id")
    ticket = (station.reader.ticket(known) if known else
              f.find_ticket(station.reader, request.match_info["ref"]))
    if ticket is None:
        return None
    scratch["ticket_id"] = ticket.ticket_id
    facts = f.ticket_facts(station.reader, ticket, station.now(), t, station.now_serving)
    survey = skm.ticket_offer(station, ticket, request.match_info["ref"], t.lang)
    return Live("_ticket.html", {"ticket": facts, "survey": survey}, facts.state())


def board_live(request: web.Request, t: Words, scratch: dict[str, Any]) -> Live | None:
    station = request.app[STATION]
    agencies = board_agencies(request)
    if agencies is None:
        return None
    board = f.board_facts(station.reader, agencies, station.today())
    state = {"seq": board.current.seq if board.current else 0,
             "label": board.current.label if board.current else "",
             "counter": board.current.counter if board.current else ""}
    return Live("_papan.html", {"board": board}, state)


def board_agencies(request: web.Request) -> list[str] | None:
    config = request.app[STATION].config
    given = request.query.get("agencies")
    codes = [c for c in given.split(",") if c.strip()] if given else None
    try:
        return select_agencies(config, codes, request.query.get("zone") or None)
    except BoardFilterError:
        return None


def loket_live(request: web.Request, t: Words, scratch: dict[str, Any]) -> Live | None:
    station = request.app[STATION]
    try:
        number = int(request.match_info["number"])
    except ValueError:
        return None
    loket = f.loket_facts(station.reader, number, t)
    if loket is None:
        return None
    return Live("_loket.html", {"loket": loket}, {"state": loket.state, "label": loket.label})


def overview_live(request: web.Request, t: Words, scratch: dict[str, Any]) -> Live | None:
    station = request.app[STATION]
    return Live("_overview.html", {"overview": f.overview_facts(station.reader, station.now(), t)},
                {})


def skm_loket_live(request: web.Request, t: Words, scratch: dict[str, Any]) -> Live | None:
    """The counter's survey screen (/skm/loket/N) between surveys, as web.skm renders it."""
    station = request.app[STATION]
    try:
        number = int(request.match_info["number"])
    except ValueError:
        return None
    if number not in station.config.counters:
        return None
    words_skm = skm.Words(t.lang)
    screen = skm.loket_screen(station, number, words_skm)
    return Live("_skm_loket.html", {"s": screen, "t": words_skm},
                {"kind": screen.kind, "ticket": screen.state})


PAGES: dict[str, tuple[Builder, str, str]] = {
    # kind: (builder, page template, title key)
    "ticket": (ticket_live, "ticket.html", "title_ticket"),
    "papan": (board_live, "papan.html", "title_board"),
    "loket": (loket_live, "loket.html", "title_board"),
    "overview": (overview_live, "overview.html", "title_overview"),
    # Its page is web.skm's; only the live stream is served from here.
    "skm_loket": (skm_loket_live, "skm.html", "skm_title"),
}


def common(request: web.Request, t: Words) -> dict[str, Any]:
    station = request.app[STATION]
    return {"t": t, "lang": t.lang, "mpp": station.config.mpp,
            "stale": f.stale_text(station.config, station.stale_since, t)}


def render_live(request: web.Request, live: Live, t: Words) -> str:
    return aiohttp_jinja2.render_string(live.template, request,
                                        {**common(request, t), **live.context})


def page_handler(kind: str) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    builder, template, title = PAGES[kind]

    async def handler(request: web.Request) -> web.StreamResponse:
        t = words(request)
        live = builder(request, t, {})
        if live is None:
            raise web.HTTPNotFound()
        filters = {k: request.query.get(k, "") for k in ("zone", "agencies", "suara")}
        here = request.path
        context = {
            **common(request, t), **live.context, "title": t(title),
            "suara": kind == "papan" and request.query.get("suara") == "1",
            "live_html": render_live(request, live, t), "state": json.dumps(live.state),
            "live_url": "/live" + (here if here != "/" else "/") + lang_query(t, **filters),
            "other_lang": here + lang_query(t.other(), **filters),
        }
        return aiohttp_jinja2.render_template(template, request, context)

    return handler


def live_handler(kind: str) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    builder = PAGES[kind][0]

    async def handler(request: web.Request) -> web.StreamResponse:
        t = words(request)
        station = request.app[STATION]
        scratch: dict[str, Any] = {}
        if builder(request, t, scratch) is None:
            raise web.HTTPNotFound()
        sent: str | None = None
        seen = -1
        async with sse_response(request, headers={"Cache-Control": "no-store"}) as resp:
            while resp.is_connected():
                seen = await station.changes.wait(seen, REFRESH_SECONDS) if sent else (
                    station.changes.version)
                live = builder(request, t, scratch)
                if live is None:  # the ticket left the replica (a restored hub): stop
                    break
                payload = json.dumps({"html": render_live(request, live, t),
                                      "state": live.state,
                                      "stale": f.stale_text(station.config,
                                                            station.stale_since, t)})
                if payload != sent:
                    try:
                        await resp.send(payload, event="page", retry=RETRY_MS)
                    except (ConnectionError, RuntimeError):
                        break
                    sent = payload
        return resp

    return handler


# --- middlewares --------------------------------------------------------------------------------


@web.middleware
async def guard(request: web.Request,
                handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
                ) -> web.StreamResponse:
    """Rate limit per client address, the plain error pages, and the security headers."""
    t = words(request)
    if request.path != "/health" and not request.app[LIMITER].allow(client_address(request)):
        response: web.StreamResponse = error_page(request, t, 429, "too_many_title", "too_many")
        response.headers["Retry-After"] = "10"
    else:
        try:
            response = await handler(request)
        except web.HTTPNotFound:
            response = error_page(request, t, 404, "not_found_title", "not_found")
        except web.HTTPMethodNotAllowed:
            response = error_page(request, t, 405, "not_found_title", "not_found")
    if not response.prepared:
        response.headers.update(SECURITY_HEADERS)
        if not request.path.startswith("/static/"):
            response.headers.setdefault("Cache-Control", "no-store")
    return response


def error_page(request: web.Request, t: Words, status: int, title: str, text: str
               ) -> web.Response:
    """No hint of what was wrong (the number, the secret, or both)."""
    return aiohttp_jinja2.render_template(
        "error.html", request, {"t": t, "lang": t.lang, "title": t(title), "text": t(text)},
        status=status)


async def static_cache(request: web.Request, response: web.StreamResponse) -> None:
    if request.path.startswith("/static/"):
        response.headers["Cache-Control"] = "public, max-age=3600"


async def announcement(request: web.Request) -> web.StreamResponse:
    """A call's announcement as the Qt board plays it (`/papan?suara=1` asks for it)."""
    voice = request.app[VOICE]
    call = voice.call(int(request.match_info["seq"]))
    if call is None:
        raise web.HTTPNotFound()
    try:
        path = await voice.wav(call)
    except VoiceUnavailable:
        raise web.HTTPServiceUnavailable() from None
    return web.FileResponse(path, headers={"Content-Type": "audio/wav",
                                           "Cache-Control": "public, max-age=86400"})


async def health(request: web.Request) -> web.Response:
    """For the hall's monitoring (and the tests): whether the data is current, and how far
    the replica is. Outside the rate limit; it renders nothing."""
    station = request.app[STATION]
    return web.json_response({"current": station.stale_since is None,
                              "last_seq": station.replica.last_seq})


def build_app(station: WebStation, rate_per_minute: int = 120, proxy: str = "",
              idle_seconds: float = petugas.IDLE_SIGN_OUT_S) -> web.Application:
    app = web.Application(middlewares=[guard])
    app[STATION] = station
    app[PROXY] = proxy
    app[LIMITER] = RateLimiter(rate_per_minute)
    replica = station.replica.path
    app[VOICE] = Voice(station, replica.with_name(f"{replica.stem}-voice"))
    aiohttp_jinja2.setup(app, loader=jinja2.FileSystemLoader(HERE / "templates"),
                         autoescape=jinja2.select_autoescape(["html"]),
                         trim_blocks=True, lstrip_blocks=True)
    app.on_response_prepare.append(static_cache)
    app.router.add_get("/health", health)
    app.router.add_get("/", page_handler("overview"))
    app.router.add_get("/t/{ref}", page_handler("ticket"))
    app.router.add_get("/papan", page_handler("papan"))
    app.router.add_get("/loket/{number}", page_handler("loket"))
    app.router.add_get(r"/suara/{seq:\d{1,12}}.wav", announcement)
    app.router.add_get("/live/", live_handler("overview"))
    app.router.add_get("/live/t/{ref}", live_handler("ticket"))
    app.router.add_get("/live/papan", live_handler("papan"))
    app.router.add_get("/live/loket/{number}", live_handler("loket"))
    app.router.add_get("/live/skm/loket/{number}", live_handler("skm_loket"))
    skm.add_routes(app, station)  # /skm/t/{ref}, /skm/loket/{n}: the SKM survey
    petugas.setup(app, station, idle_seconds)  # /petugas: the counter in a browser
    app.router.add_static("/static/", HERE / "static", append_version=False)
    return app


async def serve(station: WebStation, host: str, port: int, rate_per_minute: int,
                sock: socket.socket | None = None, ssl_context: ssl.SSLContext | None = None,
                proxy: str = "", idle_seconds: float = petugas.IDLE_SIGN_OUT_S
                ) -> web.AppRunner:
    """Serve the pages on host:port, or on `sock`, a socket already bound (`antrean demo`
    binds it first: the hall config's public_url must name the port before the hub starts);
    over HTTPS with `ssl_context`. `proxy`: the trusted reverse proxy's address."""
    # A phone that goes away cancels its live stream's handler at once, instead of at the
    # stream's next write.
    runner = web.AppRunner(build_app(station, rate_per_minute, proxy, idle_seconds),
                           access_log=None,
                           handle_signals=False, handler_cancellation=True)
    await runner.setup()
    try:
        site: web.BaseSite = (web.SockSite(runner, sock, ssl_context=ssl_context)
                              if sock is not None
                              else web.TCPSite(runner, host, port, ssl_context=ssl_context))
        await site.start()
    except BaseException:
        await runner.cleanup()
        raise
    return runner
