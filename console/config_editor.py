"""The console's config editor (/konfigurasi/ubah): what an MPP changes every week. Per
service its daily quota, standard time, cut-off and the requirements the kiosk shows; the
hall's holidays (a year's pasted at once); the running text.

Each save edits the TOML of the version that will be in force then (console.config_edit keeps
the rest of the file as written), validates it with the hall config's own loader, and sends
`change_config` through the console's hub connection, now or from a date. A refused value is
shown next to its field and nothing is sent. Admins edit everything; an agency coordinator
only their own agency's services (others are not listed, and a post for one is refused)."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp_jinja2
from aiohttp import web

from console import app as a
from console.accounts import Session, User
from console.config_edit import DELETE, EditError, TomlText
from console.i18n import Words
from shared.config import ConfigError, HallConfig, Service, loads_config
from shared.ledger import config_log

log = logging.getLogger(__name__)

ROLES = ("admin", "coordinator")
MONTHS = ("januari", "februari", "maret", "april", "mei", "juni", "juli", "agustus",
          "september", "oktober", "november", "desember")
ENGLISH_MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august",
                  "september", "october", "november", "december")
WEEKDAY_WORDS = ("senin", "selasa", "rabu", "kamis", "jumat", "jum'at", "sabtu", "minggu",
                 "ahad", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday",
                 "sunday")
# "2027-01-01", "01-01-2027", "1/1/2027", "1 Januari 2027", optionally after a weekday.
DATE_FIRST = re.compile(
    r"^\s*(?:(?P<wd>[A-Za-z']+),?\s+)?(?P<date>\d{4}-\d{1,2}-\d{1,2}|\d{1,2}[-/.]\d{1,2}"
    r"[-/.]\d{4}|\d{1,2}\s+[A-Za-z]+\s+\d{4})\s*[,;:\t|–—-]*\s*(?P<name>.*?)\s*$")
RANGE = re.compile(r"must be between (-?\d+) and (-?\d+), not (-?\d+)")
FORM_FIELDS = (("daily_quota", "kuota"), ("standard_minutes", "standar"),
               ("cutoff_minutes", "batas"), ("requirements", "syarat"))
FIELD_OF = {"daily_quota": "kuota", "standard_minutes": "standar", "cutoff_minutes": "batas",
            "requirements": "syarat", "running_text": "teks"}


@dataclass
class FormState:
    """What the form shows: the values (as typed), the message per field, the top message."""

    values: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    message: str = ""
    confirm: bool = False


class FieldError(Exception):
    def __init__(self, name: str, text: str) -> None:
        super().__init__(text)
        self.name = name
        self.text = text


def may_edit(user: User, service: Service) -> bool:
    return user.role == "admin" or (user.role == "coordinator" and user.agency == service.agency)


def _allowed(request: web.Request) -> Session | web.StreamResponse:
    session = a.signed_in(request)
    if session.user.role not in ROLES:
        t = a.words(request)
        return a.error_page(request, t, 403, "forbidden_title", "editor_forbidden")
    return session


def service_form(svc: Service) -> dict[str, str]:
    return {"kuota": "" if svc.daily_quota is None else str(svc.daily_quota),
            "standar": str(svc.standard_minutes), "batas": str(svc.cutoff_minutes),
            "syarat": "\n".join(svc.requirements), "berlaku": ""}


def holidays_text(config: HallConfig) -> str:
    return "\n".join(f"{d.isoformat()} {n}" for d, n in sorted(config.holidays.items()))


# --- the page ---------------------------------------------------------------------------------


async def editor_page(request: web.Request) -> web.StreamResponse:
    allowed = _allowed(request)
    if not isinstance(allowed, Session):
        return allowed
    part = request.query.get("bagian", "")
    code = request.query.get("layanan", "")
    return render(request, allowed, part, code, None)


def render(request: web.Request, session: Session, part: str, code: str,
           state: FormState | None, status: int = 200) -> web.StreamResponse:
    t = a.words(request)
    station = request.app[a.STATION]
    config = station.config
    user = session.user
    if part in ("libur", "teks") and user.role != "admin":
        return a.error_page(request, t, 403, "forbidden_title", "editor_admin_part")
    svc = config.services.get(code) if not part else None
    if code and not part and (svc is None or not may_edit(user, svc)):
        return a.error_page(request, t, 404 if svc is None else 403, "forbidden_title",
                            "editor_not_yours" if svc else "editor_no_service")
    if state is None:
        state = FormState()
        if svc is not None:
            state.values = service_form(svc)
        elif part == "libur":
            state.values = {"libur": holidays_text(config), "berlaku": ""}
        elif part == "teks":
            state.values = {"teks": config.mpp.running_text, "berlaku": ""}
    groups = []
    for agency in config.agencies.values():
        if user.role == "coordinator" and agency.code != user.agency:
            continue
        services = [s for s in config.services_of(agency.code)]
        if services:
            groups.append((agency, services))
    versions = config_log.config_versions(station.replica.conn)
    now = station.hub_now()
    scheduled = [(v.version, v.effective) for v in config_log.scheduled(versions, now)]
    today = now.astimezone(config.tz).date()
    done = request.query.get("dicatat", "")
    context: dict[str, Any] = {
        **a.common(request, t, session), "title": t("title_editor"), "groups": groups,
        "svc": svc, "part": part, "state": state, "csrf": session.csrf,
        "scheduled": scheduled, "today": today.isoformat(),
        "done": done if done.isdigit() else "", "done_from": request.query.get("mulai", ""),
        "also": [n for n in request.query.get("juga", "").split(",") if n.isdigit()],
        "is_admin": user.role == "admin", "default_cutoff": config.rules.cutoff_minutes,
        "agency": config.agencies[svc.agency] if svc else None}
    return aiohttp_jinja2.render_template("ubah.html", request, context, status=status)


# --- reading the forms ------------------------------------------------------------------------


def whole(values: dict[str, str], name: str, t: Words, optional: bool = False) -> Any:
    raw = values.get(name, "").strip()
    if not raw:
        if optional:
            return DELETE
        raise FieldError(name, t("editor_required"))
    if not re.fullmatch(r"\d+", raw):
        raise FieldError(name, t("editor_whole", value=raw))
    return int(raw)


def parse_date(raw: str) -> dt.date | None:
    text = raw.strip().lower()
    try:
        if re.fullmatch(r"\d{4}-\d{1,2}-\d{1,2}", text):
            y, m, d = (int(x) for x in text.split("-"))
            return dt.date(y, m, d)
        if re.fullmatch(r"\d{1,2}[-/.]\d{1,2}[-/.]\d{4}", text):
            d, m, y = (int(x) for x in re.split(r"[-/.]", text))
            return dt.date(y, m, d)
        parts = text.split()
        if len(parts) == 3 and parts[1] in (*MONTHS, *ENGLISH_MONTHS):
            month = (MONTHS.index(parts[1]) if parts[1] in MONTHS
                     else ENGLISH_MONTHS.index(parts[1])) + 1
            return dt.date(int(parts[2]), month, int(parts[0]))
    except ValueError:
        return None
    return None


def parse_holidays(text: str, t: Words) -> list[tuple[dt.date, str]]:
    """One holiday a line: a date and its name, as pasted from the SKB's list or a sheet.
    The same date twice with the same name is one holiday; with two names, a mistake."""
    found: dict[dt.date, tuple[int, str]] = {}
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        m = DATE_FIRST.match(line)
        if m and m.group("wd") and m.group("wd").lower().rstrip(",") not in WEEKDAY_WORDS:
            m = None
        day = parse_date(m.group("date")) if m else None
        if day is None:
            raise FieldError("libur", t("editor_holiday_date", n=number, line=line.strip()))
        assert m is not None
        name = m.group("name").strip() or "Hari libur"
        if day in found and found[day][1] != name:
            raise FieldError("libur", t("editor_holiday_twice", n=number, date=day.isoformat(),
                                        first=found[day][0]))
        found.setdefault(day, (number, name))
    return [(d, n) for d, (_, n) in sorted(found.items())]


def loader_message(e: ConfigError, t: Words) -> str:
    """The loader's problem in the page's language (its messages are English)."""
    m = RANGE.fullmatch(e.problem)
    if m:
        return t("editor_range", low=m.group(1), high=m.group(2), value=m.group(3))
    if e.problem == "must not be empty":
        return t("editor_required")
    return e.problem if t.lang == "en" else t("editor_refused", problem=e.problem)


def _effective(values: dict[str, str], today: dt.date, t: Words) -> str | None:
    raw = values.get("berlaku", "").strip()
    if not raw:
        return None
    day = parse_date(raw)
    if day is None:
        raise FieldError("berlaku", t("editor_bad_date", value=raw))
    if day < today:
        raise FieldError("berlaku", t("editor_past", date=day.isoformat(),
                                      today=today.isoformat()))
    return day.isoformat()


def _base(request: web.Request, effective: str | None) -> str:
    """The TOML of the version that will be in force when the change takes effect (for a
    date, one already scheduled before it is kept)."""
    station = request.app[a.STATION]
    now = station.hub_now()
    at = now
    if effective is not None:
        ms, _ = config_log.effective_ms(effective, now, station.config.tz)
        at = max(now, dt.datetime.fromtimestamp(ms / 1000, dt.UTC))
    versions = config_log.config_versions(station.replica.conn)
    v = config_log.version_in_force(versions, at)
    return v.content if v is not None else station.config.raw_toml.decode("utf-8")


# --- saving -----------------------------------------------------------------------------------


async def save(request: web.Request) -> web.StreamResponse:
    """Save one part: a service (field `layanan`), the holidays or the running text."""
    allowed = _allowed(request)
    if not isinstance(allowed, Session):
        return allowed
    session = allowed
    t = a.words(request)
    station = request.app[a.STATION]
    form = await request.post()
    values = {k: str(v) for k, v in form.items() if isinstance(v, str)}
    part = values.get("bagian", "")
    code = values.get("layanan", "")
    config = station.config
    svc = config.services.get(code) if not part else None
    if part in ("libur", "teks"):
        if session.user.role != "admin":
            _audit(request, session, False, f"{part}: not an admin")
            return a.error_page(request, t, 403, "forbidden_title", "editor_admin_part")
    elif part or svc is None:
        return a.error_page(request, t, 404, "not_found_title", "editor_no_service")
    elif not may_edit(session.user, svc):
        _audit(request, session, False, f"service {code}: agency {svc.agency}")
        return a.error_page(request, t, 403, "forbidden_title", "editor_not_yours")
    state = FormState(values=values)
    today = station.hub_now().astimezone(config.tz).date()
    try:
        effective = _effective(values, today, t)
        text = TomlText(_base(request, effective))
        what = _apply(text, part, code, values, t,
                      service_form(svc) if svc is not None else None)
        content = text.text()
        loads_config(content, "the edited config")
    except FieldError as e:
        state.errors[e.name] = e.text
        return render(request, session, part, code, state, status=400)
    except ConfigError as e:
        name = FIELD_OF.get(e.field_path.rsplit(".", 1)[-1], "")
        if name:
            state.errors[name] = loader_message(e, t)
        else:
            state.message = loader_message(e, t)
        return render(request, session, part, code, state, status=400)
    except (EditError, LookupError) as e:
        log.warning("console editor: %s", e)
        state.message = t("editor_layout")
        return render(request, session, part, code, state, status=400)
    if station.client is None:
        state.message = t("config_no_hub")
        return render(request, session, part, code, state, status=503)
    args: dict[str, Any] = {"content": content,
                            "source": f"console {session.user.username}: {what}"}
    if effective is not None:
        args["effective"] = effective
    if values.get("yakin") == "1":
        args["force"] = True
    try:
        result = await station.client.command("change_config", args, timeout=15.0)
    except TimeoutError:
        state.message = t("config_no_hub")
        return render(request, session, part, code, state, status=503)
    _audit(request, session, result.ok, what + ("" if result.ok else
                                                f": {result.refusal}"))
    if not result.ok:
        assert result.refusal is not None
        refusal = result.refusal
        state.message = t.pick(refusal.pesan, refusal.message)
        state.confirm = refusal.code == "strands_tickets"
        if refusal.code == "unchanged":
            state.message = t("editor_unchanged")
        return render(request, session, part, code, state, status=409)
    number = await _recorded(station, result.value.get("seq") or [0])
    as_shown = service_form(svc) if svc is not None else None

    def edit(content: str) -> str:
        text = TomlText(content)
        _apply(text, part, code, values, t, as_shown)
        edited = text.text()
        loads_config(edited, "the edited config")
        return edited

    carried = await carry_forward(station, number, edit, args["source"], "console editor")
    query = {"dicatat": number, **({"mulai": effective} if effective else {}),
             **({"juga": ",".join(carried)} if carried else {}),
             **({"bagian": part} if part else {"layanan": code}),
             **t.query}
    return a.redirect("/konfigurasi/ubah?" + "&".join(f"{k}={v}" for k, v in query.items()))


def _apply(text: TomlText, part: str, code: str, values: dict[str, str], t: Words,
           shown: dict[str, str] | None = None) -> str:
    """Edit `text` for the form; what changed, in words for the log and the history."""
    if part == "libur":
        holidays = parse_holidays(values.get("libur", ""), t)
        text.replace_holidays(holidays)
        return f"holidays ({len(holidays)})"
    if part == "teks":
        running = values.get("teks", "").replace("\r\n", "\n").strip()
        text.set_keys("mpp", None, {"running_text": running if running else DELETE})
        return "running text"
    services = text.data.get("services", [])
    index = next((i for i, s in enumerate(services) if s.get("code") == code), None)
    if index is None:
        raise FieldError("kuota", t("editor_no_service"))
    requirements = [line.strip() for line in values.get("syarat", "").splitlines()
                    if line.strip()]
    base = services[index]
    rules = text.data.get("rules", {})
    implied = {"daily_quota": DELETE, "cutoff_minutes": rules.get("cutoff_minutes", 30),
               "requirements": DELETE}
    wanted: dict[str, Any] = {
        "daily_quota": whole(values, "kuota", t, optional=True),
        "standard_minutes": whole(values, "standar", t, optional=False),
        "cutoff_minutes": whole(values, "batas", t, optional=True),
        "requirements": requirements if requirements else DELETE,
    }
    # Only the fields the person changed from what the form showed (the config in force
    # now): a change from a date keeps what a change scheduled before it says of the rest.
    # A value the file already says, or implies by leaving the key out, is left as written.
    touched = {k: v for (k, name), v in zip(FORM_FIELDS, wanted.values(), strict=True)
               if shown is None or _same(values.get(name, "")) != _same(shown[name])}
    changes = {k: v for k, v in touched.items()
               if base.get(k, implied.get(k)) != v
               and not (k == "requirements" and v is DELETE and base.get(k) == [])}
    text.set_keys("services", index, changes)
    return f"service {code}"


def _same(raw: str) -> str:
    """A field's text as compared: a textarea sends CRLF, and blank lines say nothing."""
    return "\n".join(line.strip() for line in raw.splitlines() if line.strip())


async def carry_forward(station: Any, number: str, edit: Callable[[str], str], source: str,
                        what: str, errors: tuple[type[Exception], ...] = (),
                        force: bool = False) -> list[str]:
    """A version is a whole config: one scheduled for later was written before this change
    and would undo it when its date comes. So the same edit (`edit`: a version's TOML text to
    the edited, checked text) goes into each such date's version too, as a change from that
    date (a later-recorded change wins the tie). The versions recorded so, by number. Every
    config page of the console saves through this; `what` names it in the log, `errors` are
    its own field errors besides the loader's and the editor's."""
    versions = config_log.config_versions(station.replica.conn)
    mine = next((v for v in versions if str(v.version) == number), None)
    if mine is None or station.client is None:
        return []
    later = sorted({v.effective for v in versions if v.effective_ms > mine.effective_ms})
    caught: tuple[type[Exception], ...] = (FieldError, ConfigError, EditError, LookupError,
                                           *errors)
    carried: list[str] = []
    for day in later:
        at_ms, _ = config_log.effective_ms(day, station.hub_now(), station.config.tz)
        base = config_log.version_in_force(
            config_log.config_versions(station.replica.conn),
            dt.datetime.fromtimestamp(at_ms / 1000, dt.UTC))
        if base is None:
            continue
        try:
            content = edit(base.content)
        except caught as e:
            log.warning("%s: not carried into the change from %s: %s", what, day, e)
            continue
        try:
            result = await station.client.command("change_config", {
                "content": content, "effective": day,
                **({"force": True} if force else {}),
                "source": f"{source} (also from {day})"}, timeout=15.0)
        except TimeoutError:
            log.warning("%s: the hub did not answer for the change from %s", what, day)
            break
        if result.ok:
            carried.append(await _recorded(station, result.value.get("seq") or [0]))
    return carried


async def _recorded(station: Any, seqs: list[int]) -> str:
    """The version number the hub recorded, once the replica has it."""
    last = max(seqs or [0])
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 10.0
    while station.replica.last_seq < last and loop.time() < deadline:
        await station.changes.wait(station.changes.version, 1.0)
    found = [v.version for v in config_log.config_versions(station.replica.conn)
             if v.seq == last]
    return str(found[0]) if found else ""


def _audit(request: web.Request, session: Session, ok: bool, detail: str) -> None:
    request.app[a.ACCOUNTS].audit("config_edit", session.user.username, a.address(request),
                                  ok, detail)


def add_routes(app: web.Application) -> None:
    app.router.add_get("/konfigurasi/ubah", editor_page)
    app.router.add_post("/konfigurasi/ubah", save)

