"""Instruction-by-instruction semantics of the VM, on hand-assembled programs."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

import pytest
from runtime_asm import KeywordNlu, assemble

from mbs.program import Program, Result
from mbs.runtime.builtins.base import (
    BuiltinError,
    FreestyleAnswer,
    FreestyleRequest,
    IntentResult,
    ObjectionResult,
)
from mbs.runtime.events import MemorySink
from mbs.runtime.ops import ClassifyOp, ListenOp, SpeakOp
from mbs.runtime.replay import replay_call
from mbs.runtime.state import CallState, ExecutionState
from mbs.runtime.telephony import Heard, HeardKind, PlayOutcome
from mbs.runtime.textcall import TextCall
from mbs.runtime.vm import LoadedProgram, Machine, Vm

ASK = [
    ("enter", "intro"),
    ("say", "Bonjour {{ contact.first_name }}, {{ agent.name }} de {{ agent.company }}."),
    ("listen", 5000),
    (
        "dispatch",
        {
            "intents": {"yes": "pitch", "no": "bye"},
            "silence": "quiet",
            "unclear": "huh",
            "otherwise": "bye",
        },
    ),
    ("enter", "pitch"),
    ("say", "Super."),
    ("end", "QUALIFIED"),
    ("enter", "quiet"),
    ("end", "CALLBACK_REQUESTED"),
    ("enter", "huh"),
    ("end", "NOT_QUALIFIED"),
    ("enter", "bye"),
    ("say", "Au revoir."),
    ("end", "NOT_INTERESTED"),
]


async def run(
    program: Program,
    turns: Sequence[str],
    *,
    nlu: Any = None,
    llm: Any = None,
    contact: dict[str, str] | None = None,
    call: TextCall | None = None,
) -> tuple[CallState, list[dict[str, Any]], TextCall]:
    sink = MemorySink()
    call = call or TextCall(turns)
    vm = Vm(program, nlu=nlu if nlu is not None else KeywordNlu(), llm=llm)
    state = await vm.run_call(call, contact=contact or {"first_name": "Marie"}, sink=sink)
    return state, sink.events, call


def path(events: list[dict[str, Any]]) -> list[str]:
    return [e["step"] for e in events if e["event"] == "step_entered"]


def of(events: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [e for e in events if e["event"] == kind]


# ----------------------------------------------------------------- say, listen, dispatch


async def test_say_renders_contact_and_agent_then_routes_an_intent() -> None:
    state, events, call = await run(assemble(ASK), ["oui bien sûr"])
    assert call.said == ["Bonjour Marie, Julie de Aurum.", "Super."]
    assert path(events) == ["intro", "pitch"]
    assert state.result is Result.QUALIFIED
    assert state.execution is ExecutionState.FINISHED
    assert call.hung_up  # the robot hangs up at `end`
    (intent,) = of(events, "intent")
    assert intent["intent"] == "yes" and intent["score"] == 0.9
    assert events[0]["event"] == "call_started" and events[-1]["event"] == "result"


@pytest.mark.parametrize(
    ("turn", "result"),
    [
        ("/silence", Result.CALLBACK_REQUESTED),  # silence -> silence
        ("non", Result.NOT_INTERESTED),  # intent
        ("pourquoi donc", Result.NOT_QUALIFIED),  # recognised but not handled -> unclear
        ("blabla", Result.NOT_QUALIFIED),  # nothing recognised -> unclear
    ],
)
async def test_dispatch_cases(turn: str, result: Result) -> None:
    state, _, _ = await run(assemble(ASK), [turn])
    assert state.result is result


async def test_silence_without_silence_target_goes_to_otherwise() -> None:
    src = [
        ("enter", "a"),
        ("listen",),
        ("dispatch", {"intents": {"yes": "b"}, "otherwise": "c"}),
        ("enter", "b"),
        ("end", "QUALIFIED"),
        ("enter", "c"),
        ("end", "NOT_QUALIFIED"),
    ]
    state, events, _ = await run(assemble(src), ["/silence"])
    assert state.result is Result.NOT_QUALIFIED
    assert of(events, "routed")[0]["case"] == "otherwise"
    # an unrecognised utterance with no `unclear` also goes to otherwise
    state, _, _ = await run(assemble(src), ["hmm"])
    assert state.result is Result.NOT_QUALIFIED


async def test_dtmf_routes_by_digit_and_an_unmapped_digit_is_an_utterance() -> None:
    src = [
        ("enter", "a"),
        ("listen",),
        ("dispatch", {"dtmf": {"1": "b"}, "unclear": "c"}),
        ("enter", "b"),
        ("end", "QUALIFIED"),
        ("enter", "c"),
        ("end", "NOT_QUALIFIED"),
    ]
    state, events, _ = await run(assemble(src), ["/dtmf 1"])
    assert state.result is Result.QUALIFIED
    assert of(events, "routed")[0]["case"] == "dtmf:1"
    state, events, _ = await run(assemble(src), ["/dtmf 7"])
    assert state.result is Result.NOT_QUALIFIED
    assert of(events, "intent")[0]["intent"] is None  # classified as the utterance "7"


async def test_dispatch_without_target_listens_again_and_counts_a_turn() -> None:
    src = [
        ("enter", "a"),
        ("listen",),
        ("dispatch", {"intents": {"yes": "b"}}),
        ("enter", "b"),
        ("end", "QUALIFIED"),
    ]
    state, events, _ = await run(assemble(src), ["bof", "/silence", "oui"])
    assert state.result is Result.QUALIFIED
    assert state.turns == 3
    assert [e["case"] for e in of(events, "routed")] == ["otherwise", "otherwise", "yes"]


# ------------------------------------------------------------------------ objections

OBJ = [
    ("enter", "a"),
    ("listen",),
    ("dispatch", {"intents": {"yes": "b"}, "objection": "a.answer", "otherwise": "c"}),
    ("label", "a.answer"),
    ("answer_objection", "b"),
    ("enter", "b"),
    ("end", "QUALIFIED"),
    ("enter", "c"),
    ("end", "NOT_QUALIFIED"),
]


def objection_nlu(score: float) -> KeywordNlu:
    return KeywordNlu(
        objections={
            "Je n'ai pas le temps": (["temps"], "Deux minutes, {{ contact.first_name }}.", score)
        }
    )


async def test_objection_is_answered_with_its_rendered_response_then_goes_on() -> None:
    state, events, call = await run(assemble(OBJ), ["pas le temps"], nlu=objection_nlu(0.8))
    assert call.said == ["Deux minutes, Marie."]
    assert of(events, "said")[0]["kind"] == "objection"
    assert of(events, "objection")[0]["objection"] == "Je n'ai pas le temps"
    assert path(events) == ["a", "b"]
    assert state.objection is not None and state.objection.score == 0.8


@pytest.mark.parametrize(
    ("intent_score", "score", "case"),
    [(0.8, 0.95, "objection"), (0.9, 1.0, "yes"), (0.9, 0.95, "yes"), (0.9, 0.5, "yes")],
)
async def test_an_expected_intent_wins_unless_the_objection_leads_by_the_context_margin(
    intent_score: float, score: float, case: str
) -> None:
    nlu = objection_nlu(score)
    nlu.intent_score = intent_score
    _, events, _ = await run(assemble(OBJ), ["oui mais le temps"], nlu=nlu)
    assert of(events, "routed")[0]["case"] == case


CAPTURE_OBJ = [
    ("enter", "a"),
    ("listen",),
    ("capture", "moment", ("matin", "après-midi")),
    ("dispatch", {"intents": {"yes": "b"}, "objection": "a.answer", "otherwise": "c"}),
    ("label", "a.answer"),
    ("answer_objection", "b"),
    ("enter", "b"),
    ("end", "QUALIFIED"),
    ("enter", "c"),
    ("end", "NOT_QUALIFIED"),
]


async def test_a_captured_value_answers_the_step_over_an_unsure_objection() -> None:
    nlu = KeywordNlu(objections={"Je n'ai pas le temps": (["temps"], "Deux minutes.", 0.8)})
    state, events, _ = await run(assemble(CAPTURE_OBJ), ["le matin si j'ai le temps"], nlu=nlu)
    assert of(events, "routed")[0]["case"] == "otherwise"
    assert state.variables["moment"] == "matin"
    sure = KeywordNlu(objections={"Je n'ai pas le temps": (["temps"], "Deux minutes.", 0.95)})
    _, events, _ = await run(assemble(CAPTURE_OBJ), ["le matin si j'ai le temps"], nlu=sure)
    assert of(events, "routed")[0]["case"] == "objection"


async def test_objection_audio_is_played() -> None:
    class AudioNlu(KeywordNlu):
        async def match_objection(self, utterance: str) -> ObjectionResult:
            return ObjectionResult(objection="mail", audio="audio/mail.wav", score=0.9)

    _, events, call = await run(assemble(OBJ), ["envoyez un mail"], nlu=AudioNlu())
    assert call.played == ["audio/mail.wav"] and call.said == []
    assert of(events, "played")[0]["path"] == "audio/mail.wav"


# --------------------------------------------------------------- count, capture, set

RETRY = [
    ("enter", "a"),
    ("say", "Avez-vous deux minutes ?"),
    ("label", "a.listen"),
    ("listen",),
    ("dispatch", {"intents": {"yes": "b", "no": "a"}, "silence": "a.retry"}),
    ("label", "a.retry"),
    ("count", "a/silence", 2, "a.again", "c"),
    ("label", "a.again"),
    ("say", "Vous m'entendez ?"),
    ("jump", "a.listen"),
    ("enter", "b"),
    ("end", "QUALIFIED"),
    ("enter", "c"),
    ("end", "NOT_QUALIFIED"),
]


async def test_retry_counter_allows_limit_retries_then_exhausts() -> None:
    state, events, call = await run(assemble(RETRY), ["/silence", "/silence", "/silence"])
    assert call.said.count("Vous m'entendez ?") == 2
    assert state.result is Result.NOT_QUALIFIED
    assert path(events) == ["a", "c"]


async def test_retry_counter_is_per_visit_reset_when_the_step_is_entered_again() -> None:
    turns = ["/silence", "/silence", "non", "/silence", "/silence", "oui"]
    state, events, call = await run(assemble(RETRY), turns)
    assert state.result is Result.QUALIFIED
    assert call.said.count("Vous m'entendez ?") == 4
    assert path(events) == ["a", "a", "b"]


async def test_capture_first_choice_found_or_whole_utterance_and_set_renders() -> None:
    src = [
        ("enter", "a"),
        ("listen",),
        ("capture", "day", ("mardi", "jeudi")),
        ("set", "summary", "RDV {{ day }} pour {{ contact.first_name }}"),
        ("say", "{{ summary }}."),
        ("listen",),
        ("capture", "note"),
        ("say", "Noté : {{ note }}"),
        ("end", "APPOINTMENT_SCHEDULED"),
    ]
    state, events, call = await run(assemble(src), ["Jeudi ou Mardi, plutôt JEUDI", "merci"])
    assert state.variables == {"day": "jeudi", "summary": "RDV jeudi pour Marie", "note": "merci"}
    assert call.said == ["RDV jeudi pour Marie.", "Noté : merci"]
    assert [(e["var"], e["value"]) for e in of(events, "captured")] == [
        ("day", "jeudi"),
        ("note", "merci"),
    ]
    state, _, _ = await run(assemble(src), ["je ne sais pas", "/silence"])
    assert state.variables["day"] == "je ne sais pas"
    assert state.variables["note"] == ""


# ------------------------------------------------------------------------ freestyle

FREE = [
    ("enter", "qa"),
    ("listen",),
    ("freestyle", "Question sur {{ contact.first_name }}", "Obtenir un RDV", "Bonne question !"),
    ("end", "QUALIFIED"),
]


async def test_freestyle_without_llm_says_the_fallback_line() -> None:
    _, events, call = await run(assemble(FREE), ["c'est quoi l'or ?"])
    assert call.said == ["Bonne question !"]
    (free,) = of(events, "freestyle")
    assert free["fallback"] is True and free["answer"] == "Bonne question !"
    assert of(events, "said")[0]["kind"] == "freestyle"


async def test_freestyle_sends_utterance_context_goal_history_and_variables() -> None:
    seen: list[FreestyleRequest] = []

    class Llm:
        async def freestyle(self, request: FreestyleRequest, fallback: str) -> FreestyleAnswer:
            seen.append(request)
            return FreestyleAnswer(text="L'or protège.", fallback=False, prompt="PROMPT")

    src = [
        ("enter", "qa"),
        *[("say", f"ligne {i}") for i in range(4)],
        *FREE[1:],
    ]
    _, events, call = await run(assemble(src), ["c'est quoi l'or ?"], llm=Llm())
    (req,) = seen
    assert req.utterance == "c'est quoi l'or ?"
    assert (req.context, req.goal) == ("Question sur Marie", "Obtenir un RDV")
    assert len(req.history) == 5 and req.history[-1].speaker == "prospect"
    assert req.history[0].text == "ligne 0"
    assert req.variables["contact"] == {"first_name": "Marie"}
    assert call.said[-1] == "L'or protège."
    assert of(events, "freestyle")[0]["prompt"] == "PROMPT"


# ------------------------------------------------------------ transfer, opt_out, end


async def test_transfer_ends_with_transferred_without_hanging_up() -> None:
    src = [("enter", "t"), ("transfer", "sip:{{ contact.agent_line }}"), ("end", "QUALIFIED")]
    state, events, call = await run(assemble(src), [], contact={"agent_line": "1001"})
    assert state.result is Result.TRANSFERRED
    assert call.transfers == ["sip:1001"] and not call.hung_up
    assert of(events, "transfer")[0] == {**of(events, "transfer")[0], "ok": True}


async def test_failed_transfer_is_a_technical_error() -> None:
    src = [("enter", "t"), ("transfer", "sip:1001"), ("end", "QUALIFIED")]
    state, _, _ = await run(assemble(src), [], call=TextCall([], transfer_ok=False))
    assert state.result is Result.TECHNICAL_ERROR
    assert state.error is not None and "test.mbs:2:5" in state.error


async def test_opt_out_is_recorded_and_reported_in_the_result() -> None:
    src = [("enter", "o"), ("say", "C'est noté."), ("opt_out",), ("end", "NOT_INTERESTED")]
    state, events, _ = await run(assemble(src), [])
    assert state.opt_out
    assert events[-1]["opt_out"] is True and of(events, "opt_out")


# ------------------------------------------------------------------- call events

HANDLED = [
    *ASK,
    ("enter", "voicemail"),
    ("say", "Je rappellerai."),
    ("end", "ANSWERING_MACHINE"),
    ("enter", "goodbye"),
    ("say", "Merci, au revoir."),
    ("listen",),
    ("end", "NOT_QUALIFIED"),
]


@pytest.mark.parametrize(
    ("turns", "result"),
    [(["/machine messagerie de"], Result.ANSWERING_MACHINE), (["/hangup"], Result.HUNG_UP)],
)
async def test_call_events_default_results(turns: list[str], result: Result) -> None:
    state, events, _ = await run(assemble(ASK), turns)
    assert state.result is result
    assert of(events, "call_event")[0]["target"] is None


async def test_machine_handler_runs_its_step() -> None:
    program = assemble(HANDLED, handlers={"machine": "voicemail"})
    state, events, call = await run(program, ["/machine bonjour vous êtes bien sur"])
    assert call.said[-1] == "Je rappellerai."
    assert path(events) == ["intro", "voicemail"]
    assert state.result is Result.ANSWERING_MACHINE


async def test_hangup_during_say_runs_handler_without_speaking_or_listening_again() -> None:
    program = assemble(HANDLED, handlers={"hangup": "goodbye"})
    call = TextCall([])
    call.prospect_gone = True  # the line is already dead when the robot speaks
    state, events, _ = await run(program, [], call=call)
    assert of(events, "said")[0]["outcome"] == "hangup"
    assert path(events) == ["intro", "goodbye"]
    assert state.result is Result.HUNG_UP  # goodbye's listen finds nobody
    assert state.hung_up and not call.hung_up  # nothing to hang up


async def test_max_turns_ends_cleanly_with_default_result() -> None:
    src = [("enter", "loop"), ("say", "Encore ?"), ("listen",), ("jump", "loop")]
    state, events, call = await run(assemble(src, max_turns=3), ["a", "b", "c", "d"])
    assert state.result is Result.NOT_QUALIFIED
    assert state.turns == 3 and call.pending == 1
    assert of(events, "call_event")[0]["which"] == "max_turns"


async def test_max_turns_handler_runs_once_then_the_default() -> None:
    src = [("enter", "loop"), ("listen",), ("jump", "loop"), *HANDLED[-4:]]
    program = assemble(src, max_turns=2, handlers={"max_turns": "goodbye"})
    state, events, call = await run(program, ["a", "b", "c"])
    assert call.said == ["Merci, au revoir."]
    assert [e["target"] for e in of(events, "call_event")] == ["goodbye", None]
    assert state.result is Result.NOT_QUALIFIED


# ------------------------------------------------------------------------ barge-in


async def test_barge_in_interrupts_and_the_next_listen_hears_the_interruption() -> None:
    state, events, _ = await run(assemble(ASK), ["/barge oui allez-y"])
    assert of(events, "said")[0]["outcome"] == "interrupted"
    assert of(events, "heard")[0]["text"] == "oui allez-y"
    assert state.result is Result.QUALIFIED


async def test_uninterruptible_say_is_not_interrupted() -> None:
    src = [("enter", "a"), ("say", "Cet appel est enregistré.", False), *ASK[2:]]
    src[0] = ("enter", "intro")
    state, events, _ = await run(assemble(src), ["/barge non"])
    assert of(events, "said")[0]["outcome"] == "done"
    assert state.result is Result.NOT_INTERESTED
    # and `barge_in no` in the scenario makes every line uninterruptible
    _, events, _ = await run(assemble(ASK, barge_in=False), ["/barge non"])
    assert of(events, "said")[0]["outcome"] == "done"


# ------------------------------------------------------------------ runtime errors


async def test_missing_template_variable_is_technical_error_at_the_source_line() -> None:
    state, events, call = await run(assemble(ASK), ["oui"], contact={"last_name": "Curie"})
    assert state.result is Result.TECHNICAL_ERROR
    assert state.error is not None
    assert state.error.startswith("test.mbs:2:5 (step intro): template error:")
    assert "first_name" in state.error
    assert of(events, "error")[0]["message"] == state.error
    assert call.said == [] and call.hung_up


async def test_builtin_failure_is_technical_error_naming_the_builtin() -> None:
    class Broken(KeywordNlu):
        async def classify(self, utterance: str) -> IntentResult:
            raise BuiltinError("model not loaded")

    state, _, _ = await run(assemble(ASK), ["oui"], nlu=Broken())
    assert state.result is Result.TECHNICAL_ERROR
    assert state.error == (
        "test.mbs:4:5 (step intro): the nlu builtin (classify) failed: model not loaded"
    )


async def test_a_failing_call_does_not_disturb_concurrent_calls() -> None:
    vm = Vm(assemble(ASK), nlu=KeywordNlu())
    sink = MemorySink()
    contacts = [{"first_name": f"P{i}"} if i % 7 else {} for i in range(50)]
    states = await asyncio.gather(
        *(
            vm.run_call(TextCall(["oui"], call_id=f"c{i}"), contact=c, sink=sink)
            for i, c in enumerate(contacts)
        )
    )
    results = [s.result for s in states]
    assert results.count(Result.TECHNICAL_ERROR) == 8
    assert results.count(Result.QUALIFIED) == 42
    assert len(sink.of_call("c1")) == len(sink.of_call("c2"))


# ------------------------------------------------------------------- pure machine


def test_machine_steps_synchronously_without_an_event_loop() -> None:
    loaded = LoadedProgram(assemble(ASK))
    state = Vm(loaded).new_state("m1", {"first_name": "Léa"})
    events: list[dict[str, Any]] = []
    gen = Machine(loaded, state, events.append).run()
    op = next(gen)
    assert op == SpeakOp("Bonjour Léa, Julie de Aurum.", True)
    assert gen.send(PlayOutcome.DONE) == ListenOp(5.0)
    assert state.execution is ExecutionState.LISTENING and state.turns == 1
    assert gen.send(Heard(HeardKind.UTTERANCE, text="oui")) == ClassifyOp("oui")
    op = gen.send(IntentResult(intent="yes", score=0.8))
    assert op == SpeakOp("Super.", True)
    with pytest.raises(StopIteration) as stop:
        gen.send(PlayOutcome.DONE)
    assert stop.value.value.result is Result.QUALIFIED


async def test_call_state_round_trips_through_a_dict() -> None:
    state, _, _ = await run(assemble(OBJ), ["pas le temps"], nlu=objection_nlu(0.8))
    again = CallState.from_dict(state.to_dict())
    assert again.to_dict() == state.to_dict()
    assert again.objection == state.objection and again.result is Result.QUALIFIED


async def test_play_plays_the_file_and_a_hangup_during_it_runs_the_handler() -> None:
    src = [
        ("enter", "a"),
        ("play", "audio/intro.wav"),
        ("say", "Suite."),
        ("end", "QUALIFIED"),
        ("enter", "gone"),
        ("end", "HUNG_UP"),
    ]
    state, events, call = await run(assemble(src), [])
    assert call.played == ["audio/intro.wav"] and call.said == ["Suite."]
    assert of(events, "played")[0]["outcome"] == "done"
    call = TextCall([])
    call.prospect_gone = True
    state, events, _ = await run(assemble(src, handlers={"hangup": "gone"}), [], call=call)
    assert path(events) == ["a", "gone"] and state.result is Result.HUNG_UP
    assert of(events, "said") == []


async def test_machine_detected_at_answer_runs_the_machine_handler_first() -> None:
    program = assemble(HANDLED, handlers={"machine": "voicemail"})
    sink = MemorySink()
    call = TextCall([])
    state = await Vm(program, nlu=KeywordNlu()).run_call(
        call, contact={"first_name": "A"}, sink=sink, machine_at_answer=True
    )
    assert call.said == ["Je rappellerai."]
    assert state.result is Result.ANSWERING_MACHINE and state.turns == 0
    assert sink.events[0]["machine_at_answer"] is True
    report = await replay_call(program, sink.events)
    assert report.identical, report.divergence
    # without a handler: the default result, nothing said
    call = TextCall([])
    state = await Vm(assemble(ASK)).run_call(call, machine_at_answer=True)
    assert state.result is Result.ANSWERING_MACHINE and call.said == []
