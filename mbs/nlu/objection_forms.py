"""Objections read by their form: where the caller got the prospect's number.

"Qui vous a donné mes coordonnées", "mon numéro vous l'avez trouvé où", "d'où sortez-vous
mon 06": the prospect asks where their number comes from, which the caller must answer
(the data source, ``company.data_source``). The form is closed
(``mbs.nlu.caller.asks_number_source``) but its words are other objections' too: "qui
vous a donné mes coordonnées" scored 0.88 for "Donnez-moi votre numéro je vous
rappellerai" and 0.64 for its own. So an utterance with the form takes the objection of
the scope that answers it, at least at ``FORM_SCORE``.

Which objection that is, a scope says in its own phrasings, not by a name: the objection
at least half of whose phrasings (text, variants and what it borrows from the library,
as the matchers index them) have the form, the most of them if several do. The
library's "Comment avez-vous eu mon numéro ?" has it; a customer's pack that words the
objection in one phrasing of that form has it too; a scope without such an objection
reads nothing by form and the scores decide.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from mbs.nlu.caller import asks_number_source
from mbs.program import Objection

# The forms an objection is read by, each a test of an utterance.
FORMS: tuple[Callable[[str], bool], ...] = (asks_number_source,)
# The share of an objection's phrasings that must have a form for it to answer that form.
MAJORITY = 0.5

# (a form, the index in the scope's entries of the objection that answers it)
ByForm = tuple[tuple[Callable[[str], bool], int], ...]


def objections_by_form(entries: Sequence[tuple[str, Objection]]) -> ByForm:
    """For every form of ``FORMS``, the objection of ``entries`` that answers it, if any."""
    found: list[tuple[Callable[[str], bool], int]] = []
    for form in FORMS:
        best, best_share = -1, 0.0
        for index, (_, objection) in enumerate(entries):
            phrasings = (objection.text, *objection.variants, *objection.borrowed)
            share = sum(form(p) for p in phrasings) / len(phrasings)
            if share > best_share:
                best, best_share = index, share
        if best >= 0 and best_share >= MAJORITY:
            found.append((form, best))
    return tuple(found)


def read_by_form(text: str, forms: ByForm) -> int | None:
    """The objection ``text`` takes by its form, as an index in the entries, or None."""
    return next((label for form, label in forms if form(text)), None)
