"""Which agencies one screen shows: all of them, a list of codes, a zone, or both. The Qt
board (`antrean display --agencies/--zone`) and the web board (`/papan?agencies=&zone=`) choose
with the same rule and refuse with the same words."""

from __future__ import annotations

from collections.abc import Iterable

from shared.config import HallConfig


class BoardFilterError(ValueError):
    """A --agencies or --zone that names nothing in the hall config."""


def select_agencies(config: HallConfig, agencies: Iterable[str] | None,
                    zone: str | None) -> list[str]:
    """The agency codes one board shows, in config order: all, a list, a zone, or both."""
    chosen = list(config.agencies)
    if agencies is not None:
        wanted = [a.strip() for a in agencies if a.strip()]
        unknown = [a for a in wanted if a not in config.agencies]
        if unknown:
            raise BoardFilterError(
                f"unknown agency code(s) {', '.join(unknown)}; "
                f"the hall has {', '.join(config.agencies)}")
        chosen = [a for a in chosen if a in wanted]
    if zone is not None:
        zones = sorted({a.zone for a in config.agencies.values() if a.zone})
        if zone not in zones:
            raise BoardFilterError(
                f"no agency is in zone {zone!r}; zones in the config: {', '.join(zones) or 'none'}")
        chosen = [a for a in chosen if config.agencies[a].zone == zone]
    if not chosen:
        raise BoardFilterError("the filter leaves no agency to show")
    return chosen
