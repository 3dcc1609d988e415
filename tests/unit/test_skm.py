"""The SKM's arithmetic (PermenPANRB 14/2017) against worked examples whose answers are known."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest

from shared import skm


def spread(respondents: int, total: int) -> list[list[int]]:
    """Answers of `respondents` people whose scores add up to `total`: every score 1, raised
    one by one, so any total from 9n to 36n is reachable."""
    rows = [[1] * skm.UNSUR_COUNT for _ in range(respondents)]
    extra = total - skm.UNSUR_COUNT * respondents
    slots = [(r, u) for r in range(respondents) for u in range(skm.UNSUR_COUNT)]
    while extra:
        for r, u in slots:
            if extra and rows[r][u] < 4:
                rows[r][u] += 1
                extra -= 1
    assert sum(map(sum, rows)) == total
    return rows


def test_all_fours_is_one_hundred_and_all_ones_twenty_five() -> None:
    top = skm.ikm([[4] * 9] * 7)
    bottom = skm.ikm([[1] * 9] * 3)
    assert top is not None and bottom is not None
    assert (top.value, top.mutu.grade) == (Decimal("100.00"), "A")
    assert (bottom.value, bottom.mutu.grade) == (Decimal("25.00"), "D")


def test_a_worked_example_per_unsur() -> None:
    # Four respondents; U1 gets 4,4,3,2 (NRR 3.25), every other unsur 3 (NRR 3).
    answers = [[4] + [3] * 8, [4] + [3] * 8, [3] + [3] * 8, [2] + [3] * 8]
    result = skm.ikm(answers)
    assert result is not None
    u1 = result.unsur[0]
    assert (u1.total, u1.nrr, u1.weighted) == (13, Fraction(13, 4), Fraction(13, 36))
    assert u1.nrr_text == "3.250" and u1.weighted_text == "0.361"
    # Σ weighted = (3.25 + 8×3)/9 = 3.02778; × 25 = 75.694 → 75.69, grade C.
    assert result.value == Decimal("75.69") and result.mutu.grade == "C"
    assert [s.unsur.code for s in result.weakest(2)] == ["U2", "U3"]


@pytest.mark.parametrize(("respondents", "total", "ikm", "grade"), [
    (24, 763, "88.31", "A"),  # 88.3102 — A's lowest figure
    (19, 604, "88.30", "B"),  # 88.3041 — B's highest
    (19, 524, "76.61", "B"),  # 76.6082 — B's lowest
    (26, 717, "76.60", "C"),  # 76.6026 — C's highest
    (5, 117, "65.00", "C"),  # exactly 65 — C's lowest
    (38, 889, "64.99", "D"),  # 64.9854 — D's highest
])
def test_each_interval_bound_gets_its_own_grade(respondents: int, total: int, ikm: str,
                                                grade: str) -> None:
    result = skm.ikm(spread(respondents, total))
    assert result is not None
    assert result.value == Decimal(ikm)
    assert result.mutu.grade == grade


def test_the_weight_is_exactly_a_ninth_not_0111() -> None:
    # With the printed 0.111 nine perfect scores would make 99.90.
    assert skm.WEIGHT.denominator == 9 and skm.WEIGHT.numerator == 1
    assert round(4 * 9 * 0.111 * 25, 2) == 99.9


def test_no_respondent_no_index() -> None:
    assert skm.ikm([]) is None


@pytest.mark.parametrize(("population", "sample"), [
    (0, 0), (10, 10), (50, 44), (100, 80), (500, 217), (1000, 278), (10000, 370)])
def test_krejcie_morgan_sample_sizes(population: int, sample: int) -> None:
    assert skm.krejcie_morgan(population) == sample


def test_a_response_is_checked() -> None:
    profile = {"umur": "u30", "jenis_kelamin": "P", "pendidikan": "s1", "pekerjaan": "swasta"}
    ok = skm.check_response([4, 3, 3, 4, 3, 3, 4, 2, 3], profile, "  Antrean cepat ")
    assert ok.saran == "Antrean cepat" and ok.answers[7] == 2
    for answers, prof, saran in [
        ([4] * 8, profile, ""), ([5] * 9, profile, ""), ([True] * 9, profile, ""),
        ([4] * 9, {**profile, "umur": "99"}, ""), ([4] * 9, {"umur": "u30"}, ""),
        ([4] * 9, profile, "x" * (skm.SARAN_MAX + 1)), ([4] * 9, profile, 3),
    ]:
        with pytest.raises(skm.SurveyInvalid):
            skm.check_response(answers, prof, saran)


def test_every_unsur_has_its_question_and_four_answers_in_both_languages() -> None:
    assert [u.code for u in skm.UNSUR] == [f"U{i}" for i in range(1, 10)]
    assert skm.UNSUR[0].question_id == ("Bagaimana pendapat Saudara tentang kesesuaian "
                                        "persyaratan pelayanan dengan jenis pelayanannya?")
    assert skm.UNSUR[0].answers_id == ("Tidak sesuai", "Kurang sesuai", "Sesuai",
                                       "Sangat sesuai")
    for u in skm.UNSUR:
        assert len(set(u.answers_id)) == 4 and len(set(u.answers_en)) == 4
        assert u.question_id.endswith("?") and u.question_en.endswith("?")
