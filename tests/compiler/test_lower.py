"""Lowering: the Program a scenario compiles to, instruction by instruction."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from mbs.compiler import compile_file, compile_source
from mbs.program import (
    AnswerObjection,
    Capture,
    Count,
    Dispatch,
    End,
    Enter,
    Freestyle,
    Jump,
    Listen,
    Program,
    Result,
    Say,
    Transfer,
)

DATA = Path(__file__).parent / "data"
HEAD = 'scenario s "Test" {\n    record no; disclosure no "test"\n}\nintent oui { "oui" }\nintent non { "non" }\n'


def program_of(source: str) -> Program:
    result = compile_source(source, "test.mbs")
    assert result.ok, [f"{d.code} {d.message}" for d in result.diagnostics]
    assert result.program is not None
    return result.program


def step_code(program: Program, step: str) -> list:
    start = program.steps[step]
    later = sorted(a for a in program.steps.values() if a > start)
    stop = later[0] if later else len(program.code)
    return list(program.code[start:stop])


def test_language_example_compiles_and_round_trips() -> None:
    result = compile_file(DATA / "or_rdv.mbs")
    assert result.ok, [f"{d.code} {d.message}" for d in result.errors]
    program = result.program
    assert program is not None
    assert program.scenario.name == "or_rdv"
    assert program.scenario.max_turns == 20
    assert program.scenario.agent is not None and program.scenario.agent.company == "Aurum Conseil"
    assert program.code[program.entry] == Enter(step="intro")
    assert set(program.steps) >= {
        "intro",
        "qa",
        "propose",
        "booked",
        "callback",
        "goodbye",
        "opt_out",
    }
    assert Program.from_json(program.to_json()) == program
    assert Program.from_json(program.to_json(indent=None)) == program
    machine = program.handlers.machine
    assert machine is not None and program.code[machine] == End(result=Result.ANSWERING_MACHINE)
    assert program.always is not None
    assert program.always.intents["stop_calling"] == program.steps["opt_out"]
    assert any(i.name == "slot_ok" and "rendez-vous" in i.keywords for i in program.intents)
    assert any(p.name == "maison" for p in program.objection_packs)


def test_every_instruction_has_debug_info_and_constants_are_unique() -> None:
    program = compile_file(DATA / "or_rdv.mbs").program
    assert program is not None
    assert set(program.debug) == set(range(len(program.code)))
    assert len(set(program.consts)) == len(program.consts)
    for address, loc in program.debug.items():
        assert loc.file.endswith("or_rdv.mbs"), (address, loc)
        assert loc.line >= 1 and loc.column >= 1


def test_source_hash_covers_imported_files(tmp_path: Path) -> None:
    (tmp_path / "shared.mbs").write_text('intent oui { "oui" }\n', encoding="utf-8")
    entry = tmp_path / "main.mbs"
    entry.write_text(
        'scenario s "T" {\n    record no; disclosure no "test"\n}\nimport "shared.mbs"\n'
        'step a {\n    ask "Oui ?"\n    on oui -> b\n    otherwise -> b\n}\n'
        "step b { end QUALIFIED }\n",
        encoding="utf-8",
    )
    first = compile_file(entry).program
    assert first is not None
    (tmp_path / "shared.mbs").write_text('intent oui { "oui" "ouais" }\n', encoding="utf-8")
    second = compile_file(entry).program
    assert second is not None
    assert first.source_hash != second.source_hash
    assert len(first.source_hash) == len(hashlib.sha256().hexdigest())
    again = compile_file(entry).program
    assert again is not None and again.to_json() == second.to_json()


def test_ask_is_say_then_listen_and_dispatch_follows() -> None:
    p = program_of(
        HEAD + 'step a {\n    ask "Oui ?" timeout 8s\n    on oui -> b\n    otherwise -> b\n}\n'
        "step b { end QUALIFIED }\n"
    )
    code = step_code(p, "a")
    assert code[0] == Enter(step="a")
    assert isinstance(code[1], Say) and p.consts[code[1].text] == "Oui ?"
    assert code[2] == Listen(timeout_ms=8000)
    assert code[3] == Dispatch(intents={"oui": p.steps["b"]}, otherwise=p.steps["b"])


def test_step_with_intent_transitions_listens_after_its_actions() -> None:
    p = program_of(
        HEAD + 'step a {\n    say "Bonjour"\n    on oui -> b\n    on silence -> b\n}\n'
        "step b { end QUALIFIED }\n"
    )
    code = step_code(p, "a")
    assert [type(i) for i in code] == [Enter, Say, Listen, Dispatch]
    assert code[2] == Listen(timeout_ms=6000)


def test_retry_without_line_says_the_question_again() -> None:
    p = program_of(
        HEAD + 'step a {\n    ask "Vous êtes là ?"\n    on oui -> b\n'
        "    on silence -> retry 2 then b\n}\nstep b { end QUALIFIED }\n"
    )
    code = step_code(p, "a")
    dispatch = code[3]
    assert isinstance(dispatch, Dispatch) and dispatch.silence is not None
    count = p.code[dispatch.silence]
    assert isinstance(count, Count)
    assert (count.counter, count.limit, count.exhausted) == ("a/silence", 2, p.steps["b"])
    say = p.code[count.below]
    assert isinstance(say, Say) and p.consts[say.text] == "Vous êtes là ?"
    assert isinstance(p.code[count.below + 1], Listen)
    back = p.code[count.below + 2]
    assert back == Jump(target=p.steps["a"] + 3)  # to the dispatch (no captures)


def test_always_is_merged_and_the_step_wins() -> None:
    p = program_of(
        HEAD
        + "always {\n    on non -> bye\n    on silence -> bye\n    on hangup -> end HUNG_UP\n}\n"
        'step a {\n    ask "Oui ?"\n    on oui -> b\n    on silence -> b\n}\n'
        "step b { end QUALIFIED }\nstep bye { end NOT_INTERESTED }\n"
    )
    dispatch = step_code(p, "a")[3]
    assert isinstance(dispatch, Dispatch)
    assert dispatch.intents == {"non": p.steps["bye"], "oui": p.steps["b"]}
    assert dispatch.silence == p.steps["b"]
    assert p.handlers.hangup is not None and p.code[p.handlers.hangup] == End(result=Result.HUNG_UP)
    assert p.always is not None and p.always.silence == p.steps["bye"]


def test_freestyle_max_counts_answers_and_loops_on_unclear() -> None:
    p = program_of(
        HEAD + 'step a {\n    freestyle max 3 {\n        context "Questions sur l\'or"\n'
        '        goal "Un rendez-vous"\n    }\n    on oui -> b\n    otherwise -> c\n}\n'
        "step b { end QUALIFIED }\nstep c { end NOT_INTERESTED }\n"
    )
    code = step_code(p, "a")
    count, freestyle, listen, dispatch = code[1:5]
    assert isinstance(count, Count) and count.limit == 3 and count.counter == "a/(freestyle)"
    assert isinstance(freestyle, Freestyle) and freestyle.context is not None
    assert p.consts[freestyle.context] == "Questions sur l'or"
    assert isinstance(listen, Listen)
    assert isinstance(dispatch, Dispatch)
    assert dispatch.unclear == p.steps["a"] + 1  # answer again, through the counter
    assert count.exhausted == p.steps["c"]  # answered 3 times: take `otherwise`


def test_capture_comes_after_the_listen_and_answer_objection() -> None:
    p = program_of(
        'scenario s "T" {\n    record no; disclosure no "test"\n}\nintent jour { "mardi" }\n'
        'objections maison {\n    "trop cher" => "C\'est gratuit."\n}\n'
        'step a {\n    capture day from ["mardi", "jeudi"]\n    ask "Quel jour ?"\n'
        "    on jour -> b\n    on objection -> answer objection then a\n    otherwise -> b\n}\n"
        'step b {\n    say "À {{ day }}"\n    transfer "+33100000000"\n}\n'
    )
    code = step_code(p, "a")
    assert [type(i) for i in code[:5]] == [Enter, Say, Listen, Capture, Dispatch]
    assert code[3] == Capture(var="day", choices=("mardi", "jeudi"))
    dispatch = code[4]
    assert isinstance(dispatch, Dispatch) and dispatch.objection is not None
    assert p.code[dispatch.objection] == AnswerObjection(then=p.steps["a"])
    assert isinstance(step_code(p, "b")[-1], Transfer)


def test_step_without_listening_jumps_on() -> None:
    p = program_of(
        HEAD + 'step a {\n    say "Un"\n    otherwise -> b\n}\nstep b { end QUALIFIED }\n'
    )
    assert step_code(p, "a")[-1] == Jump(target=p.steps["b"])


def test_header_settings_reach_the_program() -> None:
    p = program_of(
        'scenario s "Titre" {\n    record no; disclosure no "test"\n    barge_in no\n    timeout 1.5s\n'
        "    threshold intent 0.6\n    threshold objection 0.7\n    max_turns 9\n"
        '    voice "fr"\n    start b\n}\n'
        'step a { say "x" uninterruptible\n end QUALIFIED }\nstep b { otherwise -> a }\n'
    )
    s = p.scenario
    assert (s.title, s.record, s.barge_in, s.listen_timeout_ms, s.max_turns) == (
        "Titre",
        False,
        False,
        1500,
        9,
    )
    assert (s.thresholds.intent, s.thresholds.objection, s.voice) == (0.6, 0.7, "fr")
    assert p.entry == p.steps["b"]
    say = step_code(p, "a")[1]
    assert isinstance(say, Say) and say.barge_in is False


def test_always_retry_is_instantiated_in_every_listening_step() -> None:
    p = program_of(
        HEAD + 'always {\n    on silence -> retry 1 "Allô ?" then bye\n}\n'
        'step a {\n    ask "Un ?"\n    on oui -> b\n    on non -> bye\n}\n'
        'step b {\n    ask "Deux ?"\n    on oui -> bye\n    otherwise -> bye\n}\n'
        "step bye { end NOT_INTERESTED }\n"
    )
    for step in ("a", "b"):
        dispatch = step_code(p, step)[3]
        assert isinstance(dispatch, Dispatch) and dispatch.silence is not None
        count = p.code[dispatch.silence]
        assert isinstance(count, Count) and count.counter == f"{step}/silence"
        assert p.steps[step] < dispatch.silence < p.steps[step] + len(step_code(p, step))
    assert p.always is not None and p.always.silence == p.steps["bye"]


def test_personalities_inherit_objective_and_amd_are_carried() -> None:
    p = program_of(
        'scenario s "T" {\n    record no; disclosure no "test"\n    personality julie\n    objective vente\n}\n'
        'personality base { tone "posé" style "vouvoiement" }\n'
        'personality julie extends base { tone "chaleureux" }\n'
        'objective vente {\n    guidance "Vendre."\n    reach QUALIFIED\n}\n'
        'amd { machine "laissez un message" human "allô" }\n'
        "step a { end QUALIFIED }\n"
    )
    julie = p.personality()
    assert julie is not None
    assert (julie.tone, julie.style) == ("chaleureux", "vouvoiement")
    assert p.objective is not None and p.objective.results == (Result.QUALIFIED,)
    assert "laissez un message" in p.amd.machine and "allô" in p.amd.human


def test_objective_result_never_reached_is_a_warning() -> None:
    result = compile_source(
        'scenario s "T" {\n    record no; disclosure no "test"\n    objective vente\n}\n'
        'objective vente {\n    guidance "Vendre."\n    reach QUALIFIED TRANSFERRED\n}\n'
        'step a { transfer "+331" }\n',
        "t.mbs",
    )
    assert result.ok
    assert [(d.code, d.message) for d in result.warnings] == [
        ("W005", "objective `vente` expects QUALIFIED, but no path ends with it")
    ]


def test_check_source_accepts_a_module_and_never_lowers() -> None:
    from mbs.compiler import check_source

    module = check_source('intent oui { "oui" }\npersonality p extends p { tone "x" }\n', "m.mbs")
    assert module.program is None
    assert [d.code for d in module.diagnostics] == ["E022"]
    scenario = check_source(HEAD + "step a { end QUALIFIED }\n", "s.mbs")
    assert scenario.program is None and not scenario.diagnostics


def test_a_name_clashing_with_the_stdlib_is_reported_in_the_users_file() -> None:
    from mbs.dsl.loader import stdlib_path

    if stdlib_path("personalities") is None:
        return  # nothing to clash with
    result = compile_source(
        'scenario s "T" {\n    record no; disclosure no "test"\n}\npersonality professionnel { tone "x" }\n'
        "step a { end QUALIFIED }\n",
        "t.mbs",
    )
    (d,) = result.diagnostics
    assert (d.code, d.file, d.span.line) == ("E008", "t.mbs", 4)
    assert d.hint is not None and "<stdlib>/personalities.mbs" in d.hint


def test_freestyle_counters_always_resolve() -> None:
    own_unclear = program_of(
        HEAD + "step a {\n    freestyle max 2\n    freestyle max 1\n    on unclear -> b\n"
        "    on silence -> b\n}\nstep b {\n    freestyle max 2\n    end QUALIFIED\n}\n"
    )
    for step in ("a", "b"):
        for ins in step_code(own_unclear, step):
            if isinstance(ins, Count):  # exhausted: listen without answering
                assert own_unclear.code[ins.exhausted] == Listen(timeout_ms=6000)
    looping = program_of(
        HEAD + "step a {\n    freestyle max 2\n    on oui -> b\n    on silence -> b\n}\n"
        "step b { end QUALIFIED }\n"
    )
    count = step_code(looping, "a")[1]
    assert isinstance(count, Count)
    assert looping.code[count.exhausted] == Listen(timeout_ms=6000)
    assert looping.code[count.exhausted + 1] == Jump(target=looping.steps["a"] + 4)


def test_steps_in_an_imported_module_are_refused(tmp_path: Path) -> None:
    (tmp_path / "lib.mbs").write_text("step shared { end QUALIFIED }\n", encoding="utf-8")
    entry = tmp_path / "main.mbs"
    entry.write_text(
        'scenario s "T" {\n    record no; disclosure no "test"\n}\nimport "lib.mbs"\nstep a { end QUALIFIED }\n',
        encoding="utf-8",
    )
    result = compile_file(entry)
    (d,) = result.diagnostics
    assert (d.code, Path(d.file).name, d.span.line, d.span.col) == ("E007", "lib.mbs", 1, 1)
    assert "steps belong in the scenario file" in d.message


def test_retry_without_line_or_ask_says_the_last_line_again() -> None:
    p = program_of(
        HEAD + 'step a {\n    say "Bonjour."\n    say "Êtes-vous là ?"\n    on oui -> b\n'
        "    on silence -> retry 1 then b\n}\nstep b { end QUALIFIED }\n"
    )
    dispatch = step_code(p, "a")[4]
    assert isinstance(dispatch, Dispatch) and dispatch.silence is not None
    count = p.code[dispatch.silence]
    assert isinstance(count, Count)
    again = p.code[count.below]
    assert isinstance(again, Say) and p.consts[again.text] == "Êtes-vous là ?"


def test_source_hash_does_not_depend_on_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "shared.mbs").write_text('intent oui { "oui" }\n', encoding="utf-8")
    entry = tmp_path / "main.mbs"
    entry.write_text(
        'scenario s "T" {\n    record no; disclosure no "test"\n}\nimport "lib/shared.mbs"\n'
        'step a {\n    ask "Oui ?"\n    on oui -> b\n    otherwise -> b\n}\n'
        "step b { end QUALIFIED }\n",
        encoding="utf-8",
    )
    monkeypatch.chdir(tmp_path)
    here = compile_file("main.mbs").program
    monkeypatch.chdir(tmp_path / "lib")
    there = compile_file(entry).program
    assert here is not None and there is not None
    assert here.source_hash == there.source_hash


def test_spoken_words_count_a_value_once_and_tags_not_at_all() -> None:
    from mbs.compiler.check_templates import spoken_words

    assert spoken_words("Bonjour {{ contact.first_name }}, {% if x %}oui{% endif %} ici !") == 4
