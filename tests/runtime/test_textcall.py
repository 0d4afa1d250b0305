"""The text channel: turn markers, barge-in, end of input."""

from __future__ import annotations

import pytest

from mbs.runtime.telephony import HeardKind, PlayOutcome
from mbs.runtime.textcall import TextCall, TurnSyntaxError, parse_turn


@pytest.mark.parametrize(
    ("line", "kind", "text", "digit"),
    [
        ("oui", HeardKind.UTTERANCE, "oui", ""),
        ("  oui  ", HeardKind.UTTERANCE, "oui", ""),
        ("", HeardKind.SILENCE, "", ""),
        ("/silence", HeardKind.SILENCE, "", ""),
        ("/hangup", HeardKind.HANGUP, "", ""),
        ("/machine", HeardKind.MACHINE, "", ""),
        ("/machine laissez un message", HeardKind.MACHINE, "laissez un message", ""),
        ("/dtmf 5", HeardKind.DTMF, "", "5"),
        ("/dtmf #", HeardKind.DTMF, "", "#"),
        ("/barge non merci", HeardKind.UTTERANCE, "non merci", ""),
    ],
)
def test_parse_turn(line: str, kind: HeardKind, text: str, digit: str) -> None:
    heard = parse_turn(line).heard
    assert (heard.kind, heard.text, heard.digit) == (kind, text, digit)


@pytest.mark.parametrize("line", ["/dtmf", "/dtmf 55", "/dtmf x", "/barge", "/hangup now", "/oops"])
def test_bad_markers_are_refused_with_the_list_of_markers(line: str) -> None:
    with pytest.raises(TurnSyntaxError, match="/silence, /hangup"):
        parse_turn(line)


async def test_barge_interrupts_an_interruptible_line_and_is_heard_next() -> None:
    call = TextCall(["/barge oui", "/barge non"])
    assert await call.say("Bonjour", None, barge_in=True) is PlayOutcome.INTERRUPTED
    assert await call.say("Encore", None, barge_in=True) is PlayOutcome.DONE
    assert (await call.listen(5)).text == "oui"
    assert await call.say("Cet appel est enregistré", None, barge_in=False) is PlayOutcome.DONE
    assert (await call.listen(5)).text == "non"
    assert call.said == ["Bonjour", "Encore", "Cet appel est enregistré"]


async def test_end_of_input_is_a_hangup_and_later_lines_are_not_heard() -> None:
    call = TextCall(["oui"])
    assert (await call.listen(5)).kind is HeardKind.UTTERANCE
    assert (await call.listen(5)).kind is HeardKind.HANGUP
    assert await call.say("Allô ?", None, barge_in=True) is PlayOutcome.HANGUP


async def test_reader_supplies_lines_when_the_list_is_empty() -> None:
    lines = iter(["/dtmf 3", None])

    async def reader() -> str | None:
        return next(lines)

    call = TextCall(reader=reader)
    assert (await call.listen(5)).digit == "3"
    assert (await call.listen(5)).kind is HeardKind.HANGUP
