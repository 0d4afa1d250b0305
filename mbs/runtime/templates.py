"""Rendering the program's templates (in the bounded sandbox of :mod:`.sandbox`,
compiled once), and the ``capture`` choice matcher.

A missing variable is a runtime error (StrictUndefined), never an empty string spoken
to a prospect; so is a text that breaks a sandbox rule or bound. Templates are compiled
on first use and cached per program, so 1,000 calls of the same program share them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import jinja2

from mbs.nlu.normalize import normal_form
from mbs.nlu.scoring import MAX_CHARS
from mbs.program import Program
from mbs.runtime.errors import VmError
from mbs.runtime.sandbox import ENV, TemplateLimitExceeded, render

__all__ = ["ENV", "TemplateFailure", "Templates", "first_choice", "render_text"]


class TemplateFailure(VmError):
    """A template that could not be rendered (the message says why, in plain words)."""


def _plain(exc: Exception) -> str:
    msg = str(exc)
    msg = re.sub(r"'dict object' has no attribute '([^']+)'", r"no field '\1'", msg)
    msg = msg.replace("is undefined", "is not defined")
    return msg


class Templates:
    """The compiled constants of one program, plus any other text (objection responses)."""

    def __init__(self, program: Program) -> None:
        self._consts = program.consts
        self._compiled: list[jinja2.Template | None] = [None] * len(program.consts)
        self._extra: dict[str, jinja2.Template] = {}

    def _template(self, source: str) -> jinja2.Template:
        try:
            return ENV.from_string(source)
        except jinja2.TemplateSyntaxError as exc:  # TemplateAssertionError included
            raise TemplateFailure(f"invalid template {source[:80]!r}: {exc.message}") from None
        except RecursionError:
            raise TemplateFailure("invalid template: nested too deeply") from None

    def const(self, index: int, context: Mapping[str, object]) -> str:
        tpl = self._compiled[index]
        if tpl is None:
            tpl = self._compiled[index] = self._template(self._consts[index])
        return self._render(tpl, context)

    def text(self, source: str, context: Mapping[str, object]) -> str:
        """Render a template that is not a program constant (an objection response)."""
        if "{" not in source:
            return source
        tpl = self._extra.get(source)
        if tpl is None:
            tpl = self._extra[source] = self._template(source)
        return self._render(tpl, context)

    @staticmethod
    def _render(tpl: jinja2.Template, context: Mapping[str, object]) -> str:
        return render_text(tpl, context)


def render_text(tpl: jinja2.Template, context: Mapping[str, object]) -> str:
    """``tpl`` rendered in the sandbox and stripped, or :class:`TemplateFailure`."""
    try:
        return render(tpl, context).strip()
    except TemplateLimitExceeded as exc:
        raise TemplateFailure(str(exc)) from None
    except jinja2.TemplateError as exc:  # SecurityError included
        raise TemplateFailure(_plain(exc)) from None
    except (TypeError, ValueError, ArithmeticError, LookupError, AttributeError) as exc:
        raise TemplateFailure(f"{type(exc).__name__}: {exc}") from None
    except AssertionError:  # jinja2's filters assert on some arguments: truncate(-5)
        raise TemplateFailure("a filter was given an argument it refuses") from None


def first_choice(utterance: str, choices: tuple[str, ...]) -> str | None:
    """The choice the prospect said first (as whole words) in ``utterance``, or None.

    Both sides go through the NLU's French normal form, so "Jeudi !" finds "jeudi" the
    way intents would. "jeudi, sinon mardi" captures "jeudi" whatever the choices' order;
    at the same position the longer choice wins ("mardi matin" over "mardi"). The first
    ``MAX_CHARS`` are read, as the NLU reads them.
    """
    padded = f" {normal_form(utterance[:MAX_CHARS])} "
    best: tuple[int, int, str] | None = None
    for choice in choices:
        norm = normal_form(choice)
        if not norm:
            continue
        pos = padded.find(f" {norm} ")
        if pos >= 0 and (best is None or (pos, -len(norm)) < best[:2]):
            best = (pos, -len(norm), choice)
    return best[2] if best else None
