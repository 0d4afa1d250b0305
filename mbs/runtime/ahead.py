"""Which lines can be synthesised ahead of a call: the one place that decides.

Three things make speech before it is needed, and all of them ask here:

* ``mbs tts prebuild`` and a campaign's warm-up before its first dial synthesise the
  *fixed* lines (:func:`fixed_lines`): every line whose text is known before any call
  (a ``say``/``ask``/retry line, a freestyle fallback, an objection response) and uses
  no per-call variable, rendered exactly as the VM will render it. ``agent.*`` is the
  scenario's own agent, the same for every call, so it is filled in. Lines that use
  other variables (``{{ contact.first_name }}``, captured values) are skipped, with
  the variables that make them so.
* the campaign executor synthesises a contact's *own* lines while the call is being
  placed (:meth:`AheadLines.for_contact`): the ``say`` lines rendered with that
  contact, in program order (the opening first), leaving out those that need a value
  only the conversation provides.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import jinja2
from jinja2 import nodes

from mbs.program import COMPANY_FACTS, Freestyle, Program, Say
from mbs.runtime.templates import ENV, TemplateFailure, render_text
from mbs.runtime.vm import LoadedProgram


@dataclass(frozen=True, slots=True)
class Line:
    text: str  # as the VM will say it (rendered, stripped)
    origin: str  # "say", "freestyle fallback", "objection PACK"


@dataclass(frozen=True, slots=True)
class Skipped:
    source: str  # the template
    origin: str
    reason: str


def _variables(template: nodes.Template) -> list[str]:
    """Dotted names the template reads (``contact.first_name``), in order, once each."""
    found: list[str] = []
    assigned = {n.name for n in template.find_all(nodes.Name) if n.ctx == "store"}

    def dotted(node: nodes.Node) -> str | None:
        if isinstance(node, nodes.Name) and node.ctx == "load" and node.name not in assigned:
            return node.name
        if isinstance(node, nodes.Getattr):
            base = dotted(node.node)
            return f"{base}.{node.attr}" if base else None
        return None

    for node in template.find_all((nodes.Getattr, nodes.Name)):
        name = dotted(node)
        if name and not any(f.startswith(name + ".") or f == name for f in found):
            found = [f for f in found if not name.startswith(f + ".")]
            found.append(name)
    return found


def classify(
    source: str,
    origin: str,
    agent: Mapping[str, str] | None = None,
    company: Mapping[str, str] | None = None,
) -> Line | Skipped:
    """A fixed line rendered as the VM renders it, or why it cannot be built ahead.

    ``agent`` is the program's agent (name, company, gender) and ``company`` its facts,
    both constant across calls.
    """
    try:
        parsed = ENV.parse(source)
    except jinja2.TemplateSyntaxError as exc:
        return Skipped(source, origin, f"invalid template: {exc.message}")
    except RecursionError:
        return Skipped(source, origin, "invalid template: nested too deeply")
    constant = {"agent"} if agent is not None else set()
    if company is not None:
        constant.add("company")
    per_call = [v for v in _variables(parsed) if v.split(".")[0] not in constant]
    if per_call:
        return Skipped(source, origin, "uses " + ", ".join(per_call))
    try:
        context: dict[str, object] = {"agent": dict(agent)} if agent is not None else {}
        if company is not None:
            context["company"] = dict(company)
        text = render_text(ENV.from_string(source), context)
    except jinja2.TemplateSyntaxError as exc:
        return Skipped(source, origin, f"invalid template: {exc.message}")
    except TemplateFailure as exc:
        return Skipped(source, origin, f"cannot render: {exc}")
    if not text:
        return Skipped(source, origin, "empty once rendered")
    return Line(text, origin)


def fixed_lines(program: Program) -> tuple[list[Line], list[Skipped]]:
    """Every spoken line of ``program``, deduplicated: buildable ones and skipped ones."""
    sources: list[tuple[str, str]] = []
    for ins in program.code:
        if isinstance(ins, Say):
            sources.append((program.consts[ins.text], "say"))
        elif isinstance(ins, Freestyle):
            sources.append((program.consts[ins.fallback], "freestyle fallback"))
    for pack in program.objection_packs:
        for objection in pack.objections:
            if objection.response is not None:
                sources.append((objection.response, f"objection {pack.name}"))
    agent = program.scenario.agent
    agent_vars = (
        {"name": agent.name, "company": agent.company, "gender": agent.gender} if agent else None
    )
    facts = program.scenario.company
    company = {k: facts.get(k, "") for k in COMPANY_FACTS}
    lines: dict[str, Line] = {}
    skipped: dict[str, Skipped] = {}
    for source, origin in sources:
        result = classify(source, origin, agent_vars, company)
        if isinstance(result, Line):
            lines.setdefault(result.text, result)
        else:
            skipped.setdefault(source, result)
    return list(lines.values()), list(skipped.values())


class AheadLines:
    """The lines of one loaded program that can be made before a call."""

    def __init__(self, loaded: LoadedProgram) -> None:
        self.loaded = loaded
        # constants spoken by ``say``, in program order (the opening lines first)
        self._spoken = list(
            dict.fromkeys(ins.text for ins in loaded.program.code if isinstance(ins, Say))
        )

    def fixed(self) -> list[str]:
        """The lines the same on every call (synthesised once, before the first dial)."""
        return [line.text for line in fixed_lines(self.loaded.program)[0]]

    def for_contact(self, contact: Mapping[str, object]) -> list[str]:
        """The ``say`` lines this contact will hear, rendered, in program order."""
        context: dict[str, object] = {
            "contact": self.loaded.contact_fields.completed(
                {k: str(v) for k, v in contact.items()}
            ),
            "agent": dict(self.loaded.agent),
        }
        texts: list[str] = []
        for index in self._spoken:
            try:
                texts.append(self.loaded.templates.const(index, context))
            except Exception:
                continue  # needs a variable only the conversation provides
        return list(dict.fromkeys(texts))
