"""A plain graph model of a diagram, shared by Mermaid emit/parse, captioners and metrics.

Nodes are keyed by id; edges and messages name node ids. Labels are what a reader sees.
`graph_to_logical` / `logical_to_graph` convert to and from `ictrag.model.LogicalText`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

from ictrag.model import FigureType, LogicalText, Relation

Kind = Literal[
    "flowchart", "sequence", "state", "topology", "packet", "architecture", "class", "other"
]
KINDS: tuple[str, ...] = Kind.__args__  # type: ignore[attr-defined]
PSEUDO_SHAPES = ("start", "end")
"""State-diagram `[*]` pseudo-states: nodes, but not components a reader would name."""


@dataclass
class Node:
    id: str
    label: str = ""
    shape: str = "rect"
    """rect, round, stadium, subroutine, database, circle, double_circle, asymmetric,
    decision, hexagon, parallelogram, parallelogram_alt, trapezoid, trapezoid_alt,
    actor/participant (sequence), state, start, end, fork, join, choice, service,
    junction, class, block."""
    attrs: list[str] = field(default_factory=list)
    """Class members or state descriptions beyond the label."""

    def __post_init__(self) -> None:
        if not self.label:
            self.label = self.id


@dataclass
class Edge:
    source: str
    target: str
    label: str = ""
    directed: bool = True
    style: str = "solid"
    """solid, dotted, thick or invisible."""
    source_label: str = ""
    """Text printed at the source end (a topology link's interface or port); `label` then
    holds the end labels and the middle text joined, upper-or-left end first."""
    target_label: str = ""


@dataclass
class Message:
    source: str
    target: str
    label: str = ""
    order: int = 0
    arrow: str = "->>"


@dataclass
class Note:
    targets: list[str]
    text: str
    position: str = "over"


@dataclass
class Group:
    """A subgraph, composite state, box, namespace or architecture group."""

    id: str
    label: str = ""
    members: list[str] = field(default_factory=list)
    parent: str | None = None

    def __post_init__(self) -> None:
        if not self.label:
            self.label = self.id


@dataclass
class Block:
    """A sequence control block (alt, opt, loop, par, critical, break, rect) over messages
    with order in [start, end); `branches` are (label, first order) of else/and/option parts."""

    kind: str
    label: str = ""
    start: int = 0
    end: int = 0
    branches: list[tuple[str, int]] = field(default_factory=list)


@dataclass
class PacketField:
    start: int
    end: int
    label: str

    @property
    def bits(self) -> int:
        return self.end - self.start + 1


@dataclass
class DiagramGraph:
    kind: str = "flowchart"
    direction: str = "TD"
    title: str = ""
    syntax: str = ""
    """The Mermaid header the graph was parsed from (flowchart, block-beta, ...), if any."""
    nodes: dict[str, Node] = field(default_factory=dict)
    edges: list[Edge] = field(default_factory=list)
    messages: list[Message] = field(default_factory=list)
    participants: list[str] = field(default_factory=list)
    groups: list[Group] = field(default_factory=list)
    blocks: list[Block] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    fields: list[PacketField] = field(default_factory=list)

    def add_node(self, node_id: str, label: str | None = None, shape: str | None = None) -> Node:
        """Create the node or update it; as in Mermaid, the last label given wins."""
        node = self.nodes.get(node_id)
        if node is None:
            node = self.nodes[node_id] = Node(node_id, label or node_id, shape or "rect")
        else:
            if label:
                node.label = label
            if shape:
                node.shape = shape
        return node

    def add_participant(self, node_id: str, label: str | None = None, shape: str = "participant"):
        node = self.add_node(node_id, label, None if node_id in self.nodes else shape)
        if node_id not in self.participants:
            self.participants.append(node_id)
        return node

    def add_message(self, source: str, target: str, label: str = "", arrow: str = "->>") -> None:
        self.add_participant(source)
        self.add_participant(target)
        self.messages.append(Message(source, target, label, len(self.messages), arrow))

    def group(self, group_id: str) -> Group | None:
        return next((group for group in self.groups if group.id == group_id), None)

    def label_of(self, node_id: str) -> str:
        node = self.nodes.get(node_id)
        if node is not None:
            return node.label
        group = self.group(node_id)
        return group.label if group is not None else node_id

    def component_labels(self) -> list[str]:
        """What a reader would list as the parts: node labels (not pseudo-states), or the
        field labels of a packet."""
        labels = [node.label for node in self.nodes.values() if node.shape not in PSEUDO_SHAPES]
        return labels + [item.label for item in self.fields]


_FIGURE_TYPES = {
    "flowchart": FigureType.flowchart,
    "sequence": FigureType.sequence,
    "state": FigureType.state,
    "topology": FigureType.topology,
    "packet": FigureType.packet,
    "architecture": FigureType.architecture,
}


def graph_to_logical(
    graph: DiagramGraph,
    *,
    summary: str = "",
    mermaid: str | None = None,
    backend: str = "",
    model: str = "",
    confidence: float = 0.0,
) -> LogicalText:
    """Components are the node (or packet field) labels in order, without repeats; relations
    are edges, then messages in order, then packet fields, then group membership."""
    components: list[str] = []
    for label in graph.component_labels():
        if label not in components:
            components.append(label)
    relations = [
        Relation(
            source=graph.label_of(edge.source),
            target=graph.label_of(edge.target),
            label=edge.label,
            kind="edge",
            directed=edge.directed,
            source_label=edge.source_label or None,
            target_label=edge.target_label or None,
        )
        for edge in graph.edges
    ]
    relations += [
        Relation(
            source=graph.label_of(message.source),
            target=graph.label_of(message.target),
            label=message.label,
            kind="message",
        )
        for message in sorted(graph.messages, key=lambda message: message.order)
    ]
    relations += [
        Relation(
            source=item.label,
            target=f"bits {item.start}-{item.end}",
            label=f"{item.bits} bits",
            kind="field",
            directed=False,
        )
        for item in graph.fields
    ]
    for group in graph.groups:
        relations += [
            Relation(source=group.label, target=graph.label_of(member), kind="contains")
            for member in group.members
        ]
    return LogicalText(
        figure_type=_FIGURE_TYPES.get(graph.kind, FigureType.other),
        summary=summary or graph.title,
        components=components,
        relations=relations,
        mermaid=mermaid,
        backend=backend,
        model=model,
        confidence=confidence,
    )


_FIELD_BITS = re.compile(r"^bits (\d+)-(\d+)$")


def logical_to_graph(logical: LogicalText) -> DiagramGraph:
    """Rebuild a graph from logical text: node ids are slugs of the labels."""
    kind = logical.figure_type.value if logical.figure_type.value in KINDS else "other"
    graph = DiagramGraph(kind=kind, title=logical.summary)
    ids: dict[str, str] = {}

    def node_for(label: str) -> str:
        if label not in ids:
            ids[label] = _unique_slug(label, graph.nodes)
            graph.add_node(ids[label], label)
        return ids[label]

    is_sequence = kind == "sequence"
    for label in logical.components:
        if kind == "packet":
            continue
        node_id = node_for(label)
        if is_sequence:
            graph.add_participant(node_id, label)
    groups: dict[str, Group] = {}
    for relation in logical.relations:
        if relation.kind == "field":
            match = _FIELD_BITS.match(relation.target)
            if match:
                graph.fields.append(PacketField(int(match[1]), int(match[2]), relation.source))
            continue
        if relation.kind == "contains":
            group = groups.get(relation.source)
            if group is None:
                slug = _unique_slug(relation.source, {group.id for group in graph.groups})
                group = groups[relation.source] = Group(slug, relation.source)
                graph.groups.append(group)
            group.members.append(node_for(relation.target))
            continue
        source, target = node_for(relation.source), node_for(relation.target)
        if relation.kind == "message":
            graph.add_message(source, target, relation.label)
        else:
            graph.edges.append(Edge(source, target, relation.label, relation.directed))
    return graph


def _unique_slug(label: str, taken) -> str:
    base = re.sub(r"\W+", "_", label).strip("_") or "n"
    slug, n = base, 1
    while slug in taken:
        n += 1
        slug = f"{base}_{n}"
    return slug


def state_node(graph: DiagramGraph, stack: list[Group], ref: str, as_source: bool) -> str:
    """The node a state-diagram reference names, added when new: `[*]` is the start (as a
    source) or end (as a target) of the innermost open composite state in `stack`, which a
    state not yet in any group joins."""
    scope = stack[-1].id if stack else ""
    if ref == "[*]":
        kind = "start" if as_source else "end"
        node_id = f"{scope}__{kind}__" if scope else f"__{kind}__"
        graph.add_node(node_id, kind, kind)
    else:
        node_id = ref
        if node_id not in graph.nodes:
            graph.add_node(node_id, shape="state")
    placed = any(node_id in group.members for group in graph.groups)
    if stack and not placed and node_id != stack[-1].id:
        stack[-1].members.append(node_id)
    return node_id
