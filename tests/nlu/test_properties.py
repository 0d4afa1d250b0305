"""Whatever speech to text hands over, the NLU answers: no exception, scores in [0, 1]."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from mbs.nlu import IntentClassifier, ObjectionMatcher, normalize
from mbs.nlu.scoring import PhraseIndex
from tests.nlu.fixtures import INTENTS, PACKS

classifier = IntentClassifier(INTENTS, threshold=0.0)
matcher = ObjectionMatcher(PACKS, threshold=0.0)

french_words = st.sampled_from(
    [
        "oui",
        "non",
        "pas",
        "je",
        "suis",
        "ne",
        "temps",
        "trop",
        "cher",
        "numéro",
        "mail",
        "rappelez",
        "intéressé",
        "l'",
        "j'",
        "qu'",
        "ça",
        "d'accord",
        "ouais",
        "chui",
        "ché",
        "2",
        "10",
        "où",
        "ou",
        "l’or",
        "–",
        "!",
        "?",
        ",",
        "euh",
    ]
)
utterances = st.one_of(st.text(max_size=80), st.lists(french_words, max_size=12).map(" ".join))


@settings(max_examples=300, deadline=None)
@given(utterances)
def test_scores_stay_in_range(text: str) -> None:
    intent = classifier.classify(text)
    assert 0.0 <= intent.score <= 1.0
    assert 0.0 <= intent.runner_up_score <= 1.0
    objection = matcher.match(text)
    assert 0.0 <= objection.score <= 1.0
    for candidate in (*classifier.top(text, 5), *matcher.top(text, 5)):
        assert 0.0 <= candidate.score <= 1.0


latin_text = st.text(
    alphabet="abcdefghijklmnopqrstuvwxyzàâäçéèêëîïôöùûüÿœæ ABCÉÈÀÇ'’-,.?!0123456789", max_size=60
)


@settings(max_examples=300, deadline=None)
@given(st.lists(french_words, max_size=12).map(" ".join))
def test_normalising_spoken_french_is_stable(text: str) -> None:
    once = normalize(text)
    assert normalize(once.text).words == once.words


@settings(max_examples=300, deadline=None)
@given(latin_text)
def test_normalised_words_are_plain(text: str) -> None:
    once = normalize(text)
    assert all(w and w.isascii() and w.isalnum() and w == w.lower() for w in once.words)
    assert once.text == " ".join(once.words)


@settings(max_examples=100, deadline=None)
@given(st.sampled_from([ex for i in INTENTS for ex in i.examples]))
def test_every_example_classifies_as_its_intent(example: str) -> None:
    wanted = {i.name for i in INTENTS if example in i.examples}
    assert classifier.classify(example).intent in wanted


def _one_phrase_at_a_time(index: PhraseIndex, text: str) -> dict[int, float]:
    """The best score per label by the scalar definition (``PhraseIndex._score`` of each
    phrase sharing a token), which ``best_for`` computes on arrays."""
    q = index.query(text)
    best: dict[int, float] = {}
    pooled: dict[int, float] = {}
    for p in index._phrases:
        if q.tokens & p.tokens:
            best[p.label] = max(best.get(p.label, 0.0), index._score(q, p, pooled))
    return {label: s for label, s in best.items() if s > 0.0}


@settings(max_examples=200, deadline=None)
@given(utterances)
def test_array_scoring_equals_the_scalar_definition(text: str) -> None:
    for index in (classifier._index, matcher._index):
        fast = {label: s for label, (s, _) in index.best_per_label(text).items()}
        slow = _one_phrase_at_a_time(index, text)
        assert fast.keys() == slow.keys()
        for label, score in slow.items():
            assert abs(fast[label] - score) < 1e-9
