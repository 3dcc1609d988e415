"""The console's IKM page (`/skm`) and its downloads (`/skm/unduh?format=xlsx|pdf`): the SKM
report of a month, triwulan, semester or year (shared/reports/skm.py), for the whole MPP or
one agency, service or officer. A coordinator's report holds their agency only. Officers have
no console account, and no page lists a response: figures per officer only from
MIN_OFFICER_RESPONDENTS respondents on."""

from __future__ import annotations

import asyncio
import datetime as dt
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import urlencode

import aiohttp_jinja2
from aiohttp import web

from console import app as a
from console.i18n import Words as ConsoleWords
from shared.config import HallConfig
from shared.reports import skm as report
from shared.reports.figures import ReportError

SKM_WORDS: dict[str, tuple[str, str]] = {
    "title_skm": ("Survei Kepuasan (IKM)", "Satisfaction survey (IKM)"),
    "skm_kind_bulan": ("Bulan", "Month"), "skm_kind_triwulan": ("Triwulan", "Quarter"),
    "skm_kind_semester": ("Semester", "Semester"), "skm_kind_tahun": ("Tahun", "Year"),
    "skm_part": ("Ke-", "Number"),
    "skm_all": ("Semua", "All"),
    "skm_ikm": ("IKM", "IKM"), "skm_mutu": ("Mutu pelayanan", "Service grade"),
    "skm_respondents": ("Responden", "Respondents"),
    "skm_population": ("Dilayani (populasi)", "Served (population)"),
    "skm_sample": ("Sampel minimal (Krejcie–Morgan)", "Minimum sample (Krejcie–Morgan)"),
    "skm_enough": ("cukup", "enough"), "skm_not_enough": ("belum cukup", "not enough yet"),
    "skm_unsur": ("Unsur", "Element"), "skm_total": ("Jumlah nilai", "Total score"),
    "skm_nrr": ("NRR", "Mean (NRR)"), "skm_weighted": ("NRR tertimbang", "Weighted NRR"),
    "skm_converted": ("Nilai unsur", "Element index"),
    "skm_weakest": ("Unsur terlemah", "Weakest elements"),
    "skm_by_agency": ("Per instansi", "By agency"),
    "skm_by_service": ("Per layanan", "By service"),
    "skm_by_officer": ("Per petugas", "By officer"),
    "skm_withheld": ("< {n} responden", "< {n} respondents"),
    "skm_officer_note": ("Hanya petugas dengan sedikitnya {n} responden; jawaban perorangan "
                         "tidak pernah ditampilkan.",
                         "Only officers with at least {n} respondents; single answers are "
                         "never shown."),
    "skm_profile": ("Profil responden", "Respondents' profile"),
    "skm_saran": ("Saran dan masukan", "Suggestions"),
    "skm_no_saran": ("Tidak ada saran pada periode ini.", "No suggestions in this period."),
    "skm_none": ("Belum ada responden pada periode ini.", "No respondents in this period yet."),
    "skm_bad_query": ("Pilihan laporan tidak valid (periode, tahun, instansi, layanan atau "
                      "petugas).", "The report's choices are not valid (period, year, "
                      "agency, service or officer)."),
    "skm_count": ("Jumlah", "Count"),
    "skm_name": ("Nama", "Name"),
}


class Words(ConsoleWords):
    WORDS: ClassVar[dict[str, tuple[str, str]]] = {**ConsoleWords.WORDS, **SKM_WORDS}


KINDS = {"bulan": "month", "triwulan": "quarter", "semester": "semester", "tahun": "year"}
CONTENT_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}


class QueryError(ValueError):
    pass


@dataclass(frozen=True)
class Query:
    form: dict[str, str]
    period: Any
    agency: str | None
    service: str | None
    officer: str | None

    def query_string(self, **more: str) -> str:
        return urlencode({**{k: v for k, v in self.form.items() if v}, **more})


def parse(query: dict[str, str], today: dt.date, config: HallConfig) -> Query:
    """The page's query; every field optional (this month, the whole MPP)."""
    kind = query.get("periode", "bulan")
    if kind not in KINDS:
        raise QueryError(kind)
    year_text = query.get("tahun") or str(today.year)
    default_part = {"bulan": today.month, "triwulan": (today.month - 1) // 3 + 1,
                    "semester": 1 if today.month <= 6 else 2, "tahun": 1}[kind]
    part_text = query.get("ke") or str(default_part)
    if not (year_text.isdigit() and part_text.isdigit() and len(year_text) == 4):
        raise QueryError("year")
    try:
        period = report.skm_period(KINDS[kind], int(year_text), int(part_text))
    except ReportError as e:
        raise QueryError(str(e)) from None
    agency = query.get("instansi") or None
    service = query.get("layanan") or None
    officer = (query.get("petugas") or "").strip()[:64] or None
    if agency is not None and agency not in config.agencies:
        raise QueryError("agency")
    if service is not None and service not in config.services:
        raise QueryError("service")
    form = {"periode": kind, "tahun": year_text, "ke": part_text, "instansi": agency or "",
            "layanan": service or "", "petugas": officer or ""}
    return Query(form, period, agency, service, officer)


def compute(replica: Path, config: HallConfig, q: Query, agencies: frozenset[str] | None
            ) -> report.SkmReport:
    conn = sqlite3.connect(f"file:{replica}?mode=ro", uri=True)
    try:
        return report.compute(conn, config, q.period, agencies, q.agency, q.service,
                              q.officer)
    finally:
        conn.close()


def filename(q: Query, fmt: str, agency: str | None) -> str:
    """'laporan-skm-2026-11.pdf', 'laporan-skm-triwulan-2026-4-dukcapil.xlsx'."""
    p = q.period
    when = {"month": f"{p.start:%Y-%m}",
            "quarter": f"triwulan-{p.start.year}-{(p.start.month - 1) // 3 + 1}",
            "semester": f"semester-{p.start.year}-{(p.start.month - 1) // 6 + 1}",
            "year": f"tahun-{p.start.year}"}[p.kind]
    parts = ["laporan-skm", when, *(x.lower() for x in (agency or q.agency, q.service,
                                                          q.officer) if x)]
    return "-".join(parts) + "." + fmt


def _words(request: web.Request) -> Words:
    return Words.of(request.query)


async def skm_page(request: web.Request) -> web.StreamResponse:
    t = _words(request)
    session = a.signed_in(request)
    station = request.app[a.STATION]
    config = station.config
    agencies = a._agencies(session)
    visible = sorted(c for c in config.agencies if agencies is None or c in agencies)
    context: dict[str, Any] = {
        **a.common(request, t, session), "title": t("title_skm"), "kinds": list(KINDS),
        "agencies": [(c, config.agencies[c].short_name) for c in visible],
        "services": [(s.code, s.name) for s in config.services.values()
                     if agencies is None or s.agency in agencies],
        "error": "", "r": None, "minimum": report.MIN_OFFICER_RESPONDENTS,
    }
    try:
        q = parse(dict(request.query), station.today(), config)
    except QueryError:
        context.update(error=t("skm_bad_query"), form=dict(request.query))
        return aiohttp_jinja2.render_template("skm.html", request, context, status=400)
    async with request.app[a.REPORTING]:
        r = await asyncio.to_thread(compute, station.replica.path, config, q, agencies)
    context.update(form=q.form, r=r, weak=[s.unsur.code for s in r.weakest[:1]],
                   downloads=[(fmt.upper(), "/skm/unduh?" + q.query_string(format=fmt, **t.query))
                              for fmt in CONTENT_TYPES])
    return aiohttp_jinja2.render_template("skm.html", request, context)


async def skm_download(request: web.Request) -> web.StreamResponse:
    t = _words(request)
    session = a.signed_in(request)
    station = request.app[a.STATION]
    fmt = request.query.get("format", "")
    try:
        if fmt not in CONTENT_TYPES:
            raise QueryError(fmt)
        q = parse(dict(request.query), station.today(), station.config)
    except QueryError:
        return a.error_page(request, t, 400, "report_refused", "skm_bad_query")
    agencies = a._agencies(session)
    async with request.app[a.REPORTING]:
        r = await asyncio.to_thread(compute, station.replica.path, station.config, q, agencies)
        body = await asyncio.to_thread(
            report.to_xlsx if fmt == "xlsx" else lambda x: report.to_pdf(x, station.config), r)
    name = filename(q, fmt, session.user.agency if agencies else None)
    request.app[a.ACCOUNTS].audit("export", session.user.username, a.address(request), True,
                                  f"{name} {q.query_string()}")
    return web.Response(body=body, headers={
        "Content-Type": CONTENT_TYPES[fmt],
        "Content-Disposition": f'attachment; filename="{name}"'})


def add_routes(app: web.Application) -> None:
    app.router.add_get("/skm", skm_page)
    app.router.add_get("/skm/unduh", skm_download)
