"""When a call is tried again (per campaign, ``[retry]``): after it reached no one, or
when the prospect asked to be called back."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    field_validator,
)

from mbs.program import Result
from mbs.runtime.telephony import CallStatus

_PART = re.compile(r"(\d+(?:\.\d+)?)\s*([smhd])")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_duration(value: Any) -> timedelta:
    """``"30m"``, ``"1h30m"``, ``"90s"``, ``"2d"`` or a number of seconds."""
    if isinstance(value, timedelta):
        return value
    if isinstance(value, bool):
        raise ValueError(f"not a duration: {value!r}")
    if isinstance(value, int | float):
        if value < 0:
            raise ValueError("a duration cannot be negative")
        return timedelta(seconds=value)
    if isinstance(value, str):
        text = value.strip().lower().replace(" ", "")
        pos, total = 0, 0.0
        for m in _PART.finditer(text):
            if m.start() != pos:
                break
            total += float(m.group(1)) * _UNITS[m.group(2)]
            pos = m.end()
        if text and pos == len(text):
            return timedelta(seconds=total)
    raise ValueError(f"not a duration: {value!r} (write e.g. 90s, 30m, 1h30m, 2d)")


def format_duration(value: timedelta) -> str:
    seconds = int(value.total_seconds())
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if seconds >= size:
            parts.append(f"{seconds // size}{unit}")
            seconds %= size
    return "".join(parts) or "0s"


Duration = Annotated[
    timedelta,
    BeforeValidator(parse_duration),
    PlainSerializer(format_duration, return_type=str),
]

# Retry kinds: which counter and which delay a finished call uses.
NO_ANSWER, BUSY, FAILED, MACHINE = "no_answer", "busy", "failed", "machine"
RETRY_KINDS = (NO_ANSWER, BUSY, FAILED, MACHINE)  # the kinds ``retry_on`` may list
# The prospect asked to be called back: governed by ``max_callbacks`` (not ``retry_on``
# nor ``max_retries``), with its own counter.
CALLBACK = "callback"


def retry_kind(status: CallStatus, result: Result | None) -> str | None:
    """The retry kind of a finished call, or None when it reached someone and asked for
    nothing more."""
    if status == CallStatus.NO_ANSWER:
        return NO_ANSWER
    if status == CallStatus.BUSY:
        return BUSY
    if status == CallStatus.ANSWERING_MACHINE or result == Result.ANSWERING_MACHINE:
        return MACHINE
    # Before FAILED: a line that drops after the prospect asked to be called back is
    # called back when asked, not within minutes.
    if result == Result.CALLBACK_REQUESTED:
        return CALLBACK
    if status == CallStatus.FAILED or result == Result.TECHNICAL_ERROR:
        return FAILED
    return None


class RetryPolicy(BaseModel):
    """Delays per kind, and at most ``max_retries`` retries of each kind per contact;
    at most ``max_callbacks`` callbacks per contact, ``callback_delay`` after the call."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    no_answer_delay: Duration = timedelta(minutes=30)
    busy_delay: Duration = timedelta(minutes=5)
    failed_delay: Duration = timedelta(minutes=15)
    machine_delay: Duration = timedelta(hours=2)
    max_retries: int = Field(default=2, ge=0)
    retry_on: tuple[str, ...] = (NO_ANSWER, BUSY, FAILED)
    callback_delay: Duration = timedelta(days=1)
    max_callbacks: int = Field(default=1, ge=0)

    @field_validator("retry_on")
    @classmethod
    def _kinds(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        bad = [k for k in value if k not in RETRY_KINDS]
        if bad:
            raise ValueError(f"unknown retry kind {bad[0]!r} (kinds: {', '.join(RETRY_KINDS)})")
        return value

    def delay(self, kind: str) -> timedelta:
        return {
            NO_ANSWER: self.no_answer_delay,
            BUSY: self.busy_delay,
            FAILED: self.failed_delay,
            MACHINE: self.machine_delay,
            CALLBACK: self.callback_delay,
        }[kind]

    def allowed(self, kind: str) -> int:
        """How many times a contact may be tried again for this kind (0: never)."""
        if kind == CALLBACK:
            return self.max_callbacks
        return self.max_retries if kind in self.retry_on else 0
