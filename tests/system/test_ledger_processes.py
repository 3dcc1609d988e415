"""Several real processes on one ledger file: kiosks issuing at the same moment, counters racing
for the same line, and a writer killed mid-load. SQLite's write lock (BEGIN IMMEDIATE) is the only
thing keeping them apart."""

from __future__ import annotations

import os
import selectors
import signal
import subprocess
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from shared.clock import ManualClock
from shared.config import load_config
from shared.ledger import model as m
from shared.ledger.ledger import Ledger
from shared.ledger.model import Actor
from shared.ledger.projection import iter_events
from tests.helpers.ledger import DATA, MONDAY_0900

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL and select() on pipes are POSIX"),
]

ROOT = Path(__file__).resolve().parents[2]
SMALL_HALL = DATA / "small_hall.toml"
CLOCK = MONDAY_0900.isoformat()
DAY = "2026-11-30"
TIMEOUT = 45.0  # far beyond what any of these needs; only a hang reaches it


class Worker:
    """One `tests/system/ledger_worker.py` process, with its stdout read line by line under a
    deadline (a hung worker fails the test instead of hanging it)."""

    def __init__(self, *args: str) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.system.ledger_worker", *args],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )
        assert self.proc.stdout is not None
        self._fd = self.proc.stdout.fileno()
        os.set_blocking(self._fd, False)
        self._partial = b""
        self.lines: list[str] = []
        self.eof = False

    def read_until(self, done: Callable[[list[str]], bool], deadline: float) -> list[str]:
        with selectors.DefaultSelector() as sel:
            sel.register(self._fd, selectors.EVENT_READ)
            while not done(self.lines):
                if self.eof:
                    raise AssertionError(f"worker ended early: {self.failure()}")
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"worker too slow; lines so far: {self.lines[-3:]}")
                if sel.select(timeout=min(left, 1.0)):
                    self._read_available()
        return self.lines

    def _read_available(self) -> None:
        try:
            chunk = os.read(self._fd, 65536)
        except BlockingIOError:
            return
        if not chunk:
            self.eof = True
            return
        self._partial += chunk
        *complete, self._partial = self._partial.split(b"\n")
        self.lines.extend(line.decode() for line in complete)

    def finish(self, deadline: float) -> list[str]:
        """Read to the end and check the worker exited cleanly; the labels it acknowledged."""
        self.read_until(lambda lines: bool(lines) and lines[-1] == "done", deadline)
        self.proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        assert self.proc.returncode == 0, self.failure()
        self.close()
        return [line for line in self.lines if line not in ("ready", "done")]

    def failure(self) -> str:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=10)
        assert self.proc.stderr is not None
        return f"exit {self.proc.returncode}: {self.proc.stderr.read().decode()[-2000:]}"

    def close(self) -> None:
        for stream in (self.proc.stdout, self.proc.stderr):
            if stream is not None:
                stream.close()


@pytest.fixture
def workers() -> Iterator[list[Worker]]:
    started: list[Worker] = []
    yield started
    for w in started:  # only after a failure are any still running
        if w.proc.poll() is None:
            w.proc.kill()
            w.proc.wait(timeout=10)
        w.close()


def start_together(workers: list[Worker], go: Path, deadline: float) -> None:
    """Wait until every worker has the ledger open and is ready, then release them at once."""
    for w in workers:
        w.read_until(lambda lines: "ready" in lines, deadline)
    go.touch()


def hall_with_counters_on_b(tmp_path: Path, numbers: range) -> Path:
    """The small hall plus extra BPJS counters, all serving queue B."""
    text = SMALL_HALL.read_text(encoding="utf-8") + "".join(
        f'\n[[counters]]\nnumber = {n}\nagency = "BPJSKES"\nqueues = ["B"]\n' for n in numbers
    )
    path = tmp_path / "hall.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_four_kiosks_issue_2000_tickets_at_once(tmp_path: Path, workers: list[Worker]) -> None:
    deadline = time.monotonic() + TIMEOUT
    db, go = tmp_path / "ledger.db", tmp_path / "go"
    # The file does not exist yet: the four processes also race to create and migrate it.
    for k in range(4):
        workers.append(Worker(
            "--db", str(db), "--config", str(SMALL_HALL), "--clock", CLOCK, "--go", str(go),
            "--device", f"kiosk-{k}", "issue", "--count", "500",
            "--services", "ktp-ganti,bpjs-daftar"))
    start_together(workers, go, deadline)
    acknowledged = [label for w in workers for label in w.finish(deadline)]

    assert len(acknowledged) == len(set(acknowledged)) == 2000
    by_queue: dict[str, list[int]] = defaultdict(list)
    for label in acknowledged:
        queue, number = label.split("-")
        by_queue[queue].append(int(number))
    assert {q: sorted(ns) for q, ns in by_queue.items()} == {
        "KTP": list(range(1, 1001)), "B": list(range(1, 1001))}

    led = Ledger(db, load_config(SMALL_HALL), ManualClock(MONDAY_0900))
    try:
        issued = [e for e in iter_events(led.conn) if e.kind == m.TICKET_ISSUED]
        assert len(issued) == 2000
        assert sorted(e.data["label"] for e in issued) == sorted(acknowledged)
        assert Counter(e.device for e in issued) == {f"kiosk-{k}": 500 for k in range(4)}
        assert [e.seq for e in iter_events(led.conn)] == list(range(1, 2001))
        assert led.verify()
    finally:
        led.close()


def test_eight_counters_race_for_one_line(tmp_path: Path, workers: list[Worker]) -> None:
    deadline = time.monotonic() + TIMEOUT
    db, go = tmp_path / "ledger.db", tmp_path / "go"
    config_path = hall_with_counters_on_b(tmp_path, range(11, 19))
    config = load_config(config_path)
    tickets = 800
    led = Ledger(db, config, ManualClock(MONDAY_0900))
    try:
        led.conn.execute("PRAGMA synchronous=OFF")  # setup only: the race is what is tested
        kiosk = Actor("kiosk-1")
        for _ in range(tickets):
            assert led.issue_ticket("bpjs-daftar", kiosk).ok
    finally:
        led.close()

    for n in range(11, 19):
        workers.append(Worker(
            "--db", str(db), "--config", str(config_path), "--clock", CLOCK, "--go", str(go),
            "--device", f"counter-{n}", "call", "--counter", str(n)))
    start_together(workers, go, deadline)
    called_by = {n: w.finish(deadline) for n, w in zip(range(11, 19), workers, strict=True)}

    everyone = [label for labels in called_by.values() for label in labels]
    assert len(everyone) == len(set(everyone)) == tickets
    assert sorted(everyone) == sorted(f"B-{n:03d}" for n in range(1, tickets + 1))
    assert sum(1 for labels in called_by.values() if labels) > 1  # a real race, not one winner

    led = Ledger(db, config, ManualClock(MONDAY_0900))
    try:
        evs = list(iter_events(led.conn))
        calls = [e for e in evs if e.kind == m.TICKET_CALLED]
        assert Counter(e.ticket_id for e in calls).most_common(1)[0][1] == 1
        assert len(calls) == tickets
        # Each counter called exactly the tickets its process acknowledged...
        for n, labels in called_by.items():
            assert [f"{DAY.replace('-', '')}-{label}" for label in labels] == [
                e.ticket_id for e in calls if e.data["counter"] == n]
        # ...and held one at a time: each call at a counter comes after the finish of the one
        # before it, so no ticket was ever active at two counters or two at one.
        holding: dict[int, str | None] = {}
        for e in evs:
            if e.kind == m.TICKET_CALLED:
                assert holding.get(e.data["counter"]) is None
                assert e.ticket_id not in holding.values()
                holding[e.data["counter"]] = e.ticket_id
            elif e.kind == m.TICKET_FINISHED:
                assert holding[e.data["counter"]] == e.ticket_id
                holding[e.data["counter"]] = None
        assert set(holding.values()) == {None}
        assert led.reader.waiting_count(["B"], MONDAY_0900.date()) == 0
        (bpjs,) = led.reader.figures(MONDAY_0900.date())
        assert (bpjs.issued, bpjs.served) == (tickets, tickets)
        assert led.verify()
    finally:
        led.close()


def test_a_writer_killed_mid_load_loses_no_acknowledged_ticket(
    tmp_path: Path, workers: list[Worker]
) -> None:
    deadline = time.monotonic() + TIMEOUT
    db = tmp_path / "ledger.db"
    writer = Worker("--db", str(db), "--config", str(SMALL_HALL), "--clock", CLOCK,
                    "--device", "kiosk-1", "issue", "--count", "1000000",
                    "--services", "ktp-ganti,bpjs-daftar")
    workers.append(writer)
    writer.read_until(lambda lines: len(lines) > 301, deadline)  # "ready" and 301 labels
    writer.proc.send_signal(signal.SIGKILL)
    assert writer.proc.wait(timeout=10) == -signal.SIGKILL
    writer.read_until(lambda _lines: writer.eof, deadline)  # lines already in the pipe count too
    acknowledged = [line for line in writer.lines if line != "ready"]
    assert len(acknowledged) > 300 and "done" not in acknowledged

    led = Ledger(db, load_config(SMALL_HALL), ManualClock(MONDAY_0900))
    try:
        assert led.verify()
        issued = [e for e in iter_events(led.conn) if e.kind == m.TICKET_ISSUED]
        labels = {e.data["label"] for e in issued}
        missing = [label for label in acknowledged if label not in labels]
        assert missing == []
        # At most the one command in flight at the kill got committed without being printed.
        assert len(issued) - len(acknowledged) in (0, 1)
        for queue in ("KTP", "B"):
            numbers = sorted(e.data["number"] for e in issued if e.data["queue"] == queue)
            assert numbers == list(range(1, len(numbers) + 1))
        # The hall carries on where it stopped.
        after = led.issue_ticket("bpjs-daftar", Actor("kiosk-2"))
        b_issued = sum(1 for e in issued if e.data["queue"] == "B")
        assert after.value["ticket"]["label"] == f"B-{b_issued + 1:03d}"
        assert led.verify()
    finally:
        led.close()

