"""Which contact fields a program's texts use, and which they say as they are.

A text that says ``{{ contact.industry }}`` cannot be spoken to a contact who has none:
an empty word in the middle of a sentence, or, when the field is not even a column of
the contact's file, a render error that ends the call after the greeting. A text that
tests the field first (``{% if contact.company %} de {{ contact.company }}{% endif %}``)
or gives a default (``{{ contact.company | default("votre entreprise") }}``) copes.

``ContactFields.of(program)`` reads every template of the program (its constants and
its objections' responses) once: ``used`` is every field a text names, ``said`` the
fields some text says unguarded. The VM gives the fields a contact lacks an empty value
when no text says them, so the guards work whatever the contact file held; the campaign does not dial a
contact that lacks one of the ``said`` fields (``missing``), and ``mbs chat`` asks for
them, instead of speaking an empty word or failing mid-call.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

import jinja2
from jinja2 import nodes

from mbs.program import Program
from mbs.runtime.sandbox import ENV

# filters that stand in for an empty or missing value
_DEFAULTS = frozenset(("default", "d"))


@dataclass(frozen=True, slots=True)
class ContactFields:
    used: frozenset[str]  # every contact field a text names
    said: frozenset[str]  # ... and those some text says without a test or a default
    filled: frozenset[str]  # used, not said: "" when a contact lacks them

    @staticmethod
    def of(program: Program) -> ContactFields:
        return _of_texts(tuple(_texts(program)))

    def missing(self, contact: Mapping[str, object]) -> list[str]:
        """The said fields this contact lacks or has empty, sorted."""
        return sorted(f for f in self.said if not str(contact.get(f, "") or "").strip())

    def completed(self, contact: Mapping[str, object]) -> Mapping[str, object]:
        """The contact with an empty value for each field it lacks that no text says (a
        said one stays missing: its render fails rather than speak an empty word); the
        contact itself when it lacks none (every render of a call asks)."""
        lacking = [f for f in self.filled if f not in contact]
        return {**dict.fromkeys(lacking, ""), **contact} if lacking else contact


def _texts(program: Program) -> Iterator[str]:
    yield from program.consts
    for pack in program.objection_packs:
        for o in pack.objections:
            if o.response is not None:
                yield o.response
            yield from o.alternatives


@functools.lru_cache(maxsize=64)
def _of_texts(texts: tuple[str, ...]) -> ContactFields:
    used: set[str] = set()
    said: set[str] = set()
    for text in texts:
        if "contact" not in text:
            continue
        try:
            tree = ENV.parse(text)
        except jinja2.TemplateSyntaxError:
            continue  # the templates' own error, when the text is rendered
        _walk(tree, frozenset(), False, used, said)
    return ContactFields(frozenset(used), frozenset(said), frozenset(used - said))


def _field(node: nodes.Node) -> str | None:
    """The field of ``contact.NAME`` or ``contact["NAME"]``."""
    if isinstance(node, nodes.Getattr) and _is_contact(node.node):
        return node.attr
    if (
        isinstance(node, nodes.Getitem)
        and _is_contact(node.node)
        and isinstance(node.arg, nodes.Const)
        and isinstance(node.arg.value, str)
    ):
        return node.arg.value
    return None


def _is_contact(node: nodes.Node) -> bool:
    return isinstance(node, nodes.Name) and node.name == "contact"


def _tested(node: nodes.Node) -> frozenset[str]:
    """The fields a test names: what the branch it guards may say."""
    found: set[str] = set()
    _walk(node, frozenset(), True, found, set())
    return frozenset(found)


def _walk(
    node: nodes.Node, tested: frozenset[str], guarded: bool, used: set[str], said: set[str]
) -> None:
    field = _field(node)
    if field is not None:
        used.add(field)
        if not guarded and field not in tested:
            said.add(field)
        return
    if isinstance(node, (nodes.If, nodes.CondExpr)):
        # the test may name a field it checks; the branches say it only when it is there
        _walk(node.test, tested, True, used, said)
        inner = tested | _tested(node.test)
        branches: list[nodes.Node] = (
            [node.expr1] if isinstance(node, nodes.CondExpr) else [*node.body, *node.elif_]
        )
        for child in branches:
            _walk(child, inner, guarded, used, said)
        others: list[nodes.Node | None] = (
            [node.expr2] if isinstance(node, nodes.CondExpr) else list(node.else_)
        )
        for other in others:
            if other is not None:
                _walk(other, tested, guarded, used, said)
        return
    if isinstance(node, nodes.Filter) and node.name in _DEFAULTS and node.node is not None:
        _walk(node.node, tested, True, used, said)
        for arg in node.args:
            _walk(arg, tested, guarded, used, said)
        return
    if isinstance(node, nodes.Test):
        _walk(node.node, tested, True, used, said)
        return
    for child in node.iter_child_nodes():
        _walk(child, tested, guarded, used, said)
