"""A prospect who says they are a minor: the ``vulnerable`` intent, by rule.

Selling alcohol to a minor is an offence, and a call must stop selling the moment the
person says their age. Examples cannot cover every age said every way ("j'ai seize
ans", "moi j'ai 15 ans", "j'ai même pas dix-huit ans", "je suis en seconde"), and a
similarity score has no notion of "under 18". So the speaker's own age, read as a
number (text2num: "quinze" is 15), and the speaker's school year are recognised here and
given to the ``vulnerable`` intent whatever the examples score. First person only: "mon
fils a quinze ans" is about someone else.
"""

from __future__ import annotations

import functools
import re

from text_to_num import alpha2digit

from mbs.nlu.scoring import MAX_CHARS

MAJORITY = 18
INTENT = "vulnerable"

# "j'ai 16 ans", "moi j'ai 15 ans", "j'ai que 14 ans", "j'ai même pas 18 ans",
# "je viens d'avoir 16 ans", "je vais avoir 17 ans", "je suis âgé de 15 ans"; not
# "j'ai 10 ans d'ancienneté", "j'ai 15 ans de métier"
_AGE = re.compile(
    r"\b(?:j ai|jai|je viens d avoir|je vais avoir|j aurai|je suis age e? de|je n ai)"
    r"((?: (?:que|seulement|meme|pas|encore|a peine|tout juste|bientot))*)"
    r" (\d{1,2}) ans\b(?! d | de )"
)
# "je suis en seconde", "je suis au collège", "je suis lycéenne", "je suis en 3e"
# (text2num writes ordinals in figures: "troisième" is "3ème")
_SCHOOL = re.compile(
    r"\b(?:je suis|j suis|chuis|moi je suis) (?:encore )?"
    r"(?:au college|au lycee|en (?:sixieme|cinquieme|quatrieme|troisieme|seconde|premiere"
    r"|terminale|[3-6] ?(?:e|eme|ieme)|1 ?(?:ere|re)|2 ?n?de|cm1|cm2)(?! annee| classe)"
    r"|collegien(?:ne)?|lyceen(?:ne)?"
    r"|mineure?)\b"
)
_ACCENTS = str.maketrans("àâäéèêëîïôöùûüç", "aaaeeeeiioouuuc")
_NOT_WORD = re.compile(r"[^a-z0-9]+")


def _plain(text: str) -> str:
    return _NOT_WORD.sub(" ", text.lower().translate(_ACCENTS)).strip()


@functools.lru_cache(maxsize=4096)
def says_minor(text: str) -> bool:
    """Whether the speaker says they are under 18 or at school (collège, lycée)."""
    plain = _plain(alpha2digit(text[:MAX_CHARS].lower(), "fr"))
    if _SCHOOL.search(plain):
        return True
    for m in _AGE.finditer(plain):
        age, under = int(m.group(2)), " pas" in m.group(1)  # "j'ai même pas 18 ans"
        if age < MAJORITY or (under and age <= MAJORITY):
            return True
    return False
