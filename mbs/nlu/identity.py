"""The contact confirms who they are: the ``yes`` intent, by rule.

Asked "je suis bien chez monsieur Durand ?", French answers "lui-même", "c'est moi-même",
"elle-même à l'appareil", "c'est bien moi": pronouns and "même", which every scorer
drops as stop words, so nothing is recognised. The form is closed and short: the
pronoun with "même", or "c'est (bien) moi" alone, behind fillers and a
"oui", before "à l'appareil" or "en personne". "Moi-même j'ai déjà une alarme" uses it
for emphasis and goes on: it is left to the scores, as is "c'est pas moi" (the
``wrong_person`` rule's).
"""

from __future__ import annotations

import re

from mbs.nlu.form_rule import form_pattern

INTENT = "yes"
# What the scores may have said instead: "c'est elle-même, qui est à l'appareil ?"
MISREAD = frozenset(("question", "who_is_calling"))

_FILLER = r"(?:(?:oui|ouais|bah|ben|euh|alors|bien|mais|ici|allo|bonjour|voila) )*"
_TAIL = (
    r"(?: (?:a l appareil|en personne|qui vous parle|au telephone|oui|ouais|voila"
    r"|je vous ecoute|c est moi|c est bien moi|c est lui|c est elle|bonjour))*"
)
_SELF = re.compile(
    rf"^{_FILLER}(?:c est |c etait )?(?:bien )?(?:moi|lui|elle) meme{_TAIL}$"
    # "c'est lui" alone may answer "qui décide ?": only the speaker themself
    rf"|^{_FILLER}c est (?:bien )?moi{_TAIL}$"
)


# Whether the utterance is the contact saying it is them, and nothing more.
confirms_identity = form_pattern(_SELF)
