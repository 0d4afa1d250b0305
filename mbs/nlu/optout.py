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

from mbs.nlu.form_rule import form_pattern

INTENT = "stop_calling"
# What the scores may have said instead: anything but a minor (handled first).
MISREAD = frozenset((
    "yes", "no", "not_interested", "callback", "question", "who_is_calling",
    "wrong_person", "repeat", "insult", "goodbye", "robot_question", "human_request",
))  # fmt: skip

# The call asked of the robot: second person ("appelez", "rappelez"), never "je ne
# m'appelle pas comme ça" (a name), "je ne me rappelle plus" (a memory), "mes enfants
# ne m'appellent jamais", "ma banque ne me contacte jamais" (someone else).
_YOU_CALL = (
    r"(?:appelez|rappelez|telephonez|retelephonez|contactez|recontactez|demarchez|harcelez"
    r"|relancez|sollicitez|derangez)"
)
_TO_CALL = (
    r"(?:appeler|rappeler|telephoner|retelephoner|contacter|recontacter|demarcher|harceler"
    r"|relancer|solliciter|deranger)"
)
_TIME_NOUN = (
    r"(?:matin|midi|soir|soiree|week end|weekend|mois|jour|semaine|annee|heure|apres midi"
    r"|nuit|lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche)"
)
# what turns a denied call into a put-off or another channel ("pas avant lundi", "plus
# le matin", "pas par mail"); "plus sur mon portable" is this number when it is the one
# dialled, and "plus ce numéro" is it: "ne m'appelez plus sur mon portable" stays a stop
# request ("n'appelez pas mon portable" asks for another line, ``_OTHER_LINE``)
_ONLY_LATER = (
    r"(?! (?:avant|d ici|tant|sauf|jusqu|tout de suite|maintenant|aujourd|demain|ce soir"
    rf"|(?:ce|cette|le|la|les|en|un|une|a|au|l|chaque|tous les|toutes les) ?{_TIME_NOUN}"
    rf"|{_TIME_NOUN}|entre|pendant|tard|tot|trop|vers|apres|a midi|au travail|au bureau"
    r"|si|quand|pour l instant|pour le moment|par mail|par sms|par courrier|par ecrit"
    r"|pour me|pour nous|de la part)\b)"
)
_OTHER_LINE = (
    r"(?! (?:sur |a |au )?(?:mon|ma|le|la|au|mes) (?:portable|mobile|fixe|telephone|travail"
    r"|bureau|boulot|ligne)\b)"
)
_STOP = re.compile(
    # a call denied: "ne m'appelez plus", "n'appelez plus ce numéro", "me rappelez
    # jamais", "ne me téléphonez pas" (not "vous ne m'appelez pas pour me vendre...")
    rf"\b(?:ne|n) (?:me |m |nous )?{_YOU_CALL} (?:plus|jamais)\b{_ONLY_LATER}"
    # (not "n'appelez pas mon portable": another number, an objection of the library's)
    rf"|(?<!vous )\b(?:ne|n) (?:me |m |nous )?{_YOU_CALL} pas\b{_ONLY_LATER}{_OTHER_LINE}"
    rf"|\b(?:me|m|nous) {_YOU_CALL} (?:plus|jamais)\b{_ONLY_LATER}"
    # "merci de ne plus m'appeler", "je vous demande de ne jamais me rappeler"
    rf"|\bne (?:plus|jamais|plus jamais) (?:me |m |nous )?{_TO_CALL}\b{_ONLY_LATER}"
    # stopped: "arrêtez de m'appeler" (speech to text writes "m'appelez" too), "cessez
    # vos appels" (not "ils ont cessé de me contacter", "l'autre société a arrêté de
    # m'appeler")
    rf"|(?<!\ba )(?<!ont )(?<!avez )(?<!ai )(?<!avait )\b(?:arretez|arrete|arreter|cessez"
    rf"|cesse|cesser|stop|stoppez) (?:de |d )?(?:me |m |nous )?(?:{_TO_CALL}|{_YOU_CALL})\b"
    r"|\b(?:arretez|cessez|stop|stoppez) (?:vos|ces|les|tous ces|vos coups de) (?:appels"
    r"|coups de fil|coups de telephone|relances|sollicitations)\b"
    # a removal: "retirez-moi de vos listes", "effacez mon numéro" (not "j'ai effacé
    # votre numéro", "ça permet de supprimer les fichiers")
    r"|\b(?:retirez|supprimez|effacez|rayez|enlevez|sortez|desinscrivez|retirer|supprimer"
    r"|effacer|rayer|enlever|sortir|desinscrire)(?: moi| nous)? (?:de|d|du)"
    r" (?:vos|votre|la|les|des|ce|cette|ces) (?:liste|listes|fichier|fichiers|base|bases"
    r"|registre|registres)\b"
    # ... of everything ("retirez-moi de tout ça")
    r"|\b(?:retirez|rayez|enlevez|desinscrivez|supprimez) (?:moi|nous) (?:de tout ca"
    r"|de tout cela|de tous vos trucs|de vos trucs|de tous vos machins|de tout$)"
    r"|\b(?:retirez|supprimez|effacez|rayez|enlevez|oubliez) (?:mon|mes|notre|nos)"
    r" (?:numero|numeros|coordonnees|donnees|nom)\b"
    # the opposition lists, the consent withdrawn ("je retire mon consentement")
    r"|\b(?:liste rouge|liste d opposition|bloctel|droit d opposition)\b"
    r"|\b(?:retire|retirer|retirez|revoque|revoquer|revoquez|annule|annuler) (?:mon|notre)"
    r" (?:consentement|accord)\b"
    # no more calls wanted: "je veux plus être appelé", "plus d'appels", "fini les appels"
    r"|\b(?:veux|voulons|souhaite|desire) (?:plus|pas|plus jamais|jamais) (?:etre|recevoir"
    r"|avoir) (?:\w+ )?(?:appele|appelee|appeles|rappele|rappelee|demarche|demarchee"
    r"|contacte|contactee|recontacte|recontactee|derange|derangee|harcele|harcelee"
    rf"|sollicite|sollicitee|appel|appels|coups de fil)\b{_ONLY_LATER}"
    # a wish to be taken off ("je veux être retiré", "je voudrais qu'on me raye")
    r"|\b(?:veux|voudrais|voulons|souhaite|souhaiterais|aimerais|exige|demande a) (?:etre"
    r"|qu on me|qu on nous) (?:retire|retiree|retires|raye|rayee|rayes|supprime|supprimee"
    r"|efface|effacee|enleve|enlevee|desinscrit|desinscrite|retirer|rayer|supprimer|effacer"
    r"|enlever|desinscrire)\b"
    # no more ringing wanted ("je veux plus que mon téléphone sonne pour vos trucs")
    r"|\b(?:veux|voulons|souhaite) (?:plus|pas|plus jamais|jamais) (?:que|qu) (?:\w+ ){0,3}"
    rf"(?:sonne|m appel\w*|me rappel\w*|me contact\w*|me derang\w*|me demarch\w*"
    rf"|me telephon\w*)\b{_ONLY_LATER}"
    # (not "il y a plus d'appels inclus", "de plus en plus d'appels")
    r"|(?<!y a )(?<!en )\b(?:plus|fini|finis|stop|plus jamais|jamais plus) (?:d |de |les |des"
    r" |aux |un |une )?(?:appel|appels|coup de fil|coups de fil|coups de telephone)"
    r"(?=$| (?:de votre part|de vous|de votre|de vos|de chez vous|s il|svp|merci|chez moi"
    r"|ici|sur|a ce|compris|c est|d accord|point))"
)


# Whether the utterance asks never to be called again.
refuses_calls = form_pattern(_STOP)

# A question declined, not the calls: "je préfère pas le dire au téléphone c'est
# personnel", "ça vous regarde pas", "je vais pas vous donner ça". The negation and "au
# téléphone" bring such answers close to "ne me téléphonez plus", and a stop request
# taken ends the call and removes a prospect who only kept a figure to themselves: the
# library's objection on personal details answers them. A stop said as well ("c'est
# personnel et ne m'appelez plus") stays one.
_WITHHOLDS = re.compile(
    r"\b(?:ne |n )?(?:vais|veux|prefere|prefererais|tiens|souhaite|peux|compte|dirai|donnerai"
    r"|reponds|repondrai) (?:pas|rien|jamais)(?: trop)?(?: vous| a vous)?"
    r" (?:le |l |la |les |en |ca |cela |vous )?(?:dire|donner|repondre|communiquer|reveler"
    r"|divulguer|preciser|detailler|raconter|devoiler|indiquer)\b"
    r"|\b(?:ne |n )?(?:vous |te )?regarde (?:pas|en rien)\b"
    r"|\bc est (?:personnel|prive|confidentiel|mes affaires|pas vos affaires|pas vos oignons)\b"
    r"|\b(?:mes|ce sont mes) (?:affaires|oignons)\b"
)

# Whether the utterance declines to tell something, and asks nothing of the calls.
withholds_answer = form_pattern(_WITHHOLDS, _STOP)
