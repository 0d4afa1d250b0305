"""French normalisation for matching what a prospect said against what a scenario expects.

Speech-to-text output is lower-case-ish, unpunctuated and full of spoken spellings
("chui pas intéressé", "ouais d'acc"); scenario authors write tidy French. Both sides go
through the same steps so that they meet in the middle:

1. Unicode NFKC, lower case, typographic apostrophes and dashes made plain.
2. Accents folded (``é`` -> ``e``, ``œ`` -> ``oe``): STT engines disagree on accents.
3. Spoken and STT spellings rewritten (``chui`` -> ``je suis``, ``ouai`` -> ``ouais``,
   ``okay`` -> ``ok``, ``d'acc`` -> ``d'accord``, ``pas de souci`` -> ``sans probleme``).
4. Elisions expanded (``j'`` -> ``je``, ``qu'`` -> ``que``...), remaining punctuation
   removed, digits split from letters, small numbers written as words.
5. Tokens split into *words* (everything) and *content* (stop words removed; negations
   and meaning words kept; a few sales-call synonyms mapped to one word: ``mari``,
   ``femme`` -> ``conjoint``), content words lemmatised (simplemma) then stemmed
   (Snowball French): "vends", "vendre" and "vendons" agree.

The result is cached per input string: the same utterance is normalised once per process.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import simplemma
import snowballstemmer
from text_to_num import alpha2digit

from mbs.nlu.lexicon import (
    ELISIONS,
    INFINITIVE_ENDINGS,
    INFINITIVES_IN_RE,
    NEGATIONS,
    NO_LONGER_AFTER,
    NOT_INFINITIVES,
    NOT_NO_LONGER_BEFORE,
    NOUN_BEFORE_PERSONNE,
    NUMBER_WORDS,
    ORDINALS,
    SPEECH_VARIANTS,
    STOP_WORDS,
    SYNONYMS,
    TIMES_OF_DAY,
    VERBS_IN_IER,
)

_APOSTROPHES = str.maketrans({c: "'" for c in "’‘`´ʼʹ′＇"})
_DASHES = str.maketrans({c: "-" for c in "‐‑‒–—―−"})
_LIGATURES = str.maketrans({"œ": "oe", "æ": "ae", "ß": "ss"})

_ACCENTED = {
    "a": "[aàáâãäå]",
    "e": "[eèéêë]",
    "i": "[iìíîï]",
    "o": "[oòóôõö]",
    "u": "[uùúûü]",
    "c": "[cç]",
    "y": "[yýÿ]",
    "n": "[nñ]",
}


def _accent_tolerant(pattern: str) -> str:
    """A regex over folded text made to match the same words written with accents."""
    out: list[str] = []
    escaped = False
    for ch in pattern:
        out.append(ch if escaped else _ACCENTED.get(ch, ch))
        escaped = ch == "\\" and not escaped
    return "".join(out)


def _variant(pattern: str) -> re.Pattern[str]:
    """A speech variant's regex: accent-tolerant, on word boundaries; an apostrophe in it
    also matches the space speech to text often writes instead ("s il vous plait", "je t
    en prie"), never nothing ("t'es" is not "tes")."""
    body = _accent_tolerant(pattern).replace("'", "[' ]")
    return re.compile(rf"(?<![\w'])(?:{body})(?![\w'])")


_VARIANTS = tuple((_variant(pattern), replacement) for pattern, replacement in SPEECH_VARIANTS)
_ELIDED = "|".join(_accent_tolerant(e) for e in sorted(ELISIONS, key=len, reverse=True))
_ELISION = re.compile(rf"\b({_ELIDED})'")
# Speech to text often drops the apostrophe: "j ai pas le temps", "c est trop cher".
_VOWEL = "[h" + "".join(_ACCENTED[v].strip("[]") for v in "aeiouy") + "]"
_SPACED_ELISION = re.compile(rf"\b({_ELIDED}) (?={_VOWEL})")
_DIGIT_LETTER = re.compile(r"(?<=\d)(?=[^\W\d_])|(?<=[^\W\d_])(?=\d)")
_NON_WORD = re.compile(r"[\W_]+")
# Everything but words, dots ("o.k.") and apostrophes between letters ("j'suis").
_PUNCTUATION = re.compile(r"[^\w'.]+|_|'(?![^\W\d_])|(?<![^\W\d_])'")

_stemmer = snowballstemmer.stemmer("french")


@dataclass(frozen=True, slots=True)
class Normalized:
    """One string, normalised. ``text`` is the canonical form compared for equality."""

    text: str  # all words, single-spaced
    words: tuple[str, ...]  # all words
    content: tuple[str, ...]  # words without stop words, in order
    stems: tuple[str, ...]  # stems of ``content``, same order
    negated: bool  # the sentence carries a negation

    @property
    def key_tokens(self) -> tuple[str, ...]:
        """The tokens to score on: content stems, or all words when nothing else is left
        ("c'est ça" has only stop words, and still means something)."""
        return self.stems if self.stems else self.words


# Words that folding would merge with a stop word of another meaning: "où" (where) and
# "ou" (or), "sûr" (sure) and "sur" (on).
_HOMOGRAPHS = {"où": "ouu", "sûr": "certain", "sûre": "certain", "sûrs": "certain"}
_HOMOGRAPH = re.compile(r"(?<!\w)(où|sûrs?|sûre)(?!\w)")


# A clock time names its part of the day: "vers neuf heures" answers "le matin ou
# l'après-midi ?" as "le matin" does. Hours from 5 to 23, in figures or words, then "h"
# or "heure(s)", get the part the ``when`` capture reads in them (8 to 11 the morning,
# 5 to 7 and 13 to 17 the afternoon or evening, from 18 the evening); not after "dans",
# "pendant", "depuis" or "en" (a duration: "dans deux heures" is a callback, not a time).
_HOUR_WORDS = {
    "cinq": 5, "six": 6, "sept": 7, "huit": 8, "neuf": 9, "dix": 10, "onze": 11,
    "douze": 12, "treize": 13, "quatorze": 14, "quinze": 15, "seize": 16,
    "dix-sept": 17, "dix sept": 17, "dix-huit": 18, "dix huit": 18, "dix-neuf": 19,
    "dix neuf": 19, "vingt": 20, "vingt et une": 21, "vingt-et-une": 21,
    "vingt-deux": 22, "vingt deux": 22, "vingt-trois": 23, "vingt trois": 23,
}  # fmt: skip
_HOUR = "|".join(sorted(map(re.escape, _HOUR_WORDS), key=len, reverse=True))
_CLOCK = re.compile(
    rf"(?<![\w'-])(?<!dans )(?<!pendant )(?<!depuis )(?<!en )"
    rf"(\d{{1,2}}|{_HOUR})\s*(?:h|heures?)(?:\s*(?:\d{{1,2}}|et demie|et quart|trente|quinze))?+"
    rf"(?![\w'-])(?! (?:du matin|du soir|de l'?après-midi|de l après-midi|le matin|le soir|l'?après))"
)


def _part_of_day(hour: int) -> str:
    # as the ``when`` capture reads them (mbs.nlu.when): in office hours "à 5 heures" is
    # 17:00, so 5 to 7 are the afternoon's and the evening's, 8 to 11 the morning's; 1 to
    # 4 are left alone ("deux heures" is a duration as often as a time)
    if hour < 5:
        return ""
    if hour <= 7:
        hour += 12
    if 8 <= hour < 12:
        return "du matin"
    if 13 <= hour < 18:
        return "de l'après-midi"
    if 18 <= hour < 24:
        return "du soir"
    return ""  # noon, midnight: no part to name


def _mark_part_of_day(m: re.Match[str]) -> str:
    hour = m.group(1)
    part = _part_of_day(int(hour) if hour.isdigit() else _HOUR_WORDS[hour])
    return f"{m.group(0)} {part}" if part else m.group(0)


def mark_parts_of_day(text: str) -> str:
    """``text`` (lower case) with the part of the day after each clock time in it."""
    return _CLOCK.sub(_mark_part_of_day, text) if "h" in text else text


# A final "non" after a statement about the call or the robot asks for agreement:
# "c'est une arnaque non" is "c'est une arnaque, non ?", the objection, not a refusal;
# so are "vous êtes un robot non", "oui mais ça va coûter cher non". Only after a clause
# that opens (past fillers) on "c'est", "ça" or a pronoun but "je": after a noun or a
# verb alone the "non" refuses what it names ("des ouvriers chez moi pendant des
# semaines non", "payer d'avance non"). Not after a negative clause ("c'est pas pour
# moi non") nor after the words that make "non" the answer ("c'est non", "ben non").
_TAG = re.compile(
    r"^(?P<body>(?:(?:oui|ouais|mais|et|bon|enfin|ah|oh|euh|ben|bah|donc|alors|attendez"
    r"|franchement|bref) )*(?:c'est|c est|ce sera|ca|ça|vous|tu|il|elle|ils|elles|on)"
    r"(?: \S+)+)"
    r" (?:non|n'?\s?est[ -]ce pas|pas vrai)$"
)
_ANSWERS_AFTER = frozenset((
    "mais", "bah", "ben", "beh", "ah", "oh", "eh", "bof", "alors", "moi", "toi", "lui",
    "elle", "nous", "vous", "eux", "dit", "dis", "pense", "crois", "que", "qu", "toujours",
    "vraiment", "merci", "helas", "non", "pas", "sinon", "si", "enfin", "bon", "donc",
    "voila", "oui", "ouais", "euh", "bref", "malheureusement", "franchement", "plutot",
    "finalement", "encore", "evidemment", "clairement", "definitivement", "jamais", "rien",
    "certain", "desole", "desolee", "perso", "personnellement", "est", "sera",
))  # fmt: skip
# The verbs of the robot's own questions ("ça vous intéresse ?", "ça vous convient ?"):
# a prospect who says one back before "non" answers it.
_ASKED_BACK = frozenset((
    "convient", "conviendrait", "va", "irait", "ira", "plait", "plairait", "dit", "dirait",
    "tente", "botte", "ok", "accord", "possible", "bon", "interesse", "veux", "voulez",
))  # fmt: skip
_NEGATIVE = frozenset(
    ("pas", "ne", "n", "jamais", "rien", "aucun", "aucune", "ni", "non", "plus", "personne")
)


def drop_tag_question(text: str) -> str:
    """``text`` (lower case, unpunctuated) without a final tag "non" (see ``_TAG``)."""
    m = _TAG.match(text) if text.endswith(("non", "pas", "vrai")) else None
    if m is None:
        return text
    words = [_strip_accents(w) for w in m.group("body").replace("'", " ").split()]
    if words[-1] in _ANSWERS_AFTER or _NEGATIVE.intersection(words):
        return text
    if any(w.startswith("interess") for w in words) or (
        len(words) <= 4 and _ASKED_BACK.intersection(words)
    ):
        return text  # "ça m'intéresse ? non": the robot's question said back, then answered
    return m.group("body")


def _plain(text: str) -> str:
    """Lower case, plain apostrophes and dashes, ligatures spelled out; accents kept."""
    text = _HOMOGRAPH.sub(
        lambda m: _HOMOGRAPHS[m.group(1)], unicodedata.normalize("NFKC", text).lower()
    )
    return text.translate(_APOSTROPHES).translate(_DASHES).translate(_LIGATURES)


def plain_text(text: str) -> str:
    """Lower case, plain apostrophes and dashes, ligatures spelled out, spoken spellings
    and idioms rewritten (step 2 of ``normalize``); accents kept."""
    s = " ".join(_PUNCTUATION.sub(" ", _plain(text)).split())
    for pattern, replacement in _VARIANTS:
        s = pattern.sub(replacement, s)
    return mark_parts_of_day(drop_tag_question(s))


def _strip_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@lru_cache(maxsize=16384)  # called per word: a vocabulary, not the utterances, fills it
def fold(text: str) -> str:
    """Lower case, plain apostrophes and dashes, no accents ("où" stays apart from "ou")."""
    return _strip_accents(_plain(text))


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """Snowball French stem of a folded word (cached)."""
    return str(_stemmer.stemWord(word))


@lru_cache(maxsize=65536)
def lemma_stem(word: str) -> str:
    """The matching token of a word (accents kept): its lemma (simplemma: "vends",
    "vendre" -> "vendre"; "connais" -> "connaître"), folded, then stemmed (Snowball:
    "intéressé", "intéressant" -> "interess")."""
    return stem(_strip_accents(simplemma.lemmatize(word, lang="fr")))


def _expand(m: re.Match[str]) -> str:
    return ELISIONS[_strip_accents(m.group(1))] + " "


@lru_cache(maxsize=8192)  # bounded: a long campaign hears many distinct utterances
def normalize(text: str) -> Normalized:
    """Normalise one utterance or phrase (cached per string)."""
    s = " ".join(_DIGIT_LETTER.sub(" ", _PUNCTUATION.sub(" ", _plain(text))).split())
    for pattern, replacement in _VARIANTS:
        s = pattern.sub(replacement, s)
    s = _ELISION.sub(_expand, mark_parts_of_day(drop_tag_question(s)))
    s = _NON_WORD.sub(" ", s)
    s = " ".join(NUMBER_WORDS.get(w, w) for w in s.split())
    s = _SPACED_ELISION.sub(_expand, s)
    accented = [ORDINALS.get(_strip_accents(w), w) for w in s.split()]
    words = tuple(_strip_accents(w) for w in accented)
    content: list[str] = []
    stems: list[str] = []
    for w, a in zip(words, accented, strict=True):
        if w in STOP_WORDS:
            continue
        canonical = SYNONYMS.get(w)
        token = stem(canonical) if canonical else lemma_stem(a)
        if stems and stems[-1] == token:  # "non non non", "oui oui"
            continue
        content.append(canonical or w)
        stems.append(token)
    wordset = set(words)
    negated = (
        bool(wordset & NEGATIONS)
        or ("plus" in wordset and "ne" in wordset)
        or _spoken_negation(words)
    )
    return Normalized(
        text=" ".join(words),
        words=words,
        content=tuple(content),
        stems=tuple(stems),
        negated=negated,
    )


def _infinitive(word: str) -> bool:
    """Whether a folded word reads as an infinitive after "plus" ("je veux plus recevoir",
    "je peux plus attendre"), not as the adjective of a comparison ("plus cher", "plus
    particulier")."""
    if word.endswith("ier"):
        return word in VERBS_IN_IER
    return word in INFINITIVES_IN_RE or (
        word.endswith(INFINITIVE_ENDINGS) and len(word) > 3 and word not in NOT_INFINITIVES
    )


def _no_longer(words: tuple[str, ...], i: int) -> bool:
    """Whether "plus" at ``i`` (no "ne" in the sentence) means "no longer": before a
    place, a possessive, another negation or an infinitive ("plus ici", "plus son
    numéro", "plus jamais", "plus recevoir"), after neither a quantity nor a preposition
    ("un peu plus", "en plus"), and not in "c'est plus le prix qui..." (rather) nor
    before a time ("plus le matin"); a final "plus" is too often "more" ("en savoir
    plus")."""
    before = words[i - 1] if i else ""
    after = words[i + 1] if i + 1 < len(words) else ""
    if not i or before in NOT_NO_LONGER_BEFORE:
        return False
    if not (after in NO_LONGER_AFTER or _infinitive(after)):
        return False
    rest = words[i + 2 : i + 5]
    if before == "est" and {"qui", "que", "qu"} & set(rest):
        return False  # "c'est plus le prix qui me gêne": rather, not no longer
    return not (after in ("le", "la", "les") and rest and rest[0] in TIMES_OF_DAY)


def _spoken_negation(words: tuple[str, ...]) -> bool:
    """Whether ``words`` (folded) negate without "ne", as spoken French does: "je connais
    personne" (the pronoun, unless a determiner or an adjective makes it the noun: "la
    personne", "une vraie personne"), "il habite plus ici" (``_no_longer``)."""
    for i, w in enumerate(words):
        before = words[i - 1] if i else ""
        if w == "personne" and before not in NOUN_BEFORE_PERSONNE:
            return True
        if w == "plus" and _no_longer(words, i):
            return True
    return False


def normal_form(text: str) -> str:
    """The canonical text of a phrase: two phrases are 'the same' when these are equal."""
    return normalize(text).text


def with_digits(text: str) -> str:
    """``text`` with its French numbers in words written in figures (text2num: "quinze"
    is "15"). A character UTF-8 cannot encode (a lone surrogate: a bad byte from the
    wire, decoded with ``surrogateescape``) is dropped first: text2num raises on it."""
    try:
        out: str = alpha2digit(text, "fr")
    except UnicodeError:
        out = alpha2digit(text.encode("utf-8", "ignore").decode("utf-8"), "fr")
    return out


# cached: a turn's rules of form read the same utterance one after another (each passes
# the bounded utterance, ``mbs.nlu.form_rule``)
@lru_cache(maxsize=1024)
def ascii_words(text: str, keep: str = "") -> str:
    """Lower case, accents stripped, anything but ``a-z``, digits and ``keep`` a space,
    spaces at the ends dropped: the form the rules on an utterance's shape read
    (``mbs.nlu.minors``, ``mbs.nlu.questions``, ``mbs.nlu.optout``, ...)."""
    allowed = re.escape(keep)
    return re.sub(f"[^a-z0-9{allowed}]+", " ", _strip_accents(text.lower())).strip()
