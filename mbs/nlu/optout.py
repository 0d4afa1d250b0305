"""A prospect who asks never to be called again: the ``stop_calling`` intent, by rule.

The law makes this the one request a robot must never miss: a number that asked to be
taken off is never called again (docs/campaigns.md). French says it in a closed set of
forms whose words the examples share only in part, and the rest of the utterance can
pull the scores elsewhere: "ne m'appelez plus jamais, compris ?" shares "compris" with
"j'ai pas compris", "je veux plus recevoir vos appels" (speech drops the "ne") reads as a
leave-taking. The forms: a call denied ("ne m'appelez plus", "me rappelez jamais",
"ne me téléphonez pas"), stopped ("arrêtez de m'appeler", "cessez de me démarcher"), a
removal ("retirez-moi de vos listes", "effacez mon numéro", "rayez mes coordonnées"),
the opposition lists ("liste rouge", "Bloctel", "droit d'opposition"), and no more
calls wanted ("je veux plus être appelé", "plus d'appels", "fini les coups de fil").
``by_form`` in ``mbs.nlu.fuzzy`` gives ``stop_calling`` whatever the scores found but a
minor (the VM stops those calls anyway). A call only put off is not this: "ne
m'appelez pas avant lundi", "ne me rappelez pas le matin", "rappelez plus tard" are
left to the scores and the call-back rule.
"""

from __future__ import annotations

import re

from mbs.nlu.form_rule import form_rule
from mbs.nlu.normalize import ascii_words

INTENT = "stop_calling"
# What the scores may have said instead: anything but a minor (handled first).
MISREAD = frozenset((
    "yes", "no", "not_interested", "callback", "question", "who_is_calling",
    "wrong_person", "repeat", "insult", "goodbye", "robot_question", "human_request",
))  # fmt: skip

_CALL = (
    # not "je ne m'appelle pas comme ça", "je ne me rappelle plus" (a name, a memory)
    r"(?:appel(?!le\b|les\b)\w*|rappel(?!le\b|les\b)\w*|telephon\w*|contact\w*|recontact\w*"
    r"|demarch\w*|harcel\w*"
    r"|relanc\w*|sollicit\w*)"
)
# what turns a denied call into a put-off or another channel ("pas avant lundi", "plus
# le matin", "pas par mail"); "pas sur mon portable" is this number when it is the one
# dialled, so it stays a stop request
_ONLY_LATER = (
    r"(?! (?:avant|d ici|tant|sauf|jusqu|tout de suite|maintenant|ce |cette|aujourd|le matin"
    r"|le midi|l apres|le soir|le week|en semaine|entre|pendant|a cette|a ce|tard|tot"
    r"|si|quand|pour l instant|pour le moment|par mail|par sms|par courrier|par ecrit)\b)"
)
_STOP = re.compile(
    # a call denied: "ne m'appelez plus", "me rappelez jamais", "ne me téléphonez pas"
    rf"\bne (?:me |m |nous )?(?:\w+ )?{_CALL} (?:plus|jamais|pas)\b{_ONLY_LATER}"
    rf"|\b(?:me|m|nous) {_CALL} (?:plus|jamais)\b{_ONLY_LATER}"
    # stopped: "arrêtez de m'appeler", "cessez vos appels"
    rf"|\b(?:arret\w*|cess\w*|stop\w*) (?:de |d )?(?:me |m |nous )?{_CALL}\b"
    r"|\b(?:arret\w*|cess\w*) (?:vos|ces|les|tous ces|vos coups de) (?:appels|coups"
    r" de fil|coups de telephone|fil|relances|sollicitations)\b"
    # a removal: "retirez-moi de vos listes", "effacez mon numéro" (not "j'ai effacé
    # votre numéro")
    r"|\b(?:retir\w*|supprim\w*|effacez|effacer|rayez|rayer|enlev\w*|sortez|sortir"
    r"|desinscri\w*)(?: moi| nous)? (?:de |d |du )?(?:vos|votre|la|les|des|ce|cette|ces)"
    r" (?:liste|listes|fichier|fichiers|base|bases|registre|registres)\b"
    r"|\b(?:retirez|supprimez|effacez|rayez|enlevez|oubliez) (?:mon|mes|ma|notre|nos)"
    r" (?:numero|numeros|coordonnees|donnees|nom|ligne)\b"
    # the opposition lists
    r"|\b(?:liste rouge|liste d opposition|bloctel|droit d opposition)\b"
    # no more calls wanted: "je veux plus être appelé", "plus d'appels", "fini les appels"
    r"|\b(?:veux|voulons|souhaite|desire) (?:plus|pas|plus jamais|jamais) (?:etre|recevoir"
    rf"|avoir) (?:\w+ )?(?:appele|appelee|appeles|demarche|demarchee|contacte|contactee"
    rf"|sollicite|sollicitee|appels|coups de fil)\b{_ONLY_LATER}"
    rf"|\b(?:plus|fini|finis|stop) (?:d |de |les |des |aux )?(?:appels|coups de fil"
    rf"|coups de telephone)\b{_ONLY_LATER}"
)


@form_rule
def refuses_calls(text: str) -> bool:
    """Whether the utterance asks never to be called again."""
    return bool(_STOP.search(ascii_words(text)))
