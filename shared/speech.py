"""The words a hall announcement speaks, built as plain text for a text-to-speech engine.

Pure functions, no Qt: the display app, the clip voice pack and tests all share them.
Everything returned here is words only. A TTS engine that meets a digit reads it in whatever
language its own number rules are (espeak-ng reads "023" as "twenty-three" in English voices and
may read "001" as "satu" in Indonesian), so every number is converted to words before synthesis.

Letters stay as single capital letters separated by commas ("K, T, P"): espeak-ng's Indonesian
voice already pronounces a lone capital with its Indonesian letter name (K -> [ka], Q -> [ki],
X -> [eks], checked with `espeak-ng -v id -x`), while written-out names such as "be" or "te" come
out with the open vowel [E] and sound foreign. The clip voice pack maps each letter to a clip
named after it (k.wav says "ka"). Acronyms in counter names are spelled ("UPTSP" -> "U P T S P"),
because run together espeak-ng reads them as one unpronounceable word.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from num2words import num2words

from shared.config import Voice

LANGUAGES = ("id", "en")
STYLES = ("digits", "words")

# A ticket label: a queue prefix (as in config.PREFIX_RE), a dash, a daily number of 3+ digits.
LABEL_RE = re.compile(r"^(?P<prefix>[A-Z0-9]{1,4})-(?P<number>[0-9]{3,})$")

# The word for "counter" when no counter name is given, and the joiner between spelled parts.
_COUNTER_WORD = {"id": "loket", "en": "counter"}
# Said before a recall, so a visitor who heard the first call knows this is the same number
# again and not a new one (hall systems such as SiolaQ and Qmatic mark a recall the same way).
RECALL_WORDS = {"id": "Panggilan ulang.", "en": "Calling again."}
_SEPARATOR = ", "

# Runs of 2+ capital letters inside free text (counter names, templates) are acronyms to spell.
_ACRONYM_RE = re.compile(r"\b[A-Z]{2,}\b")
_DIGITS_RE = re.compile(r"[0-9]+")

# Indonesian letter names (KBBI), for engines or clip packs that need a letter as a word.
LETTER_NAMES_ID: dict[str, str] = {
    "A": "a", "B": "be", "C": "ce", "D": "de", "E": "e", "F": "ef", "G": "ge", "H": "ha",
    "I": "i", "J": "je", "K": "ka", "L": "el", "M": "em", "N": "en", "O": "o", "P": "pe",
    "Q": "ki", "R": "er", "S": "es", "T": "te", "U": "u", "V": "fe", "W": "we", "X": "eks",
    "Y": "ye", "Z": "zet",
}


@dataclass(frozen=True)
class TicketLabel:
    """A ticket label split into the parts that are spoken differently."""

    prefix: str
    digits: str  # kept as text: "001" and "1" are read differently in the digits style

    @property
    def number(self) -> int:
        return int(self.digits)


def parse_label(label: str) -> TicketLabel:
    """Split "KTP-023" into prefix and number; raise ValueError naming what is wrong."""
    if not isinstance(label, str):
        raise ValueError(f"ticket label must be text such as 'A-001', not {type(label).__name__}")
    m = LABEL_RE.match(label)
    if m is None:
        raise ValueError(
            f"bad ticket label {label!r}: expected a prefix of 1-4 capital letters or digits, "
            "a dash and a number of at least 3 digits, e.g. 'A-001' or 'KTP-023'"
        )
    return TicketLabel(prefix=m["prefix"], digits=m["number"])


def number_words(n: int, language: str = "id") -> str:
    """A whole number as words: 11 -> "sebelas", 100 -> "seratus", 1000 -> "seribu"."""
    _check_language(language)
    if isinstance(n, bool) or not isinstance(n, int):
        raise ValueError(f"number_words needs a whole number, not {n!r}")
    if n < 0:
        raise ValueError(f"number_words needs a number of zero or more, not {n}")
    words: str = num2words(n, lang=language)
    return words


def spell_prefix(prefix: str, language: str = "id") -> list[str]:
    """The spoken parts of a queue prefix, one per character: "4K" -> ["empat", "K"]."""
    _check_language(language)
    return [number_words(int(ch), language) if ch.isdigit() else ch for ch in prefix]


def number_parts(digits: str, style: str, language: str = "id") -> list[str]:
    """The spoken parts of a ticket's number: digit by digit, or the whole number as words."""
    _check_language(language)
    if style == "digits":
        return [number_words(int(d), language) for d in digits]
    if style == "words":
        return [number_words(int(digits), language)]
    raise ValueError(f"unknown voice style {style!r}; use one of {', '.join(STYLES)}")


def speakable(text: str, language: str = "id") -> str:
    """Free text (a counter name, a template) made safe to speak: numbers and acronyms spelled."""
    _check_language(language)
    return _tidy(_spell_out(text, language))


def counter_text(
    counter_number: int, language: str = "id", counter_label: str | None = None
) -> str:
    """What {counter} becomes: "loket tiga", "counter three", or a spoken counter name."""
    _check_language(language)
    whole = isinstance(counter_number, int) and not isinstance(counter_number, bool)
    if not whole or counter_number < 1:
        raise ValueError(
            f"counter number must be a whole number of 1 or more, not {counter_number!r}"
        )
    if counter_label is not None and counter_label.strip():
        return speakable(counter_label.strip(), language)
    return f"{_COUNTER_WORD[language]} {number_words(counter_number, language)}"


def call_text(
    label: str,
    counter_number: int,
    voice: Voice,
    *,
    language: str | None = None,
    counter_label: str | None = None,
    recall: bool = False,
) -> str:
    """The announcement for calling ticket `label` to a counter, ready for a TTS engine.

    >>> call_text("A-001", 3, voice)  # voice.style == "digits"
    'Nomor antrean, A, nol, nol, satu. Silakan menuju loket tiga.'
    >>> call_text("A-001", 3, voice, recall=True)
    'Panggilan ulang. Nomor antrean, A, nol, nol, satu. Silakan menuju loket tiga.'

    `language` defaults to the voice's language; "en" uses `voice.english_template`.
    `counter_label` replaces "loket <number>" with the counter's own name (digits are spoken).
    `recall` starts the announcement with "Panggilan ulang." (the same ticket called again).
    """
    lang = voice.language if language is None else language
    _check_language(lang)
    ticket = parse_label(label)
    parts = spell_prefix(ticket.prefix, lang) + number_parts(ticket.digits, voice.style, lang)
    number = _SEPARATOR.join(parts)
    counter = counter_text(counter_number, lang, counter_label)
    template = voice.template if lang == "id" else voice.english_template
    for placeholder in ("{number}", "{counter}"):
        if placeholder not in template:
            raise ValueError(f"voice template {template!r} must contain {placeholder}")
    # Split on the placeholders so only the template's own words go through speakable(); a
    # plain str.format would choke on any other brace an IT officer writes into the template.
    pieces = re.split(r"(\{number\}|\{counter\})", template)
    spoken = "".join(
        number if p == "{number}" else counter if p == "{counter}" else _spell_out(p, lang)
        for p in pieces
    )
    if recall:
        spoken = f"{RECALL_WORDS[lang]} {spoken}"
    spoken = _tidy(spoken)
    if re.search(r"[0-9]", spoken):  # a bug guard: an engine must never see a digit
        raise AssertionError(f"announcement still contains digits: {spoken!r}")
    return spoken


PLACEHOLDERS = ("{number}", "{counter}")
_BRACED_RE = re.compile(r"\{[^{}]*\}")


def unknown_placeholders(template: str) -> list[str]:
    """The `{...}` in a template other than {number} and {counter}, e.g. ["{nomor}"]. The
    announcement would speak them as written (call_text leaves any other brace alone), so
    the console refuses a template with one: a misspelt placeholder is a mistake."""
    return [m for m in _BRACED_RE.findall(template) if m not in PLACEHOLDERS]


def default_voice() -> Voice:
    """The voice settings a hall config gets when its [voice] table is empty, so tools such as
    `python -m display.voice` can speak without a hall config file."""
    return Voice()


def _spell_out(text: str, language: str) -> str:
    # Digits first, padded with spaces, so "BPJS2" becomes "BPJS dua" and then "B P J S dua".
    text = _DIGITS_RE.sub(lambda m: f" {number_words(int(m.group(0)), language)} ", text)
    return _ACRONYM_RE.sub(lambda m: " ".join(m.group(0)), text)


def _tidy(text: str) -> str:
    """Collapse the spaces that spelling leaves behind; no space before punctuation."""
    text = re.sub(r"\s+", " ", text)
    return re.sub(r" ([,.;:!?])", r"\1", text).strip()


def _check_language(language: str) -> None:
    if language not in LANGUAGES:
        raise ValueError(f"unknown language {language!r}; use one of {', '.join(LANGUAGES)}")
