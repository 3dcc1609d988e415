"""The Survei Kepuasan Masyarakat (SKM) of PermenPANRB 14/2017: its nine elements (unsur) with
their questions and four answers, the respondent's profile, and the index (IKM) with its grade
(mutu) and the Krejcie–Morgan sample size. Plain data and arithmetic, no I/O.

The questions follow the wording of the questionnaire the regulation publishes as its example,
Indonesian first and English beside it (the web pages' switch). The elements keep the order
the regulation lists them in (U8 complaints, U9 facilities).

The arithmetic is exact (fractions), rounded only once, at the end, to the two decimals the
regulation prints, so an IKM exactly on an interval's bound gets the bound's grade."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

SCORES = (1, 2, 3, 4)
Answers = tuple[str, str, str, str]  # for scores 1, 2, 3, 4


@dataclass(frozen=True)
class Unsur:
    code: str  # "U1".."U9"
    name_id: str
    name_en: str
    question_id: str
    question_en: str
    answers_id: Answers
    answers_en: Answers


def _graded(word: str) -> Answers:
    """The questionnaire's usual four answers, worst first: 'Tidak sesuai', 'Kurang sesuai',
    'Sesuai', 'Sangat sesuai'."""
    return (f"Tidak {word}", f"Kurang {word}", word[0].upper() + word[1:], f"Sangat {word}")


def _graded_en(word: str) -> Answers:
    """The same scale in English: 'Not suitable', 'Hardly suitable', 'Suitable', 'Very
    suitable'."""
    return (f"Not {word}", f"Hardly {word}", word[0].upper() + word[1:], f"Very {word}")


UNSUR: tuple[Unsur, ...] = (
    Unsur("U1", "Persyaratan", "Requirements",
          "Bagaimana pendapat Saudara tentang kesesuaian persyaratan pelayanan dengan jenis "
          "pelayanannya?",
          "How well do the service's requirements suit the kind of service?",
          _graded("sesuai"), _graded_en("suitable")),
    Unsur("U2", "Sistem, mekanisme dan prosedur", "System, mechanism and procedure",
          "Bagaimana pemahaman Saudara tentang kemudahan prosedur pelayanan di unit ini?",
          "How easy did you find the service's procedure here?",
          _graded("mudah"), _graded_en("easy")),
    Unsur("U3", "Waktu penyelesaian", "Completion time",
          "Bagaimana pendapat Saudara tentang kecepatan waktu dalam memberikan pelayanan?",
          "How quick was the service?",
          _graded("cepat"), _graded_en("quick")),
    Unsur("U4", "Biaya/tarif", "Cost/fee",
          "Bagaimana pendapat Saudara tentang kewajaran biaya/tarif dalam pelayanan?",
          "How fair was the cost or fee of the service?",
          ("Sangat mahal", "Cukup mahal", "Murah", "Gratis"),
          ("Very expensive", "Fairly expensive", "Cheap", "Free")),
    Unsur("U5", "Produk spesifikasi jenis pelayanan", "Service product",
          "Bagaimana pendapat Saudara tentang kesesuaian produk pelayanan antara yang tercantum "
          "dalam standar pelayanan dengan hasil yang diberikan?",
          "How well did what you received match the product the service standard promises?",
          _graded("sesuai"), ("Not matching", "Hardly matching", "Matching", "Fully matching")),
    Unsur("U6", "Kompetensi pelaksana", "Staff competence",
          "Bagaimana pendapat Saudara tentang kompetensi/kemampuan petugas dalam pelayanan?",
          "How competent was the officer who served you?",
          _graded("kompeten"), _graded_en("competent")),
    Unsur("U7", "Perilaku pelaksana", "Staff conduct",
          "Bagaimana pendapat Saudara tentang perilaku petugas dalam pelayanan terkait "
          "kesopanan dan keramahan?",
          "How polite and friendly was the officer who served you?",
          _graded("sopan dan ramah"),
          ("Not polite or friendly", "Hardly polite or friendly", "Polite and friendly",
           "Very polite and friendly")),
    Unsur("U8", "Penanganan pengaduan, saran dan masukan",
          "Handling of complaints and suggestions",
          "Bagaimana pendapat Saudara tentang penanganan pengaduan pengguna layanan?",
          "How are the complaints of the service's users handled?",
          ("Tidak ada", "Ada tetapi tidak berfungsi", "Berfungsi kurang maksimal",
           "Dikelola dengan baik"),
          ("There is no way to complain", "There is one, but it does not work",
           "It works, but not fully", "It is handled well")),
    Unsur("U9", "Sarana dan prasarana", "Facilities",
          "Bagaimana pendapat Saudara tentang kualitas sarana dan prasarana?",
          "How good are the facilities?",
          ("Buruk", "Cukup", "Baik", "Sangat baik"),
          ("Poor", "Fair", "Good", "Very good")),
)
UNSUR_COUNT = len(UNSUR)


# --- when a response is taken -----------------------------------------------------------------

# From the moment the ticket was finished: the rest of the day and the evening at home (a
# visitor answers on the bus, or after dinner), while the visit is fresh; after a day the paper
# ticket is often thrown away and may be picked up by someone who was never served.
SURVEY_WINDOW_HOURS = 24
# The survey screen at a counter offers the ticket just finished there for this long (the
# visitor stands up, sees the tablet, taps): after that, or once the next visitor is finished,
# it goes back to idle, so the next person in front of it cannot answer for someone else.
COUNTER_OFFER_MINUTES = 5
# ...and the hub takes an answer begun there for this long after the finish (90 s to answer,
# started at the last moment of the offer, with room for a slow tablet).
COUNTER_ANSWER_MINUTES = 10


# --- the respondent ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ProfileField:
    key: str  # the key in a response's profile
    label_id: str
    label_en: str
    # (code, Indonesian, English), in the questionnaire's order.
    choices: tuple[tuple[str, str, str], ...]

    def codes(self) -> tuple[str, ...]:
        return tuple(c[0] for c in self.choices)

    def text(self, code: str, english: bool = False) -> str:
        for c, id_, en in self.choices:
            if c == code:
                return en if english else id_
        return code


# The regulation's questionnaire asks the age in years; a group is what the report breaks it
# down by, and a phone answers it with one tap.
PROFILE: tuple[ProfileField, ...] = (
    ProfileField("umur", "Umur", "Age", (
        ("u20", "≤ 20 tahun", "20 or under"), ("u30", "21–30 tahun", "21–30"),
        ("u40", "31–40 tahun", "31–40"), ("u50", "41–50 tahun", "41–50"),
        ("u60", "51–60 tahun", "51–60"), ("u61", "> 60 tahun", "over 60"))),
    ProfileField("jenis_kelamin", "Jenis kelamin", "Sex", (
        ("L", "Laki-laki", "Male"), ("P", "Perempuan", "Female"))),
    ProfileField("pendidikan", "Pendidikan terakhir", "Education", (
        ("sd", "SD ke bawah", "Primary or less"), ("smp", "SMP", "Junior high"),
        ("sma", "SMA/SMK", "Senior high"), ("d3", "D1–D3", "Diploma (D1–D3)"),
        ("s1", "D4/S1", "Bachelor (D4/S1)"), ("s2", "S2 ke atas", "Master or higher"))),
    ProfileField("pekerjaan", "Pekerjaan utama", "Occupation", (
        ("pns", "PNS", "Civil servant"), ("tni", "TNI", "Armed forces"),
        ("polri", "POLRI", "Police"), ("swasta", "Pegawai swasta", "Private employee"),
        ("wirausaha", "Wirausaha", "Self-employed"),
        ("pelajar", "Pelajar/Mahasiswa", "Student"), ("lainnya", "Lainnya", "Other"))),
)
PROFILE_FIELDS: dict[str, ProfileField] = {f.key: f for f in PROFILE}
SARAN_MAX = 500  # characters of the suggestion (a phone's text box, not an essay)


class SurveyInvalid(ValueError):
    """A response that is not one: the English says what is wrong (logs, the hub's refusal)."""


@dataclass(frozen=True)
class Response:
    """One respondent's answers: a score 1-4 for each of the nine unsur, in order."""

    answers: tuple[int, ...]
    profile: Mapping[str, str]
    saran: str = ""


def check_response(answers: object, profile: object, saran: object) -> Response:
    """A response as sent (JSON: a list, an object, text), checked, or SurveyInvalid."""
    if (not isinstance(answers, list | tuple) or len(answers) != UNSUR_COUNT
            or any(isinstance(a, bool) or a not in SCORES for a in answers)):
        raise SurveyInvalid(f"answers must be {UNSUR_COUNT} scores, each 1-4")
    if not isinstance(profile, Mapping) or set(profile) != set(PROFILE_FIELDS):
        raise SurveyInvalid(f"the profile must give exactly {', '.join(PROFILE_FIELDS)}")
    for key, value in profile.items():
        if value not in PROFILE_FIELDS[key].codes():
            raise SurveyInvalid(f"profile {key}: {value!r} is not one of "
                                f"{', '.join(PROFILE_FIELDS[key].codes())}")
    if saran is None:
        saran = ""
    if not isinstance(saran, str) or len(saran) > SARAN_MAX:
        raise SurveyInvalid(f"the saran must be text of at most {SARAN_MAX} characters")
    return Response(tuple(int(a) for a in answers), dict(profile), saran.strip())


# --- the index -----------------------------------------------------------------------------


# The regulation weighs each unsur by 1/number of unsur, which it prints as 0.111. The exact
# 1/9 is used: with 0.111 nine perfect scores would give 99.90, not the 100 the scale's top
# is, and every bound would sit 0.1 % off the regulation's own conversion table.
WEIGHT = Fraction(1, UNSUR_COUNT)
IKM_FACTOR = 25
_CENT = Decimal("0.01")
_MILLI = Decimal("0.001")


@dataclass(frozen=True)
class Mutu:
    grade: str  # A B C D
    lower: Decimal  # the interval's lowest IKM (two decimals), inclusive
    name_id: str
    name_en: str


# The regulation's intervals of the IKM converted (on the two-decimal figure it prints).
MUTU: tuple[Mutu, ...] = (
    Mutu("A", Decimal("88.31"), "Sangat baik", "Very good"),
    Mutu("B", Decimal("76.61"), "Baik", "Good"),
    Mutu("C", Decimal("65.00"), "Kurang baik", "Poor"),
    Mutu("D", Decimal("25.00"), "Tidak baik", "Very poor"),
)


def round2(x: Fraction) -> Decimal:
    """Two decimals, half up (as a person rounds the regulation's worksheet)."""
    return (Decimal(x.numerator) / Decimal(x.denominator)).quantize(_CENT, ROUND_HALF_UP) \
        if x.denominator != 1 else Decimal(x.numerator).quantize(_CENT)


def mutu(ikm: Decimal) -> Mutu:
    """The grade of an IKM given to two decimals: each bound belongs to its own interval."""
    for m in MUTU:
        if ikm >= m.lower:
            return m
    raise ValueError(f"an IKM is 25.00 to 100.00, not {ikm}")


def _three_decimals(x: Fraction) -> str:
    """As the regulation's worksheets print an NRR: three decimals, half up."""
    return str((Decimal(x.numerator) / Decimal(x.denominator)).quantize(_MILLI, ROUND_HALF_UP))


@dataclass(frozen=True)
class UnsurScore:
    unsur: Unsur
    total: int  # sum of the respondents' scores
    nrr: Fraction  # total / respondents
    weighted: Fraction  # nrr × 1/9

    @property
    def nrr_text(self) -> str:
        """The NRR to the three decimals the regulation's worksheets print."""
        return _three_decimals(self.nrr)

    @property
    def weighted_text(self) -> str:
        return _three_decimals(self.weighted)

    @property
    def converted(self) -> Decimal:
        """The unsur's own index (NRR × 25), for the weakest-unsur list."""
        return round2(self.nrr * IKM_FACTOR)


@dataclass(frozen=True)
class Ikm:
    respondents: int
    unsur: tuple[UnsurScore, ...]
    value: Decimal  # Σ weighted NRR × 25, two decimals
    mutu: Mutu

    def weakest(self, n: int = 3) -> list[UnsurScore]:
        """The lowest-scoring unsur, lowest first (ties in the regulation's order)."""
        return sorted(self.unsur, key=lambda s: (s.nrr, s.unsur.code))[:n]


def ikm(responses: Iterable[Sequence[int]]) -> Ikm | None:
    """The IKM of the answers (each nine scores); None without any respondent."""
    totals = [0] * UNSUR_COUNT
    n = 0
    for answers in responses:
        if len(answers) != UNSUR_COUNT:
            raise SurveyInvalid(f"a response has {len(answers)} scores, not {UNSUR_COUNT}")
        for i, a in enumerate(answers):
            totals[i] += a
        n += 1
    if n == 0:
        return None
    scores = tuple(UnsurScore(u, total, Fraction(total, n), Fraction(total, n) * WEIGHT)
                   for u, total in zip(UNSUR, totals, strict=True))
    value = round2(sum((s.weighted for s in scores), Fraction(0)) * IKM_FACTOR)
    return Ikm(n, scores, value, mutu(value))


# --- how many respondents are enough --------------------------------------------------------

# Krejcie & Morgan (1970): chi-square for 1 degree of freedom at 95 % confidence, the
# population's proportion taken as 0.5 (the largest sample), and a 5 % margin of error.
KM_CHI_SQUARE = 3.841
KM_P = 0.5
KM_MARGIN = 0.05


def krejcie_morgan(population: int) -> int:
    """The sample size for a population: s = X²NP(1−P) / (d²(N−1) + X²P(1−P)), rounded to the
    nearest whole respondent, as the published table is (50 → 44, 100 → 80, 500 → 217,
    1,000 → 278, 10,000 → 370; rounding up would give 45 and 218)."""
    if population < 0:
        raise ValueError("a population is not negative")
    if population == 0:
        return 0
    x2pq = KM_CHI_SQUARE * KM_P * (1 - KM_P)
    s = x2pq * population / (KM_MARGIN ** 2 * (population - 1) + x2pq)
    return min(population, int(Decimal(repr(s)).quantize(Decimal(1), ROUND_HALF_UP)))
