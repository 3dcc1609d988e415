"""Package boundaries from ARCHITECTURE.md, checked on the source.

- The domain (config, clock, speech text, ledger, hub) imports no Qt binding, directly or through
  another module, so it runs in the hub process, in tests and on a headless PC without Qt.
- The apps (kiosk, counter_client, display) never import one another; they share only `shared`.
- `shared` imports no app.
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT / "shared"
APPS = ("kiosk", "counter_client", "display")
QT_BINDINGS = frozenset({
    "PySide6", "PySide2", "PySide", "PyQt6", "PyQt5", "PyQt4", "shiboken6", "shiboken2",
    "sip", "qtpy", "pytestqt",
})
# Calls that import a module named by a string.
_IMPORT_CALLS = frozenset({"import_module", "__import__"})


def domain_files() -> list[Path]:
    """The modules that must stay Qt-free (ARCHITECTURE.md: 'domain parts import no Qt')."""
    files = [SHARED / "config.py", SHARED / "clock.py"]
    files += [p for p in (SHARED / "speech.py", SHARED / "indonesian.py") if p.exists()]
    for package in ("ledger", "hub"):
        files += sorted((SHARED / package).rglob("*.py"))
    return files


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports(path: Path, root: Path) -> list[tuple[int, str]]:
    """(line, absolute module name) for every import in a file, including relative imports,
    imports inside functions or `if TYPE_CHECKING:`, and importlib.import_module("...")."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    name = module_name(path, root)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".") if package else []
                base = base[: len(base) - (node.level - 1)] if node.level > 1 else base
                target = ".".join([*base, *([node.module] if node.module else [])])
            else:
                target = node.module or ""
            if node.module is None:  # `from . import x`: x may be a module
                found += [
                    (node.lineno, ".".join(filter(None, (target, alias.name))))
                    for alias in node.names
                ]
            else:
                found.append((node.lineno, target))
        elif isinstance(node, ast.Call) and node.args:
            func = node.func
            called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
            first = node.args[0]
            if (called in _IMPORT_CALLS and isinstance(first, ast.Constant)
                    and isinstance(first.value, str)):
                found.append((node.lineno, first.value))
    return found


def top_level(module: str) -> str:
    return module.split(".", 1)[0]


def qt_imports(files: list[Path], root: Path) -> list[str]:
    return [
        f"{path.relative_to(root)}:{line} imports {module}"
        for path in files
        for line, module in imports(path, root)
        if top_level(module) in QT_BINDINGS
    ]


def cross_app_imports(root: Path, apps: tuple[str, ...] = APPS) -> list[str]:
    found = []
    for app in apps:
        for path in sorted((root / app).rglob("*.py")):
            for line, module in imports(path, root):
                other = top_level(module)
                if other in apps and other != app:
                    found.append(f"{path.relative_to(root)}:{line} imports {module}")
    return found


def qt_loaded_by_importing(modules: list[str], root: Path) -> dict[str, list[str]]:
    """Import each module in a fresh interpreter and report the Qt modules it pulled in,
    however indirectly."""
    script = textwrap.dedent("""
        import importlib, json, sys
        qt = set(sys.argv[1].split(","))
        out = {}
        for name in sys.argv[2:]:
            before = set(sys.modules)
            importlib.import_module(name)
            loaded = sorted(m for m in set(sys.modules) - before if m.split(".")[0] in qt)
            if loaded:
                out[name] = loaded
        print(json.dumps(out))
    """)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(root), str(ROOT)])}
    result = subprocess.run(
        [sys.executable, "-c", script, ",".join(sorted(QT_BINDINGS)), *modules],
        capture_output=True, text=True, timeout=120, cwd=root, env=env, check=False,
    )
    assert result.returncode == 0, result.stderr
    loaded: dict[str, list[str]] = json.loads(result.stdout)
    return loaded


# --- the project -------------------------------------------------------------------------------


def test_domain_modules_import_no_qt() -> None:
    files = domain_files()
    assert SHARED / "config.py" in files and SHARED / "clock.py" in files
    assert all(p.exists() for p in files)
    assert qt_imports(files, ROOT) == []


def test_importing_the_domain_loads_no_qt_even_indirectly() -> None:
    modules = sorted({module_name(p, ROOT) for p in domain_files()} | {"antrean.cli_config"})
    assert qt_loaded_by_importing(modules, ROOT) == {}


def test_apps_do_not_import_each_other() -> None:
    for app in APPS:
        assert (ROOT / app / "__init__.py").exists(), app
    assert cross_app_imports(ROOT) == []


def test_shared_imports_no_app() -> None:
    found = [
        f"{path.relative_to(ROOT)}:{line} imports {module}"
        for path in sorted(SHARED.rglob("*.py"))
        for line, module in imports(path, ROOT)
        if top_level(module) in APPS
    ]
    assert found == []


# --- the checkers catch what they are meant to ---------------------------------------------------


QT_USER = """\
from __future__ import annotations

import json
from typing import TYPE_CHECKING

import PySide6
from PySide6.QtCore import QObject
import PyQt5.QtWidgets as widgets

if TYPE_CHECKING:
    from shiboken6 import Shiboken


def later():
    import importlib
    return importlib.import_module("PySide6.QtGui")
"""


def test_qt_checker_flags_every_form_of_qt_import(tmp_path: Path) -> None:
    package = tmp_path / "shared" / "ledger"
    package.mkdir(parents=True)
    bad = package / "bad.py"
    bad.write_text(QT_USER, encoding="utf-8")
    clean = package / "clean.py"
    clean.write_text("import json\nfrom . import bad\nfrom .store import Store\n", "utf-8")
    assert qt_imports([bad, clean], tmp_path) == [
        "shared/ledger/bad.py:6 imports PySide6",
        "shared/ledger/bad.py:7 imports PySide6.QtCore",
        "shared/ledger/bad.py:8 imports PyQt5.QtWidgets",
        "shared/ledger/bad.py:11 imports shiboken6",
        "shared/ledger/bad.py:16 imports PySide6.QtGui",
    ]
    assert imports(clean, tmp_path) == [
        (1, "json"), (2, "shared.ledger.bad"), (3, "shared.ledger.store"),
    ]


def test_runtime_check_sees_qt_pulled_in_through_another_module(tmp_path: Path) -> None:
    package = tmp_path / "qtleak"
    package.mkdir()
    (package / "__init__.py").write_text("", encoding="utf-8")
    (package / "theme.py").write_text("from PySide6 import QtCore\n", encoding="utf-8")
    (package / "domain.py").write_text("from qtleak import theme\n", encoding="utf-8")
    (package / "pure.py").write_text("import json\n", encoding="utf-8")
    assert qt_imports([package / "domain.py"], tmp_path) == []  # not a direct import ...
    loaded = qt_loaded_by_importing(["qtleak.pure", "qtleak.domain"], tmp_path)
    assert list(loaded) == ["qtleak.domain"]  # ... but caught when imported
    assert "PySide6.QtCore" in loaded["qtleak.domain"]


@pytest.mark.parametrize(
    ("source", "flagged"),
    [
        ("import display\n", "display"),
        ("from display.board import Board\n", "display.board"),
        ("import counter_client.core as cc\n", "counter_client.core"),
        ("from ..display import board\n", "display"),
        ("from .. import counter_client\n", "counter_client"),
    ],
)
def test_app_checker_flags_an_app_importing_another(
    tmp_path: Path, source: str, flagged: str
) -> None:
    for app in APPS:
        (tmp_path / app).mkdir()
        (tmp_path / app / "__init__.py").write_text("", encoding="utf-8")
    (tmp_path / "kiosk" / "own.py").write_text(
        "import shared.config\nfrom kiosk import ticket\nfrom . import printing\n", "utf-8"
    )
    assert cross_app_imports(tmp_path) == []
    (tmp_path / "kiosk" / "screen.py").write_text(source, encoding="utf-8")
    found = cross_app_imports(tmp_path)
    assert len(found) == 1
    assert found[0].startswith("kiosk/screen.py:1 imports ")
    assert found[0].endswith(flagged)
