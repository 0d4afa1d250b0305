"""The hybrid NLU (``nlu.hybrid``): the encoder loads offline and once, the scorer handles
the French the fuzzy layer gets wrong, bad input gets a ``none`` decision."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from mbs.nlu import hybrid as hybrid_module
from mbs.nlu.calibration import Calibration, calibration
from mbs.nlu.clauses import split_contrast
from mbs.nlu.encoder import Encoder, WordLlamaEncoder, default_encoder
from mbs.nlu.hybrid import (
    MAX_CHARS,
    HybridClassifier,
    HybridMatcher,
    semantic_text,
    shared_classifier,
    shared_matcher,
)
from mbs.program import Intent, Objection, ObjectionPack, Program
from mbs.runtime.builtins import registry
from mbs.runtime.builtins.base import BuiltinError
from mbs.runtime.builtins.hybrid import HybridNlu
from tests.nlu.fixtures import INTENTS, PACKS, make_program

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def nlu(stdlib_program: Program) -> HybridNlu:
    return HybridNlu(stdlib_program, {})


# ------------------------------------------------------------------ the encoder


def test_the_encoder_loads_from_its_wheel_without_touching_the_network(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    attempts: list[object] = []

    def refuse(*args: object, **kwargs: object) -> None:
        attempts.append(args)
        raise OSError("network access attempted")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    encoder = WordLlamaEncoder()  # a fresh load, not the shared one
    vectors = encoder.encode(["je n'ai pas le temps", "pas le temps", ""])
    assert attempts == []
    assert vectors.shape == (3, encoder.dim)
    assert np.allclose(np.linalg.norm(vectors[:2], axis=1), 1.0, atol=1e-5)
    assert not vectors[2].any()  # nothing to encode: similar to nothing
    assert float(vectors[0] @ vectors[1]) > 0.5


def test_the_encoder_fits_the_protocol_and_is_shared() -> None:
    assert isinstance(default_encoder(), Encoder)
    assert default_encoder() is default_encoder()


def test_mbs_help_does_not_load_the_encoder() -> None:
    code = (
        "import sys\n"
        "sys.argv = ['mbs', '--help']\n"
        "from mbs.cli import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "from mbs.nlu import encoder\n"
        "print('LOADED', 'wordllama' in sys.modules, encoder.default_encoder_loaded())\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO
    )
    assert "LOADED False False" in done.stdout


def test_importing_wordllama_leaves_the_root_logger_alone() -> None:
    # wordllama calls logging.basicConfig(level=INFO) when imported
    code = (
        "import logging\n"
        "from mbs.nlu.encoder import WordLlamaEncoder\n"
        "WordLlamaEncoder()\n"
        "root = logging.getLogger()\n"
        "print('ROOT', len(root.handlers), root.level)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO
    )
    assert "ROOT 0 30" in done.stdout


def test_the_index_is_built_once_per_content(stdlib_program: Program) -> None:
    a = HybridNlu(stdlib_program, {})
    b = HybridNlu(stdlib_program.model_copy(), {})
    assert a.intents is b.intents and a.objections is b.objections
    c = HybridNlu(stdlib_program, {"intent_threshold": 0.9})
    assert c.intents.threshold == 0.9 and a.intents.threshold != 0.9
    assert c.intents._scorer is a.intents._scorer  # same index, another threshold


def test_entry_point_and_settings(stdlib_program: Program) -> None:
    assert "hybrid" in registry.available("nlu")
    built = registry.create("nlu", "hybrid", stdlib_program, {"objection_threshold": 0.5})
    assert isinstance(built, HybridNlu) and built.objection_threshold == 0.5
    with pytest.raises(registry.BuiltinError, match="option 'nope': unknown option"):
        registry.create("nlu", "hybrid", stdlib_program, {"nope": 1})
    with pytest.raises(
        registry.BuiltinError,
        match="option 'intent_threshold': Input should be less than or equal to 1",
    ):
        registry.create("nlu", "hybrid", stdlib_program, {"intent_threshold": 2})


def test_scenario_thresholds_apply_and_the_calibrated_ones_otherwise() -> None:
    default = HybridNlu(make_program(), {})
    assert default.intent_threshold == calibration().intent_threshold
    assert default.objection_threshold == calibration().objection_threshold
    set_ = HybridNlu(make_program(intent_threshold=0.42, objection_threshold=0.43), {})
    assert (set_.intent_threshold, set_.objection_threshold) == (0.42, 0.43)


def test_the_calibration_round_trips_through_json() -> None:
    cal = calibration()
    assert Calibration.from_json(cal.to_json()) == cal
    low, high = cal.threshold_range
    assert 0.0 < low <= high < 1.0
    assert low <= cal.objection_threshold <= high


# ------------------------------------------------------------- French it handles


async def test_double_negation_is_a_soft_yes(nlu: HybridNlu) -> None:
    assert (await nlu.classify("je ne dis pas non")).intent == "yes"
    assert (await nlu.classify("je suis pas contre")).intent == "yes"


async def test_negation_scope(nlu: HybridNlu) -> None:
    assert (await nlu.classify("non pas du tout intéressé")).intent == "not_interested"
    assert (await nlu.classify("je suis intéressé")).intent != "not_interested"


def test_a_rejected_option_before_plutot_leaves_the_chosen_one() -> None:
    slots = (
        Intent(name="morning", examples=("le matin", "plutôt le matin", "en matinée")),
        Intent(name="afternoon", examples=("l'après-midi", "plutôt l'après-midi")),
    )
    clf = HybridClassifier(slots, default_encoder(), calibration())
    assert clf.classify("pas le matin, plutôt l'après-midi").intent == "afternoon"
    assert clf.classify("l'après-midi non, plutôt le matin").intent == "morning"


async def test_in_a_two_part_answer_the_objection_wins_over_the_yes(nlu: HybridNlu) -> None:
    from mbs.runtime.decision import decide

    text = "oui mais c'est trop cher"
    decision = decide(
        await nlu.classify(text), await nlu.match_objection(text), {"yes", "no"}, expected={"yes"}
    )
    assert (decision.kind, decision.name) == ("objection", "C'est trop cher")
    assert split_contrast(text) is not None
    assert split_contrast("mais oui") is None and split_contrast("plutôt le matin") is None


async def test_no_false_friends_from_one_letter_matches() -> None:
    program = make_program(
        intents=(
            Intent(name="yes", examples=("oui", "d'accord", "bien sûr")),
            Intent(name="repeat", examples=("je vous entends mal", "vous pouvez répéter")),
        ),
        packs=(
            ObjectionPack(
                name="p",
                objections=(Objection(text="Ça tombe mal", response="Je rappelle quand ?"),),
            ),
        ),
    )
    nlu = HybridNlu(program, {})
    assert (await nlu.classify("bien entendu")).intent == "yes"
    assert (await nlu.match_objection("envoyez-moi un mail")).objection is None
    # the lexical layer does not take an unknown short word for a known one
    index = nlu.objections.lexical._index
    assert index._map("mail") == "mail"  # not "mal"
    assert index.query("ça tombbe mal").tokens == index.query("ça tombe mal").tokens  # 5+ map


async def test_a_one_word_example_does_not_give_full_marks_to_a_long_sentence() -> None:
    nlu = HybridNlu(make_program(), {})
    short = await nlu.classify("oui")
    long = await nlu.classify(
        "oui enfin je ne sais pas trop, il faudrait que je regarde mes papiers à la maison"
    )
    assert short.intent == "yes" and short.score > long.score


async def test_synonyms_without_a_shared_word(nlu: HybridNlu) -> None:
    assert (await nlu.match_objection("mon banquier s'occupe de tout ça")).objection == (
        "J'ai déjà un conseiller à ma banque"
    )


# --------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "😀😀😀",
        "\x00\x07\x1b[31m\r\n",
        "The quick brown fox jumps over the lazy dog",
        "Das ist ein ganz normaler deutscher Satz ohne Bedeutung",
        "‮‭\u200b\ufeff",
    ],
)
async def test_bad_input_gets_no_decision(nlu: HybridNlu, text: str) -> None:
    from mbs.runtime.decision import decide

    intent = await nlu.classify(text)
    objection = await nlu.match_objection(text)
    decision = decide(intent, objection, {"yes", "no"}, expected={"yes", "no"})
    assert decision.kind == "none", (text, intent, objection)


async def test_a_huge_utterance_is_judged_on_a_bounded_prefix(nlu: HybridNlu) -> None:
    text = "je n'ai pas le temps " + "bla " * 2_500_000  # 10 MB
    assert len(text) > 10_000_000
    result = await nlu.match_objection(text)
    prefix = await nlu.match_objection(text[:MAX_CHARS])
    assert result == prefix
    assert (await nlu.classify(text)) == (await nlu.classify(text[:MAX_CHARS]))


def test_wordllama_sees_content_words_keeping_negations_and_accents() -> None:
    encoder = default_encoder("wordllama")
    assert semantic_text("Euh, je n'ai PAS le temps là !", encoder) == "pas temps"
    assert semantic_text("c'est très intéressé", encoder) == "intéressé"
    assert semantic_text("😀", encoder) == ""


def test_use_sees_the_whole_plain_text() -> None:
    encoder = default_encoder("use")
    assert semantic_text("Euh, je n'ai PAS le temps là !", encoder) == "euh je n'ai pas le temps là"
    assert semantic_text("😀", encoder) == ""


def test_the_encoder_setting_picks_the_model_and_its_calibration(
    stdlib_program: Program,
) -> None:
    default = HybridNlu(stdlib_program, {})
    use = HybridNlu(stdlib_program, {"encoder": "use"})
    assert default.encoder_name == "wordllama"
    assert use.intents._scorer._space.encoder is default_encoder("use")
    assert use.intent_threshold == calibration("use").intent_threshold
    assert default.intent_threshold == calibration("wordllama").intent_threshold
    assert calibration("use").encoder == "use-multilingual-v3-latin"
    with pytest.raises(BuiltinError, match="must be one of use, use-words, wordllama"):
        HybridNlu(stdlib_program, {"encoder": "bert"})


async def test_use_understands_synonyms_the_lexical_layer_cannot(
    stdlib_program: Program,
) -> None:
    nlu = HybridNlu(stdlib_program, {"encoder": "use"})
    assert (await nlu.classify("vous êtes humaine ?")).intent == "robot_question"
    assert (await nlu.match_objection("c'est hors de prix")).objection is not None


def test_the_matchers_report_like_the_fuzzy_ones() -> None:
    cal = calibration()
    m = HybridMatcher(PACKS, default_encoder(), cal)
    got = m.match("je suis vraiment très pressé")
    assert got.objection == "Je n'ai pas le temps" and got.pack == "objections.standard"
    assert got.response and got.runner_up is not None
    none = m.match("j'habite à Lyon depuis vingt ans")
    assert none.objection is None and none.score < m.threshold
    top = m.top("je suis vraiment très pressé", n=2)
    assert top[0].name == "Je n'ai pas le temps" and top[0].score >= top[1].score
    clf = shared_classifier(INTENTS, default_encoder(), cal, None)
    assert clf is shared_classifier(INTENTS, default_encoder(), cal, None)
    assert shared_matcher(PACKS, default_encoder(), cal, 0.99).threshold == 0.99
    assert hybrid_module.bounded("x" * (MAX_CHARS + 5)) == "x" * MAX_CHARS
