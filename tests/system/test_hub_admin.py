"""Stations and officers managed while the hall runs: `antrean hub stations revoke`, `enroll`
again, `officer disable|enable|reset-pin|list`, against a real hub process. What is taken away
is refused at once, open connections included; the hub says so in its log without the token.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import aiohttp
import pytest
from pytestqt.qtbot import QtBot

from counter_client.core import CounterCore
from shared.config import load_config
from shared.hub.auth import AuthStore
from shared.station.hub_link import HubLink
from shared.station.replica import Replica
from tests.helpers.hub_process import ledger_fingerprint
from tests.system.conftest import DATA, HubProcess, free_port
from tests.system.raw_station import Raw

ROOT = Path(__file__).resolve().parents[2]


def hub_cli(hub: HubProcess, *args: str, stdin: str | None = None
            ) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANTREAN_")}
    return subprocess.run([sys.executable, "-m", "antrean", "hub", "--ledger",
                           str(hub.ledger), *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=60, check=False, input=stdin)


def enroll(hub: HubProcess, name: str, role: str, *extra: str) -> str:
    done = hub_cli(hub, "enroll", "--role", role, "--name", name, *extra)
    assert done.returncode == 0, done.stderr
    return next(ln.split("=", 1)[1] for ln in done.stdout.splitlines()
                if ln.startswith("ANTREAN_TOKEN="))


def test_a_revoked_station_is_closed_live_and_refused_everywhere(hub: HubProcess) -> None:
    hub.start()
    token = enroll(hub, "kiosk-1", "kiosk")  # the CLI, while the hub runs
    listing = hub_cli(hub, "stations", "list")
    assert listing.stdout.splitlines() == ["kiosk-1\tkiosk\t"]

    async def go() -> None:
        kiosk = await Raw.connect(hub, token)
        issued = await kiosk.command("i1", "issue_ticket", service="ktp-baru")
        assert issued is not None and issued["result"]["ok"]
        before = ledger_fingerprint(hub)

        done = await asyncio.to_thread(hub_cli, hub, "stations", "revoke", "kiosk-1")
        assert done.returncode == 0, done.stderr
        assert "kiosk-1 (kiosk) revoked" in done.stdout
        # The open connection is told why and closed, without sending anything.
        notice = await kiosk.until(lambda f: f.get("type") == "error", timeout=5)
        assert notice is not None and notice["code"] == "token_revoked", kiosk.frames
        assert await kiosk.next() is None
        assert kiosk.ws.close_code == 4004
        await kiosk.close()

        # A new connection with it: refused the same way, before any welcome.
        again = await Raw.connect(hub, token)
        assert again.welcome["code"] == "token_revoked"
        assert await again.next() is None and again.ws.close_code == 4004
        await again.close()
        async with aiohttp.ClientSession() as s, s.get(
                f"{hub.http}/config", headers={"Authorization": f"Bearer {token}"}) as r:
            assert r.status == 401 and (await r.json()) == {"error": "token revoked"}
        assert ledger_fingerprint(hub) == before

    asyncio.run(go())
    assert hub.log_path is not None
    log = hub.log_path.read_text()
    assert "station kiosk-1: its token was revoked or replaced; closing" in log
    assert "refused /config from 127.0.0.1: revoked token of kiosk-1" in log
    assert token not in log
    assert hub_cli(hub, "stations").stdout == ""


def test_a_command_right_after_the_revocation_is_not_executed(hub: HubProcess) -> None:
    """Before the hub's watcher even notices, the next command finds the token gone."""
    token = hub.enroll("kiosk-1", "kiosk")
    hub.start()

    async def go() -> None:
        kiosk = await Raw.connect(hub, token)
        before = ledger_fingerprint(hub)
        store = AuthStore(hub.workdir / "hub-auth.db")
        store.revoke("kiosk-1")
        store.close()
        await kiosk.ws.send_str(json.dumps({"type": "command", "id": "i1",
                                            "kind": "issue_ticket",
                                            "args": {"service": "ktp-baru"}}))
        reply = await kiosk.next()
        assert reply is not None and reply["type"] == "error", reply
        assert reply["code"] == "token_revoked"
        assert await kiosk.next() is None and kiosk.ws.close_code == 4004
        assert not any(f.get("type") == "result" for f in kiosk.frames)
        assert ledger_fingerprint(hub) == before
        await kiosk.close()

    asyncio.run(go())


def test_enrolling_again_closes_the_old_tokens_connection(hub: HubProcess) -> None:
    hub.start()
    old = enroll(hub, "papan-1", "display")

    async def go() -> None:
        board = await Raw.connect(hub, old)
        assert board.welcome["type"] == "welcome"
        new = await asyncio.to_thread(enroll, hub, "papan-1", "display")
        notice = await board.until(lambda f: f.get("type") == "error", timeout=5)
        assert notice is not None and notice["code"] == "token_revoked"
        assert await board.next() is None and board.ws.close_code == 4004
        await board.close()
        fresh = await Raw.connect(hub, new)
        assert fresh.welcome["type"] == "welcome" and fresh.welcome["station"] == "papan-1"
        await fresh.close()

    asyncio.run(go())


def test_a_revoked_qt_station_says_why_and_stops_knocking(qtbot: QtBot, hub: HubProcess,
                                                          tmp_path: Path) -> None:
    token = hub.enroll("loket-1", "counter", 1)
    hub.start()
    link = HubLink(load_config(hub.config), hub.url, token, Replica(tmp_path / "r.db"),
                   "loket-1")
    try:
        qtbot.waitUntil(link.is_online, timeout=10000)
        assert link.offline_reason() is None
        with qtbot.waitSignal(link.online_changed, timeout=10000,
                              check_params_cb=lambda online: not online):
            assert hub_cli(hub, "stations", "revoke", "loket-1").returncode == 0
        qtbot.waitUntil(lambda: link.refused_code == "token_revoked", timeout=10000)
        assert link.offline_reason() == ("Perangkat ini dicabut dari server antrean. Hubungi "
                                         "petugas TI.")
        qtbot.waitUntil(lambda: link._ws.state().name == "UnconnectedState", timeout=10000)
        assert not link._retry.isActive()  # no reconnect is scheduled: it stays away
    finally:
        link.close()
    assert hub.log_path is not None
    assert hub.log_path.read_text().count("station loket-1 (counter) connected") == 1


def test_a_disabled_officer_is_signed_out_and_cannot_sign_in(hub: HubProcess) -> None:
    hub.start()
    for officer, pin in (("siti", "2468"), ("budi", "1357")):
        done = hub_cli(hub, "officer", "add", officer, "--name", officer.title(), "--pin", pin)
        assert done.returncode == 0, done.stderr
    counter, kiosk_token = enroll(hub, "loket-1", "counter"), enroll(hub, "kiosk-1", "kiosk")

    async def go() -> None:
        kiosk = await Raw.connect(hub, kiosk_token)
        await kiosk.command("i1", "issue_ticket", service="ktp-baru")
        loket = await Raw.connect(hub, counter)
        signed = await loket.sign_in("s1", "siti", "2468", 1)
        assert signed is not None and signed["result"]["ok"]
        called = await loket.command("c1", "call_next", counter=1)
        assert called is not None and called["result"]["value"]["ticket"]["label"] == "KTP-001"

        done = await asyncio.to_thread(hub_cli, hub, "officer", "disable", "siti")
        assert done.returncode == 0 and "siti disabled" in done.stdout, done.stderr
        # Signed out in the ledger, for every station to see, with a ticket still in hand.
        out = await loket.until(lambda f: f.get("type") == "events" and any(
            e["kind"] == "officer.signed_out" for e in f["events"]), timeout=5)
        assert out is not None
        event = next(e for e in out["events"] if e["kind"] == "officer.signed_out")
        assert event["data"] == {"counter": 1, "officer": "siti", "reason": "officer_disabled"}
        # ...and on this connection: nothing more as siti.
        refused = await loket.command("c2", "recall", counter=1)
        assert refused is not None and refused["result"]["refusal"]["code"] == "not_signed_in"
        again = await loket.sign_in("s2", "siti", "2468", 1)
        assert again is not None
        assert again["result"]["refusal"]["code"] == "officer_disabled"
        assert "dinonaktifkan" in again["result"]["refusal"]["pesan"]
        wrong = await loket.sign_in("s3", "siti", "0000", 1)  # a wrong PIN learns nothing
        assert wrong is not None and wrong["result"]["refusal"]["code"] == "bad_pin"
        # The counter is free: the next officer takes over the visitor at the window.
        budi = await loket.sign_in("s4", "budi", "1357", 1)
        assert budi is not None and budi["result"]["ok"], budi
        finished = await loket.command("c3", "finish", counter=1)
        assert finished is not None and finished["result"]["ok"]
        assert finished["result"]["value"]["ticket"]["label"] == "KTP-001"
        await loket.close()
        await kiosk.close()

    asyncio.run(go())
    listing = hub_cli(hub, "officer", "list").stdout.splitlines()
    assert listing == ["budi\tBudi\tactive", "siti\tSiti\tdisabled"]
    assert hub_cli(hub, "officer", "enable", "siti").returncode == 0
    assert hub_cli(hub, "officer", "list").stdout.splitlines()[1] == "siti\tSiti\tactive"


def test_reset_pin_and_mistyped_names(hub: HubProcess) -> None:
    hub.add_officer("siti", "2468")
    token = hub.enroll("loket-1", "counter")
    hub.start()
    done = hub_cli(hub, "officer", "reset-pin", "siti", "--pin", "9753")
    assert done.returncode == 0 and "new PIN" in done.stdout

    async def go() -> None:
        loket = await Raw.connect(hub, token)
        old = await loket.sign_in("s1", "siti", "2468", 1)
        assert old is not None and old["result"]["refusal"]["code"] == "bad_pin"
        new = await loket.sign_in("s2", "siti", "9753", 1)
        assert new is not None and new["result"]["ok"]
        await loket.close()

    asyncio.run(go())
    for args, problem in [
        (("officer", "disable", "sitti"), 'no officer \'sitti\' (did you mean "siti"?)'),
        (("officer", "reset-pin", "siti", "--pin", "12"), "a PIN is 4-12 digits"),
        (("stations", "revoke", "loket-2"),
         'no station named \'loket-2\' is enrolled (did you mean "loket-1"?)'),
    ]:
        bad = hub_cli(hub, *args)
        assert bad.returncode == 2 and bad.stderr.strip() == f"error: {problem}", bad.stderr
        assert "Traceback" not in bad.stderr


def test_a_counter_app_shows_the_officer_signed_out(qtbot: QtBot, hub: HubProcess,
                                                    tmp_path: Path) -> None:
    hub.add_officer("siti", "2468")
    token = hub.enroll("loket-1", "counter", 1)
    hub.start()
    link = HubLink(load_config(hub.config), hub.url, token, Replica(tmp_path / "r.db"),
                   "loket-1")
    core = CounterCore(link, 1)
    messages: list[str] = []
    core.message.connect(lambda text, kind: messages.append(text))
    try:
        qtbot.waitUntil(link.is_online, timeout=10000)
        with qtbot.waitSignal(core.signed_in_changed, timeout=20000):
            core.sign_in("siti", "2468")
        assert core.officer == "siti"
        with qtbot.waitSignal(core.signed_in_changed, timeout=10000,
                              check_params_cb=lambda signed_in: not signed_in):
            assert hub_cli(hub, "officer", "disable", "siti").returncode == 0
        assert core.officer is None and link.officer is None
        assert any("dinonaktifkan" in m for m in messages), messages
    finally:
        core.stop()
        link.close()


@pytest.mark.parametrize(("host", "warned"), [("0.0.0.0", True), ("127.0.0.1", False)])
def test_plain_ws_beyond_loopback_is_warned_about_loudly(tmp_path: Path, host: str,
                                                         warned: bool) -> None:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "antrean", "hub", "--ledger", str(tmp_path / "ledger.db"),
         "--config", str(DATA / "small_hall.toml"), "--host", host, "--port", str(port),
         "--no-mdns"], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        assert proc.stdout is not None
        start_line = proc.stdout.readline()  # printed once the hub is about to serve
        assert start_line.startswith("Antrean hub for Mal Pelayanan Publik Uji on ws://")
        assert ("WARNING: NOT ENCRYPTED" in start_line) is warned, start_line
        if warned:
            assert "--tls" in start_line
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=20)
    assert ("WARNING antrean.hub: WARNING: NOT ENCRYPTED" in err) is warned, err
    assert "Traceback" not in err
