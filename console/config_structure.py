"""The hall's structure in the console (/konfigurasi/struktur): agencies (name, short name,
logo), services (added, renamed, moved to another queue, their own weekday hours, removed),
queues (prefix, name, ordering policy, priority rule; added, removed) and counters (added,
their name, agency and the queues they serve, removed).

Like the config editor (console.config_editor), each save edits the TOML in force now with
console.config_edit (the rest of the file as IT staff wrote it), validates the result with the
hall config's own loader and shows its message next to the field it names; nothing is sent
then. A change that would leave visitors waiting with nobody to call them (their service or
queue removed, or no counter serving their queue any more) says how many, counted from the
console's replica, and is sent only when confirmed. A change made now also goes into each
change already scheduled for a later date, which would otherwise undo it.

Admins change everything. An agency coordinator changes only their own agency's services,
queues and counters; agencies themselves and other agencies' parts are refused (403) and
written to the audit log."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp_jinja2
from aiohttp import web

from console import app as a
from console.accounts import Session, User
from console.config_edit import DELETE, EditError, TomlText
from console.config_editor import FieldError, _recorded, carry_forward, loader_message, whole
from console.i18n import WORDS, Words
from shared.config import (
    ORDERING_POLICIES,
    WEEKDAYS,
    ConfigError,
    HallConfig,
    Queue,
    loads_config,
)
from shared.hub.assets import (
    LOGO_MAX_BYTES,
    LOGO_MAX_PX,
    LOGO_MIN_PX,
    LOGO_PREFIX,
    AssetError,
    image_kind,
    logo_name,
)
from shared.ledger import config_log
from shared.ledger import model as m
from shared.station.hall_files import UploadRefused, upload_logo

log = logging.getLogger(__name__)

ROLES = ("admin", "coordinator")
PARTS = ("instansi", "layanan", "antrean", "loket")
TABLE_OF = {"instansi": "agencies", "layanan": "services", "antrean": "queues",
            "loket": "counters"}
# How the config names an uploaded logo and what one may be: the hub's own rules
# (shared.hub.assets), which it checks again when the console sends it the file.
DAY_NAMES = ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu")
LOGO_DIR = web.AppKey("logo_dir", Path)

# The form's fields by the loader's key, per table.
FIELDS = {
    "agencies": {"name": "nama", "short_name": "singkatan", "logo": "logo"},
    "services": {"code": "kode", "name": "nama", "queue": "antrean",
                 "standard_minutes": "standar", "daily_quota": "kuota",
                 "cutoff_minutes": "batas", "requirements": "syarat", "hours": "jam",
                 **{d: f"jam_{d}" for d in WEEKDAYS}},
    "queues": {"prefix": "awalan", "name": "nama", "policy": "urutan",
               "priority_every": "selang"},
    "counters": {"number": "nomor", "name": "nama", "agency": "instansi",
                 "queues": "antrean"},
}
# The whole item's problem (a duplicate) belongs to its key field.
KEY_FIELD = {"agencies": "kode", "services": "kode", "queues": "awalan",
             "counters": "nomor"}

# The loader's messages (English, for the log and the CLI) as people read them here.
LOADER_WORDS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(p), key) for p, key in (
        (r"duplicate '?(?P<what>[^']*)'?", "structure_duplicate"),
        (r"use 1-4 capital letters or digits.*", "structure_prefix"),
        (r"use 1-32 letters, digits.*", "structure_code_bad"),
        (r'no counter serves queue "(?P<what>[^"]*)".*', "structure_unserved"),
        (r"a counter must serve at least one queue", "structure_no_queue"),
        (r'queue "(?P<what>[^"]*)" (already )?holds services of agency "(?P<owner>[^"]*)".*',
         "structure_other_agency"),
        (r'no queue with prefix "(?P<what>[^"]*)"', "structure_no_such_queue"),
        (r'must be a time range such as.*', "structure_time_range"),
        (r'"(?P<what>[^"]*)" ends before it starts', "structure_time_order"),
        (r'"(?P<what>[^"]*)" is not a valid time of day', "structure_time_range"),
    ))

WORDS.update({
    "too_large": ("Berkas yang dikirim terlalu besar; logo paling besar 512 KB. Tidak ada yang "
                  "berubah.", "The file sent is too large; a logo is at most 512 KB. Nothing "
                  "changed."),
    "title_structure": ("Struktur aula", "Hall structure"),
    "structure_forbidden": ("Halaman ini untuk admin dan koordinator instansi.",
                            "This page is for admins and agency coordinators."),
    "structure_not_yours": ("Bagian ini milik instansi lain.",
                            "This belongs to another agency."),
    "structure_admin_only": ("Hanya admin yang dapat mengubah data instansi.",
                             "Only an admin can change an agency."),
    "structure_missing": ("Bagian itu tidak ada (lagi).", "That is not there (any more)."),
    "structure_choose": ("Pilih instansi, layanan, antrean atau loket di daftar untuk "
                         "mengubahnya, atau tambahkan yang baru.",
                         "Choose an agency, service, queue or counter in the list to change "
                         "it, or add a new one."),
    "structure_agency": ("Instansi", "Agency"),
    "structure_name": ("Nama", "Name"),
    "structure_short": ("Nama singkat (tampil di anjungan dan papan)",
                        "Short name (on the kiosk and the board)"),
    "structure_logo": ("Logo (PNG atau JPEG, paling besar 512 KB, 64–2048 piksel)",
                       "Logo (PNG or JPEG, at most 512 KB, 64–2048 pixels)"),
    "structure_logo_now": ("Logo sekarang: {path}", "Current logo: {path}"),
    "structure_logo_none": ("Belum ada logo: anjungan menampilkan inisial.",
                            "No logo yet: the kiosk shows initials."),
    "structure_logo_big": ("Berkas logo terlalu besar ({kb} KB); paling besar 512 KB.",
                           "The logo file is too large ({kb} KB); at most 512 KB."),
    "structure_logo_kind": ("Berkas itu bukan gambar PNG atau JPEG.",
                            "That file is not a PNG or JPEG image."),
    "structure_logo_px": ("Ukuran logo {w}×{h} piksel; harus antara 64 dan 2048 piksel "
                          "tiap sisi.",
                          "The logo is {w}×{h} pixels; each side must be 64 to 2048."),
    "structure_logo_hub": ("Server antrean menolak logo ini, jadi tidak ada yang berubah. "
                           "Coba berkas lain atau hubungi petugas TI.",
                           "The queue server refused this logo, so nothing changed. Try "
                           "another file or call IT."),
    "structure_logo_offline": ("Server antrean tidak dapat dihubungi, jadi logo belum "
                               "terkirim ke anjungan dan tidak ada yang berubah. Coba lagi "
                               "sebentar.",
                               "The queue server cannot be reached, so the logo was not sent "
                               "to the kiosks and nothing changed. Try again shortly."),
    "structure_services": ("Layanan", "Services"),
    "structure_queues": ("Antrean", "Queues"),
    "structure_counters": ("Loket", "Counters"),
    "structure_add_service": ("+ Layanan baru", "+ New service"),
    "structure_add_queue": ("+ Antrean baru", "+ New queue"),
    "structure_add_counter": ("+ Loket baru", "+ New counter"),
    "structure_new_service": ("Layanan baru — {agency}", "New service — {agency}"),
    "structure_new_queue": ("Antrean baru — {agency}", "New queue — {agency}"),
    "structure_new_counter": ("Loket baru", "New counter"),
    "structure_code": ("Kode (huruf, angka, - atau _; tidak dapat diubah nanti)",
                       "Code (letters, digits, - or _; cannot be changed later)"),
    "structure_queue": ("Antrean", "Queue"),
    "structure_hours": ("Jam layanan sendiri per hari", "Its own hours per weekday"),
    "structure_hours_hint": ("Mis. 08:00-12:00. Kosongkan semua agar mengikuti jam instansi "
                             "atau aula; bila ada yang diisi, hari yang kosong tutup.",
                             "E.g. 08:00-12:00. Leave all empty to follow the agency's or "
                             "the hall's hours; once one is filled, an empty day is closed."),
    "structure_prefix_label": ("Awalan nomor (1–4 huruf kapital atau angka)",
                               "Number prefix (1–4 capital letters or digits)"),
    "structure_policy": ("Urutan panggilan", "Calling order"),
    "policy_fifo": ("Urut kedatangan", "First come, first served"),
    "policy_strict_priority": ("Prioritas dulu", "Priority first"),
    "policy_interleave": ("Berselang: satu prioritas tiap N nomor",
                          "Interleaved: one priority ticket every N"),
    "structure_every": ("N: satu nomor prioritas setelah tiap N nomor biasa",
                        "N: one priority ticket after every N regular ones"),
    "structure_served_by": ("Dilayani di loket", "Served at counters"),
    "structure_number": ("Nomor loket", "Counter number"),
    "structure_serves": ("Antrean yang dilayani", "Queues it serves"),
    "structure_remove": ("Hapus", "Remove"),
    "structure_remove_queue_note": ("Menghapus antrean juga menghapus layanannya ({n}).",
                                    "Removing the queue removes its services too ({n})."),
    "structure_strands": ("{n} nomor antrean masih menunggu dan tidak akan terpanggil "
                          "setelah perubahan ini ({where}). Tetap simpan?",
                          "{n} tickets are waiting and would never be called after this "
                          "change ({where}). Save anyway?"),
    "structure_remove_sure": ("Hapus {what}? Perubahan dapat dikembalikan di halaman "
                              "Konfigurasi.",
                              "Remove {what}? It can be reverted on the Configuration page."),
    "structure_what_service": ("layanan \"{name}\"", "the service \"{name}\""),
    "structure_what_queue": ("antrean {prefix} beserta {n} layanannya",
                             "queue {prefix} with its {n} services"),
    "structure_what_counter": ("{name}", "{name}"),
    "structure_recorded": ("Dicatat sebagai versi {n}.", "Recorded as version {n}."),
    "structure_duplicate": ("Sudah dipakai: {what}.", "Already in use: {what}."),
    "structure_prefix": ("Gunakan 1–4 huruf kapital atau angka, mis. A atau KTP.",
                         "Use 1–4 capital letters or digits, e.g. A or KTP."),
    "structure_code_bad": ("Gunakan 1–32 huruf, angka, - atau _.",
                           "Use 1–32 letters, digits, - or _."),
    "structure_unserved": ("Tidak ada loket yang melayani antrean {what}; tambahkan antrean "
                           "itu ke sebuah loket dulu.",
                           "No counter serves queue {what}; add it to a counter first."),
    "structure_no_queue": ("Loket harus melayani paling sedikit satu antrean.",
                           "A counter must serve at least one queue."),
    "structure_other_agency": ("Antrean {what} berisi layanan instansi {owner}; setiap "
                               "instansi memakai antreannya sendiri.",
                               "Queue {what} holds services of agency {owner}; each agency "
                               "uses its own queues."),
    "structure_no_such_queue": ("Tidak ada antrean dengan awalan {what}.",
                                "There is no queue with prefix {what}."),
    "structure_time_range": ("Tulis jam seperti 08:00-15:00.",
                             "Write hours such as 08:00-15:00."),
    "structure_time_order": ("\"{what}\" berakhir sebelum mulai.",
                             "\"{what}\" ends before it starts."),
    "structure_now_only": ("Perubahan struktur berlaku sekarang; perubahan terjadwal yang "
                           "ada ikut diperbarui.",
                           "Structure changes take effect now; scheduled changes are updated "
                           "too."),
})


@dataclass
class FormState:
    values: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    message: str = ""
    confirm: str = ""  # the stranding question, when asked


@dataclass(frozen=True)
class Target:
    """What a form is about: a part and its key ("" for a new one), the agency it belongs to."""

    part: str
    key: str
    agency: str | None


# --- who may change what ----------------------------------------------------------------------


def queue_owner(config: HallConfig, prefix: str) -> str | None:
    """A queue's agency: the one whose services it holds, else the one whose counters serve
    it (a new queue before its first service), else none."""
    for s in config.services.values():
        if s.queue == prefix:
            return s.agency
    for c in config.counters.values():
        if prefix in c.queues:
            return c.agency
    return None


def target_agency(config: HallConfig, part: str, key: str, agency: str) -> str | None:
    if not key:
        return agency or None
    if part == "instansi":
        return key if key in config.agencies else None
    if part == "layanan":
        svc = config.services.get(key)
        return svc.agency if svc else None
    if part == "antrean":
        return queue_owner(config, key) if key in config.queues else None
    counter = config.counters.get(int(key)) if key.isdigit() else None
    return counter.agency if counter else None


def exists(config: HallConfig, part: str, key: str) -> bool:
    if not key:
        return True
    return {"instansi": key in config.agencies, "layanan": key in config.services,
            "antrean": key in config.queues,
            "loket": key.isdigit() and int(key) in config.counters}[part]


def may_change(user: User, target: Target) -> bool:
    if user.role == "admin":
        return True
    if user.role != "coordinator" or target.part == "instansi":
        return False
    return target.agency is not None and target.agency == user.agency


def _allowed(request: web.Request) -> Session | web.StreamResponse:
    session = a.signed_in(request)
    if session.user.role not in ROLES:
        return a.error_page(request, a.words(request), 403, "forbidden_title",
                            "structure_forbidden")
    return session


def _refusal(request: web.Request, session: Session, target: Target
             ) -> web.StreamResponse | None:
    """The page that refuses `target` to this person, or None."""
    t = a.words(request)
    config = request.app[a.STATION].config
    if target.part not in PARTS:
        return a.error_page(request, t, 404, "not_found_title", "structure_missing")
    if not exists(config, target.part, target.key) or (
            not target.key and target.part in ("layanan", "antrean")
            and target.agency not in config.agencies):
        return a.error_page(request, t, 404, "not_found_title", "structure_missing")
    if not may_change(session.user, target):
        return a.error_page(request, t, 403, "forbidden_title",
                            "structure_admin_only" if target.part == "instansi"
                            else "structure_not_yours")
    return None


# --- the page ---------------------------------------------------------------------------------


def _target(values: Any) -> Target | None:
    for part in PARTS:
        if part in values and part != "instansi":
            return Target(part, "" if values[part] == "baru" else str(values[part]),
                          str(values.get("instansi", "")) or None)
    if "instansi" in values:
        return Target("instansi", str(values["instansi"]), None)
    return None


async def structure_page(request: web.Request) -> web.StreamResponse:
    allowed = _allowed(request)
    if not isinstance(allowed, Session):
        return allowed
    target = _target(request.query)
    if target is not None:
        config = request.app[a.STATION].config
        target = Target(target.part, target.key,
                        target_agency(config, target.part, target.key, target.agency or ""))
        refused = _refusal(request, allowed, target)
        if refused is not None:
            return refused
    return render(request, allowed, target, None)


def form_values(config: HallConfig, target: Target) -> dict[str, str]:
    """The form's fields for what is in force now (empty ones for a new item)."""
    if target.part == "instansi":
        agency = config.agencies[target.key]
        return {"nama": agency.name, "singkatan": agency.short_name}
    if target.part == "layanan":
        if not target.key:
            return {"standar": "10", "batas": ""}
        svc = config.services[target.key]
        values = {"nama": svc.name, "antrean": svc.queue, "standar": str(svc.standard_minutes),
                  "kuota": "" if svc.daily_quota is None else str(svc.daily_quota),
                  "batas": str(svc.cutoff_minutes), "syarat": "\n".join(svc.requirements)}
        if svc.schedule is not None:
            for i, day in enumerate(WEEKDAYS):
                hours = svc.schedule.open.get(i)
                values[f"jam_{day}"] = str(hours) if hours else ""
        return values
    if target.part == "antrean":
        if not target.key:
            return {"urutan": "interleave", "selang": "3"}
        q = config.queues[target.key]
        return {"awalan": q.prefix, "nama": q.name, "urutan": q.policy,
                "selang": str(q.priority_every)}
    if not target.key:
        return {"instansi": target.agency or ""}
    c = config.counters[int(target.key)]
    return {"nomor": str(c.number), "nama": c.name, "instansi": c.agency,
            "antrean": ",".join(c.queues)}


def render(request: web.Request, session: Session, target: Target | None,
           state: FormState | None, status: int = 200) -> web.StreamResponse:
    t = a.words(request)
    config = request.app[a.STATION].config
    user = session.user
    if state is None:
        state = FormState(values=form_values(config, target) if target else {})
    groups = []
    for agency in config.agencies.values():
        if user.role == "coordinator" and agency.code != user.agency:
            continue
        prefixes = [p for p in config.queues if queue_owner(config, p) == agency.code]
        groups.append({"agency": agency, "services": config.services_of(agency.code),
                       "queues": [config.queues[p] for p in prefixes],
                       "counters": [c for c in config.counters.values()
                                    if c.agency == agency.code]})
    unowned = [q for p, q in config.queues.items() if queue_owner(config, p) is None]
    agency_code = target.agency if target else None
    form_agency = config.agencies.get(agency_code or "") if agency_code else None
    if target is not None and target.part == "loket":
        form_agency = config.agencies.get(state.values.get("instansi", "") or
                                          (agency_code or ""))
    choosable = [config.queues[p] for p in config.queues
                 if form_agency is not None
                 and queue_owner(config, p) in (form_agency.code, None)]
    done = request.query.get("dicatat", "")
    context: dict[str, Any] = {
        **a.common(request, t, session), "title": t("title_structure"), "groups": groups,
        "unowned": unowned if user.role == "admin" else [], "target": target,
        "state": state, "csrf": session.csrf, "is_admin": user.role == "admin",
        "config": config, "form_agency": form_agency, "choosable": choosable,
        "policies": ORDERING_POLICIES, "weekdays": list(zip(WEEKDAYS, DAY_NAMES, strict=True)),
        "agencies": [ag for ag in config.agencies.values()
                     if user.role == "admin" or ag.code == user.agency],
        "served": set(state.values.get("antrean", "").split(",")),
        "done": done if done.isdigit() else "",
        "also": [n for n in request.query.get("juga", "").split(",") if n.isdigit()],
        "counters_of_agency": [c for c in config.counters.values()
                               if form_agency is not None and c.agency == form_agency.code],
        "serving": set(state.values.get("loket_list", "").split(",")),
    }
    if target is not None and target.part == "instansi":
        logo = config.agencies[target.key].logo or ""
        name = logo.rsplit("/", 1)[-1]
        if logo == f"{LOGO_PREFIX}/{name}" and (request.app[LOGO_DIR] / name).is_file():
            context["logo_preview"] = f"/konfigurasi/logo/{name}"
    if target is not None and target.part == "antrean" and target.key:
        context["queue_services"] = config.services_in_queue(target.key)
    return aiohttp_jinja2.render_template("struktur.html", request, context, status=status)


# --- reading a form ---------------------------------------------------------------------------


def text_field(values: dict[str, str], name: str, t: Words, optional: bool = False) -> Any:
    raw = " ".join(values.get(name, "").split())
    if not raw:
        if optional:
            return DELETE
        raise FieldError(name, t("editor_required"))
    return raw


def _index(text: TomlText, table: str, key: str, value: Any) -> int:
    items = text.data.get(table, [])
    for i, item in enumerate(items):
        if item.get(key) == value:
            return i
    raise LookupError(f"no {table} item with {key} = {value!r}")


def _after(text: TomlText, table: str, agency: str) -> int | None:
    """Where a new item of `agency` goes: after its agency's last one of this table, else
    after the last one of the table."""
    items = text.data.get(table, [])
    if table == "queues":
        config = loads_config(text.original)
        mine = [i for i, q in enumerate(items) if queue_owner(config, q.get("prefix")) == agency]
    else:
        mine = [i for i, item in enumerate(items) if item.get("agency") == agency]
    return mine[-1] if mine else None


def _set(text: TomlText, table: str, index: int, wanted: dict[str, Any],
         implied: dict[str, Any] | None = None) -> None:
    """Only the keys whose value differs from what the file says (or implies by leaving
    the key out): a form saved unchanged writes nothing."""
    item = text.data[table][index]
    defaults = implied or {}
    changes = {k: v for k, v in wanted.items()
               if item.get(k, defaults.get(k, DELETE)) != v
               and not (v is DELETE and k not in item)}
    text.set_keys(table, index, changes)


def apply(text: TomlText, target: Target, values: dict[str, str], t: Words,
          remove: bool, logo: str | None = None) -> str:
    """Edit `text` for the form; what changed, in words for the log and the history."""
    part, key = target.part, target.key
    if part == "instansi":
        i = _index(text, "agencies", "code", key)
        wanted: dict[str, Any] = {"name": text_field(values, "nama", t),
                                  "short_name": text_field(values, "singkatan", t)}
        if logo is not None:
            wanted["logo"] = logo
        _set(text, "agencies", i, wanted, {"short_name": key})
        return f"agency {key}"
    if part == "layanan":
        return _apply_service(text, target, values, t, remove)
    if part == "antrean":
        return _apply_queue(text, target, values, t, remove)
    return _apply_counter(text, target, values, t, remove)


def _apply_service(text: TomlText, target: Target, values: dict[str, str], t: Words,
                   remove: bool) -> str:
    if remove:
        text.remove_item("services", _index(text, "services", "code", target.key))
        return f"service {target.key} removed"
    requirements = [line.strip() for line in values.get("syarat", "").splitlines()
                    if line.strip()]
    wanted: dict[str, Any] = {
        "name": text_field(values, "nama", t),
        "queue": text_field(values, "antrean", t),
        "standard_minutes": whole(values, "standar", t),
        "daily_quota": whole(values, "kuota", t, optional=True),
        "cutoff_minutes": whole(values, "batas", t, optional=True),
        "requirements": requirements if requirements else DELETE,
    }
    hours = {day: values.get(f"jam_{day}", "").strip() for day in WEEKDAYS}
    hours = {day: h for day, h in hours.items() if h}
    if not target.key:
        code = text_field(values, "kode", t)
        agency = target.agency or ""
        item = {"code": code, "name": wanted["name"], "agency": agency,
                "queue": wanted["queue"], "standard_minutes": wanted["standard_minutes"],
                **{k: v for k, v in wanted.items()
                   if k in ("daily_quota", "cutoff_minutes", "requirements")
                   and v is not DELETE}}
        text.append_item("services", item, after=_after(text, "services", agency),
                         subtables={"hours": hours} if hours else None)
        return f"service {code} added"
    i = _index(text, "services", "code", target.key)
    rules = text.data.get("rules", {})
    _set(text, "services", i, wanted, {"cutoff_minutes": rules.get("cutoff_minutes", 30),
                                       "requirements": []})
    old = text.data["services"][i].get("hours")
    if (hours or None) != old:
        text.set_subtable("services", i, "hours", hours if hours else DELETE)
    return f"service {target.key}"


def _apply_queue(text: TomlText, target: Target, values: dict[str, str], t: Words,
                 remove: bool) -> str:
    if remove:
        prefix = target.key
        for i in reversed([i for i, s in enumerate(text.data.get("services", []))
                           if s.get("queue") == prefix]):
            text.remove_item("services", i)
        for i, c in enumerate(text.data.get("counters", [])):
            if prefix in c.get("queues", []):
                text.set_keys("counters", i, {
                    "queues": [q for q in c["queues"] if q != prefix]})
        text.remove_item("queues", _index(text, "queues", "prefix", prefix))
        return f"queue {prefix} removed"
    policy = values.get("urutan", "")
    if policy not in ORDERING_POLICIES:
        raise FieldError("urutan", t("editor_required"))
    wanted: dict[str, Any] = {
        "prefix": values.get("awalan", "").strip(),
        "name": text_field(values, "nama", t),
        "policy": policy,
        "priority_every": whole(values, "selang", t),
    }
    if not wanted["prefix"]:
        raise FieldError("awalan", t("editor_required"))
    if not target.key:
        agency = target.agency or ""
        text.append_item("queues", wanted, after=_after(text, "queues", agency))
        chosen = [c for c in values.get("loket_list", "").split(",") if c]
        for i, c in enumerate(text.data.get("counters", [])):
            if str(c.get("number")) in chosen and c.get("agency") == agency:
                text.set_keys("counters", i, {"queues": [*c["queues"], wanted["prefix"]]})
        return f"queue {wanted['prefix']} added"
    i = _index(text, "queues", "prefix", target.key)
    _set(text, "queues", i, wanted, {"name": target.key, "policy": "interleave",
                                     "priority_every": 3})
    new = wanted["prefix"]
    if new != target.key:
        # A new prefix: every service and counter naming the queue follows it.
        for j, s in enumerate(text.data.get("services", [])):
            if s.get("queue") == target.key:
                text.set_keys("services", j, {"queue": new})
        for j, c in enumerate(text.data.get("counters", [])):
            if target.key in c.get("queues", []):
                text.set_keys("counters", j, {"queues": [
                    new if q == target.key else q for q in c["queues"]]})
    return f"queue {target.key}" + (f" now {new}" if new != target.key else "")


def _apply_counter(text: TomlText, target: Target, values: dict[str, str], t: Words,
                   remove: bool) -> str:
    if remove:
        text.remove_item("counters", _index(text, "counters", "number", int(target.key)))
        return f"counter {target.key} removed"
    queues = [q for q in values.get("antrean", "").split(",") if q]
    agency = values.get("instansi", "") or (target.agency or "")
    wanted: dict[str, Any] = {"name": text_field(values, "nama", t, optional=True),
                              "agency": agency, "queues": queues}
    if not target.key:
        number = whole(values, "nomor", t)
        item = {"number": number, **{k: v for k, v in wanted.items() if v is not DELETE}}
        text.append_item("counters", item, after=_after(text, "counters", agency))
        return f"counter {number} added"
    i = _index(text, "counters", "number", int(target.key))
    number = whole(values, "nomor", t)
    wanted = {"number": number, **wanted}
    _set(text, "counters", i, wanted, {"name": f"Loket {number}"})
    return f"counter {target.key}"


def loader_field(e: ConfigError, table: str, index: int | None) -> str:
    """The form field the loader's complaint names, when it is about the edited item."""
    if index is None:
        return ""
    head = f"{table}[{index}]"
    path = e.field_path
    if path == head:
        return KEY_FIELD[table]
    if not path.startswith(head + "."):
        return ""
    rest = path[len(head) + 1:]
    first = rest.split(".")[0].split("[")[0]
    if first == "hours":
        day = rest.split(".")[1] if "." in rest else ""
        return FIELDS[table].get(day, "jam")
    return FIELDS[table].get(first, "")


def loader_words(e: ConfigError, t: Words) -> str:
    for pattern, key in LOADER_WORDS:
        found = pattern.fullmatch(e.problem)
        if found:
            return t(key, **found.groupdict())
    return loader_message(e, t)


# --- stranded visitors ------------------------------------------------------------------------


def stranded(conn: Any, day: str, new: HallConfig) -> dict[str, int]:
    """Today's waiting tickets `new` leaves without a way to be called, by queue: their
    service or queue is gone, or no counter serves their queue. From the replica, as
    the console last heard it."""
    out: dict[str, int] = {}
    for service, queue, count in conn.execute(
            "SELECT service, queue, count(*) FROM tickets WHERE service_day=? AND status=? "
            "GROUP BY service, queue", (day, m.WAITING)):
        if (service not in new.services or queue not in new.queues
                or not new.counters_for_queue(queue)):
            out[queue] = out.get(queue, 0) + count
    return out


# --- saving -----------------------------------------------------------------------------------


def _redirect(target: Target, number: str, carried: list[str], t: Words) -> web.Response:
    key = target.key or "baru"
    query = {"dicatat": number, **({"juga": ",".join(carried)} if carried else {}),
             **({"lang": t.lang} if t.lang != "id" else {})}
    if target.part == "instansi" or key != "baru":
        query = {target.part: key, **query}
    return a.redirect("/konfigurasi/struktur?" + "&".join(f"{k}={v}" for k, v in query.items()))


async def save(request: web.Request) -> web.StreamResponse:
    allowed = _allowed(request)
    if not isinstance(allowed, Session):
        return allowed
    session = allowed
    t = a.words(request)
    station = request.app[a.STATION]
    config = station.config
    form = await request.post()
    values = {k: str(v) for k, v in form.items() if isinstance(v, str)}
    # A counter's queues and a new queue's counters are checkboxes: several values a name.
    values["antrean"] = ",".join(str(v) for v in form.getall("antrean", []))
    values["loket_list"] = ",".join(str(v) for v in form.getall("loket_list", []))
    part = values.get("bagian", "")
    key = values.get("kode_lama", "")
    raw = Target(part, key, values.get("instansi_baru") or (
        values.get("instansi") if part == "loket" else None) or None)
    if part not in PARTS:
        return a.error_page(request, t, 404, "not_found_title", "structure_missing")
    target = Target(part, key, target_agency(config, part, key, raw.agency or ""))
    refused = _refusal(request, session, target)
    if refused is None and part == "loket" and values.get("instansi") and \
            not may_change(session.user, Target(part, "", values["instansi"])):
        refused = a.error_page(request, t, 403, "forbidden_title", "structure_not_yours")
    if refused is not None:
        _audit(request, session, False, f"{part} {key or 'new'}: refused")
        return refused
    remove = values.get("aksi") == "hapus" and bool(key)
    state = FormState(values=values)
    table = TABLE_OF[part]
    try:
        logo, logo_body = await _logo(request, form, target, t)
        text = TomlText(_base(station))
        what = apply(text, target, values, t, remove, logo)
        content = text.text()
        new = loads_config(content, "the edited config")
    except FieldError as e:
        state.errors[e.name] = e.text
        return render(request, session, target, state, status=400)
    except ConfigError as e:
        index = _edited_index(text, table, target, values, remove)
        name = loader_field(e, table, index)
        if name.startswith("jam_") or name == "jam":
            name = name if name != "jam" else "jam_mon"
        if name:
            state.errors[name] = loader_words(e, t)
        else:
            state.message = loader_words(e, t)
        return render(request, session, target, state, status=400)
    except (EditError, LookupError) as e:
        log.warning("console structure: %s", e)
        state.message = t("editor_layout")
        return render(request, session, target, state, status=400)
    if values.get("yakin") != "1":
        day = config.service_day(station.hub_now()).isoformat()
        # Only those this change strands: ones already without a way to be called (a
        # change forced earlier) are not asked about again at every save.
        before = stranded(station.replica.conn, day, config)
        lost = {q: n - before.get(q, 0)
                for q, n in stranded(station.replica.conn, day, new).items()
                if n > before.get(q, 0)}
        if lost:
            where = ", ".join(f"{q}: {n}" for q, n in sorted(lost.items()))
            state.confirm = t("structure_strands", n=sum(lost.values()), where=where)
            return render(request, session, target, state, status=409)
        if remove:  # nobody waits, but a removal is still asked once (what it takes along)
            state.confirm = t("structure_remove_sure", what=removal_words(config, target, t))
            return render(request, session, target, state)
    if station.client is None:
        state.message = t("config_no_hub")
        return render(request, session, target, state, status=503)
    if logo is not None and logo_body is not None:
        # The hub keeps the file for every kiosk and board before any config names it.
        client = station.client
        name = logo.rsplit("/", 1)[-1]
        try:
            await upload_logo(client.url, client.token, client.pin, name, logo_body)
        except UploadRefused as e:
            log.warning("console structure: the hub did not take logo %s: %s", name, e)
            _audit(request, session, False, f"{what}: logo not sent to the hub ({e})")
            state.errors["logo"] = t("structure_logo_hub" if e.status else
                                     "structure_logo_offline")
            return render(request, session, target, state, status=503 if not e.status
                          else 502)
    source = f"console {session.user.username}: {what}"
    try:
        result = await station.client.command("change_config", {
            "content": content, "source": source, "force": values.get("yakin") == "1"},
            timeout=15.0)
    except TimeoutError:
        state.message = t("config_no_hub")
        return render(request, session, target, state, status=503)
    _audit(request, session, result.ok, what + ("" if result.ok else f": {result.refusal}"))
    if not result.ok:
        assert result.refusal is not None
        refusal = result.refusal
        if refusal.code == "strands_tickets":
            state.confirm = refusal.pesan if t.lang == "id" else refusal.message
        elif refusal.code == "unchanged":
            state.message = t("editor_unchanged")
        else:
            state.message = refusal.pesan if t.lang == "id" else refusal.message
        return render(request, session, target, state, status=409)
    number = await _recorded(station, result.value.get("seq") or [0])

    def edit(content: str) -> str:
        text = TomlText(content)
        apply(text, target, values, t, remove, logo)
        edited = text.text()
        loads_config(edited, "the edited config")
        return edited

    carried = await carry_forward(station, number, edit, source, "console structure",
                                  force=True)
    if remove:
        target = Target(part, "", target.agency)
    elif not key:
        target = Target(part, _new_key(part, values), target.agency)
    return _redirect(target, number, carried, t)


def removal_words(config: HallConfig, target: Target, t: Words) -> str:
    if target.part == "layanan":
        return t("structure_what_service", name=config.services[target.key].name)
    if target.part == "antrean":
        return t("structure_what_queue", prefix=target.key,
                 n=len(config.services_in_queue(target.key)))
    return t("structure_what_counter", name=config.counters[int(target.key)].name)


def _new_key(part: str, values: dict[str, str]) -> str:
    return {"layanan": values.get("kode", ""), "antrean": values.get("awalan", ""),
            "loket": values.get("nomor", "")}.get(part, "").strip()


def _edited_index(text: TomlText, table: str, target: Target, values: dict[str, str],
                  remove: bool) -> int | None:
    """The index the loader calls the edited item by, in the edited text."""
    if remove:
        return None
    key_name = {"agencies": "code", "services": "code", "queues": "prefix",
                "counters": "number"}[table]
    key: Any = target.key or _new_key(target.part, values)
    if table == "counters":
        key = int(key) if str(key).isdigit() else key
        if target.key:
            key = int(values.get("nomor", "0")) if values.get("nomor", "").isdigit() else key
    if table == "queues" and target.key:
        key = values.get("awalan", "").strip() or key
    items = text.expected.get(table, [])
    found = [i for i, item in enumerate(items) if item.get(key_name) == key]
    # A duplicate: the loader names the second one, the new or edited item (the later).
    if not target.key and found:
        return found[-1]
    if target.key and len(found) > 1:
        old = _index(text, table, key_name, int(target.key) if table == "counters"
                     else target.key)
        return next(i for i in found if i != old) if old == found[0] else found[-1]
    return found[0] if found else None


def _base(station: Any) -> str:
    v = config_log.version_in_force(config_log.config_versions(station.replica.conn),
                                    station.hub_now())
    return v.content if v is not None else station.config.raw_toml.decode("utf-8")


# --- logos ------------------------------------------------------------------------------------


def check_logo(body: bytes, t: Words) -> str:
    """The image's file extension ("png" or "jpg"), or FieldError("logo") saying what is
    wrong: too large, not a PNG or JPEG (by its content, not its name), too small or big."""
    if len(body) > LOGO_MAX_BYTES:
        raise FieldError("logo", t("structure_logo_big", kb=-(-len(body) // 1024)))
    try:
        ext, width, height = image_kind(body)  # the hub's own reading of the image
    except AssetError:
        raise FieldError("logo", t("structure_logo_kind")) from None
    if not (LOGO_MIN_PX <= width <= LOGO_MAX_PX and LOGO_MIN_PX <= height <= LOGO_MAX_PX):
        raise FieldError("logo", t("structure_logo_px", w=width, h=height))
    return ext


async def _logo(request: web.Request, form: Any, target: Target, t: Words
                ) -> tuple[str | None, bytes | None]:
    """An uploaded logo checked and stored as LOGO_DIR/<agency>-<digest>.<ext> (a new file
    for new content, so an older version's logo stays for a revert); the config's path
    for it and its content, or (None, None) when no file was sent."""
    upload = form.get("logo") if target.part == "instansi" else None
    if upload is None or isinstance(upload, str) or not upload.filename:
        return None, None
    body = upload.file.read(LOGO_MAX_BYTES + 1)
    ext = check_logo(body, t)
    name = logo_name(target.key, body, ext)
    folder = request.app[LOGO_DIR]
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    if not path.exists():
        partial = path.with_suffix(".part")
        partial.write_bytes(body)
        partial.replace(path)
    return f"{LOGO_PREFIX}/{name}", body


def _audit(request: web.Request, session: Session, ok: bool, detail: str) -> None:
    request.app[a.ACCOUNTS].audit("config_edit", session.user.username, a.address(request),
                                  ok, detail)


async def logo_file(request: web.Request) -> web.StreamResponse:
    """An uploaded logo, for the agency form's preview."""
    name = request.match_info["name"]
    if not re.fullmatch(r"[a-z0-9_-]+-[0-9a-f]{12}\.(png|jpg)", name):
        raise web.HTTPNotFound()
    path = request.app[LOGO_DIR] / name
    if not path.is_file():
        raise web.HTTPNotFound()
    return web.FileResponse(path)


def queue_label(q: Queue) -> str:
    return f"{q.prefix} · {q.name}"


def add_routes(app: web.Application, logo_dir: Path | None = None) -> None:
    """`logo_dir`: where uploaded logos are kept (default: the install's assets/logos,
    where stations look for the path the config gives)."""
    app[LOGO_DIR] = logo_dir or Path(__file__).resolve().parent.parent / LOGO_PREFIX
    app.router.add_get("/konfigurasi/struktur", structure_page)
    app.router.add_post("/konfigurasi/struktur", save)
    app.router.add_get("/konfigurasi/logo/{name}", logo_file)
