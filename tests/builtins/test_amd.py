"""The second AMD layer on realistic French greetings."""

from __future__ import annotations

import pytest

from mbs.program import Program
from mbs.runtime.builtins import registry
from mbs.runtime.builtins.amd import DefaultAmd, fold, phrase_score
from mbs.runtime.builtins.base import BuiltinError


@pytest.fixture
def amd(program: Program) -> DefaultAmd:
    made = registry.create("amd", "default", program, {})
    assert isinstance(made, DefaultAmd)
    return made


def test_fold_lowercases_and_removes_accents_and_punctuation() -> None:
    assert fold("Vous êtes bien sur la MESSAGERIE de Jérôme, après le bip !") == (
        "vous etes bien sur la messagerie de jerome apres le bip"
    )
    assert fold("n'est pas") == "n est pas"


@pytest.mark.parametrize(
    ("greeting", "ms"),
    [
        # classic operator voicemail, as a recogniser transcribes it (no accents, no punctuation)
        ("bonjour vous etes bien sur la messagerie de jean dupont", 4200),
        # a personal one, recorded by a person: the switch's energy detector hears a human
        ("salut c'est marc je ne suis pas joignable rappelle plus tard", 3100),
        # recogniser slip: "bip" heard as "bipe", one word missing
        ("laissez moi un message apres le bipe merci", 2900),
        ("votre correspondant n'est pas disponible pour le moment", 2600),
    ],
)
def test_voicemail_phrases_mean_machine_even_against_the_switch(
    amd: DefaultAmd, greeting: str, ms: int
) -> None:
    for switch in ("HUMAN", "NOTSURE", None):
        verdict = amd.classify(greeting, ms, switch)
        assert verdict.machine, (greeting, switch, verdict)
        assert "voicemail phrase" in verdict.reason


def test_the_switch_machine_verdict_is_trusted(amd: DefaultAmd) -> None:
    verdict = amd.classify("allô", 600, "MACHINE")
    assert verdict.machine and "switch" in verdict.reason


@pytest.mark.parametrize(
    ("greeting", "ms"),
    [
        ("Allô ?", 600),
        ("oui allô", 900),
        ("Oui bonjour, j'écoute.", 1400),
        ("allo oui c'est à quel sujet", 1900),
        ("Cabinet Martin bonjour", 1200),  # no known phrase, but short
    ],
)
def test_short_human_greetings(amd: DefaultAmd, greeting: str, ms: int) -> None:
    verdict = amd.classify(greeting, ms, "NOTSURE")
    assert not verdict.machine, (greeting, verdict)


def test_long_unknown_greeting_is_a_machine_when_the_switch_is_unsure(amd: DefaultAmd) -> None:
    greeting = "bonjour et bienvenue chez garage durand nos horaires d'ouverture sont"
    verdict = amd.classify(greeting, 5200, "NOTSURE")
    assert verdict.machine and "long greeting" in verdict.reason
    # the switch's HUMAN wins over length alone
    assert not amd.classify(greeting, 5200, "HUMAN").machine


def test_length_from_words_when_the_duration_is_unknown(amd: DefaultAmd) -> None:
    long_text = (
        "bonjour et bienvenue chez garage durand nos horaires d'ouverture sont du lundi au vendredi"
    )
    assert amd.classify(long_text, 0, None).machine
    assert not amd.classify("oui bonjour", 0, None).machine


def test_human_phrase_inside_a_long_greeting_does_not_save_it(amd: DefaultAmd) -> None:
    # "allô" said first, then a long monologue: a recorded greeting
    greeting = "allo bonjour et bienvenue chez nous au revoir nos horaires sont affiches en ligne"
    assert amd.classify(greeting, 4800, None).machine


def test_phrase_score_needs_whole_words() -> None:
    # "allo" must not be found inside "allons"
    assert phrase_score("allô", ["nous", "allons", "bien"]) < 0.85
    assert phrase_score("allô", ["oui", "allo"]) == 1.0


def test_bad_config_is_a_builtin_error(program: Program) -> None:
    with pytest.raises(BuiltinError, match="long_greeting_ms"):
        registry.create("amd", "default", program, {"long_greeting_ms": "long"})
    tuned = registry.create("amd", "default", program, {"long_greeting_ms": "6000"})
    assert not tuned.classify("bonjour et bienvenue chez garage durand", 5200, None).machine  # type: ignore[attr-defined]


STDLIB_CASES = [
    # (greeting as a recogniser returns it, ms of speech, switch verdict, machine?)
    (
        "Bonjour, vous êtes bien sur la messagerie vocale du 06 12 34 56 78. "
        "Laissez votre message après le bip sonore.",
        6500,
        "NOTSURE",
        True,
    ),
    (
        "Votre correspondant n'est pas disponible pour le moment, merci de rappeler ultérieurement.",
        4800,
        "HUMAN",
        True,
    ),
    (
        "salut c'est julien je peux pas vous répondre pour l'instant laissez moi un message",
        4100,
        "HUMAN",
        True,
    ),
    ("bonjour vous etes bien chez sophie et marc laissez nous un message", 4300, None, True),
    ("allô ?", 500, "NOTSURE", False),
    ("oui allô bonjour", 1100, "NOTSURE", False),
    ("ouais j'écoute", 800, None, False),
    ("allô oui bonjour qui est à l'appareil", 2100, "NOTSURE", False),
    ("je vous rappelle plus tard je suis au volant", 2300, "NOTSURE", False),
]


@pytest.mark.parametrize(("greeting", "ms", "switch", "machine"), STDLIB_CASES)
def test_with_the_stdlib_phrases(greeting: str, ms: int, switch: str | None, machine: bool) -> None:
    from mbs.compiler import compile_source

    result = compile_source(
        'scenario t "t" { agent "Julie" from "Aurum" }\nstep a { say "Bonjour, ici une assistante automatisée." ; end NOT_INTERESTED }'
    )
    assert result.program is not None, result.diagnostics
    assert result.program.amd.machine  # the implicit stdlib `amd` block
    amd = registry.create("amd", "default", result.program, {})
    verdict = amd.classify(greeting, ms, switch)  # type: ignore[attr-defined]
    assert verdict.machine is machine, verdict
