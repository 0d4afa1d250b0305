"""A prospect who turns the offer down as not for them: ``not_interested``, by rule.

"C'est pas pour moi ce genre de truc", "très peu pour moi votre machin", "l'or c'est pas
pour moi laissez tomber": French declines an offer with "pas pour moi" and "très peu
pour moi" opening the answer or as "c'est pas pour moi", whose other words are the
product's; or it declines it outright: "ce sera sans moi", "je me permets de décliner",
"votre vin je n'en veux pas", "ça ne me concerne pas vos histoires", "non laissez
tomber" said alone; or says the offer
is not its kind of thing, of the offer or opening the answer ("votre affaire là c'est
pas mon délire", "bof c'est pas mon truc"; "le raisin c'est pas mon truc" says what the
speaker prefers, an objection). The scores read the "non" and the negation and answer
``no``, or nothing. ``by_form`` in ``mbs.nlu.fuzzy`` gives ``not_interested`` when they
found nothing or ``no``. Not when the offer is meant for someone else ("c'est pas pour
moi c'est pour ma femme", "pas pour moi mais pour mon fils"), when a moment is declined
("le matin c'est pas pour moi"), or when a reason follows ("ça ne me concerne pas je
suis locataire"): those answer something else.
"""

from __future__ import annotations

import re

from mbs.nlu.form_rule import form_pattern

INTENT = "not_interested"
# What the scores may have said instead.
MISREAD = frozenset(("no",))

# What may come before a refusal opening the answer: fillers, "laissez tomber", "je
# vous arrête tout de suite".
_FILLERS = (
    r"(?:(?:euh|bah|ben|bon|ah|oh|ouh la|oh la|ouais|oui|non|nan|alors|franchement|bof"
    r"|ecoutez|laissez tomber|je vous arrete|tout de suite|desole|desolee|moi) )*"
)

# Said of the offer itself: opening the answer, or as "c'est pas pour moi". After a
# complaint ("des ouvriers chez moi pendant des semaines très peu pour moi") it closes an
# objection, which says more and is left to compete.
_DECLINES = re.compile(
    r"^(?:(?:euh|bah|ben|bon|ah|oh|ouh la|oh la|ouais|oui|non|nan|alors|franchement|bof)"
    r" )*(?:(?:ca|ca c est|c est) )?(?:pas|plus|jamais|tres peu) pour (?:moi|nous)\b"
    r"|\b(?:c est|ca c est|c etait) (?:vraiment |franchement |absolument |pas du tout )?"
    r"(?:pas|plus|jamais) pour (?:moi|nous)\b"
    # "ce sera sans moi", "je me permets de décliner", "je décline votre offre"
    r"|\b(?:ce sera|ca sera|ce sera donc|ca se fera) sans (?:moi|nous)\b"
    r"|\b(?:je|nous) (?:me permets de |vais |prefere |dois )?declin\w*"
    # "j'suis pas partant, on va en rester là"
    r"|\b(?:je suis|j suis|chuis|chui|on est|nous sommes) pas (?:trop |du tout |tres )?"
    r"(?:partant|partante|partants|preneur|preneuse)\b"
    # "votre vin je n'en veux pas point", "ces machins-là j'en veux pas"; not a condition
    # ("et si j'en veux pas je suis obligé de payer"), a denial ("je dis pas que j'en veux
    # pas"), a quantity ("j'en veux pas des masses")
    r"|(?<!si )(?<!que )(?<!qu )\b(?:j|je n|on|on n|nous n) en (?:veux|veut|voulons)"
    r" (?:pas|point|surtout pas)\b(?! (?:des masses|beaucoup|trop|tant|plus de|plus que))"
    # "ça ne me concerne pas vos histoires", opening the answer (a tax scheme "ne me
    # concerne pas" because of one's income, "ça ne me concerne pas je suis locataire":
    # the reason is an objection, see _UNLESS)
    rf"|^{_FILLERS}(?:ca |ca ne |ca n |tout ca ne |cela ne )?me concerne (?:pas|absolument pas)\b"
    # "c'est pas mon truc", opening the answer or said of the offer ("votre affaire là");
    # not "c'est pas mon genre de raccrocher au nez"
    rf"|(?:^{_FILLERS}|\b(?:votre|vos|ces|ce|cette|ca) \w+(?: la| ci)? )"
    r"(?:(?:ca |c est |ca c est |ce n est |c est vraiment )?pas|ca n est pas) "
    r"(?:du tout |vraiment |trop |tellement )?(?:(?:mon|notre) (?:truc|delire|genre|kif)"
    r"|(?:ma|notre) tasse de the)\b(?! (?:de|d)\b)"
    # "non laissez tomber", "oubliez ça", said alone: the offer dropped
    rf"|^{_FILLERS}(?:laissez|laisse|laissons) (?:tomber|couler)(?: (?:merci|alors|hein|va|allez"
    r"|c est bon|ca ira))*$"
    rf"|^{_FILLERS}oubliez (?:ca|tout ca|ca alors)(?: merci)?$"
)
_UNLESS = re.compile(
    r"\b(?:pas|plus) pour (?:moi|nous) (?:mais|c est pour|pour)\b|\bc est pour (?:ma|mon|mes)\b"
    r"|\b(?:matin|matinee|soir|soiree|apres midi|midi|lundi|mardi|mercredi|jeudi|vendredi"
    r"|samedi|dimanche|semaine|heure|heures)\b"
    # a reason given after the refusal: the objection it names ("ça ne me concerne pas je
    # suis locataire")
    r"|\b(?:concerne|veux) (?:pas|point|absolument pas) (?:\w+ ){0,2}(?:je suis|j suis|on est"
    r"|nous sommes|j ai|on a|parce|car|puisque)\b"
)

# Whether the utterance declines the offer as not for the speaker.
declines = form_pattern(_DECLINES, unless=_UNLESS)
