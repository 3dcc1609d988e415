"""The code map stays true: the README's table of folders names every package, and every file,
folder and module docs/architecture.md and that table name exists (a moved module fails here
until the map follows it)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
ARCHITECTURE = ROOT / "docs" / "architecture.md"
PACKAGES = sorted(p.parent.name for p in ROOT.glob("*/__init__.py"))
SPAN = re.compile(r"`([^`\s]+)`")
PATH = re.compile(r"^[\w.-]+(/[\w.-]+)*/?$")
MODULE = re.compile(r"^(antrean|shared|kiosk|counter_client|display|region|web|console)(\.\w+)+$")


def code_map() -> str:
    text = README.read_text(encoding="utf-8")
    return text[text.index("## The code"):]


def named(text: str) -> list[str]:
    """Files, folders (`x/`, `a/b.py`, `name.py`) and dotted modules in inline code."""
    return [s for s in SPAN.findall(text)
            if MODULE.match(s) or (PATH.match(s) and (s.endswith((".py", "/")) or "/" in s))]


def exists(name: str) -> bool:
    if MODULE.match(name):  # a module, or a name defined in one (`kiosk.core.KioskCore`)
        parts = name.split(".")
        for cut in range(len(parts), 0, -1):
            base = ROOT.joinpath(*parts[:cut])
            source = base.with_suffix(".py") if base.with_suffix(".py").is_file() \
                else base / "__init__.py"
            if source.is_file():
                rest = parts[cut:]
                return not rest or (len(rest) == 1 and re.search(
                    rf"^(class |def ){rest[0]}\b|^{rest[0]} =", source.read_text("utf-8"),
                    re.MULTILINE) is not None)
        return False
    if (ROOT / name).exists():
        return True
    # A path given inside its package (`demo/hall.py` under antrean/, `config.py` in shared/).
    return any(p.relative_to(ROOT).as_posix().endswith("/" + name.rstrip("/"))
               for p in ROOT.rglob(name.rstrip("/").split("/")[-1])
               if ".venv" not in p.parts)


def test_the_readme_table_names_every_package() -> None:
    table = code_map()
    assert {"antrean", "shared", "kiosk", "counter_client", "display"} <= set(PACKAGES)
    for package in PACKAGES:
        assert f"`{package}/`" in table, f"README's code map lacks {package}/"
    assert "docs/architecture.md" in table


@pytest.mark.parametrize("doc", ["README code map", "docs/architecture.md"])
def test_every_path_the_map_names_exists(doc: str) -> None:
    text = code_map() if doc == "README code map" else ARCHITECTURE.read_text(encoding="utf-8")
    names = named(text)
    assert len(names) > 10
    assert [n for n in names if not exists(n)] == []
