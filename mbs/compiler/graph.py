"""Render the step graph of a program with graphviz (``mbs graph``)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import graphviz

from mbs.compiler.flowgraph import EdgeKind, FlowGraph, build
from mbs.program import Program

# Edge styles: silence, retry and objection edges must stand apart at a glance.
_EDGE_STYLE: dict[EdgeKind, dict[str, str]] = {
    EdgeKind.INTENT: {"color": "#1f4e79"},
    EdgeKind.DTMF: {"color": "#1f4e79", "style": "bold"},
    EdgeKind.OBJECTION: {"color": "#b8860b", "fontcolor": "#b8860b", "penwidth": "1.6"},
    EdgeKind.SILENCE: {"color": "#777777", "fontcolor": "#777777", "style": "dashed"},
    EdgeKind.UNCLEAR: {"color": "#777777", "fontcolor": "#777777", "style": "dashed"},
    EdgeKind.OTHERWISE: {"color": "#555555", "fontcolor": "#555555"},
    EdgeKind.RETRY: {
        "color": "#a23b72",
        "fontcolor": "#a23b72",
        "style": "dotted",
        "penwidth": "1.4",
    },
    EdgeKind.NEXT: {"color": "#333333"},
    EdgeKind.EVENT: {"color": "#8b0000", "fontcolor": "#8b0000", "style": "dashed"},
}

FORMATS = ("svg", "png", "dot", "pdf")


def _node_id(name: str) -> str:
    return f"step_{name}"


def _terminal_id(target: str) -> str:
    # "end:RESULT" would read as node "end", port "RESULT" in DOT.
    return target.replace(":", "__")


def to_digraph(
    program: Program, graph: FlowGraph | None = None, notes: Mapping[str, str] | None = None
) -> graphviz.Digraph:
    """The step graph; ``notes`` adds a line under a step's name (the console's counts)."""
    graph = graph or build(program)
    title = f"{program.scenario.name} — {program.scenario.title}"
    dot = graphviz.Digraph(name=program.scenario.name, comment=title)
    dot.attr(rankdir="LR", fontname="Helvetica", label=title, labelloc="t", fontsize="16")
    dot.attr("node", fontname="Helvetica", fontsize="11")
    dot.attr("edge", fontname="Helvetica", fontsize="9")

    for node in graph.steps.values():
        lines = [node.name]
        if notes and node.name in notes:
            lines.append(notes[node.name])
        if node.results:
            lines.append("end " + " | ".join(sorted(node.results)))
        if node.transfers:
            lines.append("transfer")
        attrs = {"shape": "box", "style": "rounded,filled", "fillcolor": "#e8f0fa"}
        if node.results or node.transfers:
            attrs.update(shape="box", style="rounded,filled,bold", fillcolor="#e6f4ea")
        if node.name == graph.entry:
            attrs.update(penwidth="2.2")
        if not node.reachable:
            attrs.update(fillcolor="#eeeeee", fontcolor="#999999", color="#bbbbbb")
            lines.append("(unreachable)")
        dot.node(_node_id(node.name), "\n".join(lines), **attrs)

    for target in sorted(graph.terminals()):
        result = target.split(":", 1)[1]
        dot.node(
            _terminal_id(target),
            f"end {result}",
            shape="oval",
            style="filled",
            fillcolor="#f4e6e6",
            fontsize="10",
        )

    if graph.entry:
        dot.node("__start", "", shape="point", width="0.15")
        dot.edge("__start", _node_id(graph.entry))

    if graph.always:
        dot.node(
            "always", "always\n(every step)", shape="hexagon", style="filled", fillcolor="#fff4d6"
        )

    def endpoint(name: str) -> str:
        if ":" in name:
            return _terminal_id(name)
        return name if name == "always" else _node_id(name)

    for edge in (*graph.always, *graph.edges):
        dot.edge(
            endpoint(edge.source), endpoint(edge.target), label=edge.label, **_EDGE_STYLE[edge.kind]
        )
    return dot


def render(program: Program, out: Path) -> Path:
    """Write the graph to ``out``; the format is the file's extension."""
    fmt = out.suffix.lstrip(".").lower()
    if fmt not in FORMATS:
        raise ValueError(
            f"unknown graph format '.{fmt}' (use one of: {', '.join('.' + f for f in FORMATS)})"
        )
    dot = to_digraph(program)
    if fmt == "dot":
        out.write_text(dot.source, encoding="utf-8")
    else:
        out.write_bytes(dot.pipe(format=fmt))
    return out
