"""The region's exporter against a real PostgreSQL server (tests/helpers/postgres.py) and real
hub processes: several halls at once, the exporter SIGKILLed and restarted, PostgreSQL and
the hub restarted under it, and a hall whose history disagrees with the region's refused."""

from __future__ import annotations

import itertools
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from shared.ledger.chain import chain
from shared.ledger.projection import iter_events
from tests.helpers.postgres import PostgresServer
from tests.helpers.region import (
    ExporterProcess,
    Traffic,
    fill_ledger,
    hall_config,
    region_seq,
    wait_for,
)
from tests.system.conftest import HubProcess

pytestmark = pytest.mark.slow

TIMEOUT = 60.0


@pytest.fixture(scope="module")
def server() -> Iterator[PostgresServer]:
    pg = PostgresServer()
    pg.start()
    yield pg
    pg.close()


_databases = itertools.count(1)


@pytest.fixture
def dsn(server: PostgresServer) -> str:
    """A fresh database of the module's server (each test its own region)."""
    if not _up(server):  # a test that stopped it failed before starting it again
        server.start()
    return server.create_database(f"region_{next(_databases)}")


def _up(server: PostgresServer) -> bool:
    try:
        with psycopg.connect(server.dsn, connect_timeout=2):
            return True
    except psycopg.OperationalError:
        return False


class Hall:
    """One simulated hall: a hub process on its own ledger, a kiosk token, an export token."""

    def __init__(self, folder: Path, name: str, events: int) -> None:
        self.folder = folder
        self.config = hall_config(folder, name)
        self.id = name.lower().replace(" ", "-")
        self.filled = fill_ledger(folder / "ledger.db", self.config, events) if events else 0
        self.hub = HubProcess(folder, self.config)
        self.export_token = self.hub.enroll("region", "export")
        self.kiosk_token = self.hub.enroll("kiosk-1", "kiosk")
        self.hub.start()
        self.exporters: list[ExporterProcess] = []

    def exporter(self, dsn: str, *extra: str) -> ExporterProcess:
        ex = ExporterProcess(self.folder, dsn, self.hub.url, self.export_token, *extra)
        self.exporters.append(ex)
        return ex.start()

    def hub_seq(self) -> int:
        return int(self.hub.health()["last_seq"])  # type: ignore[call-overload]

    def close(self) -> None:
        for ex in self.exporters:
            ex.stop()
        self.hub.stop()


@pytest.fixture
def halls(tmp_path: Path) -> Iterator[list[Hall]]:
    made: list[Hall] = []
    yield made
    for hall in made:
        hall.close()


def assert_exported(dsn: str, hall: Hall) -> int:
    """The region holds the hall's ledger exactly: every event once, in order, the same
    content and the same chain, and the tickets projection the hall's own."""
    conn = sqlite3.connect(f"file:{hall.hub.ledger}?mode=ro", uri=True)
    conn.row_factory = sqlite3.Row
    try:
        events = list(iter_events(conn))
        tickets = {r["ticket_id"]: (r["status"], r["service"], r["agency"], r["issued_at"],
                                    r["called_at"], r["started_at"], r["ended_at"],
                                    r["call_count"], r["transfers"])
                   for r in conn.execute("SELECT * FROM tickets")}
    finally:
        conn.close()
    with psycopg.connect(dsn) as pg:
        rows = pg.execute("SELECT seq, command_id, kind, at_ms, data, hash FROM region.events "
                          "WHERE hall = %s ORDER BY seq", (hall.id,)).fetchall()
        region_tickets = {r[0]: tuple(r[1:]) for r in pg.execute(
            "SELECT ticket_id, status, service, agency, issued_at_ms, called_at_ms, "
            "started_at_ms, ended_at_ms, call_count, transfers FROM region.tickets "
            "WHERE hall = %s", (hall.id,))}
        head = pg.execute("SELECT last_seq, last_hash FROM region.halls WHERE hall = %s",
                          (hall.id,)).fetchone()
    assert [r[0] for r in rows] == [e.seq for e in events] == list(range(1, len(events) + 1))
    # The ticket's secret stays in the hall; everything else is the hub's.
    assert [(r[1], r[2], r[3], r[4]) for r in rows] == [
        (e.command_id, e.kind, e.at_ms, {k: v for k, v in e.data.items() if k != "secret"})
        for e in events]
    assert any("secret" in e.data for e in events)
    hashes = chain(events)
    assert [r[5] for r in rows] == hashes
    assert head == (len(events), hashes[-1])
    assert region_tickets == tickets
    return len(events)


def test_three_halls_export_into_one_database_at_once(dsn: str, tmp_path: Path,
                                                     halls: list[Hall]) -> None:
    halls += [Hall(tmp_path / f"h{i}", f"MPP Kota {name}", events)
              for i, (name, events) in enumerate([("Satu", 3000), ("Dua", 1500), ("Tiga", 0)])]
    traffic = [Traffic(h.hub.url, h.kiosk_token).start() for h in halls]
    for h in halls:
        h.exporter(dsn, "--province", "Jawa Tengah")
    # Live: each hall's new tickets reach the region while the kiosks keep issuing.
    for h in halls:
        wait_for(lambda h=h: region_seq(dsn, h.id) > max(h.filled, 1) + 20, TIMEOUT,
                 f"{h.id} live")
    for t in traffic:
        t.stop()
    for h in halls:
        wait_for(lambda h=h: region_seq(dsn, h.id) == h.hub_seq(), TIMEOUT, f"{h.id} done")
    for h in halls:
        h.hub.stop()
        assert assert_exported(dsn, h) > h.filled
    with psycopg.connect(dsn) as pg:
        assert pg.execute("SELECT count(*) FROM region.halls WHERE province = 'Jawa Tengah'"
                          ).fetchone() == (3,)


def test_exporter_killed_mid_stream_ten_times_every_event_once(dsn: str, tmp_path: Path,
                                                               halls: list[Hall]) -> None:
    hall = Hall(tmp_path / "h", "MPP Kota Bunuh", 6000)
    halls.append(hall)
    traffic = Traffic(hall.hub.url, hall.kiosk_token).start()
    seen = 0
    for _ in range(10):
        ex = hall.exporter(dsn)
        # SIGKILL as soon as it has committed something more: it dies with the next batch
        # read from the hub, and maybe written, but not committed.
        wait_for(lambda before=seen: region_seq(dsn, hall.id) > before, TIMEOUT,
                 "progress")
        ex.kill()
        seen = region_seq(dsn, hall.id)
    traffic.stop()
    hall.exporter(dsn)
    wait_for(lambda: region_seq(dsn, hall.id) == hall.hub_seq(), TIMEOUT, "the last run")
    hall.hub.stop()
    assert assert_exported(dsn, hall) > 6000


def test_postgres_restarted_mid_stream_exporter_waits_and_resumes(
        server: PostgresServer, dsn: str, tmp_path: Path, halls: list[Hall]) -> None:
    hall = Hall(tmp_path / "h", "MPP Kota Tunggu", 1000)
    halls.append(hall)
    traffic = Traffic(hall.hub.url, hall.kiosk_token).start()
    ex = hall.exporter(dsn)
    wait_for(lambda: region_seq(dsn, hall.id) > hall.filled + 10, TIMEOUT, "live export")
    server.stop("immediate")  # a crash of the region's server
    # The hall never waits for the region: tickets go on being issued meanwhile.
    issued = traffic.issued
    wait_for(lambda: traffic.issued > issued + 30, TIMEOUT, "the hall serving without PG")
    assert ex.proc is not None and ex.proc.poll() is None
    server.start()
    traffic.stop()
    wait_for(lambda: region_seq(dsn, hall.id) == hall.hub_seq(), TIMEOUT, "the resume")
    assert ex.proc.poll() is None
    assert "export of mpp-kota-tunggu paused" in ex.output()
    hall.hub.stop()
    assert_exported(dsn, hall)


def test_hub_restarted_exporter_resumes(dsn: str, tmp_path: Path, halls: list[Hall]) -> None:
    hall = Hall(tmp_path / "h", "MPP Kota Ulang", 1000)
    halls.append(hall)
    ex = hall.exporter(dsn)
    wait_for(lambda: region_seq(dsn, hall.id) == hall.filled, TIMEOUT, "catch-up")
    hall.hub.stop()
    hall.hub.start()
    traffic = Traffic(hall.hub.url, hall.kiosk_token).start()
    wait_for(lambda: region_seq(dsn, hall.id) > hall.filled + 20, TIMEOUT, "events after")
    traffic.stop()
    wait_for(lambda: region_seq(dsn, hall.id) == hall.hub_seq(), TIMEOUT, "the rest")
    assert ex.proc is not None and ex.proc.poll() is None
    ex.stop()  # SIGTERM, as systemd stops it: a clean exit
    assert ex.proc.returncode == 0 and "Traceback" not in ex.output(), ex.output()
    hall.hub.stop()
    assert_exported(dsn, hall)


@pytest.mark.parametrize("other", ["another history", "an older copy"])
def test_hall_whose_chain_disagrees_is_refused_and_reported(
        other: str, dsn: str, tmp_path: Path, halls: list[Hall]) -> None:
    hall = Hall(tmp_path / "h", "MPP Kota Beda", 800)
    halls.append(hall)
    ex = hall.exporter(dsn)
    wait_for(lambda: region_seq(dsn, hall.id) == hall.filled, TIMEOUT, "catch-up")
    ex.stop()
    hall.hub.stop()
    with psycopg.connect(dsn) as pg:
        before = pg.execute("SELECT seq, hash FROM region.events ORDER BY seq").fetchall()
    # The hub PC comes back with a ledger of another history of this hall (same config, other
    # tickets at other times), or restored from a copy older than what the region holds.
    # (The head record goes too: the hub would refuse a ledger its last run did not leave; on
    # a new hub PC there is none.)
    for suffix in ("", "-wal", "-shm", ".head"):
        Path(f"{hall.hub.ledger}{suffix}").unlink(missing_ok=True)
    if other == "another history":
        from tests.helpers.ledger import MONDAY_0900

        fill_ledger(hall.hub.ledger, hall.config, 1200, start=MONDAY_0900.replace(hour=8))
    else:
        fill_ledger(hall.hub.ledger, hall.config, 500)
    hall.hub.start()
    ex = hall.exporter(dsn)
    assert ex.proc is not None
    assert ex.proc.wait(TIMEOUT) == 3
    lines = [ln for ln in ex.output().splitlines() if ln.startswith("antrean export:")]
    assert len(lines) == 1 and "refused mpp-kota-beda" in lines[0], ex.output()
    assert "Traceback" not in ex.output()
    with psycopg.connect(dsn) as pg:
        assert pg.execute("SELECT seq, hash FROM region.events ORDER BY seq").fetchall() == before
        refusals = pg.execute("SELECT hall, seq, reason FROM region.refusals").fetchall()
    assert len(refusals) == 1 and refusals[0][0] == "mpp-kota-beda"
    if other == "another history":
        assert refusals[0][1] == hall.filled


def test_a_token_the_hub_refuses_stops_the_exporter_with_one_line(
        dsn: str, tmp_path: Path, halls: list[Hall]) -> None:
    hall = Hall(tmp_path / "h", "MPP Kota Token", 0)
    halls.append(hall)
    ex = ExporterProcess(hall.folder, dsn, hall.hub.url, "not-a-token").start()
    hall.exporters.append(ex)
    assert ex.proc is not None and ex.proc.wait(TIMEOUT) == 3
    assert ex.output().strip().splitlines() == [
        f"antrean export: refused {hall.hub.url.removesuffix('/ws')}: the hub refused this "
        "station's token (unknown token)"]
    with psycopg.connect(dsn) as pg:  # not a hall's history: nothing to report there
        assert pg.execute("SELECT to_regclass('region.refusals')").fetchone() == (None,)
