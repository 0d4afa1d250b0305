"""Intent classification and objection matching on small hand-built intents and packs."""

from __future__ import annotations

import pytest

from mbs.nlu import IntentClassifier, ObjectionMatcher
from mbs.program import Intent, Objection, ObjectionPack
from tests.nlu.fixtures import INTENTS, PACKS


@pytest.fixture(scope="module")
def classifier() -> IntentClassifier:
    return IntentClassifier(INTENTS)


@pytest.fixture(scope="module")
def matcher() -> ObjectionMatcher:
    return ObjectionMatcher(PACKS)


@pytest.mark.parametrize(
    ("utterance", "intent"),
    [
        ("non", "no"),
        ("nan", "no"),
        ("non non non", "no"),
        ("bah non", "no"),
        ("oui", "yes"),
        ("ouais", "yes"),
        ("ouai", "yes"),
        ("okay", "yes"),
        ("c'est ça", "yes"),
        ("mardi", "slot_ok"),
    ],
)
def test_short_utterances(classifier: IntentClassifier, utterance: str, intent: str) -> None:
    assert classifier.classify(utterance).intent == intent


def test_negation_is_not_lost(classifier: IntentClassifier) -> None:
    assert classifier.classify("je ne suis pas intéressé").intent == "not_interested"
    assert classifier.classify("chui pas intéressé").intent == "not_interested"
    assert classifier.classify("je suis intéressé").intent == "interested"
    assert classifier.classify("ça m'intéresse").intent == "interested"


def test_a_negated_utterance_does_not_take_a_positive_examples_full_score() -> None:
    only_positive = IntentClassifier(
        [Intent(name="interested", examples=("je suis intéressé",))], threshold=0.0
    )
    assert only_positive.classify("je suis intéressé").score == 1.0
    assert only_positive.classify("je ne suis pas intéressé").score < 0.55


def test_speech_to_text_misspellings_still_match(classifier: IntentClassifier) -> None:
    assert classifier.classify("rapelez moi demain").intent == "callback"
    assert classifier.classify("retirez moi de vote liste").intent == "stop_calling"


def test_result_carries_the_runner_up(classifier: IntentClassifier) -> None:
    result = classifier.classify("je ne suis pas intéressé")
    assert result.intent == "not_interested"
    assert result.runner_up is not None and result.runner_up != "not_interested"
    assert 0.0 <= result.runner_up_score < result.score <= 1.0


def test_below_threshold_names_the_best_candidate_as_runner_up() -> None:
    strict = IntentClassifier(INTENTS, threshold=0.99)
    result = strict.classify("je suis intéressé mais pas tout de suite")
    assert result.intent is None
    assert result.runner_up is not None
    assert result.score == result.runner_up_score > 0.0


def test_nothing_in_common_is_no_intent(classifier: IntentClassifier) -> None:
    for text in ("", "   ", "euh", "je m'appelle Paul Durand"):
        assert classifier.classify(text).intent is None, text


def test_top_ranks_candidates(classifier: IntentClassifier) -> None:
    top = classifier.top("non merci", n=2)
    assert top[0].name == "no"
    assert len(top) <= 2
    assert top == sorted(top, key=lambda c: -c.score)


def test_intents_with_the_same_name_are_merged() -> None:
    a = Intent(name="yes", examples=("oui",))
    b = Intent(name="yes", examples=("volontiers",), module="scenario")
    c = IntentClassifier([a, b])
    assert c.names == ["yes"]
    assert c.classify("volontiers").intent == "yes"


def test_thresholds_are_checked() -> None:
    with pytest.raises(ValueError):
        IntentClassifier(INTENTS, threshold=1.5)
    with pytest.raises(ValueError):
        ObjectionMatcher(PACKS, threshold=-0.1)


# ------------------------------------------------------------------ objections


def test_objection_match_reports_text_response_and_pack(matcher: ObjectionMatcher) -> None:
    result = matcher.match("ah non franchement j'ai pas le temps là")
    assert result.objection == "Je n'ai pas le temps"
    assert result.response == "Je comprends, deux minutes suffiront."
    assert result.pack == "objections.standard"
    assert result.score >= matcher.threshold


def test_variants_match_their_objection(matcher: ObjectionMatcher) -> None:
    assert matcher.match("je suis très pressé").objection == "Je n'ai pas le temps"
    assert matcher.match("qui vous a donné mon numéro ?").objection == (
        "Comment avez-vous eu mon numéro ?"
    )


def test_audio_responses_are_passed_through(matcher: ObjectionMatcher) -> None:
    result = matcher.match("envoyez-moi un email")
    assert result.objection == "Envoyez-moi un mail"
    assert result.audio == "audio/mail.wav"
    assert result.response is None


@pytest.mark.parametrize(
    "answer",
    [
        "je m'appelle Paul",
        "oui j'habite à Lyon",
        "mardi après-midi",
        "oui j'habite à Lyon depuis pas mal de temps",
        "j'ai eu le temps de regarder votre site",
        "mon conjoint rentre vers dix-neuf heures et on dîne",
        "je travaille dans la banque depuis vingt ans",
    ],
)
def test_ordinary_answers_match_no_objection(matcher: ObjectionMatcher, answer: str) -> None:
    assert matcher.match(answer).objection is None


def test_negation_separates_objections() -> None:
    packs = [
        ObjectionPack(
            name="p",
            objections=(
                Objection(text="Je ne suis pas propriétaire", response="a"),
                Objection(text="Je suis propriétaire", response="b"),
            ),
        )
    ]
    m = ObjectionMatcher(packs)
    assert m.match("je suis pas propriétaire").objection == "Je ne suis pas propriétaire"
    assert m.match("oui je suis propriétaire").objection == "Je suis propriétaire"


def test_top_lists_objections_with_their_pack(matcher: ObjectionMatcher) -> None:
    top = matcher.top("l'or c'est trop risqué", n=3)
    assert top[0].name == "L'or est trop risqué"
    assert top[0].pack == "objections.or"


def test_no_objection_in_scope_matches_nothing() -> None:
    assert ObjectionMatcher([]).match("c'est trop cher").objection is None


def test_a_huge_phrasing_is_scored_on_its_beginning() -> None:
    """A pack's phrasing of a megabyte (a pasted document) is indexed on its first
    characters, as an utterance is: matching stays as cheap as for a sentence."""
    from mbs.nlu.scoring import MAX_CHARS

    huge = "c'est trop cher " * 70_000
    pack = ObjectionPack(name="p", objections=(Objection(text=huge, response="r"),))
    matcher = ObjectionMatcher([pack])
    assert all(len(j) <= MAX_CHARS for j in matcher._index._arrays.joined)
    assert matcher.match("c'est trop cher").objection == huge
