"""The link owns the station's session: the counter app never writes `link.officer`; the link
sets it from an OK sign-in reply, and a sign-in whose reply is lost is sent again with the same
id like any command — on one PC and through a real hub alike."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from counter_client.core import CounterCore
from counter_client.switchable import SwitchableLink
from shared.clock import ManualClock
from shared.config import HallConfig
from shared.ledger import model as m
from tests.helpers.counter_hall import PIN, TIMEOUT, Hall, open_hall


@pytest.fixture(params=["embedded", "hub"])
def hall(request: pytest.FixtureRequest, qtbot: QtBot, tmp_path: Path,
         small_config: HallConfig, clock: ManualClock) -> Iterator[Hall]:
    with open_hall(request.param, qtbot, tmp_path, small_config, clock) as h:
        yield h


def sign_ins(link: SwitchableLink) -> list[m.Event]:
    return [e for e in link.reader.events_after(0) if e.kind == m.OFFICER_SIGNED_IN]


def test_a_sign_in_whose_reply_is_lost_is_sent_again_with_the_same_id(
        hall: Hall, qtbot: QtBot) -> None:
    link = SwitchableLink(hall.new_link("counter-1"))
    core = CounterCore(link, 1, tick_ms=50, sign_in_timeout_ms=150)
    hall.cores.append(core)
    link.go_deaf()  # the sign-in reaches the ledger; its reply never comes back
    cid = core.sign_in("siti", PIN)
    assert cid is not None
    qtbot.waitUntil(lambda: len([k for k, _ in link.sent if k == "sign_in"]) >= 3,
                    timeout=TIMEOUT)
    assert {i for k, i in link.sent if k == "sign_in"} == {cid}  # one id, every time
    assert not core.state.signed_in and core.state.busy == "sign_in"
    link.hear_again()
    qtbot.waitUntil(lambda: core.state.signed_in, timeout=TIMEOUT)
    assert core.state.officer == "siti" and link.officer == "siti"
    # However often it went, the ledger signed siti in once: the first result every time.
    assert [(e.command_id, e.data["officer"]) for e in sign_ins(link)] == [(cid, "siti")]


def test_the_link_sets_the_officer_from_the_reply_and_apps_cannot(
        hall: Hall, qtbot: QtBot) -> None:
    link = SwitchableLink(hall.new_link("counter-2"))
    with pytest.raises(AttributeError):
        link.officer = "siti"  # type: ignore[misc]
    with pytest.raises(AttributeError):
        link.inner.officer = "siti"  # type: ignore[misc]
    with qtbot.waitSignal(link.replied, timeout=TIMEOUT) as got:
        link.sign_in("budi", "0000", 2)
    assert not got.args[0].ok and link.officer is None  # a refused sign-in sets nothing
    with qtbot.waitSignal(link.replied, timeout=TIMEOUT) as got:
        cid = link.sign_in("budi", PIN, 2)
    assert got.args[0].ok and link.officer == "budi"
    with qtbot.waitSignal(link.replied, timeout=TIMEOUT) as got:
        link.sign_in("budi", PIN, 2, command_id=cid)  # the same id again
    assert got.args[0].ok and got.args[0].duplicate and link.officer == "budi"
    assert len(sign_ins(link)) == 1
    with qtbot.waitSignal(link.replied, timeout=TIMEOUT) as got:
        link.sign_out(2)
    assert got.args[0].ok and link.officer is None
