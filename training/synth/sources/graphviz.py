"""DOT for flowcharts, state machines, topologies, architectures and packet formats.

The variant picks the layout engine (dot, neato, fdp: set as the graph's `layout`, so one
`dot` command draws all three). Topology links carry their interfaces as tail and head
labels and their subnet or link type in the middle; groups become clusters; a packet is an
HTML table of 32-bit rows under a bit ruler.
"""

from __future__ import annotations

from ictrag.training.synth.sources.common import link_parts, quoted
from ictrag.training.synth.styles import Style

from ictrag.figures.graph import DiagramGraph, Group

SHAPES = {
    "rect": ("box", ""), "round": ("box", "rounded"), "stadium": ("box", "rounded"),
    "subroutine": ("box", ""), "decision": ("diamond", ""), "circle": ("circle", ""),
    "double_circle": ("doublecircle", ""), "database": ("cylinder", ""),
    "hexagon": ("hexagon", ""), "parallelogram": ("parallelogram", ""),
    "trapezoid": ("trapezium", ""), "state": ("box", "rounded"), "asymmetric": ("cds", ""),
}  # fmt: skip
ROW_BITS = 32


def draws(graph: DiagramGraph) -> bool:
    return graph.kind != "packet" or bool(graph.fields)


def emit(graph: DiagramGraph, style: Style) -> str:
    if graph.kind == "packet":
        return _packet(graph, style)
    rankdir = "LR" if graph.direction in ("LR", "RL") else "TB"
    lines = ["digraph G {"]
    attrs = [f"layout={style.variant}", f"rankdir={rankdir}", "bgcolor=white", "pad=0.3",
             f"fontname={quoted(style.font)}", f"fontsize={style.font_size + 3}"]  # fmt: skip
    if style.variant != "dot":
        attrs += ["overlap=false", 'sep="+12"', "splines=true"]
    if graph.title:
        attrs += [f"label={quoted(graph.title)}", "labelloc=t"]
    lines.append(f"  graph [{', '.join(attrs)}];")
    node_style = "filled,dashed" if style.dashed else "filled"
    lines.append(
        f"  node [fontname={quoted(style.font)}, fontsize={style.font_size}, style={quoted(node_style)}, "
        f"fillcolor={quoted(style.fill)}, color={quoted(style.stroke)}, fontcolor={quoted(style.font_colour)}];"
    )  # fmt: skip
    lines.append(
        f"  edge [fontname={quoted(style.font)}, fontsize={max(8, style.font_size - 2)}, "
        f"color={quoted(style.stroke)}, fontcolor={quoted(style.font_colour)}];"
    )  # fmt: skip
    grouped = {member for group in graph.groups for member in group.members}
    for node_id in graph.nodes:
        if node_id not in grouped:
            lines.append("  " + _node(graph, node_id, node_style))
    for number, group in enumerate(g for g in graph.groups if not g.parent):
        lines += _cluster(graph, group, number, node_style, "  ")
    for edge in graph.edges:
        if edge.style == "invisible":
            continue
        attrs = []
        if graph.kind == "topology":
            tail, middle, head = link_parts(edge)
            attrs += [f"taillabel={quoted(tail)}"] if tail else []
            attrs += [f"headlabel={quoted(head)}"] if head else []
            attrs += [f"label={quoted(middle)}"] if middle else []
            if tail or head:
                attrs.append("labeldistance=2.2")
        elif edge.label:
            attrs.append(f"label={quoted(edge.label)}")
        if not edge.directed:
            attrs.append("dir=none")
        if edge.style in ("dotted", "thick"):
            attrs.append("style=dotted" if edge.style == "dotted" else "penwidth=2.5")
        suffix = f" [{', '.join(attrs)}]" if attrs else ""
        lines.append(f"  {quoted(edge.source)} -> {quoted(edge.target)}{suffix};")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _node(graph: DiagramGraph, node_id: str, node_style: str) -> str:
    node = graph.nodes[node_id]
    if node.shape == "start":
        return f'{quoted(node_id)} [shape=point, width=0.25, label="", color=black];'
    if node.shape == "end":
        return f'{quoted(node_id)} [shape=doublecircle, width=0.18, label="", style=filled, fillcolor=black];'  # fmt: skip
    shape, extra = SHAPES.get(node.shape, ("box", ""))
    attrs = [f"label={quoted(node.label)}", f"shape={shape}"]
    if extra:
        attrs.append(f"style={quoted(node_style + ',' + extra)}")
    if node.shape == "subroutine":
        attrs.append("peripheries=2")
    return f"{quoted(node_id)} [{', '.join(attrs)}];"


def _cluster(graph: DiagramGraph, group: Group, number: int, node_style: str, indent: str) -> list[str]:  # fmt: skip
    lines = [f"{indent}subgraph cluster_{number} {{",
             f"{indent}  label={quoted(group.label)}; style=\"rounded,dashed\"; color=\"#777777\";"]  # fmt: skip
    for member in group.members:
        if member in graph.nodes:
            lines.append(f"{indent}  " + _node(graph, member, node_style))
    for child_number, child in enumerate(g for g in graph.groups if g.parent == group.id):
        lines += _cluster(graph, child, number * 100 + child_number + 1, node_style, indent + "  ")
    lines.append(f"{indent}}}")
    return lines


def _packet(graph: DiagramGraph, style: Style) -> str:
    """An HTML-table packet: a bit ruler, then each field split over the 32-bit rows it
    spans; a field of whole rows is one tall cell."""
    rows: list[list[str]] = [[]]
    used = 0
    for field in graph.fields:
        left = field.bits
        first = True
        if used == 0 and left % ROW_BITS == 0 and left > ROW_BITS:
            span = left // ROW_BITS
            rows[-1].append(_cell(field.label, ROW_BITS, span, style))
            rows += [[] for _ in range(span)]  # covered by the rowspan
            continue
        while left > 0:
            take = min(left, ROW_BITS - used)
            rows[-1].append(_cell(field.label if first else "", take, 1, style))
            first, left, used = False, left - take, used + take
            if used == ROW_BITS:
                rows.append([])
                used = 0
    ruler = "".join(
        f'<td width="14" border="0"><font point-size="{max(7, style.font_size - 4)}">{bit}</font></td>'
        for bit in range(ROW_BITS)
    )
    body = "".join(f"<tr>{''.join(row)}</tr>" for row in rows if row)
    title = f'<tr><td colspan="{ROW_BITS}" border="0"><b>{_html(graph.title)}</b></td></tr>' if graph.title else ""  # fmt: skip
    label = f'<<table border="0" cellborder="1" cellspacing="0" cellpadding="4">{title}<tr>{ruler}</tr>{body}</table>>'  # fmt: skip
    return (
        f"digraph G {{\n  graph [bgcolor=white, pad=0.3];\n"
        f"  node [shape=plaintext, fontname={quoted(style.font)}, fontsize={style.font_size}, fontcolor={quoted(style.font_colour)}];\n"
        f"  packet [label={label}];\n}}\n"
    )  # fmt: skip


def _cell(label: str, bits: int, rows: int, style: Style) -> str:
    fill = style.fill
    span = f' rowspan="{rows}"' if rows > 1 else ""
    return f'<td colspan="{bits}"{span} bgcolor="{fill}">{_html(label) or " "}</td>'


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
