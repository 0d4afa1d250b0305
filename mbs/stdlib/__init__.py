"""The standard library of the ``.mbs`` language, shipped as source files.

A dotted module name maps onto a file under this directory: ``intents.common`` is
``intents/common.mbs`` and ``objections.finance`` is ``objections/finance.mbs``. The
compiler resolves ``use`` through :func:`module_path`; what each module holds is
described in ``README.md`` next to this file.
"""

from __future__ import annotations

from pathlib import Path

STDLIB_DIR = Path(__file__).resolve().parent
SUFFIX = ".mbs"


def module_path(dotted: str) -> Path | None:
    """The file of a stdlib module (``"objections.or"``), or None if there is none."""
    parts = dotted.split(".")
    if not parts or any(not p.isidentifier() for p in parts):
        return None
    path = STDLIB_DIR.joinpath(*parts).with_suffix(SUFFIX)
    return path if path.is_file() else None


def module_names() -> list[str]:
    """Every stdlib module as a dotted name, sorted (for "did you mean" hints)."""
    return sorted(
        ".".join(p.relative_to(STDLIB_DIR).with_suffix("").parts)
        for p in STDLIB_DIR.rglob(f"*{SUFFIX}")
    )
