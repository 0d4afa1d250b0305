"""A prospect who asks whether a machine is calling: the ``robot_question`` intent, by rule.

The question has one form, "c'est / vous êtes / je parle à" and a machine, and the
machine has many names that word similarity does not know are the same ("un disque",
"chatgpt", "un automate", "une bande enregistrée"). ``by_form`` in ``mbs.nlu.fuzzy``
gives ``robot_question`` when the scores found nothing, or read the "c'est qui" of
"c'est un automate qui m'appelle" as ``who_is_calling``, or a question, a yes or a no.
A machine named as what the offer is ("c'est un logiciel de caisse", "c'est une machine
à café") is not this: the name must end the clause. A request for a human ("passez-moi
quelqu'un de vrai") is ``human_request``, left to the scores.
"""

from __future__ import annotations

import re

from mbs.nlu.form_rule import form_pattern

INTENT = "robot_question"
# What the scores may have said instead.
MISREAD = frozenset(("who_is_calling", "question", "yes", "no", "human_request"))

_MACHINE = (
    r"(?:robot|robots|bot|chatbot|automate|machine|ordinateur|ordi|ia|intelligence"
    r" artificielle|intelligences artificielles|chatgpt|chat gpt|gpt|disque|enregistrement"
    r"|message enregistre|message preenregistre|message pre enregistre|bande|bande enregistree"
    r"|repondeur"
    r"|serveur vocal|boite vocale|voix de synthese|synthese vocale|voix artificielle"
    r"|voix robotique|androide|cyborg|assistant virtuel|modele de langage"
    r"|script preenregistre|programme informatique|logiciel"
    r"|assistante virtuelle|appel automatique|appel automatise|appel enregistre)"
)
_WHO = (
    r"(?:c est|c etait|ca c est|vous etes|t es|tu es|etes vous|es tu|je parle a|je parle avec"
    r"|on parle a|on parle avec|je suis en train de parler a|j ai affaire a|je suis tombe sur"
    r"|je suis tombee sur)"
)
# the machine's name ends the clause, or the clause goes on about the call: not "un
# robot ménager", "un ordinateur portable", "le disque dur", "une machine à café"
_CLAUSE_END = (
    r"(?=$| (?:ou|qui (?:me |m |nous )?(?:parle|appelle|repond|telephone)|non|hein|la|quoi"
    r"|c est ca|en fait|alors|au bout du fil|au telephone|vous|tu|toi|ou quoi|ou pas"
    # the call named after it: "c'est du chatgpt votre truc"
    r"|(?:votre|ton|ce|cet|cette) (?:truc|machin|appel|systeme|service|standard|bidule))\b)"
)
_ASKS_MACHINE = re.compile(
    rf"\b{_WHO} (?:un |une |de l |du |le |la |l |un de ces |une de ces |un de vos |une de vos )?"
    rf"(?:espece de |sorte de )?{_MACHINE}s?"
    rf"{_CLAUSE_END}"
    rf"|\bencore (?:un|une) {_MACHINE}{_CLAUSE_END}"
    # a real person asked about (the noun said: not "oui c'est vrai ça", "c'est réel ce
    # que vous dites")
    r"|\b(?:vous etes|t es|tu es|etes vous|es tu|c est) (?:un |une )?(?:vrai|vraie|reel"
    r"|reelle|vivant|vivante) (?:personne|humain|humaine|etre humain|voix)\b"
    r"|\b(?:vous etes|t es|tu es|etes vous|es tu) (?:humain|humaine|reel|reelle|enregistree?"
    r"|preenregistree?|automatique|programmee?)\b"
)
# A request for a person, or a person's name asked: left to the scores; a wish to know
# ("je veux savoir si je parle à une machine") asks about the machine.
_WANTS_A_PERSON = re.compile(
    r"\b(?:passez|passer|mettez|donnez|transferez|veux|voudrais|aimerais|souhaite|exige"
    r"|prefere)\b(?! (?:savoir|comprendre|verifier))"
)


# Whether the utterance asks if the caller is a machine.
asks_if_machine = form_pattern(_ASKS_MACHINE, unless=_WANTS_A_PERSON)


# Machines spoken of in general, the caller nowhere ("je passe mes journées à tester des
# intelligences artificielles", "les robots vont tous nous remplacer", "le robot de
# traite est en panne"): a plural or a device named by its use, and no "vous", "tu",
# "c'est", "ça", "parler" or "encore" that would point at the call ("encore un de ces
# robots", "vous êtes un de ces bots", "je suis en train de parler à des robots ou quoi").
_IN_GENERAL = re.compile(
    rf"\b(?:des|les|mes|nos|ses|leurs) {_MACHINE}s?\b"
    # ... or a device named by its use ("le robot de traite", "la machine à laver", "mon
    # robot aspirateur")
    r"|\b(?:le|la|l|un|une|mon|ma|notre|son|sa) (?:robot|machine|automate|ordinateur)"
    r" (?:de|a|menager|aspirateur|tondeuse|patissier|cuiseur|laveur)\b"
)
_THE_CALLER = re.compile(
    r"\b(?:vous|votre|vos|tu|toi|t|te|ton|ta|c est|c etait|ca|parle|parler|parlez|est ce"
    r"|encore (?:un|une|des|ces|ce|cet|cette)|appel|appelle|appelez|telephone)\b"
)

# Whether the utterance speaks of machines in general, not of the caller.
speaks_of_machines = form_pattern(_IN_GENERAL, unless=_THE_CALLER)
