"""A station's replica takes the hub's events a frame at a time: in order, once, all of a frame
or none of it, ending with the hub's very history and projection."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from shared.ledger.chain import event_hash
from shared.ledger.ledger import Ledger
from shared.ledger.model import Event
from shared.ledger.projection import ledger_hash, projection_dump
from shared.station.replica import Replica, ReplicaForked, ReplicaGap, open_replica
from tests.helpers.ledger import KIOSK, open_counter


@pytest.fixture
def history(ledger: Ledger) -> list[Event]:
    for svc in ("ktp-baru", "kk", "bpjs-daftar", "kk", "ktp-baru"):
        assert ledger.issue_ticket(svc, KIOSK).ok
    who = open_counter(ledger, 1)
    for _ in range(3):
        assert ledger.call_next(1, who).ok
    return ledger.reader.events_after(0)


def test_frames_in_order_give_the_hubs_history_and_projection(
        tmp_path: Path, ledger: Ledger, history: list[Event]) -> None:
    replica = Replica(tmp_path / "replica.db")
    try:
        assert replica.apply(history[:4]) == history[:4]
        # A frame overlapping what is held: the held part is skipped, the rest applied.
        assert replica.apply(history[2:7]) == history[4:7]
        assert replica.apply(history[:7]) == []
        assert replica.apply(history[7:]) == history[7:]
        assert replica.last_seq == history[-1].seq
        assert ledger_hash(replica.conn) == ledger_hash(ledger.conn)
        assert projection_dump(replica.conn) == projection_dump(ledger.conn)
    finally:
        replica.close()


@pytest.mark.parametrize("frame", [
    lambda h: h[1:3],  # a gap before it
    lambda h: [h[0], h[2], h[1]],  # out of order
    lambda h: [h[0], h[1], h[1]],  # a repeat inside it
])
def test_a_frame_with_a_hole_changes_nothing(
        tmp_path: Path, history: list[Event], frame: object) -> None:
    replica = Replica(tmp_path / "replica.db")
    try:
        with pytest.raises(ReplicaGap):
            replica.apply(frame(history))  # type: ignore[operator]
        assert replica.last_seq == 0
        assert replica.conn.execute("SELECT count(*) FROM events").fetchone()[0] == 0
    finally:
        replica.close()


def test_a_frame_is_one_transaction(tmp_path: Path, history: list[Event]) -> None:
    """An event the projection cannot take, late in a frame, leaves none of the frame
    behind: not the log rows inserted before it, not their projection."""
    replica = Replica(tmp_path / "replica.db")
    try:
        replica.apply(history[:2])
        broken = [*history[2:6], replace(history[6], kind="ticket.eaten", hash=None)]
        with pytest.raises(ValueError, match=r"ticket\.eaten"):
            replica.apply(broken)
        assert replica.last_seq == 2
        assert [r[0] for r in replica.conn.execute("SELECT seq FROM events ORDER BY seq")] == [1, 2]
        assert replica.conn.execute("SELECT count(*) FROM tickets").fetchone()[0] == 2
        assert replica.apply(history[2:]) == history[2:]  # and it goes on from there
    finally:
        replica.close()


def test_events_of_another_history_are_refused_and_change_nothing(
        tmp_path: Path, history: list[Event]) -> None:
    """Each event's hash must continue the replica's chain: the hub's events after a fork
    (another data, same seq) are not applied, and the replica keeps its own as evidence."""
    replica = Replica(tmp_path / "replica.db")
    try:
        replica.apply(history[:4])
        held = (replica.last_seq, replica.last_hash, ledger_hash(replica.conn))
        # The hub's event 4 was another one; its event 5 is hashed on that one.
        forked = replace(history[3], data={**history[3].data, "number": 99})
        theirs_4 = event_hash(history[2].hash or "", forked)
        theirs_5 = replace(history[4], hash=event_hash(theirs_4, history[4]))
        with pytest.raises(ReplicaForked, match="does not follow"):
            replica.apply([theirs_5])
        assert (replica.last_seq, replica.last_hash, ledger_hash(replica.conn)) == held
        assert replica.last_hash == history[3].hash
    finally:
        replica.close()


@pytest.mark.parametrize("content", [b"not a database at all" * 100, b""])
def test_a_damaged_replica_is_moved_aside_and_started_anew(tmp_path: Path,
                                                           content: bytes) -> None:
    path = tmp_path / "replica-kiosk-1.db"
    path.write_bytes(content)
    replica = open_replica(path)
    try:
        assert replica.last_seq == 0 and replica.last_hash == "0" * 64
    finally:
        replica.close()
    kept = [p for p in tmp_path.iterdir() if ".damaged-" in p.name]
    assert len(kept) == 1 and kept[0].read_bytes() == content
