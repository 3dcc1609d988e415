"""A hub, the console beside it and a browser signed in to it, for the console's browser tests:
the console's accounts (made by the real `antrean console user add`), signing in through the
real form, and a hall whose kiosk and counters act on the hub from the test's thread."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.helpers.browser import expect
from tests.helpers.console_station import ConsoleProcess
from tests.helpers.hub_process import DATA, HubProcess
from tests.helpers.web_station import ActingStation

PASSWORD = "kata-sandi-rahasia"  # every account's
# The console's accounts the tests sign in with: role, full name, agency (a coordinator's).
ACCOUNTS: dict[str, tuple[str, str, str | None]] = {
    "kepala": ("supervisor", "Kepala DPMPTSP", None),
    "tamu": ("admin", "Admin Tamu", None),
    "ani": ("coordinator", "Ani Dukcapil", "DUKCAPIL"),
    "siti": ("coordinator", "Siti Aminah", "BPJSKES"),
}


def add_accounts(console: ConsoleProcess, *usernames: str,
                 config: Path = DATA / "small_hall.toml") -> None:
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
    hub = HubProcess(workdir, DATA / "small_hall.toml")
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
