"""A customer's one-phrasing objections, ranked in USE's space against their rivals
(mbs.nlu.sparse): paraphrases found, ordinary and intent answers left alone, the
library's scope untouched, and the fitted settings as committed."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import pytest

from mbs.nlu import sparse as sparse_module
from mbs.nlu.acceptance import FEATURES, SPARSE_FEATURES, Acceptance
from mbs.nlu.calibrate import SPARSE_LEXICAL, fit_sparse
from mbs.nlu.calibration import Calibration, SparseSettings, calibration
from mbs.nlu.encoder import EncoderUnavailable, default_encoder
from mbs.nlu.evaluation import Item
from mbs.nlu.hybrid import HybridMatcher, shared_matcher
from mbs.program import Objection, ObjectionPack, Program
from tests.nlu.fixtures import INTENTS

REPO = Path(__file__).resolve().parents[2]

ALARM = ObjectionPack(
    name="alarme",
    objections=(
        Objection(text="Je suis allergique aux chats", response="Nous n'avons pas de chat."),
        Objection(text="Mon propriétaire ne voudra pas", response="Nous lui écrirons."),
        Objection(text="J'ai déjà une assurance habitation", response="Elle ne prévient rien."),
        Objection(text="Je déménage le mois prochain", response="L'alarme vous suit."),
    ),
)


@pytest.fixture(scope="module")
def matcher() -> HybridMatcher:
    return HybridMatcher([ALARM], default_encoder(), calibration(), intents=INTENTS)


def test_the_committed_calibration_ranks_customer_objections_with_use() -> None:
    settings = calibration().sparse
    assert settings is not None and settings.encoder == "use"
    assert settings.acceptance is not None and settings.acceptance.names == SPARSE_FEATURES
    assert settings.lexical in SPARSE_LEXICAL


def test_a_paraphrase_sharing_no_word_is_matched(matcher: HybridMatcher) -> None:
    assert matcher.sparse is not None
    found = matcher.match("les chats me font éternuer à chaque fois que j en croise un")
    assert found.objection == "Je suis allergique aux chats"
    assert found.response == "Nous n'avons pas de chat." and found.pack == "alarme"
    assert 0.0 < found.score < 1.0


def test_saying_the_phrasing_scores_one(matcher: HybridMatcher) -> None:
    found = matcher.match("je suis allergique aux chats")
    assert (found.objection, found.score) == ("Je suis allergique aux chats", 1.0)
    assert found.runner_up is not None and found.runner_up_score < 1.0


@pytest.mark.parametrize(
    "text", ["oui d'accord", "j'habite à Lyon depuis vingt ans", "nous sommes quatre à la maison"]
)
def test_ordinary_and_intent_answers_match_no_objection(matcher: HybridMatcher, text: str) -> None:
    found = matcher.match(text)
    assert found.objection is None
    assert found.runner_up is not None  # the best candidate not accepted, as elsewhere


@pytest.mark.parametrize("text", ["", "   ", "🙂🙂🙂", "\x00\x07\x1b", "hello how are you"])
def test_bad_input_matches_nothing(matcher: HybridMatcher, text: str) -> None:
    assert matcher.match(text).objection is None


def test_a_huge_utterance_is_read_as_its_bounded_prefix(matcher: HybridMatcher) -> None:
    huge = "je suis allergique aux chats " + "x" * 10_000_000
    start = time.process_time()
    found = matcher.match(huge)
    assert time.process_time() - start < 5.0  # a prefix, not ten megabytes
    assert found.objection == "Je suis allergique aux chats"


def test_every_score_is_in_range(matcher: HybridMatcher) -> None:
    scores = matcher.scores("mon proprio dira jamais oui")
    assert len(scores) == len(ALARM.objections) and all(0.0 <= s <= 1.0 for s in scores)
    top = matcher.top("mon proprio dira jamais oui", n=2)
    assert top[0].score >= top[1].score


def test_a_threshold_set_by_a_scenario_decides_on_the_score() -> None:
    text = "les chats me font éternuer à chaque fois que j en croise un"
    cal, encoder = calibration(), default_encoder()
    strict = shared_matcher([ALARM], encoder, cal, 1.0, INTENTS)
    loose = shared_matcher([ALARM], encoder, cal, 0.1, INTENTS)
    assert strict.sparse is not None and strict.acceptance is None
    assert strict.match(text).objection is None
    assert loose.match(text).objection == "Je suis allergique aux chats"


def test_objections_with_enough_phrasings_stay_with_the_main_ranking() -> None:
    pack = ObjectionPack(
        name="riche",
        objections=(
            Objection(
                text="C'est trop cher",
                variants=("je n'ai pas les moyens", "c'est hors de prix"),
                response="Parlons budget.",
            ),
        ),
    )
    m = HybridMatcher([pack], default_encoder(), calibration(), intents=INTENTS)
    assert m.sparse is None
    assert m.match("c'est hors de prix").objection == "C'est trop cher"


def test_a_scope_without_customer_objections_never_loads_use() -> None:
    code = (
        "from mbs.compiler import compile_file\n"
        "from mbs.runtime.builtins.hybrid import HybridNlu\n"
        "from mbs.nlu import encoder\n"
        f"p = compile_file({str(REPO / 'tests' / 'nlu' / 'stdlib_all.mbs')!r}).program\n"
        "HybridNlu(p).objections.match('c est trop cher')\n"
        "print(sorted(encoder._shared))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO
    )
    assert out.stdout.strip() == "['wordllama']"


def test_without_the_encoder_customer_objections_rank_with_the_others(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def missing(kind: str) -> None:
        raise EncoderUnavailable(f"{kind} is not installed")

    monkeypatch.setattr(sparse_module, "default_encoder", missing)
    with caplog.at_level(logging.WARNING, logger="mbs.nlu.sparse"):
        m = HybridMatcher([ALARM], default_encoder(), calibration(), intents=INTENTS)
    assert m.sparse is None and "not installed" in caplog.text
    assert m.match("je suis allergique aux chats").objection == "Je suis allergique aux chats"


def test_the_settings_round_trip_and_refuse_other_features() -> None:
    committed = calibration()
    again = Calibration.from_json(committed.to_json())
    assert again.sparse == committed.sparse
    assert replace(committed, sparse=None).to_json() != committed.to_json()
    assert committed.sparse is not None and committed.sparse.acceptance is not None
    data = json.loads(committed.to_json())["sparse"]
    data["acceptance"]["features"] = list(FEATURES)
    with pytest.raises(ValueError, match="other features"):
        SparseSettings.from_dict(data)
    n = len(SPARSE_FEATURES)
    with pytest.raises(ValueError, match="sparse cutoff"):
        Acceptance((0.0,) * n, (1.0,) * n, (0.0,) * n, 0.0, 0.5, 0.3, SPARSE_FEATURES)


def test_fitting_keeps_ordinary_answers_under_the_ceiling(
    monkeypatch: pytest.MonkeyPatch, stdlib_program: Program
) -> None:
    monkeypatch.setattr("mbs.nlu.calibrate.SPARSE_LEXICAL", (0.3,))
    label = {o.text: o.text for o in ALARM.objections}
    said = [
        ("je suis allergique aux chats", "Je suis allergique aux chats"),
        ("les chats me font éternuer", "Je suis allergique aux chats"),
        ("le poil de chat me rend malade", "Je suis allergique aux chats"),
        ("mon propriétaire ne voudra jamais", "Mon propriétaire ne voudra pas"),
        ("le proprio refusera", "Mon propriétaire ne voudra pas"),
        ("je suis déjà assuré pour la maison", "J'ai déjà une assurance habitation"),
        ("mon assurance couvre le vol", "J'ai déjà une assurance habitation"),
        ("on part le mois prochain", "Je déménage le mois prochain"),
        ("je change de logement bientôt", "Je déménage le mois prochain"),
        ("on quitte la région en juin", "Je déménage le mois prochain"),
    ]
    items = [Item(kind="objection", text=t, label=label[o]) for t, o in said]
    ordinary = (
        "on habite à Nantes",
        "nous sommes quatre",
        "la maison date de 1985",
        "il fait beau aujourd'hui",
        "je suis à la retraite",
        "mon fils vit à Paris",
        "on a un jardin",
        "je travaille de nuit",
        "c'est une maison de plain-pied",
        "ma femme est au marché",
    )
    items += [Item(kind="ordinary", text=t) for t in ordinary]
    items += [Item(kind="intent", text=t, label="yes") for t in ("oui", "d'accord", "ok")]
    main = (default_encoder(), replace(calibration(), sparse=None))
    settings, (accuracy, false) = fit_sparse(
        [([ALARM], stdlib_program.intents, items)], main, default_encoder("use"), 0.1, "use"
    )
    assert settings.encoder == "use" and settings.lexical == 0.3
    assert settings.acceptance is not None and settings.acceptance.names == SPARSE_FEATURES
    assert false <= 0.1 and 0.0 < accuracy <= 1.0
