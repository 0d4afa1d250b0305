"""A prospect who asks to be put through to a person: the ``human_request`` intent, by rule.

"Passez-moi quelqu'un de chez vous", "pourrais-je m'entretenir avec un commercial", "je
voudrais parler à votre responsable": a request (an imperative of putting through, or a
wish to talk in the first person) and a person of the company. The words around it are
new each time ("en direct", "de chez vous", "de votre service"), so the scores fall under
the threshold or drift to a robot question. ``by_form`` in ``mbs.nlu.fuzzy`` gives
``human_request`` when the scores found nothing or one of ``MISREAD``. A request denied
("je ne veux pas parler à un conseiller") or put off ("passez-moi un conseiller demain",
a callback) is left alone; so is someone the prospect names from their own side ("je
voudrais parler à ma femme d'abord").
"""

from __future__ import annotations

import re

from mbs.nlu.form_rule import form_pattern

INTENT = "human_request"
# What the scores may have said instead.
MISREAD = frozenset(("question", "robot_question", "who_is_calling", "repeat"))

_PERSON = (
    r"(?:quelqu un|un humain|une humaine|un etre humain|une personne|une vraie personne"
    r"|un vrai|une vraie|(?:un|une|votre|ton|le|la|vos|tes|des|un autre|une autre) (?:\w+ )?"
    r"(?:conseiller|conseillere|conseillers|commercial|commerciale|commerciaux|vendeur"
    r"|vendeuse|responsable|chef|superieur|superieure|superviseur|directeur|directrice"
    r"|manager|operateur|operatrice|agent|interlocuteur|interlocutrice|collegue|employe"
    r"|employee|standardiste|specialiste|expert|experte|technicien|technicienne))\b"
)
_ASKS_FOR = re.compile(
    # putting through: "passez-moi", "mettez-moi en relation avec", "transférez-moi à"
    r"\b(?:passez|passe|passer|mettez|mets|mettre|transferez|transfere|transferer|orientez"
    r"|redirigez|basculez) (?:moi |me |nous )?(?:en relation |en contact |en ligne )?"
    rf"(?:avec |a |vers |sur )?{_PERSON}"
    # a wish to talk, in the first person: "je voudrais parler à", "pourrais-je
    # m'entretenir avec", "est-ce que je peux avoir"
    r"|\b(?:je (?:veux|voudrais|souhaite|souhaiterais|aimerais|prefere|prefererais|peux"
    r"|pourrais|demande)|j aimerais|j exige|pourrais je|puis je|est ce que je peux"
    r"|ce serait possible de|c est possible de|il faudrait que je|je dois)"
    r" (?:plutot |bien |mieux |d abord |directement )?(?:parler|discuter|echanger|m entretenir"
    r"|avoir|voir|joindre|rencontrer|traiter)"
    rf" (?:en direct |directement |de vive voix )?(?:a |avec |au |aux )?{_PERSON}"
)
_UNLESS = re.compile(
    r"\b(?:ne|n|pas|jamais|plus tard|demain|rappel\w*|autre fois|autre jour"
    r"|ma|mon|mes|notre|nos)\b"
)

# Whether the utterance asks to be put through to a person, and nothing denies it.
asks_for_a_person = form_pattern(_ASKS_FOR, unless=_UNLESS)
