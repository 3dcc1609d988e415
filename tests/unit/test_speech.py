"""The announcement text: numbers as Indonesian words, letters spelled, never a digit."""

from __future__ import annotations

import dataclasses
import re
import subprocess
import sys

import pytest

from shared.config import Voice, loads_config
from shared.speech import (
    call_text,
    counter_text,
    default_voice,
    number_words,
    parse_label,
    speakable,
)

DIGITS = default_voice()
WORDS = dataclasses.replace(DIGITS, style="words")


@pytest.mark.parametrize(
    ("n", "words"),
    [
        (0, "nol"),
        (1, "satu"),
        (10, "sepuluh"),
        (11, "sebelas"),
        (12, "dua belas"),
        (20, "dua puluh"),
        (100, "seratus"),
        (101, "seratus satu"),
        (110, "seratus sepuluh"),
        (999, "sembilan ratus sembilan puluh sembilan"),
        (1000, "seribu"),
        (1001, "seribu satu"),
    ],
)
def test_number_words_indonesian(n: int, words: str) -> None:
    assert number_words(n) == words


@pytest.mark.parametrize(
    ("n", "words"),
    [(11, "eleven"), (101, "one hundred and one"), (1000, "one thousand")],
)
def test_number_words_english(n: int, words: str) -> None:
    assert number_words(n, "en") == words


@pytest.mark.parametrize("bad", [-1, 1.5, True, "3"])
def test_number_words_rejects_non_counts(bad: object) -> None:
    with pytest.raises(ValueError, match="number"):
        number_words(bad)  # type: ignore[arg-type]


def test_brief_example_digits_style() -> None:
    assert call_text("A-001", 3, DIGITS) == (
        "Nomor antrean, A, nol, nol, satu. Silakan menuju loket tiga."
    )


def test_brief_example_words_style() -> None:
    assert call_text("A-001", 3, WORDS) == "Nomor antrean, A, satu. Silakan menuju loket tiga."


@pytest.mark.parametrize(
    ("label", "digits", "words"),
    [
        ("A-011", "A, nol, satu, satu", "A, sebelas"),
        ("KT-100", "K, T, satu, nol, nol", "K, T, seratus"),
        ("KTP-023", "K, T, P, nol, dua, tiga", "K, T, P, dua puluh tiga"),
        ("SIMB-110", "S, I, M, B, satu, satu, nol", "S, I, M, B, seratus sepuluh"),
        ("B-1000", "B, satu, nol, nol, nol", "B, seribu"),
        ("A-999", "A, sembilan, sembilan, sembilan",
         "A, sembilan ratus sembilan puluh sembilan"),
    ],
)
def test_prefixes_and_both_styles(label: str, digits: str, words: str) -> None:
    assert call_text(label, 1, DIGITS) == f"Nomor antrean, {digits}. Silakan menuju loket satu."
    assert call_text(label, 1, WORDS) == f"Nomor antrean, {words}. Silakan menuju loket satu."


@pytest.mark.parametrize(
    ("label", "words"),
    [
        # "4K-10" reads "empat ka"; the K itself is spoken [ka] by the engine.
        ("4K-010", "empat, K, sepuluh"),
        ("1-012", "satu, dua belas"),
        ("2B3-101", "dua, B, tiga, seratus satu"),
    ],
)
def test_digit_prefixes_are_spoken_as_words(label: str, words: str) -> None:
    assert call_text(label, 2, WORDS) == f"Nomor antrean, {words}. Silakan menuju loket dua."


def test_a_recall_says_so_before_the_call() -> None:
    # SiolaQ and Qmatic mark a recall too: a visitor who heard the first call must not take it
    # for a new number.
    first = call_text("KTP-023", 3, DIGITS)
    assert call_text("KTP-023", 3, DIGITS, recall=True) == f"Panggilan ulang. {first}"
    assert call_text("A-001", 3, DIGITS, language="en", recall=True).startswith(
        "Calling again. Ticket number, A, zero")
    assert call_text("A-001", 3, WORDS, recall=False) == call_text("A-001", 3, WORDS)


def test_english_uses_english_template_and_words() -> None:
    assert call_text("A-001", 3, DIGITS, language="en") == (
        "Ticket number, A, zero, zero, one. Please go to counter three."
    )
    assert call_text("KTP-023", 12, WORDS, language="en") == (
        "Ticket number, K, T, P, twenty-three. Please go to counter twelve."
    )


def test_language_defaults_to_the_voice_language() -> None:
    english = dataclasses.replace(DIGITS, language="en")
    assert call_text("A-001", 3, english).startswith("Ticket number, A, zero")


@pytest.mark.parametrize("counter", [1, 10, 11, 12, 20, 100, 101, 110, 999])
def test_counter_numbers_are_words(counter: int) -> None:
    assert counter_text(counter) == f"loket {number_words(counter)}"
    assert counter_text(counter, "en") == f"counter {number_words(counter, 'en')}"


def test_counter_label_is_spoken_with_its_numbers_and_acronyms() -> None:
    text = call_text("A-001", 3, DIGITS, counter_label="Loket BPJS 2")
    assert text.endswith("Silakan menuju Loket B P J S dua.")


def test_custom_template_digits_and_braces_are_made_speakable() -> None:
    voice = dataclasses.replace(
        DIGITS, template="{number} {counter}, lantai 2 {bukan placeholder}"
    )
    assert call_text("A-012", 4, voice, language="id") == (
        "A, nol, satu, dua loket empat, lantai dua {bukan placeholder}"
    )


def test_speakable_spells_acronyms_after_numbers() -> None:
    assert speakable("UPTSP BPJS2") == "U P T S P B P J S dua"


@pytest.mark.parametrize(
    "label",
    [
        "",
        "A001",  # no dash
        "a-001",  # lower case
        "A-01",  # fewer than 3 digits
        "ABCDE-001",  # prefix too long
        "A-00x",
        "A--001",
        " A-001",
        "A-001 ",
        "A-\u0661\u0662\u0663",  # Arabic-Indic digits pass str.isdigit() but are not ours
    ],
)
def test_bad_labels_raise_a_clear_value_error(label: str) -> None:
    with pytest.raises(ValueError, match=r"bad ticket label .*expected a prefix of 1-4"):
        call_text(label, 1, DIGITS)


def test_bad_label_type_and_bad_counter_and_language() -> None:
    with pytest.raises(ValueError, match="must be text"):
        parse_label(1)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="counter number must be a whole number of 1 or more"):
        call_text("A-001", 0, DIGITS)
    with pytest.raises(ValueError, match="unknown language 'jv'"):
        call_text("A-001", 1, DIGITS, language="jv")
    with pytest.raises(ValueError, match="unknown voice style 'spelled'"):
        call_text("A-001", 1, dataclasses.replace(DIGITS, style="spelled"))


def test_template_without_placeholder_is_refused() -> None:
    with pytest.raises(ValueError, match=r"must contain \{counter\}"):
        call_text("A-001", 1, dataclasses.replace(DIGITS, template="Nomor {number}"))


@pytest.mark.parametrize("style", ["digits", "words"])
@pytest.mark.parametrize("language", ["id", "en"])
def test_no_digits_ever_reach_the_engine(style: str, language: str) -> None:
    voice = dataclasses.replace(DIGITS, style=style)
    for prefix in ("A", "4K", "KTP", "9", "Z9Z9"):
        for n in (0, 1, 7, 10, 11, 19, 20, 99, 100, 101, 110, 999, 1000, 12345):
            text = call_text(f"{prefix}-{n:03d}", n % 40 + 1, voice, language=language)
            assert not re.search(r"[0-9]", text), text


def test_default_voice_matches_the_config_defaults() -> None:
    # A drift between the two would make `python -m display.voice` speak unlike the hall.
    minimal = """
    [mpp]
    name = "MPP"
    kabupaten = "Kab"
    [schedule.hours]
    mon = "08:00-15:00"
    [[agencies]]
    code = "X"
    name = "X"
    [[queues]]
    prefix = "A"
    [[services]]
    code = "S"
    name = "S"
    agency = "X"
    queue = "A"
    standard_minutes = 10
    [[counters]]
    number = 1
    agency = "X"
    queues = ["A"]
    """
    assert loads_config(minimal).voice == default_voice()
    assert isinstance(default_voice(), Voice)


def test_speech_module_imports_no_qt() -> None:
    code = "import sys, shared.speech; print(any(m.startswith('PySide6') for m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
