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

from mbs.nlu.form_rule import form_rule
from mbs.nlu.normalize import ascii_words

INTENT = "human_request"
# What the scores may have said instead.
MISREAD = frozenset(("question", "robot_question", "who_is_calling", "repeat"))

_PERSON = (
    r"(?:quelqu un|un humain|une humaine|un etre humain|une personne|une vraie personne"
    # a human voice ("donnez-moi une vraie voix", "une vraie dame")
    r"|une vraie voix|une voix humaine|un vrai monsieur|une vraie dame|un vrai gars"
    # the customer service ("avoir le service client en direct")
    r"|(?:le|un|votre|au|du) service (?:client|clients|clientele|commercial|consommateurs)"
    # the one in charge ("avoir la personne qui s'occupe des dossiers")
    r"|la personne (?:qui s occupe|qui gere|en charge|responsable)"
    r"|(?:un|une|votre|ton|le|la|vos|tes|des|un autre|une autre|un de vos|une de vos"
    r"|l un de vos|l une de vos)"
    r" (?:\w+ )?(?:conseiller|conseillere|conseillers|commercial|commerciale|commerciaux"
    r"|vendeur|vendeuse|vendeurs|responsable|chef|patron|patronne|superieur|superieure"
    r"|superviseur|directeur|directrice|manager|operateur|operatrice|agent|interlocuteur"
    r"|interlocutrice|collegue|collegues|employe|employee|standardiste|specialiste|expert"
    r"|experte|technicien|technicienne|humain|humaine|etre humain|collaborateur"
    r"|collaboratrice|collaborateurs|collaboratrices))\b"
)
_ASKS_FOR = re.compile(
    # putting through: "passez-moi", "mettez-moi en relation avec", "transférez-moi à"
    r"\b(?:passez|passe|passer|mettez|mets|mettre|transferez|transfere|transferer|orientez"
    r"|redirigez|basculez) (?:moi |me |nous )?(?:directement |plutot |vite |donc )?"
    r"(?:en relation |en contact |en ligne )?"
    rf"(?:avec |a |vers |sur )?{_PERSON}"
    # a wish to talk, in the first person: "je voudrais parler à", "pourrais-je
    # m'entretenir avec", "est-ce que je peux avoir"
    r"|\b(?:(?:je|j) (?:veux|voudrais|souhaite|souhaiterais|aimerais|prefere|prefererais|peux"
    r"|pourrais|demande)|j aimerais|j exige|pourrais je|puis je|est ce que je peux"
    r"|ce serait possible d(?:e)?|ca serait possible d(?:e)?|c est possible d(?:e)?"
    r"|il faudrait que je|je dois)"
    r" (?:plutot |bien |mieux |d abord |directement )?(?:parler|discuter|causer|echanger|m entretenir"
    r"|avoir|voir|joindre|rencontrer|traiter)"
    rf" (?:en direct |directement |de vive voix )?(?:a |avec |au |aux )?{_PERSON}"
    # a person wanted, without a verb of talking: "je veux un humain en ligne"
    rf"|\bje (?:veux|voudrais|exige|demande|prefere) (?:plutot |absolument )?{_PERSON}"
    # found, given, needed: "trouvez-moi un humain", "donnez-moi un vrai vendeur", "il me
    # faut quelqu'un de votre service client"
    r"|\b(?:trouvez|donnez|envoyez|appelez|cherchez) (?:moi|nous)"
    rf" (?:plutot |vite |donc )?{_PERSON}"
    rf"|\bil (?:me|nous) faut (?:plutot |absolument )?{_PERSON}"
    # asked of the robot: "vous pouvez me basculer vers un agent"
    r"|\b(?:vous pouvez|pouvez vous|pourriez vous|vous pourriez) (?:me |nous )"
    r"(?:passer|basculer|transferer|mettre en relation|mettre en contact|rediriger|orienter)"
    rf" (?:a |avec |vers |sur )?{_PERSON}"
    # someone to take over: "est-ce qu'un conseiller peut prendre le relais"
    rf"|\b(?:est ce qu |est ce que )?{_PERSON} (?:peut|pourrait|pourra)"
    r" (?:prendre le relais|prendre la suite|me prendre en ligne|prendre l appel)\b"
    # a person alone, urged: "un être humain par pitié", "un opérateur humain tout de suite"
    r"|^(?:(?:euh|bon|alors|allez|non) )*(?:un|une) (?:vrai |vraie )?(?:etre humain|humain"
    r"|humaine|personne humaine|operateur humain|operatrice humaine|personne reelle|voix"
    r"|voix humaine)"
    r"(?: (?:par pitie|tout de suite|s il vous plait|svp|vite|maintenant|enfin|merci"
    r"|pas vous|pas une machine|pas un robot))*$"
    # asked whether there is a way, or someone: "y a pas moyen d'avoir une vraie
    # personne", "vous avez pas un collègue qui pourrait prendre le relais"
    r"|\b(?:il )?(?:y a|y aurait) (?:pas |vraiment pas )?moyen (?:de|d)"
    rf" (?:parler (?:a|avec) |avoir |joindre ){_PERSON}"
    # asked whether the company has one ("y a un chef dans votre boîte ?"), not one of
    # the prospect's own ("chez nous y a un responsable qui gère ça")
    r"|\b(?:il )?y a (?:pas )?(?:un|une) (?:chef|responsable|superieur|superieure|patron"
    r"|patronne|manager|directeur|directrice|humain|humaine|vraie personne|agent|conseiller"
    r"|conseillere|operateur|operatrice)"
    r"(?= (?:chez vous|de chez vous|dans votre|dans ta|dans vos|a qui|avec qui"
    r"|que je (?:peux|pourrais|puisse|pourrai)|qui pourrait"
    r"|de disponible|de dispo|disponible|de libre)|$)"
    # "y a pas quelqu'un de chez vous que je peux avoir": never bare ("allô y a quelqu'un"
    # checks the line)
    r"|\b(?:il )?y a (?:pas )?quelqu un (?:de chez vous|chez vous|dans votre|dans vos"
    r"|que je (?:peux|pourrais|puisse) (?:avoir|joindre|appeler)|qui pourrait|de disponible"
    r"|de dispo|a qui (?:je peux|parler))"
    r"|\bvous (?:n )?(?:avez|auriez) (?:pas |personne (?:d autre|qui) )?(?:un|une|quelqu un)"
    r" (?:(?:autre|d autre) )?(?:collegue|responsable|superieur|superieure|chef|conseiller"
    r"|conseillere|humain|humaine|personne|quelqu un)?\b(?: \w+)* (?:qui pourrait|qui peut"
    r"|pour) (?:prendre le relais|me repondre|me parler|s occuper de moi|me prendre)"
)
_UNLESS = re.compile(
    # the request denied ("je ne veux pas parler à un conseiller", "pas besoin d'un
    # conseiller"); "y a pas moyen de", "vous avez pas un collègue" still ask
    r"\b(?:ne|n) (?:\w+ ){0,2}(?:veux|voudrais|souhaite|aimerais|tiens|dois|faut)\b"
    r"|\b(?:veux|voudrais|souhaite|aimerais|tiens) (?:pas|plus|point)\b|\bpas besoin\b"
    r"|\bjamais\b"
    # put off
    r"|\b(?:plus tard|demain|rappel\w*|autre fois|autre jour)\b"
    # a meeting in person wished ("quelqu'un en face de moi dans un bureau"): the
    # in-person objection's, not a transfer now
    r"|\b(?:en face|en personne|de visu|dans un bureau|en agence|a l agence|en boutique)\b"
)

# Someone of the prospect's own side, in the request or after it ("je voudrais en parler à
# un conseiller de ma banque", "je veux avoir quelqu'un de ma famille avec moi"); before
# it, a possessive is about something else ("les machines c'est pas mon truc je veux
# parler à un vrai conseiller").
_OWN_SIDE = re.compile(r"\b(?:ma|mon|mes|notre|nos)\b")


@form_rule
def asks_for_a_person(text: str) -> bool:
    """Whether the utterance asks to be put through to a person, and nothing denies it."""
    words = ascii_words(text)
    found = _ASKS_FOR.search(words)
    return (
        found is not None
        and not _UNLESS.search(words)
        and not _OWN_SIDE.search(words, found.start())
    )
