"""Someone other than the contact answered: the ``wrong_person`` intent, by rule.

French says it in a few closed forms whose other words are new each time: the identity
denied ("c'est pas moi c'est mon mari", "je suis pas madame Durand"), a relative or a
helper on the line ("ici c'est sa fille", "vous parlez à sa voisine"), nobody by that
name ("je connais personne qui s'appelle comme ça", "y a pas de monsieur Durand ici",
"il y a erreur"), a business reached ("vous êtes chez une entreprise de plomberie",
"pas chez un particulier"), the contact gone, absent or dead ("il habite plus ici",
"elle est pas là", "monsieur est mort l'an dernier"), the number
no longer theirs ("c'est plus son numéro"). Word similarity reads the "non" that often
comes first, or finds nothing above the threshold. ``by_form`` in ``mbs.nlu.fuzzy``
gives ``wrong_person`` when the scores found nothing, ``no`` or ``yes``; a stop request,
a callback, an objection or a question about the call are left as they are. "C'est pas
moi qui décide" is the decision-maker objection, not a wrong person.
"""

from __future__ import annotations

import re

from mbs.nlu.form_rule import form_pattern
from mbs.nlu.names import FIRST_NAME, ONE_NAME

INTENT = "wrong_person"
# What the scores may have said instead: the "non" or "oui" in front of the answer.
MISREAD = frozenset(("no", "yes"))

_RELATIVE = (
    r"(?:femme|mari|epouse|epoux|compagne|compagnon|conjoint|conjointe|ami|amie|fils|fille"
    r"|pere|mere|papa|maman|frere|soeur|grand mere|grand pere|petit fils|petite fille"
    r"|belle mere|beau pere|belle fille|beau fils|belle soeur|beau frere|oncle|tante|neveu"
    r"|niece|cousin|cousine|voisin|voisine|colocataire|coloc|aide a domicile"
    r"|auxiliaire de vie|aide soignante|infirmier|infirmiere|femme de menage|nounou"
    r"|baby sitter|secretaire|assistante|collegue|gardien|gardienne)"
)
# The contact spoken of: "madame Durand" anywhere; a bare "il" / "elle" only opening the
# answer, after fillers ("non il est pas là"), not after a noun it stands for ("notre
# chaudière elle est morte", "mon mari il est au travail": someone else's news).
_FILLERS = r"(?:(?:non|oui|ah|bah|ben|euh|mais|alors|desole|desolee|helas|malheureusement) )*"
_THIRD = (
    rf"(?:^{_FILLERS}(?:il|elle|lui)|\b(?:monsieur|madame|mademoiselle|mme|mr)(?: \w+)?"
    # a first name opening the answer ("jean-pierre il habite plus là")
    rf"|^{_FILLERS}{FIRST_NAME}(?: (?:il|elle))?)"
)
_GONE = (
    r"(?:mort|morte|decede|decedee|disparu|disparue|hospitalise|hospitalisee|a l hopital"
    r"|en maison de retraite|en ehpad|absent|absente|parti|partie|en voyage|en deplacement"
    r"|a l etranger|pas la|plus la|pas ici|plus ici|pas a la maison|pas joignable"
    r"|plus joignable|pas disponible|au travail|au boulot|au bureau|sorti|sortie|en vacances"
    r"|en course|en courses|pas rentre|pas rentree|pas encore rentre|pas encore rentree)"
)
# Where a business line rings, not a home.
_BUSINESS = (
    r"(?:entreprise|societe|boite|cabinet|agence|magasin|commerce|garage|restaurant|bureau"
    r"|mairie|ecole|hopital|clinique|pharmacie|association|standard|administration|atelier"
    r"|usine|entrepot|boulangerie|boucherie|salon|boutique|exploitation|etude|laboratoire"
    r"|chantier|hotel|camping)"
)
_WHO_ELSE = r"(?: (?:qui|que|qu|mais)\b)"  # "c'est pas moi qui décide": the decision-maker
_ELSEWHERE = re.compile(
    # the identity denied, not the decision ("c'est pas moi qui décide", "je suis pas la
    # personne qui s'occupe de ça", "c'est pas moi mais ma femme qui décide")
    rf"\b(?:c est|ce n est|c etait|ce n etait) pas (?:du tout )?(?:moi|lui|elle)\b(?!{_WHO_ELSE})"
    r"|\bje (?:ne )?(?:suis|m appelle) pas (?:monsieur|madame|mademoiselle|mme|mr"
    rf"|la personne|celui|celle|lui|elle)\b(?!{_WHO_ELSE})"
    # a first name denied, or set right ("c'est pas gérard", "moi c'est gérard hein, pas
    # bernard"), not "c'est pas jean qui décide"
    rf"|\b(?:moi |ici )?c est pas {ONE_NAME}\b(?!{_WHO_ELSE})"
    rf"|\b(?:moi|ici) c est {ONE_NAME}(?: hein| moi)? (?:pas|et pas) {ONE_NAME}\b"
    # a relative or a helper on the line, or the one to ask for
    rf"|\b(?:c est|ici c est|moi c est|je suis|moi je suis|chuis|j suis|ici|vous etes avec|vous parlez a"
    rf"|vous parlez avec|vous avez) (?:sa|son|la|le) {_RELATIVE}\b"
    r"|\bvous (?:voulez|vouliez|cherchez|devez|demandez) (?:\w+ )?(?:parler a |parler avec"
    rf" |joindre |avoir )?(?:mon|ma) {_RELATIVE}\b"
    rf"|\bc est (?:mon|ma) {_RELATIVE} que vous\b"
    # nobody by that name (a name denied, not "oui je connais ce nom", "ce type de contrat")
    r"|\b(?:connais|connait|connaissons|connaissez) (?:pas|point|personne|aucun|aucune)"
    r"(?: de| d)? (?:ce nom|cette personne|ce monsieur|cette dame|ce gars|nom|qui s appelle"
    r"|comme ca|de ce nom|\w+ \w+ ici)\b"
    r"|\bpersonne (?:de ce nom|qui s appelle|ne s appelle|s appelle)\b"
    r"|\bjamais entendu (?:parler )?(?:de |d )?(?:ce nom|cette personne|ce monsieur"
    r"|cette dame)\b"
    # nobody here by the title and name asked for ("y a pas de monsieur durand ici", "il
    # n'y a aucune madame petit"), not "pas de problème"; a bare first name is left to
    # the scores (it may be a thing: "y a pas de fibre ici")
    r"|\by a (?:pas|plus|aucun|aucune|personne) (?:de |d )?(?:monsieur|madame|mademoiselle"
    r"|mme|mr) \w+"
    # ... or by a first name of ``mbs.nlu.names`` ("y a pas de monique ici", "il y a aucun
    # lucas à cette adresse")
    rf"|\by a (?:pas|plus|aucun|aucune|personne) (?:de |d )?{FIRST_NAME}"
    r"(?= (?:ici|a cette adresse|chez nous|chez moi|dans cette maison|a ce numero|sur cette"
    r" ligne)|$)"
    # "(il) y a erreur (sur la personne)", not an error in a bill ("y a une erreur sur
    # ma facture")
    r"|\by a erreur\b(?! (?:sur|dans) (?!la personne))"
    # gone, absent or dead ("il", "madame Durand"), or not at their home
    rf"|{_THIRD} (?:ne |n )?(?:habite|vit|loge|reside|demeure) (?:plus|pas)"
    r" (?:ici|la|a|chez|avec)\b"
    rf"|{_THIRD} (?:n )?est (?:\w+ )?{_GONE}\b"
    r"|\bpas chez (?:lui|elle|eux)\b"
    r"|\b(?:c est|ce n est) pas (?:ici|le bon numero|la bonne personne)$"
    rf"|{_THIRD} (?:a demenage|nous a quitte|nous a quittes|s est installe|s est installee)\b"
    # a business or an institution reached, not a home ("vous êtes chez une entreprise
    # de plomberie", "vous êtes tombé sur un cabinet dentaire", "ici c'est pas chez un
    # particulier")
    rf"|\b(?:vous etes (?:chez|a|dans|tombe sur|tombee sur)|ici c est|ici on est)"
    rf" (?:une|un|la|le|l) {_BUSINESS}\b"
    # ... its line named, opening the answer ("c'est le fixe de l'atelier ici", "c'est le
    # standard d'un cabinet d'infirmières"); not inside one, where the number may be the
    # contact's own shop's ("ce qui m'embête c'est le numéro de la boutique")
    r"|^(?:(?:allo|bonjour|oui|non|ah|bah|ben|euh|mais|alors|ici) )*c est (?:le|la) (?:fixe|standard|ligne|numero|telephone|accueil) (?:de l|du|de la"
    rf"|d un|d une) {_BUSINESS}\b"
    r"|\b(?:pas|plus) (?:chez )?(?:un|des) particuliers?\b"
    # the line someone else's ("c'est sa ligne", "c'est mon père qu'il faut que vous
    # appeliez")
    r"|\bc est (?:sa|leur) ligne\b(?! de)"
    rf"|\bc est (?:mon|ma) {_RELATIVE} qu il faut (?:que (?:vous|tu|t) )?(?:appel\w*|contact\w*"
    r"|joindre|avoir|demander)"
    # the number no longer theirs
    r"|\b(?:c est|ce n est|ce numero n est|ce numero est) plus (?:son|le sien|sa|le leur"
    r"|leur)\b"
    r"|\b(?:c est|ce n est) pas son (?:numero|telephone|portable)\b"
    # a wrong number said as such ("vous avez un mauvais numéro", "erreur de numéro")
    r"|\b(?:mauvais|faux) numero\b|\b(?:trompes?|trompees?|trompez|erreur) de numero\b"
    # "vous vous êtes trompé", "vous avez mal composé", "vous avez pas le bon numéro"
    r"|\bvous vous etes trompee?s?\b(?! (?:sur|de) (?:le|la|les|mon|ma|mes) (?!numero|personne))"
    r"|\b(?:mal|pas bien) (?:compose|composee|tape|numerote)\b"
    r"|\btombee?s? sur (?:le|la) mauvaise?(?: (?:personne|numero|ligne|interlocuteur))?$"
    r"|\b(?:avez|avez pas|etes pas|appelez pas|composez pas) (?:le|au|sur le) bon numero\b"
    r"|\bpas (?:le|au) bon numero\b"
    r"|\bce n est pas (?:son|le sien)\b"
)
# Said about the call or the offer, not the person, or the contact saying it is them at
# their business ("ici c'est une exploitation agricole c'est moi le gérant"): left to the
# scores.
_NOT_ABOUT_THE_PERSON = re.compile(
    r"\b(?:rappel\w*|appelez|appeler|interess\w*|liste|arret\w*|plus tard|demain|prix|cher|offre)\b"
    r"|\bc est (?:bien )?moi\b(?! qui| que)|\bmoi meme\b"
    r"|\bje suis (?:le|la) (?:gerant|gerante|patron|patronne|proprietaire|responsable"
    r"|directeur|directrice)\b"
)


# Whether the utterance says the contact is not the one on the line.
not_the_contact = form_pattern(_ELSEWHERE, unless=_NOT_ABOUT_THE_PERSON)
