"""Emit Mermaid source from a DiagramGraph: flowchart, sequenceDiagram, stateDiagram-v2,
packet-beta and classDiagram. Labels are made safe for each context (entity codes where
Mermaid decodes them, plain substitutions where it renders text verbatim), so that
`parse(emit(graph))` gives back the labels that the rendered picture shows."""

from __future__ import annotations

import json
import re

from ictrag.figures.graph import DiagramGraph, Edge, Group, Node
from ictrag.figures.mermaid.syntax import escape_label, plain_label

RESERVED = {
    "end",
    "graph",
    "subgraph",
    "flowchart",
    "style",
    "class",
    "classdef",
    "click",
    "linkstyle",
    "default",
    "direction",
    "call",
    "href",
    "state",
    "note",
    "participant",
    "actor",
    "as",
    "loop",
    "alt",
    "else",
    "opt",
    "par",
    "and",
    "rect",
    "critical",
    "break",
    "option",
    "box",
    "title",
    "acctitle",
    "accdescr",
    "namespace",
    "autonumber",
    "activate",
    "deactivate",
}
FLOW_SHAPES = {
    "rect": ("[", "]"),
    "round": ("(", ")"),
    "stadium": ("([", "])"),
    "subroutine": ("[[", "]]"),
    "database": ("[(", ")]"),
    "circle": ("((", "))"),
    "double_circle": ("(((", ")))"),
    "asymmetric": (">", "]"),
    "decision": ("{", "}"),
    "hexagon": ("{{", "}}"),
    "parallelogram": ("[/", "/]"),
    "parallelogram_alt": ("[\\", "\\]"),
    "trapezoid": ("[/", "\\]"),
    "trapezoid_alt": ("[\\", "/]"),
    "start": ("((", "))"),
    "end": ("(((", ")))"),
    "choice": ("{", "}"),
    "junction": ("((", "))"),
}
FLOW_LINKS = {
    ("solid", True): "-->",
    ("solid", False): "---",
    ("dotted", True): "-.->",
    ("dotted", False): "-.-",
    ("thick", True): "==>",
    ("thick", False): "===",
}
CLASS_FORBIDDEN = {";": ",", ":": ",", "~": "-", "{": "(", "}": ")"}
GROUP_RECT = "rect rgb(240, 240, 240)"
"""A PlantUML `group` frame (or a drawn one): Mermaid's nearest block, which takes no label."""
SEQ_ARROWS = {"->>", "-->>", "->", "-->", "-x", "--x", "-)", "--)", "<<->>", "<<-->>"}


class _Ids:
    """Mermaid-safe ids: keep an id that is a plain identifier, else n1, n2, ..."""

    def __init__(self, graph: DiagramGraph) -> None:
        self.map: dict[str, str] = {}
        taken = set(graph.nodes) | {group.id for group in graph.groups}
        for original in list(graph.nodes) + [group.id for group in graph.groups]:
            if original in self.map:
                continue
            if (
                re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", original)
                and original.lower() not in RESERVED
            ):
                self.map[original] = original
            else:
                n = len(self.map) + 1
                while f"n{n}" in taken:
                    n += 1
                self.map[original] = f"n{n}"
                taken.add(f"n{n}")

    def __call__(self, original: str) -> str:
        return self.map.get(original) or self.map.setdefault(original, f"x{len(self.map) + 1}")


def emit(graph: DiagramGraph) -> str:
    """Mermaid source for the graph; labels are quoted/entity-escaped so any text is safe."""
    kind = graph.kind
    if kind == "sequence":
        body = _emit_sequence(graph)
    elif kind == "state":
        body = _emit_state(graph)
    elif kind == "packet":
        body = _emit_packet(graph)
    elif kind == "class":
        body = _emit_class(graph)
    else:
        body = _emit_flowchart(graph)
    head = []
    if graph.title and kind != "packet":
        head.append(f"---\ntitle: {json.dumps(' '.join(graph.title.split()))}\n---")
    if kind not in ("flowchart", "sequence", "state", "packet", "class"):
        head.append(f"%% ictrag-kind: {kind}")
    return "\n".join(head + body) + "\n"


def _direction(graph: DiagramGraph) -> str:
    return graph.direction if graph.direction in ("TD", "TB", "BT", "RL", "LR") else "TD"


def _emit_flowchart(graph: DiagramGraph) -> list[str]:
    ids = _Ids(graph)
    lines = [f"flowchart {_direction(graph)}"]
    grouped = {member for group in graph.groups for member in group.members}

    def node_line(node: Node, indent: str) -> str:
        open_, close = FLOW_SHAPES.get(node.shape, ("[", "]"))
        return f'{indent}{ids(node.id)}{open_}"{plain_label(node.label)}"{close}'

    def emit_group(group: Group, indent: str) -> None:
        lines.append(f'{indent}subgraph {ids(group.id)}["{plain_label(group.label)}"]')
        for member in group.members:
            if member in graph.nodes:
                lines.append(node_line(graph.nodes[member], indent + "  "))
        for child in graph.groups:
            if child.parent == group.id and child is not group:
                emit_group(child, indent + "  ")
        lines.append(f"{indent}end")

    known = {group.id for group in graph.groups}
    for group in graph.groups:
        if group.parent is None or group.parent not in known:
            emit_group(group, "  ")
    lines += [node_line(node, "  ") for node in graph.nodes.values() if node.id not in grouped]
    for edge in graph.edges:
        if edge.style == "invisible":
            lines.append(f"  {ids(edge.source)} ~~~ {ids(edge.target)}")
            continue
        link = FLOW_LINKS[
            (edge.style if edge.style in ("dotted", "thick") else "solid", edge.directed)
        ]
        label = f'|"{plain_label(edge.label)}"|' if edge.label else ""
        lines.append(f"  {ids(edge.source)} {link}{label} {ids(edge.target)}")
    return lines


def _emit_sequence(graph: DiagramGraph) -> list[str]:
    ids = _Ids(graph)
    lines = ["sequenceDiagram"]
    order = list(graph.participants) + [n for n in graph.nodes if n not in graph.participants]
    for node_id in order:
        node = graph.nodes.get(node_id) or Node(node_id)
        keyword = "actor" if node.shape == "actor" else "participant"
        lines.append(f"  {keyword} {ids(node_id)} as {escape_label(node.label, ':,<>-')}")
    blocks = [block for block in graph.blocks if block.end > block.start]
    messages = sorted(graph.messages, key=lambda message: message.order)
    depth = 1
    for index, message in enumerate(messages):
        for block in sorted(blocks, key=lambda b: (b.start, -b.end)):
            if block.start == index:
                if block.kind == "group":  # no labelled group frame in Mermaid: a shaded span
                    lines.append("  " * depth + GROUP_RECT)
                else:
                    lines.append(
                        "  " * depth + f"{block.kind} {escape_label(block.label)}".rstrip()
                    )
                depth += 1
        for block in blocks:
            for label, first in block.branches:
                if first == index and block.start < index < block.end:
                    branch = (
                        "and"
                        if block.kind == "par"
                        else "option"
                        if block.kind == "critical"
                        else "else"
                    )
                    lines.append("  " * (depth - 1) + f"{branch} {escape_label(label)}".rstrip())
        arrow = message.arrow if message.arrow in SEQ_ARROWS else "->>"
        text = escape_label(message.label)
        lines.append(
            "  " * depth + f"{ids(message.source)}{arrow}{ids(message.target)}: {text}".rstrip()
        )
        for block in sorted(blocks, key=lambda b: (-b.start, b.end)):
            if block.end == index + 1:
                depth -= 1
                lines.append("  " * depth + "end")
    for note in graph.notes:
        targets = [ids(target) for target in note.targets if target in graph.nodes][:2]
        if targets and note.text:
            position = note.position if note.position in ("left of", "right of") else "over"
            if position != "over":
                targets = targets[:1]
            lines.append(f"  Note {position} {','.join(targets)}: {escape_label(note.text)}")
    return lines


def _emit_state(graph: DiagramGraph) -> list[str]:
    ids = _Ids(graph)
    lines = ["stateDiagram-v2"]
    if _direction(graph) != "TD":
        lines.append(f"  direction {_direction(graph)}")
    parent_of = {member: group.id for group in graph.groups for member in group.members}
    parent_of.update({group.id: group.parent for group in graph.groups if group.parent})

    def chain(node_id: str) -> list[str]:
        out, seen = [], set()
        while node_id in parent_of and node_id not in seen:
            seen.add(node_id)
            node_id = parent_of[node_id]
            out.append(node_id)
        return out

    def ref(node_id: str) -> str:
        node = graph.nodes.get(node_id)
        return "[*]" if node is not None and node.shape in ("start", "end") else ids(node_id)

    def scope_of(edge: Edge) -> str | None:
        # The innermost composite holding both ends; a pseudo-state belongs to its own scope.
        source_chain = chain(edge.source)
        target_chain = set(chain(edge.target))
        return next((group for group in source_chain if group in target_chain), None)

    def emit_scope(scope: str | None, indent: str) -> None:
        for node in graph.nodes.values():
            if parent_of.get(node.id) != scope or node.shape in ("start", "end"):
                continue
            stereo = f" <<{node.shape}>>" if node.shape in ("fork", "join", "choice") else ""
            if graph.group(node.id) is not None:
                continue
            lines.append(f'{indent}state "{plain_label(node.label)}" as {ids(node.id)}{stereo}')
        for group in graph.groups:
            if group.parent == scope:
                lines.append(f'{indent}state "{plain_label(group.label)}" as {ids(group.id)} {{')
                emit_scope(group.id, indent + "  ")
                lines.append(f"{indent}}}")
        for edge in graph.edges:
            if scope_of(edge) == scope:
                label = f" : {plain_label(edge.label, {';': ','})}" if edge.label else ""
                lines.append(f"{indent}{ref(edge.source)} --> {ref(edge.target)}{label}")

    emit_scope(None, "  ")
    return lines


def _emit_packet(graph: DiagramGraph) -> list[str]:
    lines = ["packet-beta"]
    if graph.title:
        lines.append(f"  title {plain_label(graph.title)}")
    for item in sorted(graph.fields, key=lambda field: field.start):
        bits = f"{item.start}" if item.end == item.start else f"{item.start}-{item.end}"
        lines.append(f'  {bits}: "{escape_label(item.label)}"')
    return lines


def _emit_class(graph: DiagramGraph) -> list[str]:
    ids = _Ids(graph)
    lines = ["classDiagram"]
    if _direction(graph) != "TD":
        lines.append(f"  direction {_direction(graph)}")
    for node in graph.nodes.values():
        lines.append(f'  class {ids(node.id)}["{plain_label(node.label, CLASS_FORBIDDEN)}"]')
        for attr in node.attrs:
            lines.append(f"  {ids(node.id)} : {plain_label(attr, CLASS_FORBIDDEN)}")
    for edge in graph.edges:
        link = (".." if edge.style == "dotted" else "--") + (">" if edge.directed else "")
        label = f" : {plain_label(edge.label, CLASS_FORBIDDEN)}" if edge.label else ""
        lines.append(f"  {ids(edge.source)} {link} {ids(edge.target)}{label}")
    return lines
