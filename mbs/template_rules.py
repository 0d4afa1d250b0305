"""What a scenario's texts may use inside ``{{ }}`` and ``{% %}``: the allow-lists.

One list for both sides: the compiler refuses anything else with a diagnostic of its
own (E055), and the runtime's sandbox (:mod:`mbs.runtime.sandbox`) refuses it again at
render time, so a lint and the behaviour it predicts cannot drift apart.
docs/language.md lists them.
"""

from __future__ import annotations

METHODS = frozenset(
    {
        "upper",
        "lower",
        "capitalize",
        "title",
        "strip",
        "lstrip",
        "rstrip",
        "startswith",
        "endswith",
        "split",
        "isdigit",
        "isalpha",
        "cycle",  # loop.cycle
        "changed",  # loop.changed
    }
)
LOOP_ATTRIBUTES = frozenset(
    {
        "index",
        "index0",
        "revindex",
        "revindex0",
        "first",
        "last",
        "length",
        "depth",
        "depth0",
        "previtem",
        "nextitem",
        "cycle",
        "changed",
    }
)
FILTERS = frozenset(
    {
        "abs",
        "capitalize",
        "count",
        "d",
        "default",
        "first",
        "float",
        "int",
        "join",
        "last",
        "length",
        "list",
        "lower",
        "map",
        "max",
        "min",
        "reject",
        "replace",
        "reverse",
        "round",
        "select",
        "sort",
        "string",
        "sum",
        "title",
        "trim",
        "truncate",
        "unique",
        "upper",
        "wordcount",
    }
)
GLOBALS = frozenset({"range"})
