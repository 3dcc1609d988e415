"""The console without a browser: the live hall's facts from a real ledger's events, and the
HTTP side on aiohttp's test server (127.0.0.1) over a real replica and a real account store:
the session cookie's attributes, CSRF refused without the token (sign-in and sign-out),
the throttle's answer, pages and streams that need a session, and a coordinator who never
receives another agency's rows (the page and the stream). tests/system/test_console_pages.py
drives the same pages in chromium against real processes."""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import io
import re
from collections.abc import Awaitable, Callable
from http.cookies import SimpleCookie
from pathlib import Path

import aiohttp
import openpyxl
import pytest
from aiohttp.test_utils import TestClient, TestServer

from console import accounts as a
from console import reports as console_reports
from console.accounts import AccountStore, User
from console.app import SESSION_COOKIE, SIGN_IN_COOKIE, build_app
from console.facts import hall_facts
from console.i18n import Words
from shared.clock import ManualClock
from shared.config import HallConfig
from shared.ledger.ledger import Ledger
from shared.ledger.model import Command
from shared.station.follower import Follower
from shared.station.replica import Replica
from tests.helpers.ledger import KIOSK, open_counter
from tests.unit.test_reports import build_two_days

PASSWORD = "kata-sandi-rahasia"
SUPERVISOR = User("kepala", "Kepala", "supervisor", None, False)
ID = Words("id")


def issue(led: Ledger, service: str = "ktp-baru") -> str:
    r = led.run("issue_ticket", KIOSK, service=service)
    assert r.ok, r.refusal
    return str(r.value["ticket"]["label"])


# --- the facts ----------------------------------------------------------------------------------


def test_the_hall_facts(ledger: Ledger, clock: ManualClock) -> None:
    issue(ledger)
    issue(ledger)
    issue(ledger, "bpjs-daftar")
    officer = open_counter(ledger, 1)
    ledger.run("call_next", officer, counter=1)
    ledger.run("start", officer, counter=1)
    clock.advance(minutes=4)
    hall = hall_facts(ledger.reader, clock.now(), SUPERVISOR, ID)
    one = next(c for c in hall.counters if c.number == 1)
    assert (one.state, one.officer, one.ticket, one.minutes, one.over, one.calls_hour) == (
        "open", officer.officer, "KTP-001", 4, False, 1)
    assert next(c for c in hall.counters if c.number == 3).state == "closed"
    ktp = next(s for s in hall.services if s.code == "ktp-baru")
    assert (ktp.waiting, ktp.longest, ktp.quota, ktp.used, ktp.left) == (1, 4, 5, 2, 3)
    assert ktp.estimate.startswith("± ")
    clock.advance(minutes=7)  # 11 minutes at the counter: past ktp-baru's 10
    one = next(c for c in hall_facts(ledger.reader, clock.now(), SUPERVISOR, ID).counters
               if c.number == 1)
    assert (one.minutes, one.over, one.standard) == (11, True, 10)


def test_the_hall_shows_the_tickets_refused_today_per_service(
        ledger: Ledger, small_config: HallConfig, clock: ManualClock, tmp_path: Path) -> None:
    for _ in range(5):
        issue(ledger)  # ktp-baru's quota of 5
    assert not ledger.run("issue_ticket", KIOSK, service="ktp-baru").ok
    assert not ledger.run("issue_ticket", KIOSK, service="ktp-baru").ok
    clock.set(clock.now().replace(hour=14, minute=45))  # past the 14:30 cut-off
    assert not ledger.run("issue_ticket", KIOSK, service="kk").ok
    hall = {s.code: s for s in hall_facts(ledger.reader, clock.now(), SUPERVISOR, ID).services}
    assert (hall["ktp-baru"].refused, hall["ktp-baru"].refused_total) == ({"quota_full": 2}, 2)
    assert hall["kk"].refused == {"cutoff": 1} and hall["bpjs-daftar"].refused_total == 0

    async def go(client: TestClient, station: Follower, accounts: AccountStore) -> None:
        cookie = await session_cookie(client, "kepala")
        page = await (await client.get("/aula", headers={"Cookie": cookie})).text()
        assert "Ditolak hari ini" in page
        row = re.search(r'data-service="ktp-baru">.*?</tr>', page, re.S)
        assert row and re.search(r'class="num refused">2<small>kuota habis 2</small>',
                                 row.group(0)), row

    serve_and(ledger, small_config, clock, tmp_path, go)


def test_a_coordinator_gets_only_their_agency(ledger: Ledger, clock: ManualClock) -> None:
    issue(ledger, "bpjs-daftar")
    alert = ledger.execute(Command("alert", {"kind": "printer", "message": "Kertas habis"},
                                   KIOSK))
    assert alert.ok, alert.refusal
    siti = User("siti", "Siti", "coordinator", "DUKCAPIL", False)
    hall = hall_facts(ledger.reader, clock.now(), siti, ID)
    assert {c.number for c in hall.counters} == {1, 2}
    assert {s.code for s in hall.services} == {"ktp-baru", "ktp-ganti", "kk"}
    assert hall.alerts == [] and not hall.show_alerts
    everyone = hall_facts(ledger.reader, clock.now(), SUPERVISOR, ID)
    assert [x.message for x in everyone.alerts] == ["Kertas habis"]


# --- over HTTP ----------------------------------------------------------------------------------

Go = Callable[[TestClient, Follower, AccountStore], Awaitable[None]]


def serve_and(ledger: Ledger, config: HallConfig, clock: ManualClock, tmp_path: Path,
              go: Go, proxy: str = "") -> None:
    async def main() -> None:
        replica = Replica(tmp_path / "console.db")
        replica.apply(ledger.reader.events_after(0))
        station = Follower(config, replica, None, clock)
        station.stale_since = None
        accounts = AccountStore(tmp_path / "accounts.db", clock=lambda: clock.now().timestamp())
        accounts.add("kepala", "Kepala DPMPTSP", "supervisor", PASSWORD)
        accounts.add("siti", "Siti Aminah", "coordinator", PASSWORD, agency="DUKCAPIL")
        # Cookies by hand: the test server is plain http, where a client jar keeps no
        # Secure cookie; the browser test shows chromium keeps them on 127.0.0.1.
        client = TestClient(TestServer(build_app(station, accounts, proxy),
                                       handler_cancellation=True),
                            cookie_jar=aiohttp.DummyCookieJar())
        await client.start_server()
        try:
            await go(client, station, accounts)
        finally:
            await client.close()
            accounts.close()
            replica.close()

    asyncio.run(main())


async def sign_in_form(client: TestClient) -> tuple[str, str]:
    """The sign-in form's CSRF token and the cookie that goes with it."""
    page = await client.get("/masuk")
    token = re.search(r'name="csrf" value="([^"]+)"', await page.text())
    assert token
    return token.group(1), page.cookies[SIGN_IN_COOKIE].value


async def sign_in(client: TestClient, username: str, password: str = PASSWORD,
                  forwarded: str | None = None) -> aiohttp.ClientResponse:
    token, cookie = await sign_in_form(client)
    headers = {"Cookie": f"{SIGN_IN_COOKIE}={cookie}"}
    if forwarded:
        headers["X-Forwarded-For"] = forwarded
    return await client.post("/masuk", data={"csrf": token, "username": username,
                                             "password": password},
                             headers=headers, allow_redirects=False)


async def session_cookie(client: TestClient, username: str) -> str:
    reply = await sign_in(client, username)
    assert reply.status == 303, await reply.text()
    return f"{SESSION_COOKIE}={reply.cookies[SESSION_COOKIE].value}"


def test_signing_in_sets_a_strict_http_only_secure_cookie(
        ledger: Ledger, small_config: HallConfig, clock: ManualClock, tmp_path: Path) -> None:
    async def go(client: TestClient, station: Follower, accounts: AccountStore) -> None:
        reply = await sign_in(client, "kepala")
        assert reply.status == 303 and reply.headers["Location"] == "/aula"
        raw = next(v for v in reply.headers.getall("Set-Cookie")
                   if v.startswith(SESSION_COOKIE + "="))
        morsel = SimpleCookie(raw)[SESSION_COOKIE]
        assert morsel["httponly"] and morsel["secure"] and morsel["samesite"] == "Strict"
        assert len(morsel.value) >= 40
        cookie = f"{SESSION_COOKIE}={morsel.value}"
        hall = await client.get("/aula", headers={"Cookie": cookie})
        body = await hall.text()
        assert hall.status == 200 and "Kepala DPMPTSP" in body and "KTP" in body
        assert hall.headers["Cache-Control"] == "no-store"
        assert "frame-ancestors 'none'" in hall.headers["Content-Security-Policy"]
        english = await (await client.get("/aula?lang=en", headers={"Cookie": cookie})).text()
        assert "Counters" in english and "Sign out" in english
        assert (await client.get("/laporan", headers={"Cookie": cookie})).status == 200

    issue(ledger)
    serve_and(ledger, small_config, clock, tmp_path, go)


def test_pages_need_a_session(ledger: Ledger, small_config: HallConfig, clock: ManualClock,
                              tmp_path: Path) -> None:
    async def go(client: TestClient, station: Follower, accounts: AccountStore) -> None:
        for path in ("/", "/aula", "/laporan"):
            reply = await client.get(path, allow_redirects=False)
            assert reply.status == 303 and reply.headers["Location"].startswith("/masuk")
        forged = f"{SESSION_COOKIE}=made-up"
        reply = await client.get("/aula", headers={"Cookie": forged}, allow_redirects=False)
        assert reply.status == 303
        assert (await client.get("/live/aula")).status == 401
        assert (await client.get("/health")).status == 200

    serve_and(ledger, small_config, clock, tmp_path, go)


def test_forms_without_their_csrf_token_are_refused(
        ledger: Ledger, small_config: HallConfig, clock: ManualClock, tmp_path: Path) -> None:
    async def go(client: TestClient, station: Follower, accounts: AccountStore) -> None:
        token, cookie = await sign_in_form(client)
        creds = {"username": "kepala", "password": PASSWORD}
        for data, headers in (
                (creds, {"Cookie": f"{SIGN_IN_COOKIE}={cookie}"}),  # no token in the form
                ({**creds, "csrf": token}, {}),  # no cookie: another site's form
                ({**creds, "csrf": "x" * len(token)}, {"Cookie": f"{SIGN_IN_COOKIE}={cookie}"})):
            reply = await client.post("/masuk", data=data, headers=headers,
                                      allow_redirects=False)
            assert reply.status == 403 and SESSION_COOKIE not in reply.cookies
            assert "Formulir ini kedaluwarsa" in await reply.text()
        assert not [e for e in accounts.audit_log() if e[1] == "sign_in"]  # never tried
        session = await session_cookie(client, "kepala")
        out = await client.post("/keluar", headers={"Cookie": session}, allow_redirects=False)
        assert out.status == 403
        assert (await client.get("/aula", headers={"Cookie": session},
                                 allow_redirects=False)).status == 200  # still signed in
        page = await (await client.get("/aula", headers={"Cookie": session})).text()
        csrf = re.search(r'name="csrf" value="([^"]+)"', page)
        assert csrf
        out = await client.post("/keluar", data={"csrf": csrf.group(1)},
                                headers={"Cookie": session}, allow_redirects=False)
        assert out.status == 303
        assert (await client.get("/aula", headers={"Cookie": session},
                                 allow_redirects=False)).status == 303
        assert [e[1] for e in accounts.audit_log()][:3] == ["sign_out", "csrf_refused",
                                                            "sign_in"]

    serve_and(ledger, small_config, clock, tmp_path, go)


def test_wrong_passwords_are_throttled(ledger: Ledger, small_config: HallConfig,
                                       clock: ManualClock, tmp_path: Path) -> None:
    async def go(client: TestClient, station: Follower, accounts: AccountStore) -> None:
        for _ in range(a.ACCOUNT_FAILURES_BEFORE_LOCK):
            reply = await sign_in(client, "kepala", "salah-salah-salah")
            assert reply.status == 401
            assert "Nama pengguna atau kata sandi salah" in await reply.text()
        reply = await sign_in(client, "kepala")
        assert reply.status == 429 and int(reply.headers["Retry-After"]) > 0
        assert "Coba lagi dalam 5 menit" in await reply.text()
        assert SESSION_COOKIE not in reply.cookies
        clock.advance(minutes=6)
        assert (await sign_in(client, "kepala")).status == 303

    serve_and(ledger, small_config, clock, tmp_path, go)


def test_a_coordinator_never_receives_another_agencys_rows(
        ledger: Ledger, small_config: HallConfig, clock: ManualClock, tmp_path: Path) -> None:
    issue(ledger, "bpjs-daftar")
    issue(ledger)

    async def go(client: TestClient, station: Follower, accounts: AccountStore) -> None:
        siti = await session_cookie(client, "siti")
        page = await (await client.get("/aula", headers={"Cookie": siti})).text()
        assert 'data-service="ktp-baru"' in page and 'data-counter="1"' in page
        assert "bpjs-daftar" not in page and 'data-counter="3"' not in page
        assert "BPJS" not in page.split("<main", 1)[1]
        stream = await client.get("/live/aula", headers={"Cookie": siti})
        first = await asyncio.wait_for(stream.content.readuntil(b"\r\n\r\n"), 10)
        assert b"ktp-baru" in first and b"bpjs-daftar" not in first
        stream.close()
        kepala = await session_cookie(client, "kepala")
        everyone = await (await client.get("/aula", headers={"Cookie": kepala})).text()
        assert 'data-service="bpjs-daftar"' in everyone and 'data-counter="3"' in everyone

    serve_and(ledger, small_config, clock, tmp_path, go)


def test_the_stream_sends_the_hall_again_after_a_change_and_ends_an_idle_session(
        ledger: Ledger, small_config: HallConfig, clock: ManualClock, tmp_path: Path) -> None:
    issue(ledger)
    officer = open_counter(ledger, 1)

    async def go(client: TestClient, station: Follower, accounts: AccountStore) -> None:
        kepala = await session_cookie(client, "kepala")
        stream = await client.get("/live/aula", headers={"Cookie": kepala})
        assert stream.headers["Content-Type"].startswith("text/event-stream")
        first = await asyncio.wait_for(stream.content.readuntil(b"\r\n\r\n"), 10)
        assert b"event: page" in first and b"KTP-001" not in first
        seen = station.replica.last_seq
        ledger.run("call_next", officer, counter=1)
        station.replica.apply(ledger.reader.events_after(seen))
        station.changes.bump()
        second = await asyncio.wait_for(stream.content.readuntil(b"\r\n\r\n"), 10)
        assert b"KTP-001" in second
        # The stream is no activity: past the idle time it tells the page to sign in again.
        clock.advance(seconds=a.IDLE_SECONDS + 1)
        station.changes.bump()
        third = await asyncio.wait_for(stream.content.readuntil(b"\r\n\r\n"), 10)
        assert b"event: signed_out" in third and b"/masuk?idle=1" in third
        stream.close()
        station.stale_since = dt.datetime(2026, 11, 30, 2, 41, tzinfo=dt.UTC)
        again = await session_cookie(client, "kepala")
        page = await (await client.get("/aula", headers={"Cookie": again})).text()
        assert "Data belum diperbarui sejak 09:41" in page

    serve_and(ledger, small_config, clock, tmp_path, go)


def test_a_ticket_past_its_standard_is_highlighted(
        ledger: Ledger, small_config: HallConfig, clock: ManualClock, tmp_path: Path) -> None:
    issue(ledger)
    officer = open_counter(ledger, 1)
    ledger.run("call_next", officer, counter=1)
    ledger.run("start", officer, counter=1)

    async def go(client: TestClient, station: Follower, accounts: AccountStore) -> None:
        kepala = await session_cookie(client, "kepala")
        page = await (await client.get("/aula", headers={"Cookie": kepala})).text()
        assert 'class="mins"' in page and "mins over" not in page
        clock.advance(minutes=11)  # ktp-baru's standard is 10 minutes
        page = await (await client.get("/aula", headers={"Cookie": kepala})).text()
        row = page.split('data-counter="1"', 1)[1].split("</tr>", 1)[0]
        assert 'class="mins over"' in row and "11 mnt" in row and "melewati standar" in row

    serve_and(ledger, small_config, clock, tmp_path, go)


def test_the_command_line_refuses_a_console_without_its_hub_or_token(
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    from antrean.cli import main

    for name in ("ANTREAN_HUB", "ANTREAN_TOKEN", "ANTREAN_HUB_FINGERPRINT"):
        monkeypatch.delenv(name, raising=False)
    assert main(["console", "--token", "T"]) == 2
    assert "give the hub's address" in capsys.readouterr().err
    assert main(["console", "--hub", "ws://127.0.0.1:8470"]) == 2
    assert "--role admin" in capsys.readouterr().err
    assert main(["console", "--hub", "http://x", "--token", "T"]) == 2
    err = capsys.readouterr().err
    assert "is not a hub address" in err and "Traceback" not in err


def test_behind_the_proxy_each_client_address_is_throttled_on_its_own(
        ledger: Ledger, small_config: HallConfig, clock: ManualClock, tmp_path: Path) -> None:
    """With --proxy-address, the address the proxy saw (the last in X-Forwarded-For) is the
    client's; a client cannot choose it by sending its own header first."""

    async def go(client: TestClient, station: Follower, accounts: AccountStore) -> None:
        for n in range(a.ADDRESS_FAILURES_BEFORE_LOCK):
            reply = await sign_in(client, f"guess{n}", "salah-salah-salah",
                                  forwarded=f"10.9.9.{n}, 192.168.10.50")
            assert reply.status == 401
        assert (await sign_in(client, "kepala", forwarded="192.168.10.50")).status == 429
        assert (await sign_in(client, "kepala", forwarded="192.168.10.51")).status == 303
        assert accounts.audit_log()[0][3] == "192.168.10.51"

    serve_and(ledger, small_config, clock, tmp_path, go, proxy="127.0.0.1")


# --- the reports' page and its downloads --------------------------------------------------------

TWO_DAYS_QUERY = "periode=rentang&dari=2026-11-30&sampai=2026-12-01"


def test_the_reports_page_for_a_supervisor(ledger: Ledger, small_config: HallConfig,
                                           clock: ManualClock, tmp_path: Path) -> None:
    build_two_days(ledger, clock)

    async def go(client: TestClient, station: Follower, accounts: AccountStore) -> None:
        kepala = await session_cookie(client, "kepala")
        reply = await client.get(f"/laporan?{TWO_DAYS_QUERY}", headers={"Cookie": kepala})
        assert reply.status == 200
        page = await reply.text()
        main = page.split("<main", 1)[1]
        for table in ("figures", "times", "hours", "arrivals", "counters"):
            assert f'data-table="{table}"' in main
        assert "BPJSKES" in main and "DUKCAPIL" in main
        assert main.count('src="data:image/svg+xml;base64,') == 3
        assert "30 November 2026 – 1 Desember 2026" in main
        for fmt in ("csv", "xlsx", "pdf"):
            assert "/laporan/unduh?periode=rentang&amp;kelompok=instansi" in main
            assert f"format={fmt}" in main
        month = await (await client.get("/laporan?periode=bulan&bulan=2026-11",
                                        headers={"Cookie": kepala})).text()
        assert "Laporan Bulanan Mal Pelayanan Publik · November 2026" in month
        assert 'data-table="monthly"' in month

    serve_and(ledger, small_config, clock, tmp_path, go)


def test_a_coordinators_report_holds_only_their_agency(
        ledger: Ledger, small_config: HallConfig, clock: ManualClock, tmp_path: Path) -> None:
    build_two_days(ledger, clock)

    async def go(client: TestClient, station: Follower, accounts: AccountStore) -> None:
        siti = await session_cookie(client, "siti")
        page = await (await client.get(f"/laporan?{TWO_DAYS_QUERY}",
                                       headers={"Cookie": siti})).text()
        main = page.split("<main", 1)[1]
        assert "DUKCAPIL" in main and "BPJS" not in main and "bpjs" not in main
        csv_body = await (await client.get(f"/laporan/unduh?format=csv&{TWO_DAYS_QUERY}",
                                           headers={"Cookie": siti})).read()
        assert b"DUKCAPIL" in csv_body and b"BPJS" not in csv_body

    serve_and(ledger, small_config, clock, tmp_path, go)


def test_each_download_is_its_format_and_goes_into_the_audit_log(
        ledger: Ledger, small_config: HallConfig, clock: ManualClock, tmp_path: Path) -> None:
    build_two_days(ledger, clock)

    async def go(client: TestClient, station: Follower, accounts: AccountStore) -> None:
        kepala = await session_cookie(client, "kepala")
        got: dict[str, aiohttp.ClientResponse] = {}
        bodies: dict[str, bytes] = {}
        for fmt in ("csv", "xlsx", "pdf"):
            reply = await client.get(f"/laporan/unduh?format={fmt}&periode=bulan&bulan=2026-11",
                                     headers={"Cookie": kepala})
            assert reply.status == 200, await reply.text()
            got[fmt], bodies[fmt] = reply, await reply.read()
        assert got["csv"].headers["Content-Type"] == "text/csv; charset=utf-8"
        assert got["xlsx"].headers["Content-Type"] == (
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        assert got["pdf"].headers["Content-Type"] == "application/pdf"
        assert got["pdf"].headers["Content-Disposition"] == (
            'attachment; filename="laporan-bulanan-2026-11.pdf"')
        rows = list(csv.reader(io.StringIO(bodies["csv"].decode("utf-8-sig"))))
        assert rows[0][:2] == ["Laporan Bulanan Mal Pelayanan Publik", small_config.mpp.name]
        assert next(r for r in rows if r[:1] == ["Jumlah"])[:4] == ["Jumlah", "", "6", "5"]
        book = openpyxl.load_workbook(io.BytesIO(bodies["xlsx"]))
        assert book.sheetnames[:2] == ["summary", "monthly"]
        assert bodies["pdf"].startswith(b"%PDF")
        exports = accounts.conn.execute(
            "SELECT username, ok, detail FROM audit WHERE action='export' ORDER BY id").fetchall()
        assert [(u, ok, d.split()[0]) for u, ok, d in exports] == [
            ("kepala", 1, "laporan-bulanan-2026-11.csv"),
            ("kepala", 1, "laporan-bulanan-2026-11.xlsx"),
            ("kepala", 1, "laporan-bulanan-2026-11.pdf")]

    serve_and(ledger, small_config, clock, tmp_path, go)


@pytest.mark.parametrize("query", [
    "periode=rentang&dari=2026-12-01&sampai=2026-11-30",  # backwards
    "periode=bulan&bulan=2026-13",
    "periode=hari&tanggal=30-11-2026",
    "periode=tahunan",
    "periode=rentang&dari=2025-01-01&sampai=2026-11-30",  # too long
    "kelompok=kota",
    "prioritas=vip",
])
def test_a_bad_report_query_is_refused_in_plain_indonesian(
        query: str, ledger: Ledger, small_config: HallConfig, clock: ManualClock,
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    computed: list[object] = []
    monkeypatch.setattr(console_reports, "compute", lambda *a, **k: computed.append(a))

    async def go(client: TestClient, station: Follower, accounts: AccountStore) -> None:
        kepala = await session_cookie(client, "kepala")
        reply = await client.get(f"/laporan?{query}", headers={"Cookie": kepala})
        assert reply.status == 400
        error = re.search(r'id="report-error">([^<]+)<', await reply.text())
        assert error and error.group(1).endswith(".") and "Traceback" not in error.group(1)
        download = await client.get(f"/laporan/unduh?format=pdf&{query}",
                                    headers={"Cookie": kepala})
        assert download.status == 400 and "Content-Disposition" not in download.headers
        bad_format = await client.get("/laporan/unduh?format=docx", headers={"Cookie": kepala})
        assert bad_format.status == 400
        assert "Format unduhan tidak dikenal" in await bad_format.text()
        assert accounts.conn.execute(
            "SELECT count(*) FROM audit WHERE action='export'").fetchone() == (0,)

    serve_and(ledger, small_config, clock, tmp_path, go)
    assert computed == []


# --- the audit log ------------------------------------------------------------------------------


def test_the_audit_log_page_filters_by_who_what_and_when_a_page_at_a_time(
        ledger: Ledger, small_config: HallConfig, clock: ManualClock, tmp_path: Path) -> None:
    async def go(client: TestClient, station: Follower, accounts: AccountStore) -> None:
        await session_cookie(client, "kepala")  # 30 Nov, 09:00 WIB
        await sign_in(client, "siti", "wrong password")
        clock.advance(days=1)  # 1 Dec: 120 exports by kepala, who signs in again
        for n in range(120):
            accounts.audit("export", "kepala", "127.0.0.1", True, f"laporan-{n}.csv")
        kepala = await session_cookie(client, "kepala")

        async def get(query: str, cookie: str = kepala) -> tuple[int, str]:
            reply = await client.get("/audit" + query, headers={"Cookie": cookie})
            return reply.status, await reply.text()

        status, body = await get("")
        assert status == 200 and "Log audit" in body and 'href="/audit"' in body
        assert "123 entri" in body and "Halaman 1 dari 3" in body
        assert body.count('class="audit-row') == 50 and "laporan-119.csv" in body
        assert 'rel="next" href="/audit?halaman=2"' in body and 'rel="prev"' not in body
        status, last = await get("?halaman=3")
        assert last.count('class="audit-row') == 23 and 'rel="next"' not in last
        assert 'rel="prev" href="/audit?halaman=2"' in last
        status, siti = await get("?siapa=Siti")
        assert "1 entri" in siti and siti.count('class="audit-row failed"') == 1
        assert "wrong name or password" in siti and "laporan-" not in siti
        status, signins = await get("?aksi=sign_in")
        assert signins.count('data-action="sign_in"') == 3 and "3 entri" in signins
        status, monday = await get("?dari=2026-11-30&sampai=2026-11-30")
        assert "2 entri" in monday and "2026-11-30 09:00:00" in monday
        status, december = await get("?dari=2026-12-01&aksi=export&halaman=2")
        assert "120 entri" in december and "Halaman 2 dari 3" in december
        assert 'href="/audit?aksi=export&amp;dari=2026-12-01&amp;halaman=3"' in december
        status, bad = await get("?dari=30-11-2026")
        assert status == 400 and "Tanggal tidak valid" in bad and "audit-row" not in bad
        status, backwards = await get("?dari=2026-12-02&sampai=2026-12-01")
        assert status == 400 and "sebelum tanggal awal" in backwards
        assert (await get("?halaman=nol"))[0] == 400
        english = (await get("?lang=en"))[1]
        assert "Audit log" in english and "123 entries" in english

        siti_cookie = await session_cookie(client, "siti")
        status, refused = await get("", siti_cookie)
        assert status == 403 and "hanya untuk supervisor dan admin" in refused
        hall = await (await client.get("/aula", headers={"Cookie": siti_cookie})).text()
        assert 'href="/audit"' not in hall

    serve_and(ledger, small_config, clock, tmp_path, go)


def test_a_report_is_computed_once_until_its_period_changes(
        ledger: Ledger, clock: ManualClock) -> None:
    """The console's cache of reports (console.reports.ReportCache): the same report again
    is the one computed before; a new event of a period that is still going on (or a later
    event about one of a past period's tickets) makes it computed anew."""
    build_two_days(ledger, clock)  # ends on Wednesday 2 Dec, 10:00
    today = dt.date(2026, 12, 2)
    november = console_reports.parse({"periode": "bulan", "bulan": "2026-11"}, today)
    december = console_reports.parse({"periode": "bulan", "bulan": "2026-12"}, today)
    cache = console_reports.ReportCache()

    def make(query: console_reports.Query) -> dict[str, object]:
        return console_reports.page(ledger.path, ledger.config, query, None, False, cache)

    def fingerprint(query: console_reports.Query) -> tuple[int, int]:
        return console_reports.fingerprint(ledger.conn, ledger.config, query.period)

    nov_before, dec_before = fingerprint(november), fingerprint(december)
    assert nov_before[0] == 1 and dec_before == (0, ledger.reader.last_seq())
    first = make(december)
    assert make(december)["tables"] is first["tables"]  # the page made before
    assert first["total"].issued == 2  # type: ignore[attr-defined]
    nov_page = make(november)
    clock.set(clock.now().replace(hour=10, minute=30))
    issue(ledger, "kk")  # today: December's report changes, November's does not
    assert fingerprint(november) == nov_before and fingerprint(december) != dec_before
    assert make(november)["tables"] is nov_page["tables"]
    again = make(december)
    assert again["tables"] is not first["tables"]
    assert again["total"].issued == 3  # type: ignore[attr-defined]
