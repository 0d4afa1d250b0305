"""French dates and times as people say them on the phone, relative to the call's time.

``parse_when("jeudi prochain vers 10 heures", now)`` finds the day, the time and the
part of the day a prospect means: weekdays ("jeudi", "jeudi prochain"), "aujourd'hui",
"ce soir", "demain", "après-demain", "la semaine prochaine", "le 15 décembre", clock
times ("14h", "14 h 30", "quatorze heures trente", "midi", "dix heures et demie") and
parts of the day ("le matin", "en fin de matinée", "l'après-midi", "en fin de journée").
Numbers in words go through ``text2num``. Corrections keep the last choice: "mardi ou
mercredi, plutôt mercredi" is Wednesday; a negated choice ("pas le matin", "jeudi je
peux pas") is dropped.
``base`` is a previous answer that a correction amends ("plutôt l'après-midi" keeps
its day).

``dateparser`` was judged for this and not used: on French speech it loses the time of
"demain matin" or "14h", reads "10 heures" in "jeudi prochain vers 10 heures" as 20:00,
and knows no "fin de matinée"; its results also depend on the machine's time zone.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from mbs.nlu.normalize import normal_form, with_digits
from mbs.nlu.scoring import MAX_CHARS

WEEKDAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
MONTHS = (
    "janvier",
    "fevrier",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "aout",
    "septembre",
    "octobre",
    "novembre",
    "decembre",
)
_MONTHS_SPOKEN = (
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
)

# Parts of the day: name -> (spoken form, the hour a call-back aims for)
PARTS: dict[str, tuple[str, time]] = {
    "debut de matinee": ("en début de matinée", time(9, 0)),
    "fin de matinee": ("en fin de matinée", time(11, 30)),
    "matin": ("dans la matinée", time(10, 0)),
    "midi": ("vers midi", time(12, 0)),
    "debut d'apres-midi": ("en début d'après-midi", time(14, 0)),
    "fin d'apres-midi": ("en fin d'après-midi", time(17, 0)),
    "apres-midi": ("dans l'après-midi", time(14, 30)),
    "soir": ("en soirée", time(18, 30)),
}

_HALVES = {
    "debut de matinee": "matin",
    "fin de matinee": "matin",
    "matin": "matin",
    "debut d'apres-midi": "apres-midi",
    "fin d'apres-midi": "apres-midi",
    "apres-midi": "apres-midi",
    "soir": "soir",
}

_PART_RE = (
    r"(?P<part>debut de matinee|fin de matinee|debut d[' ]apres[- ]?midi|fin d[' ]apres[- ]?midi"
    r"|fin de journee|debut de journee|apres[- ]?midi|aprem|apres le dejeuner|matinee|matin"
    r"|ce soir|soiree|soir|midi(?! \d))"
)
_TIME_RE = (
    r"(?P<hour>\d{1,2}) ?(?:heures?|h)(?: ?(?P<minute>\d{2})\b| et (?P<half>demie?)"
    r"| et (?P<quarter>quart)| moins (?:le )?(?P<less>quart))?"
    # (speech to text writes "l'après midi" apart: the afternoon, not noon)
    r"|(?<!apres )(?P<noon>midi) ?(?P<noon_min>\d{2})?\b(?! ?h)"
    r"|(?P<one>une heure)(?: (?P<one_min>\d{2}))?"
)
_DAY_RE = (
    r"(?P<rel>apres-demain|apres demain|aujourd'hui|demain)"
    r"|(?P<weekday>" + "|".join(WEEKDAYS) + r")(?P<next> prochain)?"
    r"|(?P<nextweek>(?:(?:en )?(?:debut|fin) de )?la semaine prochaine)"
    r"|(?P<endweek>(?:en )?fin de semaine)"
    r"|le (?P<dom>\d{1,2})(?:er)?(?: (?P<month>" + "|".join(MONTHS) + r"))?\b"
)
_TOKEN = re.compile(f"{_DAY_RE}|{_TIME_RE}|{_PART_RE}")
_NEGATION = re.compile(
    r"\b(?:pas|sauf|surtout pas|jamais|ni)\s+(?:le |la |l'|en |a |vers |avant )?$"
)

# ... or refused after, in its clause ("non le matin c'est pas possible", "jeudi je peux
# pas"; not "le matin mais pas aux aurores", "le matin je suis plus dispo"), or taken by
# something else ("jeudi je suis de garde", "mercredi j'ai le sport"; not "mercredi j'ai
# le temps")
_BUSY = (
    r"(?:sport|kine|kinesitherapeute|medecin|docteur|dentiste|rendez[ -]vous|rdv|boulot|travail"
    r"|reunion|cours|entrainement|piscine|marche|courses|enfants|petits enfants|gosses"
    r"|ecole|garde|permanence|astreinte)"
)
# a word between "j'ai" and what keeps the speaker busy, not one that denies it ("j'ai pas
# cours", "j'ai aucun rendez-vous")
_NOT_NEGATIVE = r"(?!pas |plus |aucun |aucune |jamais |point |rien )"
_REFUSED_AFTER = re.compile(
    # (the clause ends at a contrast or another day: "plutôt vendredi soir mercredi j'ai
    # le sport" keeps Friday)
    r"(?:(?! (?:mais|plutot|par contre|sinon|ou|et|lundi|mardi|mercredi|jeudi|vendredi"
    r"|samedi|dimanche|demain)\b) [\w']+){0,4}?"
    r" (?:(?:pas possible|impossible|pas dispo\w*|peux pas|pourrai pas|pourrais pas|va pas"
    r"|arrange pas|me va pas|convient pas|c est mort|jamais|exclu)\b"
    r"|(?:(?:je suis|j[' ]suis|chuis) (?:de garde|de service|d[' ]astreinte|de permanence"
    r"|pris|prise|occupe|occupee|deja pris|deja prise|en deplacement|au travail)"
    rf"|j[' ]ai (?:(?:le|la|mon|ma|mes|un|une|des|deja) |l')?(?:{_NOT_NEGATIVE}\w+ )?{_BUSY}"
    r"|je travaille|je bosse)\b"
    # (not "je travaille pas", "je bosse que le matin": the day is free, or half of it)
    r"(?! (?:pas|plus|point|que|qu|seulement|uniquement|jusqu)\b)"
    # (a busy hour or half-day rules out that part, not the day: "jeudi j'ai le dentiste
    # à dix heures donc plutôt à quatorze heures")
    r"(?! (?:a|vers|le|l|en|jusqu|entre|de|du) ?(?:\w+ )?(?:heures?|h|matin|apres[ -]midi"
    r"|midi|soir|matinee|aprem)\b))"
)


@dataclass(frozen=True, slots=True)
class When:
    """What a prospect asked for: a day, and a clock time or a part of the day."""

    day: date | None = None
    at: time | None = None  # a clock time said
    part: str | None = None  # a key of PARTS

    @property
    def empty(self) -> bool:
        return self.day is None and self.at is None and self.part is None

    def merged(self, base: When | None) -> When:
        """This answer completing ``base``: what it does not say, ``base`` does."""
        if base is None:
            return self
        day = self.day if self.day is not None else base.day
        if self.at is not None or self.part is not None:
            return When(day, self.at, self.part)
        return When(day, base.at, base.part)

    def moment(self, now: datetime) -> datetime:
        """When to call: the day (today or tomorrow when only an hour was said) at the
        time said, or the part of the day's usual hour, or 10:00."""
        hour = self.at or (PARTS[self.part][1] if self.part else time(10, 0))
        day = self.day
        if day is None:
            day = now.date()
            if datetime.combine(day, hour, now.tzinfo) <= now:
                day += timedelta(days=1)
        return datetime.combine(day, hour, now.tzinfo)

    def spoken(self, now: datetime) -> str:
        """How the robot reads it back: "jeudi 3 décembre vers 10 h 30"."""
        parts: list[str] = []
        if self.day is not None:
            delta = (self.day - now.date()).days
            label = {0: "aujourd'hui", 1: "demain", 2: "après-demain"}.get(delta)
            weekday = WEEKDAYS[self.day.weekday()]
            month = _MONTHS_SPOKEN[self.day.month - 1]
            dom = "1er" if self.day.day == 1 else str(self.day.day)
            parts.append(
                f"{label}, {weekday} {dom} {month}" if label else f"{weekday} {dom} {month}"
            )
        if self.at is not None:
            minutes = f" {self.at.minute:02d}" if self.at.minute else ""
            parts.append(f"vers {self.at.hour} h{minutes}")
        elif self.part is not None:
            parts.append(PARTS[self.part][0])
        return " ".join(parts)

    @property
    def half(self) -> str | None:
        """The half of the day it falls in: "matin", "apres-midi" or "soir" (from 18:00),
        by the part said or the clock time; None for noon (is "avant midi" the morning?)
        and when it names neither."""
        if self.part is not None:
            return _HALVES.get(self.part)
        if self.at is None or self.at.hour == 12:
            return None
        return "matin" if self.at.hour < 12 else "apres-midi" if self.at.hour < 18 else "soir"

    def to_dict(self) -> dict[str, str | None]:
        return {
            "day": self.day.isoformat() if self.day else None,
            "at": self.at.strftime("%H:%M") if self.at else None,
            "part": self.part,
        }

    @classmethod
    def from_dict(cls, data: dict[str, str | None]) -> When:
        day, at = data.get("day"), data.get("at")
        return cls(
            date.fromisoformat(day) if day else None,
            time.fromisoformat(at) if at else None,
            data.get("part"),
        )


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.lower().replace("’", "'"))
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = re.sub(r"[^\w' -]+", " ", text)
    return " ".join(text.split())


def _part_key(word: str) -> str:
    word = word.replace("d apres", "d'apres").replace("apres midi", "apres-midi")
    word = word.replace("apresmidi", "apres-midi")
    word = word.replace("d'apresmidi", "d'apres-midi")
    if word in ("aprem", "apres le dejeuner") or word.endswith("apresmidi"):
        return "apres-midi"
    if word == "matinee":
        return "matin"
    if word in ("soiree", "ce soir", "fin de journee"):
        return "soir" if word != "fin de journee" else "fin d'apres-midi"
    if word == "debut de journee":
        return "debut de matinee"
    if word.startswith("debut d'apres") or word.startswith("fin d'apres"):
        return word.split("'")[0] + "'apres-midi"
    return word


def _next_weekday(today: date, weekday: int) -> date:
    ahead = (weekday - today.weekday()) % 7
    return today + timedelta(days=ahead or 7)


def _hour(m: re.Match[str], text: str) -> time | None:
    if m.group("noon"):
        minute = int(m.group("noon_min") or 0)
        return time(12, minute) if minute < 60 else None
    if m.group("one"):
        minute = int(m.group("one_min") or 0)
        return time(13, minute) if minute < 60 else None
    hour = int(m.group("hour"))
    minute = int(m.group("minute") or 0)
    if m.group("half"):
        minute = 30
    elif m.group("quarter"):
        minute = 15
    elif m.group("less"):
        hour, minute = hour - 1, 45
    after = text[m.end() : m.end() + 12]
    if 1 <= hour <= 7 and "du matin" not in after:
        hour += 12  # "à 3 heures" during office hours is the afternoon
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        return None
    return time(hour, minute)


def parse_when(text: str, now: datetime, base: When | None = None) -> When | None:
    """The day/time ``text`` asks for, amending ``base``; None when it names none. Only
    the first ``MAX_CHARS`` are read, as the scorers do: each token looks back and
    ahead, and a 10 MB answer read whole took minutes."""
    folded = _fold(with_digits(text[:MAX_CHARS]))
    day: date | None = None
    at: time | None = None
    part: str | None = None
    today = now.date()
    found = False
    for m in _TOKEN.finditer(folded):
        if _NEGATION.search(folded, 0, m.start()) or _REFUSED_AFTER.match(folded, m.end()):
            continue  # "pas le matin", "le matin c'est pas possible": a choice ruled out
        found = True
        if m.group("rel"):
            rel = m.group("rel")
            offset = 0 if rel.startswith("aujourd") else 1 if rel == "demain" else 2
            day = today + timedelta(days=offset)
        elif m.group("weekday"):
            day = _next_weekday(today, WEEKDAYS.index(m.group("weekday")))
        elif m.group("nextweek"):
            phrase = m.group("nextweek")
            monday = today + timedelta(days=7 - today.weekday())
            day = monday + timedelta(days=4) if "fin de" in phrase else monday
        elif m.group("endweek"):
            friday = today + timedelta(days=(4 - today.weekday()) % 7)
            day = friday if friday > today else friday + timedelta(days=7)
        elif m.group("dom"):
            dom = int(m.group("dom"))
            month = MONTHS.index(m.group("month")) + 1 if m.group("month") else today.month
            year = today.year
            try:
                candidate = date(year, month, dom)
                if candidate < today:
                    candidate = (
                        date(year + 1, month, dom)
                        if m.group("month")
                        else date(year + (month == 12), month % 12 + 1, dom)
                    )
            except ValueError:
                continue
            day = candidate
        elif m.group("part"):
            word = m.group("part")
            if word == "ce soir":
                day = today
            part = _part_key(word)
            at = None  # a part said after a time corrects it
        else:
            hour = _hour(m, folded)
            if hour is None:
                continue
            at, part = hour, None
    if not found:
        return None
    when = When(day, at, part).merged(base)
    return None if when.empty else when


# A correction: what comes after these words replaces what came before.
_CORRECTION = re.compile(
    r" (?:plutot|finalement|enfin non|enfin|non|pardon|je veux dire|disons|en fait|ah non) "
)
_NEGATED = re.compile(r" (?:pas|sauf|surtout pas|ni) (?:le |la |l |en |par |a |de )?$")


def pick_choice(utterance: str, choices: tuple[str, ...]) -> str | None:
    """The choice a prospect settles on in ``utterance``: the first one said after the
    last correction ("mardi ou mercredi, plutôt mercredi"; "par téléphone, enfin non par
    mail"), else the first one said ("jeudi, sinon mardi"), never a negated one ("pas le
    matin"). Whole words in the NLU's French normal form; at one position the longer
    choice wins ("mardi matin" over "mardi"). The first ``MAX_CHARS`` are read."""
    padded = f" {normal_form(utterance[:MAX_CHARS])} "
    found: list[tuple[int, int, str]] = []
    for choice in choices:
        norm = normal_form(choice)
        if not norm:
            continue
        needle = f" {norm} "
        start = padded.find(needle)
        while start >= 0:
            if not _NEGATED.search(padded[: start + 1]):
                found.append((start, -len(norm), choice))
            start = padded.find(needle, start + 1)
    if not found:
        return None
    corrections = [m.end() - 1 for m in _CORRECTION.finditer(padded)]
    if corrections:
        after = [f for f in found if f[0] >= corrections[-1]]
        if after:
            return min(after)[2]
    return min(found)[2]
