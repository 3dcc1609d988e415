"""The address a ticket's QR code holds: ``{public_url}/t/{ticket_id}-{secret}``.

The secret is random per ticket, made when the ticket is issued and carried in its
``ticket.issued`` event (data key ``secret``), so every replica — and so every web station —
knows it. Ticket numbers are easy to guess (KTP-001, KTP-002, …); the secret is what stops a
visitor from following someone else's ticket by changing the number in the address.

Plain functions, no I/O. The kiosk builds the address; the web station and the counter's
scanner read it back.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass

# 10 random bytes = 80 bits, written as 20 lowercase hex digits: no '-' in it, so the secret
# is always the last 20 characters after the last hyphen, whatever the ticket id holds.
SECRET_BYTES = 10
SECRET_LENGTH = 2 * SECRET_BYTES
# The payload older tickets (before the QR held an address) carry.
LEGACY_PREFIX = "ANTREAN:"

_TICKET_ID = r"\d{8}-[A-Za-z0-9][A-Za-z0-9-]*"
_REF = re.compile(rf"(?:^|/t/)({_TICKET_ID})-([0-9a-f]{{{SECRET_LENGTH}}})/?$")
_LEGACY = re.compile(rf"^{re.escape(LEGACY_PREFIX)}({_TICKET_ID})$")


@dataclass(frozen=True)
class TicketRef:
    ticket_id: str
    # None for a legacy "ANTREAN:<id>" payload, which names the ticket but proves nothing.
    secret: str | None


def new_secret() -> str:
    return secrets.token_hex(SECRET_BYTES)


def ticket_path(ticket_id: str, secret: str) -> str:
    return f"/t/{ticket_id}-{secret}"


def ticket_url(public_url: str, ticket_id: str, secret: str) -> str:
    return public_url.rstrip("/") + ticket_path(ticket_id, secret)


def parse_ticket_ref(text: str) -> TicketRef | None:
    """The ticket a scanned QR (or a typed path) names: a full address, a ``/t/…`` path, the
    bare ``{ticket_id}-{secret}``, or a legacy ``ANTREAN:{ticket_id}``. None for anything else."""
    text = text.strip()
    legacy = _LEGACY.match(text)
    if legacy:
        return TicketRef(legacy.group(1), None)
    # A query string or fragment a phone app may add does not change which ticket it is.
    text = text.split("?", 1)[0].split("#", 1)[0]
    ref = _REF.search(text)
    if ref is None:
        return None
    return TicketRef(ref.group(1), ref.group(2))
