"""A real `antrean console` process on 127.0.0.1 for the browser tests, beside a real hub
process (tests/helpers/hub_process.py), with accounts made by the real `antrean console user
add` command (the password on its stdin, as an installer types it)."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from tests.helpers.web_station import WebProcess


@dataclass
class ConsoleProcess(WebProcess):
    """The web station's process helper (health, waits, stop), started as the console."""

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

    def audit_log(self) -> list[tuple[object, ...]]:
        """The console's audit log: action, username, ok, detail per row."""
        conn = sqlite3.connect(f"file:{self.accounts}?mode=ro", uri=True)
        try:
            return list(conn.execute("SELECT action, username, ok, detail FROM audit"))
        finally:
            conn.close()

    def start(self) -> None:
        log = open(self.log_path, "ab")  # noqa: SIM115 (kept open for the child's lifetime)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "antrean", "console", "--hub", self.hub_url, "--token",
             self.token, "--listen", f"127.0.0.1:{self.port}", "--replica", str(self.replica),
             "--accounts", str(self.accounts), "--simulated-clock", self.clock, *self.extra],
            stdout=log, stderr=subprocess.STDOUT, env={**os.environ, "PYTHONUNBUFFERED": "1"})
        log.close()
        self.wait_until(lambda h: True, "the console answers")
