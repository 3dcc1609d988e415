"""The SKM survey's pages over HTTP (aiohttp's test server on 127.0.0.1, a real replica fed
with a real ledger's events): the steps, the signed state, the offers. Sending the answer to a
hub is tests/system/test_skm_browser.py's (a real hub process); here the station has no hub,
so the last step says "not sent, try again" and keeps the answers."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from pathlib import Path

from aiohttp.test_utils import TestClient, TestServer

from shared import skm
from shared.clock import ManualClock
from shared.config import HallConfig
from shared.ledger.ledger import Ledger
from shared.station.replica import Replica
from tests.helpers.ledger import KIOSK, open_counter
from web import skm as pages
from web.app import build_app
from web.station import WebStation

STATE = re.compile(r'name="s" value="([^"]+)"')


def serve(ledger: Ledger, config: HallConfig, clock: ManualClock, tmp_path: Path,
          go: Callable[[TestClient, WebStation], Awaitable[None]]) -> None:
    async def main() -> None:
        replica = Replica(tmp_path / "web.db")
        replica.apply(ledger.reader.events_after(0))
        station = WebStation(config, replica, None, clock)
        station.stale_since = None
        client = TestClient(TestServer(build_app(station, 10_000)))
        await client.start_server()
        try:
            await go(client, station)
        finally:
            await client.close()
            replica.close()

    asyncio.run(main())


def served(ledger: Ledger) -> tuple[str, str, str, str]:
    """A finished ticket and a waiting one: (finished id, its secret, waiting id, secret)."""
    first = ledger.run("issue_ticket", KIOSK, service="ktp-baru")
    second = ledger.run("issue_ticket", KIOSK, service="ktp-baru")
    who = open_counter(ledger, 1)
    assert ledger.run("call_next", who, counter=1).ok
    assert ledger.run("finish", who, counter=1).ok
    return (first.value["ticket"]["ticket_id"], first.value["secret"],
            second.value["ticket"]["ticket_id"], second.value["secret"])


def test_the_phone_survey_step_by_step(ledger: Ledger, small_config: HallConfig,
                                       clock: ManualClock, tmp_path: Path) -> None:
    done, secret, waiting, wsecret = served(ledger)

    async def go(client: TestClient, station: WebStation) -> None:
        page = await (await client.get(f"/t/{done}-{secret}")).text()
        assert f'href="/skm/t/{done}-{secret}"' in page
        other = await (await client.get(f"/t/{waiting}-{wsecret}")).text()
        assert "/skm/" not in other  # not served: no survey offered
        not_yet = await client.get(f"/skm/t/{waiting}-{wsecret}")
        assert "setelah Anda selesai dilayani" in await not_yet.text()
        assert (await client.get(f"/skm/t/{done}-{'0' * 20}")).status == 404

        url = f"/skm/t/{done}-{secret}"
        body = await (await client.get(url)).text()
        assert skm.UNSUR[0].question_id in body and "Sangat sesuai" in body
        for i in range(skm.UNSUR_COUNT):
            state = STATE.search(body)
            assert state is not None
            if i == 3:  # a changed answer in the hidden field: start again, not guess
                forged = state.group(1).split(".")
                forged[2] = "111"
                reply = await client.post(url, data={"s": ".".join(forged), "v": "4"})
                assert "dimulai lagi" in await reply.text()
            reply = await client.post(url, data={"s": state.group(1), "v": "3"})
            assert reply.status == 200
            body = await reply.text()
            nxt = skm.UNSUR[i + 1].question_id if i + 1 < skm.UNSUR_COUNT else "Tentang Anda"
            assert nxt in body, i
        state = STATE.search(body)
        assert state is not None and state.group(1).split(".")[2] == "3" * 9
        missing = await client.post(url, data={"s": state.group(1), "umur": "u30"})
        assert missing.status == 400 and "Mohon pilih" in await missing.text()
        english = await client.post(url, data={"s": state.group(1), "switch": "1",
                                               "lang": "id"})
        assert "About you" in await english.text()
        form = {"s": state.group(1), "umur": "u30", "jenis_kelamin": "P",
                "pendidikan": "s1", "pekerjaan": "swasta", "saran": "Bagus"}
        unsent = await client.post(url, data=form)  # no hub here: kept, "try again"
        assert unsent.status == 503 and "belum terkirim" in await unsent.text()

    serve(ledger, small_config, clock, tmp_path, go)


def test_the_counter_screen_offers_only_its_just_finished_ticket(
        ledger: Ledger, small_config: HallConfig, clock: ManualClock, tmp_path: Path) -> None:
    done, _, _, _ = served(ledger)
    label = ledger.reader.ticket(done).label  # type: ignore[union-attr]

    async def go(client: TestClient, station: WebStation) -> None:
        here = await (await client.get("/skm/loket/1")).text()
        assert label in here and f'value="{done}"' in here
        there = await (await client.get("/skm/loket/2")).text()
        assert label not in there and "Terima kasih atas kunjungan" in there
        wrong = await client.post("/skm/loket/2", data={"ticket": done})
        assert wrong.status == 409
        start = await client.post("/skm/loket/1", data={"ticket": done})
        assert skm.UNSUR[0].question_id in await start.text()
        assert (await client.get("/skm/loket/99")).status == 404
        clock.advance(minutes=skm.COUNTER_OFFER_MINUTES + 1)
        assert label not in await (await client.get("/skm/loket/1")).text()

    serve(ledger, small_config, clock, tmp_path, go)


def test_a_draft_is_bound_to_its_ticket_and_place() -> None:
    d = pages.new_draft("20261130-KTP-001", None).with_answer(4)
    text = d.signed("a" * 20)
    assert pages.read_draft(text, "20261130-KTP-001", "a" * 20, None) == d
    assert pages.read_draft(text, "20261130-KTP-002", "a" * 20, None) is None
    assert pages.read_draft(text, "20261130-KTP-001", "b" * 20, None) is None
    assert pages.read_draft(text, "20261130-KTP-001", "a" * 20, 1) is None  # not a counter's
