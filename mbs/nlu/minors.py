"""A prospect who says they are a minor: the ``vulnerable`` intent, by rule.

Selling alcohol to a minor is an offence, and a call must stop selling the moment the
person says their age. Examples cannot cover every age said every way ("j'ai seize
ans", "moi j'ai 15 ans", "j'ai même pas dix-huit ans", "je suis en seconde"), and a
similarity score has no notion of "under 18". So the speaker's own age, read as a
number (text2num: "quinze" is 15), and the speaker's school year are recognised here and
given to the ``vulnerable`` intent whatever the examples score. First person only: "mon
fils a quinze ans" is about someone else; and an age, not a duration: "j'ai 3 ans pour
rembourser", "j'ai encore 2 ans avant la retraite" are not ages.
"""

from __future__ import annotations

import re

from mbs.nlu.form_rule import form_rule
from mbs.nlu.normalize import ascii_words, with_digits

MAJORITY = 18
INTENT = "vulnerable"

# "j'ai 16 ans", "moi j'ai 15 ans", "j'ai que 14 ans", "j'ai même pas 18 ans", "je viens
# d'avoir 16 ans", "je vais avoir 18 ans", "j'ai bientôt 18 ans", "je suis âgée de 15
# ans", "je fête mes 17 ans demain", "j'ai eu 16 ans hier"; the clause ends after "ans"
# (not "j'ai 15 ans de métier", "2 ans à tirer").
_AGE = re.compile(
    r"\b(?P<verb>j ai|jai|je viens d avoir|je vais avoir|j aurai|je suis agee? de|je n ai"
    r"|je fete mes|je viens de feter mes|j ai eu)"
    r"(?P<how>(?: (?:que|seulement|meme|pas|encore|a peine|tout juste|bientot|presque"
    r"|quasiment|deja))*)"
    r" (?P<age>\d{1,2}) ans\b"
    r"(?! (?:de|d|a|pour|avant|apres|depuis|que|qu|sans|dans|chez|au|aux|ce|cette)\b)"
)
# "je suis en seconde", "je suis collégienne", "je suis qu'une ado", "je suis en 3e" (text2num writes
# ordinals in figures: "troisième" is "3ème"), "je suis encore au lycée"; not "je suis
# au lycée" alone (a parent can be there), nor "en première année"
_SCHOOL = re.compile(
    r"\b(?:je suis|j suis|chuis|chui|moi je suis) (?:encore |seulement |que |qu )?"
    r"(?:en (?:sixieme|cinquieme|quatrieme|troisieme|seconde|premiere|terminale"
    r"|[3-6] ?(?:e|eme|ieme)|1 ?(?:ere|re)|2 ?n?de|cm1|cm2)(?! annee| classe)"
    r"|collegien(?:ne)?|lyceen(?:ne)?|mineure?"
    r"|(?:un |une )(?:enfant|gamin|gamine|ado|adolescent|adolescente|gosse|mome)"
    r"(?! (?:de|du|d|des)\b))\b"
    r"|\bje suis encore (?:au college|au lycee)\b"
)
# "j'ai même pas 16 ans", "pas encore 18": under that age; "j'ai pas 15 ans quand
# même" denies an age, so a bare "pas" counts only with 18 ("j'ai pas 18 ans")
_UNDER = ("meme pas", "pas encore")
# "je vais avoir 18 ans", "j'ai bientôt 18 ans": 17 today
_SOON = ("je vais avoir", "j aurai")
_ALMOST = ("bientot", "presque", "quasiment")


@form_rule
def says_minor(text: str) -> bool:
    """Whether the speaker says they are under 18 or at school."""
    plain = ascii_words(with_digits(text.lower()))
    if _SCHOOL.search(plain):
        return True
    for m in _AGE.finditer(plain):
        age, how = int(m["age"]), m["how"]
        negated = " pas" in how
        if negated:
            if age <= MAJORITY and (any(u in how for u in _UNDER) or age == MAJORITY):
                return True
            continue
        soon = m["verb"] in _SOON or any(a in how for a in _ALMOST)
        if age < MAJORITY or (soon and age == MAJORITY):
            return True
    return False
