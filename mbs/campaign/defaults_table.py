"""The campaign defaults of ``docs/campaigns.md``, written from the code.

The ``[builtins]`` section of the docs holds a block between two markers that this
module generates: the implementation each kind gets when a campaign file names none,
and every implementation's options with their types and defaults, read from the
``Options`` models through the registry. A test compares the block with
:func:`builtins_markdown`; ``python -m mbs.campaign.defaults_table docs/campaigns.md``
rewrites it after a change.
"""

from __future__ import annotations

import sys
from pathlib import Path

from mbs.campaign.config import DEFAULT_BUILTINS, SWITCH_STT
from mbs.runtime.builtins import registry
from mbs.runtime.builtins.base import BuiltinError
from mbs.runtime.builtins.options import option_rows

BEGIN = "<!-- generated: builtin defaults (python -m mbs.campaign.defaults_table) -->"
END = "<!-- end of generated builtin defaults -->"


def builtins_markdown() -> str:
    """The generated block, markers excluded."""
    out = ["| key | default | implementations |", "|---|---|---|"]
    for kind in registry.KINDS:
        names = ", ".join(f"`{n}`" for n in campaign_choices(kind))
        out.append(f"| `{kind}` | `{DEFAULT_BUILTINS[kind]}` | {names} |")
    for kind in registry.KINDS:
        for name in campaign_choices(kind):
            if kind == "stt" and name == SWITCH_STT:
                out += ["", f'`stt = "{SWITCH_STT}"` is the switch\'s own recogniser: no option.']
                continue
            try:
                model = registry.options_model(kind, name)
            except BuiltinError as exc:  # an optional dependency absent here
                out += ["", f"`{kind}.{name}`: options unknown here ({exc})."]
                continue
            rows = option_rows(model) if model is not None else []
            out.append("")
            if not rows:
                out.append(f"`{kind}.{name}` takes no option.")
                continue
            out += [
                f"`[builtins.{name}]` options of `{kind}.{name}`:",
                "",
                "| option | type | default | meaning |",
                "|---|---|---|---|",
            ]
            for key, typ, default, meaning in rows:
                out.append(f"| `{key}` | `{typ}` | `{default}` | {meaning} |")
    return "\n".join(out)


def campaign_choices(kind: str) -> list[str]:
    """What a campaign file may name for ``kind``: the registered implementations, but
    for ``stt`` the switch's recogniser and the streaming ones (``stt.text`` reads text,
    and a campaign hears audio)."""
    names = registry.available(kind)
    if kind == "stt":
        return [SWITCH_STT, *(n for n in names if n != "text")]
    return names


def documented_block(text: str) -> str | None:
    """The block between the markers in ``text``, None when they are absent."""
    if BEGIN not in text or END not in text:
        return None
    return text.split(BEGIN, 1)[1].split(END, 1)[0].strip("\n")


def rewrite(path: Path) -> bool:
    """Put the generated block into the doc at ``path``; True when it changed."""
    text = path.read_text(encoding="utf-8")
    if documented_block(text) is None:
        raise SystemExit(f"{path}: the markers {BEGIN!r} and {END!r} are missing")
    head, rest = text.split(BEGIN, 1)
    tail = rest.split(END, 1)[1]
    new = f"{head}{BEGIN}\n{builtins_markdown()}\n{END}{tail}"
    if new != text:
        path.write_text(new, encoding="utf-8")
    return new != text


if __name__ == "__main__":
    for arg in sys.argv[1:] or ["docs/campaigns.md"]:
        print(f"{arg}: {'rewritten' if rewrite(Path(arg)) else 'up to date'}")
