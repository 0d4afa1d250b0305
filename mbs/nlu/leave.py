"""A prospect who only takes leave: the ``goodbye`` intent, by rule.

Leave-taking is a closed set of formulas ("au revoir", "au plaisir", "bonne fin de
journée", "portez-vous bien", "je vous laisse"), said with thanks and fillers around
("merci pour l'appel au plaisir", "allez bonne soirée madame"). The examples cannot
hold every combination, and the thanks pull the scores towards a yes. So an utterance
made of such formulas and nothing else is a goodbye whatever the scores: one formula at
least, the rest thanks, politeness and fillers. Anything more ("non merci au revoir", "mon
mari dit bonjour au revoir et c'est tout") is left to the scores. A bare "salut" or
"merci" is no formula: a hello, or thanks for something.
"""

from __future__ import annotations

import re

from mbs.nlu.form_rule import said_alone

INTENT = "goodbye"
# What the scores may have said instead: never a stop request nor a minor (checked first).
MISREAD = frozenset((
    "yes", "no", "not_interested", "callback", "question", "who_is_calling",
    "wrong_person", "repeat", "insult",
))  # fmt: skip

_FORMULA = re.compile(
    r"\b(?:au revoir|au plaisir|a bientot|a la prochaine|a plus tard|a plus|a la revoyure"
    # "bonne soirée", "je vous souhaite une excellente fin de journée"
    r"|(?:je (?:vous|te) souhaite )?(?:une |un )?(?:tres )?(?:bonne|excellente|agreable|belle)"
    r" (?:journee|soiree|nuit|fin de journee|fin d apres midi|fin de semaine|semaine"
    r"|continuation|week end|apres midi|fin de matinee)"
    r"|(?:je (?:vous|te) souhaite )?(?:un )?(?:tres )?(?:bon|excellent|agreable|beau)"
    r" (?:week end|apres midi|dimanche|samedi)"
    r"|bonne chance|bon courage|portez vous bien|prenez soin de vous|je vous laisse"
    r"|je vais vous laisser|on se laisse|adieu|ciao|tchao|bye bye|bye"
    # regional leave-takings: Gascon, Occitan, Breton, the north and Belgium
    r"|adishatz|adiu|adieu siatz|kenavo|a tantot"
    r"|(?:allez|bon|aller) salut|salutations)\b"
)
_AROUND = re.compile(
    r"\b(?:merci(?: beaucoup| bien| a vous| encore| infiniment)?(?: pour (?:l|votre|ton|cet|ce"
    r"|les|tout) ?(?:appel|coup de fil|information|informations|infos|temps)?)?"
    r"|allez|bon|ben|bah|eh bien|et bien|voila|alors|euh|oui|ouais|ok|d accord|tres bien"
    r"|parfait|madame|monsieur|mademoiselle|surtout|a vous aussi|vous aussi|a vous"
    r"|egalement|pareillement|et|salut|hein|donc|bonsoir|je vous dis|je te dis|on se dit)\b"
)


# Whether the utterance is leave-taking formulas and nothing else of substance.
takes_leave = said_alone(_FORMULA, _AROUND)
