"""An utterance about someone or something of the speaker's, not a request of theirs.

"ma sœur me rappelle tous les soirs vers vingt heures", "mon fils a pris la voiture ce
matin", "mon patron est quelqu'un de très humain", "mon chien comprend très bien quand
on lui dit non", "j'attends que le docteur me rappelle": a sentence whose subject is the
speaker's relative, pet or thing, or someone who calls the speaker, tells a fact, and
shares its words with a call put off, a request to hear again, a robot question, who is
calling asked or a request for a person, which the speaker would say of themselves and
to the robot. So when the utterance opens with such a subject, or tells of such a call,
and addresses the robot nowhere (no "vous", no imperative), those intents are not taken
(``mbs.nlu.fuzzy.by_form``'s vetoes). Others stay: the contact elsewhere ("ma mère
n'habite plus ici"), a minor on the line ("mes parents sont pas là"), a stop request
("mon numéro vous l'effacez"), an objection ("mon budget ça me regarde").
"""

from __future__ import annotations

import re

from mbs.nlu.form_rule import form_pattern

# The intents a speaker says of themselves, to the robot.
INTENTS = frozenset(("callback", "repeat", "robot_question", "who_is_calling", "human_request"))

# the robot addressed: "vous", "votre", an imperative ("rappelez", "passez-moi"; not
# "chez", "assez")
_ADDRESSED = re.compile(r"\b(?:vous|votre|vos|tu|toi|t)\b|\b(?!chez\b|assez\b)\w+ez\b")

# Opening on someone or something of the speaker's, or telling anywhere of someone else's
# call to the speaker ("j'attends que le docteur me rappelle pour mes résultats"; not
# "votre boîte m'appelle")
_ANOTHER = re.compile(
    r"(?:^(?:(?:euh|bah|ben|ah|oh|bon|alors|oui|ouais|non|et|mais|enfin) )*(?:mon|ma|mes|notre"
    r"|nos) \w+"
    # (someone of the speaker's world; not the caller's own staff: "d'accord un conseiller
    # me rappelle demain alors" answers the robot's offer)
    r"|\b(?:le|la|l|mon|ma|son|sa|notre|un|une)"
    r" (?!conseill|commercia|technici|expert|agent|vendeu|vendeuse|responsable|collegue)\w+"
    r" (?:me|nous|m) (?:rappelle|rappellera"
    r"|rappellerait|rappelait|appelle|appellera|appellerait|appelait|telephone|telephonera)\b)"
)

# Whether the utterance tells of someone or something of the speaker's, to no one.
speaks_of_another = form_pattern(_ANOTHER, _ADDRESSED)


# The speaker says they are talking to someone else ("nan c'est pas à vous que je parle
# c'est au chien", "je parlais à mon fils"): nothing in the turn is said to the robot.
# Not "je vous parle pas de ça" (of something), nor "je parle au robot là" (to the call).
# (A first name and an order, "non Lucas pas de ketchup", was tried: the robot's own agent
# has a first name too, "julie laisse tomber", and "Monique va rentrer" is news.)
_ASIDE = re.compile(
    r"\b(?:c est pas|ce n est pas|c etait pas) a (?:vous|toi) que je (?:parle|parlais|disais)\b"
    r"|\bje (?:ne )?(?:vous|te) (?:parle|parlais) pas$"
    r"|\bje (?:parlais|disais ca) (?:a (?:mon|ma|mes|la|le|l)|au|aux) \w+"
    # (the present only closing the turn: "je parle à ma femme ce soir et je vous dis" is a
    # spouse to consult)
    r"|\bje parle (?:a (?:mon|ma|mes|la|le|l)|au|aux)"
    r" (?!robot|machine|repondeur|telephone|ordinateur)\w+(?: la)?$"
)
# The intents an aside keeps out: the answers, not what the call must always hear (a stop
# request, a minor, an insult, leave-taking, a person or a machine asked about).
ASIDE_INTENTS = frozenset((
    "yes", "no", "not_interested", "callback", "question", "who_is_calling", "wrong_person",
    "repeat",
))  # fmt: skip

# Whether the speaker says the turn was said to someone else.
speaks_to_another = form_pattern(_ASIDE)
