"""The one decision function the VM's dispatch and ``mbs nlu classify`` share."""

from __future__ import annotations

import pytest

from mbs.nlu.calibration import calibration
from mbs.runtime.builtins.base import IntentResult, ObjectionResult
from mbs.runtime.decision import Decision, decide

RULES = calibration().decision
CONTEXT_MARGIN = RULES.context_margin
EXPECTED_FLOOR = RULES.expected_floor
CAPTURE_OVERRIDE = RULES.capture_override

OBJ = "C'est trop cher"


def objection(score: float) -> ObjectionResult:
    return ObjectionResult(objection=OBJ, response="Parlons-en.", score=score)


def test_nothing_recognised_is_none() -> None:
    assert decide(IntentResult(None, 0.1), ObjectionResult(None, score=0.2), {"yes"}) == Decision(
        "none", None, 0.0
    )


@pytest.mark.parametrize(
    ("objection_score", "kind"),
    [(0.7, "intent"), (0.7 + CONTEXT_MARGIN, "intent"), (0.7 + CONTEXT_MARGIN + 0.01, "objection")],
)
def test_a_handled_intent_wins_over_an_objection_within_the_margin(
    objection_score: float, kind: str
) -> None:
    got = decide(IntentResult("yes", 0.7), objection(objection_score), {"yes"})
    assert got.kind == kind


def test_an_intent_the_step_does_not_handle_leaves_the_objection() -> None:
    got = decide(IntentResult("callback", 0.9), objection(0.5), {"yes"})
    assert (got.kind, got.name, got.score) == ("objection", OBJ, 0.5)


def test_no_objection_handler_means_no_objection() -> None:
    assert decide(IntentResult("callback", 0.9), None, {"yes"}).kind == "none"


def test_an_expected_answer_is_taken_under_the_threshold() -> None:
    below = IntentResult(None, EXPECTED_FLOOR, runner_up="yes", runner_up_score=EXPECTED_FLOOR)
    assert decide(below, None, {"yes", "insult"}, expected={"yes"}).name == "yes"
    # not when it is only handled through `always`, nor under the floor
    assert decide(below, None, {"yes"}, expected=set()).kind == "none"
    weak = IntentResult(None, 0.2, runner_up="yes", runner_up_score=EXPECTED_FLOOR - 0.01)
    assert decide(weak, None, {"yes"}, expected={"yes"}).kind == "none"


def test_a_close_handled_runner_up_beats_an_unhandled_best() -> None:
    close = IntentResult("vulnerable", 0.76, runner_up="abstinent", runner_up_score=0.70)
    assert decide(close, None, {"abstinent"}).name == "abstinent"
    far = IntentResult(
        "vulnerable", 0.70 + CONTEXT_MARGIN + 0.05, runner_up="abstinent", runner_up_score=0.70
    )
    assert decide(far, None, {"abstinent"}).kind == "none"


def test_a_close_no_the_step_expects_beats_a_refusal_read_call_wide() -> None:
    # "non je viens de vous le dire j'en ai pas" to "avez-vous une mutuelle ?"
    handled = {"yes", "no", "not_interested"}
    close = IntentResult("not_interested", 0.59, runner_up="no", runner_up_score=0.52)
    assert decide(close, None, handled, expected={"yes", "no"}).name == "no"
    # not when the step handles the refusal itself, when the no is far behind, when "no"
    # is only handled call-wide, nor when the answer declines the offer by its form
    assert decide(close, None, handled, expected=handled).name == "not_interested"
    far = IntentResult(
        "not_interested", 0.52 + CONTEXT_MARGIN + 0.05, runner_up="no", runner_up_score=0.52
    )
    assert decide(far, None, handled, expected={"yes", "no"}).name == "not_interested"
    assert decide(close, None, handled, expected={"yes"}).name == "not_interested"
    got = decide(close, None, handled, expected={"yes", "no"}, refused=True)
    assert got.name == "not_interested"


def test_a_captured_value_answers_the_step_unless_the_objection_is_sure() -> None:
    nothing = IntentResult(None, 0.0)
    assert decide(nothing, objection(0.6), {"yes"}, answered=True).kind == "none"
    assert decide(nothing, objection(0.6), {"yes"}, captures=True).kind == (
        "objection" if RULES.capture_free <= 0.6 else "none"
    )
    assert decide(nothing, objection(CAPTURE_OVERRIDE), {"yes"}, answered=True).kind == "objection"
    assert decide(nothing, objection(0.6), {"yes"}).kind == "objection"


@pytest.mark.parametrize(
    "safety", ["stop_calling", "vulnerable", "human_request", "robot_question", "goodbye"]
)
def test_a_call_wide_intent_is_never_guessed_under_its_threshold(safety: str) -> None:
    # "plutôt par téléphone" scored as a weak human_request must not transfer the call
    weak = IntentResult(None, 0.4, runner_up=safety, runner_up_score=EXPECTED_FLOOR + 0.05)
    assert decide(weak, None, {safety, "no"}, expected={safety, "no"}).kind == "none"
    close = IntentResult("callback", 0.5, runner_up=safety, runner_up_score=0.48)
    assert decide(close, None, {safety}, expected={safety}).kind == "none"
    # recognised at its threshold, it is taken as usual
    assert decide(IntentResult(safety, 0.6), None, {safety}).name == safety


def test_a_named_captured_value_is_not_overridden_by_a_guess() -> None:
    # "par téléphone, enfin non plutôt par SMS": a weak "no" is not the answer
    weak_no = IntentResult(None, 0.43, runner_up="no", runner_up_score=0.43)
    assert decide(weak_no, None, {"no"}, expected={"no"}).name == "no"
    assert decide(weak_no, None, {"no"}, expected={"no"}, answered=True).kind == "none"
    # a "no" the NLU recognised still counts
    assert decide(IntentResult("no", 0.7), None, {"no"}, answered=True).name == "no"


@pytest.mark.parametrize(
    "safety", ["stop_calling", "vulnerable", "human_request", "robot_question", "goodbye"]
)
def test_a_recognised_call_wide_intent_wins_over_any_objection(safety: str) -> None:
    # "c'est vous qui parlez ou c'est un enregistrement" against the objection
    # "Vous êtes un robot ?" scoring 0.92: the disclosure is due, as the VM does
    got = decide(IntentResult(safety, 0.55), objection(1.0), {safety, "yes"})
    assert (got.kind, got.name) == ("intent", safety)
    # not when the step does not handle it, nor when it is only a runner-up
    assert decide(IntentResult(safety, 0.55), objection(1.0), {"yes"}).kind == "objection"
    guess = IntentResult(None, 0.3, runner_up=safety, runner_up_score=0.5)
    assert decide(guess, objection(0.9), {safety}).kind == "objection"


def test_a_number_answers_a_step_capturing_the_answer_as_said() -> None:
    from mbs.runtime.decision import StepContext, answers, decide_at, holds_number

    assert holds_number("moins de quinze euros la bouteille")
    assert holds_number("vingt-cinq") and holds_number("entre 10 et 20")
    assert not holds_number("j'ai un caviste attitré")
    assert holds_number("une vingtaine d'euros") and holds_number("deux euros")
    assert holds_number("à neuf heures")
    assert not holds_number("quoi de neuf") and not holds_number("la maison est refaite à neuf")
    assert holds_number("\udcff 15") and not holds_number("\udcff")  # a bad byte: no error
    assert not holds_number("x" * 10_000_000)  # bounded: only a prefix is read
    budget = StepContext("budget", frozenset({"question"}), True, (), captures=True, numbers=True)
    when = StepContext("propose", frozenset({"no"}), True, (), captures=True, numbers=False)
    assert answers("pas plus de dix euros", budget)
    assert not answers("pas plus de dix euros", when)  # a typed capture reads it itself
    assert not answers("c'est trop cher", budget)
    nothing = IntentResult(None, 0.0)
    sure_enough = objection(RULES.capture_free + 0.01)
    assert decide_at(budget, "c'est trop cher pour moi", nothing, sure_enough).kind == "objection"
    said = decide_at(budget, "pas plus de quinze euros", nothing, sure_enough)
    assert said.kind == ("objection" if sure_enough.score >= RULES.number_override else "none")
    # a number answering the question takes more than a named choice does: only a
    # phrasing said as written overrides it ("moins de quinze euros la bouteille" at 0.95
    # is a budget)
    assert RULES.number_override >= CAPTURE_OVERRIDE
    almost = objection(min(0.99, RULES.number_override - 0.01))
    assert decide_at(budget, "moins de quinze euros la bouteille", nothing, almost).kind == "none"
    certain = objection(1.0)
    assert decide_at(budget, "moins de quinze euros la bouteille", nothing, certain).kind == (
        "objection"
    )
    # a named choice keeps its own bar
    channel = StepContext("contact", frozenset({"no"}), True, ("sms", "mail"))
    assert decide_at(channel, "par sms", nothing, objection(CAPTURE_OVERRIDE)).kind == "objection"


def test_the_step_context_tells_an_untyped_capture_from_a_typed_one() -> None:
    from pathlib import Path

    from mbs.compiler import compile_file
    from mbs.runtime.decision import step_context

    scenarios = Path(__file__).resolve().parents[2] / "scenarios"
    vin = compile_file(scenarios / "vin_lead.mbs").program
    rdv = compile_file(scenarios / "or_rdv.mbs").program
    assert vin is not None and rdv is not None
    budget, propose = step_context(vin, "budget"), step_context(rdv, "propose")
    assert budget.captures and budget.numbers
    assert propose.captures and not propose.numbers


def test_a_stop_request_the_nlu_accepts_wins_as_the_runner_up() -> None:
    # "je veux plus recevoir vos appels": goodbye scored as high; the VM ends the call on
    # the stop request, and the decision says so
    tied = IntentResult(
        "goodbye", 0.64, runner_up="stop_calling", runner_up_score=0.6, runner_up_threshold=0.55
    )
    handled = {"goodbye", "stop_calling", "yes"}
    assert decide(tied, None, handled) == Decision("intent", "stop_calling", 0.6)
    unsure = IntentResult(
        "goodbye", 0.64, runner_up="stop_calling", runner_up_score=0.5, runner_up_threshold=0.55
    )
    assert decide(unsure, None, handled).name == "goodbye"  # the VM confirms those
    assert decide(tied, None, {"goodbye", "yes"}).name == "goodbye"  # no opt-out here


def test_a_day_named_where_a_date_is_captured_is_the_captured_answer() -> None:
    # "demain à quinze heures" at or_rdv's propose: the VM takes the date (on captured)
    slot = IntentResult("slot_afternoon", 0.6)
    handled = {"slot_afternoon", "weekday", "goodbye", "stop_calling", "callback"}
    assert decide(slot, None, handled, dated=True) == Decision("none", None, 0.0)
    assert decide(slot, None, handled).name == "slot_afternoon"
    # a safety intent still comes first; a goodbye does not ("à demain alors au revoir")
    stop = IntentResult("stop_calling", 0.9)
    assert decide(stop, None, handled, dated=True).name == "stop_calling"
    assert decide(IntentResult("goodbye", 0.9), None, handled, dated=True).kind == "none"


def test_the_step_context_knows_which_steps_capture_a_date() -> None:
    from datetime import datetime
    from pathlib import Path

    from mbs.compiler import compile_file
    from mbs.nlu.when import parse_when
    from mbs.runtime.decision import decide_at, step_context

    scenarios = Path(__file__).resolve().parents[2] / "scenarios"
    vin = compile_file(scenarios / "vin_lead.mbs").program
    rdv = compile_file(scenarios / "or_rdv.mbs").program
    assert vin is not None and rdv is not None
    propose = step_context(rdv, "propose")
    assert propose.dates and not step_context(vin, "budget").dates
    # the day named, as the decision's ``when`` reading sees it
    wednesday = datetime(2026, 12, 2, 10, 15)
    friday, afternoon = (
        parse_when(t, wednesday) for t in ("vendredi sur les onze heures", "l'après-midi")
    )
    assert friday is not None and friday.day is not None
    assert afternoon is not None and afternoon.day is None
    slot = IntentResult("slot_afternoon", 0.6)
    assert decide_at(propose, "demain à quinze heures", slot, None).kind == "none"
    assert decide_at(propose, "plutôt l'après-midi", slot, None).name == "slot_afternoon"


def test_a_time_named_where_a_date_is_captured_answers_over_a_call_put_off() -> None:
    # "après le travail vers dix-huit heures" at or_rdv's propose ("quel jour et à quelle
    # heure ?"): the time is the answer (the VM reads it back), not a call-back
    handled = {"slot_afternoon", "callback", "stop_calling"}
    callback = IntentResult("callback", 0.52)
    assert decide(callback, None, handled, timed=True) == Decision("none", None, 0.0)
    unsure = IntentResult(None, 0.4, runner_up="callback", runner_up_score=0.4)
    assert decide(unsure, None, handled, timed=True).kind == "none"
    assert decide(callback, None, handled).name == "callback"  # no time named
    slot = IntentResult("slot_afternoon", 0.6)
    assert decide(slot, None, handled, timed=True).name == "slot_afternoon"


def test_a_half_of_the_day_said_with_no_day_goes_to_the_steps_intent_for_it() -> None:
    from pathlib import Path

    from mbs.compiler import compile_file
    from mbs.runtime.decision import decide_at, half_intents, step_context

    scenarios = Path(__file__).resolve().parents[2] / "scenarios"
    rdv = compile_file(scenarios / "or_rdv.mbs").program
    assert rdv is not None
    propose = step_context(rdv, "propose")
    # read off the intents' own examples ("le matin", "après quatorze heures"...)
    assert propose.halves == (("apres-midi", "slot_afternoon"), ("matin", "slot_morning"))
    assert step_context(rdv, "pick_day").halves == ()  # no intent of a half there
    assert half_intents(rdv, {"weekday", "no"}) == ()
    nothing = IntentResult(None, 0.3, runner_up="callback", runner_up_score=0.3)
    for said, wanted in [
        ("plutôt l aprem genre en fin de journée", "slot_afternoon"),
        ("vers neuf heures c'est idéal", "slot_morning"),
        ("pas l'après-midi plutôt le matin", "slot_morning"),
    ]:
        assert decide_at(propose, said, nothing, None) == Decision("intent", wanted, 0.0)
    # another half's intent read by the NLU yields to the half said; a put-off too
    morning = IntentResult("slot_morning", 0.7)
    assert decide_at(propose, "pas le matin plutôt l'après-midi", morning, None).name == (
        "slot_afternoon"
    )
    later = IntentResult("callback", 0.7)
    assert decide_at(propose, "rappelez-moi en fin d'après-midi", later, None).name == (
        "slot_afternoon"
    )
    # the evening has no intent here: the time is read back; a day named is the date;
    # a plain "non" recognised keeps its meaning
    assert decide_at(propose, "vers dix-neuf heures le soir", nothing, None).kind == "none"
    assert decide_at(propose, "jeudi après-midi", nothing, None).kind == "none"
    no = IntentResult("no", 0.8)
    assert decide_at(propose, "non le matin c'est plutôt compliqué", no, None).name == "no"
    # a morning refused names no half: nothing to route ("unclear": the step asks again)
    unsure = IntentResult(None, 0.5, runner_up="callback", runner_up_score=0.5)
    assert decide_at(propose, "non le matin c'est pas possible", unsure, None).kind == "none"
    # a "no" read off negations alone, no "non" said, yields to the half
    negations = IntentResult("no", 0.4)
    said = "le matin mais pas aux aurores hein je suis pas du genre lève-tôt"
    assert decide_at(propose, said, negations, None).name == "slot_morning"


def test_a_half_two_intents_claim_is_left_to_neither() -> None:
    from mbs.compiler import compile_source
    from mbs.runtime.decision import half_intents

    source = """scenario s "S" { start ask }
intent early { "le matin" "en matinée" "vers neuf heures" }
intent dawn { "tôt le matin" "de bon matin" }
intent late { "l'après-midi" "vers quinze heures" "lundi" }
intent mixed { "dans la matinée" "en début d'après-midi" "en soirée" }
step ask {
    ask "Bonjour, ici l'assistante vocale automatisée. Cet appel est enregistré. Quand ?"
    otherwise -> done
    capture slot as when
    on captured -> done
    on early -> done
    on dawn -> done
    on late -> done
    on mixed -> done
}
step done { end APPOINTMENT_SCHEDULED }
"""
    program = compile_source(source, "s.mbs").program
    assert program is not None
    # "lundi" names a day: only the two day-less examples count
    assert half_intents(program, {"early", "dawn", "late", "mixed"}) == (("apres-midi", "late"),)
