"""Can Qt show windows on this PC? Asked before an app creates its QApplication.

When Qt cannot load its platform plugin (xcb on X11, wayland, ...) it prints a screenful of
messages and aborts the process (rc 134), with a hint that is often wrong ("xcb-cursor0 is
needed" even when it is installed). So the question is asked in a child process that only
creates a QGuiApplication: the app then either starts, or stops with one English line that
names the real cause and the fix. Why a plugin does not load is found with `ldd` (the
libraries it needs that are not installed, with the Debian packages that hold them) and from
Qt's own messages (no display, no such plugin). `antrean doctor` asks the same question.

Imports no Qt itself: the hub PC and the doctor use it without a screen.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

_MARKER = "antrean-qt-platform:"
PROBE = (
    "from PySide6.QtGui import QGuiApplication\n"
    "app = QGuiApplication(['antrean-probe'])\n"
    f"print({_MARKER!r} + app.platformName(), flush=True)\n"
)
BOOTSTRAP = "run scripts/bootstrap.sh, which installs them"


@dataclass(frozen=True)
class PlatformReport:
    ok: bool
    platform: str  # the plugin Qt loaded, or the one it tried
    detail: str  # what was found, one English line
    fix: str = ""

    def line(self) -> str:
        return f"{self.detail}; fix: {self.fix}" if self.fix else self.detail


def wanted_platform(env: Mapping[str, str], platform: str = sys.platform) -> str:
    """The platform plugin Qt will try first with this environment."""
    name = re.split(r"[:;]", env.get("QT_QPA_PLATFORM", ""))[0].strip()
    if name:
        return name
    if platform == "win32":
        return "windows"
    if platform == "darwin":
        return "cocoa"
    if env.get("XDG_SESSION_TYPE") == "wayland" and env.get("WAYLAND_DISPLAY"):
        return "wayland"
    return "xcb"


def has_display(env: Mapping[str, str], platform: str = sys.platform) -> bool:
    """Whether this session has somewhere to show windows (or was told where to draw)."""
    if platform in ("win32", "darwin") or env.get("QT_QPA_PLATFORM"):
        return True
    return bool(env.get("DISPLAY") or env.get("WAYLAND_DISPLAY"))


def plugin_file(name: str, env: Mapping[str, str]) -> Path | None:
    """Where Qt finds the platform plugin `name`: QT_QPA_PLATFORM_PLUGIN_PATH, QT_PLUGIN_PATH,
    then PySide6's own plugins."""
    dirs = [Path(d) for d in env.get("QT_QPA_PLATFORM_PLUGIN_PATH", "").split(os.pathsep) if d]
    dirs += [Path(d) / "platforms" for d in env.get("QT_PLUGIN_PATH", "").split(os.pathsep)
             if d]
    spec = importlib.util.find_spec("PySide6")
    if spec is not None and spec.submodule_search_locations:
        dirs.append(Path(next(iter(spec.submodule_search_locations))) / "Qt" / "plugins"
                    / "platforms")
    names = [f"libq{name}.so"]
    if name.startswith("wayland"):
        names.append("libqwayland.so")
    for d in dirs:
        for file_name in names:
            if (d / file_name).is_file():
                return d / file_name
    return None


def missing_libraries(path: Path | None) -> list[str]:
    """The shared libraries `path` needs (directly or through others) that are not
    installed, as `ldd` reports them ("libxcb-icccm.so.4 => not found")."""
    ldd = shutil.which("ldd")
    if path is None or ldd is None:
        return []
    try:
        done = subprocess.run([ldd, str(path)], capture_output=True, text=True, timeout=20,
                              check=False)
    except (OSError, subprocess.TimeoutExpired):
        return []
    found = re.findall(r"^\s*(\S+)\s*=>\s*not found", done.stdout, re.M)
    return list(dict.fromkeys(found))


def debian_package(soname: str) -> str:
    """The Debian package that holds a library, by Debian's naming rule: libxcb-icccm.so.4
    is in libxcb-icccm4, libxkbcommon-x11.so.0 in libxkbcommon-x11-0 (a name ending in a
    digit takes a dash), libGL.so.1 in libgl1."""
    m = re.fullmatch(r"(.+?)\.so\.(\d+)(?:\..*)?", soname)
    if not m:
        return soname.lower()
    name, version = m[1].lower(), m[2]
    return f"{name}-{version}" if name[-1].isdigit() else f"{name}{version}"


def missing_fix(missing: list[str]) -> str:
    packages = " ".join(dict.fromkeys(debian_package(lib) for lib in missing))
    return f"apt-get install {packages} (or {BOOTSTRAP})"


def _plural(items: list[str]) -> str:
    return f"{', '.join(items)} {'is' if len(items) == 1 else 'are'}"


def diagnose(stderr: str, env: Mapping[str, str]) -> PlatformReport:
    """Qt's abort messages (and ldd) to one line and a fix."""
    found = re.search(r'Qt platform plugin "([^"]+)"', stderr)
    tried = found[1] if found else wanted_platform(env)
    if "Traceback" in stderr:
        last = stderr.strip().splitlines()[-1]
        lib = re.search(r"(lib[\w.+-]+\.so[\w.]*): cannot open shared object", last)
        if lib:
            return PlatformReport(False, tried, f"Qt cannot be loaded: {lib[1]} is not "
                                  "installed", missing_fix([lib[1]]))
        return PlatformReport(False, tried, f"PySide6 cannot be loaded ({last})",
                              "run scripts/bootstrap.sh (it installs PySide6)")
    if "Could not find the Qt platform plugin" in stderr:
        available = re.search(r"Available platform plugins are: (.*?)\.?\s*$", stderr, re.M)
        choices = available[1] if available else "xcb, wayland, offscreen"
        return PlatformReport(False, tried, f'Qt has no platform plugin "{tried}" '
                              f'(QT_QPA_PLATFORM={env.get("QT_QPA_PLATFORM", "")})',
                              f"unset QT_QPA_PLATFORM or set it to one of: {choices}")
    missing = missing_libraries(plugin_file(tried, env))
    if missing:
        return PlatformReport(False, tried, f"Qt's {tried} platform plugin cannot load: "
                              f"{_plural(missing)} not installed", missing_fix(missing))
    if tried == "xcb" and "could not connect to display" in stderr:
        display = env.get("DISPLAY", "")
        what = f"Qt cannot open the X display {display!r}" if display else (
            "there is no X display to show windows on (DISPLAY is not set)")
        return PlatformReport(False, tried, what,
                              "start the app in the PC's desktop session (or with DISPLAY "
                              "set to it); without a screen, QT_QPA_PLATFORM=offscreen")
    if tried.startswith("wayland"):
        where = env.get("WAYLAND_DISPLAY") or "WAYLAND_DISPLAY is not set"
        return PlatformReport(False, tried, f"Qt cannot reach the Wayland compositor ({where})",
                              "start the app in the Wayland session (antrean-cage@... does), "
                              "or set QT_QPA_PLATFORM=xcb on an X11 desktop")
    first = next((ln.strip() for ln in stderr.splitlines() if ln.strip()), "no message")
    return PlatformReport(False, tried, f"Qt could not start its {tried} platform plugin "
                          f"({first})", "run scripts/bootstrap.sh; QT_DEBUG_PLUGINS=1 shows "
                          "Qt's own reasons")


def probe(env: Mapping[str, str] | None = None, timeout: float = 30.0) -> PlatformReport:
    """Start Qt's platform plugin in a child process, as the app will in this environment."""
    env = dict(os.environ if env is None else env)
    try:
        done = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True,
                              text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        tried = wanted_platform(env)
        return PlatformReport(False, tried, f"Qt's {tried} platform plugin did not start "
                              f"within {timeout:g} s", "check that the display server runs "
                              "(and answers), then start the app again")
    if done.returncode == 0 and _MARKER in done.stdout:
        loaded = done.stdout.split(_MARKER, 1)[1].split()[0]
        return PlatformReport(True, loaded, f"Qt starts its {loaded} platform plugin here")
    return diagnose(done.stderr, env)


def check_libraries(env: Mapping[str, str] | None = None) -> PlatformReport:
    """Without a display to open (doctor over ssh): are the libraries of the plugins the app
    may use all installed? The one QT_QPA_PLATFORM names, else xcb and wayland."""
    env = dict(os.environ if env is None else env)
    names = [wanted_platform(env)] if env.get("QT_QPA_PLATFORM") else ["xcb", "wayland"]
    for name in names:
        path = plugin_file(name, env)
        if path is None:
            return PlatformReport(False, name, f"Qt's {name} platform plugin is not installed",
                                  "run scripts/bootstrap.sh (it installs PySide6)")
        missing = missing_libraries(path)
        if missing:
            return PlatformReport(False, name, f"Qt's {name} platform plugin cannot load: "
                                  f"{_plural(missing)} not installed", missing_fix(missing))
    return PlatformReport(True, names[0], f"no display in this session; the libraries of "
                          f"Qt's {' and '.join(names)} platform plugins are all installed")


def check(env: Mapping[str, str] | None = None, timeout: float = 30.0) -> PlatformReport:
    """A full probe where there is a display, the libraries only where there is none."""
    env = dict(os.environ if env is None else env)
    return probe(env, timeout) if has_display(env) else check_libraries(env)
