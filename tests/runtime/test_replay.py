"""Replay: recorded inputs and builtin answers reproduce the call, or the divergence shows."""

from __future__ import annotations

from pathlib import Path

from runtime_asm import KeywordNlu, assemble

from mbs.program import Result
from mbs.runtime.builtins.base import FreestyleAnswer, FreestyleRequest, IntentResult
from mbs.runtime.events import (
    ErrorEvent,
    IntentEvent,
    JsonlSink,
    MemorySink,
    calls_in,
    parse_event,
    read_log,
)
from mbs.runtime.replay import first_divergence, replay_call
from mbs.runtime.textcall import TextCall
from mbs.runtime.vm import Vm

SRC = [
    ("enter", "intro"),
    ("say", "Bonjour {{ contact.first_name }}"),
    ("listen",),
    ("capture", "answer"),
    ("dispatch", {"intents": {"yes": "qa"}, "otherwise": "bye"}),
    ("enter", "qa"),
    ("listen",),
    ("freestyle", "ctx", "goal", "fallback"),
    ("end", "QUALIFIED"),
    ("enter", "bye"),
    ("end", "NOT_INTERESTED"),
]


class Llm:
    """An LLM whose answers differ from call to call: replay must not call it."""

    def __init__(self) -> None:
        self.n = 0

    async def freestyle(self, request: FreestyleRequest, fallback: str) -> FreestyleAnswer:
        self.n += 1
        return FreestyleAnswer(text=f"réponse {self.n}", fallback=False, prompt="p")


async def record(tmp_path: Path, turns: list[str], nlu: object = None) -> Path:
    log = tmp_path / "calls.jsonl"
    vm = Vm(assemble(SRC), nlu=nlu or KeywordNlu(), llm=Llm())  # type: ignore[arg-type]
    with JsonlSink(log) as sink:
        for i in range(2):
            await vm.run_call(
                TextCall(turns, call_id=f"c{i}"), contact={"first_name": "Ana"}, sink=sink
            )
    return log


async def test_replay_of_every_call_in_a_log_is_identical(tmp_path: Path) -> None:
    log = await record(tmp_path, ["oui", "et le prix ?"])
    calls = dict(calls_in(read_log(log)))
    assert list(calls) == ["c0", "c1"]
    assert next(e for e in calls["c1"] if e["event"] == "freestyle")["answer"] == "réponse 2"
    for events in calls.values():
        report = await replay_call(assemble(SRC), events)
        assert report.identical, report.divergence
        assert not report.program_changed


async def test_a_changed_program_diverges_at_the_first_different_event(tmp_path: Path) -> None:
    log = await record(tmp_path, ["oui", "et le prix ?"])
    events = dict(calls_in(read_log(log)))["c0"]
    changed = [
        ("dispatch", {"intents": {"no": "qa"}, "otherwise": "bye"}) if s[0] == "dispatch" else s
        for s in SRC
    ]
    report = await replay_call(assemble(changed), events)
    assert report.program_changed
    d = report.divergence
    assert d is not None and d.expected is not None and d.got is not None
    assert d.expected["event"] == "routed" and d.expected["case"] == "yes"
    assert d.got["case"] == "otherwise"
    assert d.index == [e["event"] for e in events].index("routed")


async def test_a_recorded_builtin_failure_replays_identically(tmp_path: Path) -> None:
    class Flaky(KeywordNlu):
        async def classify(self, utterance: str) -> IntentResult:
            raise TimeoutError("nlu timed out")

    log = await record(tmp_path, ["oui"], nlu=Flaky())
    events = dict(calls_in(read_log(log)))["c0"]
    assert events[-1]["result"] == Result.TECHNICAL_ERROR.value
    report = await replay_call(assemble(SRC), events)
    assert report.identical, report.divergence


async def test_a_truncated_recording_is_a_divergence_not_a_crash() -> None:
    sink = MemorySink()
    await Vm(assemble(SRC), nlu=KeywordNlu()).run_call(
        TextCall(["oui", "bon"]), contact={"first_name": "A"}, sink=sink
    )
    cut = [e for e in sink.events if not (e["event"] == "heard" and e["turn"] == 2)]
    report = await replay_call(assemble(SRC), cut)
    assert report.divergence is not None
    assert report.replayed[-1]["result"] == Result.TECHNICAL_ERROR.value


def test_first_divergence_of_different_lengths() -> None:
    a = [{"event": "x", "at": 1.0}, {"event": "y"}]
    assert first_divergence(a, [{"event": "x", "at": 2.0}, {"event": "y"}]) is None
    d = first_divergence(a, a[:1])
    assert d is not None and (d.index, d.got) == (1, None)


async def test_moved_addresses_alone_are_not_a_divergence(tmp_path: Path) -> None:
    log = await record(tmp_path, ["oui", "et le prix ?"])
    events = dict(calls_in(read_log(log)))["c0"]
    # an unrelated step added before the others shifts every address
    moved = [("enter", "unused"), ("end", "NOT_QUALIFIED"), *SRC]
    program = assemble(moved)
    program = program.model_copy(update={"entry": 2})
    report = await replay_call(program, events)
    assert report.identical, report.divergence
    assert report.program_changed


# A log written by mbs 0.1 (before the error event named the failed operation), kept
# as it was: it must still parse, and every call in it replay identically.
LEGACY_LOG = Path(__file__).parent / "data" / "calls-v0.1.jsonl"


async def test_a_log_written_by_mbs_0_1_still_replays() -> None:
    calls = dict(calls_in(read_log(LEGACY_LOG)))
    assert list(calls) == ["answered", "declined", "nlu-down"]
    for events in calls.values():
        for event in events:  # the typed form gives the same JSON back
            typed = parse_event(event)
            assert {k: v for k, v in typed.to_json().items() if k != "failed"} == event
        report = await replay_call(assemble(SRC), events)
        assert report.identical, report.divergence
    error = next(parse_event(e) for e in calls["nlu-down"] if e["event"] == "error")
    assert isinstance(error, ErrorEvent) and error.failed == "classify"


async def test_an_error_event_names_the_failed_operation(tmp_path: Path) -> None:
    class Down(KeywordNlu):
        async def classify(self, utterance: str) -> IntentResult:
            raise ConnectionError("refused")

    log = await record(tmp_path, ["oui"], nlu=Down())
    events = dict(calls_in(read_log(log)))["c0"]
    error = next(e for e in events if e["event"] == "error")
    assert error["failed"] == "classify"
    assert error["message"].endswith("the nlu builtin (classify) failed: refused")
    intent = IntentEvent(call_id="c", step="s", result=IntentResult("yes", 0.8, "no", 0.3))
    assert parse_event(intent.to_json()) == intent
