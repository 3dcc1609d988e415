"""A browser counter's hall for the /petugas tests: a hub with officers, a web station and a
kiosk acting on the hub (`browser_counter_hall`), a one-time enrolment code made with the
documented command line (`make_code`), and one officer's laptop in chromium (`Counter`)."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.helpers.browser import WAIT_MS, Tab, playwright_sync
from tests.helpers.hub_process import DATA, HubProcess
from tests.helpers.web_station import ActingStation, WebProcess


def make_code(hub: HubProcess, name: str, counter: int, *extra: str) -> str:
    out = subprocess.run(
        [sys.executable, "-m", "antrean", "hub", "--ledger", str(hub.ledger), "--config",
         str(hub.config), "stations", "code", name, "--counter", str(counter), *extra],
        capture_output=True, text=True, timeout=30, check=True).stdout
    found = re.search(r": ([A-Z0-9]{4}-[A-Z0-9]{4})\n", out)
    assert found, out
    return found.group(1)


PINS = {"siti": "246813", "budi": "135792", "ani": "975310"}


@dataclass
class Hall:
    hub: HubProcess
    web: WebProcess
    kiosk: ActingStation

    def issue(self, service: str = "ktp-baru", **extra: Any) -> str:
        result = self.kiosk.command("issue_ticket", service=service, **extra)
        return str(result.value["ticket"]["label"])


@contextmanager
def browser_counter_hall(workdir: Path, *web_extra: str) -> Iterator[Hall]:
    """The small hall's hub with PINS' officers, a web station (with `web_extra` options) and a
    kiosk acting on the hub; stopped at the end."""
    hub = HubProcess(workdir, DATA / "small_hall.toml")
    web_token = hub.enroll("web-1", "web")
    kiosk_token = hub.enroll("kiosk-1", "kiosk")
    for officer, pin in PINS.items():
        hub.add_officer(officer, pin)
    hub.start()
    web = WebProcess(workdir, hub.url, web_token, hub.clock, extra=tuple(web_extra))
    web.start()
    kiosk = ActingStation(hub.url, kiosk_token)
    try:
        yield Hall(hub, web, kiosk)
    finally:
        kiosk.close()
        web.stop()
        hub.stop()


class Counter(Tab):
    """One officer's laptop: a browser context of its own (its own cookies). As a context
    manager it is closed at the end, failing the test if its page's script threw."""

    def __init__(self, browser: Any, hall: Hall, width: int = 1366, height: int = 768) -> None:
        super().__init__(browser, width, height)
        self.hall = hall

    def __enter__(self) -> Counter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def enrol(self, name: str, counter: int) -> None:
        code = make_code(self.hall.hub, name, counter)
        self.page.goto(self.hall.web.url + "/petugas")
        self.page.fill("#code", code)
        self.page.click("#enrol")
        self.expect("#officer").to_be_visible(timeout=WAIT_MS)

    def sign_in(self, officer: str, pin: str | None = None) -> None:
        self.page.fill("#officer", officer)
        self.page.fill("#pin", pin or PINS[officer])
        self.page.click("button[data-action=sign_in]")

    def expect(self, selector: str) -> Any:
        return playwright_sync.expect(self.page.locator(selector))

    def text(self, selector: str, pattern: str) -> None:
        self.expect(selector).to_have_text(re.compile(pattern), timeout=WAIT_MS)

    def ready(self, action: str) -> None:
        self.expect(f"button[data-action={action}]").to_be_enabled(timeout=WAIT_MS)

    def press(self, action: str) -> None:
        self.ready(action)
        self.page.click(f"button[data-action={action}]")

    def sign_out(self) -> None:
        # Judged by the ticket shown, not by the finish button at this instant: while the page
        # waits for the hub's answer every button is locked, and a ticket at the counter keeps
        # "Keluar" off until it is finished.
        if self.page.locator("#ticket-label").inner_text().strip() not in ("", "—"):
            self.press("finish")
            self.text("#ticket-label", "^—$")
        self.press("sign_out")
        self.expect("#officer").to_be_visible(timeout=WAIT_MS)

    def close(self) -> None:
        assert self.errors == [], self.errors
        super().close()
