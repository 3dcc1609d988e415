"""The hall page of the console's settings (/konfigurasi/aula), admin role only: the hall's
opening hours per weekday (a day may be closed), an agency's own hours and its opt-out of
the hall's breaks (`breaks = []`), the hall's breaks ([[schedule.breaks]], the Friday prayer
break among them) and the voice ([voice]) with a "Dengarkan" button.

It saves as the service editor does (console.config_editor): the TOML of the version in
force when the change takes effect is edited (console.config_edit.HallEdits keeps the rest of
the file as written), validated by the hall config's own loader, sent as `change_config`
now or from a date, and carried into the versions scheduled after it. A refused value is
shown next to its field and nothing is sent.

"Dengarkan" renders the announcement of a sample ticket with the voice as the form says
(nothing is sent to the hub) by the board's own command, `python -m display.voice render`,
in a child process, as the web station does for its board: the console imports no other app
and no speech engine, and what IT hears is what the hall's boards will say."""

from __future__ import annotations

import contextlib
import logging
import os
import re
import secrets
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp_jinja2
from aiohttp import web

from console import app as a
from console import config_editor as ed
from console.accounts import Session
from console.config_edit import DELETE, EditError, HallEdits
from console.i18n import WORDS, Words
from shared.config import WEEKDAYS, ConfigError, HallConfig, Schedule, loads_config
from shared.ledger import config_log
from shared.speech import call_text, unknown_placeholders
from shared.station.call_audio import render_call

log = logging.getLogger(__name__)

PARTS = ("jam", "instansi", "istirahat", "suara")
DAY_NAMES = {"mon": ("Senin", "Monday"), "tue": ("Selasa", "Tuesday"),
             "wed": ("Rabu", "Wednesday"), "thu": ("Kamis", "Thursday"),
             "fri": ("Jumat", "Friday"), "sat": ("Sabtu", "Saturday"),
             "sun": ("Minggu", "Sunday")}
RANGE_TEXT = re.compile(r"\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*")
NEW_BREAKS = 2  # empty rows under the breaks, for new ones
SAMPLES_KEPT = 20  # rendered samples kept for the page's player, the oldest dropped
SAMPLE_ID = re.compile(r"^[0-9a-f]{16}$")
SAMPLES = web.AppKey("hall_voice_samples", Path)
VOICE_FIELDS = ("bahasa", "gaya", "templat", "templat-en", "kecepatan", "volume", "ulang")

# The page's words, registered with the console's (kept here: the service editor's words are
# in console.i18n, and another page's additions there would meet these in a merge).
WORDS.update({
    "title_hall_settings": ("Jam buka, istirahat dan suara", "Hours, breaks and voice"),
    "hall_hours": ("Jam buka aula", "Hall opening hours"),
    "hall_agency_hours": ("Jam buka instansi", "An agency's hours"),
    "hall_breaks": ("Istirahat", "Breaks"),
    "hall_voice": ("Suara panggilan", "Call voice"),
    "hall_admin_only": ("Hanya admin yang dapat mengubah jam buka, istirahat dan suara.",
                        "Only an admin can change the hours, breaks and voice."),
    "hall_day": ("Hari", "Day"),
    "hall_hours_field": ("Jam (mis. 08:00-15:00)", "Hours (e.g. 08:00-15:00)"),
    "hall_closed": ("Tutup", "Closed"),
    "hall_agency": ("Instansi", "Agency"),
    "hall_choose_agency": ("Pilih instansi:", "Choose an agency:"),
    "hall_own_hours": ("Jam buka sendiri (hari yang dicentang Tutup: instansi tutup)",
                       "Its own hours (a day ticked Closed: the agency is closed)"),
    "hall_own_short": ("jadwal sendiri", "own schedule"),
    "hall_hall_hours_used": ("Tanpa jam sendiri: instansi ini buka pada jam aula.",
                             "Without its own hours this agency opens with the hall."),
    "hall_no_breaks": ("Tanpa istirahat aula (instansi melayani bergiliran saat istirahat)",
                       "None of the hall's breaks (the agency serves through them in shifts)"),
    "hall_own_breaks": ("Instansi ini punya daftar istirahat sendiri di berkas konfigurasi; "
                        "ubah dengan antrean config import.",
                        "This agency lists its own breaks in the config file; change them "
                        "with antrean config import."),
    "hall_time": ("Waktu (mis. 12:00-13:00)", "Time (e.g. 12:00-13:00)"),
    "hall_label": ("Keterangan di layar", "Label on the screens"),
    "hall_remove": ("Hapus", "Remove"),
    "hall_new_break": ("Istirahat baru", "New break"),
    "hall_breaks_hint": ("Saat istirahat loket tidak memanggil; anjungan tetap memberi nomor "
                         "dan menyebut jam loket melayani lagi. Istirahat salat Jumat: Jumat "
                         "11:30-13:00, \"Istirahat salat Jumat\".",
                         "During a break counters call no one; kiosks still issue tickets and "
                         "say when the counters serve again. The Friday prayer break: Friday "
                         "11:30-13:00, \"Istirahat salat Jumat\"."),
    "hall_no_day": ("Pilih hari.", "Choose a day."),
    "hall_language": ("Bahasa", "Language"),
    "hall_style": ("Cara menyebut nomor", "How numbers are said"),
    "hall_style_digits": ("Per angka (\"nol, dua, tiga\")",
                          "Digit by digit (\"zero, two, three\")"),
    "hall_style_words": ("Sebagai bilangan (\"dua puluh tiga\")", "As a number (\"twenty-three\")"),
    "hall_template": ("Kalimat panggilan (bahasa Indonesia)", "Call sentence (Indonesian)"),
    "hall_template_en": ("Kalimat panggilan (bahasa Inggris)", "Call sentence (English)"),
    "hall_template_hint": ("{number} diganti nomor antrean, {counter} diganti loket.",
                           "{number} becomes the ticket, {counter} the counter."),
    "hall_rate": ("Kecepatan (kata per menit, 60-400)", "Rate (words a minute, 60-400)"),
    "hall_volume": ("Volume (0,0-1,0)", "Volume (0.0-1.0)"),
    "hall_repeat": ("Diucapkan berapa kali (1-3)", "Times each call is said (1-3)"),
    "hall_listen": ("Dengarkan", "Listen"),
    "hall_listen_sample": ("Contoh: nomor {label} ke loket {counter}: \"{text}\"",
                           "Sample: ticket {label} to counter {counter}: \"{text}\""),
    "hall_listen_failed": ("Suara tidak dapat dibuat di PC konsol: {problem}",
                           "The voice could not be rendered on the console PC: {problem}"),
    "hall_placeholder": ("Tidak dikenal: {found}. Gunakan {{number}} dan {{counter}}.",
                         "Unknown: {found}. Use {{number}} and {{counter}}."),
    "hall_needs": ("Harus memuat {{number}} dan {{counter}}.",
                   "Must contain {{number}} and {{counter}}."),
    "hall_number": ("Harus angka, bukan \"{value}\".", "Must be a number, not \"{value}\"."),
    "hall_volume_range": ("Harus antara 0,0 dan 1,0.", "Must be between 0.0 and 1.0."),
    "hall_bad_range": ("Tulis jam seperti 08:00-15:00, bukan \"{value}\".",
                       "Write hours such as 08:00-15:00, not \"{value}\"."),
    "hall_bad_time": ("\"{value}\" bukan jam yang ada.", "\"{value}\" is not a time of day."),
    "hall_backwards": ("\"{value}\" berakhir sebelum mulai.", "\"{value}\" ends before it starts."),
    "hall_open_one_day": ("Aula harus buka paling sedikit satu hari.",
                          "The hall must be open on at least one day."),
    "hall_agency_one_day": ("Buka paling sedikit satu hari, atau pakai jam aula.",
                            "Open it on at least one day, or use the hall's hours."),
})


@dataclass
class FormState:
    values: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    message: str = ""
    confirm: bool = False
    sample: str = ""  # a rendered sample's id, for the player
    sample_text: str = ""


class FieldError(ed.FieldError):
    pass


# --- the forms as the config in force says ----------------------------------------------------


def hours_form(schedule: Schedule) -> dict[str, str]:
    values: dict[str, str] = {}
    for i, day in enumerate(WEEKDAYS):
        rng = schedule.open.get(i)
        values[f"jam-{day}"] = str(rng) if rng else ""
        if rng is None:
            values[f"tutup-{day}"] = "1"
    return values


def breaks_rows(schedule: Schedule) -> list[dict[str, str]]:
    """The hall's breaks in the file's order (the loader groups them by day; within a day
    their order is the file's)."""
    rows = []
    for day_index in sorted(schedule.breaks):
        for b in schedule.breaks[day_index]:
            rows.append({"day": WEEKDAYS[day_index], "time": str(b.range), "label": b.label})
    return rows


def breaks_form(raw: dict[str, Any]) -> dict[str, str]:
    values: dict[str, str] = {}
    for i, b in enumerate(_raw_breaks(raw)):
        values[f"hari-{i}"] = str(b.get("day", ""))
        values[f"waktu-{i}"] = str(b.get("time", ""))
        values[f"label-{i}"] = str(b.get("label", "Istirahat"))
    return values


def voice_form(config: HallConfig) -> dict[str, str]:
    v = config.voice
    return {"bahasa": v.language, "gaya": v.style, "templat": v.template,
            "templat-en": v.english_template, "kecepatan": str(v.rate),
            "volume": f"{v.volume:g}", "ulang": str(v.repeat)}


def agency_form(config: HallConfig, raw: dict[str, Any], code: str) -> dict[str, str]:
    agency: dict[str, Any] = next(
        (x for x in raw.get("agencies", []) if x.get("code") == code), {})
    values: dict[str, str] = {}
    if "hours" in agency:
        values["sendiri"] = "1"
    own = config.agencies[code].schedule
    values.update(hours_form(own if own is not None and "hours" in agency
                             else config.schedule))
    if agency.get("breaks") == []:
        values["tanpa-istirahat"] = "1"
    return values


def _raw_breaks(raw: dict[str, Any]) -> list[dict[str, Any]]:
    breaks = raw.get("schedule", {}).get("breaks", [])
    return [b for b in breaks if isinstance(b, dict)] if isinstance(breaks, list) else []


def _raw(config: HallConfig) -> dict[str, Any]:
    import tomllib

    return tomllib.loads(config.raw_toml.decode("utf-8"))


# --- the page ---------------------------------------------------------------------------------


def _allowed(request: web.Request) -> Session | web.StreamResponse:
    session = a.signed_in(request)
    if session.user.role != "admin":
        t = a.words(request)
        return a.error_page(request, t, 403, "forbidden_title", "hall_admin_only")
    return session


async def hall_page(request: web.Request) -> web.StreamResponse:
    allowed = _allowed(request)
    if not isinstance(allowed, Session):
        return allowed
    part = request.query.get("bagian", "jam")
    code = request.query.get("instansi", "")
    return render(request, allowed, part, code, None)


def render(request: web.Request, session: Session, part: str, code: str,
           state: FormState | None, status: int = 200) -> web.StreamResponse:
    t = a.words(request)
    station = request.app[a.STATION]
    config = station.config
    if part not in PARTS or (part == "instansi" and code and code not in config.agencies):
        return a.error_page(request, t, 404, "not_found_title", "not_found")
    raw = _raw(config)
    if state is None:
        state = FormState()
        if part == "jam":
            state.values = hours_form(config.schedule)
        elif part == "istirahat":
            state.values = breaks_form(raw)
        elif part == "suara":
            state.values = voice_form(config)
        elif code:
            state.values = agency_form(config, raw, code)
    versions = config_log.config_versions(station.replica.conn)
    now = station.hub_now()
    agency_raw: dict[str, Any] = next(
        (x for x in raw.get("agencies", []) if x.get("code") == code), {})
    own_breaks = isinstance(agency_raw.get("breaks"), list) and bool(agency_raw["breaks"])
    done = request.query.get("dicatat", "")
    context: dict[str, Any] = {
        **a.common(request, t, session), "title": t("title_hall_settings"), "part": part,
        "state": state, "csrf": session.csrf, "days": WEEKDAYS,
        "day_name": {d: n[0 if t.lang == "id" else 1] for d, n in DAY_NAMES.items()},
        "agencies": list(config.agencies.values()), "code": code,
        "agency": config.agencies.get(code), "own_breaks": own_breaks,
        "break_count": len(_raw_breaks(raw)), "new_rows": NEW_BREAKS,
        "scheduled": [(v.version, v.effective) for v in config_log.scheduled(versions, now)],
        "today": now.astimezone(config.tz).date().isoformat(),
        "done": done if done.isdigit() else "", "done_from": request.query.get("mulai", ""),
        "also": [n for n in request.query.get("juga", "").split(",") if n.isdigit()]}
    return aiohttp_jinja2.render_template("aula_ubah.html", request, context, status=status)


# --- reading the forms ------------------------------------------------------------------------


def _range(raw: str) -> str:
    """A time range as the file writes it ("8:00 - 15:00" -> "08:00-15:00"); text that is
    no range is kept as typed, for the loader to refuse with its message."""
    m = RANGE_TEXT.fullmatch(raw)
    if not m:
        return raw.strip()
    h1, m1, h2, m2 = m.groups()
    return f"{int(h1):02d}:{m1}-{int(h2):02d}:{m2}"


def read_hours(values: dict[str, str], t: Words) -> dict[str, str]:
    hours = {}
    for day in WEEKDAYS:
        if values.get(f"tutup-{day}") == "1":
            continue
        text = values.get(f"jam-{day}", "").strip()
        if not text:
            raise FieldError(f"jam-{day}", t("editor_required"))
        hours[day] = _range(text)
    return hours


def read_breaks(values: dict[str, str], old: int, t: Words) -> list[dict[str, str] | None]:
    """The form's rows: the `old` breaks (None: removed), then the new ones filled in."""
    rows: list[dict[str, str] | None] = []
    for i in range(old + NEW_BREAKS):
        new = i >= old
        n = f"baru-{i - old}" if new else str(i)
        day, time = values.get(f"hari-{n}", ""), values.get(f"waktu-{n}", "").strip()
        label = values.get(f"label-{n}", "").strip()
        if values.get(f"hapus-{n}") == "1" or (new and not (time or label)):
            if not new:
                rows.append(None)
            continue
        if day not in WEEKDAYS:
            raise FieldError(f"hari-{n}", t("hall_no_day"))
        if not time:
            raise FieldError(f"waktu-{n}", t("editor_required"))
        rows.append({"day": day, "time": _range(time), "label": label or "Istirahat"})
    return rows


def read_voice(values: dict[str, str], t: Words) -> dict[str, Any]:
    out: dict[str, Any] = {"language": values.get("bahasa", ""), "style": values.get("gaya", "")}
    for name, key in (("templat", "template"), ("templat-en", "english_template")):
        text = values.get(name, "").strip()
        if not text:
            raise FieldError(name, t("editor_required"))
        unknown = unknown_placeholders(text)
        if unknown:
            raise FieldError(name, t("hall_placeholder", found=", ".join(unknown)))
        if "{number}" not in text or "{counter}" not in text:
            raise FieldError(name, t("hall_needs"))
        out[key] = text
    for name, key in (("kecepatan", "rate"), ("ulang", "repeat")):
        number = ed.whole(values, name, t, optional=False)
        assert isinstance(number, int)
        out[key] = number
    volume = values.get("volume", "").strip().replace(",", ".")
    if not re.fullmatch(r"\d+(\.\d+)?", volume):
        raise FieldError("volume", t("hall_number", value=values.get("volume", "")))
    out["volume"] = float(volume)
    if not 0.0 <= out["volume"] <= 1.0:
        raise FieldError("volume", t("hall_volume_range"))
    return out


# What the loader says of a field, in the page's words; the loader's path to the field.
def _field_of(e: ConfigError, part: str) -> str:
    path = e.field_path
    if re.fullmatch(r"agencies\[\d+\]\.hours", path):
        return "sendiri"
    m = re.fullmatch(r"(?:schedule|agencies\[\d+\])\.hours\.(\w+)", path)
    if m:
        return f"jam-{m.group(1)}"
    m = re.fullmatch(r"schedule\.breaks\[(\d+)\]\.(\w+)", path)
    if m:
        return f"{'hari' if m.group(2) == 'day' else 'waktu'}-{m.group(1)}"
    voice = {"voice.language": "bahasa", "voice.style": "gaya", "voice.template": "templat",
             "voice.english_template": "templat-en", "voice.rate": "kecepatan",
             "voice.volume": "volume", "voice.repeat": "ulang"}
    return voice.get(path, "")


def _message(e: ConfigError, t: Words) -> str:
    problem = e.problem
    m = re.fullmatch(r'must be a time range such as "08:00-15:00", not "(.*)"', problem)
    if m:
        return t("hall_bad_range", value=m.group(1))
    m = re.fullmatch(r'"(.*)" is not a valid time of day', problem)
    if m:
        return t("hall_bad_time", value=m.group(1))
    m = re.fullmatch(r'"(.*)" ends before it starts', problem)
    if m:
        return t("hall_backwards", value=m.group(1))
    if problem == "the hall must be open on at least one day":
        return t("hall_open_one_day")
    if problem == "must list at least one day":
        return t("hall_agency_one_day")
    return ed.loader_message(e, t)


# --- the edits --------------------------------------------------------------------------------


Apply = Callable[[HallEdits], str]


def _edit(part: str, code: str, values: dict[str, str], t: Words, shown: HallConfig
          ) -> Apply:
    """The form read (FieldError for a bad value) into an edit for any version's text:
    only what the person changed from what the form showed (the config in force now), so a
    change from a date keeps what a version scheduled before it says of the rest."""
    shown_raw = _raw(shown)
    if part == "jam":
        hours = read_hours(values, t)
        before = {WEEKDAYS[i]: str(r) for i, r in shown.schedule.open.items()}
        changed = {d: hours.get(d, DELETE) for d in WEEKDAYS if hours.get(d) != before.get(d)}

        def hall_hours(text: HallEdits) -> str:
            old = text.data.get("schedule", {}).get("hours", {})
            text.set_table("schedule.hours", {d: v for d, v in changed.items()
                                              if old.get(d, DELETE) != v})
            return "hall hours"
        return hall_hours
    if part == "istirahat":
        old = _raw_breaks(shown_raw)
        rows = read_breaks(values, len(old), t)
        wanted = [r for r in rows if r is not None]

        def breaks(text: HallEdits) -> str:
            base = _raw_breaks(text.data)
            if base == old:  # row i is the file's i-th break
                text.edit_breaks(rows)
            else:  # a scheduled version with other breaks: the form's list replaces them
                text.edit_breaks([None] * len(base) + list(wanted))
            return f"breaks ({len(wanted)})"
        return breaks
    if part == "suara":
        voice = read_voice(values, t)
        v = shown.voice
        before_voice: dict[str, Any] = {
            "language": v.language, "style": v.style, "template": v.template,
            "english_template": v.english_template, "rate": v.rate, "volume": v.volume,
            "repeat": v.repeat}
        changed_voice = {k: x for k, x in voice.items() if before_voice[k] != x}

        def set_voice(text: HallEdits) -> str:
            old = text.data.get("voice", {})
            text.set_table("voice", {k: v for k, v in changed_voice.items()
                                     if old.get(k) != v})
            return "voice"
        return set_voice
    # An agency's own hours and its opt-out of the hall's breaks.
    own = values.get("sendiri") == "1"
    agency_hours = read_hours(values, t) if own else None
    shown_form = agency_form(shown, shown_raw, code)
    hours_changed = own != (shown_form.get("sendiri") == "1") or (
        own and agency_hours != read_hours(shown_form, t))
    no_breaks = values.get("tanpa-istirahat") == "1"
    breaks_changed = no_breaks != (shown_form.get("tanpa-istirahat") == "1")

    def agency(text: HallEdits) -> str:
        agencies = text.data.get("agencies", [])
        index = next((i for i, x in enumerate(agencies) if x.get("code") == code), None)
        if index is None:
            raise FieldError("sendiri", t("not_found"))
        if hours_changed:
            text.set_agency_hours(index, agency_hours)
        current = agencies[index].get("breaks")
        if breaks_changed and not (isinstance(current, list) and current):
            if no_breaks and current != []:
                text.set_keys("agencies", index, {"breaks": []})
            elif not no_breaks and current == []:
                text.set_keys("agencies", index, {"breaks": DELETE})
        return f"agency {code} hours"
    return agency


def _edited(base: str, apply: Apply) -> tuple[str, str]:
    """The base text with the edit, checked by reading it back and by the hall's loader."""
    text = HallEdits(base)
    what = apply(text)
    content = text.text()
    loads_config(content, "the edited config")
    return content, what


# --- saving and listening ---------------------------------------------------------------------


async def save(request: web.Request) -> web.StreamResponse:
    allowed = _allowed(request)
    if not isinstance(allowed, Session):
        ed._audit(request, a.signed_in(request), False, "hall settings: not an admin")
        return allowed
    session = allowed
    t = a.words(request)
    station = request.app[a.STATION]
    form = await request.post()
    values = {k: str(v) for k, v in form.items() if isinstance(v, str)}
    part = values.get("bagian", "")
    code = values.get("instansi", "")
    config = station.config
    if part not in PARTS or (part == "instansi" and code not in config.agencies):
        return a.error_page(request, t, 404, "not_found_title", "not_found")
    state = FormState(values=values)
    listen = values.get("aksi") == "dengarkan" and part == "suara"
    today = station.hub_now().astimezone(config.tz).date()
    try:
        effective = None if listen else ed._effective(values, today, t)
        apply = _edit(part, code, values, t, config)
        content, what = _edited(ed._base(request, effective), apply)
    except ed.FieldError as e:
        state.errors[e.name] = e.text
        return render(request, session, part, code, state, status=400)
    except ConfigError as e:
        name = _field_of(e, part)
        if name:
            state.errors[name] = _message(e, t)
        else:
            state.message = _message(e, t)
        return render(request, session, part, code, state, status=400)
    except (EditError, LookupError) as e:
        log.warning("console hall settings: %s", e)
        state.message = t("editor_layout")
        return render(request, session, part, code, state, status=400)
    if listen:
        return await _listen(request, session, content, state)
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
    ed._audit(request, session, result.ok, what + ("" if result.ok else
                                                   f": {result.refusal}"))
    if not result.ok:
        assert result.refusal is not None
        refusal = result.refusal
        state.message = refusal.pesan if t.lang == "id" else refusal.message
        state.confirm = refusal.code == "strands_tickets"
        if refusal.code == "unchanged":
            state.message = t("editor_unchanged")
        return render(request, session, part, code, state, status=409)
    number = await ed._recorded(station, result.value.get("seq") or [0])
    carried = await ed.carry_forward(station, number, lambda content: _edited(content, apply)[0],
                                     args["source"], "console hall settings")
    query = {"bagian": part, **({"instansi": code} if code else {}), "dicatat": number,
             **({"mulai": effective} if effective else {}),
             **({"juga": ",".join(carried)} if carried else {}),
             **({"lang": t.lang} if t.lang != "id" else {})}
    return a.redirect("/konfigurasi/aula?" + "&".join(f"{k}={v}" for k, v in query.items()))


def sample_call(config: HallConfig) -> tuple[str, int, str | None]:
    """A ticket and counter to speak: the hall's first counter and its first queue."""
    counter = min(config.counters.values(), key=lambda c: c.number)
    name = counter.name if counter.name != f"Loket {counter.number}" else None
    return f"{counter.queues[0]}-023", counter.number, name


async def _listen(request: web.Request, session: Session, content: str,
                  state: FormState) -> web.StreamResponse:
    """Render the sample call with the voice the form says; nothing is sent to the hub."""
    t = a.words(request)
    folder = request.app[SAMPLES]
    config = loads_config(content, "the edited config")
    label, counter, name = sample_call(config)
    sample = secrets.token_hex(8)
    work = Path(tempfile.mkdtemp(prefix="sample-", dir=folder))
    try:
        (work / "hall.toml").write_text(content, encoding="utf-8")
        problem = await render_call(label, counter, work / "call.wav",
                                    config=work / "hall.toml", counter_label=name)
        if problem is None:
            os.replace(work / "call.wav", folder / f"{sample}.wav")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if problem is not None:
        log.warning("console hall settings: the sample call was not rendered: %s", problem)
        state.message = t("hall_listen_failed", problem=problem)
        return render(request, session, "suara", "", state, status=503)
    _prune(folder)
    state.sample = sample
    state.sample_text = t("hall_listen_sample", label=label, counter=counter, text=call_text(
        label, counter, config.voice, counter_label=name))
    return render(request, session, "suara", "", state)


def _prune(folder: Path) -> None:
    samples = sorted(folder.glob("*.wav"), key=lambda p: p.stat().st_mtime)
    for old in samples[:-SAMPLES_KEPT]:
        with contextlib.suppress(FileNotFoundError):
            old.unlink()


async def sample_wav(request: web.Request) -> web.StreamResponse:
    allowed = _allowed(request)
    if not isinstance(allowed, Session):
        return allowed
    sample = request.match_info["sample"]
    path = request.app[SAMPLES] / f"{sample}.wav"
    if not SAMPLE_ID.fullmatch(sample) or not path.is_file():
        raise web.HTTPNotFound()
    return web.FileResponse(path, headers={"Content-Type": "audio/wav",
                                           "Cache-Control": "no-store"})


def add_routes(app: web.Application) -> None:
    folder = Path(tempfile.mkdtemp(prefix="antrean-console-voice-"))
    app[SAMPLES] = folder

    async def remove_samples(_app: web.Application) -> None:
        shutil.rmtree(folder, ignore_errors=True)

    app.on_cleanup.append(remove_samples)
    app.router.add_get("/konfigurasi/aula", hall_page)
    app.router.add_post("/konfigurasi/aula", save)
    app.router.add_get("/konfigurasi/aula/suara/{sample}.wav", sample_wav)
