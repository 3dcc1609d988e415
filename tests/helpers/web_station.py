"""A real `antrean web` process on 127.0.0.1 for the browser tests, beside a real hub process
(tests/system/conftest.py's HubProcess), and a station that acts on the hub from a thread of
the test (an asyncio HubClient: real commands over the real socket)."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from shared.ledger.model import Result
from shared.station.client import HubClient

T = TypeVar("T")


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class WebProcess:
    workdir: Path
    hub_url: str
    token: str
    clock: str
    port: int = field(default_factory=free_port)
    rate_limit: int = 100_000  # the tests' browser makes many requests from one address
    proc: subprocess.Popen[bytes] | None = None
    extra: tuple[str, ...] = ()  # more arguments, e.g. --tls-cert/--tls-key
    tls: bool = False  # served over HTTPS (a throwaway certificate: not checked here)

    @property
    def url(self) -> str:
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.port}"

    @property
    def replica(self) -> Path:
        return self.workdir / "web-replica.db"

    @property
    def log_path(self) -> Path:
        return self.workdir / "web.log"

    def start(self) -> None:
        log = open(self.log_path, "ab")  # noqa: SIM115 (kept open for the child's lifetime)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "antrean", "web", "--hub", self.hub_url, "--token",
             self.token, "--listen", f"127.0.0.1:{self.port}", "--replica", str(self.replica),
             "--rate-limit", str(self.rate_limit), "--simulated-clock", self.clock,
             *self.extra],
            stdout=log, stderr=subprocess.STDOUT, env={**os.environ, "PYTHONUNBUFFERED": "1"})
        log.close()
        self.wait_until(lambda h: True, "the web station answers")

    def health(self) -> dict[str, Any]:
        context = None
        if self.tls:
            import ssl

            context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
        with urllib.request.urlopen(f"{self.url}/health", timeout=2, context=context) as r:
            return dict(json.load(r))

    def wait_until(self, condition: Any, what: str, timeout: float = 20.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            assert self.proc is not None
            if self.proc.poll() is not None:
                raise RuntimeError(f"antrean web exited: {self.log_path.read_text()}")
            try:
                health = self.health()
                if condition(health):
                    return health
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError(f"{what}: not within {timeout:g} s")
            time.sleep(0.05)  # polling a process's state; bounded by the deadline

    def wait_seq(self, seq: int) -> None:
        self.wait_until(lambda h: h["last_seq"] >= seq, f"the web replica reaches seq {seq}")

    def ticket_secret(self, ticket_id: str) -> str:
        """The secret, read from the web station's own replica (the ticket.issued event)."""
        conn = sqlite3.connect(f"file:{self.replica}?mode=ro", uri=True)
        try:
            row = conn.execute("SELECT json_extract(data, '$.secret') FROM events WHERE "
                               "kind='ticket.issued' AND ticket_id=?", (ticket_id,)).fetchone()
        finally:
            conn.close()
        assert row and row[0], f"{ticket_id} has no secret in its ticket.issued event"
        return str(row[0])

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)


class ActingStation:
    """A kiosk or a counter on the hub, driven from the test's thread: its own event loop in
    a thread, real HubClient commands."""

    def __init__(self, url: str, token: str) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()
        self.client = HubClient(url, token)
        self.run(self.client.start())

    def run(self, coro: Coroutine[Any, Any, T], timeout: float = 30.0) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout)

    def command(self, kind: str, **args: Any) -> Result:
        result = self.run(self.client.command(kind, args))
        assert result.ok, result.refusal
        return result

    def sign_in(self, officer: str, pin: str, counter: int) -> None:
        result = self.run(self.client.sign_in(officer, pin, counter))
        assert result.ok, result.refusal

    def close(self) -> None:
        self.run(self.client.close())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()
