"""A prospect who says she is pregnant: the ``vulnerable`` intent, by rule.

An alcohol call must stop selling the moment the person says she is pregnant, as it
does for a minor (``mbs.nlu.minors``). Said alone, "je suis enceinte" is an example of
the intent; said inside a longer answer ("bah en ce moment rien du tout je suis
enceinte", "oui enfin normalement mais là j'attends un bébé") its similarity is diluted by
the rest, and the turn went to whatever the rest said. So the speaker's own pregnancy,
wherever it is said in the turn, is recognised here. First person and present only:
"ma fille est enceinte", "quand j'étais enceinte" and "je suis pas enceinte" are not.
"""

from __future__ import annotations

import re

from mbs.nlu.form_rule import form_pattern

# What may stand between "je suis" and "enceinte": "je suis enceinte", "je suis
# actuellement enceinte", "chuis enceinte de trois mois"; "pas", "plus", "jamais" may not.
_SOFT = (
    r"(?: (?:actuellement|maintenant|justement|donc|moi meme|en ce moment|bien|deja"
    r"|toujours|encore))*"
)
_COUNT = "un|deux|trois|quatre|cinq|six|sept|huit|neuf|dix|onze|douze"
_NTH = "premier|deuxieme|second|troisieme|quatrieme|cinquieme|sixieme|septieme|huitieme|neuvieme"
_SAYS = re.compile(
    r"\b(?:je suis|j suis|chuis|jsuis)" + _SOFT + r" (?:enceinte"
    r"|en (?:cours|pleine|debut|fin) de grossesse"
    r"|a (?:\d{1,2}|" + _COUNT + r"|quelques) (?:mois|semaines) de grossesse"
    r"|au (?:\d{1,2} ?(?:e|eme|ieme)|" + _NTH + r") mois(?: de grossesse)?)\b"
    r"|\bj (?:attends|attend) (?:un|des) (?:bebe|enfant|heureux evenement|jumeaux|jumelles)\b"
    r"|\bje (?:serai|vais etre) (?:bientot )?maman\b"
    # the due date: "mon terme est prévu en juin", "je porte notre deuxième terme prévu
    # en juin", "j'accouche dans un mois"
    r"|\b(?:mon|notre) (?:\w+ )?terme (?:est )?(?:prevu|c est|pour)\b|\bje porte (?:notre|mon|un)"
    r" (?:bebe|enfant|deuxieme|troisieme|premier|quatrieme|petit)\b"
    r"|\bj accouche (?:dans|en|le|la|au|bientot|fin|debut)\b"
    # her own midwife: "ma sage-femme dit que c'est pour bientôt"
    r"|\bma sage femme\b|\bla sage femme (?:m a dit|me dit|m a annonce|m a confirme)\b"
    # a couple expecting ("on attend notre deuxième"), months along ("je suis à sept
    # mois", not "à trois mois de la retraite")
    r"|\bon (?:attend|attendait) (?:notre|un|une|nos) (?:bebe|enfant|deuxieme|troisieme"
    r"|quatrieme|premier|petit|petite|heureux evenement|jumeaux|jumelles)\b"
    r"|\b(?:je suis|j suis|chuis) a (?:\d{1,2}|" + _COUNT + r") mois\b(?! (?:de|d)\b)"
)


says_pregnant = form_pattern(_SAYS)
says_pregnant.__doc__ = "Whether the speaker says she is pregnant (first person, present)."
