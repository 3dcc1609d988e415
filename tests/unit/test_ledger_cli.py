"""`antrean ledger verify|rebuild|hash|figures|events`: exit codes, what it prints, one-line
errors."""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from antrean.cli import main
from shared.clock import ManualClock
from shared.ledger.ledger import Ledger
from shared.ledger.projection import ledger_hash
from tests.helpers.ledger import DATA, KIOSK, open_counter, wib

ROOT = Path(__file__).resolve().parents[2]
CONFIG = str(DATA / "small_hall.toml")


def antrean(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "antrean", "ledger", *args],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
    )


@pytest.fixture
def hall_file(ledger: Ledger, clock: ManualClock) -> Path:
    """A Monday morning: three BPJS tickets (one served, one no-show) and one KK ticket."""
    for svc in ("bpjs-daftar", "bpjs-daftar", "bpjs-daftar", "kk"):
        assert ledger.issue_ticket(svc, KIOSK).ok
    who = open_counter(ledger, 3)
    clock.set(wib(2026, 11, 30, 9, 10))
    ledger.call_next(3, who)
    clock.set(wib(2026, 11, 30, 9, 16))
    ledger.call_next(3, who)  # finishes B-001 after 6 minutes, calls B-002 (waited 16)
    ledger.run("no_show", who, counter=3)
    return ledger.path


def test_verify_rebuild_verify_as_a_command(hall_file: Path, ledger: Ledger) -> None:
    ok = antrean("verify", str(hall_file), "--config", CONFIG)
    assert ok.returncode == 0, ok.stderr
    assert f"{hall_file}: 9 events, 4 tickets, 1 counters" in ok.stdout
    assert "OK" in ok.stdout and ok.stderr == ""

    ledger.conn.execute("UPDATE tickets SET status='waiting' WHERE label='B-002'")
    bad = antrean("verify", str(hall_file), "--config", CONFIG)
    assert bad.returncode == 1
    assert "DIFFERS" in bad.stdout and "antrean ledger rebuild" in bad.stdout

    fixed = antrean("rebuild", str(hall_file), "--config", CONFIG)
    assert fixed.returncode == 0, fixed.stderr
    assert "rebuilt the projection from 9 events" in fixed.stdout
    assert antrean("verify", str(hall_file), "--config", CONFIG).returncode == 0
    t = ledger.reader.ticket("20261130-B-002")
    assert t is not None and t.status == "no_show"


def test_a_missing_file_is_one_line_and_exit_2(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.db"
    r = antrean("verify", str(missing), "--config", CONFIG)
    assert r.returncode == 2
    assert r.stdout == ""
    assert r.stderr == f"error: ledger file {missing} does not exist\n"
    assert not missing.exists()  # and it was not created by trying


def test_bad_inputs_exit_2_without_a_traceback(
    tmp_path: Path, hall_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    other = tmp_path / "other.db"
    conn = sqlite3.connect(other)
    conn.execute("CREATE TABLE notes (x)")
    conn.commit()
    conn.close()
    not_sqlite = tmp_path / "notes.txt"
    not_sqlite.write_text("hello\n" * 100)
    cases = [
        ["verify", str(other), "--config", CONFIG],
        ["rebuild", str(not_sqlite), "--config", CONFIG],
        ["hash", str(not_sqlite)],
        ["figures", str(tmp_path / "nope.db"), "--config", CONFIG],
        ["events", str(other)],
        ["events", str(not_sqlite), "--kind", "ticket.called"],
        ["verify", str(hall_file), "--config", str(tmp_path / "nope.toml")],
    ]
    for args in cases:
        assert main(["ledger", *args]) == 2, args
        out, err = capsys.readouterr()
        assert out == "" and err.startswith("error: ") and err.count("\n") == 1, (args, err)
        assert "Traceback" not in err
    # Pointing the tool at another program's database leaves that database alone.
    conn = sqlite3.connect(other)
    tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
    conn.close()
    assert tables == ["notes"]


def test_hash_names_the_history(
    tmp_path: Path, hall_file: Path, ledger: Ledger, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["ledger", "hash", str(hall_file)]) == 0
    first = capsys.readouterr().out
    assert first == f"{ledger_hash(ledger.conn)}  {hall_file}\n"
    ledger.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    copy = tmp_path / "copy.db"
    shutil.copy(hall_file, copy)
    assert main(["ledger", "hash", str(copy)]) == 0
    assert capsys.readouterr().out.split()[0] == first.split()[0]
    ledger.issue_ticket("kk", KIOSK)
    assert main(["ledger", "hash", str(hall_file)]) == 0
    assert capsys.readouterr().out.split()[0] != first.split()[0]


def test_figures_print_a_table_per_agency(
    hall_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["ledger", "figures", str(hall_file), "--config", CONFIG,
                 "--day", "2026-11-30"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "Mal Pelayanan Publik Uji — 2026-11-30"
    assert lines[1].split() == ["agency", "issued", "served", "no-show", "cancelled", "waiting",
                                "expired", "avg", "wait", "p90", "wait", "avg", "service",
                                "standard", "priority", "ok/no/all"]
    rows = {line.split()[0]: line.split()[1:] for line in lines[3:] if line[:1].isalpha()}
    # BPJS: 3 issued, 1 served, 1 no-show, 1 waiting; waits 10 and 16 minutes; served in 6.
    assert rows["BPJSKES"] == ["3", "1", "1", "0", "1", "0", "13.0", "16.0", "6.0", "12.0",
                               "-"]
    assert rows["Dukcapil"] == ["1", "0", "0", "0", "1", "0", "-", "-", "-", "11.0", "-"]
    assert rows["total"] == ["4", "1", "1", "0", "2", "0", "-"]

    assert main(["ledger", "figures", str(hall_file), "--config", CONFIG,
                 "--day", "2026-12-01"]) == 0
    assert "no tickets on this day" in capsys.readouterr().out


def test_events_print_the_history_as_the_hub_sends_it(
    hall_file: Path, ledger: Ledger, capsys: pytest.CaptureFixture[str]
) -> None:
    # The ledger is open for writing meanwhile, as a running hub's is: reading is fine.
    assert main(["ledger", "events", str(hall_file)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [json.loads(line) for line in lines] == [
        e.to_dict() for e in ledger.reader.events_after(0)]
    assert len(lines) == 9 and json.loads(lines[0])["data"]["label"] == "B-001"

    assert main(["ledger", "events", str(hall_file), "--kind", "ticket.called",
                 "--after", "6", "--limit", "1"]) == 0
    called = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(e["seq"], e["kind"], e["ticket_id"]) for e in called] == [
        (8, "ticket.called", "20261130-B-002")]
    assert main(["ledger", "events", str(hall_file), "--ticket", "20261130-B-002"]) == 0
    kinds = [json.loads(line)["kind"] for line in capsys.readouterr().out.splitlines()]
    assert kinds == ["ticket.issued", "ticket.called", "ticket.no_show"]


@pytest.mark.parametrize("bad", [["--after", "-1"], ["--limit", "x"], ["--kind", "ticket.eaten"]])
def test_events_refuse_a_bad_filter_in_one_line(hall_file: Path, bad: list[str]) -> None:
    r = antrean("events", str(hall_file), *bad)
    assert r.returncode == 2 and r.stdout == ""
    assert "error:" in r.stderr and "Traceback" not in r.stderr
