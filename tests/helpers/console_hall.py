"""A hub, the console beside it and a browser signed in to it, for the console's browser tests:
the console's accounts (made by the real `antrean console user add`), signing in through the
real form, and a hall whose kiosk and counters act on the hub from the test's thread."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from shared.ledger import config_log
from tests.helpers.browser import expect
from tests.helpers.console_station import ConsoleProcess
from tests.helpers.hub_process import DATA, HubProcess
from tests.helpers.web_station import ActingStation

SMALL = DATA / "small_hall.toml"
PASSWORD = "kata-sandi-rahasia"  # every account's
# The console's accounts the tests sign in with: role, full name, agency (a coordinator's).
ACCOUNTS: dict[str, tuple[str, str, str | None]] = {
    "kepala": ("supervisor", "Kepala DPMPTSP", None),
    "tamu": ("admin", "Admin Tamu", None),
    "ani": ("coordinator", "Ani Dukcapil", "DUKCAPIL"),
    "siti": ("coordinator", "Siti Aminah", "BPJSKES"),
}


def add_accounts(console: ConsoleProcess, *usernames: str,
                 config: Path = SMALL) -> None:
    """ACCOUNTS' `usernames`, in that order; a coordinator's agency is checked against `config`."""
    for username in usernames:
        role, name, agency = ACCOUNTS[username]
        console.add_user(username, role, PASSWORD, name, agency=agency,
                         config=config if agency else None)


def sign_in(page: Any, console: ConsoleProcess, username: str, password: str = PASSWORD
            ) -> None:
    """The sign-in form filled and sent, whatever the console answers."""
    page.goto(console.url + "/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")


def open_signed_in(page: Any, console: ConsoleProcess, username: str, path: str = "") -> None:
    """Signed in as `username` (the header shows who), then at `path` if one is given."""
    sign_in(page, console, username)
    expect(page, "header .who").to_be_visible()
    if path:
        page.goto(console.url + path)


@dataclass
class ConsoleHall:
    """A hub and its console, a kiosk that issues and counters whose officers are signed in."""

    hub: HubProcess
    console: ConsoleProcess
    kiosk: ActingStation
    counters: dict[int, ActingStation]

    def issue(self, service: str = "ktp-baru") -> str:
        result = self.kiosk.command("issue_ticket", service=service)
        return str(result.value["ticket"]["label"])

    def call_next(self, counter: int) -> str:
        result = self.counters[counter].command("call_next", counter=counter)
        return str(result.value["ticket"]["label"])

    def synced(self) -> None:
        """Returns once the console's replica holds all the hub has."""
        self.console.wait_seq(int(str(self.hub.health()["last_seq"])))

    def stop(self) -> None:
        for station in (self.kiosk, *self.counters.values()):
            station.close()
        self.console.stop()
        self.hub.stop()


def start_console_hall(workdir: Path, officers: dict[int, tuple[str, str]],
                       accounts: Sequence[str] = ("kepala", "tamu", "ani"),
                       prepare: Callable[[HubProcess], None] | None = None) -> ConsoleHall:
    """The small hall's hub with console-1 (an admin station), kiosk-1 and a counter station
    loket-N per entry of `officers` (counter: officer id and PIN, signed in there); `prepare`
    does more to the hub's files before it starts."""
    hub = HubProcess(workdir, SMALL)
    console_token = hub.enroll("console-1", "admin")
    kiosk_token = hub.enroll("kiosk-1", "kiosk")
    tokens = {n: hub.enroll(f"loket-{n}", "counter", n) for n in officers}
    for officer, pin in officers.values():
        hub.add_officer(officer, pin)
    if prepare is not None:
        prepare(hub)
    hub.start()
    console = ConsoleProcess(workdir, hub.url, console_token, hub.clock)
    add_accounts(console, *accounts)
    console.start()
    kiosk = ActingStation(hub.url, kiosk_token)
    counters = {n: ActingStation(hub.url, t) for n, t in tokens.items()}
    for n, (officer, pin) in officers.items():
        counters[n].sign_in(officer, pin, n)
    return ConsoleHall(hub, console, kiosk, counters)


@dataclass
class ConfigHall:
    """A hub and its console for the configuration pages, with the token of an admin station
    (it-pc) that records versions with `antrean config import` and reads the hub's config, and
    kiosk-1's token (enrolled, not connected)."""

    hub: HubProcess
    console: ConsoleProcess
    admin_token: str
    kiosk_token: str

    def import_config(self, path: Path, *extra: str) -> None:
        done = subprocess.run([sys.executable, "-m", "antrean", "config", "import", str(path),
                               *extra, "--hub", self.hub.url, "--token", self.admin_token],
                              capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr

    def _get(self, path: str) -> bytes:
        req = urllib.request.Request(f"{self.hub.http}{path}",
                                     headers={"Authorization": f"Bearer {self.admin_token}"})
        with urllib.request.urlopen(req, timeout=5) as r:
            return bytes(r.read())

    def hub_config_text(self) -> str:
        """The config in force by the hub, as the hub serves it to stations."""
        return self._get("/config").decode("utf-8")

    def versions(self) -> list[config_log.ConfigVersion]:
        """The versions the hub recorded, oldest first."""
        return [config_log.version_from_dict(v)
                for v in json.loads(self._get("/config/versions"))["versions"]]

    def start_console(self) -> None:
        """The console started, and returned once its replica holds all the hub has."""
        self.console.start()
        self.console.wait_seq(int(str(self.hub.health()["last_seq"])))

    def stop(self) -> None:
        self.console.stop()
        self.hub.stop()


def config_hall(workdir: Path) -> ConfigHall:
    """The small hall's hub running with console-1, it-pc (both admin stations) and kiosk-1
    enrolled; its console made but not started, so that a test first puts on the hub what the
    console should find (then `start_console`)."""
    hub = HubProcess(workdir, SMALL)
    console_token = hub.enroll("console-1", "admin")
    admin_token = hub.enroll("it-pc", "admin")
    kiosk_token = hub.enroll("kiosk-1", "kiosk")
    hub.start()
    console = ConsoleProcess(workdir, hub.url, console_token, hub.clock)
    return ConfigHall(hub, console, admin_token, kiosk_token)
