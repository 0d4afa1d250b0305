"""The package layers import one way, as the table in ``docs/architecture.md`` says.

The allow-list is read from that table, so the documentation and the rule cannot drift
apart. Every import statement counts (lazy ones inside functions, relative ones
resolved against their module); a module may import its own package and the packages
of the most specific row that covers it; a package the table does not list fails.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
ROOT = REPO / "mbs"
TABLE_HEADER = "| package | holds | may import |"


def _table() -> dict[str, tuple[str, ...] | None]:
    """package -> the mbs packages it may import (None: everything)."""
    text = (REPO / "docs" / "architecture.md").read_text(encoding="utf-8")
    lines = text[text.index(TABLE_HEADER) :].splitlines()[2:]
    rows: dict[str, tuple[str, ...] | None] = {}
    for line in lines:
        if not line.startswith("|"):
            break
        package_cell, _holds, allowed_cell = (c.strip() for c in line.strip("|").split("|"))
        package = package_cell.strip("`")
        if allowed_cell == "everything":
            rows[package] = None
        else:
            rows[package] = tuple(re.findall(r"`(mbs[\w.]*)`", allowed_cell))
    return rows


TABLE = _table()


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path, module: str) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    is_package = path.name == "__init__.py"
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0:
                if node.module:
                    names.add(node.module)
                continue
            base = module.split(".")
            drop = node.level - 1 if is_package else node.level
            base = base[: len(base) - drop] if drop else base
            target = ".".join(base + ([node.module] if node.module else []))
            if node.module:
                names.add(target)
            else:
                names.update(f"{target}.{alias.name}" for alias in node.names)
    return names


def _within(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


def _row(module: str) -> str | None:
    covering = [p for p in TABLE if _within(module, p)]
    return max(covering, key=len) if covering else None


def _violations() -> list[str]:
    found = []
    for path in sorted(ROOT.rglob("*.py")):
        module = _module_name(path)
        if module == "mbs":
            continue
        row = _row(module)
        if row is None:
            found.append(f"{module}: its package is not in the table of docs/architecture.md")
            continue
        allowed = TABLE[row]
        for name in sorted(_imports(path, module)):
            if not _within(name, "mbs") or name == "mbs" or allowed is None:
                continue
            if _within(name, row) and _row(name) == row:
                continue
            if any(_within(name, a) for a in allowed):
                continue
            found.append(f"{module} imports {name} (row {row} may import {allowed or 'nothing'})")
    return found


def test_the_table_is_read() -> None:
    assert {"mbs.dsl", "mbs.runtime", "mbs.campaign", "mbs.cli"} <= set(TABLE)
    assert TABLE["mbs.cli"] is None
    assert TABLE["mbs.errors"] == () and TABLE["mbs.dsl"] == ("mbs.files",)


def test_layers_import_one_way() -> None:
    assert _violations() == []


def test_the_esl_core_never_uses_asyncio() -> None:
    for path in sorted((ROOT / "freeswitch" / "esl").rglob("*.py")):
        imports = _imports(path, _module_name(path))
        assert not any(_within(name, "asyncio") for name in imports), path


def test_relative_imports_are_resolved(tmp_path: Path) -> None:
    pkg = tmp_path / "mbs" / "runtime"
    pkg.mkdir(parents=True)
    (pkg / "x.py").write_text("from ..campaign import store\nfrom . import vm\n")
    names = _imports(pkg / "x.py", "mbs.runtime.x")
    assert names == {"mbs.campaign", "mbs.runtime.vm"}


@pytest.mark.parametrize("package", sorted(TABLE))
def test_every_layer_exists(package: str) -> None:
    path = REPO / package.replace(".", "/")
    assert path.is_dir() or path.with_suffix(".py").is_file()
