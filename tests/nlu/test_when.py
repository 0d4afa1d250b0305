"""French days and times said on the phone, relative to the call's start."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from mbs.nlu.when import When, parse_when, pick_choice

PARIS = ZoneInfo("Europe/Paris")
NOW = datetime(2026, 12, 2, 10, 15, tzinfo=PARIS)  # a Wednesday


@pytest.mark.parametrize(
    ("said", "day", "at", "part"),
    [
        ("demain", date(2026, 12, 3), None, None),
        ("après-demain", date(2026, 12, 4), None, None),
        ("apres demain", date(2026, 12, 4), None, None),
        ("la semaine prochaine", date(2026, 12, 7), None, None),
        ("jeudi prochain vers 10 heures", date(2026, 12, 3), time(10, 0), None),
        ("lundi", date(2026, 12, 7), None, None),
        ("mercredi", date(2026, 12, 9), None, None),  # today is Wednesday: next week's
        ("14h", None, time(14, 0), None),
        ("14 h 30", None, time(14, 30), None),
        ("quatorze heures trente", None, time(14, 30), None),
        ("dix heures et demie", None, time(10, 30), None),
        ("onze heures moins le quart", None, time(10, 45), None),
        ("à trois heures", None, time(15, 0), None),  # office hours: the afternoon
        ("midi", None, time(12, 0), None),
        ("en fin de matinée", None, None, "fin de matinee"),
        ("demain matin", date(2026, 12, 3), None, "matin"),
        ("ce soir", date(2026, 12, 2), None, "soir"),
        ("le 15 décembre", date(2026, 12, 15), None, None),
        ("mardi ou mercredi, plutôt mercredi", date(2026, 12, 9), None, None),
        ("pas le matin, plutôt l'après-midi", None, None, "apres-midi"),
        ("rappelez-moi lundi à 15h", date(2026, 12, 7), time(15, 0), None),
    ],
)
def test_what_a_prospect_asks_for(
    said: str, day: date | None, at: time | None, part: str | None
) -> None:
    assert parse_when(said, NOW) == When(day, at, part)


@pytest.mark.parametrize(
    "said", ["oui", "non merci", "j'ai seize ans", "deux minutes", "c'est trop cher", ""]
)
def test_no_date_in_plain_answers(said: str) -> None:
    assert parse_when(said, NOW) is None


def test_a_correction_amends_the_previous_answer() -> None:
    first = parse_when("jeudi vers 10 heures", NOW)
    assert first is not None
    assert parse_when("plutôt l'après-midi", NOW, first) == When(
        date(2026, 12, 3), None, "apres-midi"
    )
    assert parse_when("non, vendredi", NOW, first) == When(date(2026, 12, 4), time(10, 0), None)


def test_spoken_form_and_moment() -> None:
    when = parse_when("après-demain à quatorze heures trente", NOW)
    assert when is not None
    assert when.spoken(NOW) == "après-demain, vendredi 4 décembre vers 14 h 30"
    assert when.moment(NOW) == datetime(2026, 12, 4, 14, 30, tzinfo=PARIS)
    # only an hour, already past today: tomorrow at that hour
    late = parse_when("à 9h", NOW)
    assert late is not None and late.moment(NOW) == datetime(2026, 12, 3, 9, 0, tzinfo=PARIS)
    assert When.from_dict(when.to_dict()) == when


def test_the_choice_a_prospect_settles_on() -> None:
    days = ("lundi", "mardi", "mercredi", "jeudi", "vendredi")
    assert pick_choice("mardi ou mercredi, plutôt mercredi", days) == "mercredi"
    assert pick_choice("jeudi, sinon mardi", days) == "jeudi"
    assert pick_choice("pas mardi, jeudi", days) == "jeudi"
    assert pick_choice("pas le matin, plutôt l'après-midi", ("matin", "après-midi")) == "après-midi"
    assert pick_choice("banane", days) is None


def test_a_bad_byte_off_the_wire_is_no_error() -> None:
    # the ESL reader decodes with surrogateescape: a lone surrogate reaches the VM,
    # which reads every utterance for a date; text2num alone raises on it
    assert parse_when("demain \udcff à 14h", NOW) == parse_when("demain à 14h", NOW)
    assert parse_when("\udcff", NOW) is None


@pytest.mark.parametrize(
    ("said", "part"),
    [
        ("l après midi je suis là", "apres-midi"),  # speech to text writes it apart
        ("plutôt en début d après midi", "debut d'apres-midi"),
        ("en fin d apres midi", "fin d'apres-midi"),
    ],
)
def test_the_afternoon_written_apart_is_no_noon(said: str, part: str) -> None:
    assert parse_when(said, NOW) == When(part=part)
    assert parse_when("vers midi", NOW) == When(at=time(12, 0))


@pytest.mark.parametrize(
    ("said", "half"),
    [
        ("en début de matinée", "matin"),
        ("vers neuf heures", "matin"),
        ("en fin d'après-midi", "apres-midi"),
        ("vers dix-sept heures", "apres-midi"),
        ("à 3 heures", "apres-midi"),  # office hours: 15:00
        ("vers dix-huit heures", "soir"),
        ("ce soir", "soir"),
        ("vers midi", None),  # "avant midi" is a morning, "midi" a lunch break
        ("jeudi", None),
    ],
)
def test_the_half_of_the_day_by_part_or_clock(said: str, half: str | None) -> None:
    when = parse_when(said, NOW)
    assert when is not None and when.half == half


@pytest.mark.parametrize(
    ("said", "kept"),
    [
        ("non le matin c'est pas possible", None),
        ("jeudi je peux pas", None),
        ("mardi ça me va pas du tout", None),
        ("jeudi je peux pas mais vendredi oui", "vendredi"),
        ("le matin mais pas aux aurores hein", "matin"),  # the clause ends at "mais"
        ("le matin je suis plus dispo", "matin"),  # "plus" is more here
    ],
)
def test_a_choice_refused_after_it_is_dropped(said: str, kept: str | None) -> None:
    when = parse_when(said, NOW)
    if kept is None:
        assert when is None
    elif kept == "vendredi":
        assert when is not None and when.day == date(2026, 12, 4)
    else:
        assert when is not None and when.part == kept


def test_only_a_bounded_prefix_is_read() -> None:
    # a runaway answer (10 MB) is read as the scorers read it: its first characters
    padded = "euh " * 2_500_000
    assert parse_when(padded + "jeudi", NOW) is None
    assert parse_when("jeudi " + "lundi matin " * 800_000, NOW) is not None


def test_a_day_taken_by_something_else_is_dropped() -> None:
    # "jeudi je suis de garde" refuses Thursday; "mercredi j'ai le temps" offers Wednesday
    assert parse_when("non attendez jeudi je suis de garde", NOW) is None
    assert parse_when("lundi j'ai rendez-vous chez le dentiste", NOW) is None
    friday = parse_when("plutôt vendredi soir mercredi j'ai le sport", NOW)
    assert friday is not None and friday.day == date(2026, 12, 4) and friday.part == "soir"
    wednesday = parse_when("mercredi j'ai le temps", NOW)
    assert wednesday is not None and wednesday.day is not None
