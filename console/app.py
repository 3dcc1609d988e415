"""The console's HTTP side: the sign-in page, the live hall (its live part re-rendered with one
template and sent over server-sent events after every change of the replica), the reports'
page and its downloads (console.reports), sign-out.

Every page but the sign-in page needs a session: a random id in an HTTP-only, Secure,
SameSite=Strict cookie, looked up in the account store's session table (console.accounts).
Every form carries a CSRF token and is refused without it: the sign-in form a random one
also set in a cookie (double submit), the others their session's own."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import hmac
import json
import logging
import secrets
import ssl
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp_jinja2
import jinja2
from aiohttp import web
from aiohttp_sse import sse_response

from console import audit
from console import facts as f
from console import reports as r
from console.accounts import ROLE_NAMES, AccountStore, Session
from console.directory import HubDirectory, station_rows
from console.i18n import Words
from shared.station import https
from shared.station.follower import Follower

log = logging.getLogger(__name__)

STATION = web.AppKey("station", Follower)
ACCOUNTS = web.AppKey("accounts", AccountStore)
# The hub's own records (stations, officers) as the console last asked them (console.directory).
DIRECTORY = web.AppKey("directory", HubDirectory)
PROXY = web.AppKey("proxy", str)  # the reverse proxy's address, or ""
HASHING = web.AppKey("hashing", asyncio.Semaphore)
REPORTING = web.AppKey("reporting", asyncio.Semaphore)  # reports computed at once, at most
REPORT_CACHE = web.AppKey("report_cache", r.ReportCache)
WARMING = web.AppKey("warming", asyncio.Task[None])
# The request's session, set by `guard` (None only on the public pages).
SESSION: web.RequestKey[Session | None] = web.RequestKey("session")
HERE = Path(__file__).parent
SESSION_COOKIE = "antrean_console"
SIGN_IN_COOKIE = "antrean_console_form"  # the sign-in form's CSRF token (double submit)
REFRESH_SECONDS = 20.0
RETRY_MS = 2000
PUBLIC = ("/masuk", "/health", "/static/")

SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; object-src 'none'; "
                               "base-uri 'none'; frame-ancestors 'none'; form-action 'self'",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
}

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def words(request: web.Request) -> Words:
    return Words.of(request.query)


def with_lang(path: str, t: Words) -> str:
    return path + ("?" + urlencode(t.query) if t.query else "")


def address(request: web.Request) -> str:
    """The client's address, for the throttle and the audit log. Behind the reverse proxy
    given with --proxy-address, the last address in its X-Forwarded-For (the one the proxy
    saw; earlier ones are the client's own say)."""
    return https.client_address(request.remote, request.app[PROXY], request.headers)


def redirect(location: str) -> web.Response:
    return web.Response(status=303, headers={"Location": location})


def set_cookie(response: web.StreamResponse, name: str, value: str) -> None:
    # Always Secure, over native HTTPS (--tls-cert), behind the HTTPS proxy and on plain
    # 127.0.0.1 alike (browsers keep a Secure cookie from http://127.0.0.1 only): a session
    # must never cross the office LAN in clear, so plain HTTP from another PC cannot sign in.
    response.set_cookie(name, value, httponly=True, secure=True, samesite="Strict", path="/")


def session_of(request: web.Request, touch: bool = True) -> Session | None:
    return request.app[ACCOUNTS].session(request.cookies.get(SESSION_COOKIE), touch=touch)


def signed_in(request: web.Request) -> Session:
    session = request[SESSION]
    assert session is not None  # `guard` lets no request without one reach the page
    return session


def common(request: web.Request, t: Words, session: Session | None) -> dict[str, Any]:
    station = request.app[STATION]
    here = request.path
    return {
        "t": t, "lang": t.lang, "mpp": station.config.mpp, "session": session,
        "role_name": t.pick(*ROLE_NAMES[session.user.role]) if session else "",
        "agency_name": (_agency_name(station, session.user.agency)
                        if session and session.user.agency else ""),
        "stale": stale_text(station, t), "here": here,
        "other_lang": with_lang(here, t.other()),
        "hall_url": with_lang("/aula", t), "reports_url": with_lang("/laporan", t),
        "audit_url": (with_lang("/audit", t)
                      if session and session.user.role in audit.ROLES else ""),
        "skm_url": with_lang("/skm", t),
        "config_url": with_lang("/konfigurasi", t),
    }


def _agency_name(station: Follower, code: str) -> str:
    a = station.config.agencies.get(code)
    return a.short_name if a else code


def stale_text(station: Follower, t: Words) -> str:
    since = station.stale_since
    if since is None:
        return ""
    return t("stale", time=f"{since.astimezone(station.config.tz):%H:%M}")


# --- signing in and out -------------------------------------------------------------------------


async def sign_in_page(request: web.Request) -> web.StreamResponse:
    if session_of(request) is not None:
        return redirect(with_lang("/aula", words(request)))
    return render_sign_in(request, words(request), "")


def render_sign_in(request: web.Request, t: Words, error: str, status: int = 200,
                   username: str = "") -> web.StreamResponse:
    token = secrets.token_urlsafe(32)
    response = aiohttp_jinja2.render_template(
        "masuk.html", request, {**common(request, t, None), "title": t("title_sign_in"),
                                "csrf": token, "error": error, "username": username,
                                "idle": request.query.get("idle") == "1"}, status=status)
    set_cookie(response, SIGN_IN_COOKIE, token)
    return response


async def sign_in(request: web.Request) -> web.StreamResponse:
    t = words(request)
    form = await request.post()
    username, password = str(form.get("username", "")), str(form.get("password", ""))
    # argon2 takes a tenth of a second of CPU: off the event loop (the live streams go on),
    # two at a time at most (a flood of sign-ins queues instead of taking every core).
    async with request.app[HASHING]:
        answer = await asyncio.to_thread(request.app[ACCOUNTS].sign_in, username, password,
                                         address(request))
    if answer.session_id is None:
        if answer.reason == "locked":
            minutes = max(1, int(answer.retry_after // 60 + (answer.retry_after % 60 > 0)))
            response = render_sign_in(request, t, t("locked", n=minutes), 429, username)
            response.headers["Retry-After"] = str(int(answer.retry_after) + 1)
            return response
        return render_sign_in(request, t, t("bad_sign_in"), 401, username)
    log.info("console: %s signed in from %s", username, address(request))
    response = redirect(with_lang("/aula", t))
    set_cookie(response, SESSION_COOKIE, answer.session_id)
    response.del_cookie(SIGN_IN_COOKIE, path="/")
    return response


async def sign_out(request: web.Request) -> web.StreamResponse:
    t = words(request)
    sid = request.cookies.get(SESSION_COOKIE)
    if sid:
        request.app[ACCOUNTS].sign_out(sid, address(request))
    response = redirect(with_lang("/masuk", t))
    response.del_cookie(SESSION_COOKIE, path="/")
    return response


# --- the pages ----------------------------------------------------------------------------------


def hall_context(request: web.Request, t: Words, session: Session) -> dict[str, Any]:
    station = request.app[STATION]
    hub = request.app[DIRECTORY]
    return {"hall": f.hall_facts(station.reader, station.now(), session.user, t,
                                 hub.officer_names()),
            "stations": station_rows(hub, station.config, session.user, t, station.now()),
            "stations_known": hub.fetched,
            "may_resolve": session.user.role in ("admin", "supervisor")}


def render_hall(request: web.Request, t: Words, session: Session) -> str:
    return aiohttp_jinja2.render_string(
        "_aula.html", request, {**common(request, t, session),
                                **hall_context(request, t, session)})


async def hall_page(request: web.Request) -> web.StreamResponse:
    t = words(request)
    session = signed_in(request)
    return aiohttp_jinja2.render_template(
        "aula.html", request, {**common(request, t, session), "title": t("title_hall"),
                               "live_html": render_hall(request, t, session),
                               "live_url": with_lang("/live/aula", t)})


async def hall_stream(request: web.Request) -> web.StreamResponse:
    """The live hall's part, sent again after each change (and every REFRESH_SECONDS, as the
    minutes move). The stream does not count as activity: a session idle too long ends, and
    the stream then tells the page to go to the sign-in page."""
    t = words(request)
    station = request.app[STATION]
    sent: str | None = None
    seen = -1
    async with sse_response(request, headers={"Cache-Control": "no-store"}) as resp:
        while resp.is_connected():
            seen = (await station.changes.wait(seen, REFRESH_SECONDS) if sent
                    else station.changes.version)
            session = session_of(request, touch=False)
            try:
                if session is None:
                    await resp.send(with_lang("/masuk", t) + ("&" if t.lang != "id" else "?")
                                    + "idle=1", event="signed_out", retry=RETRY_MS)
                    break
                payload = json.dumps({"html": render_hall(request, t, session),
                                      "stale": stale_text(station, t)})
                if payload != sent:
                    await resp.send(payload, event="page", retry=RETRY_MS)
                    sent = payload
            except (ConnectionError, RuntimeError):
                break
    return resp


async def reports_page(request: web.Request) -> web.StreamResponse:
    """The reports' page: the form (period, grouping, priority), the report's tables with
    their charts and the download links. A bad query: the form again with a plain message,
    HTTP 400, nothing computed."""
    t = words(request)
    session = signed_in(request)
    station = request.app[STATION]
    context: dict[str, Any] = {**common(request, t, session), "title": t("title_reports"),
                               "kinds": r.KINDS, "groups": r.GROUPS,
                               "priorities": list(r.PRIORITIES), "error": "", "report": None}
    try:
        query = r.parse(dict(request.query), station.now().astimezone(station.config.tz).date())
    except r.QueryError as e:
        context.update(error=t(e.key), form=dict(request.query))
        return aiohttp_jinja2.render_template("laporan.html", request, context, status=400)
    async with request.app[REPORTING]:
        report = await asyncio.to_thread(r.page, station.replica.path, station.config, query,
                                         _agencies(session), t.lang == "en",
                                         request.app[REPORT_CACHE],
                                         request.app[DIRECTORY].officer_names())
    context.update(form=query.form, report=report,
                   downloads=[(fmt.upper(), "/laporan/unduh?"
                               + query.query_string(format=fmt, **t.query))
                              for fmt in ("csv", "xlsx", "pdf")])
    return aiohttp_jinja2.render_template("laporan.html", request, context)


def _agencies(session: Session) -> frozenset[str] | None:
    user = session.user
    return frozenset({user.agency or ""}) if user.role == "coordinator" else None


async def report_download(request: web.Request) -> web.StreamResponse:
    """A report as CSV, XLSX or PDF (an attachment), each written to the audit log."""
    t = words(request)
    session = signed_in(request)
    station = request.app[STATION]
    fmt = request.query.get("format", "")
    try:
        if fmt not in r.CONTENT_TYPES:
            raise r.QueryError("report_bad_format")
        query = r.parse(dict(request.query), station.now().astimezone(station.config.tz).date())
    except r.QueryError as e:
        return error_page(request, t, 400, "report_refused", e.key)
    agencies = _agencies(session)
    async with request.app[REPORTING]:
        body = await asyncio.to_thread(r.download, station.replica.path, station.config, query,
                                       fmt, agencies, request.app[REPORT_CACHE],
                                       request.app[DIRECTORY].officer_names())
    name = r.filename(query, fmt, session.user.agency if agencies else None)
    request.app[ACCOUNTS].audit("export", session.user.username, address(request), True,
                                f"{name} {query.query_string()}")
    log.info("console: %s downloaded %s", session.user.username, name)
    return web.Response(body=body, headers={
        "Content-Type": r.CONTENT_TYPES[fmt],
        "Content-Disposition": f'attachment; filename="{name}"'})


async def audit_page(request: web.Request) -> web.StreamResponse:
    """The audit log (supervisor and admin only): filtered by who, what and when, a page at
    a time. A GET without side effects: no CSRF token."""
    t = words(request)
    session = signed_in(request)
    if session.user.role not in audit.ROLES:
        return error_page(request, t, 403, "forbidden_title", "audit_forbidden")
    station = request.app[STATION]
    context: dict[str, Any] = {**common(request, t, session), "title": t("title_audit"),
                               "error": "", "log": None, "form": dict(request.query),
                               "actions": request.app[ACCOUNTS].audit_actions()}
    try:
        query = audit.parse(dict(request.query), station.config.tz)
    except audit.AuditQueryError as e:
        context["error"] = t(e.key)
        return aiohttp_jinja2.render_template("audit.html", request, context, status=400)
    context.update(form=query.form,
                   log=audit.page(request.app[ACCOUNTS], query, station.config.tz, t.lang))
    return aiohttp_jinja2.render_template("audit.html", request, context)


async def root(request: web.Request) -> web.StreamResponse:
    return redirect(with_lang("/aula", words(request)))


async def health(request: web.Request) -> web.Response:
    station = request.app[STATION]
    return web.json_response({"current": station.stale_since is None,
                              "last_seq": station.replica.last_seq})


# --- middlewares --------------------------------------------------------------------------------


def csrf_ok(request: web.Request, form_token: str, session: Session | None) -> bool:
    if not form_token:
        return False
    expected = session.csrf if session else request.cookies.get(SIGN_IN_COOKIE, "")
    return bool(expected) and hmac.compare_digest(expected, form_token)


@web.middleware
async def guard(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Sessions (a page without one goes to the sign-in page), CSRF on every form, the plain
    error pages and the security headers."""
    t = words(request)
    public = request.path.startswith(PUBLIC)
    session = None if public else session_of(request, touch=not request.path.startswith("/live/"))
    try:
        if not public and session is None:
            if request.path.startswith("/live/"):
                raise _Done(web.Response(status=401, text="sign in first"))
            target = "/masuk" if SESSION_COOKIE not in request.cookies else "/masuk?idle=1"
            raise _Done(redirect(target if t.lang == "id" else
                                 target + ("&" if "?" in target else "?") + "lang=en"))
        request[SESSION] = session
        if request.method == "POST":
            form = await request.post()
            if not csrf_ok(request, str(form.get("csrf", "")), session):
                request.app[ACCOUNTS].audit("csrf_refused", session.user.username if session
                                            else "", address(request), False, request.path)
                response: web.StreamResponse = error_page(request, t, 403, "forbidden_title",
                                                          "csrf")
                raise _Done(response)
        response = await handler(request)
    except _Done as done:
        response = done.response
    except web.HTTPNotFound:
        response = error_page(request, t, 404, "not_found_title", "not_found")
    except web.HTTPMethodNotAllowed:
        response = error_page(request, t, 405, "not_found_title", "not_found")
    except web.HTTPRequestEntityTooLarge:
        # A form (a logo upload) above client_max_size: said plainly, nothing read or changed.
        response = error_page(request, t, 413, "forbidden_title", "too_large")
    except web.HTTPException as e:
        response = web.Response(status=e.status, headers=e.headers, text=e.text)
    if not response.prepared:
        response.headers.update(SECURITY_HEADERS)
        if not request.path.startswith("/static/"):
            response.headers["Cache-Control"] = "no-store"
    return response


class _Done(Exception):
    def __init__(self, response: web.StreamResponse) -> None:
        self.response = response


def error_page(request: web.Request, t: Words, status: int, title: str, text: str
               ) -> web.Response:
    return aiohttp_jinja2.render_template(
        "error.html", request, {"t": t, "lang": t.lang, "title": t(title), "text": t(text),
                                "mpp": request.app[STATION].config.mpp}, status=status)


WARM_EVERY_SECONDS = 60.0


def previous_month(today: dt.date) -> str:
    first = today.replace(day=1) - dt.timedelta(days=1)
    return f"{first:%Y-%m}"


async def warm_reports(app: web.Application) -> None:
    """Keep last month's report (per agency, every ticket: the monthly report to the Bupati)
    computed in the cache, so the first person to open it does not wait for a month of
    tickets to be folded. Once the replica is current, at most every WARM_EVERY_SECONDS; a
    report already cached for the replica's state costs two indexed queries."""
    station = app[STATION]
    seen, last = -1, -WARM_EVERY_SECONDS
    loop = asyncio.get_running_loop()
    while True:
        seen = await station.changes.wait(seen, WARM_EVERY_SECONDS)
        if station.stale_since is not None or loop.time() - last < WARM_EVERY_SECONDS:
            continue
        last = loop.time()
        today = station.now().astimezone(station.config.tz).date()
        query = r.parse({"periode": "bulan", "bulan": previous_month(today)}, today)
        async with app[REPORTING]:
            await asyncio.to_thread(r.page, station.replica.path, station.config, query,
                                    None, False, app[REPORT_CACHE])


async def _start_warming(app: web.Application) -> None:
    app[WARMING] = asyncio.create_task(warm_reports(app))


async def _stop_warming(app: web.Application) -> None:
    app[WARMING].cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await app[WARMING]


def build_app(station: Follower, accounts: AccountStore, proxy: str = "",
              warm: bool = False, logo_dir: Path | None = None) -> web.Application:
    """`warm`: keep last month's report computed (warm_reports); the console process does,
    tests that count what is computed do not. `logo_dir`: where uploaded agency logos are
    kept (console.config_structure)."""
    # A logo upload larger than the structure page accepts gets its own clear message there,
    # not aiohttp's bare 413: so the body limit is above that page's (512 KB).
    app = web.Application(middlewares=[guard], client_max_size=4 * 1024 * 1024)
    if warm:
        app.on_startup.append(_start_warming)
        app.on_cleanup.append(_stop_warming)
    app[STATION] = station
    app[ACCOUNTS] = accounts
    app[PROXY] = proxy
    app[HASHING] = asyncio.Semaphore(2)
    app[REPORTING] = asyncio.Semaphore(1)
    app[REPORT_CACHE] = r.ReportCache()
    aiohttp_jinja2.setup(app, loader=jinja2.FileSystemLoader(HERE / "templates"),
                         autoescape=jinja2.select_autoescape(["html"]),
                         trim_blocks=True, lstrip_blocks=True)
    app.router.add_get("/health", health)
    app.router.add_get("/", root)
    app.router.add_get("/masuk", sign_in_page)
    app.router.add_post("/masuk", sign_in)
    app.router.add_post("/keluar", sign_out)
    app.router.add_get("/aula", hall_page)
    app.router.add_get("/live/aula", hall_stream)
    app.router.add_get("/laporan", reports_page)
    app.router.add_get("/laporan/unduh", report_download)
    app.router.add_get("/audit", audit_page)
    from console import skm  # console.skm builds on this module's pages

    skm.add_routes(app)  # /skm, /skm/unduh: the SKM's IKM report
    from console import config_pages

    config_pages.add_routes(app)
    from console import config_editor

    config_editor.add_routes(app)  # /konfigurasi/ubah: the config editor
    from console import config_structure

    config_structure.add_routes(app, logo_dir)  # /konfigurasi/struktur: the hall's structure
    from console import config_hall

    config_hall.add_routes(app)  # /konfigurasi/aula: hours, breaks and the voice
    app.router.add_static("/static/", HERE / "static", append_version=False)
    # Imported here: console.manage builds on this module's helpers.
    from console import manage

    manage.setup(app, HubDirectory(station))
    return app


async def serve(station: Follower, accounts: AccountStore, host: str, port: int,
                proxy: str = "", logo_dir: Path | None = None,
                ssl_context: ssl.SSLContext | None = None) -> web.AppRunner:
    """Over HTTPS with `ssl_context` (`--tls-cert`); else plain, for 127.0.0.1 or a proxy."""
    runner = web.AppRunner(build_app(station, accounts, proxy, warm=True, logo_dir=logo_dir),
                           access_log=None,
                           handle_signals=False, handler_cancellation=True)
    await runner.setup()
    try:
        await web.TCPSite(runner, host, port, ssl_context=ssl_context).start()
    except BaseException:
        await runner.cleanup()
        raise
    return runner
