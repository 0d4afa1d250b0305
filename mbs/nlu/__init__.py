"""French intent classification and objection matching without an LLM (a leaf package).

Imports only the standard library, rapidfuzz, snowballstemmer and ``mbs.program``; the
compiler uses its lints and the runtime's ``fuzzy`` builtin wraps its matchers.
"""

from mbs.nlu.fuzzy import (
    DEFAULT_INTENT_THRESHOLD,
    DEFAULT_OBJECTION_THRESHOLD,
    Candidate,
    IntentClassifier,
    IntentMatch,
    ObjectionMatch,
    ObjectionMatcher,
)
from mbs.nlu.lints import close_objections, objection_equals_example, shared_examples
from mbs.nlu.normalize import Normalized, normal_form, normalize

__all__ = [
    "DEFAULT_INTENT_THRESHOLD",
    "DEFAULT_OBJECTION_THRESHOLD",
    "Candidate",
    "IntentClassifier",
    "IntentMatch",
    "Normalized",
    "ObjectionMatch",
    "ObjectionMatcher",
    "close_objections",
    "normal_form",
    "normalize",
    "objection_equals_example",
    "shared_examples",
]
