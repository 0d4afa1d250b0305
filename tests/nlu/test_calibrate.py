"""Fitting thresholds on labelled answers (mbs.nlu.calibrate): the best accuracy under
the false-match ceiling, never over it."""

from __future__ import annotations

from mbs.nlu.calibrate import ObjectionSet, fit_sparse_threshold, suggest_threshold
from mbs.nlu.calibration import calibration
from mbs.nlu.encoder import default_encoder
from mbs.nlu.evaluation import Item
from mbs.program import Objection, ObjectionPack


def test_the_suggested_threshold_is_the_most_accurate_under_the_ceiling() -> None:
    # right answers at 0.5 and 0.7, an ordinary answer at 0.6: accepting 0.5 would take
    # the ordinary one too
    confidences = [0.5, 0.7, 0.6, 0.2]
    right = [True, True, False, False]
    ordinary = [False, False, True, True]
    assert suggest_threshold(confidences, right, ordinary, max_false=0.0) == 0.61
    # half of the ordinary answers may pass (not the one at 0.2): everything right is in
    assert suggest_threshold(confidences, right, ordinary, max_false=0.5) == 0.21


def test_the_sparse_threshold_keeps_ordinary_answers_under_the_ceiling() -> None:
    pack = ObjectionPack(
        name="maison",
        objections=(
            Objection(text="Ma porte est blindée", response="Bien."),
            Objection(text="Mon toit est orienté au nord", response="Bien."),
        ),
    )
    items = [
        Item(kind="objection", text="ma porte est blindée", label="Ma porte est blindée"),
        Item(
            kind="objection", text="le toit est orienté nord", label="Mon toit est orienté au nord"
        ),
        *(
            Item(kind="ordinary", text=t)
            for t in ("on habite à Nantes", "nous sommes quatre", "la maison date de 1985")
        ),
    ]
    cal = calibration()
    t, (accuracy, false) = fit_sparse_threshold(
        [ObjectionSet("maison", [pack], items)], default_encoder(), cal, max_false=0.0
    )
    assert false == 0.0
    assert accuracy == 1.0  # both paraphrases share the objection's words
    assert 0.2 <= t <= 1.0
