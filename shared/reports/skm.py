"""The IKM report (PermenPANRB 14/2017) of a period, from the `survey.answered` events of a
ledger or replica: the NRR per unsur, the weighted NRR, the IKM and its mutu, by MPP, agency,
service and officer; the respondents' profile; the weakest unsur; the saran; and the number of
respondents against the Krejcie–Morgan sample for the period's population (the visitors
served, from the projection's finished tickets).

Anonymity: a figure per officer is shown only from MIN_OFFICER_RESPONDENTS respondents on (a
handful of answers would let an officer guess who gave which), and no report lists a
response: the saran are listed without ticket, time or officer."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from dataclasses import dataclass, field

from shared import skm
from shared.config import HallConfig
from shared.indonesian import BULAN
from shared.ledger import model as m
from shared.reports.figures import Period, ReportError

# Below this many respondents an officer's figure is not shown (the regulation's own minimum
# sample for a unit is far larger; ten keeps one visitor's answer from standing out).
MIN_OFFICER_RESPONDENTS = 10
# The kinds of period an SKM report covers (PermenPANRB 14/2017 asks at least once a year;
# MPPs publish monthly, by triwulan and by semester).
KINDS = ("month", "quarter", "semester", "year")
ROMAN = ("I", "II", "III", "IV")


def skm_period(kind: str, year: int, part: int = 1) -> Period:
    """The period of an SKM report: month 1-12, quarter 1-4, semester 1-2, or the year."""
    if not 2000 <= year <= 2100:
        raise ReportError(f"no year {year} (2000-2100)")
    if kind == "month":
        return Period.month(year, part)
    if kind == "quarter":
        return Period.quarter(year, part)
    if kind == "semester":
        if part not in (1, 2):
            raise ReportError(f"no semester {part} (1-2)")
        return Period(dt.date(year, 6 * part - 5, 1), Period.month(year, 6 * part).end,
                      "semester")
    if kind == "year":
        return Period(dt.date(year, 1, 1), dt.date(year, 12, 31), "year")
    raise ReportError(f"an SKM report is by {', '.join(KINDS)}, not {kind!r}")


def period_text(period: Period) -> str:
    """'November 2026', 'Triwulan IV 2026', 'Semester II 2026', 'Tahun 2026'."""
    if period.kind == "month":
        return f"{BULAN[period.start.month - 1]} {period.start.year}"
    if period.kind == "quarter":
        return f"Triwulan {ROMAN[(period.start.month - 1) // 3]} {period.start.year}"
    if period.kind == "semester":
        return f"Semester {ROMAN[(period.start.month - 1) // 6]} {period.start.year}"
    if period.kind == "year":
        return f"Tahun {period.start.year}"
    return f"{period.start.isoformat()} – {period.end.isoformat()}"


@dataclass(frozen=True)
class Group:
    """The IKM of one agency, service or officer."""

    key: str
    name: str
    respondents: int
    population: int
    ikm: skm.Ikm | None  # None: no respondent, or an officer below the minimum
    withheld: bool = False  # an officer below MIN_OFFICER_RESPONDENTS


@dataclass(frozen=True)
class ProfileRow:
    code: str
    text_id: str
    text_en: str
    count: int
    share: float


@dataclass
class SkmReport:
    mpp: str
    kabupaten: str
    period: Period
    scope: str  # what the report covers: "" for the whole MPP, else the agency/service
    ikm: skm.Ikm | None
    respondents: int
    population: int  # visitors served in the period (within the scope)
    sample: int  # Krejcie–Morgan for the population
    by_agency: list[Group] = field(default_factory=list)
    by_service: list[Group] = field(default_factory=list)
    by_officer: list[Group] = field(default_factory=list)
    profile: list[tuple[skm.ProfileField, list[ProfileRow]]] = field(default_factory=list)
    saran: list[tuple[str, str]] = field(default_factory=list)  # (service name, text)

    @property
    def enough(self) -> bool:
        """Whether the respondents reach the sample size: "cukup" / "belum cukup"."""
        return self.population > 0 and self.respondents >= self.sample

    @property
    def period_text(self) -> str:
        return period_text(self.period)

    @property
    def weakest(self) -> list[skm.UnsurScore]:
        return self.ikm.weakest(3) if self.ikm else []


@dataclass(frozen=True)
class _Answer:
    agency: str
    service: str
    officer: str | None
    answers: tuple[int, ...]
    profile: dict[str, str]
    saran: str


def _answers(conn: sqlite3.Connection, period: Period) -> list[_Answer]:
    out = []
    for (raw,) in conn.execute(
            "SELECT data FROM events WHERE kind=? AND json_extract(data, '$.service_day') "
            "BETWEEN ? AND ? ORDER BY seq",
            (m.SURVEY_ANSWERED, period.start.isoformat(), period.end.isoformat())):
        d = json.loads(raw)
        out.append(_Answer(str(d["agency"]), str(d["service"]), d.get("officer"),
                           tuple(int(a) for a in d["answers"]), dict(d.get("profile") or {}),
                           str(d.get("saran") or "")))
    return out


def _served(conn: sqlite3.Connection, period: Period) -> list[tuple[str, str, str | None]]:
    """(agency, service, officer) of every ticket served in the period: the population."""
    return [(r[0], r[1], r[2]) for r in conn.execute(
        "SELECT agency, service, officer FROM tickets WHERE status=? AND service_day "
        "BETWEEN ? AND ?", (m.FINISHED, period.start.isoformat(), period.end.isoformat()))]


def compute(conn: sqlite3.Connection, config: HallConfig, period: Period,
            agencies: frozenset[str] | None = None, agency: str | None = None,
            service: str | None = None, officer: str | None = None,
            officer_names: dict[str, str] | None = None) -> SkmReport:
    """The IKM report of a period. `agencies` limits it to a coordinator's agency (nothing of
    another agency is counted); `agency`, `service` and `officer` narrow it further."""
    def keep(a: str, s: str, o: str | None) -> bool:
        return ((agencies is None or a in agencies) and (agency is None or a == agency)
                and (service is None or s == service) and (officer is None or o == officer))

    answers = [x for x in _answers(conn, period) if keep(x.agency, x.service, x.officer)]
    served = [x for x in _served(conn, period) if keep(*x)]
    names = officer_names or {}
    scope = []
    if agency:
        a = config.agencies.get(agency)
        scope.append(a.name if a else agency)
    if service:
        s = config.services.get(service)
        scope.append(s.name if s else service)
    if officer:
        scope.append(f"Petugas {names.get(officer, officer)}")
    population = len(served)
    report = SkmReport(config.mpp.name, config.mpp.kabupaten, period, " — ".join(scope),
                       skm.ikm(x.answers for x in answers), len(answers), population,
                       skm.krejcie_morgan(population))

    def groups(key_of: int, name_of: dict[str, str], minimum: int = 0) -> list[Group]:
        keys = sorted({k for k in [_key(x, key_of) for x in answers]
                       + [s[key_of] for s in served] if k is not None})
        out = []
        for key in keys:
            mine = [x for x in answers if _key(x, key_of) == key]
            withheld = len(mine) < minimum
            out.append(Group(str(key), name_of.get(str(key), str(key)), len(mine),
                             sum(1 for s in served if s[key_of] == key),
                             None if withheld else skm.ikm(x.answers for x in mine),
                             withheld))
        return out

    report.by_agency = groups(0, {c: a.name for c, a in config.agencies.items()})
    # Two banks both offer "Pembukaan rekening tabungan": the agency tells them apart.
    report.by_service = groups(1, {
        c: f"{config.agencies[s.agency].short_name} — {s.name}" if s.agency in config.agencies
        else s.name for c, s in config.services.items()})
    report.by_officer = groups(2, names, MIN_OFFICER_RESPONDENTS)
    for pf in skm.PROFILE:
        counts = {code: 0 for code in pf.codes()}
        for x in answers:
            code = x.profile.get(pf.key)
            if code in counts:
                counts[code] += 1
        report.profile.append((pf, [ProfileRow(c, id_, en, counts[c],
                                               counts[c] / len(answers) if answers else 0.0)
                                    for c, id_, en in pf.choices]))
    report.saran = [(config.services[x.service].name if x.service in config.services
                     else x.service, x.saran) for x in answers if x.saran]
    return report


def _key(x: _Answer, which: int) -> str | None:
    return (x.agency, x.service, x.officer)[which]


# --- the exports ------------------------------------------------------------------------------


def _d(value: object) -> float:
    return float(str(value))


def to_xlsx(report: SkmReport) -> bytes:
    """The report as a workbook: the IKM sheet laid out as the regulation's worksheet (NRR,
    weighted NRR, IKM, mutu), the groups, the profile and the saran, one sheet each."""
    import io

    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill

    book = Workbook()
    bold, fill = Font(bold=True), PatternFill("solid", fgColor="E8EEF7")
    sheet = book.active
    assert sheet is not None
    sheet.title = "IKM"
    sheet.append(["Indeks Kepuasan Masyarakat (PermenPANRB 14/2017)"])
    sheet.append([report.mpp, report.kabupaten])
    sheet.append(["Periode", report.period_text])
    if report.scope:
        sheet.append(["Cakupan", report.scope])
    sheet.append(["Populasi (pengunjung dilayani)", report.population])
    sheet.append(["Sampel minimal (Krejcie–Morgan)", report.sample])
    sheet.append(["Responden", report.respondents])
    sheet.append(["Jumlah responden", "cukup" if report.enough else "belum cukup"])
    sheet.append([])
    sheet.append(["Unsur", "Nama unsur", "Jumlah nilai", "NRR", "NRR tertimbang", "Nilai"])
    for cell in sheet[sheet.max_row]:
        cell.font, cell.fill = bold, fill
    if report.ikm is not None:
        for s in report.ikm.unsur:
            sheet.append([s.unsur.code, s.unsur.name_id, s.total, _d(s.nrr_text),
                          _d(s.weighted_text), _d(s.converted)])
        sheet.append([])
        sheet.append(["IKM", "", "", "", "", _d(report.ikm.value)])
        sheet.append(["Mutu pelayanan", f"{report.ikm.mutu.grade} ({report.ikm.mutu.name_id})"])
        sheet.append(["Unsur terlemah", ", ".join(f"{s.unsur.code} {s.unsur.name_id}"
                                                  for s in report.weakest)])
    for row in sheet.iter_rows(min_row=1, max_row=1):
        row[0].font = Font(bold=True, size=13)
    sheet.column_dimensions["A"].width = 32
    sheet.column_dimensions["B"].width = 42
    for title, groups in (("Instansi", report.by_agency), ("Layanan", report.by_service),
                          ("Petugas", report.by_officer)):
        g = book.create_sheet(title)
        g.append([title, "Populasi", "Responden", "IKM", "Mutu"])
        for cell in g[1]:
            cell.font, cell.fill = bold, fill
        for group in groups:
            g.append([group.name, group.population, group.respondents,
                      _d(group.ikm.value) if group.ikm else None,
                      group.ikm.mutu.grade if group.ikm else (
                          f"< {MIN_OFFICER_RESPONDENTS} responden" if group.withheld else "–")])
        g.column_dimensions["A"].width = 44
    p = book.create_sheet("Profil")
    p.append(["Profil responden", "Pilihan", "Jumlah", "Persentase"])
    for cell in p[1]:
        cell.font, cell.fill = bold, fill
    for pf, rows in report.profile:
        for r in rows:
            p.append([pf.label_id, r.text_id, r.count, round(r.share, 4)])
            p.cell(p.max_row, 4).number_format = "0.0%"
    p.column_dimensions["A"].width = 22
    p.column_dimensions["B"].width = 24
    s = book.create_sheet("Saran")
    s.append(["Layanan", "Saran dan masukan"])
    for cell in s[1]:
        cell.font, cell.fill = bold, fill
    for svc, text in report.saran:
        s.append([svc, text])
    s.column_dimensions["A"].width = 36
    s.column_dimensions["B"].width = 90
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


def to_html(report: SkmReport, config: HallConfig, signed_on: dt.date | None = None) -> str:
    """The report as one HTML page laid out as an SKM report (the PDF's source)."""
    import jinja2

    from shared.reports.export import TEMPLATES, logo_uri

    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True)
    day = signed_on or report.period.end
    place = config.mpp.kabupaten.removeprefix("Kabupaten ").removeprefix("Kota ")
    return env.get_template("skm.html").render(
        r=report, logo=logo_uri(config), minimum=MIN_OFFICER_RESPONDENTS,
        place=place or report.kabupaten, weight="1/9",
        signed_on=f"{day.day} {BULAN[day.month - 1]} {day.year}")


def to_pdf(report: SkmReport, config: HallConfig, signed_on: dt.date | None = None) -> bytes:
    import logging

    import weasyprint

    from shared.reports.export import TEMPLATES

    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    logging.getLogger("fontTools").setLevel(logging.ERROR)
    html = to_html(report, config, signed_on)
    return bytes(weasyprint.HTML(string=html, base_url=str(TEMPLATES)).write_pdf())
