"""Enrolment codes (shared.hub.enrolment) against a real hub process: IT makes a code with the
real command line, a web station redeems it over the hub's real HTTP port, and the token it
gets is an ordinary counter station's (bound, revocable live)."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from shared.hub.auth import AuthStore
from shared.hub.enrolment import FAILURES_BEFORE_LOCK, Enrolment
from shared.station.client import HubClient, HubRefused
from tests.helpers.web_counter import make_code
from tests.system.conftest import HubProcess


def redeem(hub: HubProcess, token: str, code: object) -> tuple[int, dict[str, object]]:
    req = urllib.request.Request(
        f"{hub.http}/enrol", data=json.dumps({"code": code}).encode(), method="POST",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, dict(json.load(r))
    except urllib.error.HTTPError as e:
        return e.code, dict(json.load(e))


@pytest.fixture
def running(hub: HubProcess) -> tuple[HubProcess, str]:
    web = hub.enroll("web-1", "web")
    hub.start()
    return hub, web


def test_a_code_works_once_and_gives_a_bound_counter_token(running: tuple[HubProcess, str]
                                                           ) -> None:
    hub, web = running
    code = make_code(hub, "loket-2-web", 2)
    status, body = redeem(hub, web, code.lower().replace("-", " "))  # as an officer types it
    assert status == 200, body
    assert body["station"] == "loket-2-web" and body["counter"] == 2
    assert redeem(hub, web, code)[0] == 400  # used: never twice

    async def welcome() -> tuple[str, int | None]:
        client = HubClient(hub.url, str(body["token"]))
        await client.start()
        try:
            assert client.welcome is not None
            return client.welcome.role, client.welcome.counter
        finally:
            await client.close()

    assert asyncio.run(welcome()) == ("counter", 2)


def test_only_a_web_station_may_redeem(running: tuple[HubProcess, str]) -> None:
    hub, _ = running
    kiosk = hub.enroll("kiosk-1", "kiosk")
    code = make_code(hub, "loket-1-web", 1)
    status, body = redeem(hub, kiosk, code)
    assert status == 403 and body["error"] == "forbidden"
    assert redeem(hub, "not-a-token-at-all", code)[0] == 401


def test_an_expired_code_is_refused(running: tuple[HubProcess, str]) -> None:
    hub, web = running
    store = AuthStore(hub.workdir / "hub-auth.db")
    enrolment = Enrolment(store)
    try:
        old = enrolment.create("loket-3-web", 3, minutes=10, now=time.time() - 11 * 60)
    finally:
        enrolment.close()
        store.close()
    status, body = redeem(hub, web, old.code)
    assert status == 400 and body["error"] == "expired"
    assert "kedaluwarsa" in str(body["pesan"])
    assert "loket-3-web" not in [s.name for s in AuthStore(hub.workdir / "hub-auth.db").stations()]


def test_wrong_codes_are_throttled(running: tuple[HubProcess, str]) -> None:
    hub, web = running
    good = make_code(hub, "loket-4-web", 4)
    for _ in range(FAILURES_BEFORE_LOCK):
        status, body = redeem(hub, web, "AAAA-AAAA")
        assert status == 400 and body["error"] == "bad"
    # Locked now: even the right code waits, and is not used up by the refusal.
    status, body = redeem(hub, web, good)
    assert status == 400 and body["error"] == "locked"


def test_a_revoked_browser_is_cut_off_at_once(running: tuple[HubProcess, str]) -> None:
    hub, web = running
    status, body = redeem(hub, web, make_code(hub, "loket-1-web", 1))
    assert status == 200

    async def cut_off() -> str | None:
        client = HubClient(hub.url, str(body["token"]))
        await client.start()
        assert client._task is not None
        subprocess.run([sys.executable, "-m", "antrean", "hub", "--ledger", str(hub.ledger),
                        "stations", "revoke", "loket-1-web"], check=True, timeout=30,
                       capture_output=True)
        await asyncio.wait_for(client._task, 10)  # the hub closed it (4004): it gives up
        refused = client.refused
        await client.close()
        again = HubClient(hub.url, str(body["token"]))
        with pytest.raises(HubRefused):
            await again.start()
        await again.close()
        return refused

    assert "revoked" in (asyncio.run(cut_off()) or "")


def test_a_code_for_a_counter_the_hall_lacks_is_refused(hub: HubProcess, tmp_path: Path
                                                        ) -> None:
    run = subprocess.run(
        [sys.executable, "-m", "antrean", "hub", "--ledger", str(hub.ledger), "--config",
         str(hub.config), "stations", "code", "x", "--counter", "99"],
        capture_output=True, text=True, timeout=30)
    assert run.returncode == 2 and "counter 99 is not in the hall config" in run.stderr
    assert "Traceback" not in run.stderr
