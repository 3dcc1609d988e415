"""A busy hour with every station a separate process on loopback: 3 kiosks, 10 counters and 2
displays against a real hub — once undisturbed, once with the hub SIGKILLed and restarted ten
times in the middle of the load."""

from __future__ import annotations

import json
import random
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import pytest

from shared.ledger.projection import ledger_hash
from tests.system.conftest import DATA, HubProcess

pytestmark = pytest.mark.slow


def wait_for(predicate, timeout: float, what: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)  # polling other processes' files, bounded by the deadline


def run_hall(hub: HubProcess, tickets_per_kiosk: int, kills: int) -> dict[str, object]:
    work = hub.workdir
    counters_done = work / "counters.done"
    kills_done = work / "kills.done"
    if kills == 0:
        kills_done.write_text("none")
    final = work / "final.seq"
    procs: list[tuple[str, subprocess.Popen[bytes], Path]] = []

    def spawn(role: str, name: str, *extra: str, counter: int | None = None) -> None:
        token = hub.enroll(name, role, counter)
        out = work / f"{name}.json"
        cmd = [sys.executable, "-m", "antrean.sim.station", role, "--hub", hub.url,
               f"--token={token}", "--replica", str(work / f"{name}.db"), "--out", str(out),
               "--final-flag", str(final), "--done-flag", str(counters_done), *extra]
        procs.append((role, subprocess.Popen(cmd), out))

    for d in range(2):
        spawn("display", f"board-{d + 1}")
    for c in range(1, 11):
        hub.add_officer(f"petugas{c}", "1357")
    for c in range(1, 11):
        spawn("counter", f"loket-{c}", "--counter", str(c), "--officer", f"petugas{c}",
              "--pin", "1357", counter=c)
    for k in range(3):
        spawn("kiosk", f"kiosk-{k + 1}", "--tickets", str(tickets_per_kiosk),
              "--services", "ktp,kk,bpjs", "--seed", str(k), "--until-flag", str(kills_done),
              "--pace", "0.01")


    def all_work_done(role: str) -> bool:
        for _, p, o in procs:
            code = p.poll()
            if code not in (None, 0):
                raise AssertionError(f"{o.stem} exited with {code}")
        return all(Path(f"{o}.work").exists() for r, _, o in procs if r == role)

    killer_errors: list[BaseException] = []

    def killer() -> None:
        rng = random.Random(7)
        try:
            # The kiosks keep issuing until every kill is done, so each one lands mid-load.
            for _ in range(kills):
                time.sleep(rng.uniform(0.1, 0.5))  # a random moment in the load
                hub.kill()
                hub.start()
        except BaseException as e:  # surfaced in the test thread
            killer_errors.append(e)
        finally:
            kills_done.write_text("done")

    t = threading.Thread(target=killer)
    t.start()
    try:
        wait_for(lambda: all_work_done("kiosk"), 240, "kiosks")
        t.join()
        assert not killer_errors, killer_errors
        counters_done.write_text("done")
        wait_for(lambda: all_work_done("counter"), 120, "counters")
        final.write_text(str(hub.health()["last_seq"]))
        for _, p, _ in procs:
            assert p.wait(120) == 0
    finally:
        for _, p, _ in procs:
            if p.poll() is None:
                p.kill()
    summaries = {out.stem: json.loads(out.read_text()) for _, _, out in procs}
    return {"summaries": summaries, "kills": kills}


def check_hall(hub: HubProcess, summaries: dict[str, dict], tickets_per_kiosk: int) -> None:  # type: ignore[type-arg]
    hub.stop()
    conn = sqlite3.connect(hub.ledger)
    conn.row_factory = sqlite3.Row
    hub_hash = ledger_hash(conn)
    issued = conn.execute(
        "SELECT ticket_id, queue, number FROM tickets ORDER BY queue, number").fetchall()
    called = Counter(r[0] for r in conn.execute(
        "SELECT ticket_id FROM events WHERE kind='ticket.called'"))
    call_seqs = [r[0] for r in conn.execute(
        "SELECT seq FROM events WHERE kind IN ('ticket.called','ticket.recalled') ORDER BY seq")]
    conn.close()

    # Every acknowledged ticket is in the ledger; numbers are unique and contiguous.
    acknowledged = [t for name, s in summaries.items() if name.startswith("kiosk")
                    for t in s["acknowledged"]]
    assert len(acknowledged) >= 3 * tickets_per_kiosk
    assert len(set(acknowledged)) == len(acknowledged)
    ids = {r[0] for r in issued}
    assert set(acknowledged) <= ids
    assert len(issued) == len(acknowledged)  # retries never made a second ticket
    for queue in {r[1] for r in issued}:
        numbers = [r[2] for r in issued if r[1] == queue]
        assert numbers == list(range(1, len(numbers) + 1)), queue

    errors = {n: s["error"] for n, s in summaries.items() if s.get("error")}
    assert not errors
    # Every ticket was called exactly once (no recalls in this load), all by some counter.
    assert set(called) == ids
    assert max(called.values()) == 1
    by_counters = [t for name, s in summaries.items() if name.startswith("loket")
                   for t in s["called"]]
    assert sorted(by_counters) == sorted(ids)

    # Every replica holds the same history as the hub; each board saw every call once.
    for name, s in summaries.items():
        assert s["hash"] == hub_hash, name
    for board in ("board-1", "board-2"):
        seqs = [c["seq"] for c in summaries[board]["calls"]]
        assert seqs == call_seqs, board


def test_busy_hour_with_separate_station_processes(tmp_path: Path) -> None:
    hub = HubProcess(tmp_path, DATA / "busy_hall.toml")
    try:
        hub.start()
        result = run_hall(hub, tickets_per_kiosk=40, kills=0)
        check_hall(hub, result["summaries"], 40)  # type: ignore[arg-type]
    finally:
        hub.stop()


def test_hub_killed_ten_times_during_the_load(tmp_path: Path) -> None:
    hub = HubProcess(tmp_path, DATA / "busy_hall.toml")
    try:
        hub.start()
        result = run_hall(hub, tickets_per_kiosk=60, kills=10)
        check_hall(hub, result["summaries"], 60)  # type: ignore[arg-type]
        log = (tmp_path / "hub.log").read_text()
        assert log.count("hub serving") == 11  # it really was restarted ten times
    finally:
        hub.stop()
