"""The text channel: a :class:`~mbs.runtime.telephony.Call` made of typed lines.

Used by ``mbs chat`` (lines from the keyboard or a pipe) and by conversation tests
(a list of turns). Each input line is one thing the prospect does while the robot
listens; a few markers stand for what text cannot say:

``/silence`` (or an empty line)  the prospect says nothing until the timeout
``/hangup``                      the prospect hangs up
``/machine [greeting]``          an answering machine picked up
``/dtmf 5``                      a key press
``/barge TEXT``                  TEXT, said over the robot's line (barge-in)

When the inputs run out, the prospect hangs up.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from mbs.errors import InputError
from mbs.runtime.errors import VmError
from mbs.runtime.telephony import Heard, HeardKind, PlayOutcome

MARKERS = ("/silence", "/hangup", "/machine", "/dtmf", "/barge")


class TurnSyntaxError(VmError, InputError, ValueError):
    """A line that starts with ``/`` but is not a known marker."""


@dataclass(frozen=True, slots=True)
class TextInput:
    heard: Heard
    barge: bool = False  # said over the robot's line


def parse_turn(line: str) -> TextInput:
    """One typed line -> what the robot hears."""
    text = line.strip()
    if not text or text == "/silence":
        return TextInput(Heard(HeardKind.SILENCE))
    if not text.startswith("/"):
        return TextInput(Heard(HeardKind.UTTERANCE, text=text))
    marker, _, rest = text.partition(" ")
    rest = rest.strip()
    if marker == "/hangup" and not rest:
        return TextInput(Heard(HeardKind.HANGUP))
    if marker == "/machine":
        return TextInput(Heard(HeardKind.MACHINE, text=rest))
    if marker == "/dtmf" and len(rest) == 1 and rest in "0123456789*#ABCD":
        return TextInput(Heard(HeardKind.DTMF, digit=rest))
    if marker == "/barge" and rest:
        return TextInput(Heard(HeardKind.UTTERANCE, text=rest), barge=True)
    raise TurnSyntaxError(
        f"unknown turn {text!r}: a line is what the prospect says, or one of "
        "/silence, /hangup, /machine [greeting], /dtmf DIGIT, /barge TEXT"
    )


Reader = Callable[[], Awaitable[str | None]]


class TextCall:
    """A call whose prospect is a list of lines, or a reader of lines (None = hang up)."""

    def __init__(
        self,
        turns: Iterable[str | TextInput] = (),
        *,
        call_id: str = "text",
        reader: Reader | None = None,
        transfer_ok: bool = True,
    ) -> None:
        self._call_id = call_id
        self._queue: deque[TextInput] = deque(
            parse_turn(t) if isinstance(t, str) else t for t in turns
        )
        self._reader = reader
        self.transfer_ok = transfer_ok
        self.said: list[str] = []
        self.played: list[str] = []
        self.transfers: list[str] = []
        self.hung_up = False  # the robot hung up
        self.prospect_gone = False  # the prospect hung up (or ran out of lines)

    @property
    def call_id(self) -> str:
        return self._call_id

    @property
    def pending(self) -> int:
        """Inputs not consumed yet."""
        return len(self._queue)

    def _outcome(self, barge_in: bool) -> PlayOutcome:
        if self.prospect_gone:
            return PlayOutcome.HANGUP
        if self._queue and self._queue[0].barge:
            head = self._queue.popleft()
            self._queue.appendleft(TextInput(head.heard))  # listen() gets it either way
            if barge_in:
                return PlayOutcome.INTERRUPTED
        return PlayOutcome.DONE

    async def say(self, text: str, audio: Path | None, *, barge_in: bool) -> PlayOutcome:
        self.said.append(text)
        return self._outcome(barge_in)

    async def play(self, path: str, *, barge_in: bool) -> PlayOutcome:
        self.played.append(path)
        return self._outcome(barge_in)

    async def listen(self, timeout_s: float) -> Heard:
        if self.prospect_gone:
            return Heard(HeardKind.HANGUP)
        item: TextInput | None
        if self._queue:
            item = self._queue.popleft()
        elif self._reader is not None:
            line = await self._reader()
            item = None if line is None else parse_turn(line)
        else:
            item = None
        if item is None or item.heard.kind is HeardKind.HANGUP:
            self.prospect_gone = True
            return Heard(HeardKind.HANGUP)
        return item.heard

    async def transfer(self, destination: str) -> bool:
        self.transfers.append(destination)
        return self.transfer_ok

    async def hangup(self) -> None:
        self.hung_up = True
