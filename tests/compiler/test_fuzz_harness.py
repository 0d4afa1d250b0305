"""scripts/fuzz_compiler.py: a short run finds nothing, and the harness does report a
crash or a hang when the target has one."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[2]


def harness() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "fuzz_compiler", ROOT / "scripts" / "fuzz_compiler.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["fuzz_compiler"] = module
    spec.loader.exec_module(module)
    return module


def test_a_short_run_finds_no_crash_and_no_hang(tmp_path: Path) -> None:
    fuzz = harness()
    report = fuzz.fuzz(150, seed=2026, timeout=60.0, out=tmp_path)
    assert report.inputs == 150
    assert report.findings == [] and report.crashes == 0 and report.hangs == 0
    assert set(report.by_level) == {"line", "token", "byte"}
    assert not list(tmp_path.iterdir())


def test_seeds_cover_scenarios_and_stdlib() -> None:
    pool = harness().seeds()
    assert any("scenario or_rdv" in s for s in pool)
    assert any("objections" in s for s in pool)
    assert len(pool) >= 10


def _crashes_on_braces(data: str | bytes) -> None:
    text = data if isinstance(data, str) else data.decode("utf-8", "replace")
    if "{" in text:
        raise RuntimeError("boom")


def _hangs_on_first(data: str | bytes) -> None:
    while True:
        pass


def test_a_crash_is_reported_and_saved(tmp_path: Path) -> None:
    report = harness().fuzz(5, seed=1, timeout=60.0, out=tmp_path, target=_crashes_on_braces)
    assert report.crashes == 5 and report.hangs == 0
    assert "RuntimeError: boom" in report.findings[0]["detail"]
    assert len(list(tmp_path.glob("crash-*.mbs"))) >= 1


def test_a_hang_is_reported_and_the_next_inputs_still_run(tmp_path: Path) -> None:
    report = harness().fuzz(2, seed=1, timeout=0.5, out=tmp_path, target=_hangs_on_first)
    assert report.inputs == 2 and report.hangs == 2  # the worker was replaced after each
    assert report.findings[0]["detail"] == "no answer within 0.5 s"
