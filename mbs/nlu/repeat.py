"""A prospect who did not hear or follow: the ``repeat`` intent, by rule.

Asking to hear again has a closed form that word similarity misses when the words are
new: what the robot said, asked about ("vous avez dit quoi sur le prix", "qu'est-ce que
vous avez dit à l'instant", "vous disiez"), or the prospect's own failure to follow
("j'ai pas suivi", "je n'ai pas bien saisi", "j'ai rien capté"), or a bare "quoi ?",
"hein ?" or "comment ?", which the question's examples share ("c'est quoi"). ``by_form`` in
``mbs.nlu.fuzzy`` gives ``repeat`` when nothing, or only ``question``, was recognised:
"vous avez dit quoi sur le prix" is a question too, and hearing it again answers it.
"""

from __future__ import annotations

import re

from mbs.nlu.form_rule import form_pattern

INTENT = "repeat"
# What the scores may have said instead.
MISREAD = frozenset(("question", "no"))

_SAID = r"(?:vous|tu) (?:m |nous )?(?:avez|as|aviez|venez de|viens de) (?:dit|dire)"
_ASKS_AGAIN = re.compile(
    rf"\b{_SAID} quoi\b"
    rf"|\bqu est ce que {_SAID}\b"
    r"|\bqu est ce que (?:vous|tu) (?:m |me )?(?:dites|dis|disiez|disais|racontez)\b"
    r"|\b(?:vous|tu) (?:me )?(?:disiez|disais|dites|dis) quoi\b"
    r"|\b(?:vous|tu) (?:me )?(?:disiez|disais)$"
    # said again, asked in the imperative ("redites-moi ça doucement"), not "vous répétez
    # toujours la même chose"
    r"|(?<!vous )\b(?:redites|repetez|reformulez)\b"
    # ... or asked for ("vous pouvez répéter, le sèche-cheveux fait un boucan")
    r"|(?<!je )(?<!j )\b(?:pouvez|pourriez|voulez|voudriez|peux|pourrais|veux|voudrais)"
    r" (?:vous |tu )?(?:me |nous )?(?:repeter|redire|reformuler)\b"
    # (not "vous pouvez répéter à votre chef que j'en veux pas")
    r"(?! (?:a|au|aux|que|qu)\b)"
    # the question asked again ("vous pouvez reposer la question"), half of it heard
    r"|\b(?:reposer|reposez|redire|repeter|reformuler) (?:la|votre|ta) (?:question|phrase)\b"
    r"|\b(?:entendu|compris|capte|saisi) (?:qu |que )?un mot sur deux\b"
    # the question lost ("c'était quoi la question", "quelle était la question")
    r"|\b(?:c etait|c est) quoi (?:la|votre|ta) (?:question|derniere question)\b"
    r"|\bquelle (?:etait|est) (?:la|votre|ta) question\b"
    r"|\b(?:j ai|je n ai|j avais|je n avais) (?:pas|rien|mal|pas bien|pas tout|pas trop)"
    r" (?:suivi|compris|entendu|saisi|capte|pige|ecoute)"
    # ... nothing or what was said after ("j'ai rien pigé à votre phrase"), not "j'ai pas
    # saisi votre nom" (who is calling)
    r"(?: (?:a |de )?(?:votre|la|ta|cette) (?:phrase|question|derniere phrase|fin|explication)"
    r"| (?:a |de )?ce que (?:vous|tu) (?:avez dit|dites|disiez|racontez|venez de dire)"
    r"| (?:a|de) tout ca| la fin| le debut)?$"
    r"|\bpas (?:sur|sure|certain|certaine) d avoir (?:bien |tout )?(?:entendu|compris|saisi"
    r"|suivi|capte)\b"
    # louder, or hard of hearing ("plus fort je suis un peu dur de la feuille")
    r"|^(?:(?:euh|hein|pardon|allo|parlez|pouvez vous parler|vous pouvez parler) )*plus fort\b"
    r"|\bparlez plus fort\b"
    r"|\bdur (?:de la feuille|d oreille)\b"
    r"|\b(?:pas mis|oublie|enleve|retire|pas mon|pas mes) (?:mon |mes )?(?:sonotone|sonotones"
    r"|appareil auditif|appareils auditifs)\b"
    # "vous pouvez me la refaire": the line done again
    r"|\b(?:me |nous )la refaire\b|\brefaites (?:la moi|la|moi ca)\b"
    # a bare "quoi ?", "hein ?", "comment ?", "pardon ?": what, not what about
    r"|^(?:euh |hein |allo |pardon |quoi )*(?:quoi|hein|comment|pardon|plait il)$"
)


# Whether the utterance asks to hear the robot again.
asks_again = form_pattern(_ASKS_AGAIN)

# The speaker repeating, not asking to hear ("ça fait trois fois que je répète à Emma
# d'aller se laver les mains", "je vous répète que ça m'intéresse pas"): a veto on a
# request to hear again the scores read.
_SPEAKER_REPEATS = re.compile(
    r"\b(?:je|j) (?:le |la |les |lui |leur |vous |te |t |l )?(?:repete|redis|redirai|repeterai"
    r"|rabache)\b"
)
# (unless hearing is the matter: "je vous répète je vous entends très mal")
_HEARING = re.compile(
    r"\b(?:entend\w*|compri\w*|capte\w*|coupe\w*|reseau|ligne|fort|repeter|redire)\b"
)
speaker_repeats = form_pattern(_SPEAKER_REPEATS, _HEARING)
