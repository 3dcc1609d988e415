"""The package boundaries (docs/architecture.md), kept by import-linter's contracts in
pyproject.toml and by one check at run time.

- `lint-imports` keeps the layers: the composition root (`antrean`) above the apps, which never
  import one another, above the station client, the hub, the ledger and the base (config, clock,
  speech text); nothing imports `antrean`. And no Qt below the station client. scripts/test.sh
  runs it before pytest; the test here runs it too, so `pytest` alone catches a violation, and
  proves on a scratch copy of the tree that each contract fails when a forbidden import is added.
- At run time: a fresh interpreter imports every module the Qt contract covers (and runs
  `antrean config check`) and no Qt module is loaded, however indirectly (a dependency of a
  dependency, an import by string).
"""

from __future__ import annotations

import json
import os
import pkgutil
import shutil
import subprocess
import sys
import textwrap
import tomllib
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
CONFIG = PYPROJECT["tool"]["importlinter"]
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"
QT = ("PySide6", "shiboken6")


def contract(contract_id: str) -> dict[str, Any]:
    (found,) = (c for c in CONFIG["contracts"] if c["id"] == contract_id)
    return found


def lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    """`lint-imports` with the project's contracts over the packages found in `root`."""
    env = {**os.environ, "PYTHONPATH": str(root)}
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--no-logo", str(ROOT / "pyproject.toml")],
        capture_output=True, text=True, timeout=120, cwd=root, env=env, check=False)


def qt_free_modules() -> list[str]:
    """Every module below the Qt contract's source modules (packages walked on disk)."""
    names: list[str] = []
    for source in contract("no-qt-below-station")["source_modules"]:
        names.append(source)
        path = ROOT.joinpath(*source.split("."))
        if path.is_dir():
            names += [m.name for m in pkgutil.walk_packages([str(path)], prefix=f"{source}.")]
    return names


def qt_loaded_by_importing(modules: list[str], root: Path, then: str = "") -> dict[str, list[str]]:
    """Import each module in a fresh interpreter (then run `then`) and report the Qt modules
    it pulled in, however indirectly."""
    script = textwrap.dedent("""
        import importlib, json, sys
        qt = set(sys.argv[1].split(","))
        out = {}
        def loaded_since(before):
            return sorted(m for m in set(sys.modules) - before if m.split(".")[0] in qt)
        for name in sys.argv[2:]:
            before = set(sys.modules)
            importlib.import_module(name)
            if loaded_since(before):
                out[name] = loaded_since(before)
        before = set(sys.modules)
        exec(sys.stdin.read())
        if loaded_since(before):
            out["then"] = loaded_since(before)
        print(json.dumps(out))
    """)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(root), str(ROOT)])}
    result = subprocess.run(
        [sys.executable, "-c", script, ",".join(QT), *modules], input=then,
        capture_output=True, text=True, timeout=120, cwd=root, env=env, check=False,
    )
    assert result.returncode == 0, result.stderr
    loaded: dict[str, list[str]] = json.loads(result.stdout.splitlines()[-1])
    return loaded


# --- the project -------------------------------------------------------------------------------


def test_the_import_contracts_hold() -> None:
    done = lint_imports(ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"Contracts: {len(CONFIG['contracts'])} kept, 0 broken." in done.stdout, done.stdout


def test_importing_the_domain_loads_no_qt_even_indirectly() -> None:
    modules = qt_free_modules()
    assert {"shared.config", "shared.ledger.ledger", "shared.hub.server",
            "shared.station.replica"} <= set(modules)
    then = "from antrean.cli import main\nassert main(['config', 'check']) == 0\n"
    assert qt_loaded_by_importing(modules, ROOT, then) == {}


# --- the checks catch what they are meant to ---------------------------------------------------


def scratch_tree(tmp_path: Path) -> Path:
    """A copy of the project's packages, for adding a forbidden import to."""
    for package in CONFIG["root_packages"]:
        shutil.copytree(ROOT / package, tmp_path / package,
                        ignore=shutil.ignore_patterns("__pycache__"))
    return tmp_path


@pytest.mark.parametrize(
    ("module", "source", "broken", "imported"),
    [
        # a lower layer imports a higher one
        ("shared/ledger/leak.py", "from shared.hub import server\n", "layers",
         "shared.hub.server"),
        # the hub imports the station client, inside a function
        ("shared/hub/leak.py", "def later():\n    from shared.station import replica\n",
         "layers", "shared.station.replica"),
        # an app imports another app
        ("kiosk/leak.py", "import display.board\n", "layers", "display.board"),
        # an app or the library imports the composition root
        ("counter_client/leak.py", "from antrean import cli\n", "layers", "antrean.cli"),
        ("shared/config.py", "import antrean.sim.day\n", "layers", "antrean.sim.day"),
        # Qt below the station client: directly, lazily, or through a Qt module of the station
        ("shared/ledger/leak.py", "from PySide6.QtCore import QObject\n", "no-qt-below-station",
         "PySide6"),
        ("shared/speech.py", "def later():\n    import shiboken6\n", "no-qt-below-station",
         "shiboken6"),
        ("shared/station/replica.py", "from shared.station.link import StationLink\n",
         "no-qt-below-station", "shared.station.link"),
    ],
)
def test_each_contract_fails_on_a_forbidden_import(
        tmp_path: Path, module: str, source: str, broken: str, imported: str) -> None:
    tree = scratch_tree(tmp_path)
    with (tree / module).open("a", encoding="utf-8") as f:  # a new module, or added to one
        f.write("\n" + source)
    done = lint_imports(tree)
    assert done.returncode == 1, done.stdout + done.stderr
    said = " ".join(done.stdout.split())
    for c in CONFIG["contracts"]:
        assert f"{c['name']} {'BROKEN' if c['id'] == broken else 'KEPT'}" in said, done.stdout
    importer = module.removesuffix(".py").replace("/", ".")
    assert f"{importer} -> {imported}" in said, done.stdout


def test_runtime_check_sees_qt_pulled_in_through_another_module(tmp_path: Path) -> None:
    package = tmp_path / "qtleak"
    package.mkdir()
    (package / "__init__.py").write_text("", encoding="utf-8")
    (package / "theme.py").write_text("from PySide6 import QtCore\n", encoding="utf-8")
    (package / "domain.py").write_text("from qtleak import theme\n", encoding="utf-8")
    (package / "by_name.py").write_text(
        "import importlib\nimportlib.import_module('PySide6.QtGui')\n", encoding="utf-8")
    (package / "pure.py").write_text("import json\n", encoding="utf-8")
    loaded = qt_loaded_by_importing(["qtleak.pure", "qtleak.domain", "qtleak.by_name"],
                                    tmp_path, then="import PySide6.QtNetwork\n")
    assert list(loaded) == ["qtleak.domain", "qtleak.by_name", "then"]
    assert "PySide6.QtCore" in loaded["qtleak.domain"]
    assert "PySide6.QtGui" in loaded["qtleak.by_name"]
    assert "PySide6.QtNetwork" in loaded["then"]
