"""A figure's structure as a graph an agent can ask: neighbours, path, between.

    graph = figure_graph(figure, FigureRef(...))   # from the stored Mermaid, else the relations
    neighbours(graph, "MME"); path(graph, "Start", "End"); between(graph, "UE", "MME")

Node names are matched by exact label (or id), then case- and space-insensitively, then as
a unique substring; an unknown or ambiguous name raises `GraphQueryError` (one line, with
the closest names).
"""

from __future__ import annotations

import difflib
import re
from collections import deque
from pathlib import PurePath
from typing import Literal

from pydantic import BaseModel, Field

from ictrag.figures.graph import DiagramGraph, logical_to_graph
from ictrag.figures.mermaid import MermaidError, parse
from ictrag.model import Document, Figure


class GraphQueryError(LookupError):
    """A node name that names no node, or several; the message is one line."""


class AmbiguousNode(GraphQueryError):
    """A node name that fits several nodes."""


class FigureRef(BaseModel):
    id: str
    doc: str
    doc_id: str
    label: str = ""
    page: int = 1


class GraphNode(BaseModel):
    id: str
    label: str
    kind: str = "rect"
    """The Mermaid shape: rect, decision, participant, actor, state, service, ..."""


class GraphEdge(BaseModel):
    source: str
    target: str
    source_label: str
    target_label: str
    label: str = ""
    directed: bool = True


class GraphMessage(BaseModel):
    order: int
    """1-based, in the order the diagram draws them."""
    source: str
    target: str
    source_label: str
    target_label: str
    text: str = ""


class GraphNote(BaseModel):
    targets: list[str]
    target_labels: list[str]
    text: str


class GraphGroup(BaseModel):
    id: str
    label: str
    members: list[str] = Field(default_factory=list)
    member_labels: list[str] = Field(default_factory=list)
    parent: str | None = None


class FigureGraph(BaseModel):
    figure: FigureRef
    type: str | None = None
    confidence: float | None = None
    source: Literal["mermaid", "relations", "none"] = "none"
    """Where the graph was read from: the stored Mermaid, or the relations when there is no
    readable Mermaid."""
    nodes: list[GraphNode] = Field(default_factory=list)
    edges: list[GraphEdge] = Field(default_factory=list)
    messages: list[GraphMessage] = Field(default_factory=list)
    notes: list[GraphNote] = Field(default_factory=list)
    groups: list[GraphGroup] = Field(default_factory=list)


class Neighbour(BaseModel):
    node: GraphNode
    direction: Literal["out", "in", "undirected"]
    label: str = ""


class NeighbourMessage(BaseModel):
    order: int
    direction: Literal["sent", "received", "self"]
    peer: GraphNode
    text: str = ""


class Neighbours(BaseModel):
    figure: FigureRef
    node: GraphNode
    neighbours: list[Neighbour] = Field(default_factory=list)
    messages: list[NeighbourMessage] = Field(default_factory=list)
    groups: list[str] = Field(default_factory=list)
    """Labels of the groups (subgraphs, zones) that hold the node."""


class PathStep(BaseModel):
    source: GraphNode
    target: GraphNode
    label: str = ""
    kind: Literal["edge", "message"] = "edge"
    forward: bool = True
    """False when the step walks a directed edge or message against its direction."""


class PathAnswer(BaseModel):
    figure: FigureRef
    source: GraphNode
    target: GraphNode
    found: bool
    directed: bool
    """True when the path follows every arrow; False for the undirected fallback."""
    nodes: list[GraphNode] = Field(default_factory=list)
    steps: list[PathStep] = Field(default_factory=list)


class Between(BaseModel):
    figure: FigureRef
    a: GraphNode
    b: GraphNode
    edges: list[GraphEdge] = Field(default_factory=list)
    messages: list[GraphMessage] = Field(default_factory=list)
    """Messages either way between the two, in diagram order."""


# -- building -----------------------------------------------------------------------------
def ref_of(figure: Figure, document: Document) -> FigureRef:
    """Which figure a graph is of: id, document (title or file name), doc id, label, page."""
    doc = document.title or PurePath(document.source).name
    return FigureRef(id=figure.id, doc=doc, doc_id=document.id, label=figure.label,
                     page=figure.page)  # fmt: skip


def diagram_of(figure: Figure) -> tuple[DiagramGraph | None, str]:
    """The figure's diagram and where it came from; Mermaid first (it keeps shapes, notes
    and groups), the relations when the Mermaid is missing or unreadable."""
    logical = figure.logical
    if logical is None:
        return None, "none"
    if logical.mermaid:
        try:
            graph = parse(logical.mermaid)
        except MermaidError:
            graph = None
        if graph is not None and (graph.nodes or graph.messages):
            return graph, "mermaid"
    if logical.relations or logical.components:
        return logical_to_graph(logical), "relations"
    return None, "none"


def figure_graph(figure: Figure, ref: FigureRef) -> FigureGraph:
    logical = figure.logical
    out = FigureGraph(
        figure=ref,
        type=logical.figure_type.value if logical else None,
        confidence=logical.confidence if logical else None,
    )
    graph, out.source = diagram_of(figure)
    if graph is None:
        return out
    label = graph.label_of
    out.nodes = [GraphNode(id=n.id, label=n.label, kind=n.shape) for n in graph.nodes.values()]
    out.edges = [
        GraphEdge(source=e.source, target=e.target, source_label=label(e.source),
                  target_label=label(e.target), label=e.label, directed=e.directed)
        for e in graph.edges
        if e.style != "invisible"
    ]  # fmt: skip
    out.messages = [
        GraphMessage(order=i + 1, source=m.source, target=m.target, source_label=label(m.source),
                     target_label=label(m.target), text=m.label)
        for i, m in enumerate(sorted(graph.messages, key=lambda m: m.order))
    ]  # fmt: skip
    out.notes = [
        GraphNote(targets=list(n.targets), target_labels=[label(t) for t in n.targets], text=n.text)
        for n in graph.notes
    ]
    out.groups = [
        GraphGroup(id=g.id, label=g.label, members=list(g.members),
                   member_labels=[label(m) for m in g.members], parent=g.parent)
        for g in graph.groups
    ]  # fmt: skip
    return out


# -- node names ---------------------------------------------------------------------------
def _squash(text: str) -> str:
    return "".join(text.split()).casefold()


def find_node(graph: FigureGraph, name: str) -> GraphNode:
    """Exact label or id, then case/space-insensitive, then a unique substring."""
    wanted = name.strip()
    if not wanted:
        raise GraphQueryError("empty node name")
    nodes = graph.nodes
    for test in (
        lambda n: n.label == wanted or n.id == wanted,
        lambda n: _squash(n.label) == _squash(wanted),
    ):
        hits = [n for n in nodes if test(n)]
        if len(hits) == 1:
            return hits[0]
        if hits:
            raise AmbiguousNode(_ambiguous(name, hits))
    hits = [n for n in nodes if _squash(wanted) in _squash(n.label)]
    if len(hits) == 1:
        return hits[0]
    if hits:
        raise AmbiguousNode(_ambiguous(name, hits))
    close = _close_labels(wanted, [n.label for n in nodes])
    hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
    if not nodes:
        hint = "; the figure has no recovered structure"
    raise GraphQueryError(f"no node {name!r} in {_figure_name(graph)}{hint}")


def _close_labels(wanted: str, labels: list[str]) -> list[str]:
    """Labels sharing a word with the name (most alike first), then merely alike ones."""
    words = {w for w in re.findall(r"\w+", wanted.casefold()) if len(w) > 1}

    def alike(label: str) -> float:
        return difflib.SequenceMatcher(None, wanted.casefold(), label.casefold()).ratio()

    sharing = [lab for lab in labels if words & set(re.findall(r"\w+", lab.casefold()))]
    close = sorted(sharing, key=alike, reverse=True)
    close += [c for c in difflib.get_close_matches(wanted, labels, n=5, cutoff=0.5) if c not in close]
    return close[:5]


def _ambiguous(name: str, nodes: list[GraphNode]) -> str:
    names = ", ".join(repr(n.label) for n in nodes[:8])
    return f"node {name!r} is ambiguous: {names}; give more of the label"


def _figure_name(graph: FigureGraph) -> str:
    return graph.figure.label or f"figure {graph.figure.id[:16]}"


# -- questions ----------------------------------------------------------------------------
def neighbours(graph: FigureGraph, name: str) -> Neighbours:
    node = find_node(graph, name)
    by_id = {n.id: n for n in graph.nodes}
    found: list[Neighbour] = []
    for edge in graph.edges:
        if edge.source == node.id and edge.target in by_id:
            direction = "out" if edge.directed else "undirected"
            found.append(Neighbour(node=by_id[edge.target], direction=direction, label=edge.label))
        elif edge.target == node.id and edge.source in by_id:
            direction = "in" if edge.directed else "undirected"
            found.append(Neighbour(node=by_id[edge.source], direction=direction, label=edge.label))
    messages = []
    for message in graph.messages:
        if node.id not in (message.source, message.target):
            continue
        if message.source == message.target:
            direction, peer = "self", node.id
        elif message.source == node.id:
            direction, peer = "sent", message.target
        else:
            direction, peer = "received", message.source
        messages.append(NeighbourMessage(order=message.order, direction=direction,
                                         peer=by_id.get(peer, node), text=message.text))  # fmt: skip
    groups = [g.label for g in graph.groups if node.id in g.members]
    return Neighbours(figure=graph.figure, node=node, neighbours=found, messages=messages,
                      groups=groups)  # fmt: skip


def path(graph: FigureGraph, a: str, b: str) -> PathAnswer:
    """Shortest path following the arrows; if there is none, the shortest ignoring them."""
    start, goal = find_node(graph, a), find_node(graph, b)
    by_id = {n.id: n for n in graph.nodes}
    for directed in (True, False):
        steps = _bfs(graph, start.id, goal.id, directed)
        if steps is not None:
            nodes = [start] + [by_id[step.target.id] for step in steps]
            return PathAnswer(figure=graph.figure, source=start, target=goal, found=True,
                              directed=directed, nodes=nodes, steps=steps)  # fmt: skip
    return PathAnswer(figure=graph.figure, source=start, target=goal, found=False, directed=False)


def _bfs(graph: FigureGraph, start: str, goal: str, directed: bool) -> list[PathStep] | None:
    by_id = {n.id: n for n in graph.nodes}
    links: dict[str, list[PathStep]] = {}

    def link(source: str, target: str, label: str, kind: str, arrow: bool) -> None:
        if source not in by_id or target not in by_id:
            return
        links.setdefault(source, []).append(
            PathStep(source=by_id[source], target=by_id[target], label=label, kind=kind)
        )
        if not arrow or not directed:
            links.setdefault(target, []).append(
                PathStep(source=by_id[target], target=by_id[source], label=label, kind=kind,
                         forward=not arrow)  # fmt: skip
            )

    for edge in graph.edges:
        link(edge.source, edge.target, edge.label, "edge", edge.directed)
    for message in graph.messages:
        link(message.source, message.target, message.text, "message", True)
    if start == goal:
        return []
    came: dict[str, PathStep | None] = {start: None}
    queue = deque([start])
    while queue:
        here = queue.popleft()
        for step in links.get(here, []):
            there = step.target.id
            if there in came:
                continue
            came[there] = step
            if there == goal:
                out = []
                while (back := came[there]) is not None:
                    out.append(back)
                    there = back.source.id
                return out[::-1]
            queue.append(there)
    return None


def between(graph: FigureGraph, a: str, b: str) -> Between:
    first, second = find_node(graph, a), find_node(graph, b)
    pair = {first.id, second.id}

    def joins(source: str, target: str) -> bool:
        return {source, target} == pair and (source != target or first.id == second.id)

    return Between(
        figure=graph.figure,
        a=first,
        b=second,
        edges=[e for e in graph.edges if joins(e.source, e.target)],
        messages=[m for m in graph.messages if joins(m.source, m.target)],
    )
