"""The region's tests' halls: hub configs that differ by MPP name (one hall id each), ledgers
filled beforehand with the ledger's own rules, live traffic from a kiosk over the LAN protocol,
the exporter as a real `antrean export postgres` process, and what PostgreSQL holds."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg

from shared.clock import ManualClock
from shared.config import load_config
from shared.ledger.ledger import Ledger
from shared.ledger.model import Actor, Command, CommandRefused
from shared.ledger.projection import apply_event, insert_event
from shared.ledger.store import immediate
from shared.station.client import HubClient

from .hub_process import ChildProcess
from .ledger import DATA, MONDAY_0900

BUSY_HALL = DATA / "busy_hall.toml"
SERVICES = ("ktp", "kk", "bpjs")


def hall_config(folder: Path, name: str) -> Path:
    """The busy test hall (no quotas, open all day) under another MPP name."""
    text = BUSY_HALL.read_text(encoding="utf-8")
    text = text.replace('name = "Mal Pelayanan Publik Beban"', f'name = "{name}"', 1)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "hall.toml"
    path.write_text(text, encoding="utf-8")
    return path


def fill_ledger(path: Path, config_path: Path, target: int, start: Any = None) -> int:
    """Tickets issued, called, started and finished until the log holds at least `target`
    events (the ledger's own rules, many commands a transaction); returns the last seq."""
    config = load_config(config_path)
    clock = ManualClock(start or MONDAY_0900.replace(hour=7, minute=30))
    led = Ledger(path, config, clock)
    counters = sorted(config.counters)
    written = 0

    def run(kind: str, actor: Actor, **args: Any) -> int:
        nonlocal written
        try:
            events = led._decide(Command(kind, args, actor))
        except CommandRefused:
            return 0
        for e in events:
            insert_event(led.conn, e)
            apply_event(led.conn, e)
        written += len(events)
        return len(events)

    officers = {n: Actor(f"loket-{n}", f"petugas{n}") for n in counters}
    with immediate(led.conn):
        if led.reader.last_seq() == 0:
            for n in counters:
                run("sign_in", officers[n], counter=n)
        i = 0
        while written < target:
            run("issue_ticket", Actor("kiosk-1"), service=SERVICES[i % 3])
            n = counters[i % len(counters)]
            if i % 2 == 1:
                run("finish", officers[n], counter=n)
                if run("call_next", officers[n], counter=n):
                    clock.advance(seconds=30)
                    run("start", officers[n], counter=n)
            clock.advance(seconds=1)
            i += 1
    seq = led.reader.last_seq()
    led.close()
    return seq


class Traffic:
    """A kiosk issuing tickets through the hub, one after another, from its own thread, until
    stopped; it rides out hub restarts (a command is resent with its id)."""

    def __init__(self, url: str, token: str, pause: float = 0.0) -> None:
        self.url, self.token, self.pause = url, token, pause
        self.issued = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=lambda: asyncio.run(self._run()), daemon=True)

    def start(self) -> Traffic:
        self._thread.start()
        return self

    async def _run(self) -> None:
        client = HubClient(self.url, self.token)
        await client.start(timeout=20)
        try:
            i = 0
            while not self._stop.is_set():
                try:
                    result = await client.command("issue_ticket",
                                                  {"service": SERVICES[i % 3]}, timeout=20)
                except TimeoutError:
                    continue
                if result.ok:
                    self.issued += 1
                i += 1
                if self.pause:
                    await asyncio.sleep(self.pause)  # the traffic's pace, not a test wait
        finally:
            await client.close()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(30)


class ExporterProcess(ChildProcess):
    def __init__(self, workdir: Path, dsn: str, hub_url: str, token: str,
                 *extra: str) -> None:
        self.workdir, self.dsn, self.hub_url, self.token = workdir, dsn, hub_url, token
        self.extra = extra
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = workdir / "exporter.log"

    def start(self) -> ExporterProcess:
        out = open(self.log, "ab")  # noqa: SIM115 (kept open for the child's lifetime)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "antrean", "export", "postgres", "--dsn", self.dsn,
             "--hub", self.hub_url.removesuffix("/ws"), "--token", self.token, *self.extra],
            stdout=out, stderr=subprocess.STDOUT, env={**os.environ, "PYTHONUNBUFFERED": "1"})
        out.close()
        return self

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


def wait_for(condition: Callable[[], bool], timeout: float, what: str) -> None:
    """Poll a condition across processes (PostgreSQL's rows, a hub's seq) until it holds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(0.05)  # polling another process's state; bounded by the deadline


def region_seq(dsn: str, hall: str) -> int:
    """The head of the hall's chain in the region (0 while PostgreSQL is away or empty)."""
    try:
        with psycopg.connect(dsn, connect_timeout=2) as conn:
            row = conn.execute("SELECT last_seq FROM region.halls WHERE hall = %s",
                               (hall,)).fetchone()
            return int(row[0]) if row else 0
    except (psycopg.OperationalError, psycopg.errors.UndefinedTable):
        return 0
