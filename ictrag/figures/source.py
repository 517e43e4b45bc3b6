"""A figure whose file states its structure (draw.io cells; Graphviz, Mermaid, PlantUML or
mscgen code, the last two through figures/plantuml.py and figures/mscgen.py) read exactly
into a DiagramGraph.

Vertices are nodes, except free text (annotations become notes) and containers (groups of
what they hold). Edges join their glued ends; an edge that is not glued joins the smallest
vertex under each free end. A label cell on an edge belongs to the end it sits at (an
interface name, ".1") or, in the middle, to the link. Unlabelled nodes are named by their
shape ("router" for mxgraph.cisco.routers.router), never by their id.
"""

from __future__ import annotations

import re

from ictrag.figures.graph import DiagramGraph, Edge, Group, Note
from ictrag.figures.mermaid import MermaidError
from ictrag.figures.mermaid import parse as parse_mermaid
from ictrag.figures.mscgen import MscgenError, parse_mscgen
from ictrag.figures.plantuml import PlantUMLError, parse_plantuml
from ictrag.figures.vector.diagram import Recovery
from ictrag.figures.vector.prims import contains
from ictrag.model import DiagramSource, SourceCell

END_ZONE = 0.5
"""A label this far from the middle (on draw.io's -1..1 scale along the edge) is an end's."""
_NETWORK_SHAPE = re.compile(r"mxgraph\.(cisco|network|citrix|aws|azure|gcp|kubernetes|rack|veeam)")
_SHAPE_WORDS = re.compile(r"[a-z]+")


CODE_FORMATS = ("graphviz", "mermaid", "plantuml", "mscgen")


def is_exact(source: DiagramSource | None) -> bool:
    """The file states this figure's whole structure: diagram code, or a draw.io or Office
    drawing whose every connector is glued to a shape at both ends (a free end is placed by
    geometry, a guess). Such figures can be training pairs without an expert's correction."""
    if source is None:
        return False
    if source.format in CODE_FORMATS:
        return bool(source.text.strip() or source.cells)
    edges = [cell for cell in source.cells if cell.kind == "edge"]
    return bool(edges) and all(cell.source and cell.target for cell in edges)


def _is_text(cell: SourceCell) -> bool:
    return "text" in cell.style or cell.style.get("shape") == "text"


def _is_container(cell: SourceCell, cells: list[SourceCell]) -> bool:
    style = cell.style
    if "swimlane" in style or style.get("container") == "1" or "group" in style:
        return True
    return any(other.parent == cell.id and other.kind == "vertex" for other in cells)


def shape_name(cell: SourceCell) -> str:
    """What an unlabelled vertex is, from its style: `mxgraph.cisco.routers.router` ->
    "router", `image=.../Switch_L3.svg` -> "switch l3"; "node" when the style says nothing."""
    style = cell.style
    raw = style.get("shape") or style.get("image", "").rsplit("/", 1)[-1].rsplit(".", 1)[0]
    if not raw:
        raw = next((key for key in ("ellipse", "rhombus", "cloud", "cylinder") if key in style), "")
    words = _SHAPE_WORDS.findall(raw.rsplit(".", 1)[-1].lower())
    return " ".join(words) or "node"


def _node_shape(cell: SourceCell) -> str:
    style = cell.style
    if "rhombus" in style:
        return "diamond"
    if "ellipse" in style or style.get("shape") == "ellipse":
        return "circle" if "aspect" in style else "round"
    if "cloud" in style or style.get("shape") == "cloud":
        return "cloud"
    if "cylinder" in style or "cylinder" in style.get("shape", ""):
        return "cylinder"
    return "rect"


def _under(point: tuple[float, float] | None, cells: list[SourceCell]) -> str | None:
    if point is None:
        return None
    x, y = point
    tol = 4.0
    inside = [
        c for c in cells
        if c.bbox and c.bbox[0] - tol <= x <= c.bbox[2] + tol and c.bbox[1] - tol <= y <= c.bbox[3] + tol
    ]  # fmt: skip
    if not inside:
        return None
    return min(inside, key=lambda c: (c.bbox[2] - c.bbox[0]) * (c.bbox[3] - c.bbox[1])).id


def _directed(style: dict[str, str], topology: bool) -> tuple[bool, bool]:
    """(arrow at the target, arrow at the source). draw.io's default end arrow is 'classic':
    a flowchart keeps it, a topology's link is a link unless its arrow was chosen."""
    default = "none" if topology else "classic"
    return style.get("endArrow", default) != "none", style.get("startArrow", "none") != "none"


def _upper_left_first(a: str, b: str, cells: dict[str, SourceCell]) -> bool:
    box_a, box_b = cells[a].bbox, cells[b].bbox
    if not box_a or not box_b:
        return True
    return (box_a[1], box_a[0]) <= (box_b[1], box_b[0])


def _gap(a: SourceCell, b: SourceCell) -> float:
    """Distance between two boxes (0 when they touch or overlap)."""
    assert a.bbox is not None and b.bbox is not None
    dx = max(b.bbox[0] - a.bbox[2], a.bbox[0] - b.bbox[2], 0.0)
    dy = max(b.bbox[1] - a.bbox[3], a.bbox[1] - b.bbox[3], 0.0)
    return (dx * dx + dy * dy) ** 0.5


def _inside(inner: SourceCell, outer: SourceCell) -> bool:
    return bool(
        inner.bbox and outer.bbox and inner.id != outer.id and contains(outer.bbox, inner.bbox, 0.0)
    )


def _holds(frame: SourceCell, shapes: list[SourceCell]) -> bool:
    return any(_inside(other, frame) for other in shapes if not _is_text(other))


def _names_beside(unnamed: list[SourceCell], texts: list[SourceCell]) -> dict[str, str]:
    """An unlabelled shape that edges join is named by the free text touching it (within
    half its smaller side, at least 10 units): an interface bar and its 'eth0'."""
    named: dict[str, str] = {}
    taken: set[str] = set()
    pairs = sorted(
        (_gap(shape, text), shape.id, text.id)
        for shape in unnamed for text in texts
        if _gap(shape, text) <= max(10.0, 0.5 * min(shape.bbox[2] - shape.bbox[0], shape.bbox[3] - shape.bbox[1]))
    )  # fmt: skip
    for _, shape_id, text_id in pairs:
        if shape_id not in named and text_id not in taken:
            named[shape_id] = text_id
            taken.add(text_id)
    return named


def _frame_titles(
    frames: list[SourceCell], texts: list[SourceCell], used: set[str]
) -> dict[str, str]:
    """An unlabelled frame around other shapes takes as title the free text inside it
    nearest its top-left corner ('Kubernetes Cluster')."""
    titles: dict[str, str] = {}
    for frame in sorted(frames, key=lambda c: (c.bbox[2] - c.bbox[0]) * (c.bbox[3] - c.bbox[1])):
        inside = [
            t
            for t in texts
            if t.id not in used and t.id not in titles.values() and _inside(t, frame)
        ]
        if inside:
            corner = min(
                inside, key=lambda t: (t.bbox[1] - frame.bbox[1]) + (t.bbox[0] - frame.bbox[0])
            )
            titles[frame.id] = corner.id
    return titles


def _nearest(cell: SourceCell, shapes: list[SourceCell], graph: DiagramGraph) -> list[str]:
    """The node an annotation sits next to (by centre distance), as a note's target."""
    assert cell.bbox is not None
    x, y = (cell.bbox[0] + cell.bbox[2]) / 2, (cell.bbox[1] + cell.bbox[3]) / 2
    nodes = [c for c in shapes if c.id in graph.nodes and c.bbox]
    if not nodes:
        return []
    best = min(
        nodes,
        key=lambda c: (
            ((c.bbox[0] + c.bbox[2]) / 2 - x) ** 2 + ((c.bbox[1] + c.bbox[3]) / 2 - y) ** 2
        ),
    )
    return [best.id]


def recover_source(source: DiagramSource) -> Recovery:
    """The structure a figure's file states, read exactly (confidence 1)."""
    if source.format == "mermaid":
        return _recover_mermaid(source.text)
    if source.format == "plantuml":
        return _recover_code(source.text, parse_plantuml, PlantUMLError)
    if source.format == "mscgen":
        return _recover_code(source.text, parse_mscgen, MscgenError)
    return _recover_cells(source.cells)


def _recover_mermaid(code: str) -> Recovery:
    try:
        graph = parse_mermaid(code)
    except MermaidError as error:
        return Recovery(
            DiagramGraph(kind="other"), 0.0, free_text=[code], note=str(error), text=code
        )
    words = [graph.label_of(n) for n in graph.nodes] + [m.label for m in graph.messages]
    return Recovery(graph=graph, confidence=1.0, text="\n".join(w for w in words if w))


def _recover_code(code: str, parse, error_type) -> Recovery:
    try:
        graph = parse(code)
    except error_type as error:
        return Recovery(
            DiagramGraph(kind="other"), 0.0, free_text=[code], note=str(error), text=code
        )
    # the source's own words (notes, frame labels, dividers) are the figure's text
    return Recovery(graph=graph, confidence=1.0, text=code)


def _recover_cells(cells: list[SourceCell]) -> Recovery:
    by_id = {cell.id: cell for cell in cells}
    edges = [cell for cell in cells if cell.kind == "edge"]
    shapes = [cell for cell in cells if cell.kind == "vertex" and cell.bbox is not None]
    ends: list[tuple[SourceCell, str | None, str | None]] = []
    for edge in edges:
        source_id = edge.source if edge.source in by_id else _under(edge.source_point, shapes)
        target_id = edge.target if edge.target in by_id else _under(edge.target_point, shapes)
        ends.append((edge, source_id, target_id))
    linked = {end for _, a, b in ends if a != b for end in (a, b) if end}
    containers = {c.id for c in shapes if _is_container(c, cells) and c.id not in linked}
    graph = DiagramGraph(kind="flowchart")
    texts = [c for c in shapes if _is_text(c) and c.id not in linked and c.label]
    named = _names_beside(
        [c for c in shapes if not c.label and c.id in linked and c.id not in containers], texts
    )
    used = set(named.values())
    for cell in shapes:
        if cell.id in containers or (not cell.label and cell.id not in linked):
            continue  # a container, or a decoration (a port dot, a frame) nothing joins
        if _is_text(cell) and cell.id not in linked:
            continue
        label = cell.label or (
            by_id[named[cell.id]].label if cell.id in named else shape_name(cell)
        )
        graph.add_node(cell.id, label, _node_shape(cell))
    frames = [c for c in shapes if not c.label and c.id not in linked and c.id not in containers]
    containers |= {c.id for c in frames if _holds(c, shapes)}
    titles = _frame_titles(frames, texts, used)
    used |= set(titles.values())
    notes = [c for c in texts if c.id not in used]
    network = any(
        _NETWORK_SHAPE.search(c.style.get("shape", "")) or "image" in c.style for c in shapes
    )
    drawn_arrows = sum(_directed(edge.style, topology=False) != (False, False) for edge in edges)
    topology = network or (bool(edges) and drawn_arrows * 2 < len(edges))
    labels_on = {edge.id: [c for c in cells if c.parent == edge.id and c.label] for edge in edges}
    links: list[tuple[Edge, str, str, str]] = []  # edge, source-end, middle, target-end text
    for edge, source_id, target_id in ends:
        if source_id not in graph.nodes or target_id not in graph.nodes:
            continue
        at_target, at_source = _directed(edge.style, topology)
        if at_source and not at_target:
            source_id, target_id = target_id, source_id
        parts: dict[str, list[str]] = {"source": [], "middle": [edge.label], "target": []}
        for label in sorted(labels_on[edge.id], key=lambda c: c.offset or 0.0):
            offset = -(label.offset or 0.0) if at_source and not at_target else label.offset or 0.0
            end = "source" if offset <= -END_ZONE else "target" if offset >= END_ZONE else "middle"
            parts[end].append(label.label)
        style = "dotted" if edge.style.get("dashed") == "1" else "solid"
        link = Edge(source_id, target_id, "", directed=at_target or at_source, style=style)
        texts = [" ".join(" ".join(p).split()) for p in parts.values()]
        links.append((link, *texts))
    if topology:
        graph.kind = "topology"
    for link, at_source, middle, at_target in links:
        link.source_label, link.target_label = at_source, at_target
        # the real-figures order of the joined label: upper-or-left end first
        if graph.kind == "topology" and not _upper_left_first(link.source, link.target, by_id):
            at_source, at_target = at_target, at_source
        link.label = " ".join(text for text in (at_source, middle, at_target) if text)
        graph.edges.append(link)
    for cell in shapes:
        if cell.id in containers:
            members = [
                c.id for c in shapes
                if c.id in graph.nodes and (c.parent == cell.id or _inside(c, cell))
            ]  # fmt: skip
            label = cell.label or (by_id[titles[cell.id]].label if cell.id in titles else "")
            if members and label:
                graph.groups.append(Group(cell.id, label, members))
    graph.notes = [Note(_nearest(cell, shapes, graph), cell.label) for cell in notes]
    words = [cell.label for cell in cells if cell.label]
    free = [cell.label for cell in notes]
    return Recovery(graph=graph, confidence=1.0, free_text=free, text="\n".join(words))
