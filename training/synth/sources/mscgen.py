"""mscgen for call flows. mscgen has no block frames: a block is a labelled divider line
where it opens ("opt: dynamic PCC"), at each branch ("else: ...") and an empty one where it
closes; notes are note boxes on their participant."""

from __future__ import annotations

from ictrag.training.synth.sources.common import quoted, response, sequence_lines
from ictrag.training.synth.styles import Style

from ictrag.figures.graph import DiagramGraph


def draws(graph: DiagramGraph) -> bool:
    return bool(graph.messages)


def emit(graph: DiagramGraph, style: Style) -> str:
    longest = max((len(m.label) for m in graph.messages), default=0)
    # wide enough that a long message name wraps between words, not inside one
    hscale = min(3.0, max(1.0 + 0.25 * (style.font_size % 4), longest / 20))
    options = [f'hscale="{hscale:.2f}"', "wordwraparcs=on"]
    if style.variant == "slanted":
        options.append('arcgradient="10"')
    entities = ", ".join(f"{node_id} [label={quoted(graph.nodes[node_id].label)}]"
                         for node_id in graph.participants)  # fmt: skip
    lines = ["msc {", f"  {', '.join(options)};", f"  {entities};"]

    def message(item) -> str:
        arrow = ">>" if response(item.arrow) else "=>"
        return f"  {item.source} {arrow} {item.target} [label={quoted(item.label)}];"

    lines += sequence_lines(graph, message, _dividers)
    for note in graph.notes:
        targets = [t for t in note.targets if t in graph.participants][:2]
        if targets and note.text:
            lines.append(f"  {targets[0]} note {targets[-1]} [label={quoted(note.text)}];")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _dividers(events) -> list[str]:
    lines = []
    for what, block, label in events:
        if what == "close":
            lines.append('  --- [label=""];')
        else:
            head = "else" if what == "else" else block.kind
            lines.append(f"  --- [label={quoted(f'{head}: {label}' if label else head)}];")
    return lines
