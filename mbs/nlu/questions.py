"""Whether an utterance asks something, from its form: the ``question`` intent's fallback.

A prospect's questions are open-ended ("quels papiers il faudra préparer", "ça se passe
où"): their words are the product's, not the examples', and their scores stay under the
threshold. Their form is closed: French asks with a question word ("combien",
"comment", "quel", "c'est quoi"), with "est-ce que", or by inverting the subject
("pouvez-vous", "faut-il"); speech-to-text loses the rising tone, so "vous avez un site
internet" is not caught, but a written "?" is. When no intent was recognised and the
utterance asks, the classifiers give ``question`` at its threshold: a sure objection
still wins over it at a step (``mbs.runtime.decision``).
"""

from __future__ import annotations

import functools
import re

from mbs.nlu.scoring import MAX_CHARS

INTENT = "question"

_ACCENTS = str.maketrans("àâäéèêëîïôöùûüç", "aaaeeeeiioouuuc")
_NOT_WORD = re.compile(r"[^a-z0-9?-]+")

# a question word anywhere ("et après il se passe quoi", "ça marche comment"), "est-ce
# que", or a verb with its subject pronoun after it ("avez-vous", "faut-il")
_ASKS = re.compile(
    r"\b(?:combien|comment|pourquoi|quand|quel|quelle|quels|quelles|lequel|laquelle"
    r"|lesquels|lesquelles|quoi|est-ce|est ce)\b"
    r"|\b(?:ou ca|c est ou|d ou)\b"
    r"|\b[a-z]+-(?:t-)?(?:vous|il|elle|on|ils|elles|je|tu|nous)\b"
    r"|\?"
)


def _plain(text: str) -> str:
    lowered = text[:MAX_CHARS].lower().translate(_ACCENTS).replace("'", " ")
    return _NOT_WORD.sub(" ", lowered).strip()


@functools.lru_cache(maxsize=4096)
def asks(text: str) -> bool:
    """Whether the utterance has the form of a question."""
    return bool(_ASKS.search(_plain(text)))
