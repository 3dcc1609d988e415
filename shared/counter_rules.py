"""What a counter may do, and how it says what it did: the one set of rules the Qt counter
(counter_client) and the browser counter (web/petugas) share, so both behave the same.
Pure: no Qt, no I/O."""

from __future__ import annotations

from typing import Any

from shared.config import HallConfig
from shared.hub.auth import PIN_MAX_DIGITS, PIN_MIN_DIGITS
from shared.ledger import model as m
from shared.ledger.queries import TicketView

# Actions, named by the ledger command each one sends.
CALL_NEXT = "call_next"
RECALL = "recall"
START = "start"
FINISH = "finish"
NO_SHOW = "no_show"
TRANSFER = "transfer"
RETURN_NO_SHOW = "return_no_show"
PAUSE = "pause_counter"
OPEN = "open_counter"
CLOSE = "close_counter"
SIGN_IN = "sign_in"
SIGN_OUT = "sign_out"
CHECK_PRIORITY = "check_priority"

ACTIONS = (CALL_NEXT, RECALL, START, FINISH, NO_SHOW, TRANSFER, RETURN_NO_SHOW, PAUSE, OPEN,
           CLOSE, SIGN_OUT, CHECK_PRIORITY)

# Message kinds for the message area.
INFO = "info"
DONE = "done"
ERROR = "error"

STATUS_WORDS = {m.COUNTER_OPEN: "Buka", m.COUNTER_PAUSED: "Istirahat", m.COUNTER_CLOSED: "Tutup"}


# Default keys. A USB number pad: Enter or '+' calls the next visitor, '.' or '-' recalls.
# Simple caller buttons usually send one of these, or an F-key. "Enter" means both Enter keys
# (see `key_sequences`); the number pad's keys match their main-keyboard twins.
DEFAULT_KEYS: dict[str, tuple[str, ...]] = {
    CALL_NEXT: ("F1", "Enter", "+"),
    RECALL: ("F2", ".", "-"),
    START: ("F3",),
    FINISH: ("F4",),
    NO_SHOW: ("F5",),
    TRANSFER: ("F6",),
    RETURN_NO_SHOW: ("F7",),
    PAUSE: ("F8",),
    OPEN: ("F9",),
    CLOSE: ("F10",),
}


def enabled_actions(status: str, active: TicketView | None, has_no_shows: bool,
                    busy: str | None, online: bool, signed_in: bool) -> frozenset[str]:
    """The actions that make sense now at a counter in `status` with `active` at it."""
    # Offline, nothing can be guaranteed: every action needs the ledger's answer.
    if busy is not None or not online or not signed_in:
        return frozenset()
    on = {SIGN_OUT} if active is None else set()
    if status == m.COUNTER_OPEN:
        on.add(CALL_NEXT)
        if active is None:
            on.update((PAUSE, CLOSE))
    else:
        on.add(OPEN)
        if status == m.COUNTER_PAUSED and active is None:
            on.add(CLOSE)
    if active is not None:
        if active.status == m.CALLED:
            on.update((RECALL, START, NO_SHOW))
        on.update((FINISH, TRANSFER))
        if active.priority and active.priority_ok is None:
            on.add(CHECK_PRIORITY)
    if has_no_shows:
        on.add(RETURN_NO_SHOW)
    return frozenset(on)


def done_text(kind: str, label: str | None, args: dict[str, Any], cfg: HallConfig) -> str:
    n = label or "Nomor"
    if kind == RECALL:
        return f"Memanggil ulang {n}."
    if kind == START:
        return f"Mulai melayani {n}."
    if kind == FINISH:
        return f"{n} selesai dilayani."
    if kind == NO_SHOW:
        return f"{n} dicatat tidak hadir."
    if kind == TRANSFER:
        svc = cfg.services.get(args.get("service", ""))
        where = f"{cfg.agencies[svc.agency].short_name} · {svc.name}" if svc else "layanan lain"
        return f"{n} dialihkan ke {where}."
    if kind == RETURN_NO_SHOW:
        return f"{n} dikembalikan ke antrean."
    if kind == CHECK_PRIORITY:
        return (f"Prioritas {n} dicatat sesuai." if args.get("valid")
                else f"{n} dicatat bukan prioritas.")
    if kind == PAUSE:
        return "Loket istirahat. Tekan Buka loket untuk melayani lagi."
    if kind == OPEN:
        return "Loket dibuka."
    if kind == CLOSE:
        return "Loket ditutup."
    return "Selesai."


def minutes_text(seconds: int | None) -> str:
    """'12 menit', '45 detik', '1 jam 5 menit'."""
    if seconds is None:
        return "-"
    if seconds < 60:
        return f"{seconds} detik"
    minutes = seconds // 60
    if minutes < 60:
        return f"{minutes} menit"
    return f"{minutes // 60} jam {minutes % 60} menit"


# --- signing an idle officer out, the Qt and browser counters ---------------------------------

# An officer who did nothing for this long is signed out (a PC or laptop left signed in at an
# empty counter, where anyone could call in their name): half an hour, longer than any one
# visitor's service.
IDLE_SIGN_OUT_S = 30 * 60


IDLE_MINUTES_MAX = 24 * 60


def parse_idle_minutes(text: str) -> float:
    """`--idle-minutes N` of `antrean counter` and `antrean web`: 0 (never) or 0.05 to 1440
    minutes, a fraction allowed. ValueError (in English, for the CLI) otherwise."""
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not (value == 0 or 0.05 <= value <= IDLE_MINUTES_MAX):
        raise ValueError(f"expected 0 (never) or minutes from 0.05 to {IDLE_MINUTES_MAX}, "
                         f"not {text!r}")
    return value


def idle_text(seconds: float) -> str:
    """The idle time as the officer reads it: minutes, or seconds when below one."""
    if seconds >= 60:
        minutes = seconds / 60
        return f"{minutes:g} menit" if minutes != int(minutes) else f"{int(minutes)} menit"
    return f"{seconds:g} detik"


def idle_signed_out_text(limit_s: float) -> str:
    """The message line after the counter signed an idle officer out."""
    return f"Anda keluar otomatis: tidak ada aktivitas selama {idle_text(limit_s)}."


def idle_sign_out_due(limit_s: float | None, quiet_s: float, *, signed_in: bool, online: bool,
                      busy: bool, ticket_at_counter: bool) -> bool:
    """Whether the counter signs its officer out now, after `quiet_s` seconds without a key,
    click or touch. `limit_s` None or 0: never (a hall that wants it off).

    Never while a ticket is called or served at the counter: a visitor is (or should be)
    standing there, a long case is no absent officer, and the ledger refuses a sign-out with a
    ticket at the counter anyway. Callers count the quiet time from the later of the last
    press and the last moment a ticket was at the counter, so an officer whose ticket just
    left is not signed out at once. Nor offline (the hub must say it) or with a command in
    flight (its answer decides)."""
    if not limit_s or limit_s <= 0:
        return False
    return (signed_in and online and not busy and not ticket_at_counter
            and quiet_s >= limit_s)


def clock_text(seconds: int) -> str:
    """A running timer: '03:07' or '1:03:07'."""
    h, rest = divmod(max(0, seconds), 3600)
    mi, s = divmod(rest, 60)
    return f"{h}:{mi:02d}:{s:02d}" if h else f"{mi:02d}:{s:02d}"


# --- a temporary PIN replaced at sign-in (docs/protocol.md 5.4), the Qt and browser counters ---

CHANGE_PIN = "change_pin"
PIN_CHANGE_ASKED = ("PIN Anda adalah PIN sementara dari petugas TI. Buat PIN baru Anda sendiri: "
                    "ketik dua kali, lalu Simpan PIN.")
PIN_CHANGE_REQUIRED = "pin_change_required"  # the sign-in reply's flag, and the refusal's code


def new_pin_problem(new: str, again: str) -> str | None:
    """What is wrong with the new PIN typed twice, for the officer; None when it may be sent
    (the hub checks it again, and that it is not the old one)."""
    if not new or not again:
        return "Isi PIN baru dan ulangi PIN baru."
    if new != again:
        return "PIN baru dan ulangannya tidak sama. Ketik keduanya lagi."
    if not new.isdigit() or not PIN_MIN_DIGITS <= len(new) <= PIN_MAX_DIGITS:
        return f"PIN baru harus {PIN_MIN_DIGITS}–{PIN_MAX_DIGITS} angka."
    return None
