"""The region's pure parts: the export role may send nothing, the hall id, the reports'
parameters, and `antrean export` / `antrean region` refusing bad settings before connecting."""

from __future__ import annotations

import datetime as dt

import pytest

from antrean.cli import check, parse
from region import reports
from region.store import hall_id
from shared.config import SettingsError, loads_config
from shared.hub import protocol as p
from shared.hub.auth import ROLE_COMMANDS, ROLES, Station, permitted
from tests.helpers.ledger import SMALL_HALL

EXPORT = Station("region", "export", None)


@pytest.mark.parametrize("kind", sorted(set().union(*ROLE_COMMANDS.values())))
def test_the_export_role_may_send_no_command(kind: str) -> None:
    refusal = permitted(EXPORT, None, kind, {})
    assert refusal is not None and refusal.code in (p.FORBIDDEN, p.UNKNOWN_COMMAND)
    sign_in = permitted(EXPORT, None, "sign_in", {"counter": 1}, sign_in=True)
    assert sign_in is not None and sign_in.code == p.FORBIDDEN


def test_an_export_station_can_be_enrolled() -> None:
    assert "export" in ROLES
    args = parse(["hub", "--ledger", "ledger.db", "enroll", "--role", "export", "--name",
                  "region"])
    assert args.role == "export"


def test_the_hall_id_is_the_mpp_name_as_a_slug() -> None:
    config = loads_config(SMALL_HALL.replace('name = "Mal Pelayanan Publik Uji"',
                                             'name = "MPP Kota Tangerang Selatan (Pusat)"'))
    assert hall_id(config) == "mpp-kota-tangerang-selatan-pusat"


def test_a_month_report_covers_the_whole_month() -> None:
    got = reports.parameters(reports.REPORTS["month"], {"province": "Bali", "month": "2028-02"})
    assert (got["from"], got["to"]) == (dt.date(2028, 2, 1), dt.date(2028, 2, 29))
    one_day = reports.parameters(reports.REPORTS["halls"], {"from": dt.date(2026, 11, 30)})
    assert one_day["to"] == dt.date(2026, 11, 30)
    with pytest.raises(ValueError, match="needs agency"):
        reports.parameters(reports.REPORTS["agency"], {"from": dt.date(2026, 11, 30)})


@pytest.mark.parametrize("argv", [
    ["export", "postgres", "--hub", "ws://127.0.0.1:8470", "--token", "t"],
    ["export", "postgres", "--dsn", "postgresql://r@db/region", "--token", "t"],
    ["export", "postgres", "--dsn", "postgresql://r@db/region", "--hub", "wss://10.0.0.2:8470",
     "--token", "t"],
    ["region", "report", "month", "--dsn", "postgresql://r@db/region", "--province", "Bali",
     "--month", "November"],
])
def test_bad_settings_are_refused_before_connecting(argv: list[str],
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("ANTREAN_REGION_DSN", "ANTREAN_HUB", "ANTREAN_HUB_FINGERPRINT"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(SettingsError):
        check(parse(argv))
