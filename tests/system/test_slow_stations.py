"""No station can stall the hall: stations that say hello from seq 0 and never read, a burst of
displays catching up from 0 at once, and one token opening connection after connection.

Real parts: hub processes (and a hub served from a thread of this process, where the test
needs a short send timeout) on 127.0.0.1, real ledgers, raw sockets that never read (4 KiB
receive buffers), HubClients. What is asserted is behaviour (the hub's memory stays bounded,
the kiosk is served, /health answers, a reader that never reads is cut, the cap refuses),
never how fast this machine is. benchmarks/bench_hub.py (f) and (g) measure the figures.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from shared.clock import ManualClock
from shared.config import HallConfig, SettingsError, load_config
from shared.hub import protocol as p
from shared.hub import server
from shared.ledger.model import STATION_ALERT, Event
from shared.ledger.projection import insert_events, last_seq
from shared.ledger.store import connect, immediate
from shared.station.client import HubClient
from tests.helpers.hub_process import DATA, HubProcess
from tests.helpers.inproc_hub import ThreadedHub
from tests.helpers.slow_station import never_reads

HISTORY = 7000  # events in the hall's ledger: a busy day and a half
SLOW_TOKENS, PER_TOKEN = 15, p.MAX_CONNECTIONS_PER_TOKEN  # 60 readers that never read
DISPLAYS = 40


def write_history(ledger: Path, events: int) -> None:
    """A ledger holding `events` station alerts (history only: no projection rows), about the
    size of a day's real events each, written in one transaction."""
    conn = connect(ledger)
    try:
        with immediate(conn):
            insert_events(conn, (Event(
                seq, f"history-{seq}", STATION_ALERT, None, "kiosk-1", None,
                1796004000000 + seq, {"kind": "printer", "key": "kiosk-1:printer",
                                      "message": f"Kertas hampir habis ({seq}) " + "." * 90,
                                      "state": "open"}) for seq in range(1, events + 1)))
    finally:
        conn.close()


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


def wait_for(condition: object, what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)  # polling another process's state, bounded by the deadline


@pytest.fixture
def busy_hub(tmp_path: Path) -> Iterator[HubProcess]:
    h = HubProcess(tmp_path, DATA / "small_hall.toml")
    write_history(h.ledger, HISTORY)
    yield h
    h.stop()


async def issue(url: str, token: str) -> tuple[float, bool]:
    """Seconds from connecting to a kiosk's first ticket, and whether it was issued."""
    t0 = time.monotonic()
    kiosk = HubClient(url, token)
    try:
        await kiosk.start(timeout=30)
        result = await kiosk.command("issue_ticket", {"service": "ktp-baru"}, timeout=30)
    finally:
        await kiosk.close()
    return time.monotonic() - t0, result.ok


def test_readers_that_never_read_cost_the_hub_little_and_stall_no_one(
    busy_hub: HubProcess
) -> None:
    """60 connections (15 display tokens, each at the cap) say hello from seq 0 to a hub with
    7,000 events and never read. The hub used to queue the whole history for each (about
    1.6 MB apiece) and stall; now each holds one small frame: the hub's memory barely grows,
    /health answers, and a kiosk connects and issues meanwhile."""
    h = busy_hub
    tokens = [h.enroll(f"board-{i}", "display") for i in range(SLOW_TOKENS)]
    kiosk = h.enroll("kiosk-1", "kiosk")
    h.start()
    assert h.proc is not None and h.log_path is not None
    before = rss_mib(h.proc.pid)
    socks = [never_reads(h.port, t) for t in tokens for _ in range(PER_TOKEN)]
    try:
        wait_for(lambda: h.log_path.read_text().count("connected from") >= len(socks),
                 "every slow reader's hello")
        _, ok = asyncio.run(issue(h.url, kiosk))
        assert ok
        health = h.health()
        assert health["ok"] and health["last_seq"] == HISTORY + 1
        grown = rss_mib(h.proc.pid) - before
        assert grown < 30, f"the hub grew by {grown:.0f} MiB for {len(socks)} slow readers"
    finally:
        for sock in socks:
            sock.close()
    assert "Traceback" not in h.log_path.read_text()


def test_forty_displays_from_zero_all_catch_up_and_share_the_work(busy_hub: HubProcess) -> None:
    """40 displays say hello from seq 0 at once: all of them come to hold the whole history,
    the kiosk is served meanwhile, and the hub encodes each catch-up frame once for all of
    them instead of holding 40 copies (its memory barely grows)."""
    h = busy_hub
    tokens = [h.enroll(f"board-{i}", "display") for i in range(DISPLAYS)]
    kiosk = h.enroll("kiosk-1", "kiosk")
    h.start()
    assert h.proc is not None
    pid = h.proc.pid
    before = rss_mib(pid)
    peak = before

    async def go() -> tuple[list[int], bool]:
        nonlocal peak
        displays = [HubClient(h.url, t) for t in tokens]
        try:
            await asyncio.gather(*(d.start(timeout=60) for d in displays))
            _, ok = await issue(h.url, kiosk)
            while not all(d.last_seq >= HISTORY for d in displays):
                peak = max(peak, rss_mib(pid))
                await asyncio.wait([asyncio.create_task(d.caught_up.wait()) for d in displays
                                    if d.last_seq < HISTORY], timeout=1.0)
            return [d.last_seq for d in displays], ok
        finally:
            await asyncio.gather(*(d.close() for d in displays))

    held, ok = asyncio.run(go())
    assert ok
    assert min(held) >= HISTORY
    grown = max(peak, rss_mib(pid)) - before
    assert grown < 30, f"the hub grew by {grown:.0f} MiB for {DISPLAYS} displays"


@pytest.fixture
def threaded_hub(tmp_path: Path, clock: ManualClock) -> Iterator[ThreadedHub]:
    write_history(tmp_path / "ledger.db", 2000)
    config: HallConfig = load_config(DATA / "small_hall.toml")
    h = ThreadedHub(config, tmp_path, clock, send_timeout=0.5)
    yield h
    h.stop()


def test_a_reader_that_never_reads_is_cut_after_the_send_timeout(
    threaded_hub: ThreadedHub, caplog: pytest.LogCaptureFixture
) -> None:
    """Its catch-up frame is not taken within the hub's send timeout: the hub drops the
    connection (the socket ends once read) and goes on serving the others."""
    h = threaded_hub
    caplog.set_level(logging.WARNING, logger="antrean.hub")
    sock = never_reads(h.port, h.auth.enroll("board-1", "display"))
    try:
        wait_for(lambda: "board-1 took no frame" in caplog.text, "the hub to cut the reader",
                 timeout=30)
        # What the hub had sent can still be read, then the socket ends: end of file, or a
        # reset, as the hub aborted a connection that would not take its closing frame.
        sock.settimeout(30)
        with contextlib.suppress(ConnectionResetError):
            while sock.recv(65536):
                pass
    finally:
        sock.close()
    _, ok = asyncio.run(issue(h.url, h.auth.enroll("kiosk-1", "kiosk")))
    assert ok


def read_frames(sock: socket.socket, buffered: bytearray, until: object) -> list[dict[str, Any]]:
    """Text frames from a hand-made connection (the server's frames are unmasked), parsed, until
    `until(frames)` holds; `buffered` keeps what was read beyond them."""
    frames: list[dict[str, Any]] = []
    while not until(frames):  # type: ignore[operator]
        while True:
            n, start = (buffered[1] & 0x7F, 2) if len(buffered) >= 2 else (0, 1 << 30)
            if n == 126:
                n, start = int.from_bytes(buffered[2:4], "big"), 4
            elif n == 127:
                n, start = int.from_bytes(buffered[2:10], "big"), 10
            if len(buffered) >= start + n and len(buffered) >= start:
                break
            chunk = sock.recv(65536)
            assert chunk, "the hub closed the connection"
            buffered += chunk
        opcode, payload = buffered[0] & 0x0F, bytes(buffered[start:start + n])
        del buffered[:start + n]
        if opcode == 0x1:
            frames.append(json.loads(payload))
    return frames


def test_a_live_station_that_falls_behind_catches_up_from_the_ledger_without_a_gap(
    tmp_path: Path, clock: ManualClock, monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture
) -> None:
    """A live station stops reading while the hall goes on: once its live frames pile up past
    the limit the hub drops them and, when the station reads again, sends it the same events
    from the ledger: every seq once, in order, then the live stream again."""
    monkeypatch.setattr(server, "LIVE_QUEUE_LIMIT", 10)
    # Small buffers, so that the station's side fills within a few frames (and well before
    # the hub's heartbeat, unanswered by this hand-made station, would close it).
    monkeypatch.setattr(server, "SEND_BUFFER_BYTES", 4096)
    monkeypatch.setattr(server, "WRITE_BUFFER_HIGH", 1024)
    monkeypatch.setattr(server, "WRITE_BUFFER_LOW", 256)
    caplog.set_level(logging.WARNING, logger="antrean.hub")
    h = ThreadedHub(load_config(DATA / "small_hall.toml"), tmp_path, clock)
    try:
        board = h.auth.enroll("board-1", "display")
        sock = never_reads(h.port, board)
        buffered = bytearray()
        while b"\r\n\r\n" not in buffered:  # the HTTP upgrade's response
            buffered += sock.recv(65536)
        del buffered[:buffered.index(b"\r\n\r\n") + 4]
        assert read_frames(sock, buffered, lambda f: f)[0]["type"] == "welcome"

        async def issue_many(n: int) -> None:
            kiosk = HubClient(h.url, h.auth.enroll("kiosk-1", "kiosk"))
            await kiosk.start(timeout=30)
            for i in range(n):  # big frames: alerts with a long message each
                assert (await kiosk.command("alert", {"kind": f"printer-{i}",
                                                      "message": "Kertas habis. " * 35})).ok
                if "catches up from the ledger" in caplog.text:
                    break
            await kiosk.close()

        asyncio.run(issue_many(400))
        assert "board-1 is 10 frames behind" in caplog.text
        hub_seq = last_seq_of(h)
        seqs: list[int] = []

        def holds_all(frames: list[dict[str, Any]]) -> bool:
            seqs[:] = [e["seq"] for f in frames if f["type"] == "events" for e in f["events"]]
            return bool(seqs) and seqs[-1] >= hub_seq

        read_frames(sock, buffered, holds_all)
        assert seqs == list(range(1, hub_seq + 1))
        sock.close()
    finally:
        h.stop()


def last_seq_of(h: ThreadedHub) -> int:
    conn = connect(h.hub.ledger_path, readonly=True)
    try:
        return last_seq(conn)
    finally:
        conn.close()


def test_a_token_holds_at_most_the_cap_of_connections(threaded_hub: ThreadedHub) -> None:
    """The fifth connection of one token is refused with too_many_connections and 4006; once
    one of the four closes, the token may connect again."""
    h = threaded_hub
    token = h.auth.enroll("board-1", "display")

    async def go() -> None:
        async with aiohttp.ClientSession() as session:
            held = []
            for _ in range(p.MAX_CONNECTIONS_PER_TOKEN):
                ws = await session.ws_connect(h.url, max_msg_size=0)
                await ws.send_str(json.dumps({"type": "hello", "token": token, "after": 0}))
                assert json.loads((await ws.receive(timeout=10)).data)["type"] == "welcome"
                held.append(ws)
            extra = await session.ws_connect(h.url)
            await extra.send_str(json.dumps({"type": "hello", "token": token, "after": 0}))
            refusal = json.loads((await extra.receive(timeout=10)).data)
            assert refusal["code"] == p.TOO_MANY_CONNECTIONS, refusal
            closing = await extra.receive(timeout=10)
            assert closing.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)
            assert extra.close_code == p.CLOSE_TOO_MANY_CONNECTIONS
            await held.pop().close()
            again = await session.ws_connect(h.url, max_msg_size=0)
            await again.send_str(json.dumps({"type": "hello", "token": token, "after": 0}))
            while True:  # the count drops once the hub has seen the close
                frame = json.loads((await again.receive(timeout=10)).data)
                if frame["type"] == "welcome":
                    break
                assert frame["code"] == p.TOO_MANY_CONNECTIONS
                again = await session.ws_connect(h.url, max_msg_size=0)
                await again.send_str(json.dumps({"type": "hello", "token": token,
                                                 "after": 0}))
            for ws in [*held, again]:
                await ws.close()

    asyncio.run(go())


def test_the_cap_is_a_setting_of_the_hub_that_refuses_nonsense() -> None:
    from antrean.cli import check, parse

    check(parse(["hub", "--max-connections-per-token", "1"]))
    with pytest.raises(SettingsError, match="--max-connections-per-token 0"):
        check(parse(["hub", "--max-connections-per-token", "0"]))
