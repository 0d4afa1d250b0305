"""The compiler refuses template features outside the sandbox's allow-lists (E055)."""

from __future__ import annotations

import pytest

from mbs.compiler import compile_source

HEAD = 'scenario s "T" {\n    record no; disclosure no "test"\n    fields budget\n}\n'


def codes(text: str) -> list[tuple[str, str]]:
    source = HEAD + f'step a {{\n    say "{text}"\n    end QUALIFIED\n}}\n'
    result = compile_source(source, "t.mbs")
    return [(d.code, d.message) for d in result.diagnostics if d.is_error]


def test_the_issue_exploit_does_not_lint_clean() -> None:
    found = codes("{{ cycler.__init__.__globals__.os.popen('id').read() }}")
    assert ("E055", "texts may not use the attribute `__init__`") in found
    assert any(code == "E020" and "cycler" in msg for code, msg in found)  # not a global


@pytest.mark.parametrize(
    ("text", "what"),
    [
        ("{{ contact.first_name.__class__ }}", "the attribute `__class__`"),
        ("{{ contact['__class__'] }}", "the attribute `__class__`"),
        ("{{ contact.__class__ }}", "the attribute `__class__`"),
        ("{{ contact.first_name.format(1) }}", "the attribute `format`"),
        ("{{ contact.first_name|center(99) }}", "the filter `center`"),
        ("{% macro m() %}x{% endmacro %}{{ m() }}", "{% macro %}"),
        ("{% include 'x' %}", "{% include %}"),
        ("{% for x in [1] recursive %}{{ x }}{% endfor %}", "a recursive loop"),
        ("{{ '%s!' % 1 }}", "string formatting with `%`"),  # the sandbox refuses it
        ("{{ contact.first_name % 2 }}", "string formatting with `%`"),
        ("{{ ('a' ~ 'b') % 2 }}", "string formatting with `%`"),
    ],
)
def test_features_outside_the_allow_list_are_refused(text: str, what: str) -> None:
    assert ("E055", f"texts may not use {what}") in codes(text)


@pytest.mark.parametrize(
    "text",
    [
        "Bonjour {{ contact.first_name|title }}",
        "{{ contact.first_name.upper() }} {{ contact.budget|default('rien') }}",
        "{% for i in range(3) %}{{ loop.index }}{% endfor %}",
        "{% if contact.budget %}{{ contact.budget|int + 1 }}{% endif %}",
        "{% for i in range(4) %}{{ i % 2 }}{% endfor %}",  # a modulo stays allowed
    ],
)
def test_allowed_features_lint_clean(text: str) -> None:
    assert codes(text) == []
