"""A hub and the web station beside it (tests/helpers/web_station.py), with a kiosk that issues
and counters that call from the test's thread, for the browser tests of the visitor's pages.
The hall's `[mpp] public_url` is the web station's own address, so a printed QR code opens it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from tests.helpers.hub_process import DATA, HubProcess
from tests.helpers.ports import free_port
from tests.helpers.web_station import ActingStation, WebProcess

QT_KIOSK = "kiosk-qr"  # enrolled for a real kiosk (KioskCore and its print worker) a test runs


@dataclass
class WebHall:
    hub: HubProcess
    web: WebProcess
    kiosk: ActingStation
    counters: dict[int, ActingStation]
    kiosk_token: str  # QT_KIOSK's

    def issue(self, service: str = "ktp-baru") -> tuple[str, str]:
        """A ticket issued at the kiosk; returns its id and its page's path."""
        result = self.kiosk.command("issue_ticket", service=service)
        ticket_id = str(result.value["ticket"]["ticket_id"])
        self.web.wait_seq(int(str(self.hub.health()["last_seq"])))
        return ticket_id, f"/t/{ticket_id}-{self.web.ticket_secret(ticket_id)}"

    def call_next(self, counter: int) -> str:
        result = self.counters[counter].command("call_next", counter=counter)
        return str(result.value["ticket"]["label"])

    def stop(self) -> None:
        for station in (self.kiosk, *self.counters.values()):
            station.close()
        self.web.stop()
        self.hub.stop()


def hall_config(workdir: Path, public_url: str) -> Path:
    """The small hall whose tickets' QR codes hold the web station's own address."""
    text = (DATA / "small_hall.toml").read_text(encoding="utf-8")
    assert "\n[mpp]\n" in text
    path = workdir / "hall.toml"
    path.write_text(text.replace("\n[mpp]\n", f'\n[mpp]\npublic_url = "{public_url}"\n', 1),
                    encoding="utf-8")
    return path


def start_web_hall(workdir: Path) -> WebHall:
    """web-1, kiosk-1 (acting), QT_KIOSK (enrolled only), loket-1 with siti and loket-3 with
    budi signed in."""
    web_port = free_port()
    hub = HubProcess(workdir, hall_config(workdir, f"http://127.0.0.1:{web_port}"))
    web_token = hub.enroll("web-1", "web")
    kiosk_token = hub.enroll("kiosk-1", "kiosk")
    qr_kiosk_token = hub.enroll(QT_KIOSK, "kiosk")
    tokens = {n: hub.enroll(f"loket-{n}", "counter", n) for n in (1, 3)}
    hub.add_officer("siti", "2468")
    hub.add_officer("budi", "1357")
    hub.start()
    web = WebProcess(workdir, hub.url, web_token, hub.clock, port=web_port)
    web.start()
    kiosk = ActingStation(hub.url, kiosk_token)
    counters = {n: ActingStation(hub.url, t) for n, t in tokens.items()}
    counters[1].sign_in("siti", "2468", 1)
    counters[3].sign_in("budi", "1357", 3)
    return WebHall(hub, web, kiosk, counters, qr_kiosk_token)
