"""seqdiag for call flows: participants declared in order, requests solid, responses
dashed; blocks are separators (`=== opt: dynamic PCC ===`) where they open, branch and
close. seqdiag draws no title and no participant notes (`adapt` drops both)."""

from __future__ import annotations

from ictrag.training.synth.sources.common import quoted, response, sequence_lines
from ictrag.training.synth.styles import Style

from ictrag.figures.graph import DiagramGraph


def draws(graph: DiagramGraph) -> bool:
    return bool(graph.messages)


def emit(graph: DiagramGraph, style: Style) -> str:
    lines = ["seqdiag {", f"  default_fontsize = {style.font_size};", "  edge_length = 160;",
             f"  default_linecolor = {quoted(style.stroke)};"]  # fmt: skip
    if style.variant == "flat":
        lines += ["  activation = none;", f"  default_node_color = {quoted(style.fill)};"]
    lines += [f"  {node_id} [label = {quoted(graph.nodes[node_id].label)}];" for node_id in graph.participants]  # fmt: skip

    def message(item) -> str:
        arrow = "-->" if response(item.arrow) else "->"
        return f"  {item.source} {arrow} {item.target} [label = {quoted(item.label)}];"

    lines += sequence_lines(graph, message, _separators)
    lines.append("}")
    return "\n".join(lines) + "\n"


def _separators(events) -> list[str]:
    lines = []
    for what, block, label in events:
        head = {"close": f"end {block.kind}", "else": "else"}.get(what, block.kind)
        text = f"{head}: {label}" if label and what != "close" else head
        lines.append(f"  === {_plain(text)} ===")
    return lines


def _plain(text: str) -> str:
    return text.replace("=", "-").replace("\n", " ")
