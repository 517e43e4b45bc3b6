"""Mermaid emit / parse / validate over the plain graph model (ictrag.figures.graph).

    graph = parse(code)            # DiagramGraph, or MermaidError (one line)
    ok, reason = validate(code)    # never raises
    code = emit(graph)             # flowchart, sequenceDiagram, stateDiagram-v2, packet-beta, classDiagram

Parsed: flowchart/graph, sequenceDiagram, stateDiagram(-v2), packet(-beta), classDiagram,
architecture-beta and block-beta (best effort). Kinds without a Mermaid syntax of their own
(topology, architecture, other) are emitted as flowcharts with a `%% ictrag-kind:` comment
that `parse` reads back.
"""

from __future__ import annotations

import re

from ictrag.figures.graph import (
    KINDS,
    Block,
    DiagramGraph,
    Edge,
    Group,
    Node,
    PacketField,
    graph_to_logical,
    logical_to_graph,
)
from ictrag.figures.mermaid.emitter import emit
from ictrag.figures.mermaid.flowchart import parse_block, parse_flowchart
from ictrag.figures.mermaid.sequence import parse_class, parse_sequence, parse_state
from ictrag.figures.mermaid.syntax import (
    KIND_COMMENT,
    Line,
    MermaidError,
    clean_label,
    preprocess,
)

__all__ = [
    "Block",
    "DiagramGraph",
    "Edge",
    "Group",
    "MermaidError",
    "Node",
    "PacketField",
    "emit",
    "graph_to_logical",
    "logical_to_graph",
    "parse",
    "validate",
]

HEADERS = {
    "flowchart": "flowchart",
    "graph": "flowchart",
    "flowchart-elk": "flowchart",
    "sequenceDiagram": "sequence",
    "stateDiagram": "state",
    "stateDiagram-v2": "state",
    "packet-beta": "packet",
    "packet": "packet",
    "classDiagram": "class",
    "classDiagram-v2": "class",
    "architecture-beta": "architecture",
    "architecture": "architecture",
    "block-beta": "block",
    "block": "block",
}


# -- parse --------------------------------------------------------------------------------
def parse(code: str) -> DiagramGraph:
    """Read Mermaid source into a DiagramGraph; raise MermaidError (one line) if unreadable."""
    try:
        return _parse(code)
    except MermaidError:
        raise
    except Exception as error:  # a parser bug must still be one clean error
        raise MermaidError(f"cannot parse Mermaid: {type(error).__name__}: {error}") from None


def validate(code: str) -> tuple[bool, str]:
    """(True, "") when `code` parses into a non-empty diagram, else (False, reason)."""
    try:
        graph = parse(code)
    except MermaidError as error:
        return False, str(error)
    if not (graph.nodes or graph.fields or graph.messages):
        return False, "diagram has no nodes"
    return True, ""


def _parse(code: str) -> DiagramGraph:
    # Sequence message text may hold `%%`; elsewhere a `%%` outside quotes starts a comment.
    is_sequence = isinstance(code, str) and re.match(
        r"\s*(---.*?---\s*)?sequenceDiagram", code, re.S
    )
    lines, title = preprocess(code, trailing_comments=not is_sequence)
    if not lines:
        raise MermaidError("empty Mermaid source")
    header = lines[0].text
    word = re.match(r"[\w-]+", header)
    family = HEADERS.get(word[0]) if word else None
    if family is None:
        raise MermaidError(f"unsupported diagram type {header.split()[0][:40]!r}")
    kind = "architecture" if family == "block" else family
    graph = DiagramGraph(kind=kind, title=title)
    if family == "flowchart":
        parse_flowchart(lines, header, graph)
    elif family == "sequence":
        parse_sequence(lines, graph)
    elif family == "state":
        parse_state(lines, graph)
    elif family == "class":
        parse_class(lines, graph)
    elif family == "packet":
        _parse_packet(lines, graph)
    elif family == "architecture":
        _parse_architecture(lines, graph)
    else:
        parse_block(lines, graph)
    if family in ("state", "class") and len(lines) > 1:
        direction = re.search(r"^\s*direction\s+(TB|TD|BT|RL|LR)\b", code, re.MULTILINE)
        if direction:
            graph.direction = "TD" if direction[1] == "TB" else direction[1]
    marker = KIND_COMMENT.search(code)
    if marker and marker[1] in KINDS:
        graph.kind = marker[1]
    return graph


FIELD = re.compile(
    r'^(?:(?P<start>\d+)(?:-(?P<end>\d+))?|\+(?P<count>\d+))\s*:\s*(?P<label>".*"|.+)$'
)


def _parse_packet(lines: list[Line], graph: DiagramGraph) -> None:
    graph.syntax = lines[0].text.split()[0]
    next_bit = 0
    for line in lines[1:]:
        text = line.text
        if text.startswith("title"):
            graph.title = clean_label(text[5:])
            continue
        if re.match(r"(accTitle|accDescr)\b", text):
            continue
        match = FIELD.match(text)
        if not match:
            raise MermaidError(f"line {line.number}: cannot read packet field {text!r}")
        if match["count"]:
            start, end = next_bit, next_bit + int(match["count"]) - 1
        else:
            start = int(match["start"])
            end = int(match["end"]) if match["end"] else start
        if end < start:
            raise MermaidError(f"line {line.number}: field ends at bit {end} before {start}")
        graph.fields.append(PacketField(start, end, clean_label(match["label"])))
        next_bit = end + 1


ARCH_ITEM = re.compile(
    r"^(?P<kind>group|service|junction)\s+(?P<id>[\w-]+)\s*(?:\((?P<icon>[^)]*)\))?"
    r"\s*(?:\[(?P<label>[^\]]*)\])?\s*(?:in\s+(?P<parent>[\w-]+))?\s*$"
)
ARCH_EDGE = re.compile(
    r"^(?P<a>[\w-]+)(?:\{group\})?\s*(?::(?P<sa>[LRTB]))?\s*(?P<l><)?--(?P<r>>)?"
    r"\s*(?:(?P<sb>[LRTB]):)?\s*(?P<b>[\w-]+)(?:\{group\})?\s*$"
)


def _parse_architecture(lines: list[Line], graph: DiagramGraph) -> None:
    graph.syntax = "architecture-beta"
    for line in lines[1:]:
        text = line.text
        match = ARCH_ITEM.match(text)
        if match:
            label = clean_label(match["label"] or "") or match["id"]
            if match["kind"] == "group":
                graph.groups.append(Group(match["id"], label, parent=match["parent"]))
            else:
                shape = "junction" if match["kind"] == "junction" else "service"
                graph.add_node(match["id"], label, shape)
                if match["parent"]:
                    group = graph.group(match["parent"])
                    if group is None:
                        raise MermaidError(f"line {line.number}: unknown group {match['parent']!r}")
                    group.members.append(match["id"])
            continue
        match = ARCH_EDGE.match(text)
        if match:
            for node_id in (match["a"], match["b"]):
                if node_id not in graph.nodes and graph.group(node_id) is None:
                    graph.add_node(node_id, shape="service")
            directed = bool(match["r"]) != bool(match["l"])
            source, target = match["a"], match["b"]
            if match["l"] and not match["r"]:
                source, target = target, source
            graph.edges.append(Edge(source, target, "", directed))
            continue
        if re.match(r"(title|accTitle|accDescr)\b", text):
            continue
        raise MermaidError(f"line {line.number}: cannot read {text!r}")
