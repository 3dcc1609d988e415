"""The event log's hash chain: each event's hash covers the one before it.

Two copies of a hall's history agree up to seq N exactly when their hashes at N agree, so a
station (or the region's database) can prove in one comparison that it holds the same history
as the hub, not merely as many events. Plain functions, no I/O: the ledger stores the hash
with each event, replicas and the region's exporter recompute it on apply.
"""

from __future__ import annotations

import hashlib

from shared.ledger.model import Event

# The hash "before" the first event of every ledger.
GENESIS = "0" * 64


def event_hash(previous: str, event: Event) -> str:
    """SHA-256 (hex) of the previous event's hash, a newline, and the event's canonical text
    (its fields as sorted, compact JSON, UTF-8: `Event.canonical`)."""
    h = hashlib.sha256(previous.encode("ascii"))
    h.update(b"\n")
    h.update(event.canonical().encode("utf-8"))
    return h.hexdigest()


def chain(events: list[Event], previous: str = GENESIS) -> list[str]:
    """The hashes of consecutive events, starting after `previous`."""
    out: list[str] = []
    for e in events:
        previous = event_hash(previous, e)
        out.append(previous)
    return out
