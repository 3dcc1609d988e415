"""The ledger: the one writer of a hall's history.

`Ledger.execute(command)` validates a command against the current projection, appends its
events and updates the projection in one `BEGIN IMMEDIATE` transaction, and returns only after
the commit is durable. A command id seen before returns the first result and writes nothing.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hmac
import logging
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from shared import indonesian as ID
from shared import skm
from shared.clock import Clock, SystemClock, from_ms, to_ms
from shared.config import PRIORITY_GROUPS, ConfigError, HallConfig, Service, loads_config
from shared.ledger import config_log
from shared.ledger import model as m
from shared.ledger.availability import (
    CLOSED_TODAY,
    CUTOFF,
    HOLIDAY,
    NOT_YET_OPEN,
    QUOTA_FULL,
    TicketWindow,
    ticket_window,
)
from shared.ledger.disk import DISK_LOW, free_bytes, megabytes
from shared.ledger.head import HeadRecord
from shared.ledger.model import (
    Actor,
    Command,
    CommandRefused,
    Event,
    Refusal,
    Result,
    refuse,
)
from shared.ledger.projection import (
    apply_event,
    clear_projection,
    event_from_row,
    hash_at,
    insert_event,
    iter_events,
    last_seq,
    projection_dump,
    replay,
)
from shared.ledger.queries import LedgerReader, TicketView, alert_key
from shared.ledger.store import LedgerError, connect, immediate
from shared.ticket_url import new_secret

log = logging.getLogger(__name__)

EventListener = Callable[[list[Event]], None]

# The refusals of issue_ticket the ledger records as ticket.refused: the hall's own reasons.
RECORDED_REFUSALS = (QUOTA_FULL, CUTOFF, CLOSED_TODAY, HOLIDAY, NOT_YET_OPEN)


def refusal_of(e: Event) -> Refusal:
    """The refusal a ticket.refused event records, as the kiosk was first told it."""
    d = e.data
    return Refusal(str(d["reason"]), str(d.get("message", "")), str(d.get("pesan", "")),
                   dict(d.get("detail") or {}))


class Ledger:
    """The authoritative ledger of one hall. Not thread-safe by itself: the hub gives it one
    writer thread; tests and tools use it from one thread."""

    def __init__(self, path: str | Path, config: HallConfig, clock: Clock | None = None,
                 min_free_bytes: int = 0, head: HeadRecord | None = None) -> None:
        self.path = Path(path)
        # The config given (the hub's --config file, a tool's): the rules until the ledger
        # records a version of its own (config.changed); then the version in force at each
        # command's time is (shared.ledger.config_log).
        self.file_config = config
        self._config = config
        self._config_span = (0, -1)  # [from, until) ms in which _config is the one in force
        # Below this much free space on the ledger's disk, no new tickets (shared.ledger.disk);
        # 0: no floor (tools, tests, one-PC mode).
        self.min_free_bytes = min_free_bytes
        self._disk_low = False
        self.clock: Clock = clock or SystemClock()
        self.conn = connect(self.path)
        self.reader = LedgerReader(self.conn, config)
        self.config_versions = config_log.config_versions(self.conn)
        # The hub's "what my last run left" record (shared.ledger.head), kept after every
        # commit; tools and tests that open a ledger for a moment keep none.
        self.head = head
        self._listeners: list[EventListener] = []
        self._lock = threading.Lock()

    def close(self) -> None:
        if self.head is not None:
            with contextlib.suppress(sqlite3.Error, OSError):
                # A clean stop: checkpoint, then record durably what the file holds.
                self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
                seq = last_seq(self.conn)
                self.head.committed(seq, hash_at(self.conn, seq) or "", durable=True)
            self.head.close()
        self.conn.close()

    def subscribe(self, listener: EventListener) -> None:
        """Called after every commit with the events it wrote (in the writer's thread)."""
        self._listeners.append(listener)

    # --- the command API -------------------------------------------------------------------

    def execute(self, command: Command) -> Result:
        try:
            return self._execute(command)
        except sqlite3.DatabaseError as e:
            # A damaged file or projection (a constraint the events should never break): the
            # command is refused as a ledger fault in one line, never a traceback.
            raise LedgerError(f"the ledger {self.path} cannot take {command.kind}: {e}") from None

    def _execute(self, command: Command) -> Result:
        with self._lock, immediate(self.conn):
            seen = self.conn.execute(
                "SELECT * FROM events WHERE command_id=? ORDER BY seq", (command.id,)
            ).fetchall()
            if seen:
                events = [event_from_row(r) for r in seen]
                if events[0].kind == m.TICKET_REFUSED:
                    # A retry of a refused ticket gets the same refusal, recorded once.
                    return Result(command.id, False, events=tuple(events),
                                  refusal=refusal_of(events[0]), duplicate=True)
                return Result(command.id, True, self._value_for(command, events), tuple(events),
                              duplicate=True)
            refusal: Refusal | None = None
            try:
                events = self._decide(command)
            except CommandRefused as refused:
                log.info("refused %s from %s: %s", command.kind, command.actor.device,
                         refused.refusal.message)
                refusal = refused.refusal
                events = self._refusal_events(command, refusal)
                if not events:
                    return Result(command.id, False, refusal=refusal)
            stored = []
            for e in events:
                stored.append(insert_event(self.conn, e))
                apply_event(self.conn, e)
            events = stored
            value = self._value_for(command, events) if refusal is None else {}
        for e in events:
            if e.kind == m.CONFIG_CHANGED:
                self.config_versions.append(config_log.ConfigVersion.from_event(e))
                self._config_span = (0, -1)
        if self.head is not None and events:
            # After the commit returned, so the record never claims more than is durable.
            self.head.committed(events[-1].seq, events[-1].hash or "")
        for listener in self._listeners:
            listener(events)
        if refusal is not None:
            return Result(command.id, False, events=tuple(events), refusal=refusal)
        return Result(command.id, True, value, tuple(events))

    # Convenience wrappers, so in-process callers read like the domain.
    def issue_ticket(self, service: str, actor: Actor, priority: str | None = None,
                     command_id: str | None = None) -> Result:
        return self.execute(_cmd("issue_ticket", {"service": service, "priority": priority},
                                 actor, command_id))

    def call_next(self, counter: int, actor: Actor, command_id: str | None = None) -> Result:
        return self.execute(_cmd("call_next", {"counter": counter}, actor, command_id))

    def run(self, kind: str, actor: Actor, command_id: str | None = None, **args: Any) -> Result:
        return self.execute(_cmd(kind, args, actor, command_id))

    # --- the config in force -----------------------------------------------------------------

    def config_at(self, instant: dt.datetime) -> HallConfig:
        """The hall config in force at `instant`: the ledger's version then, or the file's
        before the ledger held any."""
        return config_log.config_in_force(self.config_versions, instant) or self.file_config

    @property
    def config(self) -> HallConfig:
        """The config in force now, by the ledger's clock (a change "from Monday" applies once
        the clock passes midnight); recomputed only when the clock leaves the span it holds."""
        now = to_ms(self.clock.now())
        start, until = self._config_span
        if not start <= now < until:
            self._config = self.reader.config = self.config_at(self.clock.now())
            later = [v.effective_ms for v in self.config_versions if v.effective_ms > now]
            earlier = [v.effective_ms for v in self.config_versions if v.effective_ms <= now]
            self._config_span = (max(earlier, default=0), min(later, default=2**62))
        return self._config

    # --- deciding ---------------------------------------------------------------------------

    def _decide(self, c: Command) -> list[Event]:
        malformed = m.check_args(c.kind, c.args)
        if malformed is not None:
            raise CommandRefused(malformed)
        now = self.clock.now()
        builder = _Events(c, to_ms(now), last_seq(self.conn))
        decide: Callable[[Command, dt.datetime, _Events], None] = getattr(self, f"_{c.kind}")
        decide(c, now, builder)
        return builder.events

    def _issue_ticket(self, c: Command, now: dt.datetime, out: _Events) -> None:
        svc = self._service(c.args["service"])
        self._check_free_space()
        priority = c.args.get("priority")
        if priority is not None and priority not in PRIORITY_GROUPS:
            raise refuse("bad_args", f"unknown priority group {priority!r}",
                         "Kelompok prioritas tidak dikenal.")
        day = self.config.service_day(now)
        window = ticket_window(self.config, svc, now,
                               self.reader.issued_today(f"s:{svc.code}", day))
        if not window.is_open:
            raise _closed_refusal(svc, window)
        number = self.reader.issued_today(f"q:{svc.queue}", day) + 1
        label = f"{svc.queue}-{number:03d}"
        ticket_id = f"{day:%Y%m%d}-{label}"
        out.add(m.TICKET_ISSUED, ticket_id, {
            "service_day": day.isoformat(), "queue": svc.queue, "number": number,
            "label": label, "service": svc.code, "agency": svc.agency, "priority": priority,
            # The ticket's web address carries it (shared/ticket_url.py). Made here, once: a
            # retry gets it back from this event, and every replica learns it with the event.
            "secret": new_secret(),
        })

    def _refusal_events(self, c: Command, refusal: Refusal) -> list[Event]:
        """A new ticket refused for a reason of the hall is recorded (ticket.refused): the
        console shows the day's refusals per service, the reports count them. Nothing for a
        malformed command or an unknown service, and nothing below the disk floor (writing
        there is what the floor keeps the disk for)."""
        if c.kind != "issue_ticket" or refusal.code not in RECORDED_REFUSALS:
            return []
        svc = self.config.services[c.args["service"]]
        now = self.clock.now()
        out = _Events(c, to_ms(now), last_seq(self.conn))
        out.add(m.TICKET_REFUSED, None, {
            "service_day": self.config.service_day(now).isoformat(), "service": svc.code,
            "agency": svc.agency, "queue": svc.queue, "priority": c.args.get("priority"),
            "reason": refusal.code, "message": refusal.message, "pesan": refusal.pesan,
            "detail": refusal.detail,
        })
        return out.events

    def _check_free_space(self) -> None:
        """Refuse a new ticket below the floor, while SQLite still has room to serve the
        tickets already issued (one statvfs call: cheap beside the commit's fsync)."""
        if not self.min_free_bytes:
            return
        free = free_bytes(self.path.parent)
        low = free < self.min_free_bytes
        if low != self._disk_low:
            self._disk_low = low
            if low:
                log.error("only %s free on the disk of %s, below the floor of %s: refusing new "
                          "tickets until space is freed", megabytes(free), self.path,
                          megabytes(self.min_free_bytes))
            else:
                log.warning("%s free on the disk of %s again: issuing tickets", megabytes(free),
                            self.path)
        if low:
            raise refuse(DISK_LOW, f"the hub's disk has {megabytes(free)} free, below its floor "
                         f"of {megabytes(self.min_free_bytes)}: no new tickets until space is "
                         f"freed", ID.DISK_LOW, free_bytes=free)

    def _call_next(self, c: Command, now: dt.datetime, out: _Events) -> None:
        number = self._staffed_counter(c.args["counter"], for_calling=True)
        current = self.reader.active_ticket(number)
        if current is not None:
            # "Call next" means the officer is done with the visitor in front of them.
            out.add(m.TICKET_FINISHED, current.ticket_id, {"counter": number})
        ticket = self._pick_next(number, self.config.service_day(now))
        if ticket is None:
            return
        out.add(m.TICKET_CALLED, ticket.ticket_id, {"counter": number})

    def _pick_next(self, counter: int, day: dt.date) -> TicketView | None:
        """The counter's next ticket: the front of its queues, with priority tickets placed
        by the queue's policy (strict first, or one after every N regular ones)."""
        queues = self.config.counters[counter].queues
        regular = self._head(queues, day, priority=False)
        prio = self._head(queues, day, priority=True)
        if prio is None:
            return regular
        if regular is None:
            return prio
        queue = self.config.queues[prio.queue]
        if queue.policy == "strict_priority":
            return prio
        if queue.policy == "fifo":
            return prio if prio.rank < regular.rank else regular
        streak = self.reader.regular_streak(prio.queue, day)
        return prio if streak is None or streak >= queue.priority_every else regular

    def _head(self, queues: tuple[str, ...], day: dt.date, priority: bool) -> TicketView | None:
        marks = ",".join("?" * len(queues))
        row = self.conn.execute(
            f"SELECT ticket_id FROM tickets WHERE status='waiting' AND service_day=? "
            f"AND is_priority=? AND queue IN ({marks}) ORDER BY rank LIMIT 1",
            (day.isoformat(), 1 if priority else 0, *queues),
        ).fetchone()
        return self.reader.ticket(row[0]) if row else None

    def _active(self, c: Command, statuses: tuple[str, ...], what: str) -> tuple[int, TicketView]:
        number = self._counter(c.args["counter"])
        ticket = self.reader.active_ticket(number)
        if ticket is None:
            raise refuse("no_active_ticket", f"counter {number} has no ticket to {what}",
                         "Belum ada nomor antrean yang dipanggil di loket ini.")
        if ticket.status not in statuses:
            raise refuse("wrong_state", f"ticket {ticket.label} is {ticket.status}; cannot {what}",
                         f"Nomor {ticket.label} tidak dapat di{what} sekarang.")
        return number, ticket

    def _recall(self, c: Command, now: dt.datetime, out: _Events) -> None:
        number, t = self._active(c, (m.CALLED,), "recall")
        out.add(m.TICKET_RECALLED, t.ticket_id, {"counter": number, "call": t.call_count + 1})

    def _start(self, c: Command, now: dt.datetime, out: _Events) -> None:
        number, t = self._active(c, (m.CALLED,), "start")
        out.add(m.TICKET_STARTED, t.ticket_id, {"counter": number})

    def _finish(self, c: Command, now: dt.datetime, out: _Events) -> None:
        number, t = self._active(c, (m.CALLED, m.SERVING), "finish")
        out.add(m.TICKET_FINISHED, t.ticket_id, {"counter": number})

    def _no_show(self, c: Command, now: dt.datetime, out: _Events) -> None:
        number, t = self._active(c, (m.CALLED,), "no_show")
        out.add(m.TICKET_NO_SHOW, t.ticket_id, {"counter": number})

    def _return_no_show(self, c: Command, now: dt.datetime, out: _Events) -> None:
        t = self._ticket(c.args["ticket"])
        # The counter that took them back, when given, is recorded: it must be a real one.
        counter = c.args.get("counter")
        if counter is not None:
            counter = self._counter(counter)
        if t.status != m.NO_SHOW:
            raise refuse("wrong_state", f"ticket {t.label} is {t.status}, not a no-show",
                         f"Nomor {t.label} tidak berstatus tidak hadir.")
        if t.service_day != self.config.service_day(now).isoformat():
            raise refuse("expired", f"ticket {t.label} is from {t.service_day}",
                         f"Nomor {t.label} hanya berlaku pada hari diambil.")
        out.add(m.TICKET_REQUEUED, t.ticket_id, {
            "to_front": self.config.rules.returning_no_show_to_front,
            "counter": counter,
        })

    def _transfer(self, c: Command, now: dt.datetime, out: _Events) -> None:
        number, t = self._active(c, (m.CALLED, m.SERVING), "transfer")
        target = self._service(c.args["service"])
        if target.code == t.service:
            raise refuse("bad_args", "transfer to the same service",
                         "Layanan tujuan sama dengan layanan sekarang.")
        day = self.config.service_day(now)
        hours = self.config.schedule_for(target).hours_on(day)
        if hours is None or day in self.config.holidays:  # no cut-off: the visitor is here
            raise refuse("closed", f"{target.code} is not open today",
                         f"Layanan {target.name} tidak buka hari ini.")
        to_front = c.args.get("to_front")
        if to_front is None:
            to_front = self.config.rules.transfer_to_front
        if not isinstance(to_front, bool):
            raise refuse("bad_args", "to_front must be true or false", "Perintah tidak lengkap.")
        out.add(m.TICKET_TRANSFERRED, t.ticket_id, {
            "counter": number, "from_service": t.service, "service": target.code,
            "queue": target.queue, "agency": target.agency, "to_front": to_front,
        })

    def _check_priority(self, c: Command, now: dt.datetime, out: _Events) -> None:
        number, t = self._active(c, (m.CALLED, m.SERVING), "check")
        valid = c.args["valid"]
        if not isinstance(valid, bool):
            raise refuse("bad_args", "valid must be true or false", "Perintah tidak lengkap.")
        if not t.priority:
            raise refuse("not_priority", f"ticket {t.label} claims no priority",
                         f"Nomor {t.label} bukan nomor prioritas.")
        if t.priority_ok is not None:
            raise refuse("already_checked", f"the priority of {t.label} was checked already",
                         f"Prioritas nomor {t.label} sudah diperiksa.")
        out.add(m.TICKET_PRIORITY_CHECKED, t.ticket_id, {
            "counter": number, "valid": valid, "group": t.priority})

    def _cancel(self, c: Command, now: dt.datetime, out: _Events) -> None:
        t = self._ticket(c.args["ticket"])
        if t.status not in (m.WAITING, m.CALLED):
            raise refuse("wrong_state", f"ticket {t.label} is {t.status}; cannot cancel",
                         f"Nomor {t.label} tidak dapat dibatalkan.")
        out.add(m.TICKET_CANCELLED, t.ticket_id, {"reason": str(c.args.get("reason") or "")})

    def _staffed_counter(self, raw: Any, for_calling: bool = False) -> int:
        number = self._counter(raw)
        state = self.reader.counter(number)
        if state.officer is None:
            raise refuse("not_signed_in", f"no officer is signed in at counter {number}",
                         "Petugas belum masuk di loket ini.")
        if for_calling and state.status != m.COUNTER_OPEN:
            raise refuse("counter_not_open", f"counter {number} is {state.status}",
                         "Loket sedang istirahat atau tutup. Buka loket dahulu.")
        return number

    def _open_counter(self, c: Command, now: dt.datetime, out: _Events) -> None:
        number = self._staffed_counter(c.args["counter"])
        out.add(m.COUNTER_OPENED, None, {"counter": number})

    def _pause_counter(self, c: Command, now: dt.datetime, out: _Events) -> None:
        number = self._staffed_counter(c.args["counter"])
        self._no_active(number, "pause")
        out.add(m.COUNTER_PAUSED_EVENT, None,
                {"counter": number, "reason": str(c.args.get("reason") or "")})

    def _close_counter(self, c: Command, now: dt.datetime, out: _Events) -> None:
        number = self._counter(c.args["counter"])
        self._no_active(number, "close")
        out.add(m.COUNTER_CLOSED_EVENT, None, {"counter": number})

    def _sign_in(self, c: Command, now: dt.datetime, out: _Events) -> None:
        number = self._counter(c.args["counter"])
        officer = c.actor.officer
        if not officer:
            raise refuse("bad_args", "sign_in needs an officer", "Masukkan ID petugas.")
        state = self.reader.counter(number)
        if state.officer and state.officer != officer:
            raise refuse("counter_taken", f"counter {number} is in use by {state.officer}",
                         f"Loket {number} sedang dipakai petugas lain.")
        elsewhere = self.conn.execute(
            "SELECT counter FROM counters WHERE officer=? AND counter<>?", (officer, number)
        ).fetchone()
        if elsewhere is not None:
            # One officer, one counter: the figures and the audit trail name who served whom.
            raise refuse("officer_elsewhere",
                         f"officer {officer} is signed in at counter {elsewhere[0]}",
                         f"Anda masih masuk di loket {elsewhere[0]}. Keluar dahulu dari sana.")
        out.add(m.OFFICER_SIGNED_IN, None, {"counter": number, "officer": officer})

    def _sign_out(self, c: Command, now: dt.datetime, out: _Events) -> None:
        number = self._counter(c.args["counter"])
        self._no_active(number, "sign out")
        state = self.reader.counter(number)
        if state.officer is None:
            raise refuse("not_signed_in", f"no officer is signed in at counter {number}",
                         "Petugas belum masuk di loket ini.")
        out.add(m.OFFICER_SIGNED_OUT, None, {"counter": number, "officer": state.officer})

    def _force_sign_out(self, c: Command, now: dt.datetime, out: _Events) -> None:
        number = self._counter(c.args["counter"])
        state = self.reader.counter(number)
        if state.officer is None:
            raise refuse("not_signed_in", f"no officer is signed in at counter {number}",
                         "Petugas belum masuk di loket ini.")
        out.add(m.OFFICER_SIGNED_OUT, None, {"counter": number, "officer": state.officer,
                                             "reason": "officer_disabled"})

    def _close_day(self, c: Command, now: dt.datetime, out: _Events) -> None:
        """Every ticket of a past service day that is still waiting expires. Idempotent: a
        day closed already has nothing waiting, and the command then writes nothing."""
        try:
            day = dt.date.fromisoformat(c.args["day"])
        except ValueError:
            raise refuse("bad_args", f"close_day: {c.args['day']!r} is not a YYYY-MM-DD date",
                         "Perintah tidak lengkap.") from None
        if day >= self.config.service_day(now):
            raise refuse("day_not_over", f"service day {day} has not ended yet",
                         "Hari layanan ini belum berakhir.")
        for row in self.conn.execute(
                "SELECT ticket_id FROM tickets WHERE status=? AND service_day=? "
                "ORDER BY is_priority DESC, rank", (m.WAITING, day.isoformat())).fetchall():
            out.add(m.TICKET_EXPIRED, row[0], {"service_day": day.isoformat(),
                                               "reason": "day_closed"})

    def past_days_waiting(self) -> list[dt.date]:
        """Service days before today that still have waiting tickets (close_day them)."""
        today = self.config.service_day(self.clock.now()).isoformat()
        return [dt.date.fromisoformat(r[0]) for r in self.conn.execute(
            "SELECT DISTINCT service_day FROM tickets WHERE status=? AND service_day < ? "
            "ORDER BY service_day", (m.WAITING, today))]

    def _alert(self, c: Command, now: dt.datetime, out: _Events) -> None:
        kind, message = c.args["kind"], c.args["message"]
        state = c.args.get("state", m.ALERT_OPEN)
        if not isinstance(kind, str) or not kind.strip() or len(kind) > 40 or (
            not isinstance(message, str) or len(message) > 500
        ):
            raise refuse("bad_args", "an alert needs a kind (1-40 characters) and a message "
                         "(≤ 500 characters)", "Perintah tidak lengkap.")
        if state not in m.ALERT_STATES:
            raise refuse("bad_args", f"an alert's state is {' or '.join(m.ALERT_STATES)}, "
                         f"not {state!r}", "Perintah tidak lengkap.")
        # The key comes from the station that sent it (the hub checked its token), so no
        # station can resolve another's problem; only an admin station (the console) names
        # another's key, to resolve it for a person (`by`), which the role policy checks.
        key, by = c.args.get("key"), c.args.get("by")
        if key is not None and (state != m.ALERT_RESOLVED or not isinstance(key, str)):
            raise refuse("bad_args", "an alert's key is given only to resolve it",
                         "Perintah tidak lengkap.")
        if by is not None and (not isinstance(by, str) or not by.strip() or len(by) > 100):
            raise refuse("bad_args", "an alert's 'by' is a name of 1-100 characters",
                         "Perintah tidak lengkap.")
        key = key or alert_key(c.actor.device, kind)
        open_ = {a.key: a for a in self.reader.open_alerts()}
        if state == m.ALERT_RESOLVED and key not in open_:
            return  # nothing open: a repeated "OK again" writes nothing
        if c.args.get("key") is not None and open_[key].kind != kind:
            raise refuse("bad_args", f"alert {key!r} is of kind {open_[key].kind!r}, not "
                         f"{kind!r}", "Perintah tidak lengkap.")
        data = {"kind": kind, "message": message, "state": state, "key": key}
        if by is not None:
            data["by"] = by.strip()
        out.add(m.STATION_ALERT, None, data)

    def _answer_survey(self, c: Command, now: dt.datetime, out: _Events) -> None:
        """A served visitor's SKM response: once per finished ticket, within its window, the
        ticket's web secret in hand (unknown ticket and wrong secret are one refusal)."""
        raw = c.args["ticket"]
        secret = self.reader.ticket_secret(raw) if isinstance(raw, str) else None
        if secret is None or not hmac.compare_digest(secret, c.args["secret"]):
            raise refuse("unknown_ticket", f"unknown ticket {raw!r} (or not its secret)",
                         "Nomor antrean tidak ditemukan.")
        t = self._ticket(raw)
        if t.status != m.FINISHED or t.ended_at is None:
            raise refuse("not_served", f"ticket {t.label} is {t.status}, not served",
                         "Survei hanya untuk nomor antrean yang sudah selesai dilayani.")
        if self.reader.survey_answered(t.ticket_id):
            raise refuse("already_answered", f"the survey of {t.label} was answered already",
                         "Survei untuk nomor antrean ini sudah diisi. Terima kasih.")
        since_ms = to_ms(now) - t.ended_at
        counter = c.args.get("counter")
        if counter is not None:
            # The counter's survey screen: only for the ticket finished at that counter, and
            # only a short while (shared/skm.py says why).
            if counter != t.counter or since_ms > skm.COUNTER_ANSWER_MINUTES * 60_000:
                raise refuse("survey_closed", f"ticket {t.label} was not just finished at "
                             f"counter {counter}", "Waktu pengisian survei di loket sudah "
                             "habis. Silakan isi melalui kode QR pada tiket Anda.")
        elif since_ms > skm.SURVEY_WINDOW_HOURS * 3_600_000:
            raise refuse("survey_closed", f"the survey of {t.label} closed "
                         f"{skm.SURVEY_WINDOW_HOURS} h after it was served",
                         "Waktu pengisian survei untuk nomor antrean ini sudah habis.")
        try:
            response = skm.check_response(c.args["answers"], c.args["profile"],
                                          c.args.get("saran"))
        except skm.SurveyInvalid as e:
            raise refuse("bad_args", f"answer_survey: {e}",
                         "Jawaban survei tidak lengkap.") from None
        out.add(m.SURVEY_ANSWERED, t.ticket_id, {
            "answers": list(response.answers), "profile": dict(response.profile),
            "saran": response.saran, "service_day": t.service_day, "agency": t.agency,
            "service": t.service, "counter": t.counter, "officer": t.officer,
            "via": "counter" if counter is not None else "qr",
        })

    def _change_config(self, c: Command, now: dt.datetime, out: _Events) -> None:
        content = c.args["content"]
        try:
            new = loads_config(content, str(c.args.get("source") or "the new config"))
        except ConfigError as e:
            raise refuse("bad_config", str(e), "Konfigurasi tidak valid: " + str(e)) from None
        digest = config_log.canonical_digest(content)
        try:
            effective_ms, effective = config_log.effective_ms(c.args.get("effective"), now,
                                                              new.tz)
        except ValueError as e:
            raise refuse("bad_args", f"change_config: {e}", "Tanggal berlaku tidak valid.") \
                from None
        latest = self.config_versions[-1] if self.config_versions else None
        # Unchanged against what would be in force then without it (a revert to an old
        # version while a later one is only scheduled is a change).
        then = config_log.version_in_force(self.config_versions, from_ms(effective_ms))
        in_use = then.digest if then is not None else (
            config_log.canonical_digest(self.file_config.raw_toml)
            if self.file_config.raw_toml else "")
        if in_use == digest:
            number = then.version if then else 1
            raise refuse("unchanged", f"the config is version {number} already "
                         f"(digest {digest[:16]})", "Konfigurasi tidak berubah.")
        if effective == config_log.NOW and not c.args.get("force"):
            waiting = self.stranded(new, now)
            if waiting:
                raise refuse("strands_tickets",
                             f"{waiting} tickets are waiting for services or queues this "
                             f"change removes; confirm to go ahead (--yes)",
                             f"{waiting} nomor antrean masih menunggu pada layanan yang "
                             f"dihapus.", waiting=waiting)
        if latest is None and self.file_config.raw_toml:
            # The first change: the config the ledger ran under until now (the hub's --config
            # file) becomes version 1, in force since the start, so every earlier day keeps
            # its rules in the history and the ledger alone holds the truth from here on.
            first = self.file_config.raw_toml.decode("utf-8")
            out.add(m.CONFIG_CHANGED, None, {
                "version": 1, "digest": config_log.canonical_digest(first), "content": first,
                "effective": config_log.SINCE_START, "effective_ms": 0,
                "source": Path(self.file_config.source).name})
            latest = config_log.ConfigVersion(1, "", first, 0, 0, "", "", None, 0)
        out.add(m.CONFIG_CHANGED, None, {
            "version": (latest.version if latest else 0) + 1, "digest": digest,
            "content": content, "effective": effective, "effective_ms": effective_ms,
            "source": str(c.args.get("source") or ""),
        })

    def stranded(self, new: HallConfig, now: dt.datetime) -> int:
        """Tickets of today waiting or at a counter whose service or queue `new` removes."""
        day = self.config.service_day(now).isoformat()
        n = 0
        for service, queue, count in self.conn.execute(
                "SELECT service, queue, count(*) FROM tickets WHERE service_day=? AND status "
                "IN (?,?,?) GROUP BY service, queue", (day, m.WAITING, m.CALLED, m.SERVING)):
            if service not in new.services or queue not in new.queues:
                n += count
        return n

    # --- checks ----------------------------------------------------------------------------

    def _service(self, code: Any) -> Service:
        svc = self.config.services.get(code) if isinstance(code, str) else None
        if svc is None:
            raise refuse("unknown_service", f"unknown service {code!r}",
                         "Layanan tidak ditemukan.")
        return svc

    def _counter(self, raw: Any) -> int:
        if not isinstance(raw, int) or isinstance(raw, bool) or raw not in self.config.counters:
            raise refuse("unknown_counter", f"unknown counter {raw!r}", "Loket tidak dikenal.")
        return raw

    def _ticket(self, raw: Any) -> TicketView:
        t = self.reader.ticket(raw) if isinstance(raw, str) else None
        if t is None:
            raise refuse("unknown_ticket", f"unknown ticket {raw!r}",
                         "Nomor antrean tidak ditemukan.")
        return t

    def _no_active(self, counter: int, what: str) -> None:
        t = self.reader.active_ticket(counter)
        if t is not None:
            raise refuse("ticket_active", f"counter {counter} still has {t.label}; cannot {what}",
                         f"Selesaikan dahulu nomor {t.label}.")

    # --- results ---------------------------------------------------------------------------

    def _value_for(self, c: Command, events: list[Event]) -> dict[str, Any]:
        """What a command returns, built from its events and the current projection, so a
        retried command (even on a hub restored from a replica) gets the same answer."""
        value: dict[str, Any] = {"seq": [e.seq for e in events]}
        if c.kind == "call_next":
            # call_next may first finish the previous ticket; its subject is the one called.
            subject = [e.ticket_id for e in events if e.kind == m.TICKET_CALLED]
        else:
            subject = [e.ticket_id for e in events if e.ticket_id]
        t = self.reader.ticket(subject[-1]) if subject and subject[-1] else None
        value["ticket"] = t.to_dict() if t else None
        if t is not None and c.kind == "issue_ticket":
            issued = [e for e in events if e.kind == m.TICKET_ISSUED]
            # Only the kiosk that issued the ticket gets this reply: it prints the secret in
            # the QR. Events of tickets issued before the secret existed have none.
            value["secret"] = issued[-1].data.get("secret") if issued else None
            ahead = self.reader.people_ahead(t)
            value["people_ahead"] = ahead
            value["estimated_wait_minutes"] = self.reader.estimated_wait_minutes(
                t.queue, ahead, dt.date.fromisoformat(t.service_day), self.clock.now())
        return value

    # --- maintenance -----------------------------------------------------------------------

    def rebuild(self) -> int:
        """Throw the projection away and rebuild it from the events."""
        with self._lock, immediate(self.conn):
            clear_projection(self.conn)
            return replay(self.conn, iter_events(self.conn))

    def verify(self) -> bool:
        """Does the projection equal a fresh replay of the events? (Checked in memory.)"""
        fresh = sqlite3.connect(":memory:", isolation_level=None)
        fresh.row_factory = sqlite3.Row
        from shared.ledger.store import migrate

        migrate(fresh)
        # One read transaction: events and projection from the same snapshot, even while
        # another process (the hub, when run from the CLI) commits in between.
        with self._lock:
            self.conn.execute("BEGIN")
            try:
                with immediate(fresh):
                    replay(fresh, iter_events(self.conn))
                same = projection_dump(fresh) == projection_dump(self.conn)
            finally:
                self.conn.execute("ROLLBACK")
                fresh.close()
        return same


class _Events:
    """Collects the events one command produces, numbering them after the log's last seq."""

    def __init__(self, c: Command, at_ms: int, last: int) -> None:
        self.c = c
        self.at_ms = at_ms
        self.next_seq = last + 1
        self.events: list[Event] = []

    def add(self, kind: str, ticket_id: str | None, data: dict[str, Any]) -> None:
        self.events.append(Event(
            seq=self.next_seq, command_id=self.c.id, kind=kind, ticket_id=ticket_id,
            device=self.c.actor.device, officer=self.c.actor.officer, at_ms=self.at_ms,
            data=data,
        ))
        self.next_seq += 1


def _cmd(kind: str, args: dict[str, Any], actor: Actor, command_id: str | None) -> Command:
    args = {k: v for k, v in args.items() if v is not None}
    return Command(kind, args, actor) if command_id is None else Command(
        kind, args, actor, command_id)


def _closed_refusal(svc: Service, w: TicketWindow) -> CommandRefused:
    nxt = w.next_open.isoformat() if w.next_open else None
    if w.reason == HOLIDAY:
        return refuse(HOLIDAY, f"it is a holiday ({w.holiday})",
                      ID.CLOSED_HOLIDAY.format(name=w.holiday, when=ID.kapan(w.next_open)),
                      next_open=nxt)
    if w.reason == CLOSED_TODAY:
        return refuse(CLOSED_TODAY, f"{svc.code} is not served today",
                      ID.CLOSED_TODAY.format(service=svc.name, when=ID.kapan(w.next_open)),
                      next_open=nxt)
    if w.reason == NOT_YET_OPEN:
        assert w.at is not None
        return refuse(NOT_YET_OPEN, f"tickets for {svc.code} from {w.at:%H:%M}",
                      ID.CLOSED_NOT_YET_OPEN.format(time=f"{w.at:%H:%M}"),
                      opens_at=w.at.isoformat())
    if w.reason == CUTOFF:
        assert w.at is not None
        return refuse(CUTOFF, f"tickets for {svc.code} closed at {w.at:%H:%M}",
                      ID.CLOSED_CUTOFF.format(time=f"{w.at:%H:%M}", when=ID.kapan(w.next_open)),
                      next_open=nxt)
    return refuse(QUOTA_FULL, f"daily quota of {svc.daily_quota} for {svc.code} is used up",
                  ID.CLOSED_QUOTA_FULL.format(service=svc.name, when=ID.kapan(w.next_open)),
                  next_open=nxt)
