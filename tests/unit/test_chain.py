"""The hash chain's definition: any change to an event, or to an earlier one, changes it."""

from __future__ import annotations

import dataclasses

from shared.ledger.chain import GENESIS, chain, event_hash
from shared.ledger.model import Event


def _event(seq: int, **changes: object) -> Event:
    e = Event(seq=seq, command_id=f"c{seq}", kind="ticket.issued", ticket_id=f"20261202-A{seq:03d}",
              device="kiosk-1", officer=None, at_ms=1_700_000_000_000 + seq, data={"number": seq})
    return dataclasses.replace(e, **changes)  # type: ignore[arg-type]


def test_each_hash_covers_the_previous_one() -> None:
    events = [_event(i) for i in range(1, 4)]
    hashes = chain(events)
    assert hashes[0] == event_hash(GENESIS, events[0])
    assert hashes[2] == event_hash(hashes[1], events[2])
    assert len(set(hashes)) == 3 and all(len(h) == 64 for h in hashes)


def test_changing_an_earlier_event_changes_every_later_hash() -> None:
    events = [_event(i) for i in range(1, 4)]
    forked = [events[0], _event(2, data={"number": 99}), events[2]]
    a, b = chain(events), chain(forked)
    assert a[0] == b[0]
    assert a[1] != b[1] and a[2] != b[2]


def test_the_hash_is_the_documented_formula() -> None:
    import hashlib

    e = _event(1)
    expected = hashlib.sha256((GENESIS + "\n" + e.canonical()).encode()).hexdigest()
    assert event_hash(GENESIS, e) == expected
