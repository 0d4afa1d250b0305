"""What a step does with an utterance, given the NLU's intent and objection results.

One function for the VM's dispatch and for ``mbs nlu classify``, so the command line
shows exactly what a call would do. The rules, in order:

0. a stop request the step handles wins when the NLU accepts it, even as the runner-up
   of another intent that scored as high (the VM's own safety rule); then a recognised
   call-wide safety intent (``CALL_WIDE``: stop request, minor, request for a human,
   robot question, goodbye) the step handles wins over any objection; at a step that
   captures a date (``capture x as when`` with ``on captured``), an utterance naming a
   day is the captured answer (``none``), as the VM takes it, before a goodbye; one
   that names a half of the day and no day goes to the step's own intent for that half,
   if its examples say one (``half_answer``); one that names a time, before a call put
   off;
1. an intent the step handles (its own ``on`` cases and the ``always`` ones merged into
   its dispatch) wins when no objection matched, or when the objection does not beat it
   by more than ``context_margin``: at a step that asked a question, the expected
   answers win over objections of similar score;
2. the step's own answers (its ``on`` intents, not the ``always`` ones nor the call-wide
   safety ones, ``CALL_WIDE``) are expected: the NLU's best intent, even under its
   threshold, is taken when it is one of them and scores at least ``expected_floor``
   (same rule against objections). "oui passez-le moi" after "je vous le passe ?" is a
   yes, though said in more words than any example; likewise, when the best intent is
   one the step does not handle and the runner-up is one it does, within
   ``context_margin``, the runner-up is taken. Not when the utterance names a value the
   step captures: "par téléphone, enfin non plutôt par SMS" answered the question, an
   intent under its threshold ("non") does not override it;
3. when the step captures one of a list of values (``capture x from ["a", "b"]``) and
   the utterance holds one, an objection must score at least ``capture_override`` to
   take over: the prospect answered; when it captures the whole answer (``capture x``),
   any answer is expected and an objection must score at least ``capture_free``; when
   it captures the answer as said (an untyped ``capture x``) and the utterance holds a
   number (in digits or in words), the number is the answer and an objection needs
   ``number_override`` (1.0: only a phrasing said as written; "une vingtaine d'euros",
   "moins de quinze euros la bouteille" are budgets, not "Vos vins sont trop chers");
4. a matched objection goes to the step's ``on objection`` (if it has one);
5. anything else is ``none`` (``unclear`` / ``otherwise``).

The five settings are calibration data (``mbs/nlu/calibration.json``, ``decision``).
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from mbs.nlu.calibration import DecisionSettings, calibration
from mbs.nlu.form_rule import form_pattern
from mbs.nlu.normalize import with_digits
from mbs.nlu.refusal import declines
from mbs.nlu.scoring import MAX_CHARS
from mbs.nlu.when import When, parse_when
from mbs.program import Capture, Dispatch, Program
from mbs.runtime.builtins.base import IntentResult, ObjectionResult
from mbs.runtime.templates import first_choice

DecisionKind = Literal["intent", "objection", "none"]

# Reactions every step has (the compiler's safe defaults: opt-out, vulnerable person,
# request for a human, robot question, goodbye). They are call-wide, never a step's
# expected answer: a guess under the threshold must not transfer or end the call
# ("plutôt par téléphone" is a contact channel, not a request for a human).
CALL_WIDE = frozenset(("stop_calling", "vulnerable", "human_request", "robot_question", "goodbye"))
STOP = "stop_calling"
GOODBYE = "goodbye"
CALLBACK = "callback"
NO = "no"
NOT_INTERESTED = "not_interested"
# a "non" said, not a ``no`` read off negations ("le matin mais pas aux aurores hein")
_says_no = form_pattern(re.compile(r"\b(?:non|nan|no|nope)\b"))


@dataclass(frozen=True, slots=True)
class Decision:
    kind: DecisionKind
    name: str | None  # intent name, or the objection's text as written in its pack
    score: float

    def as_dict(self) -> dict[str, object]:
        return {"kind": self.kind, "name": self.name, "score": self.score}


@dataclass(frozen=True, slots=True)
class StepContext:
    """What one step's dispatch expects (see ``step_context``)."""

    step: str
    intents: frozenset[str]  # every intent its dispatch routes (``always`` included)
    objection: bool  # the step handles ``on objection``
    choices: tuple[str, ...]  # values its captures pick from
    expected: frozenset[str] = frozenset()  # its own ``on`` intents
    captures: bool = False  # it captures the whole answer (``capture x``, no list)
    numbers: bool = False  # ... as said (untyped): a number in the answer answers it
    dates: bool = False  # it captures a date (``capture x as when``) and has ``on captured``
    # its own intents that name a half of the day ("matin", "apres-midi", "soir"), read
    # off their examples (``half_intents``): the half said routes there at a dated step
    halves: tuple[tuple[str, str], ...] = ()


def decide(
    intent: IntentResult,
    objection: ObjectionResult | None,
    handled: Collection[str],
    *,
    expected: Collection[str] = (),
    answered: bool = False,
    captures: bool = False,
    counted: bool = False,
    dated: bool = False,
    timed: bool = False,
    half: str | None = None,
    refused: bool = False,
    settings: DecisionSettings | None = None,
) -> Decision:
    """The decision of a step handling ``handled`` intents, of which ``expected`` are
    its own answers (``objection`` None: the step does not listen for objections).
    ``answered``: the utterance holds one of the values the step captures; ``captures``:
    the step captures the whole answer; ``counted``: the utterance answers through a
    number, the step capturing the answer as said; ``dated``: the utterance names a day
    the step captures as a date, which the VM takes (``on captured``) before anything
    but a safety intent: "demain à quinze heures" is the slot asked for, not the
    ``slot_afternoon`` intent; ``timed``: it names a time there, which the VM takes
    over a call put off ("vers dix-huit heures après le travail" answers "quand ?");
    ``refused``: the utterance declines the offer by its form (``mbs.nlu.refusal``), a
    refusal no close "no" of the step takes over;
    ``half``: the step's own intent for the half of the day said there with no day
    (``half_answer``), which wins over the NLU's reading but a handled one of another
    kind ("plutôt l'aprem genre en fin de journée" is ``slot_afternoon`` however
    diluted, not a time to read back).
    ``settings``: the calibrated ones by default (the default encoder's: the rules are
    the same whichever encoder scored, as a replayed call decides without knowing it)."""
    rules = settings or calibration().decision
    if STOP in handled and stop_runner_up(intent, intent.runner_up_threshold):
        # a stop request the NLU accepts, though another intent scored as high: the VM
        # ends the call on it (its ``_safety``), whatever the other intent
        return Decision("intent", STOP, intent.runner_up_score)
    # safety first, as the VM (its PRIORITY_INTENTS): a recognised stop request, minor,
    # request for a human, robot question or goodbye wins over any objection; a day named
    # at a step that captures it comes before the goodbye ("à demain alors au revoir")
    safety = intent.intent in CALL_WIDE and intent.intent in handled
    if safety and not (dated and intent.intent == GOODBYE):
        return Decision("intent", intent.intent, intent.score)
    if half is not None and half in handled:
        return Decision("intent", half, intent.score if intent.intent == half else 0.0)
    if dated or (timed and reads_callback(intent)):
        return Decision("none", None, 0.0)
    matched = objection is not None and objection.objection is not None
    objection_score = objection.score if objection is not None and matched else 0.0
    name, score = intent.intent, intent.score
    second, second_score = intent.runner_up, intent.runner_up_score
    guess = not answered and second not in CALL_WIDE
    if name is None and guess and second in expected and second_score >= rules.expected_floor:
        name, score = second, second_score
    elif (
        guess
        and name is not None
        and name not in handled
        and second in handled
        and second_score >= max(rules.expected_floor, score - rules.context_margin)
    ):
        # the best intent is one this step does not handle, a close second is one it does
        name, score = second, second_score
    elif (
        guess
        and not refused
        and name == NOT_INTERESTED
        and name not in expected
        and second == NO
        and second in expected
        and second_score >= max(rules.expected_floor, score - rules.context_margin)
    ):
        # a refusal read call-wide, a close "no" the step's own answer: its question gives
        # the "non" its meaning ("non je viens de vous le dire j'en ai pas" to "avez-vous
        # une mutuelle ?", "ah non pas tout de suite j'ai de la visite" to "je vous le
        # passe maintenant ?"); not when the answer declines the offer by its form ("non
        # c'est pas pour moi", "non laissez tomber")
        name, score = second, second_score
    wins = not matched or score + rules.context_margin >= objection_score
    if name is not None and name in handled and wins:
        return Decision("intent", name, score)
    if counted:
        bar = rules.number_override
    elif answered:
        bar = rules.capture_override
    else:
        bar = rules.capture_free if captures else 0.0
    if matched and objection_score >= bar:
        assert objection is not None
        return Decision("objection", objection.objection, objection_score)
    return Decision("none", None, 0.0)


def declines_offer(intent: IntentResult, utterance: str) -> bool:
    """Whether a refusal read is one by its form ("non c'est pas pour moi", "non laissez
    tomber"): ``decide``'s ``refused``."""
    return intent.intent == NOT_INTERESTED and declines(utterance)


def stop_runner_up(intent: IntentResult, accepts_at: float | None) -> bool:
    """Whether a stop request is the runner-up of another intent at or above
    ``accepts_at``, the score from which the NLU accepts it (None: unknown, never)."""
    return (
        intent.intent != STOP
        and intent.runner_up == STOP
        and accepts_at is not None
        and intent.runner_up_score > 0.0
        and intent.runner_up_score >= accepts_at
    )


def decide_at(
    ctx: StepContext,
    utterance: str,
    intent: IntentResult,
    objection: ObjectionResult | None,
    settings: DecisionSettings | None = None,
) -> Decision:
    """``decide`` with a step's context, as the VM does at that step's dispatch."""
    answered, counted = capture_answer(utterance, ctx)
    said = _said_when(utterance) if ctx.dates else None
    return decide(
        intent,
        objection if ctx.objection else None,
        ctx.intents,
        expected=ctx.expected,
        answered=answered,
        captures=ctx.captures,
        counted=counted,
        dated=said is not None and said.day is not None,
        timed=said is not None,
        half=half_answer(ctx, said, intent, utterance),
        refused=declines_offer(intent, utterance),
        settings=settings,
    )


def _said_when(utterance: str) -> When | None:
    """The day or time the utterance names, as the VM's ``when`` capture reads it."""
    return parse_when(utterance, datetime.now())  # (it reads the bounded prefix)


def half_answer(
    ctx: StepContext | None, said: When | None, intent: IntentResult, utterance: str
) -> str | None:
    """The step's own intent for the half of the day ``said`` names with no day, at a
    step that captures a date, unless the NLU read another answer the step handles (a
    "non le matin c'est pas possible", a weekday, a goodbye): the part of the day is then
    said in passing. A call put off ("rappelez-moi plutôt l'après-midi"), another half's
    intent, an intent the step does not handle, nothing recognised, or a ``no`` read off
    negations with no "non" said ("le matin mais pas aux aurores hein") yield to it."""
    if ctx is None or not ctx.dates or said is None or said.day is not None:
        return None
    wanted = dict(ctx.halves).get(said.half or "")
    if wanted is None:
        return None
    named = intent.intent
    others = {name for _, name in ctx.halves}
    if named is None or named not in ctx.intents or named == CALLBACK or named in others:
        return wanted
    if named == NO and not _says_no(utterance):
        return wanted
    return None


def half_intents(program: Program, names: Collection[str]) -> tuple[tuple[str, str], ...]:
    """(half of the day, intent) for those of ``names`` whose examples name one half of
    the day and no day: "le matin", "en matinée", "avant onze heures" make a morning
    intent. At least two such examples and three in four of those that name a time;
    a half two intents claim is left to neither."""
    claims: dict[str, list[str]] = {}
    now = datetime(2000, 1, 3, 8, 0)  # a Monday: the day parsed is never looked at
    for intent in program.intents:
        if intent.name not in names:
            continue
        halves = [
            said.half
            for said in (parse_when(example, now) for example in intent.examples)
            if said is not None and said.day is None
        ]
        counted = {h: halves.count(h) for h in set(halves) if h is not None}
        for half, count in counted.items():
            if count >= 2 and count * 4 >= len(halves) * 3:
                claims.setdefault(half, []).append(intent.name)
    return tuple(sorted((half, owners[0]) for half, owners in claims.items() if len(owners) == 1))


def reads_callback(intent: IntentResult) -> bool:
    """Whether the NLU read a call put off: recognised, or the best candidate."""
    return CALLBACK in (intent.intent, intent.runner_up if intent.intent is None else None)


def step_context(program: Program, step: str | None = None) -> StepContext:
    """The dispatch context of ``step`` (the entry step when None); KeyError if unknown."""
    if step is None:
        step = program.step_at(program.entry) or ""
    start = program.steps[step]
    always = set(program.always.intents) if program.always is not None else set()
    choices: list[str] = []
    free = untyped = dated = False
    for address in range(start, len(program.code)):
        if address > start and program.step_at(address) != step:
            break
        ins = program.code[address]
        if isinstance(ins, Capture):
            choices.extend(ins.choices or ())
            free = free or not ins.choices
            untyped = untyped or (not ins.choices and ins.kind is None)
            dated = dated or ins.kind == "when"
        if isinstance(ins, Dispatch):
            # the step's own answers: the cases `always` does not also handle (those
            # are the call-wide reactions: insults, opt-outs, wrong numbers...)
            own = frozenset(n for n in ins.intents if n not in always and n not in CALL_WIDE)
            return StepContext(
                step,
                frozenset(ins.intents),
                ins.objection is not None,
                tuple(choices),
                own,
                free,
                untyped,
                dated and ins.captured is not None,
                half_intents(program, own) if dated and ins.captured is not None else (),
            )
    return StepContext(step, frozenset(), False, tuple(choices))


def holds_choice(utterance: str, choices: tuple[str, ...]) -> bool:
    """Whether the utterance names one of the captured values (the VM's own test)."""
    return bool(choices) and first_choice(utterance, choices) is not None


_DIGIT = re.compile(r"\d")
# "une vingtaine d'euros", "deux euros" (text2num leaves "un", "deux" in words)
_SPOKEN_NUMBER = re.compile(
    r"\b(?:dizaine|douzaine|quinzaine|vingtaine|trentaine|quarantaine|cinquantaine"
    r"|soixantaine|centaine|millier)s?\b|\b(?:un|une|deux) (?:euros?|cents?|mille|bouteilles?)\b"
)
# "neuf" that means new: "quoi de neuf", "c'est neuf", "refait à neuf"
_NEW = re.compile(
    r"\b(?:de|a|à|tout|est|du) neu(?:f|ve)s?\b(?! (?:heures?|h|euros?|ans|mois|jours?|\d))"
)


def holds_number(utterance: str) -> bool:
    """Whether the utterance says a number, in digits or in words ("quinze",
    "vingt-cinq", "une vingtaine"); not "un caviste" nor "quoi de neuf"."""
    text = _NEW.sub(" ", utterance[:MAX_CHARS].lower())
    if _DIGIT.search(text) or _SPOKEN_NUMBER.search(text):
        return True
    return bool(_DIGIT.search(with_digits(text)))


def capture_answer(utterance: str, ctx: StepContext | None) -> tuple[bool, bool]:
    """(answered, counted): whether the utterance answers the step's capture — names one
    of its values, or says a number where it captures the answer as said — and whether
    it does through that number (``decide``'s ``answered`` and ``counted``). The VM's
    own test, read once per turn: the number goes through text2num."""
    if ctx is None:
        return False, False
    counted = ctx.numbers and holds_number(utterance)
    return counted or holds_choice(utterance, ctx.choices), counted


def answers(utterance: str, ctx: StepContext) -> bool:
    """Whether the utterance answers the step's capture (``capture_answer``)."""
    return capture_answer(utterance, ctx)[0]
