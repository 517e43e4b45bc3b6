"""Diagram recovery from vector drawings: shapes become nodes (labelled by the text inside
them), strokes become connectors (arrowheads give direction, ends snap to node borders),
text on a connector becomes its label, shapes holding other nodes become subgraphs.

    recovery = recover_vector(content)   # content: figures.base.VectorContent
    recovery.graph                       # figures.graph.DiagramGraph
    recovery.confidence                  # 0..1: how much of the drawing the graph explains

Sequence diagrams (vector_seq.py) and packet formats (vector_packet.py) are tried first.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from ictrag.figures.graph import DiagramGraph, Edge, Group
from ictrag.figures.vector import topology
from ictrag.figures.vector.prims import (
    Arrowhead,
    Box,
    Primitives,
    Shape,
    Stroke,
    TextGroup,
    area,
    border_distance,
    box_distance,
    center,
    contains,
    contains_point,
    dist,
    height,
    point_at_fraction,
    polyline_distance,
    read_primitives,
    width,
)
from ictrag.load.drawings import VectorContent

SHAPE_NAMES = {
    "rect": "rect",
    "round": "round",
    "decision": "decision",
    "circle": "circle",
    "ellipse": "circle",
    "hexagon": "hexagon",
    "polygon": "rect",
}


@dataclass
class Recovery:
    graph: DiagramGraph
    confidence: float = 0.0
    free_text: list[str] = field(default_factory=list)
    """Text of the figure that the structure did not use (titles, notes, stray labels)."""
    stats: dict[str, float] = field(default_factory=dict)
    note: str = ""
    text: str = ""
    """All of the figure's own text (for raster figures: the OCR lines)."""
    derived: list[str] = field(default_factory=list)
    """Words the recovery assembled from the figure's glyphs (a field name set vertically,
    one letter per row), which are grounded though no span holds them whole."""


@dataclass
class _Node:
    id: str
    box: tuple[float, float, float, float]
    shape: str
    texts: list[TextGroup] = field(default_factory=list)
    is_group: bool = False
    children: list[str] = field(default_factory=list)
    parent: str | None = None

    @property
    def label(self) -> str:
        ordered = sorted(self.texts, key=lambda t: (t.box[1], t.box[0]))
        return " ".join(t.text for t in ordered).strip()


@dataclass
class _End:
    point: tuple[float, float]
    arrow: bool = False
    node: str | None = None


def recover_vector(content: VectorContent) -> Recovery:
    from ictrag.figures.vector.packet import recover_packet
    from ictrag.figures.vector.sequence import recover_sequence

    prims = read_primitives(content)
    if not prims.spans and not prims.shapes and not prims.strokes:
        return Recovery(DiagramGraph(kind="other"), 0.0, note="no drawing or text")
    for recover in (recover_packet, recover_sequence):
        result = recover(prims)
        if result is not None:
            return result
    icons, rest = topology.find_icons(content, prims.font)
    if icons:
        prims = read_primitives(rest)
    return recover_graph(prims, icons)


def recover_graph(prims: Primitives, icons: list[Box] | None = None) -> Recovery:
    diag = math.hypot(width(prims.bbox), height(prims.bbox)) or 1.0
    tol = max(5.0, 0.5 * prims.font, 0.01 * diag)
    shapes = list(prims.shapes)
    label_boxes = [
        s
        for s in shapes
        if not s.stroked and area(s.box) <= 36 * prims.font**2 and _crossed(s, prims.strokes)
    ]
    shapes = [s for s in shapes if s not in label_boxes]
    shapes = topology.drop_inner_outlines(shapes, prims.texts, prims.font)
    shapes += [Shape(box, "icon", [], True, False) for box in icons or []]
    nodes = _nodes_from_shapes(shapes, prims)
    _add_dots(nodes, prims)
    small = [n.box for n in nodes.values() if not n.is_group]
    texts = topology.split_by_frames(list(prims.texts), small)
    inside = _assign_texts(nodes, texts)
    _drop_glyph_text(nodes)
    free = [t for t in texts if id(t) not in inside]
    strokes = [
        s
        for s in prims.strokes
        if not _inside_one_node(s, nodes)
        and not _decoration(s, prims.arrows, prims.font)
        and not _underline(s, texts, nodes, prims.font, tol)
    ]
    strokes = _chain(strokes, nodes, tol)
    strokes = _split_through_nodes(strokes, nodes)
    arrows = list(prims.arrows)
    edges: list[tuple[Stroke, _End, _End]] = []
    for stroke in strokes:
        ends = (_end(stroke, 0, arrows, prims.font), _end(stroke, -1, arrows, prims.font))
        for end in ends:
            end.node = _snap(end.point, nodes, tol)
        edges.append((stroke, *ends))
    used_ends = {e.node for _, *ends in edges for e in ends if e.node}
    free += _demote_label_boxes(nodes, used_ends, bool(icons))
    _name_icons(nodes, free, prims.font)
    # Text next to a dangling connector end is a node of its own (labels beside icons).
    names = [t for t in free if not topology.fragment(t.text)]
    for stroke, *ends in edges:
        for end in ends:
            if end.node is None:
                ahead = [t for t in names if _beyond(stroke, end.point, t)]
                text = _nearest_text(end.point, ahead, 1.5 * prims.font + tol)
                if text is not None and _along_other(text, end.point, stroke, strokes):
                    text = None
                if text is not None:
                    block = [text, *topology.stacked_under(text, free)]
                    box = _union_boxes([t.box for t in block])
                    node = _Node(_next_id(nodes), box, "text", block)
                    nodes[node.id] = node
                    for part in block:
                        free.remove(part)
                        if part in names:
                            names.remove(part)
                    end.node = node.id
                else:
                    end.node = _snap(end.point, nodes, tol)
    # Text at the link ends first: what is left beside an icon is its name, even a letter.
    links = {
        i: topology.LinkEnds(stroke.points, (nodes[a.node].box, nodes[b.node].box))
        for i, (stroke, a, b) in enumerate(edges)
        if a.node and b.node
    }
    free = topology.end_texts(list(links.values()), free, prims.font)
    _name_icons(nodes, free, prims.font, fragments=True)
    # Empty shapes that carry edges take the nearest free text as their label (icons).
    for node in nodes.values():
        if not node.texts and not node.is_group and node.shape not in ("start", "end"):
            names = [t for t in free if not topology.fragment(t.text)]
            text = _nearest_text(center(node.box), names, max(width(node.box), height(node.box)))
            if text is not None:
                node.texts.append(text)
                free.remove(text)
    graph = DiagramGraph(kind="flowchart", direction=_direction(edges))
    used = {e.node for _, *ends in edges for e in ends if e.node}
    keep = {
        n.id: n
        for n in nodes.values()
        if n.label or n.id in used or n.is_group or n.shape in ("start", "end")
    }
    for node in keep.values():
        if node.is_group:
            continue
        label = node.label or (node.shape if node.shape in ("start", "end") else "")
        if not label and node.id not in used:
            continue
        graph.add_node(node.id, label or _kind_label(node), SHAPE_NAMES.get(node.shape, node.shape))
    for node in keep.values():
        if node.is_group:
            graph.groups.append(Group(node.id, node.label or "group", [], None))
    for group in graph.groups:
        node = keep[group.id]
        group.members = [c for c in node.children if c in graph.nodes]
        group.parent = node.parent if node.parent in keep else None
    edge_objs: list[tuple[Edge, Stroke]] = []
    link_ends: list[tuple[Edge, topology.LinkEnds, str]] = []
    attached = 0
    for i, (stroke, a, b) in enumerate(edges):
        if a.node and b.node:
            attached += 1
        if not (a.node and b.node) or (
            a.node == b.node and not _leaves(stroke, nodes[a.node], tol)
        ):
            continue
        source, target = (b.node, a.node) if (a.arrow and not b.arrow) else (a.node, b.node)
        directed = a.arrow or b.arrow
        for end_id in (source, target):
            if end_id not in graph.nodes and graph.group(end_id) is None:
                graph.add_node(end_id, keep[end_id].label if end_id in keep else end_id)
        style = "dotted" if stroke.dashed else "thick" if stroke.width >= 3.0 else "solid"
        edge = Edge(source, target, "", directed, style)
        graph.edges.append(edge)
        edge_objs.append((edge, stroke))
        link_ends.append((edge, links[i], a.node))
    _ends_by_direction(graph)
    free = _label_edges(edge_objs, free, label_boxes, prims.font, tol)
    for edge, link, a_node in link_ends:
        _join_end_labels(edge, link, a_node)
    _finish_kind(graph, prims)
    used_text = 1.0 - (len(free) / len(texts) if texts else 0.0)
    attach_rate = attached / len(edges) if edges else 1.0
    has_structure = bool(graph.edges) or len(graph.nodes) >= 2
    confidence = (0.5 * used_text + 0.5 * attach_rate) if has_structure else 0.15 * used_text
    if not texts:
        confidence *= 0.5
    return Recovery(
        graph,
        round(max(0.0, min(1.0, confidence)), 3),
        [t.text for t in free],
        {"text_used": round(used_text, 3), "attached": round(attach_rate, 3)},
    )


def _join_end_labels(edge: Edge, link: topology.LinkEnds, a: str) -> None:
    """Put the text at the link's ends around its middle label, upper-or-left end first."""
    at_a, at_b = (topology.joined(texts) for texts in link.texts)
    middle = " ".join(part for part in (topology.joined(link.middle), edge.label) if part)
    edge.label = middle
    if not (at_a or at_b):
        return
    edge.source_label, edge.target_label = (at_a, at_b) if edge.source == a else (at_b, at_a)
    first, second = (at_a, at_b) if topology.first_end(*link.boxes) == 0 else (at_b, at_a)
    edge.label = " ".join(part for part in (first, edge.label, second) if part)


_KIND_LABELS = {"icon": "device", "junction": "junction", "text": "text"}


def _kind_label(node: _Node) -> str:
    """What an unlabelled node is, for its label: never the parser's own id."""
    return _KIND_LABELS.get(node.shape, node.id)


def _drop_glyph_text(nodes: dict[str, _Node]) -> None:
    """A digit or letter printed on a device icon is part of the glyph, not its name."""
    for node in nodes.values():
        if node.shape == "icon":
            node.texts = [t for t in node.texts if len(t.text.strip()) > 2]


def _demote_label_boxes(nodes: dict[str, _Node], used: set[str], icons: bool) -> list[TextGroup]:
    """A box drawn tight around text that no link touches is the text's frame, not a node:
    a device name boxed beside its icon, a boxed port letter at a link end. Without icons in
    the figure only boxed link-end fragments are demoted."""
    texts: list[TextGroup] = []
    for node in list(nodes.values()):
        if node.id in used or node.is_group or node.children or not node.texts:
            continue
        if node.shape not in ("rect", "round", "polygon"):
            continue
        if not (icons or all(topology.fragment(t.text) for t in node.texts)):
            continue
        text_box = _union_boxes([t.box for t in node.texts])
        size = max(t.size for t in node.texts)
        if (
            width(node.box) > width(text_box) + 3 * size
            or height(node.box) > height(text_box) + 2 * size
        ):
            continue
        texts += node.texts
        del nodes[node.id]
    return texts


def _underline(
    stroke: Stroke, texts: list[TextGroup], nodes: dict[str, _Node], font: float, tol: float
) -> bool:
    """A rule under a heading: under a text, and touching no node at either end."""
    if not topology.underline(stroke.points, texts, font):
        return False
    return all(_snap(p, nodes, tol) is None for p in (stroke.points[0], stroke.points[-1]))


def _beyond(stroke: Stroke, tip: tuple[float, float], text: TextGroup) -> bool:
    """Text that a line ends at lies past its end; a label printed along the line (a
    message above its arrow) has its nearest point of the line before the end. An outline
    read as a stroke (a cylinder drawn open) names the text it surrounds."""
    if contains(stroke.box, text.box, 0.0):
        return True
    return polyline_distance(text.center, stroke.points) >= dist(text.center, tip) - 1.0


def _along_other(
    text: TextGroup, tip: tuple[float, float], stroke: Stroke, strokes: list[Stroke]
) -> bool:
    """The text is printed along another line (that line's label), nearer to it than to
    this line's end."""
    reach = dist(text.center, tip)
    return any(
        other is not stroke and polyline_distance(text.center, other.points) < reach
        for other in strokes
    )


def _next_id(nodes: dict[str, _Node]) -> str:
    """A fresh node id (nodes may have been removed, so not the count plus one)."""
    taken = [int(n[1:]) for n in nodes if n[1:].isdigit()]
    return f"n{max(taken, default=0) + 1}"


def _name_icons(
    nodes: dict[str, _Node], free: list[TextGroup], font: float, fragments: bool = False
) -> None:
    for node in sorted(nodes.values(), key=lambda n: n.box[1]):
        if node.shape != "icon" or node.texts:
            continue
        text = topology.name_for(node.box, free, font, fragments)
        if text is not None:
            node.texts.append(text)
            free.remove(text)


def _union_boxes(boxes):
    return (
        min(b[0] for b in boxes),
        min(b[1] for b in boxes),
        max(b[2] for b in boxes),
        max(b[3] for b in boxes),
    )


def _ends_by_direction(graph: DiagramGraph) -> None:
    """A pseudo-state dot that edges only enter is an end state (its inner dot may be too
    small to see)."""
    for node in graph.nodes.values():
        if node.shape not in ("start", "end"):
            continue
        into = any(e.target == node.id for e in graph.edges)
        out = any(e.source == node.id for e in graph.edges)
        if into and not out:
            node.shape, node.label = "end", "end"
        elif out and not into:
            node.shape, node.label = "start", "start"


# -- nodes --------------------------------------------------------------------------------
def _crossed(shape: Shape, strokes: list[Stroke]) -> bool:
    """A fill-only box that a connector runs through is an edge label's background."""
    box = shape.box
    for stroke in strokes:
        if box_distance(box, stroke.points[0]) < 2 or box_distance(box, stroke.points[-1]) < 2:
            continue
        if polyline_distance(center(box), stroke.points) <= 0.5 * max(width(box), height(box)):
            return True
    return False


def _nodes_from_shapes(shapes: list[Shape], prims: Primitives) -> dict[str, _Node]:
    nodes: dict[str, _Node] = {}
    for i, shape in enumerate(sorted(shapes, key=lambda s: area(s.box))):
        nodes[f"n{i + 1}"] = _Node(f"n{i + 1}", shape.box, shape.kind)
    has_text = {
        nid for nid, n in nodes.items() if any(contains(n.box, t.box, 2.0) for t in prims.texts)
    }
    has_text |= {nid for nid, n in nodes.items() if n.shape == "icon"}  # named from beside
    # Smallest first: each node's parent is the smallest larger shape holding it.
    ordered = list(nodes.values())
    for i, node in enumerate(ordered):
        for outer in ordered[i + 1 :]:
            if area(outer.box) > area(node.box) * 1.05 and contains(outer.box, node.box, 1.0):
                node.parent = outer.id
                break
    drop = set()
    for node in ordered:
        parent = nodes.get(node.parent) if node.parent else None
        if parent is None:
            continue
        if node.id in has_text or any(nodes[c].id in has_text for c in parent.children):
            parent.children.append(node.id)
        elif parent.id in has_text:
            drop.add(node.id)  # decoration inside a labelled node (cylinder rim, subroutine bar)
        else:
            parent.children.append(node.id)
    for node in ordered:
        if node.children and any(c in has_text or nodes[c].children for c in node.children):
            node.is_group = True
        elif node.children:
            node.children = []
    for nid in drop:
        nodes.pop(nid)
    for node in nodes.values():
        if node.parent in drop:
            node.parent = None
    return nodes


def _add_dots(nodes: dict[str, _Node], prims: Primitives) -> None:
    """Small circles: a filled one is a start pseudo-state, a ring around a dot an end."""
    dots = sorted(prims.dots, key=lambda d: -area(d.box))
    taken: set[int] = set()
    for i, dot in enumerate(dots):
        if i in taken:
            continue
        inner = [
            j
            for j, other in enumerate(dots)
            if j != i and j not in taken and dist(center(other.box), center(dot.box)) < 1.5
        ]
        taken.update(inner)
        kind = "end" if inner else "start" if dot.filled else "circle"
        if kind == "circle" and not any(contains(dot.box, t.box, 2.0) for t in prims.texts):
            kind = "start" if dot.filled else "junction"
        nid = f"n{len(nodes) + 1}"
        nodes[nid] = _Node(nid, dot.box, kind)


def _assign_texts(nodes: dict[str, _Node], texts: list[TextGroup]) -> set[int]:
    inside: set[int] = set()
    by_area = sorted(nodes.values(), key=lambda n: area(n.box))
    for text in texts:
        c = text.center
        for node in by_area:
            if contains_point(node.box, c, 1.0) and contains(node.box, text.box, 0.3 * text.size):
                if node.is_group and (
                    _near_child(node, text, nodes) or text.box[1] - node.box[1] > 2.5 * text.size
                ):
                    continue
                node.texts.append(text)
                inside.add(id(text))
                break
    for node in by_area:
        if node.is_group and len(node.texts) > 1:
            # The title is the top row; other loose text in a group is an edge label.
            top = min(t.box[1] for t in node.texts)
            keep = [t for t in node.texts if t.box[1] <= top + 0.6 * t.size]
            for text in node.texts:
                if text not in keep:
                    inside.discard(id(text))
            node.texts = keep
    return inside


def _near_child(group: _Node, text: TextGroup, nodes: dict[str, _Node]) -> bool:
    return any(contains(nodes[c].box, text.box, 2.0) for c in group.children if c in nodes)


def _decoration(stroke: Stroke, arrows: list[Arrowhead], font: float) -> bool:
    box = stroke.box
    size = max(width(box), height(box))
    if size < 0.3 * font:
        return True
    return size < 0.8 * font and any(box_distance(a.box, center(box)) < 1.0 for a in arrows)


def _inside_one_node(stroke: Stroke, nodes: dict[str, _Node]) -> bool:
    for node in nodes.values():
        if node.is_group:
            continue
        shrunk = node.box
        if all(contains_point(shrunk, p, 0.5) for p in (stroke.points[0], stroke.points[-1])):
            return True
    return False


# -- connectors ---------------------------------------------------------------------------
def _leaves(stroke: Stroke, node: _Node, tol: float) -> bool:
    return max(box_distance(node.box, p) for p in stroke.points) > tol


_JOIN = 1.5
"""Stroke ends closer than this (points) continue each other."""


def _chain(strokes: list[Stroke], nodes: dict[str, _Node], tol: float) -> list[Stroke]:
    """Join strokes that continue each other away from any node (polylines drawn in pieces).

    Pairs are merged in the order a restart-from-the-top scan would take them (the lowest
    index first, then its lowest partner), but partners are looked up in a grid of stroke
    ends instead of by comparing every pair: slides with hundreds of strokes took seconds."""
    strokes = list(strokes)
    alive = [True] * len(strokes)
    grid: dict[tuple[int, int], set[int]] = {}

    def cells(point):
        return (int(point[0] // _JOIN), int(point[1] // _JOIN))

    def index(i: int, add: bool) -> None:
        for point in (strokes[i].points[0], strokes[i].points[-1]):
            bucket = grid.setdefault(cells(point), set())
            bucket.add(i) if add else bucket.discard(i)

    def partners(i: int) -> list[int]:
        found: set[int] = set()
        for point in (strokes[i].points[0], strokes[i].points[-1]):
            cx, cy = cells(point)
            for dx in (-1, 0, 1):
                for dy in (-1, 0, 1):
                    found |= grid.get((cx + dx, cy + dy), set())
        found.discard(i)
        return sorted(j for j in found if alive[j] and strokes[j].dashed == strokes[i].dashed)

    def joinable(a: int, b: int):
        pair = _touching(strokes[a], strokes[b])
        if pair is None or _snap(pair[2], nodes, 1.0) is not None:
            return None
        return pair

    for i in range(len(strokes)):
        index(i, True)
    i = 0
    while i < len(strokes):
        if not alive[i]:
            i += 1
            continue
        merged = False
        for j in partners(i):
            a, b = (j, i) if j < i else (i, j)
            pair = joinable(a, b)
            if pair is None:
                continue
            first, second, _ = pair
            index(a, False)
            index(b, False)
            strokes[a] = Stroke(
                first + second[1:],
                strokes[a].dashed,
                max(strokes[a].width, strokes[b].width),
                strokes[a].color,
            )
            alive[b] = False
            index(a, True)
            i = a  # the merged stroke may now continue into another one
            merged = True
            break
        if not merged:
            i += 1
    return [stroke for stroke, keep in zip(strokes, alive, strict=True) if keep]


def _split_through_nodes(strokes: list[Stroke], nodes: dict[str, _Node]) -> list[Stroke]:
    # Only device icons: lines run through label frames and bond marks.
    boxes = [n.box for n in nodes.values() if n.shape == "icon"]
    out: list[Stroke] = []
    for stroke in strokes:
        for points in topology.split_through(stroke.points, boxes):
            out.append(Stroke(points, stroke.dashed, stroke.width, stroke.color))
    return out


def _touching(a: Stroke, b: Stroke):
    for pa in (a.points, a.points[::-1]):
        for pb in (b.points, b.points[::-1]):
            if dist(pa[-1], pb[0]) <= 1.5:
                return pa, pb, pa[-1]
    return None


def _end(stroke: Stroke, index: int, arrows: list[Arrowhead], font: float) -> _End:
    points = stroke.points if index == -1 else stroke.points[::-1]
    tip = points[-1]
    # Direction of the last stretch of the stroke (at least a few points back).
    back = points[-2]
    for p in reversed(points[:-1]):
        back = p
        if dist(p, tip) > 3.0:
            break
    best, best_d = None, 0.6 * font
    for arrow in arrows:
        d = min(box_distance(arrow.box, tip), min(dist(tip, p) for p in arrow.points))
        if d < best_d:
            best, best_d = arrow, d
    if best is None:
        return _End(tip)
    arrows.remove(best)
    dx, dy = tip[0] - back[0], tip[1] - back[1]
    norm = math.hypot(dx, dy) or 1.0
    far = max(best.points, key=lambda p: ((p[0] - back[0]) * dx + (p[1] - back[1]) * dy) / norm)
    return _End(far, arrow=True)


def _snap(point, nodes: dict[str, _Node], tol: float) -> str | None:
    best, best_key = None, None
    for node in nodes.values():
        d = border_distance(node.box, point) if node.is_group else box_distance(node.box, point)
        if d > tol:
            continue
        # An icon's box is its glyph's bounds: a line ending within a point of it meets it,
        # even where a label background overlaps the glyph.
        key = (max(d - 1.0, 0.0) if node.shape == "icon" else d, area(node.box))
        if best_key is None or key < best_key:
            best, best_key = node.id, key
    return best


def _nearest_text(point, texts: list[TextGroup], limit: float) -> TextGroup | None:
    best, best_d = None, limit
    for text in texts:
        d = box_distance(text.box, point)
        if d < best_d:
            best, best_d = text, d
    return best


def _label_edges(
    edges: list[tuple[Edge, Stroke]],
    free: list[TextGroup],
    label_boxes: list[Shape],
    font: float,
    tol: float,
) -> list[TextGroup]:
    if not edges:
        return free
    rest = []
    labels: dict[int, list[TextGroup]] = {}
    for text in free:
        c = text.center
        if height(text.box) > 4.5 * text.size:
            rest.append(text)  # a block of many lines is a note or a legend, not a label
            continue
        box = next((b for b in label_boxes if contains(b.box, text.box, 2.0)), None)
        limit = max(1.2 * font, 0.8 * height(text.box)) + (0.5 * width(box.box) if box else 0)
        best, best_d = None, limit
        for i, (_, stroke) in enumerate(edges):
            d = polyline_distance(c, stroke.points)
            if box is None:
                d = min(d, box_distance(text.box, point_at_fraction(stroke.points, 0.5)) + 0.5)
            if d < best_d:
                best, best_d = i, d
        if best is None:
            rest.append(text)
        else:
            labels.setdefault(best, []).append(text)
    for i, group in labels.items():
        group.sort(key=lambda t: (t.box[1], t.box[0]))
        edges[i][0].label = " ".join(t.text for t in group)
    return rest


def _direction(edges) -> str:
    dx = dy = 0.0
    for _, a, b in edges:
        if a.arrow != b.arrow:
            start, end = (b, a) if a.arrow else (a, b)
            dx += end.point[0] - start.point[0]
            dy += end.point[1] - start.point[1]
    if abs(dx) > abs(dy):
        return "LR" if dx >= 0 else "RL"
    return "TD" if dy >= 0 else "BT"


def _finish_kind(graph: DiagramGraph, prims: Primitives) -> None:
    from ictrag.figures.classify import graph_kind

    graph.kind = graph_kind(graph, [s.text for s in prims.spans])
    if graph.kind == "state":
        for node in graph.nodes.values():
            if node.shape in ("round", "rect"):
                node.shape = "state"
