"""The pieces of the Qt platform check that need no Qt: which plugin Qt will try, and which
Debian package holds a missing library. (The whole check, with real Qt aborts, is in
tests/system/test_app_start_stop.py and test_station_token.py.)"""

from __future__ import annotations

import pytest

from shared.station.qt_platform import debian_package, has_display, missing_fix, wanted_platform


@pytest.mark.parametrize(("soname", "package"), [
    ("libxcb-icccm.so.4", "libxcb-icccm4"),
    ("libxcb-keysyms.so.1", "libxcb-keysyms1"),
    ("libxcb-cursor.so.0", "libxcb-cursor0"),
    ("libxcb-render-util.so.0", "libxcb-render-util0"),
    ("libxkbcommon-x11.so.0", "libxkbcommon-x11-0"),  # a name ending in a digit takes a dash
    ("libX11-xcb.so.1", "libx11-xcb1"),
    ("libGL.so.1", "libgl1"),
    ("libEGL.so.1", "libegl1"),
    ("libdbus-1.so.3", "libdbus-1-3"),
    ("libglib-2.0.so.0", "libglib-2.0-0"),
    ("libfontconfig.so.1.12.0", "libfontconfig1"),
])
def test_debian_package_of_a_library(soname: str, package: str) -> None:
    assert debian_package(soname) == package


def test_the_fix_names_each_package_once() -> None:
    fix = missing_fix(["libxcb-icccm.so.4", "libxcb-keysyms.so.1", "libxcb-icccm.so.4"])
    assert fix.startswith("apt-get install libxcb-icccm4 libxcb-keysyms1 (or run scripts/")


def test_which_plugin_qt_tries() -> None:
    assert wanted_platform({"QT_QPA_PLATFORM": "offscreen"}) == "offscreen"
    assert wanted_platform({"QT_QPA_PLATFORM": "wayland;xcb"}) == "wayland"
    assert wanted_platform({"QT_QPA_PLATFORM": "xcb:nograb"}) == "xcb"
    assert wanted_platform({"DISPLAY": ":0"}, "linux") == "xcb"
    assert wanted_platform({"XDG_SESSION_TYPE": "wayland", "WAYLAND_DISPLAY": "wayland-0"},
                           "linux") == "wayland"
    assert wanted_platform({}, "win32") == "windows"


def test_where_windows_can_be_shown() -> None:
    assert not has_display({}, "linux")  # ssh into a kiosk PC
    assert has_display({"DISPLAY": ":0"}, "linux")
    assert has_display({"WAYLAND_DISPLAY": "wayland-0"}, "linux")
    assert has_display({"QT_QPA_PLATFORM": "offscreen"}, "linux")
    assert has_display({}, "win32")
