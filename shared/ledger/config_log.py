"""The hall configuration as part of the ledger's history: `config.changed` events.

Each change carries who (the event's device and officer), when (its at_ms), the version
number, the new version's digest, its full content and when it takes effect. The content is
the TOML text as imported, byte for byte: it is the format IT staff edit and keep, it keeps
their comments, and `antrean config export` gives back the very file, which re-imports to the
same digest. The digest is over a canonical form of what the TOML says (its parsed tables as
JSON with sorted keys), so a change of comments or layout alone is no new version.

Which version is in force at an instant is a pure function of the versions (config_in_force):
the latest change whose effective time is at or before it. Reports, the ledger's rules and
stations all ask it, so a report for last month uses last month's quotas.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import sqlite3
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from shared.clock import from_ms, to_ms
from shared.config import ConfigError, HallConfig, loads_config
from shared.ledger import model as m

NOW = "now"
# Version 1 as the first change records it: the config the ledger ran under before.
SINCE_START = "start"


def canonical_digest(content: str | bytes) -> str:
    """sha256 of the canonical form of a TOML text: its tables as sorted, compact JSON (dates
    and times as ISO text). Raises ConfigError for text that is not TOML."""
    text = content.decode("utf-8") if isinstance(content, bytes) else content
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise ConfigError("<config>", "(syntax)", str(e)) from None
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                           default=_iso)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _iso(value: Any) -> str:
    if isinstance(value, dt.date | dt.time):  # datetime is a date
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} in a config")


@dataclass(frozen=True)
class ConfigVersion:
    version: int
    digest: str
    content: str
    at_ms: int  # when it was recorded
    effective_ms: int  # when it takes effect (== at_ms for "now")
    effective: str  # "now" or the hall-local date it takes effect from, YYYY-MM-DD
    device: str
    officer: str | None
    seq: int
    source: str = ""
    _parsed: list[HallConfig] = field(default_factory=list, compare=False, repr=False)

    @property
    def config(self) -> HallConfig:
        """The version's HallConfig (parsed once; it was validated when recorded)."""
        if not self._parsed:
            self._parsed.append(loads_config(self.content, f"config version {self.version}"))
        return self._parsed[0]

    @classmethod
    def from_event(cls, e: m.Event) -> ConfigVersion:
        d = e.data
        return cls(version=int(d["version"]), digest=str(d["digest"]),
                   content=str(d["content"]), at_ms=e.at_ms,
                   effective_ms=int(d["effective_ms"] if d.get("effective_ms") is not None
                                    else e.at_ms),
                   effective=str(d.get("effective") or NOW), device=e.device,
                   officer=e.officer, seq=e.seq, source=str(d.get("source") or ""))


def versions_from_events(events: Iterable[m.Event]) -> list[ConfigVersion]:
    return [ConfigVersion.from_event(e) for e in events if e.kind == m.CONFIG_CHANGED]


def config_versions(conn: sqlite3.Connection) -> list[ConfigVersion]:
    """Every version the ledger (or a replica) holds, oldest first."""
    rows = conn.execute(
        "SELECT seq, command_id, kind, ticket_id, device, officer, at_ms, data FROM events "
        "WHERE kind=? ORDER BY seq", (m.CONFIG_CHANGED,)).fetchall()
    return [ConfigVersion.from_event(m.Event(r[0], r[1], r[2], r[3], r[4], r[5], r[6],
                                             json.loads(r[7]))) for r in rows]


def version_in_force(versions: Sequence[ConfigVersion], instant: dt.datetime
                     ) -> ConfigVersion | None:
    """The latest change whose effective time is at or before `instant` (a later-recorded
    change wins a tie), or None before the first."""
    at = to_ms(instant)
    best: ConfigVersion | None = None
    for v in versions:
        if v.effective_ms <= at and (best is None or (v.effective_ms, v.seq) >= (
                best.effective_ms, best.seq)):
            best = v
    return best


def config_in_force(versions: Sequence[ConfigVersion], instant: dt.datetime
                    ) -> HallConfig | None:
    v = version_in_force(versions, instant)
    return None if v is None else v.config


def scheduled(versions: Sequence[ConfigVersion], instant: dt.datetime) -> list[ConfigVersion]:
    """Changes recorded that take effect after `instant`."""
    at = to_ms(instant)
    return [v for v in versions if v.effective_ms > at]


def effective_ms(effective: str | None, now: dt.datetime, tz: ZoneInfo) -> tuple[int, str]:
    """(effective time in ms, its label) for "now"/None or a YYYY-MM-DD date: midnight of that
    date in the hall's time zone. A date before today is refused (ValueError): history is not
    rewritten."""
    if effective is None or effective == NOW:
        return to_ms(now), NOW
    try:
        day = dt.date.fromisoformat(effective)
    except ValueError:
        raise ValueError(f"{effective!r} is not a date such as 2026-12-07") from None
    today = now.astimezone(tz).date()
    if day < today:
        raise ValueError(f"{day.isoformat()} is in the past (today is {today.isoformat()} in "
                         f"the hall); a change takes effect now or from a later date")
    if day == today:
        return to_ms(now), day.isoformat()
    return to_ms(dt.datetime.combine(day, dt.time(), tz)), day.isoformat()


def version_dict(v: ConfigVersion) -> dict[str, Any]:
    """A version as JSON (the hub's /config/versions)."""
    return {"version": v.version, "digest": v.digest, "content": v.content, "at_ms": v.at_ms,
            "effective_ms": v.effective_ms, "effective": v.effective, "device": v.device,
            "officer": v.officer, "seq": v.seq, "source": v.source}


def version_from_dict(d: dict[str, Any]) -> ConfigVersion:
    return ConfigVersion(version=int(d["version"]), digest=str(d["digest"]),
                         content=str(d["content"]), at_ms=int(d["at_ms"]),
                         effective_ms=int(d["effective_ms"]), effective=str(d["effective"]),
                         device=str(d["device"]), officer=d.get("officer"), seq=int(d["seq"]),
                         source=str(d.get("source") or ""))


def describe(v: ConfigVersion, tz: ZoneInfo) -> str:
    """One line of `antrean config history`."""
    at = from_ms(v.at_ms).astimezone(tz)
    who = v.device + (f" ({v.officer})" if v.officer else "")
    when = {NOW: "now", SINCE_START: "since the start"}.get(v.effective,
                                                           f"from {v.effective}")
    return (f"version {v.version}  {at:%Y-%m-%d %H:%M}  by {who}  effective {when}  "
            f"digest {v.digest[:16]}" + (f"  {v.source}" if v.source else ""))
