"""Uploaded logos kept by a real hub process (shared/hub/assets.py, docs/protocol.md section
4): only an admin station uploads, under a content-addressed name whose hash the body must
match, at most 512 KB of a real PNG or JPEG; a refused upload stores nothing. Any enrolled
station reads one back; an unknown name is 404, no token is 401. A station's fetch keeps the
file in its own folder and reports (never raises) what it could not get; a running station
that could not get one asks again later. `antrean backup run` copies them."""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import http.client
import io
import json
import logging
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image
from pytestqt.qtbot import QtBot

from display.app import BoardApp, BoardOptions
from shared.clock import ManualClock
from shared.config import load_config
from shared.hub.assets import logo_name
from shared.station.hall_files import UploadRefused, fetch_logos, upload_logo
from shared.station.hub_link import HubLink
from shared.station.replica import Replica
from tests.helpers.hub_process import DATA, HALL_MORNING
from tests.helpers.kiosk_hall import close_kiosk, make_kiosk, tap, tile_roles
from tests.system.conftest import HubProcess


def image(fmt: str = "PNG", size: int = 128, noise: bool = False) -> bytes:
    buf = io.BytesIO()
    picture = Image.new("RGB", (size, size), (11, 79, 156))
    if noise:  # random pixels do not compress: a big file
        picture = Image.frombytes("RGB", (size, size), hashlib.shake_256(b"x").digest(
            size * size * 3))
    picture.save(buf, fmt)
    return buf.getvalue()


def request(hub: HubProcess, method: str, path: str, token: str | None,
            body: bytes = b"") -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", hub.port, timeout=10)
    try:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        conn.request(method, path, body=body, headers=headers)
        reply = conn.getresponse()
        return reply.status, reply.read()
    finally:
        conn.close()


def stored(hub: HubProcess) -> list[str]:
    folder = hub.workdir / "assets" / "logos"
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


@pytest.fixture
def tokens(hub: HubProcess) -> dict[str, str]:
    found = {"admin": hub.enroll("console-1", "admin"), "kiosk": hub.enroll("kiosk-1", "kiosk"),
             "counter": hub.enroll("loket-1", "counter", 1),
             "display": hub.enroll("board-1", "display")}
    hub.start()
    return found


def test_only_an_admin_uploads_a_checked_logo_and_a_refused_one_stores_nothing(
        hub: HubProcess, tokens: dict[str, str]) -> None:
    good = image()
    name = logo_name("DUKCAPIL", good, "png")
    assert name.startswith("dukcapil-") and name.endswith(".png")
    path = f"/assets/logos/{name}"
    for role in ("kiosk", "counter", "display"):
        assert request(hub, "PUT", path, tokens[role], good)[0] == 403, role
    assert request(hub, "PUT", path, None, good)[0] == 401
    assert request(hub, "PUT", path, "not-a-token", good)[0] == 401
    # The hash of another file under this name; a JPEG named .png; not an image at all.
    other = image(size=96)
    status, body = request(hub, "PUT", path, tokens["admin"], other)
    assert status == 400 and "sha256" in json.loads(body)["error"]
    jpeg = image("JPEG")
    assert request(hub, "PUT", f"/assets/logos/{logo_name('x', jpeg, 'png')}",
                   tokens["admin"], jpeg)[0] == 400
    text = b"this is not a picture"
    assert request(hub, "PUT", f"/assets/logos/{logo_name('x', text, 'png')}",
                   tokens["admin"], text)[0] == 400
    # Names that are not <code>-<12 hex>.png|jpg: traversal (escaped, so it reaches the
    # route), upper case, another extension, a short hash.
    digest = hashlib.sha256(good).hexdigest()[:12]
    for bad in ("..%2Fx.png", f"..%2F..%2Fdukcapil-{digest}.png", f"DUKCAPIL-{digest}.png",
                f"dukcapil-{digest}.gif", f"dukcapil-{digest[:11]}.png",
                f"dukcapil-{digest}.png.exe"):
        status, _ = request(hub, "PUT", f"/assets/logos/{bad}", tokens["admin"], good)
        assert status in (400, 404), bad
    # Unescaped, the dots never leave the folder either (the path is normalised first).
    assert request(hub, "PUT", f"/assets/logos/../{name}", tokens["admin"], good)[0] in (
        404, 405)
    # Over 512 KB, even when the name fits its content.
    huge = image(size=420, noise=True)
    assert len(huge) > 512 * 1024
    status, _ = request(hub, "PUT", f"/assets/logos/{logo_name('x', huge, 'png')}",
                        tokens["admin"], huge)
    assert status == 413
    assert stored(hub) == []
    assert not (hub.workdir / "x.png").exists()

    # The good one: written once; sent again (or by POST) it is the same file, not a new one.
    assert request(hub, "PUT", path, tokens["admin"], good)[0] == 201
    assert request(hub, "POST", path, tokens["admin"], good)[0] == 200
    assert stored(hub) == [name]
    kept = hub.workdir / "assets" / "logos" / name
    assert kept.read_bytes() == good
    if os.name == "posix":  # the hub's files are its user's only
        assert stat.S_IMODE(kept.stat().st_mode) == 0o600
        assert stat.S_IMODE(kept.parent.stat().st_mode) == 0o700
    log = hub.log_path.read_text() if hub.log_path else ""
    assert "role kiosk, not admin" in log and "does not start with" in log


def test_any_station_reads_a_logo_and_fetches_it_into_its_own_folder(
        hub: HubProcess, tokens: dict[str, str], tmp_path: Path) -> None:
    good = image()
    name = logo_name("bpjskes", good, "png")
    asyncio.run(upload_logo(hub.url, tokens["admin"], None, name, good))
    for role in ("kiosk", "display", "counter", "admin"):
        status, body = request(hub, "GET", f"/assets/logos/{name}", tokens[role])
        assert (status, body) == (200, good), role
    assert request(hub, "GET", f"/assets/logos/{name}", None)[0] == 401
    unknown = f"bpjskes-{'0' * 12}.png"
    assert request(hub, "GET", f"/assets/logos/{unknown}", tokens["kiosk"])[0] == 404
    assert request(hub, "GET", "/assets/logos/..%2Fledger.db", tokens["kiosk"])[0] == 404

    # A kiosk PC's own folder: the known one fetched, the unknown one reported, not raised.
    folder = tmp_path / "kiosk-pc"
    report = fetch_logos(hub.url, tokens["kiosk"], None, folder, [name, unknown])
    assert report.fetched == [name] and set(report.failed) == {unknown}
    assert (folder / "assets" / "logos" / name).read_bytes() == good
    assert not (folder / "assets" / "logos" / unknown).exists()
    # Already there: nothing asked again.
    again = fetch_logos(hub.url, tokens["kiosk"], None, folder, [name])
    assert again.fetched == [] and again.failed == {}

    # `antrean backup run` copies the hub's logos along with its ledger.
    dest = tmp_path / "cadangan"
    run = subprocess.run([sys.executable, "-m", "antrean", "backup", "run", "--ledger",
                          str(hub.ledger), "--to", str(dest)], capture_output=True, text=True,
                         timeout=60)
    assert run.returncode == 0, run.stderr
    assert (dest / "assets" / "logos" / name).read_bytes() == good
    assert f"assets/logos/{name}" in run.stdout

    # The console's upload refused by a non-admin token, or with no hub: said, not raised on.
    with pytest.raises(UploadRefused) as refused:
        asyncio.run(upload_logo(hub.url, tokens["kiosk"], None, name, good))
    assert refused.value.status == 403
    hub.stop()
    with pytest.raises(UploadRefused) as offline:
        asyncio.run(upload_logo(hub.url, tokens["admin"], None, name, good))
    assert offline.value.status == 0
    down = fetch_logos(hub.url, tokens["kiosk"], None, tmp_path / "other-pc", [name])
    assert down.fetched == [] and name in down.failed


def test_a_running_station_shows_initials_until_the_logo_reaches_the_hub(
        qtbot: QtBot, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """The config names a logo the hub does not have yet (IT copied the config before the
    file): the kiosk's tile keeps the initials, the failed fetch is logged, and the station
    asks again later; once the file is on the hub the tile shows it."""
    good = image()
    name = logo_name("DUKCAPIL", good, "png")
    config_path = tmp_path / "hall.toml"
    config_path.write_text((DATA / "small_hall.toml").read_text(encoding="utf-8").replace(
        'short_name = "Dukcapil"\n', f'short_name = "Dukcapil"\nlogo = "assets/logos/{name}"\n',
        1), encoding="utf-8")
    hub = HubProcess(tmp_path / "hub-pc", config_path)
    hub.workdir.mkdir()
    admin, kiosk = hub.enroll("console-1", "admin"), hub.enroll("kiosk-1", "kiosk")
    hub.start()
    kiosk_pc = tmp_path / "kiosk-pc"
    kiosk_pc.mkdir()
    config = load_config(config_path)
    link = HubLink(config, hub.url, kiosk, Replica(kiosk_pc / "replica.db"), "kiosk-1")
    link.files_retry_seconds = 0.2
    k = make_kiosk(qtbot, tmp_path, config, ManualClock(dt.datetime.fromisoformat(
        HALL_MORNING)), link=link)
    try:
        with caplog.at_level(logging.WARNING, logger="shared.station.hall_files"):
            qtbot.waitUntil(lambda: f"could not fetch logo {name}" in caplog.text,
                            timeout=10000)
        assert {t.code: t for t in k.core.agency_tiles()}["DUKCAPIL"].logo is None
        tap(qtbot, k, "take_number")
        assert tile_roles(k, "DUKCAPIL") == ["initials"]
        with qtbot.waitSignal(link.hall_files_changed, timeout=10000):
            asyncio.run(upload_logo(hub.url, admin, None, name, good))
        assert (kiosk_pc / "assets" / "logos" / name).read_bytes() == good
        # The tile on screen, redrawn: the image instead of the initials.
        qtbot.waitUntil(lambda: tile_roles(k, "DUKCAPIL") == ["logo"], timeout=5000)
    finally:
        close_kiosk(k)
        link.close()
        hub.stop()


def test_a_running_board_shows_the_mpp_logo_once_it_reaches_the_hub(
        qtbot: QtBot, tmp_path: Path) -> None:
    good = image()
    name = logo_name("mpp", good, "png")
    config_path = tmp_path / "hall.toml"
    config_path.write_text((DATA / "small_hall.toml").read_text(encoding="utf-8").replace(
        "[mpp]\n", f'[mpp]\nlogo = "assets/logos/{name}"\n', 1), encoding="utf-8")
    hub = HubProcess(tmp_path / "hub-pc", config_path)
    hub.workdir.mkdir()
    admin, display = hub.enroll("console-1", "admin"), hub.enroll("board-1", "display")
    hub.start()
    board_pc = tmp_path / "board-pc"
    board_pc.mkdir()
    config = load_config(config_path)
    link = HubLink(config, hub.url, display, Replica(board_pc / "replica.db"), "board-1")
    link.files_retry_seconds = 0.2
    board = BoardApp(link, config, BoardOptions(voice=False, state_path=board_pc / "state.db"))
    try:
        qtbot.addWidget(board.window)
        board.start()
        qtbot.waitUntil(link.is_online, timeout=10000)
        assert board.window.header.logo is None  # the plain emblem meanwhile
        with qtbot.waitSignal(link.hall_files_changed, timeout=10000):
            asyncio.run(upload_logo(hub.url, admin, None, name, good))
        logo = board.window.header.logo
        assert logo is not None and not logo.isNull() and logo.width() == 128
    finally:
        board.close()
        link.close()
        hub.stop()
