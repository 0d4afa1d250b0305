"""How a call's events read as a conversation: the one renderer for every transcript.

Three outputs show a call to people: the transcript file a campaign writes for each
call (served as is by the status API), and ``mbs chat`` on a terminal (rich markup)
or in a pipe (plain). All of them are made here, from the typed events
(:mod:`mbs.runtime.events`), so the wording of a call's lines lives in one place.

* :func:`log_line` is the stored transcript's line (what was said and heard, the
  steps, the result), or None for an event it leaves out;
* :func:`chat_line` is the chat's line, with what the VM decided (intent and score,
  objection, routing, captures), as ``(markup, plain)``, or None.
"""

from __future__ import annotations

from rich.markup import escape

from mbs.runtime.events import (
    CallEvent,
    CallEventFired,
    CallResult,
    Captured,
    FreestyleEvent,
    HeardEvent,
    IntentEvent,
    ObjectionEvent,
    OptedOut,
    Played,
    Routed,
    Said,
    StepEntered,
    Transferred,
)
from mbs.runtime.telephony import HeardKind, PlayOutcome


def log_line(event: CallEvent) -> str | None:
    """The event's line in a call's stored transcript (without the time stamp)."""
    if isinstance(event, Said):
        return f"robot: {event.text}"
    if isinstance(event, HeardEvent):
        heard = event.heard
        if heard.kind is HeardKind.UTTERANCE:
            return f"prospect: {heard.text}"
        if heard.kind is HeardKind.DTMF:
            return f"prospect: <dtmf {heard.digit}>"
        return f"<{heard.kind.value}>"
    if isinstance(event, StepEntered):
        return f"-- {event.step}"
    if isinstance(event, CallResult):
        return f"== {event.result}"
    return None


_SAID_AS = {"objection": " (objection)", "freestyle": " (freestyle)"}


def chat_line(event: CallEvent, fancy: bool) -> tuple[str, str] | None:
    """The event's line in ``mbs chat``: (rich markup, plain text); an empty plain text
    prints nothing in a pipe. Errors are not lines: the chat reports them itself."""
    step = event.step or "-"
    if isinstance(event, Said):
        mark = _SAID_AS.get(event.said_as, "")
        if event.outcome is PlayOutcome.INTERRUPTED:
            mark += " (interrupted)"
        if event.outcome is PlayOutcome.HANGUP:
            mark += " (not heard: hung up)"
        return (
            f"[bold cyan]robot[/] [dim]\\[{escape(step)}][/]{escape(mark)}: {escape(event.text)}",
            f"robot [{step}]{mark}: {event.text}",
        )
    if isinstance(event, Played):
        return (
            f"[bold cyan]robot[/] [dim]\\[{escape(step)}][/] plays {escape(event.path)}",
            f"robot [{step}] plays {event.path}",
        )
    if isinstance(event, HeardEvent):
        heard = event.heard
        if not fancy:
            what = {HeardKind.UTTERANCE: heard.text, HeardKind.DTMF: f"/dtmf {heard.digit}"}
            line = f"prospect: {what.get(heard.kind, f'/{heard.kind.value}')}"
            return line, line
        if heard.kind in (HeardKind.SILENCE, HeardKind.HANGUP, HeardKind.MACHINE):
            return f"  [dim]({escape(heard.kind.value)})[/]", ""
        return None
    text: str
    style: str
    if isinstance(event, IntentEvent):
        r = event.result
        text = f"intent {r.intent or '(none)'} {r.score:.2f}"
        if r.runner_up:
            text += f" (runner-up {r.runner_up} {r.runner_up_score:.2f})"
        style = "magenta"
    elif isinstance(event, ObjectionEvent) and event.result.objection:
        text, style = f"objection {event.result.objection!r} {event.result.score:.2f}", "yellow"
    elif isinstance(event, FreestyleEvent) and event.answer.fallback:
        text, style = f"freestyle fallback ({event.answer.reason or 'no answer'})", "dim"
    elif isinstance(event, Routed):
        text, style = f"-> {event.case}: {event.target or 'listen again'}", "dim"
    elif isinstance(event, Captured):  # captured, or set
        text, style = f"{event.kind} {event.var} = {event.value!r}", "green"
    elif isinstance(event, CallEventFired):
        text, style = f"{event.which} -> {event.target or 'default result'}", "yellow"
    elif isinstance(event, Transferred):
        text = f"transfer to {event.destination} ({'ok' if event.ok else 'failed'})"
        style = "green"
    elif isinstance(event, OptedOut):
        text, style = "opt-out recorded", "red"
    elif isinstance(event, CallResult):
        opt = ", opt-out" if event.opt_out else ""
        turns = event.turns
        text = f"== result: {event.result}{opt} ({turns} turn{'' if turns == 1 else 's'})"
        return f"[bold]{escape(text)}[/]", text
    else:  # errors (reported by the chat itself) and the rest
        return None
    return f"  [{style}]{escape(text)}[/]", f"  {text}"
