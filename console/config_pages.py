"""The console's configuration page (admin role): every version of the hall config the replica
holds (config.changed events), who recorded it and when, which one is in force and which are
scheduled, and the difference between two versions. Read from the replica like every other
page: the console sends no command here."""

from __future__ import annotations

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
    t = a.words(request)
    session = a.signed_in(request)
    if session.user.role != "admin":
        return a.error_page(request, t, 403, "forbidden_title", "config_admin_only")
    station = request.app[a.STATION]
    versions = config_log.config_versions(station.replica.conn)
    now = station.now()
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
        "numbers": [v.version for v in versions], "pair": pair, "diff": diff}
    return aiohttp_jinja2.render_template("konfigurasi.html", request, context)


def _number(raw: str | None) -> int | None:
    return int(raw) if raw is not None and raw.isdigit() else None


def _line(text: str) -> DiffLine:
    if text.startswith(("+++", "---")):
        return DiffLine("", text)
    kind = {"+": "add", "-": "del", "@": "at"}.get(text[:1], "")
    return DiffLine(kind, text)


def add_routes(app: web.Application) -> None:
    app.router.add_get("/konfigurasi", config_page)
