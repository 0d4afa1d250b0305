"""Whether an utterance asks something, from its form: the ``question`` intent's fallback.

A prospect's questions are open-ended ("quels papiers il faudra préparer", "ça se passe
où"): their words are the product's, not the examples', and their scores stay under the
threshold. Their form is closed: French asks with a question word ("combien",
"comment", "quel", "c'est quoi"), with "est-ce que", or by putting the subject pronoun
after the verb ("pouvez-vous", "y a-t-il"); speech-to-text loses the rising tone, so
"vous avez un site internet" is not caught, but a written "?" is. The same words also
make statements, which are left out: "c'est ce que je pensais", "n'importe quel jour",
"je sais pas comment", "comment dire" (words sought), "quand mon contrat finira", the
filler "quoi" ("vingt euros quoi"), imperatives ("rappelez-nous"), the time asked of the
room ("il est quelle heure"). When no intent was recognised and the utterance asks, the
classifiers give ``question`` at its threshold (``mbs.nlu.fuzzy.by_form``); a question
praised ("c'est une bonne question ça") asks none.
"""

from __future__ import annotations

import re

from mbs.nlu.form_rule import form_pattern, form_rule

INTENT = "question"

# Python's look-behinds have a fixed width: one per statement that borrows the word.
_NOT_AFTER = r"(?<!sais pas )(?<!sais plus )(?<!sais )(?<!importe )(?<!savoir )(?<!voir )"
# "euh alors comment dire": a speaker looking for words asks nothing
_SEEKING_WORDS = r"(?:dire|dirais|dirais-je|vous dire|te dire|expliquer|vous expliquer)\b"
_ASKS = re.compile(
    # question words that ask wherever they stand
    rf"\b{_NOT_AFTER}(?:combien|comment(?! {_SEEKING_WORDS})|pourquoi|quel|quelle|quels|quelles"
    r"|lequel|laquelle|lesquels|lesquelles)\b"
    # "quand" and "quoi" ask in these places only ("c'est quand", "ça consiste en quoi")
    r"|\b(?:c est|ce sera|ca sera|quand est|c etait) (?:quand|quoi|ou|combien|qui)\b"
    r"|\b(?:en|de|a|pour|sur) quoi\b(?! que)(?<!pas de quoi)(?! (?:\w+er|\w+ir|vivre|boire)\b)"
    r"|\b(?:quoi|quand|ou) (?:exactement|donc|alors|au juste)\b"
    r"|^(?:quoi|et quoi)\b"
    r"|\b(?:passe|passera|fait|faut|faudra|rapporte|coute|couterait) quoi\b"
    # "est-ce que" opening a clause (not "c'est ce que")
    r"|(?<!c )\best-?ce (?:que|qu)\b|^est ce (?:que|qu)\b"
    r"|\b(?:ou ca|c est ou|d ou)\b"
    # "où" after its verb, at the end or before what is asked about ("il est où votre
    # domaine"); not "ou" the conjunction ("il est là ou pas")
    r"|\b(?:est|sont|etes|se trouve|se trouvent|se situe|se situent) ou"
    r"(?=$| (?:votre|vos|le|la|les|ce|cette|ces|exactement|ca|donc|alors|au juste)\b)"
    # "vous voulez en venir où": what the call is driving at
    r"|\b(?:voulez|veux|voulais|vouliez|voulait) en venir\b"
    # a verb with its subject pronoun after it; not an imperative ("dites-moi",
    # "rappelez-nous", "allez-y") nor the noun "rendez-vous"
    r"|\b(?!rendez-vous\b|dirais-je\b)[a-z]+-(?:t-)?(?:vous|il|elle|on|ils|elles|je|tu)\b"
    # a choice offered about the offer ("c'est pour l'isolation ou pour les panneaux",
    # "ça se passe chez moi ou au téléphone", "c'est gratuit ou payant")
    r"|^(?:(?:et|mais|euh|alors|donc|bon|bah|ben) )*(?:c est pour|ca se passe|ca se fait"
    r"|le rendez-vous se passe|le rendez vous se passe|vous venez|c est gratuit"
    r"|c est payant|vous proposez|vous vendez|vous faites)\b.* ou \w+"
    # the call's purpose guessed ("c'est pour une vente", "c'est pour un sondage"): said
    # flat on the line, it asks; only the nouns that name why someone calls, since "c'est
    # pour offrir" answers a question
    r"|^(?:(?:et|mais|euh|alors|donc|bon|bah|ben|allo|oui|ah) )*c est (?:pour )?(?:une?|de la"
    r"|du|des) (?:vente|ventes|enquete|sondage|pub|publicite|promo|promotion|demarchage"
    r"|prospection|questionnaire|etude|abonnement|proposition commerciale)$"
    r"|\?"
)


# The time of day asked ("il est quelle heure, déjà onze heures ?"): said to oneself or to
# someone in the room, never about the call
_THE_TIME = re.compile(r"\b(?:il est quelle heure|quelle heure il est|quelle heure est il)\b")

# Whether the utterance has the form of a question.
asks = form_pattern(_ASKS, _THE_TIME, keep="?-")

# A question praised, not asked ("c'est une bonne question ça", "vaste question")
_PRAISE = re.compile(r"\b(?:bonne|excellente|vaste|sacree|drole de|grande) question\b")
_praises = form_pattern(_PRAISE)


@form_rule
def praises_a_question(text: str) -> bool:
    """Whether the utterance remarks on a question and asks none itself."""
    return _praises(text) and not asks(text)
