"""A small disk no longer fills by itself until every command fails: below a free-space floor
(`antrean hub --min-free-mb`) the hub refuses new tickets with its own refusal (code, English
message, Indonesian pesan for the kiosk) while SQLite still has room, the visitors already
waiting are still called, and a hub started on a full disk says so in one line.

The floor is tested through its setting (a floor above the free space of the test's folder),
and once on a real small filesystem (a tmpfs mounted with size=, skipped where mounting is not
permitted)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from shared import indonesian as ID
from tests.system.conftest import DATA, HubProcess
from tests.system.raw_station import Raw

ROOT = Path(__file__).resolve().parents[2]
MB = 1024 * 1024


async def issue(raw: Raw) -> dict[str, Any]:
    reply = await raw.command(uuid.uuid4().hex, "issue_ticket", service="bpjs-daftar")
    assert reply is not None
    return dict(reply["result"])


async def call_next(hub: HubProcess, token: str) -> dict[str, Any]:
    counter = await Raw.connect(hub, token)
    try:
        signed = await counter.sign_in(uuid.uuid4().hex, "siti", "2468", 3)
        assert signed is not None and signed["result"]["ok"], signed
        reply = await counter.command(uuid.uuid4().hex, "call_next", counter=3)
        assert reply is not None
        return dict(reply["result"])
    finally:
        await counter.close()


def test_below_the_floor_new_tickets_are_refused_and_waiting_visitors_still_called(
        hub: HubProcess) -> None:
    kiosk, counter = hub.enroll("kiosk-1", "kiosk"), hub.enroll("loket-3", "counter")
    hub.add_officer("siti", "2468")
    hub.start("--min-free-mb", "0")

    async def before() -> None:
        raw = await Raw.connect(hub, kiosk)
        try:
            assert (await issue(raw))["ok"]
        finally:
            await raw.close()

    asyncio.run(before())
    hub.stop()
    # The same hall on a disk with less free space than its floor: a floor above what the
    # test's folder has free.
    floor_mb = shutil.disk_usage(hub.workdir).free // MB + 1000
    hub.start("--min-free-mb", str(floor_mb))

    async def after() -> tuple[dict[str, Any], dict[str, Any]]:
        raw = await Raw.connect(hub, kiosk)
        try:
            refused = await issue(raw)
        finally:
            await raw.close()
        return refused, await call_next(hub, counter)

    refused, called = asyncio.run(after())
    assert not refused["ok"]
    assert refused["refusal"]["code"] == "disk_low"
    assert f"below its floor of {floor_mb}.00 MB" in refused["refusal"]["message"]
    assert refused["refusal"]["pesan"] == ID.DISK_LOW
    assert called["ok"] and called["value"]["ticket"]["label"] == "B-001"
    assert hub.health()["last_seq"] >= 3  # issued, signed in, called: nothing else
    assert hub.log_path is not None
    assert "refusing new tickets until space is freed" in hub.log_path.read_text()


def test_a_negative_floor_is_refused_on_the_command_line(hub: HubProcess) -> None:
    done = subprocess.run([sys.executable, "-m", "antrean", "hub", "--ledger", str(hub.ledger),
                           "--min-free-mb", "-1"], cwd=ROOT, capture_output=True, text=True,
                          timeout=60, check=False)
    assert done.returncode == 2
    assert "--min-free-mb -1 is below 0" in done.stderr
    assert not hub.ledger.exists()


@contextlib.contextmanager
def small_disk(folder: Path, size: str) -> Iterator[Path]:
    folder.mkdir()
    try:
        subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size},mode=0700", "tmpfs",
                        str(folder)], check=True, capture_output=True, timeout=30)
    except (OSError, subprocess.CalledProcessError) as e:
        pytest.skip(f"cannot mount a small tmpfs here: {e}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", str(folder)], check=False, timeout=30)


def fill(folder: Path) -> None:
    fd = os.open(folder / "filler", os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        for chunk in (65536, 4096, 1):  # then the last bytes, smaller and smaller
            with contextlib.suppress(OSError):
                while True:
                    os.write(fd, b"\0" * chunk)
    finally:
        os.close(fd)


@pytest.mark.skipif(sys.platform != "linux" or os.geteuid() != 0,
                    reason="mounting a tmpfs needs root on Linux")
def test_a_small_disk_gives_refusals_not_failures_and_a_full_one_stops_start_up_in_a_line(
        tmp_path: Path) -> None:
    with small_disk(tmp_path / "disk", "8m") as disk:
        hub = HubProcess(disk, DATA / "small_hall.toml")
        kiosk, counter = hub.enroll("kiosk-1", "kiosk"), hub.enroll("loket-3", "counter")
        hub.add_officer("siti", "2468")
        hub.start("--min-free-mb", "2")
        try:
            async def until_refused() -> tuple[list[dict[str, Any]], dict[str, Any]]:
                raw = await Raw.connect(hub, kiosk)
                results = []
                try:
                    for _ in range(1000):  # ~36 KB of WAL each: the disk is full long before
                        results.append(await issue(raw))
                        if not results[-1]["ok"]:
                            break
                finally:
                    await raw.close()
                return results, await call_next(hub, counter)

            results, called = asyncio.run(until_refused())
            *issued, refused = results
            assert len(issued) > 20 and all(r["ok"] for r in issued)
            assert refused["refusal"]["code"] == "disk_low", refused  # not ledger_error
            assert called["ok"], called  # the headroom serves who is waiting
            assert shutil.disk_usage(disk).free > MB
        finally:
            hub.kill()

        fill(disk)
        assert shutil.disk_usage(disk).free < 64 * 1024
        done = subprocess.run(
            [sys.executable, "-m", "antrean", "hub", "--ledger", str(hub.ledger), "--config",
             str(hub.config), "--host", "127.0.0.1", "--port", "0", "--no-mdns",
             "--simulated-clock", hub.clock], cwd=ROOT, capture_output=True, text=True,
            timeout=60, check=False)
        assert done.returncode == 2, done.stderr
        errors = [ln for ln in done.stderr.splitlines() if "Traceback" in ln or
                  ln.startswith("error:")]
        assert len(errors) == 1 and errors[0].startswith("error: the disk of "), done.stderr
        assert "is full" in errors[0] and "then start the hub again" in errors[0]
