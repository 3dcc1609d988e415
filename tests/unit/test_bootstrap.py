"""scripts/bootstrap.sh installs what a fresh Debian PC lacks: every library Qt's platform
plugins link (a desktop install has libxcb1 but not libxcb-icccm4, and Qt aborts with rc 134
without it), and, where the tests run, the tools they drive real windows, browsers and servers
with. Checked against this machine's own dpkg database: each library `ldd` resolves for the
plugin belongs to a package the bootstrap lists or one that a listed package depends on."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from functools import cache
from pathlib import Path

import PySide6
import pytest

ROOT = Path(__file__).resolve().parents[2]
BOOTSTRAP = ROOT / "scripts" / "bootstrap.sh"
QT = Path(PySide6.__file__).parent / "Qt"
PLATFORM_PLUGINS = [QT / "plugins" / "platforms" / "libqxcb.so",
                    QT / "plugins" / "platforms" / "libqwayland.so",
                    *sorted((QT / "plugins" / "xcbglintegrations").glob("*.so"))]
# The programs the tests start (tests/helpers/xserver.py, tests/system/test_real_windows.py) and the
# ones the web and database tests that follow use; the bootstrap must bring each one.
TEST_PROGRAMS = ["Xvfb", "openbox", "xdotool", "xwininfo", "xprop", "chromium", "chromedriver",
                 "pdftotext", "pg_ctlcluster", "postgres", "sox", "shellcheck", "git",
                 "systemd-analyze", "espeak-ng"]

needs_dpkg = pytest.mark.skipif(shutil.which("dpkg-query") is None,
                                reason="not a Debian system: the bootstrap's packages are Debian's")


def bash_array(name: str) -> list[str]:
    """The words of `NAME=( ... )` in the bootstrap, comments dropped."""
    text = BOOTSTRAP.read_text(encoding="utf-8")
    m = re.search(rf"^{name}=\((.*?)^\)", text, re.MULTILINE | re.DOTALL)
    assert m, f"{name}=( ... ) not found in {BOOTSTRAP}"
    return [w for line in m.group(1).splitlines() for w in line.split("#", 1)[0].split()]


def ldd(path: Path) -> str:
    return subprocess.run(["ldd", str(path)], capture_output=True, text=True, check=True,
                          timeout=30).stdout


def resolved_libraries(path: Path) -> list[Path]:
    return [Path(m) for m in re.findall(r"=> (/\S+)", ldd(path))]


@cache
def installed_depends() -> dict[str, set[str]]:
    """Installed package -> the installed packages it depends on (any alternative that is
    installed, virtual packages through what provides them)."""
    out = subprocess.run(
        ["dpkg-query", "-W", "-f", "${Package}\t${db:Status-Abbrev}\t${Provides}\t${Depends}, "
                                   "${Pre-Depends}\n"],
        capture_output=True, text=True, check=True, timeout=60).stdout
    rows = [line.split("\t") for line in out.splitlines()]
    rows = [r for r in rows if len(r) == 4 and r[1].strip() == "ii"]
    provided: dict[str, set[str]] = {}
    for pkg, _, provides, _ in rows:
        provided.setdefault(pkg, set()).add(pkg)
        for name in _names(provides):
            provided.setdefault(name, set()).add(pkg)
    return {pkg: {p for name in _names(depends) for p in provided.get(name, ())}
            for pkg, _, _, depends in rows}


def _names(field: str) -> list[str]:
    """Package names of a Depends/Provides field: versions, architectures and '|' dropped."""
    names = []
    for alternative in re.split(r"[,|]", field):
        word = re.sub(r"\(.*?\)", "", alternative).strip().split(":")[0]
        if word:
            names.append(word)
    return names


def closure(packages: list[str]) -> set[str]:
    depends = installed_depends()
    seen: set[str] = set()
    todo = list(packages)
    while todo:
        pkg = todo.pop()
        if pkg not in seen:
            seen.add(pkg)
            todo.extend(depends.get(pkg, ()))
    return seen


def owners(paths: list[Path]) -> dict[Path, str]:
    """The Debian package that installed each path, in one dpkg-query (each call reads every
    package's file list). /lib and /usr/lib are one folder on Debian 12, but dpkg knows each
    file under the name its package shipped, so each path is asked under both names."""
    names: dict[str, Path] = {}
    for path in paths:
        for candidate in (path, path.resolve()):
            text = str(candidate)
            names.setdefault(text, path)
            if text.startswith("/usr/"):
                names.setdefault(text.removeprefix("/usr"), path)
            else:
                names.setdefault("/usr" + text, path)
    result = subprocess.run(["dpkg-query", "-S", *names], capture_output=True, text=True,
                            check=False, timeout=120)
    found: dict[Path, str] = {}
    for line in result.stdout.splitlines():
        pkgs, sep, name = line.partition(": ")
        if sep and name in names and not line.startswith("diversion "):
            found.setdefault(names[name], pkgs.split(",")[0].split(":")[0].strip())
    return found


@pytest.mark.parametrize("plugin", PLATFORM_PLUGINS, ids=lambda p: p.name)
def test_qt_platform_plugin_finds_every_library_on_this_machine(plugin: Path) -> None:
    assert plugin.is_file(), f"{plugin} is missing from PySide6"
    missing = [line.strip() for line in ldd(plugin).splitlines() if "not found" in line]
    assert not missing, f"{plugin.name}: {missing}; add their packages to scripts/bootstrap.sh"


@needs_dpkg
@pytest.mark.parametrize("plugin", PLATFORM_PLUGINS, ids=lambda p: p.name)
def test_bootstrap_installs_every_library_a_qt_platform_plugin_links(plugin: Path) -> None:
    runtime = closure(bash_array("DEBIAN_PACKAGES"))
    # Libraries shipped inside the PySide6 wheel need no package.
    libs = [lib for lib in resolved_libraries(plugin)
            if not lib.resolve().is_relative_to(QT.resolve())]
    found = owners(libs)
    assert not set(libs) - set(found), (f"{plugin.name} links libraries no Debian package "
                                        f"installed: {sorted(set(libs) - set(found))}")
    unlisted = {lib.name: pkg for lib, pkg in found.items() if pkg not in runtime}
    assert not unlisted, (f"{plugin.name} links libraries whose packages scripts/bootstrap.sh "
                          f"does not install (DEBIAN_PACKAGES): {unlisted}")


@needs_dpkg
@pytest.mark.parametrize("program", TEST_PROGRAMS)
def test_bootstrap_installs_what_the_tests_start(program: str) -> None:
    found = shutil.which(program) or next(
        (str(p) for p in Path("/usr/lib/postgresql").glob(f"*/bin/{program}")), None)
    assert found, f"{program} is not installed; scripts/test.sh's bootstrap installs it"
    pkg = owners([Path(found)]).get(Path(found))
    assert pkg in closure(bash_array("DEBIAN_PACKAGES") + bash_array("TEST_PACKAGES")), (
        f"{program} comes from {pkg}, which scripts/bootstrap.sh does not install")


def test_a_hall_pc_gets_no_test_tools() -> None:
    """install-common.sh and hall.sh source the bootstrap without ANTREAN_BOOTSTRAP=tests: a
    kiosk PC must not get a PostgreSQL server or a browser."""
    assert not set(bash_array("TEST_PACKAGES")) & set(bash_array("DEBIAN_PACKAGES"))
    assert "ANTREAN_BOOTSTRAP=tests" in (ROOT / "scripts" / "test.sh").read_text()
    for script in (ROOT / "scripts" / "hall.sh", ROOT / "deploy" / "install-common.sh"):
        assert "ANTREAN_BOOTSTRAP" not in script.read_text(), script


@needs_dpkg
def test_bootstrap_with_everything_present_installs_nothing(tmp_path: Path) -> None:
    venv = Path(sys.prefix)
    stamp = venv / ".antrean-installed"
    if not stamp.is_file():
        pytest.skip("this venv was not made by scripts/bootstrap.sh")
    import hashlib

    if stamp.read_text().strip() != hashlib.sha256((ROOT / "pyproject.toml").read_bytes()
                                                   ).hexdigest():
        pytest.skip("pyproject.toml changed since the last bootstrap: it would reinstall")
    env = {**os.environ, "ANTREAN_VENV": str(venv), "ANTREAN_BOOTSTRAP": "tests"}
    result = subprocess.run(["bash", "-c", f'source "{BOOTSTRAP}"; echo "PATH=$PATH"'],
                            capture_output=True, text=True, env=env, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines == [f"PATH={venv}/bin:{os.environ['PATH']}"], result.stdout + result.stderr
