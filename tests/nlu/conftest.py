"""The stdlib program every evaluation runs on, compiled once per session, and its
hybrid intent classifier (default encoder and calibration), built once."""

from __future__ import annotations

from pathlib import Path

import pytest

from mbs.nlu.evaluation import Item, load_items
from mbs.nlu.hybrid import HybridClassifier
from mbs.program import Program

HERE = Path(__file__).parent
STDLIB_SCENARIO = HERE / "stdlib_all.mbs"
EVAL_SET = HERE / "eval_set.jsonl"


@pytest.fixture(scope="session")
def stdlib_program() -> Program:
    from mbs.compiler import compile_file

    result = compile_file(STDLIB_SCENARIO)
    assert result.program is not None, [str(d) for d in result.diagnostics]
    return result.program


@pytest.fixture(scope="session")
def eval_items() -> list[Item]:
    return load_items(EVAL_SET)


@pytest.fixture(scope="session")
def stdlib_hybrid(stdlib_program: Program) -> HybridClassifier:
    from mbs.nlu.calibration import calibration
    from mbs.nlu.encoder import default_encoder

    return HybridClassifier(stdlib_program.intents, default_encoder(), calibration())
