"""The secret of a ticket's web address is made by the ledger at issue, kept in the
``ticket.issued`` event, handed to the kiosk that asked, and read back from the events."""

from __future__ import annotations

import logging
import re
from dataclasses import replace
from pathlib import Path

import pytest

from shared.clock import ManualClock
from shared.config import HallConfig
from shared.ledger import model as m
from shared.ledger.ledger import Ledger
from shared.ledger.queries import LedgerReader
from shared.station.replica import Replica
from shared.ticket_url import SECRET_LENGTH
from tests.helpers.ledger import KIOSK

HEX = re.compile(rf"[0-9a-f]{{{SECRET_LENGTH}}}")


def test_the_issue_result_and_the_event_carry_one_secret(ledger: Ledger) -> None:
    result = ledger.issue_ticket("ktp-baru", KIOSK, command_id="tap-1")
    assert result.ok
    secret = result.value["secret"]
    assert HEX.fullmatch(secret)
    (issued,) = [e for e in result.events if e.kind == m.TICKET_ISSUED]
    assert issued.data["secret"] == secret
    assert ledger.reader.ticket_secret(issued.ticket_id) == secret
    # The projection's ticket (what boards and counters read) does not hold it.
    assert secret not in repr(result.value["ticket"])


def test_a_retry_gets_the_first_secret_even_after_a_restart(
        tmp_path: Path, ledger: Ledger, small_config: HallConfig, clock: ManualClock) -> None:
    first = ledger.issue_ticket("ktp-baru", KIOSK, command_id="tap-1")
    again = ledger.issue_ticket("ktp-baru", KIOSK, command_id="tap-1")
    assert again.duplicate and again.value["secret"] == first.value["secret"]
    ledger.close()
    reopened = Ledger(ledger.path, small_config, clock)
    try:
        late = reopened.issue_ticket("ktp-baru", KIOSK, command_id="tap-1")
        assert late.duplicate and late.value["secret"] == first.value["secret"]
        assert late.value["ticket"] == first.value["ticket"]
    finally:
        reopened.close()


def test_every_ticket_has_its_own_secret(ledger: Ledger) -> None:
    secrets = [ledger.issue_ticket(s, KIOSK).value["secret"]
               for s in ("ktp-baru", "ktp-baru", "kk", "ktp-baru")]
    assert len(set(secrets)) == len(secrets)


def test_a_replica_knows_the_secret(tmp_path: Path, ledger: Ledger,
                                    small_config: HallConfig) -> None:
    issued = ledger.issue_ticket("kk", KIOSK).value
    replica = Replica(tmp_path / "replica.db")
    try:
        replica.apply(ledger.reader.events_after(0))
        reader = LedgerReader(replica.conn, small_config)
        assert reader.ticket_secret(issued["ticket"]["ticket_id"]) == issued["secret"]
        assert reader.ticket_secret("20261130-KK-999") is None
    finally:
        replica.close()


def test_a_ticket_issued_before_secrets_existed_has_none(
        tmp_path: Path, ledger: Ledger, small_config: HallConfig) -> None:
    ledger.issue_ticket("kk", KIOSK)
    (old,) = ledger.reader.events_after(0)
    # The same event as an older hub wrote it: no secret in its data.
    legacy = replace(old, data={k: v for k, v in old.data.items() if k != "secret"})
    replica = Replica(tmp_path / "replica.db")
    try:
        replica.apply([legacy])
        assert LedgerReader(replica.conn, small_config).ticket_secret(old.ticket_id) is None
    finally:
        replica.close()


def test_the_secret_is_in_no_log_line(ledger: Ledger, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    result = ledger.issue_ticket("ktp-baru", KIOSK, command_id="tap-1")
    ledger.issue_ticket("ktp-baru", KIOSK, command_id="tap-1")
    # A refusal is logged: make one too, so the test sees a log line at all.
    ledger.run("call_next", KIOSK, counter=1)
    assert caplog.records
    assert result.value["secret"] not in caplog.text
