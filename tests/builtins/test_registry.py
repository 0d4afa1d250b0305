"""The registry finds builtins through real entry-point metadata, ours and others'."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from mbs.program import Program
from mbs.runtime.builtins import registry
from mbs.runtime.builtins.base import BuiltinError, MissingDependency, UnknownBuiltin


def test_mbs_registers_its_own_builtins() -> None:
    assert {"text", "vosk"} <= set(registry.available("stt"))
    assert {"fuzzy", "ollama"} <= set(registry.available("nlu"))
    assert {"ollama", "none"} <= set(registry.available("llm"))
    assert {"espeak", "none"} <= set(registry.available("tts"))
    assert "default" in registry.available("amd")


def test_unknown_name_lists_the_available_ones(program: Program) -> None:
    with pytest.raises(UnknownBuiltin) as info:
        registry.create("tts", "polly", program, {})
    message = str(info.value)
    assert "'polly'" in message
    assert "espeak" in message and "none" in message


def test_unknown_kind_is_refused(program: Program) -> None:
    with pytest.raises(UnknownBuiltin, match="kinds: stt, nlu, llm, tts, amd"):
        registry.available("asr")


def test_create_builds_an_instance_with_its_config(program: Program) -> None:
    tts = registry.create("tts", "none", program, {})
    assert type(tts).__name__ == "SilentTts"


def _install_fake_dist(root: Path, entry_points: str, modules: dict[str, str]) -> None:
    """A real installed distribution: a dist-info directory beside its modules."""
    info = root / "acme_builtins-1.2.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: acme-builtins\nVersion: 1.2\n", encoding="utf-8"
    )
    (info / "entry_points.txt").write_text(textwrap.dedent(entry_points), encoding="utf-8")
    for name, source in modules.items():
        (root / f"{name}.py").write_text(textwrap.dedent(source), encoding="utf-8")


def test_third_party_entry_point_is_discovered_and_built(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, program: Program
) -> None:
    _install_fake_dist(
        tmp_path,
        """
        [mbs.builtins]
        nlu.shouting = acme_nlu:ShoutingNlu
        tts.fancy = acme_fancy:FancyTts [fancy]
        amd.broken = acme_nlu:Broken
        """,
        {
            "acme_nlu": """
                from mbs.runtime.builtins.base import IntentResult

                class ShoutingNlu:
                    def __init__(self, program, config):
                        self.intents = [i.name for i in program.intents]
                        self.loud = config.get("loud", "no")

                    async def classify(self, utterance):
                        return IntentResult(intent=self.intents[0], score=1.0)

                class Broken:
                    def __init__(self, program, config):
                        raise ValueError("needs a licence key")
            """,
            "acme_fancy": """
                import acme_missing_vendor_sdk  # not installed anywhere

                class FancyTts: ...
            """,
        },
    )
    monkeypatch.syspath_prepend(str(tmp_path))

    assert "shouting" in registry.available("nlu")
    nlu = registry.create("nlu", "shouting", program, {"loud": "yes"})
    assert type(nlu).__name__ == "ShoutingNlu"
    assert nlu.intents == ["yes", "no", "slot_ok"]  # type: ignore[attr-defined]
    assert nlu.loud == "yes"  # type: ignore[attr-defined]

    with pytest.raises(MissingDependency) as info:
        registry.create("tts", "fancy", program, {})
    assert "pip install 'acme-builtins[fancy]'" in str(info.value)
    assert info.value.extra == "fancy"

    with pytest.raises(BuiltinError, match=r"amd\.broken builtin failed to start: needs a licence"):
        registry.create("amd", "broken", program, {})


def test_third_party_builtins_vanish_with_their_distribution(program: Program) -> None:
    assert "shouting" not in registry.available("nlu")
