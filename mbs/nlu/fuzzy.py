"""Intent classification and objection matching without an LLM.

Both are built once per program (all phrases normalised and indexed at construction) and
then answer in well under a millisecond. See ``mbs.nlu.scoring`` for the score and
``docs/nlu.md`` for how the thresholds were chosen.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from mbs.nlu import (
    abuse,
    caller,
    consent,
    denial,
    elsewhere,
    fields,
    handover,
    identity,
    later,
    leave,
    machine,
    optout,
    others,
    refusal,
    repeat,
    vulnerable,
)
from mbs.nlu.form_rule import FORM_SCORE
from mbs.nlu.normalize import normalize
from mbs.nlu.objection_forms import objections_by_form, read_by_form
from mbs.nlu.questions import INTENT as QUESTION
from mbs.nlu.questions import asks, praises_a_question
from mbs.nlu.scoring import DEFAULT_WEIGHTS, PhraseIndex, Weights
from mbs.program import Intent, Objection, ObjectionPack

MINOR = vulnerable.INTENT

# Chosen on tests/nlu/eval_set.jsonl (see docs/nlu.md): objections, the best accuracy
# with at most 2 % of ordinary answers matched; intents, the best intent accuracy.
DEFAULT_INTENT_THRESHOLD = 0.55
DEFAULT_OBJECTION_THRESHOLD = 0.55

# An intent whose keywords are in the utterance scores at least this much, plus a share
# of the rest for how much of the utterance those keywords explain: "mardi" alone is
# sure, "on part en vacances" (keyword "part") is not.
KEYWORD_BASE = 0.3


@dataclass(frozen=True, slots=True)
class Candidate:
    """One ranked candidate, for ``top()``: the CLI and debugging."""

    name: str  # intent name, or objection text as written
    score: float
    phrase: str  # the example, keyword, objection or variant that scored best
    pack: str | None = None  # objections only


@dataclass(frozen=True, slots=True)
class IntentMatch:
    """``intent`` is None when the best score is below the threshold; ``runner_up`` is
    then the best candidate that was not accepted (with its score), else the second best."""

    intent: str | None
    score: float
    runner_up: str | None = None
    runner_up_score: float = 0.0


def by_form(
    text: str,
    names: Sequence[str],
    found: IntentMatch,
    threshold: Callable[[str], float],
    declared: Collection[str] = (),
) -> IntentMatch:
    """``found`` after the rules that read the utterance's form, whatever the scores:
    a speaker who says they are a minor or pregnant (``said_minor``), an intent
    refused when the utterance holds no word of its field (``_within_fields``), a stop
    request read in a call put off "plus tard" (``_stop_read_in_plus_tard``), what a
    form says is not meant (``_VETOES``), then, in ``_BY_FORM``'s order, a request never
    to be called again (``mbs.nlu.optout``), a slur thrown at the caller
    (``mbs.nlu.abuse``), leave-taking alone (``mbs.nlu.leave``), a request to hear
    again (``mbs.nlu.repeat``), a call put off (``mbs.nlu.later``), someone other than
    the contact on the line (``mbs.nlu.elsewhere``), a person of the company asked for
    (``mbs.nlu.handover``), a machine asked about
    (``mbs.nlu.machine``), the contact saying it is them (``mbs.nlu.identity``), who
    is calling asked (``mbs.nlu.caller``), the offer declined as not for the speaker
    (``mbs.nlu.refusal``), a question nothing else recognised
    (``asked``, ``mbs.nlu.questions``), a go-ahead read as a refusal
    (``mbs.nlu.consent``); each when the program has that intent. ``declared``: the
    program's intents from outside ``LIBRARY_MODULE``, which the requests about the call
    (``_ABOUT_THE_CALL``) may turn too."""
    if MINOR in names and vulnerable.by_rule(text):
        return said_minor(found)
    found, refused = _within_fields(text, found)
    if later.INTENT in names and _stop_read_in_plus_tard(text, found):
        return IntentMatch(later.INTENT, max(found.score, threshold(later.INTENT)))
    candidate = _candidate(found)
    # (a stop request said in the turn is never vetoed away: its rule comes next)
    if any(candidate in vetoed and test(text) for vetoed, test in _VETOES) and not (
        optout.refuses_calls(text)
    ):
        # a vetoed runner-up goes too: a step may guess from it, the VM act on a stop one
        return IntentMatch(None, found.score)
    for intent, misread, says in _BY_FORM:
        if intent == QUESTION:
            if QUESTION in names and found.intent is None and asks(text):
                # a candidate refused for its field does not stop a question ("le
                # rendez-vous se passe au téléphone ou chez moi" is no request for a human)
                unsure = IntentMatch(None, found.score) if refused else found
                return asked(unsure, threshold(QUESTION))
        elif (
            intent in names
            and (
                found.intent is None
                or found.intent in misread
                or found.intent == intent
                or (intent in _ABOUT_THE_CALL and found.intent in declared)
            )
            and says(text)
        ):
            # the scores' own reading confirmed by the form is as sure as the form
            return _by_rule(intent, found, threshold(intent))
    if found.intent is None and found.runner_up == QUESTION and not asks(text):
        # the scores unsure of a question that has no question's form: no candidate a
        # step would guess from ("je sais plus combien exactement" answers)
        return IntentMatch(None, found.score)
    return found


def _within_fields(text: str, found: IntentMatch) -> tuple[IntentMatch, bool]:
    """``found`` without a best candidate the utterance holds no word of the field of
    (``mbs.nlu.fields``), and whether it had one. A shared topical word ("c'est
    commercial ?", "j'ai soixante-quatorze ans"): not taken, left as the best candidate;
    a stop request goes entirely, as a runner-up too, since the VM acts on a stop
    runner-up ("va pour un coup de fil")."""
    if found.runner_up == optout.INTENT and not fields.speaks_of(optout.INTENT, text):
        found = IntentMatch(found.intent, found.score)
    candidate = _candidate(found)
    if candidate is None or fields.speaks_of(candidate, text):
        return found, False
    if candidate == optout.INTENT:
        return IntentMatch(None, found.score), True
    if found.intent is not None:
        return IntentMatch(None, found.score, found.intent, found.score), True
    return found, True


def _candidate(found: IntentMatch) -> str | None:
    """The intent the scores lean to: the recognised one, else the best unsure one."""
    return found.intent if found.intent is not None else found.runner_up


def _stop_read_in_plus_tard(text: str, found: IntentMatch) -> bool:
    """ "j'ai pas le temps rappelez plus tard": the scores read "pas ... rappelez plus" as
    a call refused; the call is put off and the stop reading dropped, not kept as the
    runner-up (the VM acts on an accepted stop request even there)."""
    return (
        optout.INTENT in (found.intent, found.runner_up)
        and later.explains_the_plus(text)
        and not optout.refuses_calls(text)
    )


# What the scores found that a form says is not meant: (the intents, the test).
_VETOES: tuple[tuple[frozenset[str], Callable[[str], bool]], ...] = (
    # "attendez deux secondes je sors de la voiture": the prospect stays on the line
    (frozenset((later.INTENT,)), later.holds_on),
    # "qui vous a filé mon numéro": the data-source objection's, whose answer the law
    # requires, not who is calling
    (frozenset((caller.INTENT, QUESTION)), caller.asks_number_source),
    # "ça je préfère pas le dire au téléphone c'est personnel": a question declined
    (frozenset((optout.INTENT,)), optout.withholds_answer),
    # "ma sœur me rappelle tous les soirs": a fact about someone else, to no one
    (others.INTENTS, others.speaks_of_another),
    # "je passe mes journées à tester des intelligences artificielles": machines in general
    (frozenset((machine.INTENT,)), machine.speaks_of_machines),
    # "c'est une bonne question ça": a question praised, none asked
    (frozenset((QUESTION,)), praises_a_question),
    # "allô oui": the line picked up, no consent given
    (frozenset((consent.INTENT,)), consent.only_picks_up),
    # "j'ai un collègue qui s'appelle thomas comme vous": a name said, not asked
    (frozenset((caller.INTENT,)), caller.says_a_name),
    # "nan c'est pas à vous que je parle c'est au chien": said to someone else
    (others.ASIDE_INTENTS, others.speaks_to_another),
    # "je me rappelle très bien du temps du franc": remembering, no call asked
    (frozenset((later.INTENT,)), later.remembers),
    # "ça fait trois fois que je répète à Emma...": the speaker repeating
    (frozenset((repeat.INTENT,)), repeat.speaker_repeats),
)

# The library module whose intents the rules know (``Intent.module``).
LIBRARY_MODULE = "intents.common"
# Requests about the call itself, which no scenario's own intent says: their rules may
# turn an intent the scenario declares ("rappelez-moi plutôt samedi" read as or_rdv's
# ``weekday`` at a step that does not take a day, which then went nowhere). The rules of
# answers (a yes, a no, a refusal, leave-taking) may not: a scenario's intent is an
# answer too ("oui j'ai arrêté l'alcool" is vin_lead's ``abstinent``).
_ABOUT_THE_CALL = frozenset((
    optout.INTENT, abuse.INTENT, repeat.INTENT, later.INTENT, elsewhere.INTENT,
    handover.INTENT, machine.INTENT, caller.INTENT,
))  # fmt: skip

# The rules after the minor's, in order: (intent, what the scores may have said instead,
# the test of the form). The question rule applies only when nothing was recognised.
_BY_FORM: tuple[tuple[str, frozenset[str], Callable[[str], bool]], ...] = (
    # "ne m'appelez plus jamais, compris ?"
    (optout.INTENT, optout.MISREAD, optout.refuses_calls),
    # "toi idiot laisse-moi tranquille", "fils de pute"
    (abuse.INTENT, abuse.MISREAD, abuse.insults),
    # "merci pour l'appel au plaisir"
    (leave.INTENT, leave.MISREAD, leave.takes_leave),
    # "vous avez dit quoi": hearing again answers
    (repeat.INTENT, repeat.MISREAD, repeat.asks_again),
    # "vous pouvez rappeler dans une heure ?"
    (later.INTENT, later.MISREAD, later.puts_off),
    # "vous voulez parler à mon mari ?"
    (elsewhere.INTENT, elsewhere.MISREAD, elsewhere.not_the_contact),
    # "passez-moi quelqu'un de chez vous"
    (handover.INTENT, handover.MISREAD, handover.asks_for_a_person),
    # "c'est un automate qui m'appelle ?"
    (machine.INTENT, machine.MISREAD, machine.asks_if_machine),
    # "lui-même à l'appareil"
    (identity.INTENT, identity.MISREAD, identity.confirms_identity),
    # "vous êtes qui ?"
    (caller.INTENT, caller.MISREAD, caller.asks_who),
    # "c'est pas pour moi ce genre de truc"
    (refusal.INTENT, refusal.MISREAD, refusal.declines),
    (QUESTION, frozenset(), asks),
    (consent.INTENT, consent.MISREAD, consent.consents),
    # "point du tout monsieur", "euh pas vraiment en fait"
    (denial.INTENT, denial.MISREAD, denial.denies),
    # "oh oui on en achète mon mari aime bien son petit verre le dimanche": nothing else
    # recognised
    (consent.INTENT, frozenset(), consent.affirms),
)


def _by_rule(intent: str, found: IntentMatch, threshold: float) -> IntentMatch:
    """``found`` turned into ``intent`` by a rule of form, at least at its threshold and
    ``FORM_SCORE``; a different intent the scores found stays as the runner-up."""
    sure = max(found.score, threshold, FORM_SCORE)
    if found.intent == intent:
        return IntentMatch(intent, sure, found.runner_up, found.runner_up_score)
    if found.intent is not None:
        return IntentMatch(intent, sure, found.intent, found.score)
    score = round(sure, 4)
    if found.runner_up == intent:
        return IntentMatch(intent, score)
    return IntentMatch(intent, score, found.runner_up, found.runner_up_score)


def said_minor(found: IntentMatch) -> IntentMatch:
    """``found`` turned into the ``vulnerable`` intent, sure: the speaker said they are a
    minor (``mbs.nlu.minors``) or pregnant (``mbs.nlu.pregnancy``); what the scores
    preferred stays as the runner-up."""
    if found.intent is not None and found.intent != MINOR:
        return IntentMatch(MINOR, 1.0, found.intent, found.score)
    if found.runner_up is not None and found.runner_up != MINOR:
        return IntentMatch(MINOR, 1.0, found.runner_up, found.runner_up_score)
    return IntentMatch(MINOR, 1.0)


# Intents whose wrong acceptance ends the call (a stop request also takes the number off
# the lists for good) or hands it over (a prospect who asked nothing put through to a
# salesperson): the hybrid's learned acceptance may refuse them, never accept them under
# their threshold. Under it, the VM confirms a likely stop request instead of acting, and
# a request for a person is one by its form (``mbs.nlu.handover``) or not at all.
GUARDED = frozenset(("stop_calling", "insult", "goodbye", "human_request"))
# Unsure about these, a question's form does not make the utterance a question: an
# unsure stop request is confirmed by the VM, an unsure insult or goodbye is let go,
# the call-wide safety intents keep their own reactions.
_NOT_ASKED = GUARDED | {"vulnerable", "human_request", "robot_question"}


def asked(found: IntentMatch, threshold: float) -> IntentMatch:
    """``found`` (no intent recognised) turned into the ``question`` intent at its
    threshold (``mbs.nlu.questions``), unless its best candidate was a call-wide one."""
    if found.runner_up in _NOT_ASKED:
        return found
    score = round(max(found.score, threshold), 4)
    if found.runner_up == QUESTION:  # the scores' own best, under its threshold
        return IntentMatch(QUESTION, score)
    return IntentMatch(QUESTION, score, found.runner_up, found.runner_up_score)


@dataclass(frozen=True, slots=True)
class ObjectionMatch:
    """``objection`` is the text exactly as written in its pack, or None (no match)."""

    objection: str | None
    score: float
    response: str | None = None
    audio: str | None = None
    pack: str | None = None
    runner_up: str | None = None
    runner_up_score: float = 0.0


def _check_threshold(value: float) -> float:
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"threshold must be between 0 and 1, got {value}")
    return value


def _rank(scores: dict[int, tuple[float, str]]) -> list[tuple[int, float, str]]:
    # ties: declaration order (lower label first)
    return sorted(
        ((label, s, phrase) for label, (s, phrase) in scores.items()),
        key=lambda x: (-x[1], x[0]),
    )


class IntentClassifier:
    """Classify an utterance over a set of intents (examples + keywords)."""

    def __init__(
        self,
        intents: Sequence[Intent],
        threshold: float = DEFAULT_INTENT_THRESHOLD,
        weights: Weights = DEFAULT_WEIGHTS,
    ) -> None:
        self.threshold = _check_threshold(threshold)
        self.names: list[str] = []
        # the intents a scenario or a user's module declares (``by_form``'s ``declared``)
        self.declared = frozenset(
            i.name for i in intents if i.module and i.module != LIBRARY_MODULE
        )
        by_name: dict[str, int] = {}
        phrases: list[tuple[int, str]] = []
        keywords: list[tuple[int, str, frozenset[str], bool]] = []
        for intent in intents:
            label = by_name.setdefault(intent.name, len(self.names))
            if label == len(self.names):
                self.names.append(intent.name)
            phrases.extend((label, ex) for ex in intent.examples)
            for kw in intent.keywords:
                n = normalize(kw)
                if n.key_tokens:
                    keywords.append((label, kw, frozenset(n.key_tokens), n.negated))
        self._index = PhraseIndex(phrases, weights)
        self._keywords = keywords
        self._negation_penalty = weights.negation_penalty

    def _scores(self, text: str) -> dict[int, tuple[float, str]]:
        q = self._index.query(text)
        scores = self._index.best_for(q)
        if not self._keywords:
            return scores
        found: dict[int, tuple[set[str], list[str], bool]] = {}
        for label, kw, tokens, negated in self._keywords:
            if tokens <= q.tokens:
                entry = found.setdefault(label, (set(), [], False))
                entry[0].update(tokens)
                entry[1].append(kw)
                found[label] = (entry[0], entry[1], entry[2] or negated)
        for label, (present, kws, negated) in found.items():
            # the intent's keywords found (each whole), and how much of the utterance they cover
            explained = sum(self._index.weight(t) for t in present) / q.weight
            s = KEYWORD_BASE + (1.0 - KEYWORD_BASE) * min(1.0, explained)
            if q.negated and not negated:
                s *= self._negation_penalty
            if s > scores.get(label, (0.0, ""))[0]:
                scores[label] = (s, " + ".join(kws))
        return scores

    def unknown_share(self, text: str) -> float:
        """The share of the text's content words no example uses."""
        return self._index.unknown_share(text)

    def score_array(self, text: str) -> npt.NDArray[np.float32]:
        """Score of every intent, by index in ``names`` (0 for those sharing no word with
        ``text``, examples and keywords): the hybrid's lexical evidence."""
        out = np.zeros(len(self.names), dtype=np.float32)
        for label, (s, _) in self._scores(text).items():
            out[label] = s
        return out

    def top(self, text: str, n: int = 3) -> list[Candidate]:
        return [
            Candidate(self.names[label], round(s, 4), phrase)
            for label, s, phrase in _rank(self._scores(text))[:n]
        ]

    def classify(self, text: str) -> IntentMatch:
        found = self._classify(text)
        return by_form(text, self.names, found, lambda _: self.threshold, self.declared)

    def _classify(self, text: str) -> IntentMatch:
        ranked = _rank(self._scores(text))
        if not ranked:
            return IntentMatch(None, 0.0)
        (label, score, _), rest = ranked[0], ranked[1:]
        name, score = self.names[label], round(score, 4)
        if score < self.threshold:
            return IntentMatch(None, score, name, score)
        if rest:
            return IntentMatch(name, score, self.names[rest[0][0]], round(rest[0][1], 4))
        return IntentMatch(name, score)


class ObjectionMatcher:
    """Match an utterance against every objection of the packs in scope. ``by_form``: the
    objections of the scope its forms name (``mbs.nlu.objection_forms``), which the
    hybrid matcher reads too."""

    def __init__(
        self,
        packs: Sequence[ObjectionPack],
        threshold: float = DEFAULT_OBJECTION_THRESHOLD,
        weights: Weights = DEFAULT_WEIGHTS,
    ) -> None:
        self.threshold = _check_threshold(threshold)
        self.entries: list[tuple[str, Objection]] = []
        phrases: list[tuple[int, str]] = []
        for pack in packs:
            for objection in pack.objections:
                label = len(self.entries)
                self.entries.append((pack.name, objection))
                phrases.append((label, objection.text))
                phrases.extend((label, v) for v in (*objection.variants, *objection.borrowed))
        self._index = PhraseIndex(phrases, weights)
        self.by_form = objections_by_form(self.entries)

    def scores(self, text: str) -> dict[int, float]:
        """Score of every objection that shares a word with ``text``, by index in
        ``entries`` (the others score 0)."""
        return {label: s for label, (s, _) in self._index.best_per_label(text).items()}

    def unknown_share(self, text: str) -> float:
        """The share of the text's content words no phrasing uses."""
        return self._index.unknown_share(text)

    def score_array(self, text: str) -> npt.NDArray[np.float32]:
        """``scores`` as an array over ``entries`` (for the hybrid scorer)."""
        return self._index.best_array(text, len(self.entries))

    def top(self, text: str, n: int = 3) -> list[Candidate]:
        out: list[Candidate] = []
        for label, s, phrase in _rank(self._index.best_per_label(text))[:n]:
            pack, objection = self.entries[label]
            out.append(Candidate(objection.text, round(s, 4), phrase, pack))
        return out

    def match(self, text: str) -> ObjectionMatch:
        ranked = _rank(self._index.best_per_label(text))
        formed = read_by_form(text, self.by_form)
        if formed is not None:
            # the objection its form names, first, at least as sure as a form
            own = next((s for label, s, _ in ranked if label == formed), 0.0)
            ranked = [(formed, max(own, FORM_SCORE), "")] + [r for r in ranked if r[0] != formed]
        if not ranked:
            return ObjectionMatch(None, 0.0)
        label, score, _ = ranked[0]
        score = round(score, 4)
        pack, objection = self.entries[label]
        if score < self.threshold:
            return ObjectionMatch(None, score, runner_up=objection.text, runner_up_score=score)
        runner_up, runner_up_score = None, 0.0
        if len(ranked) > 1:
            runner_up = self.entries[ranked[1][0]][1].text
            runner_up_score = round(ranked[1][1], 4)
        return ObjectionMatch(
            objection.text,
            score,
            response=objection.response,
            audio=objection.audio,
            pack=pack,
            runner_up=runner_up,
            runner_up_score=runner_up_score,
        )
