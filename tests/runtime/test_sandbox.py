"""Scenario texts render in a bounded sandbox: no code execution, no hang, data stays data."""

from __future__ import annotations

from pathlib import Path

import pytest
from runtime_asm import KeywordNlu, assemble

from mbs.compiler import check_templates
from mbs.program import Program, Result
from mbs.runtime import sandbox
from mbs.runtime.builtins.prebuild import Skipped, classify
from mbs.runtime.events import MemorySink
from mbs.runtime.templates import ENV, TemplateFailure, render_text
from mbs.runtime.textcall import TextCall
from mbs.runtime.vm import Vm

HOSTILE = [
    # the code execution, and other ways out of the template
    "{{ cycler.__init__.__globals__.os.popen('touch {marker}').read() }}",
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ contact.__class__ }}",
    "{{ contact['__class__'] }}",
    "{{ self._TemplateReference__context }}",
    "{{ '{0.__class__}'.format(contact) }}",
    "{{ joiner.__init__.__globals__ }}",
    "{{ namespace.__init__ }}",
    "{{ lipsum.__globals__ }}",
    # unbounded work or size
    "{% for i in range(10**9) %}x{% endfor %}",
    "{{ 'a' * 10**10 }}",
    "{% for i in range(1000) %}{% for j in range(1000) %}{% endfor %}{% endfor %}",
    "{% macro f(n) %}{% if n %}{{ f(n-1) }}{{ f(n-1) }}{% endif %}{% endmacro %}{{ f(60) }}",
    "{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}",
    "{{ 99 ** 99999999 }}",
    "{{ '%099999999d' % 1 }}",
    "{{ range(1000)|join('x' * 9000) }}",
    "{{ 'ab'|replace('a', 'b' * 9999)|replace('b', 'cc') }}",
    "{% set a = 'x' * 9000 %}{{ a ~ a }}",
    "{% for i in range(999) %}{{ 'x' * 999 }}{% endfor %}",
    "{% for x in [[1]] recursive %}{{ loop(range(999)|map('list')|list) }}{% endfor %}",
    # a filter's own assertion on its argument
    "{{ 'a'|truncate(-5) }}",
]


def _render(source: str, context: dict[str, object] | None = None) -> str:
    return render_text(ENV.from_string(source), context or {"contact": {"first_name": "Marie"}})


@pytest.mark.parametrize("source", HOSTILE)
def test_a_hostile_text_fails_cleanly_and_runs_nothing(source: str, tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    with pytest.raises(TemplateFailure):
        _render(source.replace("{marker}", str(marker)))
    assert not marker.exists()


def test_ordinary_texts_still_render() -> None:
    ctx = {"contact": {"first_name": "marie", "items": "un champ"}, "jour": "jeudi"}
    assert _render("Bonjour {{ contact.first_name|title }} !", ctx) == "Bonjour Marie !"
    assert _render("{{ contact.first_name.upper() }}", ctx) == "MARIE"
    assert _render("{% if jour %}{{ jour }}{% else %}plus tard{% endif %}", ctx) == "jeudi"
    assert _render("{% for i in range(3) %}{{ loop.index }}{% endfor %}", ctx) == "123"
    assert _render("{{ contact.items }}", ctx) == "un champ"  # a field, not dict.items


def test_contact_data_stays_data() -> None:
    evil = "{{ cycler.__init__.__globals__ }} {% for i in range(10**9) %}"
    ctx = {"contact": {"first_name": evil}}
    assert _render("Bonjour {{ contact.first_name }}", ctx) == f"Bonjour {evil}"


def test_the_compiler_and_the_sandbox_share_their_allow_lists() -> None:
    from mbs import template_rules

    assert check_templates.TEMPLATE_METHODS is template_rules.METHODS is sandbox.SAFE_METHODS
    assert check_templates.LOOP_ATTRIBUTES is template_rules.LOOP_ATTRIBUTES
    assert check_templates.TEMPLATE_FILTERS is template_rules.FILTERS is sandbox.SAFE_FILTERS
    assert check_templates.TEMPLATE_GLOBALS is template_rules.GLOBALS
    assert set(sandbox.ENV.filters) == template_rules.FILTERS
    assert set(sandbox.ENV.globals) == template_rules.GLOBALS


def _program(text: str) -> Program:
    return assemble([("enter", "intro"), ("say", text), ("end", "QUALIFIED")])


@pytest.mark.parametrize(
    "text",
    [
        "{{ 'a' * 10**10 }}",
        "{% for i in range(1000) %}{% for j in range(1000) %}{% endfor %}{% endfor %}",
        "{{ cycler.__init__.__globals__.os.popen('id').read() }}",
    ],
)
async def test_a_tampered_constant_ends_the_call_as_technical_error_at_its_line(
    text: str,
) -> None:
    program = _program("Bonjour.")
    # a .mbsc edited after compiling: the constant is replaced behind the compiler's back
    tampered = Program.model_validate({**program.model_dump(), "consts": [text]})
    sink = MemorySink()
    call = TextCall(["oui"])
    state = await Vm(tampered, nlu=KeywordNlu()).run_call(call, contact={}, sink=sink)
    assert state.result is Result.TECHNICAL_ERROR
    assert state.error is not None and state.error.startswith("test.mbs:2:5 (step intro):")
    assert call.said == []


def test_prebuild_renders_in_the_sandbox() -> None:
    result = classify("{{ 'a' * 10**10 }}", "say")
    assert isinstance(result, Skipped) and "cannot render" in result.reason
    result = classify("{{ ''.__class__.__mro__ }}", "say")
    assert isinstance(result, Skipped)
