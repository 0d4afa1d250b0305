"""A prospect who asks who is calling: the ``who_is_calling`` intent, by rule.

"Vous êtes qui", "c'est de la part de qui", "vous êtes de quelle boîte", "vous êtes
madame comment", "vous travaillez pour qui": the question is about the caller, and its
form is closed, but its words ("qui", "comment", "quelle") are every question's, so the
scores often read a general ``question`` or, from "comment", a request to hear again.
``by_form`` in ``mbs.nlu.fuzzy`` gives ``who_is_calling`` when the scores found nothing
or one of those, or a ``yes`` read in the "oui" that acknowledges the call ("allô oui
c'est de la part de"). "C'est quelle entreprise qui fait les travaux" asks about the offer:
only the caller's own company, name or employer counts.
"""

from __future__ import annotations

import re

from mbs.nlu.form_rule import form_pattern, form_rule
from mbs.nlu.names import ONE_NAME

INTENT = "who_is_calling"
# What the scores may have said instead.
MISREAD = frozenset(("question", "repeat", "wrong_person", "yes"))

_COMPANY = (
    r"(?:societe|entreprise|boite|compagnie|agence|structure|organisme|marque|domaine|cabinet)"
)
_ASKS_WHO = re.compile(
    r"\b(?:vous etes qui|t es qui|tu es qui|qui etes vous|qui es tu|qui est a l appareil"
    # "qui m'appelle", not "je me méfie de tout ce qui appelle" (a relative clause)
    r"|qui est au telephone|(?<!ce )(?:qui me parle|qui m appelle|qui appelle)|de la part de qui"
    r"|vous appelez de la part de|c est de la part de$|vous appelez pour qui"
    r"|vous appelez pour le compte de qui"
    r"|vous vous appelez comment|comment vous vous appelez|vous etes (?:monsieur|madame"
    r"|mademoiselle) comment)\b"
    # "c'est qui ?", not "c'est qui qui paie"
    r"|^(?:(?:euh|bah|ben|mais|et|allo|pardon|oui|non|attendez|salut|bonjour|bonsoir) )*"
    r"c est qui\b(?! qui| que)"
    # ... or closing a remark ("votre numéro s'affiche pas c'est qui")
    r"|\bc est qui(?: (?:au juste|alors|donc|la|exactement|a l appareil|vous|toi))?$"
    rf"|\b(?:vous etes|vous appelez|tu es|t es|tu appelles) (?:de|d) (?:quelle|quel) {_COMPANY}"
    rf"|\b(?:vous|tu) (?:etes|es|travaillez|travailles|bossez|bosses) (?:\w+ )?(?:chez|pour) qui\b"
    rf"|\b(?:c est quoi|c etait quoi|quel est|c est quel) (?:votre|ton) (?:nom|{_COMPANY})\b"
    rf"|\b(?:nom|raison sociale) de (?:votre|ta) {_COMPANY}\b"
    # the name missed ("j'ai pas saisi votre nom"): who, not the whole line again
    rf"|\b(?:pas|mal|pas bien) (?:saisi|compris|entendu|capte|retenu|note) (?:votre|ton|le)"
    rf" (?:nom|prenom|{_COMPANY}|nom de (?:votre|ta) {_COMPANY})\b"
    # the name asked again ("redonnez-moi votre nom et votre société")
    rf"|\b(?:redonnez|donnez|rappelez|redites|repetez) (?:moi |nous )?(?:votre|ton) (?:nom|{_COMPANY})\b"
    # a company guessed, for confirmation ("vous êtes de chez edf c'est ça")
    r"|\b(?:vous etes|vous appelez|t es|tu appelles) (?:de chez|de la part de) \w+(?: \w+)?"
    r" (?:c est ca|c est bien ca|c est bien ca hein|non|hein)$"
    # its name missed ("c'est quel domaine vous m'avez dit", "le cabinet de quoi ?")
    rf"|\b(?:c est|c etait|vous etes|vous appelez) (?:de |d )?(?:quel|quelle)"
    rf" (?:genre de |genre d |type de |type d |sorte de |sorte d )?{_COMPANY}\b"
    r"(?! (?:qui|que|qu|pour|fait|fera|s occupe)\b)"
    rf"|\b(?:le|la|votre) {_COMPANY} (?:de |d )?(?:quoi|qui|comment)\b"
    # not knowing who calls, said: "votre numéro s'affiche pas je sais pas qui vous êtes"
    r"|\b(?:je |j )?(?:ne |n )?(?:sais|vois) (?:pas|plus|toujours pas|meme pas)"
    r" (?:qui vous etes|qui est a l appareil|qui m appelle|a qui je parle|a qui j ai affaire"
    r"|qui tu es|a qui je cause)\b"
    # two companies guessed: "vous êtes de la sécu ou de la banque"
    r"|\b(?:vous etes|vous appelez|t es|tu appelles) (?:de chez|de la|du|de l|des|d|de)"
    r" (?!coin\b|region\b|quartier\b|ville\b|village\b|sud\b|nord\b)\w+(?: \w+)?"
    r" ou (?:de chez|de la|du|de l|des|d|de) \w+"
    r"|\b(?:vous etes|t es|tu es) (?:quelle|quel) (?:personne|organisme|maison|boutique)\b"
)


# Someone else's question reported ("ma mère demande toujours qui est à l'appareil"),
# not "je vous demande qui est à l'appareil"
_REPORTED = re.compile(
    r"(?<!je )(?<!vous )\b(?:demande|demandent|demandait|demandaient)"
    r"(?: toujours| souvent| tout le temps| chaque fois)? qui\b"
)

# The companies and bodies French prospects guess a sales call comes from: energy,
# telephone, banks, insurers, public bodies. Named as the caller ("c'est edf ?", "c'est
# le crédit agricole ou pas", "vous êtes de la caf"), they ask who is calling; named as
# one's own ("ma banque c'est le crédit agricole", "je suis chez total") they do not.
_KNOWN = (
    r"(?:edf|engie|gdf|grdf|enedis|total|totalenergies|total energies|ekwateur|eni"
    r"|orange|sfr|free|bouygues|bouygues telecom|la banque postale|banque postale"
    r"|credit agricole|credit mutuel|caisse d epargne|societe generale|bnp|bnp paribas|lcl"
    r"|cic|banque populaire|boursorama|axa|maif|macif|matmut|maaf|gmf|groupama|allianz"
    r"|generali|mma|anah|france renov|caf|cpam|secu|securite sociale|urssaf|impots"
    r"|mairie|pole emploi|france travail)"
)
_FILLERS = r"(?:(?:euh|bah|ben|mais|et|allo|pardon|oui|non|attendez|attends|ah|alors) )*"
_GUESSED = re.compile(
    # "c'est EDF ?": the question mark or a tag asking for confirmation
    rf"^{_FILLERS}c est (?:bien )?(?:le |la |l |les )?{_KNOWN}"
    # (the tag closing the answer; not "hein", which asserts: "c'est edf hein moi je change
    # pas de fournisseur" names one's own)
    r"(?: ?\?| (?:ou pas|ou quoi|c est ca|c est bien ca|non)(?: ?\?)?$)"
    # "vous êtes de la caf", "vous appelez de chez orange"
    rf"|\b(?:vous etes|vous appelez|t es|tu appelles) (?:de chez|de la part de|de la|du|de l"
    rf"|des|d|de) (?:la |l |le )?{_KNOWN}\b"
)
_asks_who = form_pattern(_ASKS_WHO, _REPORTED)
_guessed = form_pattern(_GUESSED, _REPORTED, keep="?")


@form_rule
def asks_who(text: str) -> bool:
    """Whether the utterance asks who is calling."""
    return _asks_who(text) or _guessed(text)


# Where the number came from: the data-source objection ("Comment avez-vous eu mon
# numéro ?"), whose answer the law requires, not who is calling nor a question about the
# offer; "qui vous a filé mon numéro" shares "qui vous" with "qui êtes-vous".
_NUMBER = (
    r"(?:mon|ce|mes|notre|nos) (?:numero|telephone|portable|fixe|coordonnees|contact"
    r"|06|07|zero six|zero sept)"
)
_SOURCE = (
    r"(?:eu|trouve|trouves|donne|file|passe|refile|recupere|obtenu|achete|vendu|pris|sortez"
    r"|sorti|degote|degotte|deniche|chope|pique|tenez|tient|transmis|communique|vient|provient)"
)
# "où" asking, at the end or before what is not a clause; not the conjunction "ou" ("je
# vous donne mon portable ou vous rappelez sur le fixe")
_WHERE = r"ou(?! (?:je|j|vous|tu|il|elle|on|nous|le|la|les|l|sur|par|pas|bien|alors|sinon)\b)"
_NUMBER_SOURCE = re.compile(
    rf"\b(?:qui|ou|comment|d ou|par qui|par ou)\b(?: \w+){{0,5}} {_SOURCE} {_NUMBER}\b"
    rf"|\b{_NUMBER}\b(?: \w+){{0,4}} {_SOURCE} (?:{_WHERE}|comment|par qui|par ou|d ou)\b"
    # "vous tenez mon numéro d'où", "on vous a transmis mon numéro de quelle façon"
    rf"|\b{_SOURCE} {_NUMBER} (?:{_WHERE}|d ou|comment|par qui|par ou"
    r"|de quelle (?:facon|maniere))\b"
    # "d'où sortez-vous mon 06", "où c'est que vous l'avez dégoté mon numéro"
    rf"|\b(?:d ou|ou|comment)\b(?: \w+){{0,6}} {_SOURCE}(?: vous| l)? {_NUMBER}\b"
    # "comment vous avez mes coordonnées" (having them, asked how)
    rf"|\b(?:comment|d ou) (?:est ce que )?vous (?:les |l )?avez {_NUMBER}\b"
    rf"|\bvous avez {_NUMBER} (?:comment|d ou|par qui)\b"
)

# Whether the utterance asks where the caller got the number.
asks_number_source = form_pattern(_NUMBER_SOURCE)


# A name said, not asked ("j'ai un collègue qui s'appelle thomas comme vous", "mon mari
# s'appelle patrick"): a veto on who is calling the scores read from "appelle", when the
# turn does not ask who calls.
_NAME_SAID = re.compile(rf"\b(?:s appelle|m appelle|s appelait|m appelais) {ONE_NAME}\b")
_name_said = form_pattern(_NAME_SAID)


@form_rule
def says_a_name(text: str) -> bool:
    """Whether the utterance states someone's first name and does not ask who calls."""
    return _name_said(text) and not asks_who(text)
