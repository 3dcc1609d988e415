"""`/petugas`: the counter in a browser, for the agencies' own laptops.

Trust stays at the hub. A browser is nobody until IT enrols it: the officer types a one-time
code (`antrean hub stations code NAME --counter N`), this station redeems it with the hub
(POST /enrol, shared.hub.enrolment) and keeps the new counter station's token in the browser's
HTTP-only cookie. For each enrolled browser this station opens a hub connection of its own
with that token (`Device`, one HubClient each, closed when idle), so every command reaches the
hub as that counter station: the hub checks the token, the counter it is bound to and the
officer's PIN (with its throttle), revokes it live (close 4004) and names the officer of every
command from its own sign-in, never from anything the browser sends.

Never two tickets: a press carries a command id (made when the form is rendered; the page's
script makes one per press), a second press while one is in flight is refused here, and a
command whose reply was lost is resent by the HubClient with the same id, which the ledger
answers with its first result. The screen is read from this station's replica, like every
other page; the same rules as the Qt counter decide which actions are on
(shared.counter_rules).

Plain forms (POST, then a redirect to the page) work without JavaScript; /static/petugas.js
adds the keys, presses without a reload and the live part over server-sent events.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import hmac
import json
import logging
import re
import secrets
import time
import uuid
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import aiohttp
import aiohttp_jinja2
from aiohttp import web
from aiohttp_sse import sse_response
from multidict import MultiDictProxy

from shared import counter_rules as r
from shared.clock import to_ms
from shared.ledger import model as m
from shared.ledger.model import Result
from shared.station.client import HubClient
from shared.station.follower import http_url
from web.secure import is_https
from web.station import WebStation

log = logging.getLogger(__name__)

COOKIE = "antrean_petugas"  # the device's station token
CSRF_COOKIE = "antrean_petugas_csrf"
COOKIE_DAYS = 400  # browsers cap a cookie's life near this; IT revokes, not the calendar
IDLE_SIGN_OUT_S = r.IDLE_SIGN_OUT_S  # the idle sign-out's rule is the Qt counter's too
# A device's hub connection is closed when no page of it has been open for this long (the
# hub keeps the officer seated; the next visit connects again and resumes them).
CONNECTION_IDLE_S = 5 * 60
SWEEP_S = 15.0
REPLY_WAIT_S = 15.0  # the page's wait for the hub's answer (the client resends meanwhile)
LIVE_TICK_S = 1.0  # the timers move every second
REPEAT_GUARD_S = 1.0  # call_next right after a call is an impatient repeat (as the Qt counter)

KEYS_JSON = json.dumps(r.DEFAULT_KEYS)
KEY_WORDS = {action: " ".join(keys) for action, keys in r.DEFAULT_KEYS.items()}
LABELS = {
    r.CALL_NEXT: "Panggil berikutnya", r.RECALL: "Panggil ulang", r.START: "Mulai layani",
    r.FINISH: "Selesai", r.NO_SHOW: "Tidak hadir", r.TRANSFER: "Alihkan",
    r.RETURN_NO_SHOW: "Kembalikan", r.PAUSE: "Istirahat", r.OPEN: "Buka loket",
    r.CLOSE: "Tutup loket", r.SIGN_OUT: "Keluar", r.CHECK_PRIORITY: "Cek prioritas",
}
OFFLINE = "Tidak terhubung ke server antrean. Semua tombol dinonaktifkan sampai tersambung lagi."
REVOKED = ("Perangkat ini sudah dicabut oleh petugas TI dan tidak dapat dipakai lagi. Minta "
           "kode pendaftaran baru bila perlu.")
BUSY = "Perintah sebelumnya masih diproses. Tunggu sebentar."
NO_REPLY = "Server antrean belum menjawab. Perintah dikirim ulang otomatis; jangan ditekan lagi."


@dataclass
class Device:
    """One enrolled browser (its token), with its own hub connection."""

    token: str
    client: HubClient
    started: asyncio.Task[None] | None = None
    # The officer as this station's own sign-in/out replies say; None until one came (the
    # replica's record of the hub's seat is read until then).
    decided: bool = False
    pending: dict[str, asyncio.Task[Result]] = field(default_factory=dict)
    busy: str | None = None
    message: tuple[str, str] | None = None  # (text, kind) for the message line
    last_press: float = field(default_factory=time.monotonic)
    last_seen: float = field(default_factory=time.monotonic)
    last_call_at: float | None = None
    streams: int = 0
    officer_name: str | None = None  # the name the hub greeted the officer by
    # Signed in with a temporary PIN (after a reset): that PIN, in memory only, for
    # change_pin's old_pin, until the officer chose their own (or signed out).
    temporary_pin: str | None = None
    # The latest presses' ids: one sent again is sent to the hub again as it was.
    answered: deque[str] = field(default_factory=lambda: deque(maxlen=64))

    @property
    def name(self) -> str | None:
        w = self.client.welcome
        return w.station if w else None

    @property
    def counter(self) -> int | None:
        w = self.client.welcome
        return w.counter if w else None

    @property
    def online(self) -> bool:
        return self.client.connected.is_set()


class Devices:
    def __init__(self, station: WebStation, idle_seconds: float = IDLE_SIGN_OUT_S) -> None:
        self.station = station
        self.idle_seconds = idle_seconds
        # Looked at often enough that an idle officer is signed out within a quarter of the
        # idle time after it passed (every 15 s at the default half hour). 0: never.
        self.sweep_seconds = min(SWEEP_S, idle_seconds / 4) if idle_seconds > 0 else SWEEP_S
        self._devices: dict[str, Device] = {}
        self._sweeper: asyncio.Task[None] | None = None
        # A web station always follows a hub; some unit tests build its app without one.
        hub = station.client
        self.hub_url = hub.url if hub else ""
        self.pin = hub.pin if hub else None
        self.web_token = hub.token if hub else ""

    def device(self, token: str) -> Device:
        dev = self._devices.get(token)
        if dev is None:
            client = HubClient(self.hub_url, token, fingerprint=self.pin,
                               clock=self.station.clock,
                               start_seq=self.station.replica.last_seq)
            dev = self._devices[token] = Device(token, client)
            dev.started = asyncio.create_task(self._start(dev))
            if self._sweeper is None:
                self._sweeper = asyncio.create_task(self._sweep())
        dev.last_seen = time.monotonic()
        return dev

    async def _start(self, dev: Device) -> None:
        with contextlib.suppress(Exception):  # offline or refused: the page says which
            await dev.client.start(timeout=3.0)

    async def ready(self, dev: Device, timeout: float = 3.0) -> None:
        """Wait a moment for the first welcome (or refusal) of a new device's connection."""
        if dev.started is not None and not dev.started.done():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(dev.started), timeout)

    async def redeem(self, code: str) -> tuple[str | None, str]:
        """(token, message): the hub's answer to a one-time code."""
        ssl: aiohttp.Fingerprint | bool = (aiohttp.Fingerprint(bytes.fromhex(self.pin))
                                           if self.pin else True)
        try:
            async with aiohttp.ClientSession() as session, session.post(
                    http_url(self.hub_url) + "/enrol", json={"code": code}, ssl=ssl,
                    headers={"Authorization": f"Bearer {self.web_token}"},
                    timeout=aiohttp.ClientTimeout(total=10)) as resp:
                body = await resp.json(content_type=None)
        except (aiohttp.ClientError, TimeoutError, ValueError) as e:
            log.warning("enrolment code not redeemed: hub unreachable (%s)", e)
            return None, "Server antrean tidak dapat dihubungi. Coba lagi sebentar lagi."
        if resp.status == 200 and isinstance(body, dict) and isinstance(body.get("token"), str):
            log.info("browser enrolled as %s (counter %s)", body.get("station"),
                     body.get("counter"))
            return body["token"], f"Perangkat terdaftar sebagai {body.get('station')}."
        pesan = body.get("pesan") if isinstance(body, dict) else None
        log.warning("enrolment code refused: %s", body)
        return None, str(pesan or "Kode pendaftaran ditolak.")

    async def press(self, dev: Device, kind: str, args: dict[str, Any], cid: str,
                    sign_in: tuple[str, str] | None = None) -> tuple[bool, str]:
        """Send one command (or the sign-in) with the press's id; (ok, message)."""
        dev.last_press = time.monotonic()
        task = dev.pending.get(cid)
        again = cid in dev.answered  # a resent form: the hub answers it with its first result
        if task is None:
            if dev.pending:
                return False, BUSY
            if (kind == r.CALL_NEXT and not again and dev.last_call_at is not None
                    and time.monotonic() - dev.last_call_at < REPEAT_GUARD_S):
                return False, ""
            if not dev.online:
                return False, OFFLINE
            if sign_in is not None:
                officer, pin = sign_in
                coro = dev.client.sign_in(officer, pin, args["counter"], command_id=cid,
                                          timeout=3600)
            else:
                coro = dev.client.command(kind, args, command_id=cid, timeout=3600)
            task = dev.pending[cid] = asyncio.create_task(coro)
            dev.busy = kind
            task.add_done_callback(lambda _t: self._finished(dev, cid, kind))
        try:
            result = await asyncio.wait_for(asyncio.shield(task), REPLY_WAIT_S)
        except TimeoutError:
            return False, NO_REPLY
        if (kind == r.SIGN_IN and sign_in is not None and result.ok
                and result.value.get(r.PIN_CHANGE_REQUIRED)):
            dev.temporary_pin = sign_in[1]
        return self._said(dev, kind, args, result)

    def _finished(self, dev: Device, cid: str, kind: str) -> None:
        dev.pending.pop(cid, None)
        dev.answered.append(cid)
        dev.busy = None
        self.station.changes.bump()

    def _said(self, dev: Device, kind: str, args: dict[str, Any], result: Result
              ) -> tuple[bool, str]:
        if not result.ok:
            text = result.refusal.pesan if result.refusal else "Perintah ditolak."
            dev.message = (text, r.ERROR)
            return False, text
        ticket = result.value.get("ticket") if result.value else None
        label = ticket["label"] if ticket else None
        if kind == r.SIGN_IN:
            dev.decided = True
            dev.officer_name = str(result.value.get("officer_name") or "") or None
            text = (r.PIN_CHANGE_ASKED if dev.temporary_pin is not None else
                    f"Selamat bertugas, {dev.officer_name or dev.client.officer}.")
        elif kind == r.CHANGE_PIN:
            dev.temporary_pin = None
            text = (f"PIN baru disimpan. Selamat bertugas, "
                    f"{dev.officer_name or dev.client.officer}.")
        elif kind == r.SIGN_OUT:
            dev.decided = True
            dev.temporary_pin = None
            text = "Anda sudah keluar."
        elif kind == r.CALL_NEXT:
            dev.last_call_at = time.monotonic()
            text = f"Memanggil {label}." if label else "Tidak ada yang menunggu."
        else:
            # Another press after the call: the next call is no impatient repeat of it.
            dev.last_call_at = None
            text = r.done_text(kind, label, args, self.station.config)
        dev.message = (text, r.DONE)
        return True, text

    async def _sweep(self) -> None:
        while True:
            # A housekeeping period, not a wait for a condition.
            await asyncio.sleep(self.sweep_seconds)
            now = time.monotonic()
            for token, dev in list(self._devices.items()):
                serving = (dev.counter is not None
                           and self.station.reader.active_ticket(dev.counter) is not None)
                if serving:
                    # A visitor at the counter: the idle time starts when they have left.
                    dev.last_press = now
                if r.idle_sign_out_due(self.idle_seconds, now - dev.last_press,
                                       signed_in=officer_of(self.station, dev) is not None,
                                       online=dev.online, busy=bool(dev.pending),
                                       ticket_at_counter=serving):
                    log.info("signing %s out after %s idle", dev.name,
                             r.idle_text(self.idle_seconds))
                    ok, _said = await self.press(dev, r.SIGN_OUT, {"counter": dev.counter},
                                                 uuid.uuid4().hex)
                    if ok:  # a refusal stays on the message line as the hub said it
                        dev.message = (r.idle_signed_out_text(self.idle_seconds), r.INFO)
                if (dev.streams == 0 and not dev.pending
                        and now - dev.last_seen > CONNECTION_IDLE_S):
                    del self._devices[token]
                    await dev.client.close()

    async def close(self) -> None:
        if self._sweeper is not None:
            self._sweeper.cancel()
        for dev in self._devices.values():
            await dev.client.close()
        self._devices.clear()


def officer_of(station: WebStation, dev: Device) -> str | None:
    if dev.decided or dev.client.officer is not None:
        return dev.client.officer
    seated = station.reader.resumable_officer(dev.name) if dev.name else None
    return seated[0] if seated else None


DEVICES = web.AppKey("petugas_devices", Devices)
STATION = web.AppKey("petugas_station", WebStation)


# --- what the screen shows -----------------------------------------------------------------------


def screen_facts(station: WebStation, dev: Device | None) -> dict[str, Any]:
    """Everything the live part renders: which screen, and on the counter screen what the Qt
    counter's CounterState holds."""
    if dev is None:
        return {"screen": "enrol"}
    if dev.client.refused is not None:
        return {"screen": "revoked", "text": REVOKED}
    if dev.counter is None:
        return {"screen": "connecting", "online": False}
    cfg = station.config
    counter = cfg.counters.get(dev.counter)
    if counter is None:
        return {"screen": "connecting", "online": False}
    officer = officer_of(station, dev)
    base = {"counter": counter, "online": dev.online, "busy": dev.busy,
            "message": dev.message, "device": dev.name, "alerts": (),
            "agency": cfg.agencies[counter.agency].short_name}
    now = station.now()
    day = cfg.service_day(now)
    base["alerts"] = tuple(station.reader.open_alerts(day))
    if officer is None:
        return {**base, "screen": "sign_in"}
    if dev.temporary_pin is not None:
        return {**base, "screen": "pin_change", "officer": officer,
                "officer_name": dev.officer_name}
    reader = station.reader
    now_ms = to_ms(now)
    view = reader.counter(counter.number)
    active = reader.active_ticket(counter.number)
    line = reader.waiting_line(counter.queues, day)
    no_shows = reader.no_shows(counter.queues, day)
    current = None
    if active is not None:
        svc = cfg.services.get(active.service)
        called = active.called_at if active.called_at is not None else now_ms
        serving = None if active.started_at is None else (now_ms - active.started_at) // 1000
        since_call = max(0, (now_ms - called) // 1000)
        shown = serving if serving is not None else since_call
        standard = svc.standard_minutes if svc else 0
        current = {
            "ticket": active, "service": svc.name if svc else active.service,
            "waited": r.minutes_text(max(0, (called - active.issued_at) // 1000)),
            "timer": r.clock_text(shown), "serving": serving is not None,
            "over": shown > standard * 60, "standard": standard,
            "priority_check": bool(active.priority) and active.priority_ok is None,
        }
    rows = reader.figures(day, officer=officer)
    served = sum(f.served for f in rows)
    weighted = [(f.avg_service_min, f.served) for f in rows
                if f.avg_service_min is not None and f.served]
    avg = (sum(a * n for a, n in weighted) / sum(n for _, n in weighted)) if weighted else None
    enabled = r.enabled_actions(view.status, active, bool(no_shows), dev.busy, dev.online,
                                True)
    targets = []
    counts: dict[str, int] = {}
    for svc in cfg.services.values():
        if active is not None and svc.code == active.service:
            continue
        if svc.queue not in counts:
            counts[svc.queue] = reader.waiting_count([svc.queue], day)
        targets.append({"code": svc.code, "name": svc.name,
                        "agency": cfg.agencies[svc.agency].short_name,
                        "waiting": counts[svc.queue], "own": svc.agency == counter.agency})
    targets.sort(key=lambda t: (not t["own"], str(t["agency"]).lower(), str(t["name"]).lower()))
    summaries = []
    for prefix in counter.queues:
        mine = [t for t in line if t.queue == prefix]
        oldest = min((t.issued_at for t in mine), default=None)
        summaries.append({"name": cfg.queues[prefix].name, "waiting": len(mine),
                          "longest": None if oldest is None
                          else r.minutes_text(max(0, (now_ms - oldest) // 1000))})
    return {
        **base, "screen": "counter", "officer": officer,
        "officer_name": dev.officer_name if dev.client.officer == officer else None,
        "status": view.status, "status_word": r.STATUS_WORDS.get(view.status, view.status),
        "current": current,
        "line": line[:12], "waiting": len(line), "summaries": summaries,
        "figures": {"served": served, "no_show": sum(f.no_show for f in rows),
                    "avg": None if avg is None else f"{avg:.1f}".replace(".", ",")},
        "no_shows": no_shows[:8], "enabled": enabled, "targets": targets,
    }


def state_of(facts: dict[str, Any]) -> dict[str, Any]:
    """What the page's script acts on: the screen and whether the buttons may be pressed."""
    return {"screen": facts["screen"], "online": facts.get("online", False),
            "busy": facts.get("busy"),
            "enabled": sorted(facts.get("enabled", ()))}


# --- handlers ------------------------------------------------------------------------------------


def _device(request: web.Request) -> Device | None:
    token = request.cookies.get(COOKIE)
    if not token or not 8 <= len(token) <= 200:
        return None
    return request.app[DEVICES].device(token)


def _csrf(request: web.Request) -> str:
    return request.cookies.get(CSRF_COOKIE) or request.get("new_csrf") or ""


def _cookie(response: web.StreamResponse, request: web.Request, name: str, value: str) -> None:
    # Strict: no other site's page can make the browser send it. Secure whenever the browser
    # came over HTTPS (served here, or through the trusted proxy), so it never leaves in clear.
    response.set_cookie(name, value, max_age=COOKIE_DAYS * 86400, httponly=True,
                        samesite="Strict", secure=is_https(request), path="/petugas")


def _render_live(request: web.Request, facts: dict[str, Any], cid: str | None = None) -> str:
    # `cid` is the press id of the page's plain forms (a resubmitted form without JavaScript
    # reuses it, and is done once). The script gives each press an id of its own.
    return aiohttp_jinja2.render_string("_petugas.html", request, {
        **facts, "labels": LABELS, "keys": KEY_WORDS, "csrf": _csrf(request),
        "cid": cid or uuid.uuid4().hex, "m": m})


# The texts that move with the clock alone (the ticket's timer, a queue's longest wait): each
# a <span data-tick> in _petugas.html.
TICKING = re.compile(r"(<span[^>]* data-tick[^>]*>)([^<]*)(</span>)")


def live_update(html: str, state: dict[str, Any], sent: tuple[str, str] | None
                ) -> tuple[str, str, tuple[str, str]] | None:
    """What the live stream sends after the last (`sent`: the page without its ticking texts,
    and those texts): nothing when nothing changed; only the ticking texts ("tick") when just
    the clock moved them; else the whole part ("page"). Replacing the buttons every second
    would swallow an officer's click whose press and release straddle the swap."""
    ticks = json.dumps([t.group(2) for t in TICKING.finditer(html)])
    shape = json.dumps({"html": TICKING.sub(r"\1\3", html), "state": state})
    if sent is not None and shape == sent[0]:
        if ticks == sent[1]:
            return None
        return "tick", ticks, (shape, ticks)
    return "page", json.dumps({"html": html, "state": state}), (shape, ticks)


async def page(request: web.Request) -> web.StreamResponse:
    station = request.app[STATION]
    dev = _device(request)
    if dev is not None:
        await request.app[DEVICES].ready(dev)
    new_csrf = None
    if not request.cookies.get(CSRF_COOKIE):
        new_csrf = request["new_csrf"] = secrets.token_urlsafe(24)
    facts = _with_code(request, screen_facts(station, dev))
    code = facts.get("code")
    response = aiohttp_jinja2.render_template("petugas.html", request, {
        "live_url": "/petugas/live" + (f"?{urlencode({'kode': code})}" if code else ""),
        "mpp": station.config.mpp, "title": "Loket petugas", "lang": "id",
        "live_html": _render_live(request, facts), "state": json.dumps(state_of(facts)),
        "panel": request.query.get("panel") == "1", "keys_json": KEYS_JSON})
    if new_csrf:
        _cookie(response, request, CSRF_COOKIE, new_csrf)
    return response


def _with_code(request: web.Request, facts: dict[str, Any]) -> dict[str, Any]:
    """The console's QR opens /petugas?kode=XXXX-XXXX: the enrolment form comes with the code
    typed in (the live stream's too), and the officer still presses Daftarkan (a GET never
    redeems it)."""
    code = "".join(ch for ch in request.query.get("kode", "") if ch.isalnum() or ch == "-")
    if facts["screen"] in ("enrol", "revoked") and code:
        return {**facts, "code": code[:12]}
    return facts


def _csrf_ok(request: web.Request, form: Any) -> bool:
    """Double submit: the form's copy must match the Strict cookie, which no other site's
    page can read or make the browser send; and a browser's Origin must be this station."""
    cookie = request.cookies.get(CSRF_COOKIE, "")
    given = str(form.get("csrf", ""))
    origin = request.headers.get("Origin")
    # "null": this station's own pages say Referrer-Policy: no-referrer, under which a browser
    # hides the origin of its form posts; the Strict cookie still proves where they came from.
    if origin not in (None, "null", f"{request.scheme}://{request.host}"):
        log.warning("refused a POST to %s from another origin (%s)", request.path, origin)
        return False
    if not cookie or not hmac.compare_digest(cookie.encode(), given.encode()):
        log.warning("refused a POST to %s without this page's CSRF token (%s)", request.path,
                    "no cookie" if not cookie else "not the cookie's")
        return False
    return True


def _answer(request: web.Request, ok: bool, text: str, status: int = 200) -> web.StreamResponse:
    """JSON for the page's script, else the redirect back to the page (POST-redirect-GET)."""
    if request.headers.get("Accept") == "application/json":
        return web.json_response({"ok": ok, "message": text}, status=status)
    if status >= 400:
        return web.Response(text=text, status=status, content_type="text/plain")
    raise web.HTTPSeeOther("/petugas?pesan=1" + ("&panel=1" if request.query.get("panel")
                                                 else ""))


CSRF_REFUSED = "Formulir kedaluwarsa atau bukan dari halaman ini. Muat ulang halaman."


async def enrol(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    if not _csrf_ok(request, form):
        return _answer(request, False, CSRF_REFUSED, 403)
    code = str(form.get("code", "")).strip()
    if not code or len(code) > 32:
        return aiohttp_jinja2.render_template("petugas.html", request, _enrol_again(
            request, "Isi kode pendaftaran dari petugas TI."), status=400)
    token, text = await request.app[DEVICES].redeem(code)
    if token is None:
        return aiohttp_jinja2.render_template("petugas.html", request,
                                              _enrol_again(request, text), status=400)
    response = web.HTTPSeeOther("/petugas")
    _cookie(response, request, COOKIE, token)
    raise response


def _enrol_again(request: web.Request, text: str) -> dict[str, Any]:
    facts = {"screen": "enrol", "message": (text, r.ERROR)}
    return {"mpp": request.app[STATION].config.mpp, "title": "Loket petugas", "lang": "id",
            "live_html": _render_live(request, facts), "state": json.dumps(state_of(facts)),
            "panel": False, "keys_json": KEYS_JSON}


Form = MultiDictProxy[Any]  # a POST's fields (aiohttp's request.post())
ButtonHandler = Callable[[web.Request, Device, Form], Awaitable[web.StreamResponse]]
NOT_ENROLLED = "Perangkat ini belum terdaftar."


def _counter_post(handler: ButtonHandler) -> Callable[[web.Request],
                                                        Awaitable[web.StreamResponse]]:
    """A counter's POST: `handler` runs only for a form from this page (its CSRF token) sent
    by an enrolled browser, and gets that browser's device."""

    @functools.wraps(handler)
    async def checked(request: web.Request) -> web.StreamResponse:
        form = await request.post()
        if not _csrf_ok(request, form):
            return _answer(request, False, CSRF_REFUSED, 403)
        dev = _device(request)
        if dev is None or dev.counter is None:
            return _answer(request, False, NOT_ENROLLED, 403)
        return await handler(request, dev, form)

    return checked


async def _press(request: web.Request, dev: Device, form: Form, kind: str,
                 args: dict[str, Any], sign_in: tuple[str, str] | None = None
                 ) -> web.StreamResponse:
    """Send the button's command under the press's id (the form's, so a resent form is the
    same press); a refusal stays on the page."""
    cid = str(form.get("cid", ""))[:64] or uuid.uuid4().hex
    ok, text = await request.app[DEVICES].press(dev, kind, args, cid, sign_in=sign_in)
    if not ok and text:
        dev.message = (text, r.ERROR)
    return _answer(request, ok, text)


@_counter_post
async def sign_in(request: web.Request, dev: Device, form: Form) -> web.StreamResponse:
    officer, pin = str(form.get("officer", "")).strip(), str(form.get("pin", ""))
    if not officer or not pin:
        dev.message = ("Isi ID petugas dan PIN.", r.ERROR)
        return _answer(request, False, dev.message[0])
    return await _press(request, dev, form, r.SIGN_IN, {"counter": dev.counter},
                        sign_in=(officer, pin))


@_counter_post
async def change_pin(request: web.Request, dev: Device, form: Form) -> web.StreamResponse:
    """The officer's own PIN, typed twice, for the temporary one they signed in with."""
    old = dev.temporary_pin
    if old is None:
        return _answer(request, False, "Tidak ada PIN sementara yang perlu diganti.")
    new, again = str(form.get("new_pin", "")), str(form.get("again_pin", ""))
    problem = r.new_pin_problem(new, again)
    if problem is not None:
        dev.message = (problem, r.ERROR)
        return _answer(request, False, problem)
    return await _press(request, dev, form, r.CHANGE_PIN, {"old_pin": old, "new_pin": new})


@_counter_post
async def action(request: web.Request, dev: Device, form: Form) -> web.StreamResponse:
    kind = str(form.get("action", ""))
    if kind not in r.ACTIONS:
        return _answer(request, False, "Tombol tidak dikenal.", 400)
    args: dict[str, Any] = {"counter": dev.counter}
    if kind == r.TRANSFER:
        args["service"] = str(form.get("service", ""))
    elif kind == r.RETURN_NO_SHOW:
        args["ticket"] = str(form.get("ticket", ""))
    elif kind == r.CHECK_PRIORITY:
        args["valid"] = form.get("valid") == "1"
    return await _press(request, dev, form, kind, args)


async def live(request: web.Request) -> web.StreamResponse:
    station = request.app[STATION]
    dev = _device(request)
    sent: tuple[str, str] | None = None
    seen = -1
    cid = uuid.uuid4().hex  # one for the stream's renders, so an unchanged part is not resent
    if dev is not None:
        dev.streams += 1
    try:
        async with sse_response(request, headers={"Cache-Control": "no-store"}) as resp:
            while resp.is_connected():
                if sent is not None:
                    seen = await station.changes.wait(seen, LIVE_TICK_S)
                else:
                    seen = station.changes.version
                if dev is not None:
                    dev.last_seen = time.monotonic()
                facts = _with_code(request, screen_facts(station, dev))
                update = live_update(_render_live(request, facts, cid), state_of(facts), sent)
                if update is not None:
                    event, payload, now_sent = update
                    try:
                        await resp.send(payload, event=event, retry=1000)
                    except (ConnectionError, RuntimeError):
                        break
                    sent = now_sent
    finally:
        if dev is not None:
            dev.streams -= 1
    return resp


def setup(app: web.Application, station: WebStation,
          idle_seconds: float = IDLE_SIGN_OUT_S) -> None:
    """Add /petugas to the web station's app (web.app.build_app)."""
    app[STATION] = station
    devices = Devices(station, idle_seconds)
    app[DEVICES] = devices

    async def close(_app: web.Application) -> None:
        await devices.close()

    app.on_cleanup.append(close)
    routes: list[tuple[str, str, Callable[[web.Request], Awaitable[web.StreamResponse]]]] = [
        ("GET", "/petugas", page), ("POST", "/petugas/daftar", enrol),
        ("POST", "/petugas/masuk", sign_in), ("POST", "/petugas/aksi", action),
        ("POST", "/petugas/pin", change_pin),
        ("GET", "/petugas/live", live),
    ]
    for method, path, handler in routes:
        app.router.add_route(method, path, handler)
