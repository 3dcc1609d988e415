"""One role policy for the hub and for one PC: every role sends every command kind (signed in
and not, on its own counter and another, malformed, unknown), once through a real hub and once
through EmbeddedLinks on an in-process ledger, from the same start; both must answer each step
with the same result and the same refusal, word for word."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from pytestqt.qtbot import QtBot

from shared.clock import ManualClock
from shared.config import HallConfig
from shared.ledger.model import COMMAND_ARGS, Result
from shared.station.client import HubClient
from shared.station.link import LocalLedger
from tests.helpers.inproc_hub import ThreadedHub

# (station, role, bound counter): what the hub's tokens are enrolled as, and the links made.
STATIONS = [("kiosk-1", "kiosk", None), ("kiosk-2", "kiosk", None),
            ("papan-1", "display", None), ("loket-1", "counter", 1),
            ("loket-2", "counter", None), ("admin-1", "admin", None)]
PINS = {"siti": "2468", "budi": "1357", "ani": "1111"}

# A well-formed command of each kind (the first tickets are KTP-001 .. KTP-003).
CANONICAL: dict[str, dict[str, Any]] = {
    "issue_ticket": {"service": "ktp-baru"},
    "return_no_show": {"ticket": "20261130-KTP-001"},
    "transfer": {"counter": 1, "service": "kk"},
    "cancel": {"ticket": "20261130-KTP-003"},
    "check_priority": {"counter": 1, "valid": True},
    "alert": {"kind": "printer", "message": "Kertas habis"},
}
assert set(CANONICAL) <= set(COMMAND_ARGS)

# A step: (station, "command", kind, args) or (station, "sign_in", officer, counter).
Step = tuple[str, str, Any, Any]


def every_kind(station: str) -> list[Step]:
    return [(station, "command", kind, CANONICAL.get(kind, {"counter": 1}))
            for kind in sorted(COMMAND_ARGS)]


def plan() -> list[Step]:
    names = [name for name, _, _ in STATIONS]
    steps: list[Step] = [
        ("kiosk-1", "command", "issue_ticket", {"service": "ktp-baru"}),
        ("kiosk-1", "command", "issue_ticket", {"service": "kk"}),
        ("kiosk-2", "command", "issue_ticket", {"service": "ktp-baru"}),
        # Nobody signed in yet.
        *(step for name in names for step in every_kind(name)),
        # Unknown, malformed, and a kiosk cancelling another kiosk's ticket and its own.
        *((name, "command", "launch_rocket", {}) for name in names),
        *((name, "command", "call_next", {"counter": "1"}) for name in names),
        ("kiosk-1", "command", "cancel", {"ticket": "20261130-KTP-004"}),  # kiosk-2's
        ("kiosk-2", "command", "cancel", {"ticket": "20261130-KTP-004"}),
        # Sign-ins: by role, bound counter, PIN.
        ("kiosk-1", "sign_in", "siti", 1),
        ("papan-1", "sign_in", "siti", 1),
        ("loket-1", "sign_in", "siti", 2),  # bound to counter 1
        ("loket-1", "sign_in", "siti", 1),
        ("loket-2", "sign_in", "budi", 2),
        ("admin-1", "sign_in", "ani", 3),
        ("loket-1", "command", "open_counter", {"counter": 2}),  # not its counter
        # Signed in now.
        *(step for name in names for step in every_kind(name)),
        ("loket-2", "command", "sign_in", {"counter": 2}),  # the PIN-less way: never
        ("loket-2", "command", "call_next", {"counter": 2}),
        # An admin signs siti out of counter 1: loket-1 has no officer any more.
        ("loket-1", "sign_in", "siti", 1),
        ("admin-1", "command", "sign_out", {"counter": 1}),
        ("loket-1", "command", "call_next", {"counter": 1}),
    ]
    return steps


def outcome(result: Result) -> tuple[Any, ...]:
    r = result.refusal
    return (result.ok, r.code, r.message, r.pesan) if r else (result.ok,)


def through_the_hub(tmp_path: Path, config: HallConfig, clock: ManualClock,
                    steps: list[Step]) -> list[tuple[Any, ...]]:
    hub = ThreadedHub(config, tmp_path / "hub", clock, rate_per_second=1e9, rate_burst=1e9)
    for officer, pin in PINS.items():
        hub.auth.add_officer(officer, officer.title(), pin)
    tokens = {name: hub.auth.enroll(name, role, counter) for name, role, counter in STATIONS}

    async def go() -> list[tuple[Any, ...]]:
        clients = {name: HubClient(hub.url, token) for name, token in tokens.items()}
        for c in clients.values():
            await c.start(timeout=20)
        try:
            out = []
            for n, (station, what, a, b) in enumerate(steps):
                c = clients[station]
                result = (await c.sign_in(a, PINS[a], b, command_id=f"step-{n}")
                          if what == "sign_in" else
                          await c.command(a, b, command_id=f"step-{n}", timeout=20))
                out.append(outcome(result))
            return out
        finally:
            for c in clients.values():
                await c.close()

    try:
        return asyncio.run(go())
    finally:
        hub.stop()


def in_one_pc(qtbot: QtBot, tmp_path: Path, config: HallConfig, clock: ManualClock,
              steps: list[Step]) -> list[tuple[Any, ...]]:
    local = LocalLedger(tmp_path / "one-pc.db", config, clock,
                        pin_check=lambda officer, pin: PINS.get(officer) == pin)
    try:
        links = {name: local.link(name, role, counter) for name, role, counter in STATIONS}
        replies: dict[str, Result] = {}
        for link in links.values():
            link.replied.connect(lambda r: replies.__setitem__(r.command_id, r))
        out = []
        for n, (station, what, a, b) in enumerate(steps):
            cid = f"step-{n}"
            if what == "sign_in":
                links[station].sign_in(a, PINS[a], b, command_id=cid)
            else:
                links[station].send(a, b, command_id=cid)
            qtbot.waitUntil(lambda cid=cid: cid in replies, timeout=5000)
            out.append(outcome(replies[cid]))
        return out
    finally:
        local.close()


def test_the_hub_and_one_pc_refuse_the_same_commands_the_same_way(
        qtbot: QtBot, tmp_path: Path, small_config: HallConfig, clock: ManualClock) -> None:
    steps = plan()
    hub = through_the_hub(tmp_path, small_config, clock, steps)
    one_pc = in_one_pc(qtbot, tmp_path, small_config, clock, steps)
    differ = [(steps[i], h, e) for i, (h, e) in enumerate(zip(hub, one_pc, strict=True))
              if h != e]
    assert not differ, differ

    # And the table says what the policy is, so that two equally wrong answers cannot pass.
    said = {(s[0], s[1], s[2], str(s[3])): r for s, r in zip(steps, hub, strict=True)}

    def code(station: str, what: str, a: str, b: Any) -> str | None:
        r = said[(station, what, a, str(b))]
        return None if r[0] else str(r[1])

    assert code("papan-1", "command", "call_next", {"counter": 1}) == "forbidden"
    assert code("papan-1", "command", "alert", CANONICAL["alert"]) is None
    assert code("kiosk-1", "command", "call_next", {"counter": 1}) == "forbidden"
    assert code("kiosk-1", "command", "launch_rocket", {}) == "unknown_command"
    assert code("admin-1", "command", "launch_rocket", {}) == "unknown_command"
    assert code("kiosk-1", "command", "call_next", {"counter": "1"}) == "forbidden"
    assert code("admin-1", "command", "call_next", {"counter": "1"}) == "bad_args"
    assert code("kiosk-1", "command", "cancel", {"ticket": "20261130-KTP-004"}) == "forbidden"
    assert code("kiosk-2", "command", "cancel", {"ticket": "20261130-KTP-004"}) is None
    assert code("kiosk-1", "sign_in", "siti", 1) == "forbidden"
    assert code("loket-1", "sign_in", "siti", 2) == "forbidden"
    assert code("loket-1", "sign_in", "siti", 1) is None
    assert code("loket-1", "command", "open_counter", {"counter": 2}) == "forbidden"
    assert code("loket-2", "command", "sign_in", {"counter": 2}) == "forbidden"
    assert code("admin-1", "command", "force_sign_out", {"counter": 1}) == "forbidden"
    assert hub[-1][:3] == (False, "not_signed_in", "sign in first")
    assert hub.count((True,)) >= 20  # and much of it went through
