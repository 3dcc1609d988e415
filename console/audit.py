"""The audit log's page without HTTP: its query (who, what, from, to, page) read and checked,
and one page of entries from the account store in the hall's time zone. Only the hall's
people (supervisor, admin) see it: a coordinator's console is their agency's, and the log is
the whole console's."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from console.accounts import AccountStore, AuditEntry
from console.reports import QueryError

PAGE_SIZE = 50
ROLES = ("supervisor", "admin")


class AuditQueryError(QueryError):
    """A filter that cannot be: its `key` is the console's word (console.i18n) to show."""


@dataclass(frozen=True)
class AuditQuery:
    form: dict[str, str]  # the form's own values, to fill it again
    username: str
    action: str
    since: float | None
    until: float | None
    page: int

    def url(self, page: int, lang: str) -> str:
        fields = {k: v for k, v in self.form.items() if v and k != "halaman"}
        if page > 1:
            fields["halaman"] = str(page)
        if lang != "id":
            fields["lang"] = lang
        return "/audit" + ("?" + urlencode(fields) if fields else "")


def _day(text: str) -> dt.date | None:
    if not text.strip():
        return None
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise AuditQueryError("audit_bad_date") from None


def parse(query: dict[str, str], tz: dt.tzinfo) -> AuditQuery:
    """The page's query; every field optional (the newest entries of everyone)."""
    username = query.get("siapa", "").strip().lower()[:64]
    action = query.get("aksi", "").strip()[:40]
    start, end = _day(query.get("dari", "")), _day(query.get("sampai", ""))
    if start and end and end < start:
        raise AuditQueryError("audit_bad_range")
    page_text = query.get("halaman", "1").strip() or "1"
    if not page_text.isdigit() or not 1 <= int(page_text) <= 1_000_000:
        raise AuditQueryError("audit_bad_page")

    def midnight(day: dt.date) -> float:
        return dt.datetime.combine(day, dt.time(), tz).timestamp()

    form = {"siapa": username, "aksi": action,
            "dari": start.isoformat() if start else "", "sampai": end.isoformat() if end else "",
            "halaman": page_text}
    return AuditQuery(form, username, action, midnight(start) if start else None,
                      midnight(end + dt.timedelta(days=1)) if end else None, int(page_text))


@dataclass(frozen=True)
class AuditRow:
    when: str  # YYYY-MM-DD HH:MM:SS in the hall's time zone
    action: str
    username: str
    address: str
    ok: bool
    detail: str


def page(store: AccountStore, query: AuditQuery, tz: dt.tzinfo, lang: str) -> dict[str, Any]:
    entries, total = store.audit_page(query.username, query.action, query.since, query.until,
                                      (query.page - 1) * PAGE_SIZE, PAGE_SIZE)
    pages = max(1, -(-total // PAGE_SIZE))
    return {
        "entries": [_row(e, tz) for e in entries], "total": total, "page": query.page,
        "pages": pages, "actions": store.audit_actions(),
        "previous": query.url(query.page - 1, lang) if query.page > 1 else "",
        "next": query.url(query.page + 1, lang) if query.page < pages else "",
    }


def _row(e: AuditEntry, tz: dt.tzinfo) -> AuditRow:
    when = dt.datetime.fromtimestamp(e.at, tz)
    return AuditRow(f"{when:%Y-%m-%d %H:%M:%S}", e.action, e.username, e.address, e.ok,
                    e.detail)
