"""The console's pages for the hub's own records: stations (enrol — the token and the hub's
fingerprint shown once, also as a QR code —, a browser counter's one-time code, rename,
revoke) and officers (add, edit name and
agency, disable, enable, reset PIN, where each is signed in), for the `admin` role only; and
resolving an open alert from the live hall for the hall's people (admin, supervisor).

Every change goes to the hub as one of its own requests (docs/protocol.md section 5.5) over
the console's admin connection (console.directory), and into the console's audit log, done or
refused. The session's CSRF token guards every form (console.app's `guard`)."""

from __future__ import annotations

import base64
import logging
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

import aiohttp_jinja2
import qrcode
import qrcode.image.svg
from aiohttp import web

from console import app as a
from console.directory import HubDirectory, officer_rows, station_rows
from shared.hub.auth import ROLES
from shared.ledger.model import Result

log = logging.getLogger(__name__)

ALERT_RESOLVERS = ("admin", "supervisor")  # the people who see the hall's alerts


def directory(request: web.Request) -> HubDirectory:
    return request.app[a.DIRECTORY]


async def _form(request: web.Request) -> dict[str, str]:
    form = await request.post()
    return {k: str(v).strip() for k, v in form.items() if k != "csrf"}


def _refuse_role(request: web.Request, roles: tuple[str, ...]) -> web.Response | None:
    """403 for a person whose role may not use the page (written to the audit log)."""
    session = a.signed_in(request)
    if session.user.role in roles:
        return None
    request.app[a.ACCOUNTS].audit("refused", session.user.username, a.address(request), False,
                                  request.path)
    return a.error_page(request, a.words(request), 403, "forbidden_title", "admin_only")


def _done(request: web.Request, page: str, what: str, name: str) -> web.Response:
    t = a.words(request)
    query = {"selesai": what, "nama": name, **t.query}
    return a.redirect(f"{page}?{urlencode(query)}")


def _audit(request: web.Request, action: str, result: Result, detail: str) -> None:
    session = a.signed_in(request)
    why = "" if result.ok else f" refused: {result.refusal and result.refusal.message}"
    request.app[a.ACCOUNTS].audit(action, session.user.username, a.address(request),
                                  result.ok, detail + why)
    log.info("console: %s %s %s%s", session.user.username, action, detail, why)


def _refusal_text(request: web.Request, result: Result) -> str:
    assert result.refusal is not None
    return a.words(request).pick(result.refusal.pesan, result.refusal.message)


# --- stations -----------------------------------------------------------------------------------


def _stations_context(request: web.Request, **extra: Any) -> dict[str, Any]:
    t = a.words(request)
    session = a.signed_in(request)
    station = request.app[a.STATION]
    config = station.config
    return {**a.common(request, t, session), "title": t("title_stations"),
            "stations": station_rows(directory(request), config, session.user, t,
                                     station.now()),
            "fetched": directory(request).fetched, "roles": ROLES,
            "counters": sorted(config.counters.items()), "error": "", "enrolled": None,
            "form": {}, "done": _done_text(request), "browser_code": None, **extra}


def _done_text(request: web.Request) -> str:
    what = request.query.get("selesai", "")
    if what not in DONE_WORDS:
        return ""
    return a.words(request)(DONE_WORDS[what], name=request.query.get("nama", "")[:64])


DONE_WORDS = {"cabut": "done_revoke", "nama": "done_rename", "tambah": "done_officer_add",
              "ubah": "done_officer_edit", "nonaktif": "done_officer_disable",
              "aktif": "done_officer_enable", "pin": "done_officer_pin",
              "peringatan": "done_alert"}


async def stations_page(request: web.Request) -> web.StreamResponse:
    refused = _refuse_role(request, ("admin",))
    if refused is not None:
        return refused
    await directory(request).changed()  # what the hub says now, not at the last poll
    return aiohttp_jinja2.render_template("perangkat.html", request,
                                          _stations_context(request))


def qr_data_uri(text: str) -> str:
    """The QR code of `text` as an SVG image for an <img> (the page's CSP allows data: images
    and no inline markup)."""
    svg = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, box_size=10,
                      border=4).to_string(encoding="unicode")
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()


async def enrol(request: web.Request) -> web.StreamResponse:
    refused = _refuse_role(request, ("admin",))
    if refused is not None:
        return refused
    form = await _form(request)
    args: dict[str, Any] = {"name": form.get("name", ""), "role": form.get("role", "")}
    counter = form.get("counter", "")
    if counter:
        if not counter.isdigit():
            return _stations_error(request, form, "station_bad_counter")
        args["counter"] = int(counter)
    result = await directory(request).request("station_enroll", args)
    _audit(request, "station_enroll", result,
           f"{args['name']} {args['role']}" + (f" counter {counter}" if counter else ""))
    if not result.ok:
        return _stations_error(request, form, text=_refusal_text(request, result))
    await directory(request).changed()
    station = request.app[a.STATION]
    hub = station.client.url if station.client is not None else ""
    lines = [f"ANTREAN_HUB={hub.removesuffix('/ws')}", f"ANTREAN_TOKEN={result.value['token']}"]
    if result.value.get("fingerprint"):
        lines.append(f"ANTREAN_HUB_FINGERPRINT={result.value['fingerprint']}")
    enrolled = {**result.value["station"], "token": result.value["token"],
                "fingerprint": result.value.get("fingerprint"), "lines": lines,
                "qr": qr_data_uri("\n".join(lines))}
    # Shown in this answer only: the hub keeps the token's hash, the console nothing.
    return aiohttp_jinja2.render_template("perangkat.html", request,
                                          _stations_context(request, enrolled=enrolled))


async def browser_code(request: web.Request) -> web.StreamResponse:
    """A one-time code that enrols an agency's browser as counter station NAME at the web
    station's /petugas (shared.hub.enrolment), shown once in big letters; with the hall's
    `[mpp] public_url` (where the web station serves) also as a QR code of the page with the
    code filled in."""
    refused = _refuse_role(request, ("admin",))
    if refused is not None:
        return refused
    form = await _form(request)
    name, counter = form.get("browser_name", ""), form.get("browser_counter", "")
    if not counter.isdigit():
        return _stations_error(request, form, "station_bad_counter")
    result = await directory(request).request("station_code",
                                              {"name": name, "counter": int(counter)})
    # The code itself never goes into the audit log: it is as good as a token for 10 minutes.
    _audit(request, "station_code", result, f"{name} counter {counter}")
    if not result.ok:
        return _stations_error(request, form, text=_refusal_text(request, result))
    station = request.app[a.STATION]
    base = station.config.mpp.public_url
    url = f"{base.rstrip('/')}/petugas?{urlencode({'kode': result.value['code']})}" \
        if base else None
    # The hub's codes live in real time, whatever clock the hall runs on.
    until = datetime.fromtimestamp(result.value["expires_ms"] / 1000, UTC)
    made = {**result.value, "url": url, "qr": qr_data_uri(url) if url else None,
            "until": f"{until.astimezone(station.config.tz):%H:%M}"}
    return aiohttp_jinja2.render_template("perangkat.html", request,
                                          _stations_context(request, browser_code=made))


def _stations_error(request: web.Request, form: dict[str, str], key: str = "",
                    text: str = "") -> web.Response:
    context = _stations_context(request, form=form,
                                error=text or a.words(request)(key))
    return aiohttp_jinja2.render_template("perangkat.html", request, context, status=400)


async def rename(request: web.Request) -> web.StreamResponse:
    refused = _refuse_role(request, ("admin",))
    if refused is not None:
        return refused
    form = await _form(request)
    name, new = form.get("name", ""), form.get("new_name", "")
    result = await directory(request).request("station_rename",
                                              {"name": name, "new_name": new})
    _audit(request, "station_rename", result, f"{name} -> {new}")
    if not result.ok:
        return _stations_error(request, form, text=_refusal_text(request, result))
    await directory(request).changed()
    return _done(request, "/perangkat", "nama", new)


async def revoke(request: web.Request) -> web.StreamResponse:
    refused = _refuse_role(request, ("admin",))
    if refused is not None:
        return refused
    form = await _form(request)
    name = form.get("name", "")
    result = await directory(request).request("station_revoke", {"name": name})
    _audit(request, "station_revoke", result, name)
    if not result.ok:
        return _stations_error(request, form, text=_refusal_text(request, result))
    await directory(request).changed()
    return _done(request, "/perangkat", "cabut", name)


# --- officers -----------------------------------------------------------------------------------


def _officers_context(request: web.Request, **extra: Any) -> dict[str, Any]:
    t = a.words(request)
    session = a.signed_in(request)
    config = request.app[a.STATION].config
    return {**a.common(request, t, session), "title": t("title_officers"),
            "officers": officer_rows(directory(request), config),
            "fetched": directory(request).fetched,
            "agencies": sorted(config.agencies.items()), "error": "", "form": {},
            "done": _done_text(request), "temporary": None, **extra}


async def officers_page(request: web.Request) -> web.StreamResponse:
    refused = _refuse_role(request, ("admin",))
    if refused is not None:
        return refused
    await directory(request).changed()
    return aiohttp_jinja2.render_template("petugas.html", request, _officers_context(request))


# form action -> (the hub's request, the form fields it takes, the word of the done note)
OFFICER_ACTIONS: dict[str, tuple[str, tuple[str, ...], str]] = {
    "tambah": ("officer_add", ("officer", "name", "pin", "agency"), "tambah"),
    "ubah": ("officer_edit", ("officer", "name", "agency"), "ubah"),
    "nonaktif": ("officer_disable", ("officer",), "nonaktif"),
    "aktif": ("officer_enable", ("officer",), "aktif"),
    "pin": ("officer_reset_pin", ("officer", "pin"), "pin"),
}


async def officer_action(request: web.Request) -> web.StreamResponse:
    refused = _refuse_role(request, ("admin",))
    if refused is not None:
        return refused
    kind, fields, done = OFFICER_ACTIONS[request.match_info["action"]]
    form = await _form(request)
    args: dict[str, Any] = {f: form.get(f, "") for f in fields}
    if "agency" in args:
        args["agency"] = args["agency"] or None
    if kind == "officer_reset_pin" and not args["pin"]:
        del args["pin"]  # none typed: the hub makes a temporary one
    result = await directory(request).request(kind, args)
    _audit(request, kind, result, " ".join(f"{k}={v}" for k, v in args.items()
                                           if k != "pin" and v))
    if not result.ok:
        context = _officers_context(request, form={k: v for k, v in form.items()
                                                   if k != "pin"},
                                    error=_refusal_text(request, result))
        return aiohttp_jinja2.render_template("petugas.html", request, context, status=400)
    await directory(request).changed()
    if kind == "officer_reset_pin" and result.value.get("pin"):
        # The hub made a temporary PIN: said in this answer only (it keeps the hash).
        temporary = {"officer": args["officer"], "pin": result.value["pin"]}
        return aiohttp_jinja2.render_template(
            "petugas.html", request, _officers_context(request, temporary=temporary))
    return _done(request, "/petugas", done, args["officer"])


# --- an alert resolved from the live hall -------------------------------------------------------


async def resolve_alert(request: web.Request) -> web.StreamResponse:
    refused = _refuse_role(request, ALERT_RESOLVERS)
    if refused is not None:
        return refused
    t = a.words(request)
    session = a.signed_in(request)
    form = await _form(request)
    key, kind = form.get("key", ""), form.get("kind", "")
    result = await directory(request).request("alert", {
        "kind": kind, "key": key, "state": "resolved", "by": session.user.name,
        "message": form.get("note", "")[:500] or t("resolved_from_console")})
    _audit(request, "alert_resolve", result, key)
    if not result.ok:
        return a.error_page(request, t, 400, "alert_not_resolved", "alert_not_resolved_text")
    return a.redirect(a.with_lang("/aula", t))


def setup(app: web.Application, hub_directory: HubDirectory) -> None:
    """The routes, and the directory's polling for the app's lifetime."""
    app[a.DIRECTORY] = hub_directory

    async def start(app: web.Application) -> None:
        hub_directory.start()

    async def stop(app: web.Application) -> None:
        await hub_directory.close()

    app.on_startup.append(start)
    app.on_cleanup.append(stop)
    app.router.add_get("/perangkat", stations_page)
    app.router.add_post("/perangkat/daftar", enrol)
    app.router.add_post("/perangkat/kode-browser", browser_code)
    app.router.add_post("/perangkat/ubah-nama", rename)
    app.router.add_post("/perangkat/cabut", revoke)
    app.router.add_get("/petugas", officers_page)
    app.router.add_post(r"/petugas/{action:tambah|ubah|nonaktif|aktif|pin}", officer_action)
    app.router.add_post("/aula/peringatan", resolve_alert)
