"""The hall configuration: a typed, validated model loaded from TOML.

Every option is declared once here. A broken file is refused with a `ConfigError` naming the
file, the field and what is wrong, so IT staff never see a traceback.
"""

from __future__ import annotations

import datetime as dt
import difflib
import hashlib
import re
import tomllib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
ORDERING_POLICIES = ("fifo", "strict_priority", "interleave")
# The groups UU 25/2009 Pasal 29 entitles to special treatment.
PRIORITY_GROUPS = ("lansia", "disabilitas", "ibu_hamil", "anak", "korban_bencana")
PREFIX_RE = re.compile(r"^[A-Z0-9]{1,4}$")
CODE_RE = re.compile(r"^[A-Za-z0-9_-]{1,32}$")

# The ticket's QR holds public_url + "/t/" + the ticket id and secret (~45 more characters); up
# to 100 it stays at full module size on 58 mm paper (tests/unit/test_ticket_layout.py).
PUBLIC_URL_MAX = 100

T = TypeVar("T")


class SettingsError(Exception):
    """A command-line setting a command refuses before it starts anything; the message is one
    line of English. Raised by each command's `check(args)` (the apps', the hub's, the
    tools'), printed by the `antrean` entry point with exit status 2."""


class ConfigError(ValueError):
    """A config file that cannot be used; the message says where and why."""

    def __init__(self, source: str, field_path: str, problem: str) -> None:
        self.source = source
        self.field_path = field_path
        self.problem = problem
        super().__init__(f"{source}: {field_path}: {problem}")


@dataclass(frozen=True)
class TimeRange:
    start: dt.time
    end: dt.time

    def contains(self, t: dt.time) -> bool:
        return self.start <= t < self.end

    def __str__(self) -> str:
        return f"{self.start:%H:%M}-{self.end:%H:%M}"


@dataclass(frozen=True)
class Break:
    range: TimeRange
    label: str


@dataclass(frozen=True)
class Schedule:
    """Opening hours per weekday (0 = Monday); a missing weekday is closed."""

    open: Mapping[int, TimeRange]
    breaks: Mapping[int, tuple[Break, ...]] = field(default_factory=dict)

    def hours_on(self, day: dt.date) -> TimeRange | None:
        return self.open.get(day.weekday())

    def break_at(self, moment: dt.datetime) -> Break | None:
        for b in self.breaks.get(moment.weekday(), ()):
            if b.range.contains(moment.time()):
                return b
        return None


@dataclass(frozen=True)
class Mpp:
    name: str
    kabupaten: str
    address: str
    timezone: str
    logo: str | None
    running_text: str
    example: bool
    # Where phones reach the hall's web station, e.g. "https://antrean.mpp.example":
    # the ticket's QR holds {public_url}/t/{ticket_id}-{secret}. None: the QR holds the plain
    # ticket id (ANTREAN:...), which the counter's scanner reads but a phone cannot open.
    public_url: str | None = None


@dataclass(frozen=True)
class Agency:
    code: str
    name: str
    short_name: str
    logo: str | None
    zone: str | None
    schedule: Schedule | None  # None: the hall's hours


@dataclass(frozen=True)
class Queue:
    prefix: str
    name: str
    policy: str  # one of ORDERING_POLICIES
    priority_every: int  # interleave: one priority ticket after every N regular ones


@dataclass(frozen=True)
class Service:
    code: str
    name: str
    agency: str
    queue: str
    standard_minutes: int
    daily_quota: int | None
    requirements: tuple[str, ...]
    schedule: Schedule | None  # None: the agency's (or the hall's) hours
    cutoff_minutes: int  # no new tickets this long before closing


@dataclass(frozen=True)
class Counter:
    number: int
    name: str
    agency: str
    queues: tuple[str, ...]


@dataclass(frozen=True)
class Rules:
    tickets_from_minutes: int  # kiosks issue this long before opening (07:55 crowds)
    cutoff_minutes: int  # default for services
    transfer_to_front: bool
    returning_no_show_to_front: bool
    estimate_sample: int  # recent finished tickets used for estimated waits
    announce_freshness_seconds: int  # a call older than this is shown, not spoken


@dataclass(frozen=True)
class Voice:
    """The hall voice; `Voice()` is what a config without a [voice] table gets."""

    language: str = "id"  # or "en"
    style: str = "digits"  # "digits" ("A, nol, nol, satu") or "words" ("A satu")
    template: str = "Nomor antrean, {number}. Silakan menuju {counter}."
    english_template: str = "Ticket number, {number}. Please go to {counter}."
    rate: int = 150
    volume: float = 1.0
    repeat: int = 1


@dataclass(frozen=True)
class HallConfig:
    mpp: Mpp
    schedule: Schedule
    holidays: Mapping[dt.date, str]
    agencies: Mapping[str, Agency]
    queues: Mapping[str, Queue]
    services: Mapping[str, Service]
    counters: Mapping[int, Counter]
    rules: Rules
    voice: Voice
    source: str = "<memory>"
    digest: str = ""
    # The TOML text it was loaded from, so the hub can serve the very same file to stations.
    raw_toml: bytes = field(default=b"", repr=False, compare=False)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.mpp.timezone)

    def service_day(self, moment: dt.datetime) -> dt.date:
        """The hall-local date a moment belongs to; numbers restart at local midnight."""
        return moment.astimezone(self.tz).date()

    def schedule_for(self, service: Service) -> Schedule:
        if service.schedule is not None:
            return service.schedule
        agency = self.agencies[service.agency]
        return agency.schedule if agency.schedule is not None else self.schedule

    def services_of(self, agency: str) -> list[Service]:
        return [s for s in self.services.values() if s.agency == agency]

    def services_in_queue(self, prefix: str) -> list[Service]:
        return [s for s in self.services.values() if s.queue == prefix]

    def counters_for_queue(self, prefix: str) -> list[Counter]:
        return [c for c in self.counters.values() if prefix in c.queues]


# --- the keys of each table ------------------------------------------------------------------
# A key not listed for its table is refused, naming the nearest valid one: a misspelt
# `daily_qouta` silently ignored would be an unlimited quota nobody asked for. Where a table
# maps onto a dataclass field for field, the keys are its fields.

TOP_KEYS = ("mpp", "schedule", "holidays", "agencies", "queues", "services", "counters",
            "rules", "voice")
MPP_KEYS = tuple(f.name for f in fields(Mpp))
SCHEDULE_KEYS = ("hours", "breaks")
BREAK_KEYS = ("day", "time", "label")
HOLIDAY_KEYS = ("date", "name")
AGENCY_KEYS = ("code", "name", "short_name", "logo", "zone", *SCHEDULE_KEYS)
QUEUE_KEYS = tuple(f.name for f in fields(Queue))
SERVICE_KEYS = ("code", "name", "agency", "queue", "standard_minutes", "daily_quota",
                "requirements", "cutoff_minutes", *SCHEDULE_KEYS)
COUNTER_KEYS = tuple(f.name for f in fields(Counter))
RULES_KEYS = tuple(f.name for f in fields(Rules))
VOICE_KEYS = tuple(f.name for f in fields(Voice))


def unknown_key_problem(key: str, valid: Iterable[str], what: str = "key") -> str:
    """'unknown key; did you mean "daily_quota"?' (difflib's nearest), or the valid keys."""
    choices = list(valid)
    near = difflib.get_close_matches(key, choices, n=1, cutoff=0.6)
    if near:
        return f'unknown {what}; did you mean "{near[0]}"?'
    return f"unknown {what}; use {', '.join(choices)}"


# --- loading -------------------------------------------------------------------------------


class _Reader:
    """Reads typed fields out of a TOML table, raising ConfigError with a dotted path."""

    def __init__(self, source: str) -> None:
        self.source = source
        # id(table) -> its declared keys, so reading an undeclared key is caught as a bug.
        self._declared: dict[int, tuple[str, ...]] = {}

    def fail(self, path: str, problem: str) -> ConfigError:
        return ConfigError(self.source, path, problem)

    def known(self, data: Mapping[str, Any], path: str, keys: tuple[str, ...]) -> None:
        """Refuse any key of this table that is not one of `keys`."""
        for key in data:
            if key not in keys:
                raise self.fail(_join(path, key), unknown_key_problem(key, keys))
        self._declared[id(data)] = keys

    def table(self, data: Mapping[str, Any], key: str, path: str) -> Mapping[str, Any]:
        value = data.get(key, {})
        if not isinstance(value, Mapping):
            raise self.fail(_join(path, key), "must be a table")
        return value

    def table_of(self, data: Mapping[str, Any], key: str, path: str,
                 keys: tuple[str, ...]) -> Mapping[str, Any]:
        """A sub-table whose keys must be `keys`."""
        value = self.table(data, key, path)
        self.known(value, _join(path, key), keys)
        return value

    def get(
        self,
        data: Mapping[str, Any],
        key: str,
        path: str,
        kind: type[T] | tuple[type, ...],
        default: Any = ...,
    ) -> Any:
        where = _join(path, key)
        declared = self._declared.get(id(data))
        assert declared is None or key in declared, f"{where} is read but not declared"
        if key not in data:
            if default is ...:
                raise self.fail(where, "is required")
            return default
        value = data[key]
        # bool is an int in Python; a TOML `true` where a number belongs is a mistake.
        if isinstance(value, bool) and kind is not bool and not (
            isinstance(kind, tuple) and bool in kind
        ):
            raise self.fail(where, f"must be {_kind_name(kind)}, not a boolean")
        if not isinstance(value, kind):
            raise self.fail(where, f"must be {_kind_name(kind)}, not {type(value).__name__}")
        return value

    def text(self, data: Mapping[str, Any], key: str, path: str, default: Any = ...) -> Any:
        value = self.get(data, key, path, str, default)
        if isinstance(value, str) and not value.strip() and default is ...:
            raise self.fail(_join(path, key), "must not be empty")
        return value

    def number(
        self, data: Mapping[str, Any], key: str, path: str, low: int, high: int, default: Any = ...
    ) -> Any:
        value = self.get(data, key, path, int, default)
        if isinstance(value, int) and not low <= value <= high:
            raise self.fail(_join(path, key), f"must be between {low} and {high}, not {value}")
        return value

    def time_range(self, value: Any, path: str) -> TimeRange:
        if not isinstance(value, str):
            raise self.fail(path, 'must be a time range such as "08:00-15:00"')
        m = re.fullmatch(r"\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*", value)
        if not m:
            raise self.fail(path, f'must be a time range such as "08:00-15:00", not "{value}"')
        h1, m1, h2, m2 = (int(g) for g in m.groups())
        try:
            start, end = dt.time(h1, m1), dt.time(h2, m2)
        except ValueError:
            raise self.fail(path, f'"{value}" is not a valid time of day') from None
        if end <= start:
            raise self.fail(path, f'"{value}" ends before it starts')
        return TimeRange(start, end)

    def schedule(
        self, data: Mapping[str, Any], path: str, parent: Schedule | None = None
    ) -> Schedule:
        """Opening hours and breaks. With a `parent` (for an agency's or a service's own table), a
        missing `hours` or `breaks` key inherits the parent's: an agency that lists only its own
        breaks keeps the hall's hours, one that lists only its hours keeps the hall's breaks
        (write `breaks = []` for none)."""
        opening: dict[int, TimeRange] = {}
        breaks: dict[int, tuple[Break, ...]] = {}
        if parent is not None and "hours" not in data:
            opening = dict(parent.open)
        hours = self.table(data, "hours", path)
        if parent is not None and "hours" in data and not hours:
            raise self.fail(_join(path, "hours"), "must list at least one day")
        for key in hours:
            if key not in WEEKDAYS:
                raise self.fail(_join(path, "hours", key),
                                unknown_key_problem(key, WEEKDAYS, "day"))
            opening[WEEKDAYS.index(key)] = self.time_range(hours[key], _join(path, "hours", key))
        if parent is not None and "breaks" not in data:
            return Schedule(opening, dict(parent.breaks))
        raw_breaks = data.get("breaks", [])
        if not isinstance(raw_breaks, list):
            raise self.fail(_join(path, "breaks"), "must be a list of tables")
        found: dict[int, list[Break]] = {}
        for i, item in enumerate(raw_breaks):
            where = f"{_join(path, 'breaks')}[{i}]"
            if not isinstance(item, Mapping):
                raise self.fail(where, "must be a table with day, time and label")
            self.known(item, where, BREAK_KEYS)
            day = self.text(item, "day", where)
            if day not in WEEKDAYS:
                raise self.fail(_join(where, "day"), unknown_key_problem(day, WEEKDAYS, "day"))
            rng = self.time_range(item.get("time"), _join(where, "time"))
            label = self.text(item, "label", where, "Istirahat")
            found.setdefault(WEEKDAYS.index(day), []).append(Break(rng, label))
        for day_index, items in found.items():
            breaks[day_index] = tuple(items)
        return Schedule(opening, breaks)


def _public_url(value: str | None, r: _Reader) -> str | None:
    """The web station's address as phones see it: http(s), a host, maybe a path under which
    the station is served; no query or fragment (the ticket's path goes after it). Kept
    without a trailing slash."""
    if value is None:
        return None
    where = "mpp.public_url"
    url = value.strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise r.fail(where, f'must be an http:// or https:// address such as '
                            f'"https://antrean.mpp.example", not "{value}"')
    if parts.query or parts.fragment or "?" in url or "#" in url:
        raise r.fail(where, f'must not have a query or fragment ("?" or "#"): "{value}"')
    if parts.username is not None or any(c.isspace() for c in url):
        raise r.fail(where, f'must be a plain address without spaces or a user name: "{value}"')
    if len(url.rstrip("/")) > PUBLIC_URL_MAX:
        raise r.fail(where, f"must be at most {PUBLIC_URL_MAX} characters, not {len(url)}: a "
                            f"longer address makes the ticket's QR code too dense to print")
    try:
        parts.port  # noqa: B018 - raises for a port that is not a number or out of range
    except ValueError:
        raise r.fail(where, f'has a bad port number: "{value}"') from None
    return url.rstrip("/")


def _join(path: str, *keys: str) -> str:
    return ".".join(k for k in (path, *keys) if k)


def _kind_name(kind: type | tuple[type, ...]) -> str:
    names = {str: "text", int: "a whole number", float: "a number", bool: "true or false",
             list: "a list", dict: "a table"}
    kinds = kind if isinstance(kind, tuple) else (kind,)
    return " or ".join(names.get(k, k.__name__) for k in kinds)


def _agency_schedule(agency: Agency, hall: Schedule) -> Schedule:
    return agency.schedule if agency.schedule is not None else hall


def _unique(items: list[T], key: Callable[[T], Any], path: str, r: _Reader) -> dict[Any, T]:
    out: dict[Any, T] = {}
    for i, item in enumerate(items):
        k = key(item)
        if k in out:
            raise r.fail(f"{path}[{i}]", f"duplicate {k!r}")
        out[k] = item
    return out


def _list_of_tables(data: Mapping[str, Any], key: str, r: _Reader) -> list[Mapping[str, Any]]:
    value = data.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, Mapping) for v in value):
        raise r.fail(key, f"must be a list of tables ([[{key}]])")
    return value


def parse_config(data: Mapping[str, Any], source: str = "<memory>") -> HallConfig:
    r = _Reader(source)
    r.known(data, "", TOP_KEYS)
    m = r.table_of(data, "mpp", "", MPP_KEYS)
    if "mpp" not in data:
        raise r.fail("mpp", "is required")
    timezone = r.text(m, "timezone", "mpp", "Asia/Jakarta")
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise r.fail("mpp.timezone", f'unknown time zone "{timezone}"') from None
    mpp = Mpp(
        name=r.text(m, "name", "mpp"),
        kabupaten=r.text(m, "kabupaten", "mpp"),
        address=r.text(m, "address", "mpp", ""),
        timezone=timezone,
        logo=r.get(m, "logo", "mpp", str, None),
        running_text=r.text(m, "running_text", "mpp", ""),
        example=r.get(m, "example", "mpp", bool, False),
        public_url=_public_url(r.get(m, "public_url", "mpp", str, None), r),
    )
    schedule = r.schedule(r.table_of(data, "schedule", "", SCHEDULE_KEYS), "schedule")
    if not schedule.open:
        raise r.fail("schedule.hours", "the hall must be open on at least one day")

    holidays: dict[dt.date, str] = {}
    for i, h in enumerate(_list_of_tables(data, "holidays", r)):
        where = f"holidays[{i}]"
        r.known(h, where, HOLIDAY_KEYS)
        when = r.get(h, "date", where, dt.date)
        if isinstance(when, dt.datetime):
            raise r.fail(_join(where, "date"), "must be a date such as 2026-12-25, not a time")
        if when in holidays:
            raise r.fail(_join(where, "date"), f"duplicate holiday {when.isoformat()}")
        holidays[when] = r.text(h, "name", where, "Hari libur")

    agencies_raw = _list_of_tables(data, "agencies", r)
    if not agencies_raw:
        raise r.fail("agencies", "at least one agency is required")
    agencies_list = []
    for i, a in enumerate(agencies_raw):
        where = f"agencies[{i}]"
        r.known(a, where, AGENCY_KEYS)
        code = r.text(a, "code", where)
        if not CODE_RE.match(code):
            raise r.fail(_join(where, "code"), "use 1-32 letters, digits, '-' or '_'")
        sched = r.schedule(a, where, schedule) if "hours" in a or "breaks" in a else None
        name = r.text(a, "name", where)
        agencies_list.append(Agency(
            code=code,
            name=name,
            short_name=r.text(a, "short_name", where, code),
            logo=r.get(a, "logo", where, str, None),
            zone=r.get(a, "zone", where, str, None),
            schedule=sched,
        ))
    agencies = _unique(agencies_list, lambda a: a.code, "agencies", r)

    queues_list = []
    for i, q in enumerate(_list_of_tables(data, "queues", r)):
        where = f"queues[{i}]"
        r.known(q, where, QUEUE_KEYS)
        prefix = r.text(q, "prefix", where)
        if not PREFIX_RE.match(prefix):
            raise r.fail(_join(where, "prefix"), "use 1-4 capital letters or digits, e.g. A or KTP")
        policy = r.text(q, "policy", where, "interleave")
        if policy not in ORDERING_POLICIES:
            raise r.fail(_join(where, "policy"), f"must be one of {', '.join(ORDERING_POLICIES)}")
        queues_list.append(Queue(
            prefix=prefix,
            name=r.text(q, "name", where, prefix),
            policy=policy,
            priority_every=r.number(q, "priority_every", where, 1, 100, 3),
        ))
    queues = _unique(queues_list, lambda q: q.prefix, "queues", r)

    rules_raw = r.table_of(data, "rules", "", RULES_KEYS)
    rules = Rules(
        tickets_from_minutes=r.number(rules_raw, "tickets_from_minutes", "rules", 0, 240, 60),
        cutoff_minutes=r.number(rules_raw, "cutoff_minutes", "rules", 0, 240, 30),
        transfer_to_front=r.get(rules_raw, "transfer_to_front", "rules", bool, True),
        returning_no_show_to_front=r.get(
            rules_raw, "returning_no_show_to_front", "rules", bool, False),
        estimate_sample=r.number(rules_raw, "estimate_sample", "rules", 1, 1000, 20),
        announce_freshness_seconds=r.number(
            rules_raw, "announce_freshness_seconds", "rules", 0, 3600, 120),
    )

    services_list = []
    queue_agency: dict[str, str] = {}  # a queue belongs to the agency whose services it holds
    queue_first_use: dict[str, str] = {}  # where, for the "no counter serves it" message
    for i, s in enumerate(_list_of_tables(data, "services", r)):
        where = f"services[{i}]"
        r.known(s, where, SERVICE_KEYS)
        code = r.text(s, "code", where)
        if not CODE_RE.match(code):
            raise r.fail(_join(where, "code"), "use 1-32 letters, digits, '-' or '_'")
        agency = r.text(s, "agency", where)
        if agency not in agencies:
            raise r.fail(_join(where, "agency"), f'no agency with code "{agency}"')
        queue = r.text(s, "queue", where)
        if queue not in queues:
            raise r.fail(_join(where, "queue"), f'no queue with prefix "{queue}"')
        owner = queue_agency.setdefault(queue, agency)
        if owner != agency:
            raise r.fail(
                _join(where, "queue"),
                f'queue "{queue}" already holds services of agency "{owner}"; '
                "give each agency its own queue",
            )
        queue_first_use.setdefault(queue, _join(where, "queue"))
        reqs = r.get(s, "requirements", where, list, [])
        if not all(isinstance(x, str) for x in reqs):
            raise r.fail(_join(where, "requirements"), "must be a list of text")
        services_list.append(Service(
            code=code,
            name=r.text(s, "name", where),
            agency=agency,
            queue=queue,
            standard_minutes=r.number(s, "standard_minutes", where, 1, 480),
            daily_quota=r.number(s, "daily_quota", where, 1, 100_000, None),
            requirements=tuple(reqs),
            schedule=(
                r.schedule(s, where, _agency_schedule(agencies[agency], schedule))
                if "hours" in s or "breaks" in s else None
            ),
            cutoff_minutes=r.number(s, "cutoff_minutes", where, 0, 480, rules.cutoff_minutes),
        ))
    services = _unique(services_list, lambda s: s.code, "services", r)
    if not services:
        raise r.fail("services", "at least one service is required")

    counters_list = []
    for i, c in enumerate(_list_of_tables(data, "counters", r)):
        where = f"counters[{i}]"
        r.known(c, where, COUNTER_KEYS)
        number = r.number(c, "number", where, 1, 999)
        agency = r.text(c, "agency", where)
        if agency not in agencies:
            raise r.fail(_join(where, "agency"), f'no agency with code "{agency}"')
        served = r.get(c, "queues", where, list)
        if not served:
            raise r.fail(_join(where, "queues"), "a counter must serve at least one queue")
        for j, prefix in enumerate(served):
            at = f"{_join(where, 'queues')}[{j}]"
            if not isinstance(prefix, str):
                raise r.fail(at, f"must be a queue prefix (text), not {type(prefix).__name__}")
            if prefix not in queues:
                raise r.fail(at, f'no queue with prefix "{prefix}"')
            owner = queue_agency.get(prefix, agency)
            if owner != agency:
                raise r.fail(
                    at,
                    f'queue "{prefix}" holds services of agency "{owner}", '
                    f'not of this counter\'s agency "{agency}"',
                )
        counters_list.append(Counter(
            number=number,
            name=r.text(c, "name", where, f"Loket {number}"),
            agency=agency,
            queues=tuple(served),
        ))
    counters = _unique(counters_list, lambda c: c.number, "counters", r)
    # A ticket in a queue that no counter serves could never be called.
    served_anywhere = {q for c in counters.values() for q in c.queues}
    for queue, where in queue_first_use.items():
        if queue not in served_anywhere:
            raise r.fail(where, f'no counter serves queue "{queue}"; add it to a counter\'s queues')

    v = r.table_of(data, "voice", "", VOICE_KEYS)
    style = r.text(v, "style", "voice", Voice.style)
    if style not in ("digits", "words"):
        raise r.fail("voice.style", 'must be "digits" or "words"')
    language = r.text(v, "language", "voice", Voice.language)
    if language not in ("id", "en"):
        raise r.fail("voice.language", 'must be "id" or "en"')
    voice = Voice(
        language=language,
        style=style,
        template=r.text(v, "template", "voice", Voice.template),
        english_template=r.text(v, "english_template", "voice", Voice.english_template),
        rate=r.number(v, "rate", "voice", 60, 400, Voice.rate),
        volume=float(r.get(v, "volume", "voice", (int, float), Voice.volume)),
        repeat=r.number(v, "repeat", "voice", 1, 3, Voice.repeat),
    )
    if not 0.0 <= voice.volume <= 1.0:
        raise r.fail("voice.volume", "must be between 0.0 and 1.0")
    for key, tmpl in (("template", voice.template), ("english_template", voice.english_template)):
        if "{number}" not in tmpl or "{counter}" not in tmpl:
            raise r.fail(f"voice.{key}", "must contain {number} and {counter}")

    return HallConfig(
        mpp=mpp, schedule=schedule, holidays=holidays, agencies=agencies, queues=queues,
        services=services, counters=counters, rules=rules, voice=voice, source=source,
    )


def load_config(path: str | Path) -> HallConfig:
    """Load and validate a hall config file; raises ConfigError, never a bare exception."""
    p = Path(path)
    try:
        raw = p.read_bytes()
    except OSError as e:
        raise ConfigError(str(p), "(file)", f"cannot be read: {e.strerror or e}") from None
    return loads_config(raw, str(p))


def loads_config(raw: bytes | str, source: str = "<memory>") -> HallConfig:
    data_bytes = raw.encode() if isinstance(raw, str) else raw
    try:
        data = tomllib.loads(data_bytes.decode("utf-8"))
    except UnicodeDecodeError:
        raise ConfigError(source, "(file)", "is not UTF-8 text") from None
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(source, "(syntax)", str(e)) from None
    cfg = parse_config(data, source)
    return replace(cfg, digest=hashlib.sha256(data_bytes).hexdigest()[:16], raw_toml=data_bytes)


def example_config_path() -> Path:
    return Path(__file__).with_name("examples") / "sukoharjo.toml"
