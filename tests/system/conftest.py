"""Real hub processes on 127.0.0.1 for system tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.helpers.hub_process import DATA, HALL_MORNING, HubProcess
from tests.helpers.ports import free_port

__all__ = ["DATA", "HALL_MORNING", "HubProcess", "free_port"]


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[HubProcess]:
    h = HubProcess(tmp_path, DATA / "small_hall.toml")
    yield h
    h.stop()


# --- Debian's chromium for the browser tests (tests/helpers/browser.py) ----------------------
# Imported inside the fixtures: only a browser test needs Playwright.


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One chromium per test module (a Playwright Browser)."""
    from tests.helpers.browser import chromium

    with chromium() as b:
        yield b


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A 1920×1080 tab of its own (its own cookies); an error its script throws fails the test."""
    from tests.helpers.browser import Tab

    tab = Tab(browser, 1920, 1080)
    yield tab.page
    tab.close()
    assert tab.errors == [], tab.errors


# --- Qt's xcb plugin as a fresh PC without one of its libraries has it ----------------------

BROKEN_LIBRARY = b"libxcb-icccm.so.4"
MISSING_LIBRARY = b"libxcb-antrn.so.4"  # same length: the ELF string table keeps its layout


@pytest.fixture(scope="session")
def broken_xcb_plugin(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The environment of a PC whose xcb plugin needs a library that is not installed: a
    copy of PySide6's real libqxcb.so whose dependency on libxcb-icccm.so.4 names
    libxcb-antrn.so.4 instead, found by Qt through QT_QPA_PLATFORM_PLUGIN_PATH. Loading it
    fails exactly as on a Debian desktop without libxcb-icccm4."""
    import importlib.util

    spec = importlib.util.find_spec("PySide6")
    assert spec is not None and spec.submodule_search_locations
    qt = Path(next(iter(spec.submodule_search_locations))) / "Qt"
    root = tmp_path_factory.mktemp("qt")
    platforms = root / "plugins" / "platforms"
    platforms.mkdir(parents=True)
    (root / "lib").symlink_to(qt / "lib")  # the plugin's RUNPATH is $ORIGIN/../../lib
    original = (qt / "plugins" / "platforms" / "libqxcb.so").read_bytes()
    assert BROKEN_LIBRARY in original
    (platforms / "libqxcb.so").write_bytes(original.replace(BROKEN_LIBRARY, MISSING_LIBRARY))
    return {"QT_QPA_PLATFORM": "xcb", "QT_QPA_PLATFORM_PLUGIN_PATH": str(platforms)}


def no_x_display() -> str:
    """A DISPLAY no X server answers on this machine."""
    for n in range(7391, 7491):
        if not Path(f"/tmp/.X11-unix/X{n}").exists() and not Path(f"/tmp/.X{n}-lock").exists():
            return f":{n}"
    raise RuntimeError("every display number is taken")
