"""The learned acceptance (mbs.nlu.acceptance, fitted by mbs.nlu.calibrate) and the
ordinary answers it reads (mbs/nlu/ordinary.txt)."""

from __future__ import annotations

import json
import math
from dataclasses import replace

import numpy as np
import pytest
from rapidfuzz import fuzz, process

from mbs.nlu.acceptance import EXTENT, FEATURES, SPARSE, Acceptance, is_sparse
from mbs.nlu.calibrate import (
    AcceptanceCase,
    Cutoffs,
    acceptance_cases,
    choose_cutoffs,
    fit_acceptance,
)
from mbs.nlu.calibration import Calibration, calibration
from mbs.nlu.encoder import default_encoder
from mbs.nlu.evaluation import Item
from mbs.nlu.hybrid import (
    GUARDED,
    HybridClassifier,
    HybridMatcher,
    OrdinaryAnswers,
    shared_classifier,
)
from mbs.nlu.ordinary import ordinary_answers
from mbs.program import Program
from tests.nlu import heldout
from tests.nlu.fixtures import written_wordings
from tests.nlu.heldout import TOO_CLOSE, plain

N = len(FEATURES)


def _model(weights: tuple[float, ...], bias: float = 0.0, cutoff: float = 0.5) -> Acceptance:
    return Acceptance(mean=(0.0,) * N, scale=(1.0,) * N, weights=weights, bias=bias, cutoff=cutoff)


def test_the_model_is_a_logistic_over_the_features() -> None:
    model = _model((1.0,) + (0.0,) * (N - 1), cutoff=0.6)
    assert model.probability((0.0,) * N) == pytest.approx(0.5)
    assert model.probability((2.0,) + (0.0,) * (N - 1)) == pytest.approx(0.8808, abs=1e-4)
    assert model.accepts((2.0,) + (0.0,) * (N - 1))
    assert not model.accepts((0.0,) * N)
    assert model.probability((-1000.0,) + (0.0,) * (N - 1)) == 0.0  # no overflow
    # the phrasings' count extrapolates no further than EXTENT standard deviations
    count = FEATURES.index("phrasings")
    counted = _model(tuple(-1.0 if i == count else 0.0 for i in range(N)))
    few = tuple(-13.0 if i == count else 0.0 for i in range(N))
    assert counted.probability(few) == pytest.approx(1.0 / (1.0 + math.exp(-EXTENT)))


def test_a_scenario_intent_of_few_examples_is_not_accepted_far_under_its_threshold() -> None:
    # The committed intent model was fitted on the library's intents (50 to 120 examples
    # each): a scenario's own intent of seven sat thirteen deviations away on the
    # phrasings feature, and the model took "un chien il a neuf ans" for a pet's death
    # at a fused score of 0.32 (a blind scenario's conversations, 2026-12-05).
    from mbs.compiler import compile_source

    source = """
scenario pets "Pets" {
    agent "Camille" from "Compagnons"
    start animal
}
use intents.common
intent pet_died {
    "il est mort" "il est décédé" "on a dû le faire piquer"
    "elle nous a quittés le mois dernier" "mon chien est mort"
    "on l'a fait euthanasier" "mon chat est décédé"
}
always { on pet_died -> sorry }
step animal {
    say "Bonjour, Camille, assistante automatisée de Compagnons. Cet appel est enregistré."
    ask "C'est un chien ou un chat, et quel âge a-t-il ?"
    capture profile
    otherwise -> done
}
step sorry { say "Je suis désolée." end NOT_QUALIFIED }
step done { say "Merci." end QUALIFIED }
"""
    program = compile_source(source, "pets.mbs").program
    assert program is not None
    clf = HybridClassifier(program.intents, default_encoder(), calibration())
    for said in ("un chien il a neuf ans", "c'est notre chien un berger australien il a deux ans"):
        assert clf.classify(said).intent is None, said
    assert clf.classify("mon chien est mort l'an dernier").intent == "pet_died"


def test_a_model_survives_the_calibration_file_and_refuses_other_features() -> None:
    model = _model(tuple(0.1 * i for i in range(N)), bias=-0.25, cutoff=0.62)
    cal = replace(Calibration(), intent_acceptance=model)
    back = Calibration.from_json(cal.to_json())
    assert back.intent_acceptance is not None and back.objection_acceptance is None
    assert back.intent_acceptance.cutoff == 0.62
    assert back.intent_acceptance.weights == pytest.approx(model.weights)
    data = json.loads(cal.to_json())
    data["intent_acceptance"]["features"] = ["top", "length"]
    with pytest.raises(ValueError, match="other features"):
        Calibration.from_json(json.dumps(data))
    with pytest.raises(ValueError, match="features"):
        Acceptance(mean=(0.0,), scale=(1.0,), weights=(1.0,), bias=0.0, cutoff=0.5)
    with pytest.raises(ValueError, match="positive"):
        Acceptance(mean=(0.0,) * N, scale=(0.0,) * N, weights=(0.0,) * N, bias=0.0, cutoff=0.5)


def _case(
    top: float, unknown: float, right: bool, ordinary: bool, phrasings: int = 30, group: str = ""
) -> AcceptanceCase:
    features = [0.5] * N
    features[FEATURES.index("top")] = top
    features[FEATURES.index("unknown")] = unknown
    features[FEATURES.index("phrasings")] = math.log(phrasings)
    return AcceptanceCase(tuple(features), right, ordinary, group)


def test_the_fit_learns_what_tells_right_answers_from_ordinary_ones() -> None:
    # right answers and ordinary ones score the same; only the share of unknown words
    # tells them apart, which no threshold on the score can use
    cases = []
    for i in range(40):
        top = 0.4 + 0.01 * (i % 20)
        cases.append(_case(top, 0.05 * (i % 3), right=True, ordinary=False))
        cases.append(_case(top, 0.6 + 0.05 * (i % 3), right=False, ordinary=True))
    model, (accuracy, false) = fit_acceptance(cases, max_false=0.05)
    assert accuracy == 1.0 and false == 0.0
    unknown = FEATURES.index("unknown")
    assert model.weights[unknown] < 0.0
    assert all(model.accepts(c.features) == c.right for c in cases)


def test_the_cutoff_keeps_ordinary_answers_under_the_ceiling() -> None:
    # inseparable halves: some ordinary answers look exactly like right ones
    cases = [_case(0.9, 0.0, right=True, ordinary=False) for _ in range(30)]
    cases += [_case(0.9, 0.0, right=False, ordinary=True) for _ in range(3)]
    cases += [_case(0.3, 0.5, right=False, ordinary=True) for _ in range(27)]
    _, (accuracy, false) = fit_acceptance(cases, max_false=0.2)
    assert false <= 0.2
    assert accuracy == 1.0
    _, (accuracy, false) = fit_acceptance(cases, max_false=0.05)
    assert false <= 0.05 and accuracy == 0.0  # accepting them would take 10 % ordinary
    with pytest.raises(ValueError, match="too few"):
        fit_acceptance(cases[:5], max_false=0.05)


# (probability, right, ordinary, sparse, group) of one case, for ``choose_cutoffs``
Row = tuple[float, bool, bool, bool, str]
# the library's labels: right answers at 0.9, ordinary answers up to 0.6
LIBRARY: list[Row] = [(0.9, True, False, False, "stdlib")] * 30 + [
    (0.6, False, True, False, "stdlib")
] * 30


def _choose(rows: list[Row], ceiling: dict[str, float]) -> Cutoffs:
    p, right, ordinary, sparse, groups = zip(*rows, strict=True)
    arrays = (np.array(p), np.array(right), np.array(ordinary), np.array(sparse))
    return choose_cutoffs(*arrays, list(groups), ceiling)


def test_sparse_labels_get_their_own_cutoff() -> None:
    # a customer's one-phrasing labels: right answers at 0.4, ordinary ones at 0.1 (and
    # one at 0.4: 2.5 %, under the ceiling). One cutoff for both would refuse every
    # paraphrase of the customer's objections.
    rows = LIBRARY + [(0.4, True, False, True, "own")] * 20
    rows += [(0.1, False, True, True, "own")] * 39 + [(0.4, False, True, True, "own")]
    chosen = _choose(rows, {"stdlib": 0.05, "own": 0.05})
    assert 0.6 < chosen.cutoff <= 0.9
    assert chosen.sparse_cutoff is not None and 0.1 < chosen.sparse_cutoff <= 0.4
    assert chosen.accuracy == 1.0 and chosen.false == pytest.approx(0.025)
    # a tighter ceiling on the customer's packs keeps their cutoff up
    strict = _choose(rows, {"stdlib": 0.05, "own": 0.01})
    assert strict.sparse_cutoff is None and strict.accuracy == pytest.approx(0.6)
    # no sparse label: one cutoff
    alone = _choose(LIBRARY, {"stdlib": 0.05})
    assert alone.sparse_cutoff is None and alone.accuracy == 1.0


def test_a_wrong_objection_taken_counts_against_the_sparse_cutoff() -> None:
    # the customer's paraphrases at 0.4 are half right, half another objection: taking
    # them gains nothing, so the library's cutoff stays for them
    rows = LIBRARY + [(0.4, True, False, True, "own")] * 10
    rows += [(0.4, False, False, True, "own")] * 10 + [(0.1, False, True, True, "own")] * 40
    assert _choose(rows, {"stdlib": 0.05, "own": 0.05}).sparse_cutoff is None


def test_the_sparse_cutoff_survives_the_calibration_file() -> None:
    at = FEATURES.index("phrasings")
    model = replace(_model((1.0,) + (0.0,) * (N - 1), cutoff=0.6), sparse_cutoff=0.2)
    back = Acceptance.from_dict(model.to_dict())
    assert back.sparse_cutoff == 0.2
    sparse, rich = [1.0] + [0.0] * (N - 1), [1.0] + [0.0] * (N - 1)
    sparse[at], rich[at] = math.log(1), math.log(20)
    assert model.probability(sparse) == pytest.approx(0.731, abs=1e-3)
    assert model.accepts(sparse) and model.accepts(rich)
    low = list(sparse)
    low[0] = -1.0  # probability 0.27: over the sparse cutoff only
    rich_low = list(rich)
    rich_low[0] = -1.0
    assert model.accepts(low) and not model.accepts(rich_low)
    assert "sparse_cutoff" not in _model((0.0,) * N).to_dict()


def test_a_label_is_sparse_under_three_phrasings() -> None:
    assert SPARSE == 3
    at = FEATURES.index("phrasings")
    for phrasings, sparse in ((1, True), (2, True), (3, False), (40, False)):
        features = [0.0] * N
        features[at] = math.log(phrasings)
        assert is_sparse(features) is sparse


def test_ranked_features_are_what_the_model_reads(stdlib_program: Program) -> None:
    clf = HybridClassifier(stdlib_program.intents, default_encoder(), calibration())
    r = clf.ranked("oui ça m'intéresse", features=True)
    assert len(r.features) == N and clf.names[r.best] == "yes"
    assert r.features[FEATURES.index("unknown")] == 0.0
    assert clf.ranked("oui ça m'intéresse").features == ()
    for text in ("", "   ", "🙂🙂", "\x00\x07"):
        assert clf.ranked(text, features=True).features == ()
    huge = clf.ranked("je vous rappelle demain " * 500_000, features=True)
    assert len(huge.features) == N


def test_an_acceptance_applies_only_with_calibrated_thresholds(
    stdlib_program: Program,
) -> None:
    cal = calibration()
    assert cal.intent_acceptance is not None  # the committed one
    encoder = default_encoder()
    assert shared_classifier(stdlib_program.intents, encoder, cal, None).acceptance is not None
    assert shared_classifier(stdlib_program.intents, encoder, cal, 0.5).acceptance is None
    with_model = replace(cal, objection_acceptance=_model((0.0,) * N, cutoff=0.5))
    packs = stdlib_program.objection_packs
    assert HybridMatcher(packs, encoder, with_model).acceptance is not None
    matcher = HybridMatcher(packs, encoder, with_model, threshold=0.5)
    assert matcher.acceptance is None
    # the threshold rule then decides: a score under the threshold is not accepted
    found = matcher.match("mes moyens ne me le permettent pas")
    assert (found.objection is None) == (found.score < 0.5)
    # a model that accepts everything it is asked about: the best objection, always
    anything = HybridMatcher(packs, encoder, with_model)
    assert anything.match("il pleut sur la ville").objection is not None


def test_the_committed_intent_acceptance_beats_the_threshold_rule(
    stdlib_program: Program,
) -> None:
    """On the development answers (the calibration keeps a model only where it beats
    the rule): more intents right, and the ordinary answers it takes within the
    calibration's 5 % ceiling. The dev split grows with every blind batch after the
    fit, so the two may each take an answer the other leaves: what holds is the net,
    more right answers than extra ordinary ones taken."""
    encoder = default_encoder()
    learned = calibration()
    rule = replace(learned, intent_acceptance=None)
    ordinary = [u.text for u in heldout.load("neutral", "dev")]
    intents = heldout.load("intents", "dev")
    figures = {}
    for name, cal in (("learned", learned), ("rule", rule)):
        clf = HybridClassifier(stdlib_program.intents, encoder, cal)
        false = sum(clf.classify(t).intent is not None for t in ordinary)
        right = sum(clf.classify(u.text).intent == u.label for u in intents)
        figures[name] = (false, right)
    (learned_false, learned_right), (rule_false, rule_right) = figures["learned"], figures["rule"]
    assert learned_false <= 0.05 * len(ordinary)
    assert learned_right > rule_right
    assert learned_right - learned_false > rule_right - rule_false


def test_acceptance_cases_skip_what_nothing_scores(stdlib_program: Program) -> None:
    clf = HybridClassifier(stdlib_program.intents, default_encoder(), calibration())
    cases = acceptance_cases(
        clf,
        [
            Item(kind="intent", text="oui oui allez-y", label="yes"),
            Item(kind="intent", text="oui oui allez-y", label="no"),
            Item(kind="ordinary", text="on habite à côté de la gare"),
            Item(kind="ordinary", text=""),
        ],
    )
    assert [(c.right, c.ordinary) for c in cases] == [(True, False), (False, False), (False, True)]


def test_ordinary_answers_are_not_examples_of_anything(stdlib_program: Program) -> None:
    """An ordinary answer that is also an intent example or an objection phrasing would
    teach the acceptance to refuse that label."""
    answers = ordinary_answers()
    assert len(answers) >= 150 and len(set(answers)) == len(answers)
    written = written_wordings(stdlib_program, plain)
    assert [a for a in answers if plain(a) in written] == []


# Ordinary answers are short: a stricter bar than the stdlib's (``TOO_CLOSE``).
ORDINARY_TOO_CLOSE = 80
assert ORDINARY_TOO_CLOSE < TOO_CLOSE


def test_no_held_out_utterance_is_close_to_an_ordinary_answer() -> None:
    """The held-out sets measure generalisation: the ordinary answers the acceptance
    reads must not hold any of them nearly word for word (the message names only the
    held-out utterance: fix it by rewording or dropping the ordinary answer)."""
    answers = [plain(a) for a in ordinary_answers()]
    too_close = []
    for name in heldout.SETS:
        for u in heldout.load(name):
            hit = process.extractOne(
                plain(u.text), answers, scorer=fuzz.ratio, score_cutoff=ORDINARY_TOO_CLOSE
            )
            if hit:
                too_close.append(f"[{name}] {u.text!r}")
    assert too_close == []


def test_a_model_never_takes_a_call_ending_intent_under_its_threshold(
    stdlib_program: Program,
) -> None:
    """``GUARDED`` intents end the call: a model that accepts everything still leaves
    them to their threshold (the VM then confirms an unsure stop request)."""
    yes_to_all = replace(calibration(), intent_acceptance=_model((0.0,) * N, bias=10.0))
    clf = HybridClassifier(stdlib_program.intents, default_encoder(), yes_to_all)
    unsure = clf.ranked("je ne veux plus de vos trucs")
    name = clf.names[unsure.best]
    assert name in GUARDED and unsure.confidence < clf.threshold_for(name)
    found = clf.classify("je ne veux plus de vos trucs")
    assert found.intent is None and found.runner_up == name
    assert clf.classify("ne m'appelez plus jamais").intent == "stop_calling"  # sure: taken
    low = clf.ranked("on a une maison à la campagne")  # not guarded, under its threshold: taken
    assert clf.names[low.best] not in GUARDED
    assert 0.0 < low.confidence < clf.threshold_for(clf.names[low.best])
    assert clf.classify("on a une maison à la campagne").intent == clf.names[low.best]


def test_small_talk_evidence_is_the_mean_of_the_nearest_ordinary_answers() -> None:
    """Closeness to small talk: the mean cosine of the three nearest ordinary answers, so
    one answer sharing a few words does not make an utterance small talk."""
    encoder = default_encoder()
    ordinary = OrdinaryAnswers(encoder)
    answer = ordinary_answers()[0]
    words, near = ordinary.evidence(answer)
    assert words == 1.0
    # an answer of the file is its own nearest, the two next pull the mean under 1
    assert 0.5 < near < 0.999
    _, objection_like = ordinary.evidence("c'est beaucoup trop cher pour moi votre offre")
    _, small_talk = ordinary.evidence("on habite une petite maison près de la mairie")
    assert small_talk > objection_like
    assert ordinary.evidence("") == (0.0, 0.0)
    assert ordinary.evidence("🙂 \x00") == (0.0, 0.0)
