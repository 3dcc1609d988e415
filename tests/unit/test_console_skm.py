"""The console's IKM page and downloads over HTTP (aiohttp's test server, a real replica and
account store): the supervisor's figures, a coordinator's agency only, a bad query refused in
plain Indonesian, the downloads audited."""

from __future__ import annotations

import io
from pathlib import Path

import openpyxl

from console.accounts import AccountStore
from shared.clock import ManualClock
from shared.config import HallConfig
from shared.ledger.ledger import Ledger
from shared.station.follower import Follower
from tests.unit.test_console_app import TestClient, serve_and, session_cookie
from tests.unit.test_skm_report import PROFILES, serve_and_answer


def test_the_ikm_page(ledger: Ledger, small_config: HallConfig, clock: ManualClock,
                      tmp_path: Path) -> None:
    serve_and_answer(ledger, "ktp-baru", 1, [4] * 9, PROFILES[0], "Petugas ramah")
    serve_and_answer(ledger, "bpjs-daftar", 3, [2] * 9, PROFILES[2], "Kursi kurang")

    async def go(client: TestClient, station: Follower, accounts: AccountStore) -> None:
        kepala = await session_cookie(client, "kepala")
        page = await (await client.get("/skm?periode=bulan&tahun=2026&ke=11",
                                       headers={"Cookie": kepala})).text()
        main = page.split("<main", 1)[1]
        assert 'id="skm-ikm">75.00<' in main and 'id="skm-mutu">C<' in main
        assert "Petugas ramah" in main and "Kursi kurang" in main
        assert 'id="skm-respondents">2 / 2<' in main and 'id="skm-enough">cukup' in main
        siti = await session_cookie(client, "siti")
        mine = (await (await client.get("/skm?periode=tahun&tahun=2026",
                                        headers={"Cookie": siti})).text()).split("<main", 1)[1]
        assert 'id="skm-ikm">100.00<' in mine and "Kursi kurang" not in mine
        assert "BPJS" not in mine
        bad = await client.get("/skm?periode=minggu", headers={"Cookie": kepala})
        assert bad.status == 400 and "tidak valid" in await bad.text()
        xlsx = await client.get("/skm/unduh?format=xlsx&periode=bulan&tahun=2026&ke=11",
                                headers={"Cookie": siti})
        assert xlsx.headers["Content-Disposition"] == (
            'attachment; filename="laporan-skm-2026-11-dukcapil.xlsx"')
        book = openpyxl.load_workbook(io.BytesIO(await xlsx.read()))
        assert [r[0] for r in book["Instansi"].iter_rows(min_row=2, values_only=True)] == [
            "Dinas Kependudukan dan Pencatatan Sipil"]
        pdf = await client.get("/skm/unduh?format=pdf&periode=triwulan&tahun=2026&ke=4",
                               headers={"Cookie": kepala})
        assert (await pdf.read()).startswith(b"%PDF")
        assert (await client.get("/skm/unduh?format=docx", headers={"Cookie": kepala})
                ).status == 400

    serve_and(ledger, small_config, clock, tmp_path, go)
