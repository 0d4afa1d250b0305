"""The ordinary answers (``ordinary.txt``): small talk the NLU should route nowhere.

Read once from the package; the hybrid NLU indexes them like one more label and its
learned acceptance (``mbs.nlu.acceptance``) reads how close an utterance is to them.
"""

from __future__ import annotations

from functools import cache
from importlib import resources

ORDINARY_FILE = "ordinary.txt"


@cache
def ordinary_answers() -> tuple[str, ...]:
    """Every ordinary answer of the shipped file, in order (comments and blanks out)."""
    text = resources.files("mbs.nlu").joinpath(ORDINARY_FILE).read_text("utf-8")
    lines = (line.strip() for line in text.splitlines())
    return tuple(line for line in lines if line and not line.startswith("#"))
