"""The SKM survey pages (PermenPANRB 14/2017) of the web station: on the visitor's phone from
the ticket's page (`/skm/t/{ticket_id}-{secret}`) once the ticket is finished, and on the
survey screen at a counter (`/skm/loket/{n}`), which offers the ticket just finished there for
a few minutes. The answer is the web station's one command to the hub (`answer_survey`).

No JavaScript needed: one element (unsur) per screen, each a form of four big buttons, one
POST per step. What was answered so far rides in one hidden field, signed with the ticket's
own web secret (HMAC), so a phone cannot change another step's answer, a page on another site
cannot make a valid POST (it knows no secret: that is the CSRF guard, since the pages' no-referrer
policy makes browsers send `Origin: null`), and a web station that restarted mid-survey (or a
second one behind the same address) takes the next step as if nothing happened. The hidden
field's draft id is the command's id: a submit sent twice (a reload, a lost reply) is one
answer."""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from dataclasses import dataclass, field
from typing import Any, ClassVar
from urllib.parse import urlencode

import aiohttp_jinja2
from aiohttp import web
from multidict import MultiDictProxy

from shared import skm
from shared.clock import to_ms
from shared.ledger import model as m
from shared.ledger.model import Result
from shared.ledger.queries import TicketView
from web import facts as f
from web.i18n import Words as PageWords
from web.station import WebStation

log = logging.getLogger(__name__)

SKM_WORDS: dict[str, tuple[str, str]] = {
    "skm_title": ("Survei Kepuasan Masyarakat", "Public Satisfaction Survey"),
    "skm_offer": ("Bagaimana pelayanan kami? Isi survei (± 1 menit)",
                  "How was our service? Take the survey (about 1 minute)"),
    "skm_offer_note": ("Jawaban Anda tanpa nama dan tidak dilihat petugas.",
                       "Your answers are anonymous; officers never see them."),
    "skm_done_note": ("Terima kasih, survei Anda sudah kami terima.",
                      "Thank you, we have received your survey."),
    "skm_step": ("Pertanyaan {n} dari {total}", "Question {n} of {total}"),
    "skm_profile": ("Tentang Anda", "About you"),
    "skm_profile_note": ("Untuk laporan saja; tanpa nama.", "For the report only; anonymous."),
    "skm_saran": ("Saran dan masukan (boleh dikosongkan)", "Suggestions (may be left empty)"),
    "skm_send": ("Kirim survei", "Send the survey"),
    "skm_thanks_title": ("Terima kasih", "Thank you"),
    "skm_thanks": ("Jawaban Anda sudah kami terima dan membantu kami memperbaiki pelayanan.",
                   "We have received your answers; they help us improve the service."),
    "skm_already": ("Survei untuk nomor antrean ini sudah diisi. Terima kasih atas "
                    "penilaian Anda.",
                    "The survey for this queue number was answered already. Thank you for "
                    "your rating."),
    "skm_not_yet": ("Survei dapat diisi setelah Anda selesai dilayani.",
                    "You can take the survey once you have been served."),
    "skm_closed": ("Waktu pengisian survei untuk nomor antrean ini sudah habis.",
                   "The survey for this queue number has closed."),
    "skm_not_sent": ("Jawaban belum terkirim (jaringan terputus). Silakan coba lagi.",
                     "Your answers were not sent yet (no connection). Please try again."),
    "skm_try_again": ("Kirim lagi", "Send again"),
    "skm_incomplete": ("Mohon pilih satu jawaban untuk setiap pertanyaan.",
                       "Please choose one answer for each question."),
    "skm_restart": ("Survei dimulai lagi dari awal.", "The survey starts again."),
    "skm_back_ticket": ("Kembali ke nomor antrean", "Back to the queue number"),
    "skm_loket_idle": ("Terima kasih atas kunjungan Anda", "Thank you for your visit"),
    "skm_loket_idle_note": ("Setelah Anda selesai dilayani, nilailah pelayanan kami di sini.",
                            "Once you have been served, rate our service here."),
    "skm_loket_offer": ("Nomor {label}: bagaimana pelayanan kami?",
                        "Number {label}: how was our service?"),
    "skm_start": ("Mulai survei", "Start the survey"),
    "skm_choose": ("Pilih", "Choose"),
    "skm_switch": ("English", "Bahasa Indonesia"),
}


class Words(PageWords):
    WORDS: ClassVar[dict[str, tuple[str, str]]] = {**PageWords.WORDS, **SKM_WORDS}


def words(request: web.Request, form: Form | None = None) -> Words:
    """The language of a POST's form (its hidden `lang`), else of the address."""
    if form is not None and isinstance(form.get("lang"), str):
        return Words(str(form["lang"]))
    return Words.of(request.query)


STATION = web.AppKey("skm_station", WebStation)
Form = MultiDictProxy[Any]  # a POST's fields (aiohttp's request.post())

# --- the state a survey carries between its steps -------------------------------------------

DRAFT_BYTES = 8


@dataclass(frozen=True)
class Draft:
    """A survey under way: the ticket, where it is answered (None: the visitor's own phone;
    a counter: its survey screen), the draft's id (the command's) and the answers so far."""

    ticket_id: str
    counter: int | None
    draft: str
    answers: tuple[int, ...] = ()

    def body(self) -> str:
        where = "qr" if self.counter is None else str(self.counter)
        return f"{self.draft}.{where}.{''.join(map(str, self.answers))}"

    def signed(self, secret: str) -> str:
        return f"{self.body()}.{_mac(secret, self.ticket_id, self.body())}"

    def with_answer(self, score: int) -> Draft:
        return Draft(self.ticket_id, self.counter, self.draft, (*self.answers, score))

    @property
    def command_id(self) -> str:
        return f"skm-{self.draft}"


def _mac(secret: str, ticket_id: str, body: str) -> str:
    return hmac.new(secret.encode(), f"skm|{ticket_id}|{body}".encode(),
                    hashlib.sha256).hexdigest()[:32]


def new_draft(ticket_id: str, counter: int | None) -> Draft:
    return Draft(ticket_id, counter, secrets.token_hex(DRAFT_BYTES))


def read_draft(text: object, ticket_id: str, secret: str, counter: int | None) -> Draft | None:
    """The hidden field back, or None when it is not one this ticket's secret signed for this
    place (changed, from another ticket, from a phone posted to a counter's screen)."""
    if not isinstance(text, str) or len(text) > 120:
        return None
    parts = text.split(".")
    if len(parts) != 4:
        return None
    draft, where, answers, mac = parts
    body = f"{draft}.{where}.{answers}"
    if not hmac.compare_digest(_mac(secret, ticket_id, body), mac):
        return None
    if where != ("qr" if counter is None else str(counter)):
        return None
    if len(answers) > skm.UNSUR_COUNT or any(c not in "1234" for c in answers):
        return None
    return Draft(ticket_id, counter, draft, tuple(int(c) for c in answers))


# --- what the ticket page and the counter's screen offer -------------------------------------

OFFER = "offer"
ANSWERED = "answered"
NOT_SERVED = "not_served"
CLOSED = "closed"


def survey_state(station: WebStation, ticket: TicketView, counter: int | None = None) -> str:
    """Whether the ticket's survey can be taken now (by the replica; the hub decides)."""
    if ticket.status != m.FINISHED or ticket.ended_at is None:
        return NOT_SERVED
    if station.reader.survey_answered(ticket.ticket_id):
        return ANSWERED
    since = to_ms(station.now()) - ticket.ended_at
    if counter is not None:
        open_ms = skm.COUNTER_OFFER_MINUTES * 60_000
        return OFFER if counter == ticket.counter and since <= open_ms else CLOSED
    return OFFER if since <= skm.SURVEY_WINDOW_HOURS * 3_600_000 else CLOSED


def ticket_offer(station: WebStation, ticket: TicketView, ref: str, lang: str
                 ) -> dict[str, str] | None:
    """What the ticket page shows of the survey: its link while it can be taken, a thank-you
    once answered, nothing before the ticket was served."""
    state = survey_state(station, ticket)
    t = Words(lang)
    if state == OFFER:
        return {"url": f"/skm/t/{ref}{_lang_suffix(t)}",
                "text": t("skm_offer"), "note": t("skm_offer_note")}
    if state == ANSWERED:
        return {"url": "", "text": "", "note": t("skm_done_note")}
    return None


def just_finished(station: WebStation, counter: int) -> TicketView | None:
    """The ticket the counter finished last, while its survey screen may offer it."""
    row = station.replica.conn.execute(
        "SELECT ticket_id FROM tickets WHERE counter=? AND status=? ORDER BY ended_at DESC "
        "LIMIT 1", (counter, m.FINISHED)).fetchone()
    ticket = station.reader.ticket(row[0]) if row else None
    if ticket is None or survey_state(station, ticket, counter) != OFFER:
        return None
    return ticket


# --- the pages ---------------------------------------------------------------------------------


@dataclass
class Screen:
    """One screen of the survey, for skm.html."""

    kind: str  # unsur, profile, thanks, message, idle, offer
    title: str = ""
    action: str = ""
    state: str = ""
    unsur: skm.Unsur | None = None
    step: int = 0
    answers: list[tuple[int, str]] = field(default_factory=list)
    profile: list[tuple[str, str, list[tuple[str, str]]]] = field(default_factory=list)
    message: str = ""
    back: str = ""
    refresh: int = 0  # seconds: without JavaScript the counter's screen reloads this often
    live: str = ""  # its live stream (/static/live.js swaps the screen in as the hall moves)
    label: str = ""
    ticket: str = ""  # the ticket's id, in a hidden field (the counter's screen needs it)


def render(request: web.Request, t: Words, screen: Screen, status: int = 200,
           switch: str = "") -> web.Response:
    station = request.app[STATION]
    return aiohttp_jinja2.render_template("skm.html", request, {
        "t": t, "lang": t.lang, "mpp": station.config.mpp, "s": screen,
        "title": t("skm_title"), "switch": switch, "total": skm.UNSUR_COUNT,
    }, status=status)


def step_screen(t: Words, draft: Draft, secret: str, action: str, message: str = ""
                ) -> Screen:
    """The next screen for a draft: the next unsur, then the profile and saran."""
    state = draft.signed(secret)
    if len(draft.answers) < skm.UNSUR_COUNT:
        u = skm.UNSUR[len(draft.answers)]
        return Screen("unsur", t.pick(u.question_id, u.question_en), action, state, u,
                      len(draft.answers) + 1,
                      [(score, t.pick(u.answers_id[score - 1], u.answers_en[score - 1]))
                       for score in reversed(skm.SCORES)], message=message,
                      ticket=draft.ticket_id)
    return Screen("profile", t("skm_profile"), action, state, message=message,
                  ticket=draft.ticket_id,
                  profile=[(pf.key, t.pick(pf.label_id, pf.label_en),
                            [(c, t.pick(id_, en_)) for c, id_, en_ in pf.choices])
                           for pf in skm.PROFILE])


def message_screen(t: Words, key: str, back: str = "", title: str = "skm_title") -> Screen:
    return Screen("message", t(title), message=t(key), back=back)


async def send(station: WebStation, draft: Draft, secret: str, profile: dict[str, str],
               saran: str) -> Result | None:
    """The answer to the hub, under the draft's id: a retry is the same answer. None when the
    hub did not answer in time (the command may still arrive: the page offers a retry)."""
    if station.client is None:
        return None
    args: dict[str, Any] = {"ticket": draft.ticket_id, "secret": secret,
                            "answers": list(draft.answers), "profile": profile, "saran": saran}
    if draft.counter is not None:
        args["counter"] = draft.counter
    try:
        return await station.client.command("answer_survey", args, draft.command_id,
                                            timeout=SEND_TIMEOUT)
    except TimeoutError:
        log.warning("the hub did not answer the survey of %s in %g s", draft.ticket_id,
                    SEND_TIMEOUT)
        return None


SEND_TIMEOUT = 8.0  # seconds; the phone shows "try again" after it


async def step(request: web.Request, t: Words, ticket: TicketView, secret: str,
               counter: int | None, form: Form, action: str,
               back: str) -> web.Response:
    """One POST of the survey: the answer of the screen shown, then the next screen."""
    station = request.app[STATION]
    draft = read_draft(form.get("s"), ticket.ticket_id, secret, counter)
    if draft is None:
        # A tampered or foreign field: start over rather than guess.
        return render(request, t, step_screen(t, new_draft(ticket.ticket_id, counter),
                                              secret, action, t("skm_restart")))
    if "switch" in form:  # the language button: the same screen in the other language
        other = t.other()
        return render(request, other, step_screen(other, draft, secret, action))
    if len(draft.answers) < skm.UNSUR_COUNT:
        score = form.get("v")
        if not isinstance(score, str) or score not in ("1", "2", "3", "4"):
            return render(request, t, step_screen(t, draft, secret, action,
                                                  t("skm_incomplete")), status=400)
        draft = draft.with_answer(int(score))
        return render(request, t, step_screen(t, draft, secret, action))
    profile = {pf.key: str(form.get(pf.key) or "") for pf in skm.PROFILE}
    saran = str(form.get("saran") or "")[:skm.SARAN_MAX]
    try:
        skm.check_response(list(draft.answers), profile, saran)
    except skm.SurveyInvalid:
        return render(request, t, step_screen(t, draft, secret, action, t("skm_incomplete")),
                      status=400)
    result = await send(station, draft, secret, profile, saran)
    if result is None:
        screen = step_screen(t, draft, secret, action, t("skm_not_sent"))
        return render(request, t, screen, status=503)
    if result.ok:
        return render(request, t, Screen("thanks", t("skm_thanks_title"),
                                         message=t("skm_thanks"), back=back))
    code = result.refusal.code if result.refusal else ""
    key = {"already_answered": "skm_already", "survey_closed": "skm_closed",
           "not_served": "skm_not_yet"}.get(code, "skm_closed")
    log.info("survey of %s refused: %s", ticket.ticket_id,
             result.refusal.message if result.refusal else "?")
    return render(request, t, message_screen(t, key, back), status=409)


def _lang_suffix(t: Words) -> str:
    return "?" + urlencode(t.query) if t.query else ""


async def phone_survey(request: web.Request) -> web.Response:
    """`/skm/t/{ref}`: the survey on the visitor's phone (the ticket's own secret in the
    address, as on its page)."""
    station = request.app[STATION]
    form = await request.post() if request.method == "POST" else None
    t = words(request, form)
    ref = request.match_info["ref"]
    ticket = f.find_ticket(station.reader, ref)
    if ticket is None:
        raise web.HTTPNotFound()
    secret = station.reader.ticket_secret(ticket.ticket_id)
    assert secret is not None  # find_ticket checked it
    back = f"/t/{ref}{_lang_suffix(t)}"
    action = f"/skm/t/{ref}"
    state = survey_state(station, ticket)
    if state != OFFER:
        key = {ANSWERED: "skm_already", NOT_SERVED: "skm_not_yet"}.get(state, "skm_closed")
        return render(request, t, message_screen(t, key, back),
                      status=409 if form is not None else 200)
    if form is None:
        # The form's own language button switches (and keeps the answers); no header link.
        return render(request, t, step_screen(t, new_draft(ticket.ticket_id, None), secret,
                                              action))
    return await step(request, t, ticket, secret, None, form, action, back)


def loket_screen(station: WebStation, counter: int, t: Words) -> Screen:
    """The counter's survey screen between surveys: idle, or offering the ticket just
    finished there. Rendered for the page and again for its live stream (web.app)."""
    action = f"/skm/loket/{counter}"
    name = f.counter_name(station.config, counter)
    live = f"/live{action}{_lang_suffix(t)}"
    ticket = just_finished(station, counter)
    if ticket is None:
        return Screen("idle", name, message=t("skm_loket_idle"), refresh=5, live=live)
    return Screen("offer", name, action=action, refresh=5, live=live, label=ticket.label,
                  message=t("skm_loket_offer", label=ticket.label), state=ticket.ticket_id)


async def counter_screen(request: web.Request) -> web.Response:
    """`/skm/loket/{n}`: the survey screen at a counter. Idle, or offering the ticket just
    finished there; the survey itself then runs on this screen's own POSTs."""
    station = request.app[STATION]
    form = await request.post() if request.method == "POST" else None
    t = words(request, form)
    try:
        counter = int(request.match_info["number"])
    except ValueError:
        raise web.HTTPNotFound() from None
    if counter not in station.config.counters:
        raise web.HTTPNotFound()
    action = f"/skm/loket/{counter}"
    idle = f"{action}{_lang_suffix(t)}"
    if form is None:
        return render(request, t, loket_screen(station, counter, t),
                      switch=action + _lang_suffix(t.other()))
    ticket_id = form.get("ticket")
    if isinstance(ticket_id, str):
        # "Start" on the offer: only for the ticket this screen offers right now.
        ticket = just_finished(station, counter)
        if ticket is None or ticket.ticket_id != ticket_id:
            return render(request, t, message_screen(t, "skm_closed", idle), status=409)
        secret = station.reader.ticket_secret(ticket.ticket_id)
        if secret is None:
            return render(request, t, message_screen(t, "skm_closed", idle), status=409)
        return render(request, t, step_screen(t, new_draft(ticket.ticket_id, counter),
                                              secret, action))
    # A later step: the draft names its ticket (its first part is the ticket's id).
    ticket_of = form.get("t")
    ticket = station.reader.ticket(ticket_of) if isinstance(ticket_of, str) else None
    secret = station.reader.ticket_secret(ticket.ticket_id) if ticket else None
    if ticket is None or secret is None:
        return render(request, t, message_screen(t, "skm_closed", idle), status=409)
    state = survey_state(station, ticket)
    if state != OFFER:
        key = {ANSWERED: "skm_already"}.get(state, "skm_closed")
        return render(request, t, message_screen(t, key, idle), status=409)
    return await step(request, t, ticket, secret, counter, form, action, idle)


def add_routes(app: web.Application, station: WebStation) -> None:
    """Register the survey's pages on the web station's app (web/app.py calls this)."""
    app[STATION] = station
    for path, handler in (("/skm/t/{ref}", phone_survey), ("/skm/loket/{number}",
                                                           counter_screen)):
        app.router.add_get(path, handler)
        app.router.add_post(path, handler)
