"""The console's configuration page (admin role): every version of the hall config the replica
holds (config.changed events), who recorded it and when, which one is in force and which are
scheduled, and the difference between two versions. Read from the replica like every other
page: the console sends no command here."""

from __future__ import annotations

import asyncio
import difflib
from dataclasses import dataclass
from typing import Any

import aiohttp_jinja2
from aiohttp import web

from console import app as a
from shared.clock import from_ms, to_ms
from shared.ledger import config_log


@dataclass(frozen=True)
class VersionRow:
    version: int
    recorded: str
    by: str
    effective: str
    state: str  # "in_force", "scheduled" or ""
    source: str


@dataclass(frozen=True)
class DiffLine:
    kind: str  # "add", "del", "at" or ""
    text: str


async def config_page(request: web.Request) -> web.StreamResponse:
    return render(request)


def render(request: web.Request, message: str = "", confirm: int | None = None,
           status: int = 200) -> web.StreamResponse:
    t = a.words(request)
    session = a.signed_in(request)
    if session.user.role != "admin":
        return a.error_page(request, t, 403, "forbidden_title", "config_admin_only")
    station = request.app[a.STATION]
    versions = config_log.config_versions(station.replica.conn)
    now = station.hub_now()
    in_force = config_log.version_in_force(versions, now)
    tz = station.config.tz
    rows = []
    for v in reversed(versions):
        effective = {config_log.NOW: t("config_now"), config_log.SINCE_START:
                     t("config_start")}.get(v.effective) or t("config_from", date=v.effective)
        state = ("in_force" if in_force is not None and v.seq == in_force.seq
                 else "scheduled" if v.effective_ms > to_ms(now) else "")
        rows.append(VersionRow(v.version, f"{from_ms(v.at_ms).astimezone(tz):%Y-%m-%d %H:%M}",
                               v.device + (f" ({v.officer})" if v.officer else ""), effective,
                               state, v.source))
    by_number = {v.version: v for v in versions}
    diff: list[DiffLine] | None = None
    pair: tuple[int, int] | None = None
    first, second = _number(request.query.get("a")), _number(request.query.get("b"))
    if first in by_number and second in by_number:
        assert first is not None and second is not None
        pair = (first, second)
        diff = [_line(s) for s in difflib.unified_diff(
            by_number[first].content.splitlines(), by_number[second].content.splitlines(),
            f"versi {first}", f"versi {second}", lineterm="")]
    elif len(versions) >= 2:
        pair = (versions[-2].version, versions[-1].version)
    context: dict[str, Any] = {
        **a.common(request, t, session), "title": t("title_config"), "rows": rows,
        "numbers": [v.version for v in versions], "pair": pair, "diff": diff,
        "csrf": session.csrf, "message": message, "confirm": confirm,
        "done": _number(request.query.get("dicatat"))}
    return aiohttp_jinja2.render_template("konfigurasi.html", request, context, status=status)


async def revert(request: web.Request) -> web.StreamResponse:
    """Revert: a new change whose content is an old version's (history is never rewritten).
    A change that would leave waiting tickets without their service asks first."""
    t = a.words(request)
    session = a.signed_in(request)
    if session.user.role != "admin":
        return a.error_page(request, t, 403, "forbidden_title", "config_admin_only")
    form = await request.post()
    station = request.app[a.STATION]
    number = _number(str(form.get("versi", "")))
    old = next((v for v in config_log.config_versions(station.replica.conn)
                if v.version == number), None)
    if old is None or station.client is None:
        return render(request, t("config_no_version"), status=400)
    args: dict[str, Any] = {"content": old.content,
                            "source": f"console {session.user.username}: versi {number}"}
    if form.get("yakin") == "1":
        args["force"] = True
    try:
        result = await station.client.command("change_config", args, timeout=15.0)
    except TimeoutError:
        return render(request, t("config_no_hub"), status=503)
    ok = result.ok
    request.app[a.ACCOUNTS].audit("config_revert", session.user.username, a.address(request),
                                  ok, f"version {number}" + ("" if ok else f": {result.refusal}"))
    if ok:
        # The reply names the events' seqs; the page shows them once the replica has them.
        last = max(result.value.get("seq") or [0])
        deadline = asyncio.get_running_loop().time() + 10.0
        while station.replica.last_seq < last and (
                asyncio.get_running_loop().time() < deadline):
            await station.changes.wait(station.changes.version, 1.0)
        found = [v.version for v in config_log.config_versions(station.replica.conn)
                 if v.seq == last]
        lang = f"&lang={t.lang}" if t.lang != "id" else ""
        return a.redirect(f"/konfigurasi?dicatat={found[0] if found else ''}{lang}")
    assert result.refusal is not None
    if result.refusal.code == "strands_tickets":
        return render(request, t.pick(result.refusal.pesan, result.refusal.message),
                      confirm=number, status=409)
    return render(request, t.pick(result.refusal.pesan, result.refusal.message), status=409)


def _number(raw: str | None) -> int | None:
    return int(raw) if raw is not None and raw.isdigit() else None


def _line(text: str) -> DiffLine:
    if text.startswith(("+++", "---")):
        return DiffLine("", text)
    kind = {"+": "add", "-": "del", "@": "at"}.get(text[:1], "")
    return DiffLine(kind, text)


def add_routes(app: web.Application) -> None:
    app.router.add_get("/konfigurasi", config_page)
    app.router.add_post("/konfigurasi/kembalikan", revert)
