"""A real hub process on 127.0.0.1 (`python -m antrean hub`), as a hall runs it: for system
tests and for tests that share one hub across a module (fuzzing against the real thing)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from shared.hub.auth import AuthStore, Station
from shared.ledger.projection import ledger_hash
from shared.ledger.store import connect
from tests.helpers.ports import free_port

DATA = Path(__file__).parent.parent / "data"
# Monday 30 November 2026, 09:00 WIB: inside the small hall's opening hours.
HALL_MORNING = "2026-11-30T09:00:00+07:00"


class ChildProcess:
    """A program of ours run by a test: SIGTERM as systemd stops it, SIGKILL as a power cut."""

    proc: subprocess.Popen[bytes] | None

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()


@dataclass
class HubProcess(ChildProcess):
    workdir: Path
    config: Path | None  # None: no --config (a ledger holding its config needs none)
    port: int = field(default_factory=free_port)
    clock: str = HALL_MORNING
    proc: subprocess.Popen[bytes] | None = None
    log_path: Path | None = None

    @property
    def ledger(self) -> Path:
        return self.workdir / "ledger.db"

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws"

    @property
    def http(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def enroll(self, name: str, role: str, counter: int | None = None) -> str:
        store = AuthStore(self.workdir / "hub-auth.db")
        try:
            return store.enroll(name, role, counter)
        finally:
            store.close()

    def add_officer(self, officer: str, pin: str) -> None:
        store = AuthStore(self.workdir / "hub-auth.db")
        try:
            store.add_officer(officer, officer.title(), pin)
        finally:
            store.close()

    def stations(self) -> list[Station]:
        """The stations enrolled in the hub's auth file, by name."""
        store = AuthStore(self.workdir / "hub-auth.db")
        try:
            return list(store.stations())
        finally:
            store.close()

    def start(self, *extra: str) -> None:
        self.log_path = self.workdir / "hub.log"
        log = open(self.log_path, "ab")  # noqa: SIM115 (kept open for the child's lifetime)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "antrean", "hub", "--ledger", str(self.ledger),
             *(("--config", str(self.config)) if self.config else ()),
             "--host", "127.0.0.1", "--port", str(self.port), "--no-mdns",
             "--simulated-clock", self.clock, *extra],
            stdout=log, stderr=subprocess.STDOUT, env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        log.close()
        self.wait_healthy()

    def health(self) -> dict[str, object]:
        with urllib.request.urlopen(f"{self.http}/health", timeout=2) as r:
            return dict(json.load(r))

    def wait_healthy(self, timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        while True:
            assert self.proc is not None
            if self.proc.poll() is not None:
                raise RuntimeError(f"hub exited: {self.log_path and self.log_path.read_text()}")
            try:
                self.health()
                return
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)  # polling a starting server; bounded by the deadline


def ledger_fingerprint(hub: HubProcess) -> str:
    """The hash of the hub's ledger: equal before and after, nothing was written."""
    conn = connect(hub.ledger, readonly=True)
    try:
        return ledger_hash(conn)
    finally:
        conn.close()
