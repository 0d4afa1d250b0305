"""Short Markdown descriptions of what a name stands for, for hover and completion."""

from __future__ import annotations

from mbs.compiler.diagnostics import BY_CODE
from mbs.dsl import ast
from mbs.lsp import vocabulary as v
from mbs.lsp.analysis import Definition

ACTION_DOCS: dict[str, str] = {
    "say": '`say "text" [uninterruptible]`: speak a line',
    "play": '`play "file.wav" [uninterruptible]`: play a recording',
    "ask": '`ask "text" [timeout D] [uninterruptible]`: say, then listen',
    "listen": "`listen [timeout D]`: listen",
    "freestyle": "`freestyle [max N] [{ context goal fallback }]`: answer the last utterance "
    "with the LLM, then listen; up to N answers in this step",
    "capture": '`capture NAME [from ["a", "b"]]`: store the utterance of the step\'s listen',
    "set": '`set NAME = "template"`: store a value',
    "transfer": '`transfer "destination"`: hand the call to a human (result TRANSFERRED)',
    "opt_out": "`opt_out`: record that this number must never be called again",
    "end": "`end RESULT`: hang up with a result",
}
_MAX_SHOWN = 60


def _short(text: str) -> str:
    text = text.replace("\n", " ")
    return text if len(text) <= _MAX_SHOWN else text[: _MAX_SHOWN - 1] + "…"


def _quoted(s: ast.Str) -> str:
    return f'"{_short(s.value)}"'


def _action(a: ast.Action) -> str:
    if isinstance(a, ast.Say):
        return f"say {_quoted(a.text)}"
    if isinstance(a, ast.Play):
        return f"play {_quoted(a.path)}"
    if isinstance(a, ast.Ask):
        return f"ask {_quoted(a.text)}" + (f" timeout {a.timeout.text}" if a.timeout else "")
    if isinstance(a, ast.Listen):
        return "listen" + (f" timeout {a.timeout.text}" if a.timeout else "")
    if isinstance(a, ast.Freestyle):
        return "freestyle" + (f" max {a.max.text}" if a.max else "")
    if isinstance(a, ast.Capture):
        kind = f" as {a.kind.name}" if a.kind else ""
        return f"capture {a.var.name}" + (f" from {len(a.choices)} choices" if a.choices else kind)
    if isinstance(a, ast.SetVar):
        return f"set {a.var.name} = {_quoted(a.value)}"
    if isinstance(a, ast.TransferTo):
        return f"transfer {_quoted(a.destination)}"
    if isinstance(a, ast.OptOut):
        return "opt_out"
    if isinstance(a, ast.Confirm):
        return f"confirm {a.var.name} {_quoted(a.text)}"
    return f"end {a.result.name}"


def _target(t: ast.Target) -> str:
    if isinstance(t, ast.Goto):
        return t.step.name
    if isinstance(t, ast.EndTarget):
        return f"end {t.result.name}"
    if isinstance(t, ast.Retry):
        line = f" {_quoted(t.line)}" if t.line else ""
        return f"retry {t.count.text}{line} then {t.then.name}"
    return f"answer {t.what.name} then {t.then.name}"


def describe_step(step: ast.StepDecl) -> str:
    lines = [_action(a) for a in step.actions]
    for t in step.transitions:
        case = "otherwise" if t.case.kind == "otherwise" else f"on {t.case.label}"
        lines.append(f"{case} -> {_target(t.target)}")
    listens = "listens" if step.listens else "does not listen"
    body = "\n".join(lines) if lines else "(empty)"
    return f"**step** `{step.name.name}` ({listens})\n\n```mbs\n{body}\n```"


def describe_definition(d: Definition) -> str:
    where = "" if d.module.entry else f" — from `{d.module.name}`"
    decl = d.decl
    if isinstance(decl, ast.StepDecl):
        return describe_step(decl)
    if isinstance(decl, ast.IntentDecl):
        shown = ", ".join(_quoted(e) for e in decl.examples[:5])
        more = f", … ({len(decl.examples) - 5} more)" if len(decl.examples) > 5 else ""
        kw = f"\n\nkeywords: {', '.join(k.value for k in decl.keywords)}" if decl.keywords else ""
        return (
            f"**intent** `{d.name}`{where}: {len(decl.examples)} example"
            f"{'s' * (len(decl.examples) != 1)}\n\n{shown}{more}{kw}"
        )
    if isinstance(decl, ast.ObjectionsDecl):
        shown = "\n".join(f"- {_quoted(e.text)}" for e in decl.entries[:4])
        return f"**objections** `{d.name}`{where}: {len(decl.entries)} objections\n\n{shown}"
    if isinstance(decl, ast.PersonalityDecl):
        base = f" extends `{decl.extends.name}`" if decl.extends else ""
        traits = "\n".join(f"- {t.key}: {_quoted(t.value)}" for t in decl.traits)
        return f"**personality** `{d.name}`{base}{where}\n\n{traits}"
    if isinstance(decl, ast.ObjectiveDecl):
        guidance = " ".join(g.value for g in decl.guidance)
        reach = ", ".join(r.name for r in decl.reach)
        return f"**objective** `{d.name}`{where}: reach {reach}\n\n{guidance}"
    if isinstance(decl, ast.Capture):
        choices = ", ".join(_quoted(c) for c in decl.choices or ())
        what = f"the first of {choices} the answer contains" if choices else "the answer"
        return f"**variable** `{d.name}`: captured at line {decl.span.line} ({what})"
    if isinstance(decl, ast.SetVar):
        return f"**variable** `{d.name}`: set at line {decl.span.line} to {_quoted(decl.value)}"
    if d.kind == "module":
        mod = d.module
        counts: dict[str, int] = {}
        for x in mod.module.decls if mod.module is not None else ():
            kind = type(x).__name__.removesuffix("Decl").lower()
            counts[kind] = counts.get(kind, 0) + 1
        what = ", ".join(
            f"{n} {k}{'s' * (n != 1 and not k.endswith('s'))}" for k, n in sorted(counts.items())
        )
        what = what or "no declarations"
        origin = "stdlib module" if mod.stdlib else "module"
        return f"**{origin}** `{mod.name}` ({mod.file}): {what}"
    return f"`{d.name}`"


def describe_word(kind: str, name: str) -> str | None:
    """A result code, a case, a header key or an action keyword."""
    if kind == "result":
        meaning = v.RESULT_DOCS.get(name)
        return f"**result** `{name}`: {meaning}" if meaning else f"`{name}`: not a result code"
    if kind == "case":
        return f"**case** `{name}`: {v.CASE_DOCS.get(name, 'an NLU threshold kind')}"
    if kind == "header":
        return f"**header** `{name}`: {v.HEADER_DOCS.get(name, '')}"
    if kind == "keyword" and name in ACTION_DOCS:
        return f"**action** {ACTION_DOCS[name]}"
    if kind == "field":
        root, _, attr = name.partition(".")
        if root == "agent":
            return f'**agent field** `{attr}`: from the header\'s `agent "NAME" from "COMPANY"`'
        known = attr in v.TEMPLATE_ROOTS["contact"]
        origin = "a column of the contact list" if known else "declared with `fields` in the header"
        return f"**contact field** `{attr}`: {origin}"
    if kind == "variable":
        return f"**variable** `{name}`: not captured or set in this scenario"
    if kind == "theme":
        return f"**theme** `{name}`: pulls `objections.standard` and `objections.{name}`"
    return None


def describe_code(code: str) -> str | None:
    """A diagnostic code's entry of the diagnostics table."""
    desc = BY_CODE.get(code)
    if desc is None:
        return None
    return f"**{desc.code}** {desc.name} ({desc.severity}): {desc.title}.\n\n{desc.explanation}"
