"""The web station's pages without a browser: what each page says, read from a real replica
fed with a real ledger's events, and the HTTP side (aiohttp's test server on 127.0.0.1): a
wrong secret is the same plain 404 as an unknown ticket, the rate limit, the headers, the
command line's refusals. tests/system/test_web_pages.py drives the same pages in chromium."""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
from dataclasses import replace
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer

from antrean.cli import parse
from shared.clock import ManualClock
from shared.config import HallConfig, SettingsError
from shared.ledger.ledger import Ledger
from shared.ledger.queries import LedgerReader
from shared.station.replica import Replica
from tests.helpers.ledger import KIOSK, open_counter
from web import cli as web_cli
from web import facts as f
from web.app import RateLimiter, build_app
from web.i18n import Words
from web.station import WebStation

ID, EN = Words("id"), Words("en")


def issue(led: Ledger, service: str = "ktp-baru") -> tuple[str, str]:
    r = led.run("issue_ticket", KIOSK, service=service)
    assert r.ok, r.refusal
    return str(r.value["ticket"]["ticket_id"]), str(r.value["secret"])


def replica_of(led: Ledger, path: Path) -> Replica:
    replica = Replica(path)
    replica.apply(led.reader.events_after(0))
    return replica


def facts_of(led: Ledger, ticket_id: str, clock: ManualClock, t: Words = ID) -> f.TicketFacts:
    ticket = led.reader.ticket(ticket_id)
    assert ticket is not None
    return f.ticket_facts(led.reader, ticket, clock.now(), t)


def test_a_ticket_goes_through_the_issues_status_words(ledger: Ledger, clock: ManualClock
                                                        ) -> None:
    first, _ = issue(ledger)
    second, _ = issue(ledger)
    waiting = facts_of(ledger, second, clock)
    assert (waiting.status_text, waiting.ahead, waiting.now_serving) == ("Menunggu", 1,
                                                                         "belum ada")
    assert waiting.wait.startswith("± ") and waiting.wait.endswith(" menit")
    officer = open_counter(ledger, 1)
    ledger.run("call_next", officer, counter=1)
    assert facts_of(ledger, second, clock).now_serving == "KTP-001"
    called = facts_of(ledger, first, clock)
    assert (called.status_text, called.called, called.counter) == (
        "Dipanggil ke Loket 1", True, "Loket 1")
    assert facts_of(ledger, first, clock, EN).status_text == "Called to Loket 1"
    ledger.run("start", officer, counter=1)
    assert facts_of(ledger, first, clock).status_text == "Sedang dilayani di Loket 1"
    ledger.run("transfer", officer, counter=1, service="kk")
    assert facts_of(ledger, first, clock).status_text == (
        "Dialihkan ke Dukcapil — Kartu Keluarga")
    ledger.run("call_next", officer, counter=1)
    ledger.run("finish", officer, counter=1)
    assert facts_of(ledger, first, clock).status_text == "Selesai"
    ledger.run("call_next", officer, counter=1)
    ledger.run("no_show", officer, counter=1)
    assert facts_of(ledger, second, clock).status_text == "Tidak hadir"


def test_yesterdays_waiting_ticket_is_expired(ledger: Ledger, clock: ManualClock) -> None:
    ticket_id, _ = issue(ledger)
    clock.advance(days=1)
    expired = facts_of(ledger, ticket_id, clock)
    assert (expired.status, expired.status_text, expired.ahead) == ("expired", "Kedaluwarsa",
                                                                    None)


def test_only_the_right_secret_finds_the_ticket(ledger: Ledger) -> None:
    ticket_id, secret = issue(ledger)
    assert f.find_ticket(ledger.reader, f"{ticket_id}-{secret}") is not None
    wrong = secret[:-1] + ("0" if secret[-1] != "0" else "1")
    for ref in (f"{ticket_id}-{wrong}", f"20261130-KTP-999-{secret}", ticket_id, "x",
                f"ANTREAN:{ticket_id}"):
        assert f.find_ticket(ledger.reader, ref) is None, ref


def test_a_ticket_without_a_secret_has_no_page(ledger: Ledger, small_config: HallConfig,
                                              tmp_path: Path) -> None:
    """Tickets issued before the ledger made secrets: nothing proves who holds them."""
    ticket_id, secret = issue(ledger)
    (old,) = ledger.reader.events_after(0)
    # The same event as an older hub wrote it: no secret in its data.
    replica = Replica(tmp_path / "replica.db")
    try:
        replica.apply([replace(old, data={k: v for k, v in old.data.items() if k != "secret"},
                               hash=None)])
        reader = LedgerReader(replica.conn, small_config)
        assert reader.ticket(ticket_id) is not None
        assert f.find_ticket(reader, f"{ticket_id}-{secret}") is None
    finally:
        replica.close()


def test_board_and_loket_facts(ledger: Ledger, clock: ManualClock) -> None:
    issue(ledger)
    issue(ledger, "bpjs-daftar")
    officer = open_counter(ledger, 1)
    ledger.run("call_next", officer, counter=1)
    day = clock.now().date()
    board = f.board_facts(ledger.reader, ["DUKCAPIL", "BPJSKES"], day)
    assert board.current is not None and (board.current.label, board.current.counter) == (
        "KTP-001", "Loket 1")
    assert [(a.code, a.waiting) for a in board.agencies] == [("DUKCAPIL", 0), ("BPJSKES", 1)]
    assert f.board_facts(ledger.reader, ["BPJSKES"], day).current is None
    assert f.loket_facts(ledger.reader, 1, ID) == f.LoketFacts(1, "Loket 1", "Dukcapil",
                                                              "serving", "KTP-001", "")
    loket2 = f.loket_facts(ledger.reader, 2, ID)
    assert loket2 is not None and (loket2.state, loket2.state_text) == ("closed", "Tutup")
    ledger.run("finish", officer, counter=1)
    ledger.run("pause_counter", officer, counter=1)
    paused = f.loket_facts(ledger.reader, 1, ID)
    assert paused is not None and (paused.state, paused.state_text) == ("paused", "Istirahat")
    assert f.loket_facts(ledger.reader, 99, ID) is None


def test_the_overview_says_what_the_kiosk_and_the_ledger_say(ledger: Ledger,
                                                              clock: ManualClock) -> None:
    for _ in range(5):  # ktp-baru's daily quota in the small hall
        issue(ledger)
    refused = ledger.run("issue_ticket", KIOSK, service="ktp-baru")
    assert refused.refusal is not None
    overview = f.overview_facts(ledger.reader, clock.now(), ID)
    assert overview.hours == "08:00-15:00 WIB"
    assert overview.date == "Senin, 30 November 2026"
    notices = {n.service: n.message for n in overview.notices}
    assert notices == {"Perekaman KTP-el": refused.refusal.pesan}
    assert overview.agencies[0].waiting == 5
    # After the cut-off (14:30) every service says until when, in the same words.
    clock.set(dt.datetime(2026, 11, 30, 14, 45, tzinfo=clock.now().tzinfo))
    late = f.overview_facts(ledger.reader, clock.now(), ID)
    cut = ledger.run("issue_ticket", KIOSK, service="kk")
    assert cut.refusal is not None
    assert {n.service: n.message for n in late.notices}["Kartu Keluarga"] == cut.refusal.pesan
    english = f.overview_facts(ledger.reader, clock.now(), EN)
    assert "Please come back on Tuesday, 1 December 2026." in english.notices[0].message


def test_words_of_a_wait() -> None:
    assert [ID.wait(m) for m in (None, 0, 7, 60, 95)] == [
        "—", "segera", "± 7 menit", "± 1 jam", "± 1 jam 35 menit"]
    assert EN.wait(95) == "± 1 h 35 min"


def test_the_rate_limit_is_per_address() -> None:
    now = [0.0]
    limiter = RateLimiter(3, clock=lambda: now[0])
    assert [limiter.allow("10.0.0.1") for _ in range(4)] == [True, True, True, False]
    assert limiter.allow("10.0.0.2")
    now[0] += 20.0  # a minute buys 3: twenty seconds buy one
    assert limiter.allow("10.0.0.1") and not limiter.allow("10.0.0.1")


# --- over HTTP ----------------------------------------------------------------------------------


def serve_and(ledger: Ledger, config: HallConfig, clock: ManualClock, tmp_path: Path,
              rate: int, go: object) -> None:
    async def main() -> None:
        replica = replica_of(ledger, tmp_path / "web.db")
        station = WebStation(config, replica, None, clock)
        station.stale_since = None  # fed by hand: as current as the ledger
        client = TestClient(TestServer(build_app(station, rate), handler_cancellation=True))
        await client.start_server()
        try:
            await go(client, station)  # type: ignore[operator]
        finally:
            await client.close()
            replica.close()

    asyncio.run(main())


def test_pages_over_http(ledger: Ledger, small_config: HallConfig, clock: ManualClock,
                         tmp_path: Path) -> None:
    ticket_id, secret = issue(ledger)
    wrong = secret[:-1] + ("0" if secret[-1] != "0" else "1")

    async def go(client: TestClient, station: WebStation) -> None:
        page = await client.get(f"/t/{ticket_id}-{secret}")
        body = await page.text()
        assert page.status == 200 and "KTP-001" in body and "Menunggu" in body
        assert page.headers["Referrer-Policy"] == "no-referrer"  # the address holds the secret
        assert "script-src" not in page.headers["Content-Security-Policy"]  # 'self' only
        assert page.headers["Cache-Control"] == "no-store"
        missing = [await client.get(p) for p in (f"/t/{ticket_id}-{wrong}",
                                                 f"/t/20261130-KTP-009-{secret}", "/nope")]
        texts = {await r.text() for r in missing}
        assert [r.status for r in missing] == [404, 404, 404] and len(texts) == 1
        assert "KTP-001" not in texts.pop()
        assert (await client.get(f"/live/t/{ticket_id}-{wrong}")).status == 404
        english = await client.get("/papan?lang=en")
        assert "Now calling" in await english.text()
        assert (await client.get("/papan?zone=Nowhere")).status == 404
        assert (await client.get("/loket/1")).status == 200
        assert (await client.get("/loket/x")).status == 404
        station.stale_since = dt.datetime(2026, 11, 30, 2, 41, tzinfo=dt.UTC)
        stale = await (await client.get("/")).text()
        assert "Data belum diperbarui sejak 09:41" in stale

    serve_and(ledger, small_config, clock, tmp_path, 1000, go)


def test_the_live_stream_sends_the_page_again_after_a_change(
        ledger: Ledger, small_config: HallConfig, clock: ManualClock, tmp_path: Path) -> None:
    ticket_id, secret = issue(ledger)
    officer = open_counter(ledger, 1)

    async def go(client: TestClient, station: WebStation) -> None:
        stream = await client.get(f"/live/t/{ticket_id}-{secret}")
        assert stream.headers["Content-Type"].startswith("text/event-stream")
        first = await stream.content.readuntil(b"\r\n\r\n")
        assert b"event: page" in first and b"Menunggu" in first
        seen = station.replica.last_seq
        ledger.run("call_next", officer, counter=1)
        station.replica.apply(ledger.reader.events_after(seen))
        station.changes.bump()
        second = await asyncio.wait_for(stream.content.readuntil(b"\r\n\r\n"), 10)
        assert b"Dipanggil ke Loket 1" in second and b'"called": true' in second
        stream.close()

    serve_and(ledger, small_config, clock, tmp_path, 1000, go)


def test_too_many_requests_from_one_address(ledger: Ledger, small_config: HallConfig,
                                            clock: ManualClock, tmp_path: Path) -> None:
    async def go(client: TestClient, station: WebStation) -> None:
        statuses = [(await client.get("/")).status for _ in range(6)]
        assert statuses == [200] * 5 + [429]
        refused = await client.get("/papan")
        assert "Terlalu banyak permintaan" in await refused.text()
        assert (await client.get("/health")).status == 200  # monitoring is not limited

    serve_and(ledger, small_config, clock, tmp_path, 5, go)


@pytest.mark.parametrize(("argv", "error"), [
    (["web"], "give the hub's address"),
    (["web", "--hub", "http://10.0.0.2:8470", "--token", "t" * 20], "is not a hub address"),
    (["web", "--hub", "ws://127.0.0.1:8470"], "needs its token"),
    (["web", "--hub", "wss://10.0.0.2:8470", "--token", "t" * 20], "fingerprint"),
])
def test_the_command_line_refuses_bad_settings(argv: list[str], error: str,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("ANTREAN_HUB", "ANTREAN_TOKEN", "ANTREAN_HUB_FINGERPRINT"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(SettingsError, match=error):
        web_cli.check(parse(argv))


def test_listen_must_be_host_and_port() -> None:
    assert web_cli.parse_listen("0.0.0.0:8080") == ("0.0.0.0", 8080)
    assert web_cli.parse_listen("[::1]:8080") == ("::1", 8080)
    for bad in ("8080", "host:", "host:99999"):
        with pytest.raises(argparse.ArgumentTypeError):
            web_cli.parse_listen(bad)


def test_the_boards_voice_answers_only_for_a_call_and_says_when_it_cannot(
        ledger: Ledger, small_config: HallConfig, clock: ManualClock, tmp_path: Path) -> None:
    """/suara/{seq}.wav: a seq that is not one of today's calls is a 404 (nobody makes the
    station render words of their own); a call that cannot be rendered (here the kept hall
    config is broken, so the display's renderer refuses it) is a 503 and leaves no file."""
    from web.station import CONFIG_META_KEY

    issue(ledger)
    ledger.run("call_next", open_counter(ledger, 1), counter=1)
    call_seq = ledger.reader.last_seq()

    async def go(client: TestClient, station: WebStation) -> None:
        assert (await client.get("/suara/1.wav")).status == 404  # ticket.issued, not a call
        assert (await client.get(f"/suara/{call_seq + 1}.wav")).status == 404
        assert (await client.get("/suara/abc.wav")).status == 404
        station.replica.set_meta(CONFIG_META_KEY, "[voice\nthis is not TOML")
        reply = await client.get(f"/suara/{call_seq}.wav")
        assert reply.status == 503
        voice = tmp_path / "web-voice"
        assert not list(voice.glob("*.wav"))

    serve_and(ledger, small_config, clock, tmp_path, 1000, go)
