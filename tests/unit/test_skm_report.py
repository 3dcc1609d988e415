"""The IKM report against a hand-built ledger: a real Ledger, real tickets served and real
survey answers, figures worked out by hand; and its XLSX and PDF."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from pathlib import Path

import pytest

from shared.config import HallConfig
from shared.ledger.ledger import Ledger
from shared.ledger.model import Actor
from shared.reports import skm as report
from shared.reports.figures import ReportError
from tests.helpers.ledger import DATA, KIOSK, open_counter

WEB = Actor("web-1")
PROFILES = [
    {"umur": "u30", "jenis_kelamin": "P", "pendidikan": "s1", "pekerjaan": "swasta"},
    {"umur": "u30", "jenis_kelamin": "L", "pendidikan": "sma", "pekerjaan": "wirausaha"},
    {"umur": "u61", "jenis_kelamin": "L", "pendidikan": "sd", "pekerjaan": "lainnya"},
]


def serve_and_answer(led: Ledger, service: str, counter: int, answers: list[int] | None,
                     profile: dict[str, str], saran: str = "") -> None:
    issued = led.issue_ticket(service, KIOSK)
    who = Actor(f"counter-{counter}", f"officer-{counter}")
    if led.reader.counter(counter).officer is None:
        who = open_counter(led, counter)
    assert led.call_next(counter, who).ok
    assert led.run("finish", who, counter=counter).ok
    if answers is not None:
        done = led.run("answer_survey", WEB, ticket=issued.value["ticket"]["ticket_id"],
                       secret=issued.value["secret"], answers=answers, profile=profile,
                       saran=saran)
        assert done.ok, done.refusal


@pytest.fixture
def hall(ledger: Ledger) -> Ledger:
    serve_and_answer(ledger, "ktp-baru", 1, [4] * 9, PROFILES[0], "Petugas ramah")
    serve_and_answer(ledger, "ktp-baru", 1, [3] * 9, PROFILES[1])
    serve_and_answer(ledger, "bpjs-daftar", 3, [2] * 9, PROFILES[2], "Kursi kurang")
    serve_and_answer(ledger, "bpjs-daftar", 3, None, PROFILES[2])  # served, did not answer
    ledger.issue_ticket("kk", KIOSK)  # not served: not in the population
    return ledger


def test_the_figures_of_a_hand_built_ledger(hall: Ledger, small_config: HallConfig) -> None:
    r = report.compute(hall.conn, small_config, report.skm_period("month", 2026, 11),
                       officer_names={"officer-1": "Siti"})
    # (9×4 + 9×3 + 9×2) / 27 = 3 → 75.00, grade C.
    assert r.ikm is not None and r.ikm.value == Decimal("75.00") and r.ikm.mutu.grade == "C"
    assert [s.nrr_text for s in r.ikm.unsur] == ["3.000"] * 9
    assert (r.respondents, r.population, r.sample, r.enough) == (3, 4, 4, False)
    agencies = {g.key: (g.respondents, g.population, g.ikm and g.ikm.value)
                for g in r.by_agency}
    assert agencies == {"DUKCAPIL": (2, 2, Decimal("87.50")),
                        "BPJSKES": (1, 2, Decimal("50.00"))}
    # Two respondents are too few to show an officer's figure.
    siti = next(g for g in r.by_officer if g.key == "officer-1")
    assert siti.name == "Siti" and siti.withheld and siti.ikm is None
    sex = dict((pf.key, rows) for pf, rows in r.profile)["jenis_kelamin"]
    assert [(row.code, row.count) for row in sex] == [("L", 2), ("P", 1)]
    assert sorted(text for _, text in r.saran) == ["Kursi kurang", "Petugas ramah"]
    # Another month: nobody.
    empty = report.compute(hall.conn, small_config, report.skm_period("month", 2026, 10))
    assert empty.ikm is None and empty.respondents == 0 and not empty.enough


def test_a_coordinator_sees_only_their_agency(hall: Ledger, small_config: HallConfig) -> None:
    r = report.compute(hall.conn, small_config, report.skm_period("year", 2026),
                       agencies=frozenset({"BPJSKES"}))
    assert r.ikm is not None and r.ikm.value == Decimal("25.00") * 2
    assert [g.key for g in r.by_agency] == ["BPJSKES"]
    assert [text for _, text in r.saran] == ["Kursi kurang"]


def test_an_officer_above_the_minimum_is_shown(ledger: Ledger,
                                               small_config: HallConfig) -> None:
    for i in range(report.MIN_OFFICER_RESPONDENTS):
        serve_and_answer(ledger, "ktp-baru" if i < 5 else "kk", 1, [4] * 8 + [3],
                         PROFILES[i % 3])
    r = report.compute(ledger.conn, small_config, report.skm_period("semester", 2026, 2))
    (officer,) = r.by_officer
    assert not officer.withheld and officer.ikm is not None
    assert officer.ikm.value == Decimal("97.22")  # (8×4 + 3)/9 × 25 = 97.2222
    assert r.weakest[0].unsur.code == "U9"


def test_periods() -> None:
    assert report.skm_period("quarter", 2026, 4).start == dt.date(2026, 10, 1)
    sem = report.skm_period("semester", 2026, 1)
    assert (sem.start, sem.end) == (dt.date(2026, 1, 1), dt.date(2026, 6, 30))
    assert report.period_text(sem) == "Semester I 2026"
    assert report.period_text(report.skm_period("quarter", 2026, 4)) == "Triwulan IV 2026"
    for kind, part in (("semester", 3), ("month", 13), ("week", 1)):
        with pytest.raises(ReportError):
            report.skm_period(kind, 2026, part)


def test_the_xlsx_and_pdf(hall: Ledger, small_config: HallConfig) -> None:
    from openpyxl import load_workbook

    r = report.compute(hall.conn, small_config, report.skm_period("month", 2026, 11))
    book = load_workbook(io.BytesIO(report.to_xlsx(r)))
    assert book.sheetnames == ["IKM", "Instansi", "Layanan", "Petugas", "Profil", "Saran"]
    values = [c for row in book["IKM"].iter_rows(values_only=True) for c in row]
    assert 75.0 in values and "belum cukup" in values
    pdf = report.to_pdf(r, small_config)
    assert pdf.startswith(b"%PDF")
    html = report.to_html(r, small_config)
    assert "75.00" in html and "Kursi kurang" in html and "belum cukup" in html


def test_the_command_line(hall: Ledger, tmp_path: Path,
                          capsys: pytest.CaptureFixture[str]) -> None:
    from antrean.cli import main

    config = str(DATA / "small_hall.toml")
    out = tmp_path / "ikm.pdf"
    assert main(["report", "skm", "--year", "2026", "--part", "11", "--ledger",
                 str(hall.path), "--config", config, "--out", str(out)]) == 0
    assert out.read_bytes().startswith(b"%PDF")
    assert "3 respondents of 4 served (sample 4), IKM 75.00 (C)" in capsys.readouterr().out
    for argv in (["--period", "semester", "--part", "3"], ["--agency", "NOPE"],
                 ["--format", "csv"]):
        assert main(["report", "skm", "--year", "2026", "--ledger", str(hall.path),
                     "--config", config, "--out", str(tmp_path / "x.xlsx"), *argv]) == 2
        assert "antrean report:" in capsys.readouterr().err
    assert not (tmp_path / "x.xlsx").exists()
