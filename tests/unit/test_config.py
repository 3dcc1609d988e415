"""The hall config loader: the example hall, and broken files refused with a clear message."""

from __future__ import annotations

import datetime as dt
import re
import subprocess
import sys
import tomllib
from collections.abc import Callable
from pathlib import Path

import pytest
from PIL import Image

from shared.config import (
    PREFIX_RE,
    ConfigError,
    HallConfig,
    example_config_path,
    load_config,
    loads_config,
)

ROOT = Path(__file__).resolve().parents[2]
ANTREAN = Path(sys.executable).with_name("antrean")

# The smallest valid hall; each broken-config case below changes one thing in it.
BASE = """\
[mpp]
name = "MPP Uji"
kabupaten = "Kabupaten Uji"

[schedule.hours]
mon = "08:00-15:00"
fri = "08:00-11:00"

[[schedule.breaks]]
day = "mon"
time = "12:00-13:00"

[[holidays]]
date = 2026-12-25
name = "Hari Raya Natal"

[rules]
cutoff_minutes = 30

[voice]
rate = 150

[[agencies]]
code = "DUKCAPIL"
name = "Dinas Kependudukan dan Pencatatan Sipil"

[[agencies]]
code = "SAMSAT"
name = "Samsat"

[[queues]]
prefix = "KTP"
priority_every = 3

[[queues]]
prefix = "S"

[[services]]
code = "ktp"
name = "Perekaman KTP-el"
agency = "DUKCAPIL"
queue = "KTP"
standard_minutes = 10
daily_quota = 400

[[services]]
code = "pkb"
name = "Pajak kendaraan tahunan"
agency = "SAMSAT"
queue = "S"
standard_minutes = 7

[[counters]]
number = 1
agency = "DUKCAPIL"
queues = ["KTP"]

[[counters]]
number = 2
agency = "SAMSAT"
queues = ["S"]
"""

AGENCY_DUKCAPIL = 'code = "DUKCAPIL"\nname = "Dinas Kependudukan dan Pencatatan Sipil"\n'
SERVICE_KTP = 'code = "ktp"\nname = "Perekaman KTP-el"\nagency = "DUKCAPIL"\nqueue = "KTP"\n'
COUNTER_1 = 'number = 1\nagency = "DUKCAPIL"\nqueues = ["KTP"]\n'

# The agencies local news named at the hall's opening, by their codes in the example.
NAMED_AT_OPENING = {
    "DPMPTSP", "DUKCAPIL", "BKD", "DPUPR", "DISHUB", "PN", "KEJARI", "POLRES", "SAMSAT",
    "BANKJATENG", "BRI", "KPP", "BPOM", "BPJSKES", "BPJSTK", "TASPEN", "BPN", "JASARAHARJA",
    "POS", "PEGADAIAN",
}


def edit(old: str, new: str) -> Callable[[str], str]:
    """A change to BASE that must find exactly one place to apply."""

    def apply(text: str) -> str:
        assert text.count(old) == 1, f"test bug: {old!r} occurs {text.count(old)} times"
        return text.replace(old, new)

    return apply


def edits(*changes: Callable[[str], str]) -> Callable[[str], str]:
    def apply(text: str) -> str:
        for change in changes:
            text = change(text)
        return text

    return apply


def in_mpp(line: str) -> Callable[[str], str]:
    """A line added to the [mpp] table."""
    return edit('kabupaten = "Kabupaten Uji"', f'kabupaten = "Kabupaten Uji"\n{line}')


def top(line: str) -> Callable[[str], str]:
    """A top-level key, which TOML only allows before the first table header."""
    return lambda text: f"{line}\n{text}"


def write(tmp_path: Path, text: str, name: str = "hall.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def refused(path: Path) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        load_config(path)
    return info.value


@pytest.fixture(scope="module")
def example() -> HallConfig:
    return load_config(example_config_path())


@pytest.fixture(scope="module")
def example_raw() -> dict:
    return tomllib.loads(example_config_path().read_text(encoding="utf-8"))


# --- the example hall ------------------------------------------------------------------------


def test_example_is_the_marked_sukoharjo_hall(example: HallConfig) -> None:
    assert example_config_path() == ROOT / "shared" / "examples" / "sukoharjo.toml"
    assert example.mpp.example is True
    assert "Sevaka Bhakti Wijaya" in example.mpp.name
    assert example.mpp.kabupaten == "Kabupaten Sukoharjo"
    assert "Jombor" in example.mpp.address and "Bendosari" in example.mpp.address
    assert example.mpp.timezone == "Asia/Jakarta"
    assert example.mpp.running_text.strip()
    assert "\n" not in example.mpp.running_text  # one line for the ticker
    first_lines = example_config_path().read_text(encoding="utf-8").splitlines()[:3]
    assert "EXAMPLE" in first_lines[0] and "NOT OFFICIAL" in first_lines[0]


def test_example_documents_the_web_address_for_the_ticket_qr(example: HallConfig) -> None:
    # A placeholder under the reserved .example domain: no real hall's QR points at it.
    assert example.mpp.public_url == "https://antrean.sukoharjo.example"


def test_example_has_32_agencies_including_those_named_at_the_opening(
    example: HallConfig,
) -> None:
    assert len(example.agencies) == 32
    assert set(example.agencies) >= NAMED_AT_OPENING
    for agency in example.agencies.values():
        assert 0 < len(agency.short_name) <= 22, agency.code  # fits a kiosk button
        assert example.services_of(agency.code), f"{agency.code} offers no service"
        assert any(c.agency == agency.code for c in example.counters.values()), agency.code


def test_example_has_about_140_services(example: HallConfig) -> None:
    assert 130 <= len(example.services) <= 150
    for service in example.services.values():
        assert 1 <= service.standard_minutes <= 60, service.code
        assert service.name.strip()
    with_requirements = [s for s in example.services.values() if s.requirements]
    assert len(with_requirements) >= len(example.services) // 2


def test_example_counters_serve_only_their_own_agencys_queues(example: HallConfig) -> None:
    for counter in example.counters.values():
        for prefix in counter.queues:
            services = example.services_in_queue(prefix)
            assert services, f"loket {counter.number} serves queue {prefix} that has no service"
            wrong = {s.agency for s in services} - {counter.agency}
            assert not wrong, f"loket {counter.number} ({counter.agency}): {prefix} of {wrong}"


def test_example_every_service_can_be_called_at_some_counter(example: HallConfig) -> None:
    for service in example.services.values():
        assert example.counters_for_queue(service.queue), service.code


def test_example_numbering_is_unique_and_well_formed(example_raw: dict) -> None:
    # The loader keys everything by code, so look at the file itself for duplicates.
    prefixes = [q["prefix"] for q in example_raw["queues"]]
    assert len(prefixes) == len(set(prefixes))
    assert all(PREFIX_RE.match(p) for p in prefixes)
    codes = [s["code"] for s in example_raw["services"]]
    assert len(codes) == len(set(codes))
    agencies = [a["code"] for a in example_raw["agencies"]]
    assert len(agencies) == len(set(agencies))
    numbers = sorted(c["number"] for c in example_raw["counters"])
    assert numbers == list(range(1, len(numbers) + 1))  # loket 1..N, no gaps
    assert 35 <= len(numbers) <= 45


def test_example_queues_policies_and_quotas(example: HallConfig) -> None:
    policies = [q.policy for q in example.queues.values()]
    assert policies.count("interleave") > len(policies) // 2
    assert "strict_priority" in policies
    assert all(
        q.priority_every == 3 for q in example.queues.values() if q.policy == "interleave"
    )
    dukcapil = [c for c in example.counters.values() if c.agency == "DUKCAPIL"]
    assert len(dukcapil) >= 3
    assert example.services["dukcapil-ktp-rekam"].daily_quota == 400
    assert example.services["polres-sim"].daily_quota == 50
    assert example.services["dukcapil-ktp-rekam"].requirements


def test_example_hall_hours(example: HallConfig) -> None:
    monday = dt.date(2026, 11, 30)
    hours = [example.schedule.hours_on(monday + dt.timedelta(days=i)) for i in range(7)]
    assert [str(h) if h else None for h in hours] == [
        "08:00-15:00", "08:00-15:00", "08:00-15:00", "08:00-15:00", "08:00-11:00", None, None,
    ]
    noon = dt.time(12, 30)
    for day in range(4):  # the ISHOMA break, Monday to Thursday
        moment = dt.datetime.combine(monday + dt.timedelta(days=day), noon)
        assert example.schedule.break_at(moment) is not None
    friday = monday + dt.timedelta(days=4)
    assert not example.schedule.breaks.get(friday.weekday())  # closes before Friday prayer


def test_example_agencies_open_only_on_some_days(example: HallConfig) -> None:
    def open_days(service_code: str) -> set[int]:
        return set(example.schedule_for(example.services[service_code]).open)

    assert open_days("imigrasi-paspor-baru") == {1, 3}  # Tuesday, Thursday
    assert open_days("pa-informasi") == {0, 2}  # Monday, Wednesday
    assert open_days("dukcapil-ktp-rekam") == {0, 1, 2, 3, 4}
    # Imigrasi lists its own hours, so it keeps the hall's lunch break ...
    tuesday_noon = dt.datetime(2026, 12, 1, 12, 30)
    imigrasi = example.schedule_for(example.services["imigrasi-paspor-baru"])
    assert imigrasi.break_at(tuesday_noon) is not None
    # ... and the banks opt out of it with `breaks = []`.
    bank = example.schedule_for(example.services["bankjateng-rekening"])
    assert bank.break_at(tuesday_noon) is None
    assert bank.hours_on(tuesday_noon.date()) == example.schedule.hours_on(tuesday_noon.date())


def test_example_holidays_2026_and_2027(example: HallConfig) -> None:
    years = {d.year for d in example.holidays}
    assert years == {2026, 2027}
    for year in (2026, 2027):
        assert dt.date(year, 8, 17) in example.holidays
        assert dt.date(year, 12, 25) in example.holidays
        assert sum(d.year == year for d in example.holidays) >= 15
    assert all(name.strip() for name in example.holidays.values())


def test_example_rules_and_voice_are_the_defaults_spelled_out(example: HallConfig) -> None:
    text = re.sub(r"(?ms)^\[rules\]\n.*?^\n|^\[voice\]\n.*?^\n", "", BASE)
    assert "[rules]" not in text and "[voice]" not in text
    defaults = loads_config(text)
    assert example.rules == defaults.rules
    assert example.voice == defaults.voice


def test_example_logos_are_square_pngs(example: HallConfig) -> None:
    logos = [example.mpp.logo] + [a.logo for a in example.agencies.values()]
    for logo in logos:
        assert logo is not None
        with Image.open(ROOT / logo) as img:
            assert img.format == "PNG"
            assert img.size == (256, 256)


# --- broken files ----------------------------------------------------------------------------


def test_base_config_is_valid() -> None:
    # Otherwise the broken-config cases below could fail for a reason other than their own.
    cfg = loads_config(BASE, "base.toml")
    assert set(cfg.agencies) == {"DUKCAPIL", "SAMSAT"}
    assert cfg.counters[1].queues == ("KTP",)


BROKEN: list[tuple[str, Callable[[str], str], str, str]] = [
    # (case, change to BASE, field path, part of the problem)
    ("syntax error", edit('name = "MPP Uji"', 'name = "MPP Uji'), "(syntax)", "at line 2"),
    ("duplicate key", edit('rate = 150', 'rate = 150\nrate = 160'), "(syntax)", "line"),
    ("missing mpp", edit('[mpp]\nname = "MPP Uji"\nkabupaten = "Kabupaten Uji"\n', ""),
     "mpp", "is required"),
    ("missing mpp name", edit('name = "MPP Uji"\n', ""), "mpp.name", "is required"),
    ("missing service name", edit('name = "Perekaman KTP-el"\n', ""),
     "services[0].name", "is required"),
    ("missing standard minutes", edit("standard_minutes = 7\n", ""),
     "services[1].standard_minutes", "is required"),
    ("missing counter queues", edit('queues = ["S"]\n', ""), "counters[1].queues", "is required"),
    ("empty name", edit('name = "Samsat"', 'name = "  "'), "agencies[1].name", "must not be empty"),
    ("string for a number", edit("standard_minutes = 10", 'standard_minutes = "10"'),
     "services[0].standard_minutes", "must be a whole number, not str"),
    ("bool for a number", edit("daily_quota = 400", "daily_quota = true"),
     "services[0].daily_quota", "must be a whole number, not a boolean"),
    ("float for a whole number", edit("rate = 150", "rate = 150.5"),
     "voice.rate", "must be a whole number, not float"),
    ("bool for a volume", edit("rate = 150", "volume = true"),
     "voice.volume", "not a boolean"),
    ("number for text", edit('kabupaten = "Kabupaten Uji"', "kabupaten = 12"),
     "mpp.kabupaten", "must be text, not int"),
    ("string for a bool", edit('name = "MPP Uji"', 'name = "MPP Uji"\nexample = "ya"'),
     "mpp.example", "must be true or false, not str"),
    # Top-level keys must come before the first table header.
    ("table expected", edits(edit("[rules]\ncutoff_minutes = 30\n", ""), top('rules = "ketat"')),
     "rules", "must be a table"),
    ("list of tables expected", edits(
        edit('[[holidays]]\ndate = 2026-12-25\nname = "Hari Raya Natal"\n', ""),
        top('holidays = "libur"'),
     ), "holidays", "must be a list of tables"),
    ("holiday as text", edit("date = 2026-12-25", 'date = "2026-12-25"'),
     "holidays[0].date", "must be date, not str"),
    ("holiday with a time", edit("date = 2026-12-25", "date = 2026-12-25T08:00:00"),
     "holidays[0].date", "not a time"),
    ("requirements not text", edit("daily_quota = 400", "daily_quota = 400\nrequirements = [1]"),
     "services[0].requirements", "must be a list of text"),
    ("unknown agency in a service", edit('agency = "SAMSAT"\nqueue = "S"',
                                         'agency = "SAMSATT"\nqueue = "S"'),
     "services[1].agency", 'no agency with code "SAMSATT"'),
    ("unknown queue in a service", edit('queue = "S"\nstandard', 'queue = "SS"\nstandard'),
     "services[1].queue", 'no queue with prefix "SS"'),
    ("unknown agency in a counter", edit('agency = "SAMSAT"\nqueues', 'agency = "BRI"\nqueues'),
     "counters[1].agency", 'no agency with code "BRI"'),
    ("unknown queue in a counter", edit('queues = ["S"]', 'queues = ["S", "X"]'),
     "counters[1].queues[1]", 'no queue with prefix "X"'),
    ("counter queue not text", edit('queues = ["S"]', "queues = [2]"),
     "counters[1].queues[0]", "must be a queue prefix (text), not int"),
    ("counter queue a list", edit('queues = ["S"]', 'queues = [["S"]]'),
     "counters[1].queues[0]", "must be a queue prefix (text), not list"),
    ("counter without queues", edit('queues = ["S"]', "queues = []"),
     "counters[1].queues", "at least one queue"),
    ("counter serving another agency", edit('queues = ["KTP"]', 'queues = ["KTP", "S"]'),
     "counters[0].queues[1]", 'queue "S" holds services of agency "SAMSAT", '
     'not of this counter\'s agency "DUKCAPIL"'),
    ("queue shared by two agencies", edit('queue = "S"\nstandard', 'queue = "KTP"\nstandard'),
     "services[1].queue", 'queue "KTP" already holds services of agency "DUKCAPIL"'),
    ("queue no counter serves", edits(
        edit('prefix = "S"\n', 'prefix = "S"\n\n[[queues]]\nprefix = "B"\n'),
        edit('queue = "S"\nstandard', 'queue = "B"\nstandard'),
     ), "services[1].queue", 'no counter serves queue "B"'),
    ("duplicate agency code", edit('code = "SAMSAT"', 'code = "DUKCAPIL"'),
     "agencies[1]", "duplicate 'DUKCAPIL'"),
    ("duplicate queue prefix", edit('prefix = "S"', 'prefix = "KTP"'),
     "queues[1]", "duplicate 'KTP'"),
    ("duplicate service code", edit('code = "pkb"', 'code = "ktp"'),
     "services[1]", "duplicate 'ktp'"),
    ("duplicate counter number", edit("number = 2", "number = 1"),
     "counters[1]", "duplicate 1"),
    ("duplicate holiday", edit('name = "Hari Raya Natal"',
                               'name = "Hari Raya Natal"\n\n[[holidays]]\ndate = 2026-12-25'),
     "holidays[1].date", "duplicate holiday 2026-12-25"),
    ("bad agency code", edit('code = "SAMSAT"', 'code = "SAMSAT JATENG"'),
     "agencies[1].code", "use 1-32 letters, digits"),
    ("time range backwards", edit('mon = "08:00-15:00"', 'mon = "15:00-08:00"'),
     "schedule.hours.mon", '"15:00-08:00" ends before it starts'),
    ("time range empty", edit('mon = "08:00-15:00"', 'mon = "08:00-08:00"'),
     "schedule.hours.mon", "ends before it starts"),
    ("time range malformed", edit('mon = "08:00-15:00"', 'mon = "08.00-15.00"'),
     "schedule.hours.mon", 'must be a time range such as "08:00-15:00", not "08.00-15.00"'),
    ("time range not text", edit('mon = "08:00-15:00"', "mon = 8"),
     "schedule.hours.mon", "must be a time range"),
    ("time of day invalid", edit('mon = "08:00-15:00"', 'mon = "08:00-25:00"'),
     "schedule.hours.mon", '"08:00-25:00" is not a valid time of day'),
    ("bad break time", edit('time = "12:00-13:00"', 'time = "13:00-12:00"'),
     "schedule.breaks[0].time", "ends before it starts"),
    ("break without time", edit('time = "12:00-13:00"\n', ""),
     "schedule.breaks[0].time", "must be a time range"),
    ("hall never open", edit('mon = "08:00-15:00"\nfri = "08:00-11:00"\n', ""),
     "schedule.hours", "open on at least one day"),
    ("unknown weekday", edit('mon = "08:00-15:00"', 'senin = "08:00-15:00"'),
     "schedule.hours.senin", "unknown day; use mon, tue, wed, thu, fri, sat, sun"),
    ("unknown break weekday", edit('day = "mon"', 'day = "jumat"'),
     "schedule.breaks[0].day", "unknown day"),
    ("unknown agency weekday", edit('name = "Samsat"\n',
                                    'name = "Samsat"\n[agencies.hours]\nmonday = "08:00-12:00"\n'),
     "agencies[1].hours.monday", "unknown day"),
    ("agency never open", edit('name = "Samsat"\n', 'name = "Samsat"\nhours = {}\n'),
     "agencies[1].hours", "must list at least one day"),
    ("unknown time zone", edit('kabupaten = "Kabupaten Uji"',
                               'kabupaten = "Kabupaten Uji"\ntimezone = "Asia/Jakartaa"'),
     "mpp.timezone", 'unknown time zone "Asia/Jakartaa"'),
    ("time zone not a zone", edit('kabupaten = "Kabupaten Uji"',
                                  'kabupaten = "Kabupaten Uji"\ntimezone = "WIB+7"'),
     "mpp.timezone", "unknown time zone"),
    ("prefix lower case", edit('prefix = "S"', 'prefix = "s"'),
     "queues[1].prefix", "use 1-4 capital letters or digits"),
    ("prefix too long", edit('prefix = "S"', 'prefix = "SAMSA"'),
     "queues[1].prefix", "use 1-4 capital letters or digits"),
    ("prefix with a dash", edit('prefix = "S"', 'prefix = "S-1"'),
     "queues[1].prefix", "use 1-4 capital letters or digits"),
    ("unknown policy", edit("priority_every = 3", 'priority_every = 3\npolicy = "lifo"'),
     "queues[0].policy", "must be one of fifo, strict_priority, interleave"),
    ("standard minutes zero", edit("standard_minutes = 10", "standard_minutes = 0"),
     "services[0].standard_minutes", "must be between 1 and 480, not 0"),
    ("quota zero", edit("daily_quota = 400", "daily_quota = 0"),
     "services[0].daily_quota", "must be between 1 and 100000, not 0"),
    ("priority every zero", edit("priority_every = 3", "priority_every = 0"),
     "queues[0].priority_every", "must be between 1 and 100, not 0"),
    ("cutoff too long", edit("cutoff_minutes = 30", "cutoff_minutes = 300"),
     "rules.cutoff_minutes", "must be between 0 and 240, not 300"),
    ("negative counter number", edit("number = 2", "number = -2"),
     "counters[1].number", "must be between 1 and 999, not -2"),
    ("volume too loud", edit("rate = 150", "volume = 1.5"),
     "voice.volume", "must be between 0.0 and 1.0"),
    ("repeat too often", edit("rate = 150", "repeat = 4"),
     "voice.repeat", "must be between 1 and 3, not 4"),
    ("unknown voice style", edit("rate = 150", 'style = "sing"'),
     "voice.style", 'must be "digits" or "words"'),
    ("template without counter", edit("rate = 150", 'template = "Nomor {number}"'),
     "voice.template", "must contain {number} and {counter}"),
    # A misspelt key, in every table of the schema: refused with the nearest valid key, never
    # ignored (an ignored `daily_qouta` is an unlimited quota).
    ("misspelt quota", edit("daily_quota = 400", "daily_qouta = 400"),
     "services[0].daily_qouta", 'unknown key; did you mean "daily_quota"?'),
    ("misspelt cut-off", edit("cutoff_minutes = 30", "cutof_minutes = 30"),
     "rules.cutof_minutes", 'did you mean "cutoff_minutes"?'),
    ("misspelt time zone", edit('kabupaten = "Kabupaten Uji"',
                                'kabupaten = "Kabupaten Uji"\ntimezon = "Asia/Jakarta"'),
     "mpp.timezon", 'did you mean "timezone"?'),
    ("misspelt table", edit("[rules]", "[rule]"), "rule", 'did you mean "rules"?'),
    ("misspelt schedule key", edit("[schedule.hours]", "[schedule.hour]"),
     "schedule.hour", 'did you mean "hours"?'),
    ("misspelt weekday", edit('mon = "08:00-15:00"', 'monday = "08:00-15:00"'),
     "schedule.hours.monday", 'unknown day; did you mean "mon"?'),
    ("misspelt break key", edit('time = "12:00-13:00"', 'tme = "12:00-13:00"'),
     "schedule.breaks[0].tme", 'did you mean "time"?'),
    ("misspelt holiday key", edit('name = "Hari Raya Natal"', 'nama = "Hari Raya Natal"'),
     "holidays[0].nama", 'did you mean "name"?'),
    ("misspelt agency key", edit('code = "SAMSAT"', 'code = "SAMSAT"\nshortname = "Samsat"'),
     "agencies[1].shortname", 'did you mean "short_name"?'),
    ("misspelt queue key", edit("priority_every = 3", "priority_evry = 3"),
     "queues[0].priority_evry", 'did you mean "priority_every"?'),
    ("misspelt standard time", edit("standard_minutes = 7", "standard_minute = 7"),
     "services[1].standard_minute", 'did you mean "standard_minutes"?'),
    ("misspelt counter key", edit('queues = ["KTP"]', 'queue = ["KTP"]'),
     "counters[0].queue", 'did you mean "queues"?'),
    ("misspelt voice key", edit("rate = 150", "rat = 150"),
     "voice.rat", 'did you mean "rate"?'),
    # The web station's address for the ticket's QR: http(s), a host, no query or fragment.
    ("public_url not http", in_mpp('public_url = "ftp://10.0.0.5"'),
     "mpp.public_url", "must be an http:// or https:// address"),
    ("public_url without a host", in_mpp('public_url = "https://"'),
     "mpp.public_url", "must be an http:// or https:// address"),
    ("public_url bare host", in_mpp('public_url = "antrean.mpp.go.id"'),
     "mpp.public_url", "must be an http:// or https:// address"),
    ("public_url with a query", in_mpp('public_url = "https://antrean.mpp.go.id/?hall=1"'),
     "mpp.public_url", "must not have a query or fragment"),
    ("public_url with a fragment", in_mpp('public_url = "https://antrean.mpp.go.id#top"'),
     "mpp.public_url", "must not have a query or fragment"),
    ("public_url with a space", in_mpp('public_url = "https://antrean mpp.go.id"'),
     "mpp.public_url", "without spaces"),
    ("public_url bad port", in_mpp('public_url = "http://10.0.0.5:80800"'),
     "mpp.public_url", "bad port"),
    ("public_url too long", in_mpp('public_url = "https://antrean.example/' + "a" * 80 + '"'),
     "mpp.public_url", "must be at most 100 characters, not 104"),
    ("public_url not text", in_mpp('public_url = 8080'),
     "mpp.public_url", "must be text, not int"),
    ("misspelt public_url", in_mpp('public_uri = "https://antrean.mpp.go.id"'),
     "mpp.public_uri", 'did you mean "public_url"?'),
    ("key like nothing valid", edit("rate = 150", "rate = 150\nzzz = 1"),
     "voice.zzz", "unknown key; use language, style, template, english_template, rate,"),
]


@pytest.mark.parametrize(
    ("change", "field_path", "problem"),
    [case[1:] for case in BROKEN],
    ids=[case[0] for case in BROKEN],
)
def test_broken_config_is_refused_naming_file_field_and_problem(
    tmp_path: Path, change: Callable[[str], str], field_path: str, problem: str
) -> None:
    path = write(tmp_path, change(BASE))
    err = refused(path)
    assert err.source == str(path)
    assert err.field_path == field_path
    assert problem in err.problem
    assert str(err) == f"{path}: {field_path}: {err.problem}"
    assert "\n" not in str(err)


def test_unreadable_and_non_utf8_files_are_config_errors(tmp_path: Path) -> None:
    missing = refused(tmp_path / "nowhere.toml")
    assert missing.field_path == "(file)" and "cannot be read" in missing.problem
    assert str(tmp_path / "nowhere.toml") in str(missing)
    latin1 = tmp_path / "latin1.toml"
    latin1.write_bytes(BASE.replace("MPP Uji", "MPP Uji café").encode("latin-1"))
    err = refused(latin1)
    assert err.field_path == "(file)" and "not UTF-8" in err.problem


def test_loads_config_names_its_source() -> None:
    with pytest.raises(ConfigError, match=r"^station-cache\.toml: mpp\.name: is required$"):
        loads_config(BASE.replace('name = "MPP Uji"\n', ""), "station-cache.toml")


# --- schedules ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("written", "kept"), [
    ("https://antrean.mpp.example/", "https://antrean.mpp.example"),
    ("http://192.168.10.5:8080", "http://192.168.10.5:8080"),
    ("https://layanan.example.go.id/antrean/", "https://layanan.example.go.id/antrean"),
])
def test_public_url_is_kept_without_its_trailing_slash(written: str, kept: str) -> None:
    text = edit('kabupaten = "Kabupaten Uji"',
                f'kabupaten = "Kabupaten Uji"\npublic_url = "{written}"')(BASE)
    assert loads_config(text).mpp.public_url == kept
    assert loads_config(BASE).mpp.public_url is None


def test_agency_with_only_breaks_keeps_the_hall_hours() -> None:
    cfg = loads_config(BASE.replace(
        'name = "Samsat"\n',
        'name = "Samsat"\n\n[[agencies.breaks]]\nday = "fri"\ntime = "10:00-10:15"\n',
    ))
    samsat = cfg.agencies["SAMSAT"].schedule
    assert samsat is not None
    assert samsat.open == cfg.schedule.open  # not closed all week
    friday = dt.datetime(2026, 12, 4, 10, 5)
    assert samsat.break_at(friday) is not None
    assert samsat.break_at(dt.datetime(2026, 11, 30, 12, 30)) is None  # its own breaks only


def test_agency_with_only_hours_keeps_the_hall_breaks_unless_it_lists_none() -> None:
    hours = '[agencies.hours]\nmon = "08:00-14:00"\n'
    monday_noon = dt.datetime(2026, 11, 30, 12, 30)
    own_hours = loads_config(
        BASE.replace('name = "Samsat"\n', 'name = "Samsat"\n' + hours)
    ).agencies["SAMSAT"]
    assert own_hours.schedule is not None
    assert set(own_hours.schedule.open) == {0}
    assert own_hours.schedule.break_at(monday_noon) is not None
    no_breaks = loads_config(
        BASE.replace('name = "Samsat"\n', 'name = "Samsat"\nbreaks = []\n' + hours)
    ).agencies["SAMSAT"]
    assert no_breaks.schedule is not None
    assert no_breaks.schedule.break_at(monday_noon) is None


def test_service_hours_inherit_from_its_agency() -> None:
    cfg = loads_config(BASE.replace(
        'name = "Samsat"\n', 'name = "Samsat"\n[agencies.hours]\nmon = "08:00-12:00"\n',
    ).replace(
        "standard_minutes = 7\n",
        'standard_minutes = 7\n\n[[services.breaks]]\nday = "mon"\ntime = "09:00-09:30"\n',
    ))
    schedule = cfg.schedule_for(cfg.services["pkb"])
    assert {d: str(r) for d, r in schedule.open.items()} == {0: "08:00-12:00"}
    assert schedule.break_at(dt.datetime(2026, 11, 30, 9, 15)) is not None


# --- the command line --------------------------------------------------------------------------


def run_antrean(*args: str) -> subprocess.CompletedProcess[str]:
    assert ANTREAN.exists(), f"{ANTREAN} is missing: install the project into the venv"
    return subprocess.run(
        [str(ANTREAN), *args], capture_output=True, text=True, timeout=60, check=False
    )


def test_cli_config_check_accepts_the_example() -> None:
    result = run_antrean("config", "check")
    assert result.returncode == 0, result.stderr
    assert "OK" in result.stdout
    assert "32 agencies" in result.stdout
    assert "Traceback" not in result.stderr
    assert "ticket QR: https://antrean.sukoharjo.example/t/<ticket id>-<secret>" in result.stdout


def test_cli_config_check_says_what_the_ticket_qr_holds_without_a_public_url(
        tmp_path: Path) -> None:
    result = run_antrean("config", "check", str(write(tmp_path, BASE)))
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == (
        "ticket QR: ANTREAN:<ticket id> (no [mpp] public_url: a phone cannot open it)")


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (edit('name = "MPP Uji"', 'name = "MPP Uji'), "(syntax): "),
        (edit('queues = ["S"]', 'queues = ["S", "X"]'),
         'counters[1].queues[1]: no queue with prefix "X"'),
        (edit("standard_minutes = 10", 'standard_minutes = "sepuluh"'),
         "services[0].standard_minutes: must be a whole number, not str"),
    ],
    ids=["syntax", "unknown queue", "wrong type"],
)
def test_cli_config_check_refuses_a_broken_file_in_one_line(
    tmp_path: Path, change: Callable[[str], str], expected: str
) -> None:
    path = write(tmp_path, change(BASE), "broken.toml")
    result = run_antrean("config", "check", str(path))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"error: {path}: ")
    assert expected in lines[0]
    assert lines[0].isascii()  # English, no Indonesian UI text


def test_cli_config_check_refuses_a_missing_file(tmp_path: Path) -> None:
    result = run_antrean("config", "check", str(tmp_path / "nowhere.toml"))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith(f"error: {tmp_path / 'nowhere.toml'}: (file): cannot be read")
