"""French normalisation: what must agree, what must stay apart."""

from __future__ import annotations

import pytest

from mbs.nlu.normalize import fold, normal_form, normalize


def test_accents_case_and_typographic_apostrophes_fold_together() -> None:
    assert normal_form("J’ÉCOUTE, là !") == normal_form("j'ecoute la")
    assert fold("Cœur à l’ouvrage — déjà") == "coeur a l'ouvrage - deja"


@pytest.mark.parametrize(
    ("spoken", "written"),
    [
        ("ouai", "ouais"),
        ("ouaip", "ouais"),
        ("d'acc", "d'accord"),
        ("dac", "d'accord"),
        ("okay", "ok"),
        ("oké", "ok"),
        ("OK", "ok"),
        ("chui occupé", "je suis occupé"),
        ("j'suis au travail", "je suis au travail"),
        ("ché pas", "je sais pas"),
        ("chais pas", "je sais pas"),
        ("y a un souci", "il y a un souci"),
        ("rdv mardi", "rendez-vous mardi"),
        ("envoyez un e-mail", "envoyez un mail"),
        ("dans 2 minutes", "dans deux minutes"),
        ("2min", "deux min"),
        ("bon ben voilà quoi", "bon ben voilà"),  # the filler "quoi" asks nothing
        ("bref quoi", "bref"),
        ("peu importe le jour", "n'importe le jour"),
        ("mh mh allez", "oui allez"),  # the doubled back-channel agrees
    ],
)
def test_speech_to_text_spellings_meet_the_written_form(spoken: str, written: str) -> None:
    assert normal_form(spoken) == normal_form(written)


def test_elisions_are_expanded() -> None:
    assert normalize("l'argent").words == ("le", "argent")
    assert normalize("qu'il").words == ("que", "il")
    assert normalize("jusqu'à demain").words[0] == "jusque"
    assert normalize("aujourd'hui").words == ("aujourdhui",)


def test_negations_and_meaning_words_are_not_stop_words() -> None:
    for word in ("pas", "non", "oui", "plus", "jamais", "rien", "deja", "trop", "si", "merci"):
        assert normalize(word).content, word
    assert "pas" in normalize("je ne suis pas intéressé").content


def test_stop_words_leave_the_content() -> None:
    assert normalize("euh ben je suis intéressé").content == ("interesse",)


def test_negation_is_detected_with_or_without_ne() -> None:
    assert normalize("je ne suis pas intéressé").negated
    assert normalize("chui pas intéressé").negated
    assert normalize("je n'en veux plus").negated
    assert not normalize("je suis intéressé").negated
    assert not normalize("j'en veux plus").negated  # "plus" alone: "more"
    assert not normalize("pas de souci").negated  # an idiom for "yes"
    assert not normalize("et si jamais l'or baisse").negated  # "if ever"


def test_only_stop_words_still_leave_tokens_to_match() -> None:
    n = normalize("c'est ça")
    assert n.content == ()
    assert n.key_tokens == ("ce", "est", "ca")


def test_lemmas_make_verb_forms_agree() -> None:
    assert normalize("on vend la maison").stems[0] == normalize("vendre la maison").stems[0]
    assert normalize("je connais").stems == normalize("connaître").stems


def test_synonyms_share_a_token() -> None:
    assert normalize("ma femme").stems == normalize("mon conjoint").stems
    assert normalize("une brochure").stems == normalize("une documentation").stems


def test_accents_that_change_the_word_are_kept_apart() -> None:
    assert normal_form("où") != normal_form("ou")
    assert normalize("où").content
    assert normalize("bien sûr").content == ("certain",)
    assert normalize("posé sur la table").content == ("pose", "table")


def test_results_are_cached_per_string() -> None:
    assert normalize("bonjour madame") is normalize("bonjour madame")


def test_empty_and_punctuation_only() -> None:
    assert normalize("").words == ()
    assert normalize(" ?! … ").key_tokens == ()


def test_elisions_without_apostrophe_as_stt_writes_them() -> None:
    assert normal_form("c est trop cher") == normal_form("c'est trop cher")
    assert normal_form("j ai pas le temps") == normal_form("j'ai pas le temps")
    assert normalize("je n ai pas le temps").negated


def test_ordinals_count_like_numbers() -> None:
    assert normalize("la dixième fois").stems == normalize("dix fois").stems


def test_quoi_asks_unless_it_closes_a_filler() -> None:
    assert "quoi" in normalize("voilà quoi de neuf").content
    assert "quoi" in normalize("quoi ?").content
    assert "quoi" not in normalize("hum bon ben voilà quoi").content


def test_only_the_back_channel_mh_mh_agrees() -> None:
    # "hm hm" (thinking) and "mm mm" (lips closed, often a no) are left as said
    assert normalize("mh mh").words == ("oui",)
    assert "oui" not in normalize("hm hm je réfléchis").words
    assert "oui" not in normalize("mm mm").words
