"""A real `antrean console` process on 127.0.0.1 for the browser tests, beside a real hub
process (tests/helpers/hub_process.py), with accounts made by the real `antrean console user
add` command (the password on its stdin, as an installer types it)."""

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
from typing import Any

from tests.helpers.web_station import free_port


@dataclass
class ConsoleProcess:
    workdir: Path
    hub_url: str
    token: str
    clock: str
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def replica(self) -> Path:
        return self.workdir / "console-replica.db"

    @property
    def accounts(self) -> Path:
        return self.workdir / "console-accounts.db"

    @property
    def log_path(self) -> Path:
        return self.workdir / "console.log"

    def add_user(self, username: str, role: str, password: str, name: str = "",
                 agency: str | None = None, config: Path | None = None) -> None:
        extra = ["--agency", agency] if agency else []
        extra += ["--config", str(config)] if config else []
        done = subprocess.run(
            [sys.executable, "-m", "antrean", "console", "user", "add", username, "--role",
             role, "--name", name, "--accounts", str(self.accounts), *extra],
            input=(password + "\n").encode(), capture_output=True, timeout=60)
        assert done.returncode == 0, done.stderr.decode()

    def start(self) -> None:
        log = open(self.log_path, "ab")  # noqa: SIM115 (kept open for the child's lifetime)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "antrean", "console", "--hub", self.hub_url, "--token",
             self.token, "--listen", f"127.0.0.1:{self.port}", "--replica", str(self.replica),
             "--accounts", str(self.accounts), "--simulated-clock", self.clock],
            stdout=log, stderr=subprocess.STDOUT, env={**os.environ, "PYTHONUNBUFFERED": "1"})
        log.close()
        self.wait_until(lambda h: True, "the console answers")

    def health(self) -> dict[str, Any]:
        with urllib.request.urlopen(f"{self.url}/health", timeout=2) as r:
            return dict(json.load(r))

    def wait_until(self, condition: Any, what: str, timeout: float = 20.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            assert self.proc is not None
            if self.proc.poll() is not None:
                raise RuntimeError(f"antrean console exited: {self.log_path.read_text()}")
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
        self.wait_until(lambda h: h["last_seq"] >= seq, f"the console reaches seq {seq}")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
