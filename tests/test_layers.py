"""The package layers import one way: dsl -> compiler -> program <- runtime.

Checked on the source (every ``import`` statement, lazy ones included), so a shortcut
taken inside a function is caught as well as one at the top of a module.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1] / "mbs"

# package -> packages it must never import
FORBIDDEN = {
    "mbs.dsl": ("mbs.compiler", "mbs.runtime", "mbs.freeswitch", "mbs.cli", "mbs.nlu"),
    "mbs.compiler": ("mbs.runtime", "mbs.freeswitch", "mbs.cli"),
    "mbs.nlu": ("mbs.dsl", "mbs.compiler", "mbs.runtime", "mbs.freeswitch", "mbs.cli"),
    "mbs.runtime": ("mbs.dsl", "mbs.compiler", "mbs.cli", "mbs.freeswitch"),
    "mbs.freeswitch": ("mbs.dsl", "mbs.compiler", "mbs.cli"),
    "mbs.freeswitch.esl": ("asyncio", "mbs.runtime", "mbs.freeswitch.client", "mbs.freeswitch.sim"),
    "mbs.api": ("mbs.dsl", "mbs.compiler", "mbs.freeswitch", "mbs.cli"),
    "mbs.lsp": ("mbs.runtime", "mbs.freeswitch", "mbs.cli", "mbs.api"),
    "mbs.program": (
        "mbs.dsl",
        "mbs.compiler",
        "mbs.runtime",
        "mbs.freeswitch",
        "mbs.cli",
        "mbs.nlu",
    ),
}


def _module_name(path: Path) -> str:
    rel = path.relative_to(ROOT.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def _violations() -> list[str]:
    found = []
    for path in sorted(ROOT.rglob("*.py")):
        module = _module_name(path)
        for package, banned in FORBIDDEN.items():
            if module != package and not module.startswith(package + "."):
                continue
            for name in _imports(path):
                for bad in banned:
                    if name == bad or name.startswith(bad + "."):
                        found.append(
                            f"{module} imports {name} (layer {package} must not use {bad})"
                        )
    return found


def test_layers_import_one_way() -> None:
    assert _violations() == []


def test_the_runtime_picks_telephony_backends_by_name() -> None:
    # The runtime reaches mbs.freeswitch only through importlib, by backend name.
    source = (ROOT / "runtime" / "campaign_run.py").read_text(encoding="utf-8")
    assert 'importlib.import_module("mbs.freeswitch.' in source


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_every_layer_exists(package: str) -> None:
    path = ROOT.parent / package.replace(".", "/")
    assert path.is_dir() or path.with_suffix(".py").is_file()
