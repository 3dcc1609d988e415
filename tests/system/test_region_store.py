"""The region's schema, writes and reports on a real PostgreSQL server, without hubs: the
migrations run once however many exporters start together, a batch out of step with the
region's head is refused whole, a frame whose hashes are not the chain is never written, the
region's reports give the hall's own figures, and the commands' mistakes are one line."""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from region import reports, schema, store
from region.exporter import Batch, ChainDisagrees, Exporter, Settings, _frame_hashes
from shared.config import load_config
from shared.ledger.chain import GENESIS, chain
from shared.ledger.model import Event
from shared.ledger.projection import iter_events
from shared.ledger.queries import LedgerReader
from tests.helpers.postgres import PostgresServer
from tests.helpers.region import fill_ledger, hall_config

_databases = itertools.count(1)


@pytest.fixture(scope="module")
def server() -> Iterator[PostgresServer]:
    pg = PostgresServer()
    pg.start()
    yield pg
    pg.close()


@pytest.fixture
def dsn(server: PostgresServer) -> str:
    return server.create_database(f"store_{next(_databases)}")


@pytest.fixture(scope="module")
def hall(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Event]]:
    folder = tmp_path_factory.mktemp("hall")
    config = hall_config(folder, "MPP Kota Toko")
    fill_ledger(folder / "ledger.db", config, 900)
    conn = sqlite3.connect(folder / "ledger.db")
    conn.row_factory = sqlite3.Row
    events = list(iter_events(conn))
    conn.close()
    return config, events


def _connect(dsn: str) -> psycopg.Connection:
    return psycopg.connect(dsn, autocommit=True)


def _registered(dsn: str, config_path: Path) -> psycopg.Connection:
    conn = _connect(dsn)
    schema.migrate(conn)
    store.register(conn, "mpp-kota-toko", load_config(config_path), "Banten")
    return conn


def test_migrations_run_once_when_exporters_start_together(dsn: str) -> None:
    applied: list[list[int]] = []

    def start() -> None:
        with _connect(dsn) as conn:
            applied.append(schema.migrate(conn))

    threads = [threading.Thread(target=start) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(applied) == [[], [], [], [1, 2]]
    with _connect(dsn) as conn:
        assert schema.version(conn) == 2
        assert schema.migrate(conn) == []


def test_migration_files_are_numbered_without_gaps(tmp_path: Path) -> None:
    (tmp_path / "001_a.sql").write_text("SELECT 1")
    (tmp_path / "003_c.sql").write_text("SELECT 1")
    with pytest.raises(ValueError, match="without gaps"):
        schema.migrations(tmp_path)
    assert [m.version for m in schema.migrations()] == [1, 2]


def test_a_batch_out_of_step_with_the_region_is_refused_whole(
        dsn: str, hall: tuple[Path, list[Event]]) -> None:
    config, events = hall
    hashes = chain(events)
    with _registered(dsn, config) as conn:
        store.write(conn, "mpp-kota-toko", events[:3], hashes[:3], GENESIS)
        # Again from seq 2 (a second exporter of the same hall), or with a gap: nothing moves.
        with pytest.raises(store.OutOfStep):
            store.write(conn, "mpp-kota-toko", events[1:5], hashes[1:5], hashes[0])
        with pytest.raises(store.OutOfStep):
            store.write(conn, "mpp-kota-toko", events[4:6], hashes[4:6], hashes[3])
        # The right seq after another chain's hash: refused too.
        with pytest.raises(store.OutOfStep):
            store.write(conn, "mpp-kota-toko", events[3:5], hashes[3:5], "f" * 64)
        assert conn.execute("SELECT count(*), max(seq) FROM region.events").fetchone() == (3, 3)
        assert store.head(conn, "mpp-kota-toko") == store.Head(3, hashes[2], hashes[1])


def test_a_frame_whose_hashes_are_not_the_chain_is_not_written(
        dsn: str, hall: tuple[Path, list[Event]]) -> None:
    """What a hub that sends each event's `hash` (issue 12) gets checked against: the chain
    the exporter recomputes from the region's head."""
    config, events = hall
    hashes = chain(events)
    conn = _registered(dsn, config)
    exporter = Exporter(Settings(dsn, "ws://127.0.0.1:1", "t"))
    exporter.hall = "mpp-kota-toko"

    async def write(batch: Batch, head: store.Head) -> None:
        queue: asyncio.Queue[Batch | None] = asyncio.Queue()
        queue.put_nowait(batch)
        queue.put_nowait(None)
        await exporter._write(conn, "mpp-kota-toko", queue, head)

    try:
        asyncio.run(write(Batch(events[:100], list(hashes[:100])), store.Head(0, GENESIS,
                                                                               GENESIS)))
        forged = [*hashes[100:150], "e" * 64, *hashes[151:200]]
        with pytest.raises(ChainDisagrees, match="event 151"):
            asyncio.run(write(Batch(events[100:200], forged), store.head(conn,
                                                                         "mpp-kota-toko")))
        assert exporter.refusal == (151, hashes[150], "e" * 64)
        assert conn.execute("SELECT max(seq) FROM region.events").fetchone() == (100,)
    finally:
        conn.close()
    frame = ('{"type":"events","events":[{"seq":7,"hash":"ab"},{"seq":8}]}')
    assert _frame_hashes(frame) == {7: "ab"}
    assert _frame_hashes('{"type":"events","events":[{"seq":7}]}') == {}


def test_region_reports_give_the_halls_own_figures(
        dsn: str, hall: tuple[Path, list[Event]]) -> None:
    config_path, events = hall
    config = load_config(config_path)
    with _registered(dsn, config_path) as conn:
        hashes = chain(events)
        for start in range(0, len(events), 250):  # batches, as the exporter writes them
            store.write(conn, "mpp-kota-toko", events[start:start + 250],
                        hashes[start:start + 250], hashes[start - 1] if start else GENESIS)
        day = dt.date(2026, 11, 30)
        report = reports.REPORTS["agency"]
        rows = {}
        for agency in ("DUKCAPIL", "BPJS"):
            params = reports.parameters(report, {"agency": agency, "from": day})
            rows |= {r[2]: r[3:] for r in reports.run(conn, report, params)}
        month = reports.run(conn, reports.REPORTS["month"], reports.parameters(
            reports.REPORTS["month"], {"province": "Banten", "month": "2026-11"}))
        daily = conn.execute("SELECT service, issued, served, waiting FROM region.daily "
                             "WHERE hall = 'mpp-kota-toko' AND service_day = %s", (day,))
        per_day = {r[0]: r[1:] for r in daily}
    ledger = sqlite3.connect(config_path.parent / "ledger.db")
    ledger.row_factory = sqlite3.Row
    try:
        hall_figures = LedgerReader(ledger, config).figures(day, by="service")
    finally:
        ledger.close()
    assert sorted(rows) == sorted(f.key for f in hall_figures)

    for f in hall_figures:
        got = dict(zip(reports.FIGURE_COLUMNS, rows[f.key], strict=True))
        counts = tuple(got[k] for k in ("issued", "served", "no_show", "cancelled", "waiting",
                                        "expired"))
        minutes = [got[k] for k in ("avg_wait_min", "p90_wait_min", "avg_service_min",
                                    "p90_service_min")]
        assert counts == (f.issued, f.served, f.no_show, f.cancelled, f.waiting, f.expired)
        assert (got["refused_quota"], got["refused_hours"]) == (0, 0)
        # The region rounds to a tenth in SQL (numeric, half away from zero).
        hall_minutes = (f.avg_wait_min, f.p90_wait_min, f.avg_service_min, f.p90_service_min)
        assert [None if v is None else float(v) for v in minutes] == [
            None if v is None else pytest.approx(v, abs=0.0501) for v in hall_minutes]
        assert None not in minutes
    assert per_day == {f.key: (f.issued, f.served, f.waiting) for f in hall_figures}
    assert sum(f.issued for f in hall_figures) == month[-1][3]  # the province's total row
    text = reports.table(reports.REPORTS["month"], month)
    assert text.splitlines()[-1].startswith("total")
    assert reports.to_csv(reports.REPORTS["month"], month).startswith("hall,name,agency,issued")


def _antrean(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "antrean", *args], capture_output=True,
                          text=True, timeout=60)


@pytest.mark.parametrize(("args", "code", "says"), [
    (["region", "report", "halls", "--from", "2026-11-30", "--dsn", "host=a b=c d"], 2,
     "--dsn is not a PostgreSQL connection string"),
    (["region", "report", "month", "--province", "Banten", "--month", "2026-13", "--dsn",
      "postgresql://x@127.0.0.1:1/r"], 2, "a month is YYYY-MM"),
    (["region", "report", "status", "--dsn", "postgresql://x@127.0.0.1:1/r"], 1,
     "cannot reach PostgreSQL"),
    (["export", "postgres", "--dsn", "postgresql://x@127.0.0.1:1/r", "--hub",
      "ws://127.0.0.1:8470"], 2, "give this station's token"),
    (["export", "postgres", "--dsn", "postgresql://x@127.0.0.1:1/r", "--hub",
      "http://127.0.0.1:8470", "--token", "t"], 2, "is not a hub address"),
])
def test_mistakes_are_one_english_line(args: list[str], code: int, says: str) -> None:
    done = _antrean(*args)
    assert done.returncode == code, done.stderr
    assert says in done.stderr and len(done.stderr.strip().splitlines()) == 1, done.stderr


def test_an_empty_database_is_no_region(dsn: str) -> None:
    done = _antrean("region", "report", "status", "--dsn", dsn)
    assert done.returncode == 2 and "holds no region yet" in done.stderr
    assert _antrean("region", "migrate", "--dsn", dsn).stdout.startswith(
        "region schema at version 2 (applied 1, 2)")
    done = _antrean("region", "report", "status", "--dsn", dsn, "--csv")
    assert done.returncode == 0 and done.stdout == (
        "hall,name,province,last_seq,exported_at,refusals\n")


def test_the_region_and_the_halls_report_agree_on_the_same_events(
        server: PostgresServer, tmp_path: Path) -> None:
    """The small hall's hand-built days (tests/unit/test_reports.py: transfers, no-shows, a
    return, priority checks, an expiry) and its refusals, exported, then reported by the region
    and by the hall's own report for the same range: every shared figure is the same."""
    from shared.clock import ManualClock
    from shared.ledger.ledger import Ledger
    from shared.reports.figures import Period, compute
    from tests.helpers.ledger import DATA, MONDAY_0900
    from tests.unit.test_reports import build_refusals, build_two_days

    config_path = DATA / "small_hall.toml"
    config = load_config(config_path)
    clock = ManualClock(MONDAY_0900)
    led = Ledger(tmp_path / "ledger.db", config, clock)
    try:
        build_two_days(led, clock)
        build_refusals(led, clock, dt.date(2026, 12, 2))
        events = list(iter_events(led.conn))
        period = Period(dt.date(2026, 11, 30), dt.date(2026, 12, 2))
        hall = {r.key: r for r in compute(led.conn, config, period, "service").rows}
    finally:
        led.close()
    dsn = server.create_database(f"agree_{next(_databases)}")
    with _connect(dsn) as conn:
        schema.migrate(conn)
        store.register(conn, "uji", config, "Jawa Tengah")
        hashes = chain(events)
        store.write(conn, "uji", events, hashes, GENESIS)
        report = reports.REPORTS["agency"]
        region: dict[str, dict[str, object]] = {}
        for agency in ("DUKCAPIL", "BPJSKES"):
            params = reports.parameters(report, {"agency": agency, "from": period.start,
                                                 "to": period.end})
            for row in reports.run(conn, report, params):
                region[row[2]] = dict(zip(report.columns, row, strict=True))
    assert sorted(region) == sorted(hall) == ["bpjs-daftar", "kk", "ktp-baru", "ktp-ganti"]
    assert hall["ktp-baru"].refused_quota == 2 and hall["bpjs-daftar"].refused_hours == 1
    shared = [k for k in reports.FIGURE_COLUMNS if k in reports.SHARED_FIGURES]
    assert len(shared) == 13
    for code, row in hall.items():
        mine = row.as_dict()
        for key in shared:
            got, want = region[code][key], mine[key]
            if want is None or got is None:
                assert got is None and want is None, (code, key, got, want)
            elif reports.COLUMNS[key].kind == "minutes":
                assert float(got) == pytest.approx(want, abs=0.0501), (code, key)  # type: ignore[arg-type]
            else:
                assert got == want, (code, key)
