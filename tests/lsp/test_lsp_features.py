"""Positions, completion, hover, definition and diagnostics, computed in-process on
real scenarios and on buffers being typed."""

from __future__ import annotations

import ast as pyast
from pathlib import Path

import pytest
from lsprotocol import types

from mbs.lsp.analysis import analyse, repair
from mbs.lsp.completion import block_at, complete, complete_at
from mbs.lsp.navigation import definition, hover_text, loaded_by, lsp_diagnostics, symbols
from mbs.lsp.positions import UTF8, UTF16, UTF32, LineIndex, from_units, to_units

ROOT = Path(__file__).resolve().parents[2]
OR_RDV = ROOT / "scenarios/or_rdv.mbs"
HEAD = 'scenario s "Test" {\n    record no; disclosure no "test"\n}\n'


def at(text: str, needle: str, offset: int = 0) -> tuple[int, int]:
    """1-based line and column of ``needle`` (plus ``offset``) in ``text``."""
    for i, line in enumerate(text.split("\n"), 1):
        if needle in line:
            return i, line.index(needle) + 1 + offset
    raise AssertionError(needle)


def labels(text: str, path: Path | None = None) -> set[str]:
    """Completion labels at the end of ``text``."""
    a = analyse(text, str(path) if path else "<buffer>", path)
    line = text.split("\n")[-1]
    return {item.label for item in complete(a, line, len(line), text)}


# ------------------------------------------------------------------------- positions


def test_units_per_encoding() -> None:
    line = "é👋x"
    assert [to_units(line, i, UTF16) for i in range(4)] == [0, 1, 3, 4]
    assert [to_units(line, i, UTF8) for i in range(4)] == [0, 2, 6, 7]
    assert [to_units(line, i, UTF32) for i in range(4)] == [0, 1, 2, 3]
    for enc in (UTF8, UTF16, UTF32):
        for i in range(4):
            assert from_units(line, to_units(line, i, enc), enc) == i
    assert from_units(line, 99) == 3


def test_ranges_are_clamped_into_the_text() -> None:
    from mbs.dsl.ast import Span

    index = LineIndex("ab\ncd")
    assert index.range(Span("f", 9, 1, 9, 4)) == types.Range(
        types.Position(1, 2), types.Position(1, 2)
    )
    assert index.offset(types.Position(0, 99)) == (1, 3)


# ------------------------------------------------------------------------ completion


def test_completion_contexts() -> None:
    text = OR_RDV.read_text(encoding="utf-8")
    assert {"discovery", "booked", "end", "retry"} <= labels(
        text + "\nstep x {\n    on yes -> ", OR_RDV
    )
    assert set(labels(text + "\nstep x {\n    end ", OR_RDV)) == {
        "APPOINTMENT_SCHEDULED", "QUALIFIED", "NOT_QUALIFIED", "NOT_INTERESTED",
        "CALLBACK_REQUESTED", "TRANSFERRED", "ANSWERING_MACHINE", "HUNG_UP", "TECHNICAL_ERROR",
    }  # fmt: skip
    on = labels(text + "\nstep x {\n    on ", OR_RDV)
    assert {"yes", "no", "weekday", "silence", "objection", "dtmf"} <= on
    assert "intents.common" in labels("use ")
    assert {"objections.finance", "personalities"} <= labels("use obj")
    assert {"professionnel", "julie"} <= labels(text + "\npersonality x extends ", OR_RDV)
    assert {"finance", "or", "vin"} <= labels("scenario s {\n    theme ")
    assert "standard" not in labels("scenario s {\n    theme ")


def test_completion_by_enclosing_block() -> None:
    assert {"max_turns", "start", "barge_in"} <= labels('scenario s "T" {\n    ')
    assert {"say", "ask", "capture", "on", "otherwise"} <= labels(HEAD + "step a {\n    ")
    assert {"context", "goal", "fallback"} <= labels(HEAD + "step a {\n    freestyle {\n        ")
    assert labels(HEAD + "step a { end HUNG_UP }\n") >= {"step", "intent", "use", "always"}
    assert {"uninterruptible"} == labels(HEAD + 'step a {\n    say "x; y" ')
    assert {"say", "end"} <= labels(HEAD + 'step a {\n    say "x; y"; ')
    assert {"timeout"} <= labels(HEAD + 'step a {\n    say "x"; ask "y" ')
    assert block_at('step a { say "{ not a brace" # {\n') == "step"
    assert block_at("step a { on x -> y }\n") == ""


def test_completion_positions_are_clamped() -> None:
    text = HEAD + "step a {\n    on yes -> "
    a = analyse(text, "<buffer>")
    assert complete_at(a, 99, 99) == complete_at(a, 5, 15)
    assert {i.label for i in complete_at(a, 5, 15)} >= {"a", "end"}
    assert complete_at(a, 0, 0) == complete_at(a, 1, 1)


def test_completion_in_templates() -> None:
    assert {"first_name", "last_name", "company"} <= labels(
        HEAD + 'step a {\n    say "Bonjour {{ contact.'
    )
    assert labels(HEAD + 'step a {\n    say "{{ agent.') == {"name", "company", "gender"}
    extra = 'scenario s "T" {\n    record no; disclosure no "test"\n    fields industry\n}\nstep a {\n    say "{{ contact.'
    assert "industry" in labels(extra)
    captured = HEAD + 'step a {\n    capture budget\n    otherwise -> b\n}\nstep b {\n    say "{{ '
    assert {"contact", "agent", "budget"} <= labels(captured)
    assert labels(HEAD + 'step a {\n    say "plain text ') == set()
    assert labels(HEAD + "step a {\n    # a comment -> ") == set()


# ------------------------------------------------------------------ hover, definition


def test_hover_on_a_users_pack_lists_what_it_borrows_from_the_library() -> None:
    text = (
        "use intents.common\n\nobjections maison {\n"
        '    "Je suis locataire" => "Le matériel se retire sans trace."\n'
        '    "Ma porte est blindée" => "Bien."\n}\n'
    )
    a = analyse(text, "<buffer>", None)
    shown = hover_text(a, *at(text, "objections maison", 12)) or ""
    assert "**borrowed from the library**" in shown
    assert '"Je suis locataire" ← objections.energie: Je suis locataire' in shown
    assert 'blindée" ←' not in shown  # nothing in the library says it


def test_hover_and_definition_on_a_valid_scenario() -> None:
    text = OR_RDV.read_text(encoding="utf-8")
    a = analyse(text, str(OR_RDV), OR_RDV)
    assert not a.repaired and a.result.diagnostics == []

    assert "**result** `APPOINTMENT_SCHEDULED`" in (
        hover_text(a, *at(text, "end APPOINTMENT", 5)) or ""
    )
    assert "**case** `silence`" in (hover_text(a, *at(text, "on silence", 4)) or "")
    assert "**header** `max_turns`" in (hover_text(a, *at(text, "max_turns   24")) or "")
    assert "speak a line" in (hover_text(a, *at(text, 'say "Bonjour')) or "")
    yes = hover_text(a, *at(text, "on yes             -> discovery", 4)) or ""
    assert "**intent** `yes`" in yes and "intents.common" in yes and "examples" in yes

    target = definition(a, *at(text, "on yes             -> discovery", 4))
    assert target is not None and target.module.name == "intents.common"
    assert target.module.path == ROOT / "mbs/stdlib/intents/common.mbs"
    step = definition(a, *at(text, "-> discovery", 4))
    assert (
        step is not None and step.module.entry and step.span.line == at(text, "step discovery")[0]
    )
    base = definition(a, *at(text, "extends professionnel", 9))
    assert base is not None and base.module.name == "personalities"
    theme = definition(a, *at(text, "theme       or", 13))
    assert theme is not None and theme.module.name == "objections.or"
    used = definition(a, *at(text, "use intents.common", 5))
    assert used is not None and used.module.name == "intents.common" and used.span.line == 1


def test_hover_explains_a_diagnostic_code() -> None:
    text = HEAD + "step a {\n    on yes -> nowhere\n}\n"
    a = analyse(text, "<buffer>")
    assert "E009" in {d.code for d in a.result.diagnostics}  # UnknownStep
    shown = hover_text(a, *at(text, "nowhere", 1)) or ""
    assert "**E009** UnknownStep" in shown and "does not exist" in shown
    assert "E009" not in (hover_text(a, *at(text, "step a")) or "")
    assert "**E001** SyntaxError" in (hover_text(analyse("# see E001\n", "<b>"), 1, 8) or "")


def test_pack_of_a_used_stdlib_module() -> None:
    text = HEAD + "use objections.finance\nstep a { end HUNG_UP }\n"
    a = analyse(text, "<buffer>")
    target = definition(a, *at(text, "objections.finance", 3))
    assert target is not None and target.module.name == "objections.finance"
    assert target.span.line > 1  # on the pack's name, not the top of the file
    assert "objections" in (hover_text(a, *at(text, "objections.finance", 3)) or "")


# ------------------------------------------------------------------------ diagnostics


def test_diagnostics_of_an_imported_file_show_on_the_import(tmp_path: Path) -> None:
    (tmp_path / "shared.mbs").write_text(
        'intent oui {\n    "oui" "déjà \\q"\n}\n', encoding="utf-8"
    )
    main = tmp_path / "main.mbs"
    text = HEAD + 'import "shared.mbs"\nstep a { end HUNG_UP }\n'
    a = analyse(text, str(main), main)
    diags = lsp_diagnostics(a)
    assert diags, [d.message for d in a.result.diagnostics]
    d = diags[0]
    line, _ = at(text, "import")
    assert d.range.start.line == line - 1
    assert "shared.mbs:2:" in d.message
    assert d.related_information is not None
    assert d.related_information[0].location.uri == (tmp_path / "shared.mbs").as_uri()
    assert d.related_information[0].location.range.start.line == 1


def test_symbols_of_a_scenario() -> None:
    text = OR_RDV.read_text(encoding="utf-8")
    found = {s.name: s for s in symbols(analyse(text, str(OR_RDV), OR_RDV))}
    assert found["or_rdv"].kind == types.SymbolKind.Module
    assert found["intro"].kind == types.SymbolKind.Function
    line, col = at(text, "step intro", 5)
    assert found["intro"].selection_range.start == types.Position(line - 1, col - 1)


# ------------------------------------------------------------------------- robustness


def test_repair_keeps_the_declarations_that_parse() -> None:
    text = HEAD + "step a {\n    on yes pitch\n}\nstep b { end HUNG_UP }\n"
    fixed = repair(text, "<b>")
    assert fixed.count("\n") == text.count("\n")
    assert "step b" in fixed and "step a" not in fixed and "scenario s" in fixed


def test_every_prefix_of_a_scenario_is_served() -> None:
    text = OR_RDV.read_text(encoding="utf-8")
    for cut in range(0, len(text), 211):
        part = text[:cut]
        a = analyse(part, str(OR_RDV), OR_RDV)
        lines = part.split("\n")
        last = lines[-1]
        complete(a, last, len(last), part)
        hover_text(a, len(lines), len(last) + 1)
        definition(a, len(lines), max(1, len(last)))
        symbols(a)
        lsp_diagnostics(a)


@pytest.mark.parametrize("banned", ["mbs.runtime", "mbs.freeswitch", "mbs.cli"])
def test_the_server_imports_no_runtime(banned: str) -> None:
    for path in (ROOT / "mbs/lsp").glob("*.py"):
        tree = pyast.parse(path.read_text(encoding="utf-8"))
        for node in pyast.walk(tree):
            names = []
            if isinstance(node, pyast.Import):
                names = [n.name for n in node.names]
            elif isinstance(node, pyast.ImportFrom) and node.module:
                names = [node.module]
            assert not [n for n in names if n == banned or n.startswith(banned + ".")], path


def test_where_a_loaded_module_is_pulled_in() -> None:
    text = (
        'scenario s "T" {\n    record no; disclosure no "test"\n    theme or\n    personality doux\n}\n'
        "use intents.common\nstep a { end HUNG_UP }\n"
    )
    found = {f: (s.line, s.col) for f, s in loaded_by(analyse(text, "<buffer>")).items()}
    assert found["<stdlib>/intents/common.mbs"] == (6, 1)  # the `use`
    assert found["<stdlib>/objections/or.mbs"] == (3, 5)  # implicit: the `theme` line
    assert found["<stdlib>/personalities.mbs"] == (4, 5)


def test_templates_name_fields_and_variables() -> None:
    text = OR_RDV.read_text(encoding="utf-8")
    a = analyse(text, str(OR_RDV), OR_RDV)
    when = at(text, "{{ when }}", 4)
    assert "**variable** `when`: set at line" in (hover_text(a, *when) or "")
    target = definition(a, *when)
    assert target is not None and (target.span.line, target.span.col) == at(text, "set when", 4)
    slot = at(text, "if slot %}", 3)
    assert "captured at line" in (hover_text(a, *slot) or "")
    field = at(text, "{{ contact.first_name }}{% endif %} :", 12)
    assert "**contact field** `first_name`" in (hover_text(a, *field) or "")
    # words inside template string literals are not variables
    names = {r.name for r in a.references if r.kind == "variable"}
    assert {"when", "slot", "gold_owned"} <= names and "semaine" not in names
