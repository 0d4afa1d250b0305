"""The parser: text to AST nodes with spans, problems instead of exceptions."""

from __future__ import annotations

import pytest

from mbs.dsl import ast
from mbs.dsl.parse import parse


def decls(text: str) -> tuple[ast.Decl, ...]:
    result = parse(text, "t.mbs")
    assert result.module is not None, result.problems
    assert not result.problems, result.problems
    return result.module.decls


def test_header_keys_and_values() -> None:
    (scenario,) = decls(
        'scenario s "Titre" {\n language fr-FR; objective appointment\n theme or\n'
        ' personality pro\n agent "Julie" from "Aurum"\n voice "fr"\n max_turns 20\n'
        " record yes\n barge_in no\n timeout 500ms\n threshold intent 0.6\n"
        " fields industry budget\n start intro\n}"
    )
    assert isinstance(scenario, ast.ScenarioDecl)
    assert scenario.title is not None and scenario.title.value == "Titre"
    items = {i.key: i.values for i in scenario.items}
    assert isinstance(items["language"][0], ast.Str) and items["language"][0].value == "fr-FR"
    assert [v.name for v in items["fields"] if isinstance(v, ast.Ident)] == ["industry", "budget"]
    timeout = items["timeout"][0]
    assert isinstance(timeout, ast.Duration) and timeout.ms == 500
    agent = items["agent"]
    assert [v.value for v in agent if isinstance(v, ast.Str)] == ["Julie", "Aurum"]


@pytest.mark.parametrize(
    ("text", "ms"), [("6s", 6000), ("500ms", 500), ("1.5s", 1500), ("2min", 120000)]
)
def test_durations(text: str, ms: int) -> None:
    (step,) = decls(f"step a {{ listen timeout {text} }}")
    assert isinstance(step, ast.StepDecl)
    listen = step.actions[0]
    assert isinstance(listen, ast.Listen) and listen.timeout is not None
    assert listen.timeout.ms == ms


def test_string_escapes() -> None:
    (step,) = decls('step a { say "a\\"b\\\\c\\nd\\te\\u00e9" }')
    assert isinstance(step, ast.StepDecl)
    say = step.actions[0]
    assert isinstance(say, ast.Say)
    assert say.text.value == 'a"b\\c\nd\te\u00e9'


def test_invalid_escape_is_a_problem_with_a_span() -> None:
    result = parse('step a { say "x\\qy" }', "t.mbs")
    (problem,) = result.problems
    assert problem.name == "InvalidEscape"
    assert (problem.span.line, problem.span.col, problem.span.end_col) == (1, 16, 18)


def test_intent_examples_and_keywords_bare_or_quoted() -> None:
    (intent,) = decls(
        'intent slot { "mardi me va" "jeudi"\n keywords mardi rendez-vous "le jeudi" }'
    )
    assert isinstance(intent, ast.IntentDecl)
    assert [e.value for e in intent.examples] == ["mardi me va", "jeudi"]
    assert [k.value for k in intent.keywords] == ["mardi", "rendez-vous", "le jeudi"]


def test_objections_variants_response_audio() -> None:
    (pack,) = decls(
        'objections p {\n "pas le temps" | "pressé" | "pas maintenant" => "Deux minutes."\n'
        ' "un mail" => audio "mail.wav"\n}'
    )
    assert isinstance(pack, ast.ObjectionsDecl)
    first, second = pack.entries
    assert [v.value for v in first.variants] == ["pressé", "pas maintenant"]
    assert first.response is not None and first.response.value == "Deux minutes."
    assert second.audio is not None and second.audio.value == "mail.wav" and second.response is None


def test_personality_objective_amd() -> None:
    pers, obj, amd = decls(
        'personality julie extends pro { tone "t" style "s" example "e" }\n'
        'objective rdv { guidance "g" reach APPOINTMENT_SCHEDULED QUALIFIED }\n'
        'amd { machine "messagerie" "bip" human "allô" }'
    )
    assert isinstance(pers, ast.PersonalityDecl) and pers.extends is not None
    assert [(t.key, t.value.value) for t in pers.traits] == [
        ("tone", "t"),
        ("style", "s"),
        ("example", "e"),
    ]
    assert isinstance(obj, ast.ObjectiveDecl) and [r.name for r in obj.reach] == [
        "APPOINTMENT_SCHEDULED",
        "QUALIFIED",
    ]
    assert isinstance(amd, ast.AmdDecl) and len(amd.machine) == 2 and len(amd.human) == 1


def test_all_actions_and_targets() -> None:
    (step,) = decls(
        "step a {\n"
        ' say "x" uninterruptible ; play "f.wav"\n ask "q" timeout 8s uninterruptible\n'
        ' listen\n freestyle max 2 { context "c" goal "g" fallback "f" }\n'
        ' capture day from ["mardi", "jeudi"]\n set v = "{{ day }}"\n transfer "+331"\n'
        ' opt_out\n end QUALIFIED\n on yes -> b\n on dtmf "1" -> end QUALIFIED\n'
        ' on silence -> retry 2 "Allô ?" then b\n on unclear -> retry 1 then b\n'
        " on objection -> answer objection then b\n otherwise -> b\n}"
    )
    assert isinstance(step, ast.StepDecl)
    kinds = [type(a).__name__ for a in step.actions]
    assert kinds == [
        "Say",
        "Play",
        "Ask",
        "Listen",
        "Freestyle",
        "Capture",
        "SetVar",
        "TransferTo",
        "OptOut",
        "EndCall",
    ]
    ask = step.actions[2]
    assert isinstance(ask, ast.Ask) and ask.uninterruptible and ask.timeout is not None
    fs = step.actions[4]
    assert isinstance(fs, ast.Freestyle) and fs.fallback is not None and fs.max is not None
    targets = [type(t.target).__name__ for t in step.transitions]
    assert targets == ["Goto", "EndTarget", "Retry", "Retry", "Answer", "Goto"]
    assert step.transitions[1].case.kind == "dtmf"
    assert step.transitions[-1].case.kind == "otherwise"
    retry = step.transitions[2].target
    assert isinstance(retry, ast.Retry) and retry.line is not None and retry.count.value == 2


def test_keywords_are_names_where_no_keyword_is_expected() -> None:
    always, step = decls(
        "always { on stop_calling -> opt_out }\nstep opt_out { opt_out ; end NOT_INTERESTED }"
    )
    assert isinstance(step, ast.StepDecl) and step.name.name == "opt_out"
    assert isinstance(always, ast.AlwaysDecl)


def test_comments_and_spans() -> None:
    (step,) = decls('# a comment\nstep  intro { # another\n  say "# not a comment" }\n')
    assert isinstance(step, ast.StepDecl)
    assert (step.name.span.line, step.name.span.col, step.name.span.end_col) == (2, 7, 12)
    say = step.actions[0]
    assert isinstance(say, ast.Say) and say.text.value == "# not a comment"


@pytest.mark.parametrize(
    "text",
    ["", "   \n# only a comment\n", "\ufeffstep a { end QUALIFIED }"],
)
def test_empty_and_bom(text: str) -> None:
    result = parse(text, "t.mbs")
    assert result.module is not None and not result.problems


@pytest.mark.parametrize(
    ("text", "name", "line", "col"),
    [
        ('step a { say "unterminated }', "UnterminatedString", 1, 14),
        ("step a { say }", "SyntaxError", 1, 14),
        ("step a {", "SyntaxError", 1, 9),
        ("{" * 5000, "SyntaxError", 1, 1),
        ("step a { listen timeout 6 }", "SyntaxError", 1, 25),
        ("\x01\x02\x03", "SyntaxError", 1, 1),
    ],
)
def test_syntax_problems(text: str, name: str, line: int, col: int) -> None:
    result = parse(text, "t.mbs")
    assert result.module is None
    (problem,) = result.problems
    assert (problem.name, problem.span.line, problem.span.col) == (name, line, col)


def test_parsing_resumes_at_the_next_declaration_after_an_error() -> None:
    result = parse(
        'step a {\n    sya "x"\n}\nstep b {\n    on yes pitch\n}\nstep c { end QUALIFIED }\n'
        'intent d { "open }\n',
        "t.mbs",
    )
    assert result.module is None
    found = [(p.name, p.span.line, p.span.col) for p in result.problems]
    assert found == [("SyntaxError", 2, 5), ("SyntaxError", 5, 12), ("UnterminatedString", 8, 12)]


def test_crlf_sources_parse_to_the_same_tree() -> None:
    text = (
        'scenario s "T" {\n    record no # comment\n}\nstep a {\n    say "x" ; end QUALIFIED\n}\n'
    )
    lf = parse(text, "t.mbs")
    crlf = parse(text.replace("\n", "\r\n"), "t.mbs")
    assert lf.module is not None and lf.module == crlf.module


@pytest.mark.parametrize(
    ("text", "hint"),
    [
        ("step a {\n    say Bonjour\n}", "double quotes"),
        ('step a {\n    say "x"\nstep b { end QUALIFIED }', "`}` missing above"),
        ("step a {\n    on yes b\n}", "on CASE -> TARGET"),
        ('objections p {\n    "a" "b"\n}', '"objection" | "other phrasing" => "response"'),
        ('step a {\n    say "x"\n', "not closed"),
        ('step a {\n    sya "x"\n}', "say"),
    ],
)
def test_syntax_errors_carry_a_helpful_hint(text: str, hint: str) -> None:
    problem = parse(text, "t.mbs").problems[0]
    assert hint in (problem.args.get("suggestion") or problem.args["help"])
