"""Compile a generated 2,000-step scenario and time each stage (goal: under 1 s in all).

    .venv/bin/python bench/bench_compile.py [--steps N] [--repeat R]

Stages: load (read + parse the entry file and its modules), check (scope and every
check pass), lower (Program), json (serialise). The best of R runs is reported.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from typing import Any

from mbs.compiler.api import compile_source, gc_paused
from mbs.compiler.check_flow import check_flow
from mbs.compiler.check_header import check_header
from mbs.compiler.check_names import check_names
from mbs.compiler.check_nlu import check_nlu
from mbs.compiler.check_templates import check_templates
from mbs.compiler.lower import lower
from mbs.compiler.scope import Context, build_scope
from mbs.dsl.loader import load_source


def scenario(steps: int) -> str:
    out = [
        'scenario bench "Bench" {\n    record yes\n    agent "Julie" from "Aurum"\n'
        "    fields budget\n    max_turns 40\n}\n",
        'intent oui { "oui" "d\'accord" "volontiers" keywords oui }\n',
        'intent non { "non" "pas du tout" keywords non }\n',
        'intent plus_tard { "rappelez-moi" "plus tard" }\n',
        "always {\n    on machine -> end ANSWERING_MACHINE\n    on hangup -> end HUNG_UP\n"
        '    on silence -> retry 1 "Vous êtes toujours là ?" then s0\n}\n',
    ]
    for i in range(steps):
        nxt, other = (i + 1) % steps, (i * 7 + 3) % steps
        first = "Bonjour {{ contact.first_name }}, cet appel est enregistré. " if i == 0 else ""
        if i % 10 == 9:
            out.append(
                f'step s{i} {{\n    freestyle max 2 {{\n        context "Étape {i}"\n'
                f'        goal "Avancer vers un rendez-vous"\n    }}\n    on oui -> s{nxt}\n'
                f"    otherwise -> s{other}\n}}\n"
            )
        elif i % 10 == 5:
            out.append(
                f'step s{i} {{\n    say "Étape {i}, budget {{{{ contact.budget }}}}."\n'
                f"    otherwise -> s{nxt}\n}}\n"
            )
        else:
            out.append(
                f'step s{i} {{\n    say "{first}Question {i} pour {{{{ agent.name }}}}."\n'
                f'    ask "Êtes-vous d\'accord avec le point {i} ?" timeout 5s\n'
                f'    capture r{i} from ["oui", "non"]\n'
                f"    on oui -> s{nxt}\n    on non -> s{other}\n"
                f'    on plus_tard -> end CALLBACK_REQUESTED\n    on dtmf "1" -> s{nxt}\n'
                f'    on unclear -> retry 2 "Pardon ?" then s{other}\n    otherwise -> s{nxt}\n}}\n'
            )
    out.append("step fin { end APPOINTMENT_SCHEDULED }\n")
    return "".join(out)


WALL: list[float] = []


def best(repeat: int, fn: Callable[[], Any]) -> tuple[float, Any]:
    """Best CPU time of ``repeat`` runs (CPU, not wall: the machine is shared)."""
    times, walls, value = [], [], None
    for _ in range(repeat):
        with gc_paused():  # as compile_file does
            start, wall = time.process_time(), time.perf_counter()
            value = fn()
            times.append(time.process_time() - start)
            walls.append(time.perf_counter() - wall)
    WALL.append(min(walls))
    return min(times), value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument(
        "--earley-steps", type=int, default=200, help="LALR vs Earley on N steps (0: skip)"
    )
    args = parser.parse_args()
    text = scenario(args.steps)
    load_source("step warm { end QUALIFIED }", "warm.mbs")  # build the parser once

    t_load, loaded = best(args.repeat, lambda: load_source(text, "bench.mbs"))

    def check() -> Context:
        diags: list[Any] = []
        ctx = Context(build_scope(loaded.modules, diags), diags)
        ctx.settings = check_header(ctx)
        check_names(ctx)
        check_flow(ctx)
        check_templates(ctx)
        check_nlu(ctx)
        return ctx

    t_check, ctx = best(args.repeat, check)
    errors = [d for d in ctx.diagnostics if d.is_error]
    if errors:
        raise SystemExit(f"generated scenario does not compile: {errors[0]}")
    t_lower, program = best(args.repeat, lambda: lower(ctx))
    t_json, blob = best(args.repeat, lambda: program.to_json(indent=None))
    total = t_load + t_check + t_lower
    lines = text.count("\n")
    print(
        f"compile of a {args.steps}-step scenario ({lines} lines, {len(program.code)} instructions, "
        f"{len(blob) // 1024} KiB of JSON), best of {args.repeat}"
    )
    print(f"{'stage':<10}{'cpu s':>10}{'share':>9}{'wall s':>10}")
    stages = (("load", t_load), ("check", t_check), ("lower", t_lower))
    for (name, t), wall in zip(stages, WALL, strict=False):
        print(f"{name:<10}{t:>10.3f}{t / total:>9.0%}{wall:>10.3f}")
    wall_total = sum(WALL[:3])
    verdict = "met" if total < 1 else "MISSED"
    print(f"{'total':<10}{total:>10.3f}{'':>9}{wall_total:>10.3f}  (goal < 1 s: {verdict})")
    print(f"{'json':<10}{t_json:>10.3f}{'':>9}{WALL[3]:>10.3f}  (serialising, not in the total)")
    t_api, result = best(args.repeat, lambda: compile_source(text, "bench.mbs"))
    assert result.ok
    print(f"{'api':<10}{t_api:>10.3f}{'':>9}{WALL[4]:>10.3f}  (compile_source end to end)")
    if args.earley_steps:
        compare_parsers(args.earley_steps)


def compare_parsers(steps: int) -> None:
    """Why LALR: the same grammar parsed by Lark's LALR and Earley parsers, same input.

    Plain Lark parsers (no AST building, Lark's own lexers) on a smaller scenario, since
    Earley on the full 2,000 steps takes tens of seconds.
    """
    from importlib.resources import files

    from lark import Lark

    grammar = (files("mbs.dsl") / "grammar.lark").read_text(encoding="utf-8")
    text = scenario(steps)
    timings = {}
    for name, options in (
        ("lalr", {"parser": "lalr", "lexer": "contextual"}),
        ("earley", {"parser": "earley", "lexer": "dynamic"}),
    ):
        parser = Lark(grammar, maybe_placeholders=False, **options)
        timings[name], _ = best(3, lambda p=parser: p.parse(text))  # type: ignore[misc]
    ratio = timings["earley"] / timings["lalr"]
    print(
        f"parser choice, {steps}-step scenario, same grammar: lalr {timings['lalr']:.3f} s, "
        f"earley {timings['earley']:.3f} s (LALR {ratio:.0f}x faster)"
    )


if __name__ == "__main__":
    main()
