"""A plain negative answer: the ``no`` intent, by rule.

French answers a question in the negative with a closed set of adverbial phrases
beside "non": "pas vraiment", "point du tout", "pas à ma connaissance", "j'en ai pas
l'impression", "pas ce coup-ci", "que nenni", and a read-back set right ("c'est pas ça
vous avez mal noté"). Said alone (with fillers and a title around: "euh pas vraiment en
fait", "point du tout monsieur"), they are a no; the examples cannot hold them all, and
their few words score under every threshold or drift to a request to hear again.
Anything more ("non merci", "non je suis locataire", "pas maintenant") is left to the
scores: thanks decline the offer, a reason may be an objection, a time puts off. The one
form that may say more is a confirmation taken back opening the answer ("non attendez je
me suis trompée, jeudi je suis de garde"): what was read back is not right, whatever
follows.
"""

from __future__ import annotations

import re

from mbs.nlu.form_rule import form_pattern, form_rule, said_alone

INTENT = "no"
# What the scores may have said instead (a bare phrase of few words, or a confirmation
# taken back, whose words are new each time).
MISREAD = frozenset(("repeat", "question", "yes", "who_is_calling"))

_DENIAL = re.compile(
    r"\b(?:non|nan|nope|negatif|pas du tout|point du tout|du tout|pas vraiment|pas tellement"
    r"|pas trop|pas specialement|pas particulierement|absolument pas|certainement pas"
    r"|surement pas|pas question|jamais de la vie|aucunement|nullement|que nenni"
    r"|pas que je sache|pas a ma connaissance|pas que je me souvienne|pas a ce que je sache"
    r"|je crois pas|je ne crois pas|je pense pas|je ne pense pas|je crois que non"
    r"|je pense que non|j en ai pas l impression|je n en ai pas l impression"
    r"|pas ce coup ci|pas cette fois ci|pas cette fois"
    # a read-back set right: "c'est pas ça vous avez mal noté"
    r"|c est pas (?:du tout )?(?:ce|ca) que j ai dit|c est pas ca|ce n est pas ca"
    r"|c est pas du tout ca|j ai (?:jamais|pas) dit ca|vous avez mal (?:note|compris|entendu"
    r"|ecrit))\b"
)
_AROUND = re.compile(
    r"\b(?:euh|ben|bah|bon|ah|oh|alors|en fait|franchement|hein|monsieur|madame"
    r"|mademoiselle|voyons|vraiment|desole|desolee|malheureusement|enfin|mais|ca"
    r"|mon brave|ma brave|ma bonne dame|ma petite dame|mon bon monsieur|mon vieux|ma belle)\b"
)


# A confirmation taken back, opening the answer ("non attendez je me suis trompée jeudi je
# suis de garde", "pardon je me suis mal exprimé"): what was read back is not right.
_RETRACTS = re.compile(
    r"^(?:(?:non|nan|ah|oh|euh|attendez|attends|pardon|excusez moi|desole|desolee|mais) )*"
    r"(?:je me suis (?:trompe|trompee|mal exprime|mal exprimee|emmele|emmelee|plante|plantee)"
    r"|c est une erreur|j ai dit une betise|j ai dit n importe quoi)\b"
    # not "je me suis trompé de bouton" (of something else: a day named is read back by the
    # date capture), nor the present ("je me trompe pas c'est bien jeudi", "je me trompe
    # ou c'est la troisième fois"); "je me suis trompée sur la date" is one
    r"(?! (?:de|d|pas)\b)"
)
_said_no = said_alone(_DENIAL, _AROUND)
_retracts = form_pattern(_RETRACTS)


@form_rule
def denies(text: str) -> bool:
    """Whether the utterance is a negative answer phrase and nothing else, or takes back
    what was read back."""
    return _said_no(text) or _retracts(text)
