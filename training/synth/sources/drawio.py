"""A draw.io-style SVG for topologies and architectures, written here and laid out by Graphviz.

Topologies look like the network drawings of product manuals: a device icon per node (router,
switch, firewall, server, cloud, host) with its name under or beside it, straight links with
the interface names at the link ends and the subnet or link type in the middle, and sites as
dashed containers with their name. Architectures are rounded boxes in group containers with
labelled links. `dot -Tplain` (or neato for the spring look) gives the positions.
"""

from __future__ import annotations

import math
import shlex
import subprocess
from xml.sax.saxutils import escape

from ictrag.training.synth.render_tools import DiagramRenderError, command
from ictrag.training.synth.sources.common import link_parts, quoted
from ictrag.training.synth.styles import Style

from ictrag.figures.graph import DiagramGraph

ICON = (44.0, 34.0)
ICONS = {"circle": "router", "rect": "switch", "hexagon": "firewall", "database": "server",
         "round": "host", "stadium": "cloud"}  # fmt: skip
BLUE = "#036897"
MARGIN = 40.0


def draws(graph: DiagramGraph) -> bool:
    return bool(graph.nodes)


def emit(graph: DiagramGraph, style: Style) -> str:
    boxes = {node_id: _size(graph, node_id, style) for node_id in graph.nodes}
    positions, routes, width, height = _layout(graph, boxes, style)
    top = MARGIN + (style.font_size * 2.2 if graph.title else 0)
    shift = lambda x, y: (x + MARGIN, y + top)  # noqa: E731
    placed = {n: shift(*p) for n, p in positions.items()}
    paths = {key: [[shift(*p) for p in route] for route in found] for key, found in routes.items()}
    parts: list[str] = []
    for group in graph.groups:
        parts.append(_container(group.label, [placed[m] + boxes[m] for m in group.members if m in placed], style))  # fmt: skip
    for edge in graph.edges:
        if edge.source in placed and edge.target in placed and edge.style != "invisible":
            found = (
                paths.get((edge.source, edge.target)) or paths.get((edge.target, edge.source)) or []
            )
            route = found.pop(0) if found else [placed[edge.source], placed[edge.target]]
            if route and math.dist(route[0], placed[edge.source]) > math.dist(
                route[-1], placed[edge.source]
            ):
                route = route[::-1]  # laid out the other way round
            parts.append(_link(graph, edge, route, style))
    for node_id, (x, y) in placed.items():
        parts.append(_node(graph, node_id, x, y, boxes[node_id], style))
    total_w, total_h = width + 2 * MARGIN, height + top + MARGIN
    if graph.title:
        parts.insert(0, _text(total_w / 2, MARGIN + style.font_size, graph.title, style, size=style.font_size + 3, anchor="middle", bold=True))  # fmt: skip
    defs = (f'<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto">'
            f'<path d="M0,0 L10,5 L0,10 z" fill="{style.stroke}"/></marker></defs>')  # fmt: skip
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{total_w:.0f}" height="{total_h:.0f}" '
        f'viewBox="0 0 {total_w:.1f} {total_h:.1f}">{defs}<rect width="100%" height="100%" fill="white"/>'
        + "".join(parts) + "</svg>\n"
    )  # fmt: skip


# -- layout -------------------------------------------------------------------------------
def _size(graph: DiagramGraph, node_id: str, style: Style) -> tuple[float, float]:
    label = graph.nodes[node_id].label
    text_w = len(label) * style.font_size * 0.62
    if graph.kind != "topology":
        return max(90.0, text_w + 24), style.font_size * 2.6
    if style.labels_below:
        return max(ICON[0], text_w), ICON[1] + style.font_size * 1.8
    return ICON[0] + 8 + text_w, max(ICON[1], style.font_size * 1.6)


def _layout(graph: DiagramGraph, boxes, style: Style):
    """Node centre positions and each edge's route (SVG pixels, y down), and the size.

    Routes are Graphviz's own (orthogonal for the icon look, curved for the flat one), so a
    link never runs under a node it does not join."""
    engine = "neato" if style.variant == "flat" and graph.kind == "topology" else "dot"
    direction = "LR" if graph.direction in ("LR", "RL") else "TB"
    splines = "ortho" if style.variant == "icons" and engine == "dot" else "true"
    longest = max((len(e.label) for e in graph.edges), default=0)
    # a link is as long as the words on it when they run along it (left to right)
    ranksep = max(0.8, longest * style.font_size * 0.62 / 72 + 0.3) if direction == "LR" else 0.8
    lines = [f"graph G {{ graph [layout={engine}, rankdir={direction}, nodesep=0.9, ranksep={ranksep:.2f}, overlap=false, sep=\"+20\", splines={splines}];",
             "node [shape=box, fixedsize=true, label=\"\"];"]  # fmt: skip
    for node_id, (w, h) in boxes.items():
        lines.append(f"{quoted(node_id)} [width={w / 72:.3f}, height={h / 72:.3f}];")
    for number, group in enumerate(graph.groups):
        members = " ".join(quoted(m) for m in group.members if m in graph.nodes)
        lines.append(f"subgraph cluster_{number} {{ {members} }}")
    for edge in graph.edges:
        lines.append(f"{quoted(edge.source)} -- {quoted(edge.target)} [len=2.2];")
    lines.append("}")
    text = "\n".join(lines)
    done = _run_layout(text)
    if done.returncode != 0 and splines == "ortho":
        # dot's orthogonal router fails on some graphs (maze.c assertions): straight segments
        done = _run_layout(text.replace("splines=ortho", "splines=polyline"))
    if done.returncode != 0:
        raise DiagramRenderError("drawio layout: " + " ".join(done.stderr.decode(errors="replace").split())[:200])  # fmt: skip
    positions: dict[str, tuple[float, float]] = {}
    routes: dict[tuple[str, str], list[list[tuple[float, float]]]] = {}
    width = height = 0.0
    for row in done.stdout.decode().splitlines():
        fields = shlex.split(row)
        if fields and fields[0] == "graph":
            width, height = float(fields[2]) * 72, float(fields[3]) * 72
        elif fields and fields[0] == "node":
            positions[fields[1]] = (float(fields[2]) * 72, height - float(fields[3]) * 72)
        elif fields and fields[0] == "edge":
            count = int(fields[3])
            points = [(float(fields[4 + 2 * i]) * 72, height - float(fields[5 + 2 * i]) * 72) for i in range(count)]  # fmt: skip
            routes.setdefault((fields[1], fields[2]), []).append(_bezier(points))
    return positions, routes, width, height


def _run_layout(text: str) -> subprocess.CompletedProcess:
    try:
        return subprocess.run([*command("dot"), "-Tplain"], input=text.encode(), capture_output=True, timeout=60, check=False)  # fmt: skip
    except subprocess.TimeoutExpired as error:
        raise DiagramRenderError("drawio layout: no result after 60 s") from error


def _bezier(points: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """Graphviz's piecewise cubic Bézier control points, sampled into a polyline."""
    line = [points[0]]
    for start in range(0, len(points) - 3, 3):
        p0, p1, p2, p3 = points[start : start + 4]
        for step in range(1, 9):
            t = step / 8
            a, b, c, d = (1 - t) ** 3, 3 * (1 - t) ** 2 * t, 3 * (1 - t) * t * t, t**3
            line.append((a * p0[0] + b * p1[0] + c * p2[0] + d * p3[0], a * p0[1] + b * p1[1] + c * p2[1] + d * p3[1]))  # fmt: skip
    return line


# -- drawing ------------------------------------------------------------------------------
def _text(x: float, y: float, text: str, style: Style, *, size: int | None = None, anchor: str = "middle", bold: bool = False, halo: bool = False) -> str:  # fmt: skip
    weight = ' font-weight="bold"' if bold else ""
    outline = ' stroke="white" stroke-width="3" paint-order="stroke"' if halo else ""
    return (f'<text x="{x:.1f}" y="{y:.1f}" font-family="{escape(style.font)}" font-size="{size or style.font_size}" '
            f'fill="{style.font_colour}" text-anchor="{anchor}"{weight}{outline}>{escape(text)}</text>')  # fmt: skip


def _container(label: str, members: list[tuple[float, float, float, float]], style: Style) -> str:
    if not members:
        return ""
    pad = 22.0
    x0 = min(x - w / 2 for x, y, w, h in members) - pad
    y0 = min(y - h / 2 for x, y, w, h in members) - pad - style.font_size
    x1 = max(x + w / 2 for x, y, w, h in members) + pad
    y1 = max(y + h / 2 for x, y, w, h in members) + pad
    fill = "#f7f9fc" if style.variant == "icons" else "none"
    return (f'<rect x="{x0:.1f}" y="{y0:.1f}" width="{x1 - x0:.1f}" height="{y1 - y0:.1f}" rx="10" '
            f'fill="{fill}" stroke="#8a8a8a" stroke-dasharray="6,4" stroke-width="1.3"/>'
            + _text(x0 + 8, y0 + style.font_size + 4, label, style, anchor="start", bold=True))  # fmt: skip


def _link(graph: DiagramGraph, edge, route: list[tuple[float, float]], style: Style) -> str:
    dash = ' stroke-dasharray="5,4"' if style.dashed or edge.style == "dotted" else ""
    width = 2.6 if edge.style == "thick" else 1.6
    arrow = ' marker-end="url(#arrow)"' if edge.directed and graph.kind != "topology" else ""
    points = " ".join(f"{x:.1f},{y:.1f}" for x, y in route)
    parts = [f'<polyline points="{points}" fill="none" stroke="{style.stroke}" stroke-width="{width}"{dash}{arrow}/>']  # fmt: skip
    tail, middle, head = link_parts(edge) if graph.kind == "topology" else ("", edge.label, "")
    small = max(8, style.font_size - 2)
    for text, t in ((tail, 0.18), (head, 0.82)):
        if text:
            (x, y), (nx, ny) = _along(route, t)
            parts.append(_text(x + nx * 10, y + ny * 10 + small / 3, text, style, size=small, halo=True))  # fmt: skip
    if middle:
        (x, y), _ = _along(route, 0.5)
        parts.append(_text(x, y + small / 3, middle, style, size=small, halo=True))
    return "".join(parts)


def _along(route: list[tuple[float, float]], t: float) -> tuple[tuple[float, float], tuple[float, float]]:  # fmt: skip
    """The point at fraction `t` of the route's length, and the unit normal there."""
    lengths = [math.dist(a, b) for a, b in zip(route, route[1:], strict=False)]
    goal, walked = sum(lengths) * t, 0.0
    for (a, b), length in zip(zip(route, route[1:], strict=False), lengths, strict=True):
        if length and walked + length >= goal:
            f = (goal - walked) / length
            return (a[0] + (b[0] - a[0]) * f, a[1] + (b[1] - a[1]) * f), (-(b[1] - a[1]) / length, (b[0] - a[0]) / length)  # fmt: skip
        walked += length
    return route[-1], (0.0, 0.0)


def _node(graph: DiagramGraph, node_id: str, x: float, y: float, box, style: Style) -> str:
    node = graph.nodes[node_id]
    if graph.kind != "topology":
        w, h = box
        fill = "#dae8fc" if style.variant == "icons" else style.fill
        stroke = "#6c8ebf" if style.variant == "icons" else style.stroke
        shape = (f'<rect x="{x - w / 2:.1f}" y="{y - h / 2:.1f}" width="{w:.1f}" height="{h:.1f}" rx="8" '
                 f'fill="{fill}" stroke="{stroke}" stroke-width="1.4"/>')  # fmt: skip
        return shape + _text(x, y + style.font_size / 3, node.label, style)
    icon_y = y - (box[1] - ICON[1]) / 2 if style.labels_below else y
    icon_x = x - (box[0] - ICON[0]) / 2 if not style.labels_below else x
    icon = _icon(ICONS.get(node.shape, "switch"), icon_x, icon_y, style)
    if style.labels_below:
        label = _text(x, icon_y + ICON[1] / 2 + style.font_size + 2, node.label, style)
    else:
        label = _text(icon_x + ICON[0] / 2 + 6, icon_y + style.font_size / 3, node.label, style, anchor="start")  # fmt: skip
    return icon + label


def _icon(kind: str, x: float, y: float, style: Style) -> str:
    """A draw.io-like network icon centred at (x, y), 44 x 34."""
    solid = style.variant == "icons"
    fill = BLUE if solid else "white"
    line = "white" if solid else style.stroke
    body_stroke = BLUE if solid else style.stroke
    if kind == "router":
        arrows = "".join(
            f'<path d="M{x + dx * 4:.1f},{y + dy * 4:.1f} L{x + dx * 13:.1f},{y + dy * 13:.1f}" stroke="{line}" stroke-width="2.2"/>'
            for dx, dy in ((1, 1), (-1, -1), (1, -1), (-1, 1)))  # fmt: skip
        return f'<ellipse cx="{x:.1f}" cy="{y:.1f}" rx="21" ry="16" fill="{fill}" stroke="{body_stroke}" stroke-width="1.5"/>' + arrows  # fmt: skip
    if kind == "switch":
        rows = "".join(
            f'<path d="M{x - 14:.1f},{y + dy:.1f} L{x + 14:.1f},{y + dy:.1f}" stroke="{line}" stroke-width="2" marker-end="none"/>'
            for dy in (-6, 0, 6))  # fmt: skip
        return f'<rect x="{x - 22:.1f}" y="{y - 14:.1f}" width="44" height="28" rx="3" fill="{fill}" stroke="{body_stroke}" stroke-width="1.5"/>' + rows  # fmt: skip
    if kind == "firewall":
        wall = "#c0392b" if solid else "white"
        bricks = "".join(f'<path d="M{x - 20:.1f},{y + dy:.1f} L{x + 20:.1f},{y + dy:.1f}" stroke="{line if solid else style.stroke}" stroke-width="1"/>' for dy in (-7, 0, 7))  # fmt: skip
        return f'<rect x="{x - 20:.1f}" y="{y - 15:.1f}" width="40" height="30" fill="{wall}" stroke="{body_stroke if not solid else "#922b21"}" stroke-width="1.5"/>' + bricks  # fmt: skip
    if kind == "server":
        slots = "".join(f'<path d="M{x - 8:.1f},{y + dy:.1f} L{x + 8:.1f},{y + dy:.1f}" stroke="{line}" stroke-width="1.6"/>' for dy in (-9, -4, 1))  # fmt: skip
        return f'<rect x="{x - 13:.1f}" y="{y - 17:.1f}" width="26" height="34" rx="2" fill="{fill if solid else "#eeeeee"}" stroke="{body_stroke}" stroke-width="1.5"/>' + slots  # fmt: skip
    if kind == "cloud":
        return (f'<path d="M{x - 18:.1f},{y + 10:.1f} a9,9 0 0,1 1,-17 a11,11 0 0,1 19,-5 a9,9 0 0,1 16,6 '
                f'a7,7 0 0,1 0,16 z" fill="{"#e8f1f8" if solid else "white"}" stroke="{body_stroke}" stroke-width="1.5"/>')  # fmt: skip
    return (f'<rect x="{x - 16:.1f}" y="{y - 15:.1f}" width="32" height="22" rx="2" fill="{fill}" stroke="{body_stroke}" stroke-width="1.5"/>'
            f'<path d="M{x - 8:.1f},{y + 15:.1f} L{x + 8:.1f},{y + 15:.1f} M{x:.1f},{y + 7:.1f} L{x:.1f},{y + 15:.1f}" stroke="{body_stroke}" stroke-width="2"/>')  # fmt: skip
