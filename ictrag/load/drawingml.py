"""A DrawingML shape tree (a PowerPoint slide's `p:spTree`, a Word `wpg` group or `wpc`
canvas) -> the cells figures/source.py reads exactly, as it reads a draw.io page.

- Shapes are vertices with their text, preset geometry as a style key (`ellipse`, `rhombus`,
  `cloud`, `cylinder`, `rounded`) and an absolute box in points (group transforms applied:
  a child's `chOff`/`chExt` frame is scaled onto the group's `off`/`ext`, nested groups
  compose). A shape with text and neither fill nor outline is free text (`text` style).
- A group with no line inside and some visible shape (a router drawn from pieces, a server
  with its name under it) is one icon vertex, named by its text; glue to any piece of it is
  glue to the icon. A group of text only (an interface name and a number) is one text.
- Pictures are icon vertices named by the picture's description or name ("router"), or,
  when these are generic ("Picture 3"), by the text beside them (source.py's rule).
- Connectors (`cxnSp`) and line shapes (`line`, `straightConnector1`, bent and curved
  connectors) are edges: `stCxn`/`endCxn` glue when it names a shape of the tree, else the
  shape at each end point (`style["sourceGlue"]` / `["targetGlue"]` say which: `glued`,
  `nearest` or `none`). `flipH`/`flipV` and rotation decide where each end lies; `headEnd`
  is the start's arrowhead, `tailEnd` the end's; a dash pattern is `dashed=1`.
- Free text next to an edge and nearer to it than to any shape labels the edge (a label cell
  with its place along the edge, -1 at the start to 1 at the end, as draw.io's offset).

Placeholders (titles, bullet bodies) are the slide's text, not its drawing, and are left
out; tables, charts and SmartArt (`graphicFrame`) too.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

from ictrag.load.render import draw_cells, save_image
from ictrag.model import BBox, DiagramSource, Figure, SourceCell

EMU_PER_POINT = 12700.0
A = "{http://schemas.openxmlformats.org/drawingml/2006/main}"
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
LINE_PRESETS = re.compile(r"^(line|straightConnector1|(bent|curved)Connector[2-5])$")
GEOMETRY_STYLE = {
    "ellipse": {"ellipse": ""},
    "roundRect": {"rounded": "1"},
    "diamond": {"rhombus": ""},
    "cloud": {"cloud": ""},
    "cloudCallout": {"cloud": ""},
    "can": {"cylinder": ""},
}
"""Preset geometry -> the draw.io style key source.py knows (others keep only `geometry`)."""
END_TOLERANCE = 12.0
"""A free line end this near a shape (points) joins it."""
LABEL_GAP = 8.0
"""Free text whose box is this near an edge (points), and nearer to it than to any shape,
labels the edge."""
MAX_ICON_TEXT = 80
"""An icon's name is short; a group with more text is a drawing of its own."""
_GENERIC_NAME = re.compile(
    r"^(picture|image|grafik|immagine|imagen|bild|graphic|object|content placeholder|"
    r"grafik|afbeelding|obraz|figure|clip ?art)?\s*\d*$",
    re.IGNORECASE,
)
_FILLS = ("solidFill", "gradFill", "pattFill", "blipFill")


@dataclass
class _Frame:
    """Child coordinates (EMU) -> slide points: x' = sx * x + tx."""

    sx: float = 1.0 / EMU_PER_POINT
    sy: float = 1.0 / EMU_PER_POINT
    tx: float = 0.0
    ty: float = 0.0

    def point(self, x: float, y: float) -> tuple[float, float]:
        return self.sx * x + self.tx, self.sy * y + self.ty

    def child(self, xfrm: etree._Element | None) -> _Frame:
        """The frame of a group's children, from the group's `a:xfrm`."""
        off, ext = _pair(xfrm, "off", "x", "y"), _pair(xfrm, "ext", "cx", "cy")
        ch_off, ch_ext = _pair(xfrm, "chOff", "x", "y"), _pair(xfrm, "chExt", "cx", "cy")
        if off is None or ext is None or ch_off is None or ch_ext is None:
            return self
        kx = ext[0] / ch_ext[0] if ch_ext[0] else 1.0
        ky = ext[1] / ch_ext[1] if ch_ext[1] else 1.0
        # child x -> group x: off + (x - chOff) * k, then this frame
        return _Frame(
            self.sx * kx,
            self.sy * ky,
            self.sx * (off[0] - ch_off[0] * kx) + self.tx,
            self.sy * (off[1] - ch_off[1] * ky) + self.ty,
        )


@dataclass
class _Reading:
    cells: list[SourceCell] = field(default_factory=list)
    ids: set[str] = field(default_factory=set)
    glued: set[str] = field(default_factory=set)
    """Shape ids some connector is glued to."""
    alias: dict[str, str] = field(default_factory=dict)
    """Shape id -> the cell that stands for it (a piece of an icon -> the icon)."""
    lines: list[tuple[SourceCell, str | None, str | None]] = field(default_factory=list)
    """Edges with their glue ids as the file gives them."""


def _local(element: etree._Element) -> str:
    return etree.QName(element).localname if isinstance(element.tag, str) else ""


def _child(element: etree._Element | None, name: str) -> etree._Element | None:
    if element is None:
        return None
    return next((c for c in element if _local(c) == name), None)


def _number(value: str | None) -> float:
    try:
        return float(value or 0)
    except ValueError:
        return 0.0


def _pair(xfrm, name: str, a: str, b: str) -> tuple[float, float] | None:
    node = _child(xfrm, name)
    if node is None:
        return None
    try:
        return float(node.get(a, 0)), float(node.get(b, 0))
    except ValueError:
        return None


def _properties(element: etree._Element) -> etree._Element | None:
    """spPr / grpSpPr (any namespace: p:, wps:, wpg:, pic:)."""
    return next((c for c in element if _local(c) in ("spPr", "grpSpPr")), None)


def _nv(element: etree._Element) -> etree._Element | None:
    """The cNvPr of a shape (under nvSpPr / nvCxnSpPr / nvPicPr / nvGrpSpPr, or direct in wps)."""
    for child in element:
        name = _local(child)
        if name == "cNvPr":
            return child
        if name.startswith("nv"):
            found = _child(child, "cNvPr")
            if found is not None:
                return found
    return None


def _is_placeholder(element: etree._Element) -> bool:
    return any(
        _local(node) == "ph" for node in element.iter() if _local(node.getparent()) == "nvPr"
    )


def shape_text(element: etree._Element) -> str:
    """A shape's text as one line (paragraphs and line breaks become spaces)."""
    paragraphs = []
    for body in (c for c in element if _local(c) in ("txBody", "txbx")):
        # PowerPoint writes a:p / a:t; a Word text box holds w:p / w:t
        for para in body.iter(f"{A}p", f"{W}p"):
            words = "".join(t.text or "" for t in para.iter(f"{A}t", f"{W}t"))
            if words.strip():
                paragraphs.append(words)
    return " ".join(" ".join(paragraphs).split())


def _box(frame: _Frame, xfrm: etree._Element | None) -> tuple[BBox, float] | None:
    """The shape's absolute box (rotation applied to its outline) and its rotation (deg)."""
    off, ext = _pair(xfrm, "off", "x", "y"), _pair(xfrm, "ext", "cx", "cy")
    if off is None or ext is None:
        return None
    x0, y0 = frame.point(*off)
    x1, y1 = frame.point(off[0] + ext[0], off[1] + ext[1])
    rotation = _number(xfrm.get("rot")) / 60000.0
    box = (min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1))
    if rotation % 180:
        corners = [_turn(p, box, rotation) for p in _corners(box)]
        xs, ys = [p[0] for p in corners], [p[1] for p in corners]
        box = (min(xs), min(ys), max(xs), max(ys))
    return box, rotation


def _corners(box: BBox) -> list[tuple[float, float]]:
    return [(box[0], box[1]), (box[2], box[1]), (box[2], box[3]), (box[0], box[3])]


def _turn(point: tuple[float, float], box: BBox, degrees: float) -> tuple[float, float]:
    """`point` turned clockwise (y down) about the box's centre."""
    cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    angle = math.radians(degrees)
    dx, dy = point[0] - cx, point[1] - cy
    return cx + dx * math.cos(angle) - dy * math.sin(angle), cy + dx * math.sin(
        angle
    ) + dy * math.cos(angle)


def _geometry(properties: etree._Element | None) -> str:
    preset = _child(properties, "prstGeom")
    if preset is not None:
        return preset.get("prst", "rect")
    return "custom" if _child(properties, "custGeom") is not None else "rect"


def _style_ref(element: etree._Element, name: str) -> bool:
    """Whether the shape's theme style (`p:style`) gives it a fill / line."""
    style = next((c for c in element if _local(c) == "style"), None)
    ref = _child(style, name)
    return ref is not None and ref.get("idx", "0") != "0"


def _filled(element: etree._Element, properties: etree._Element | None) -> bool:
    if _child(properties, "noFill") is not None:
        return False
    if any(_child(properties, name) is not None for name in _FILLS):
        return True
    return _style_ref(element, "fillRef")


def _outlined(element: etree._Element, properties: etree._Element | None) -> bool:
    line = _child(properties, "ln")
    if line is not None and _child(line, "noFill") is not None:
        return False
    if line is not None and any(_child(line, name) is not None for name in _FILLS):
        return True
    return _style_ref(element, "lnRef")


def _descendants(group: etree._Element):
    """The group's shapes, pictures and connectors, at any depth (not its sub-groups)."""
    for child in group:
        name = _local(child)
        if name in ("grpSp", "wgp"):
            yield from _descendants(child)
        elif name in ("sp", "wsp", "cxnSp", "pic"):
            yield child


def _is_line(element: etree._Element) -> bool:
    name = _local(element)
    if name == "cxnSp" or (name == "wsp" and _child(element, "cNvCnPr") is not None):
        return True
    return name in ("sp", "wsp") and bool(LINE_PRESETS.match(_geometry(_properties(element))))


def _icon_label(group: etree._Element) -> str | None:
    """The name of a group that draws one thing, or None when the group is a drawing.
    '' is an icon with no text."""
    pieces = list(_descendants(group))
    if not pieces or any(_is_line(p) or _is_placeholder(p) for p in pieces):
        return None
    visible = any(
        _local(p) == "pic" or _filled(p, _properties(p)) or _outlined(p, _properties(p))
        for p in pieces
    )
    texts = [t for t in (shape_text(p) for p in pieces) if t]
    label = " ".join(texts)
    if len(label) > MAX_ICON_TEXT:
        return None
    return label if visible or texts else None


def _text_only(group: etree._Element) -> bool:
    pieces = list(_descendants(group))
    return bool(pieces) and all(
        _local(p) in ("sp", "wsp")
        and not _is_line(p)
        and not _filled(p, _properties(p))
        and not _outlined(p, _properties(p))
        for p in pieces
    )


def _picture_name(element: etree._Element) -> str:
    """What a picture shows, from its description or name: '' when these are generic."""
    nv = _nv(element)
    for value in (nv.get("descr", ""), nv.get("name", "")) if nv is not None else ():
        value = " ".join(value.split())
        if value and not _GENERIC_NAME.match(value) and len(value) <= MAX_ICON_TEXT:
            return value
    return ""


def _shape_style(element: etree._Element, label: str, glued: set[str]) -> dict[str, str] | None:
    """A shape's or picture's style; None for a shape with nothing visible that no
    connector is glued to."""
    if _local(element) == "pic":
        return {"image": _picture_name(element) or "picture"}
    properties = _properties(element)
    geometry = _geometry(properties)
    if not _filled(element, properties) and not _outlined(element, properties):
        if label:
            return {"text": "", "geometry": geometry}
        nv = _nv(element)
        return {"geometry": geometry} if nv is not None and nv.get("id") in glued else None
    return {"geometry": geometry, **GEOMETRY_STYLE.get(geometry, {})}


def _new_id(reading: _Reading, element: etree._Element) -> str | None:
    """The shape's id, made unique in the tree (Word groups may repeat or omit ids)."""
    nv = _nv(element)
    if nv is None:
        return None
    raw = nv.get("id", "") or "shape"
    cell_id = raw
    while cell_id in reading.ids:
        cell_id += "'"
    reading.ids.add(cell_id)
    reading.alias.setdefault(raw, cell_id)
    return cell_id


def _vertex(element, frame: _Frame, reading: _Reading, label: str, style) -> str | None:
    placed = _box(frame, _child(_properties(element), "xfrm"))
    if style is None or placed is None:
        return None
    cell_id = _new_id(reading, element)
    if cell_id is None:
        return None
    reading.cells.append(
        SourceCell(id=cell_id, kind="vertex", label=label, style=style, bbox=placed[0])
    )
    return cell_id


def _icon_style(group: etree._Element) -> dict[str, str]:
    """An icon's style from its largest piece: a cylinder body, a picture."""
    best, best_area = None, -1.0
    for piece in _descendants(group):
        ext = _pair(_child(_properties(piece), "xfrm"), "ext", "cx", "cy")
        area = ext[0] * ext[1] if ext else 0.0
        if area > best_area:
            best, best_area = piece, area
    if best is None:
        return {"geometry": "group"}
    if _local(best) == "pic":
        return {"image": _picture_name(best) or "picture"}
    geometry = _geometry(_properties(best))
    return {"geometry": geometry, **GEOMETRY_STYLE.get(geometry, {})}


def _ends(frame: _Frame, xfrm) -> tuple[tuple[float, float], tuple[float, float]] | None:
    off, ext = _pair(xfrm, "off", "x", "y"), _pair(xfrm, "ext", "cx", "cy")
    if off is None or ext is None:
        return None
    x0, y0, x1, y1 = off[0], off[1], off[0] + ext[0], off[1] + ext[1]
    # the unflipped line runs from the top-left to the bottom-right corner of its frame
    if xfrm.get("flipH") in ("1", "true"):
        x0, x1 = x1, x0
    if xfrm.get("flipV") in ("1", "true"):
        y0, y1 = y1, y0
    start, end = frame.point(x0, y0), frame.point(x1, y1)
    rotation = _number(xfrm.get("rot")) / 60000.0
    if rotation % 360:
        box = (
            min(start[0], end[0]),
            min(start[1], end[1]),
            max(start[0], end[0]),
            max(start[1], end[1]),
        )
        start, end = _turn(start, box, rotation), _turn(end, box, rotation)
    return start, end


def _arrow(line: etree._Element | None, end: str) -> str:
    head = _child(line, end)
    return "classic" if head is not None and head.get("type", "none") != "none" else "none"


def _edge(element, frame: _Frame, reading: _Reading) -> None:
    properties = _properties(element)
    ends = _ends(frame, _child(properties, "xfrm"))
    cell_id = _new_id(reading, element) if ends is not None else None
    if cell_id is None or ends is None:
        return
    line = _child(properties, "ln")
    dash = _child(line, "prstDash")
    style = {
        "startArrow": _arrow(line, "headEnd"),
        "endArrow": _arrow(line, "tailEnd"),
        "geometry": _geometry(properties),
    }
    if (dash is not None and dash.get("val", "solid") != "solid") or _child(
        line, "custDash"
    ) is not None:
        style["dashed"] = "1"
    glue = {name: None for name in ("stCxn", "endCxn")}
    for node in element.iter(f"{A}stCxn", f"{A}endCxn"):
        glue[_local(node)] = node.get("id")
    cell = SourceCell(
        id=cell_id, kind="edge", label=shape_text(element), style=style,
        source_point=ends[0], target_point=ends[1],
    )  # fmt: skip
    reading.cells.append(cell)
    reading.lines.append((cell, glue["stCxn"], glue["endCxn"]))


def _walk(parent: etree._Element, frame: _Frame, reading: _Reading) -> None:
    for element in parent:
        name = _local(element)
        if name in ("grpSp", "wgp"):
            xfrm = _child(_properties(element), "xfrm")
            icon = _icon_label(element)
            if icon is not None or _text_only(element):
                words = " ".join(t for t in (shape_text(p) for p in _descendants(element)) if t)
                style = _icon_style(element) if icon is not None else {"text": ""}
                cell_id = _vertex(element, frame, reading, icon or words, style)
                for piece in element.iter():
                    if cell_id and _local(piece) == "cNvPr" and piece.get("id"):
                        reading.alias[piece.get("id")] = cell_id
                continue
            _walk(element, frame.child(xfrm), reading)
        elif name in ("sp", "wsp", "cxnSp", "pic"):
            if _is_placeholder(element):
                continue
            if _is_line(element):
                _edge(element, frame, reading)
            else:
                label = shape_text(element)
                _vertex(element, frame, reading, label, _shape_style(element, label, reading.glued))
        elif name == "wpc":  # a Word canvas: its shapes are placed on the canvas itself
            _walk(element, frame, reading)
        elif name == "AlternateContent":
            choice = next((c for c in element if _local(c) == "Choice"), None)
            if choice is not None:
                _walk(choice, frame, reading)


def _distance_to_box(point: tuple[float, float], box: BBox) -> float:
    dx = max(box[0] - point[0], 0.0, point[0] - box[2])
    dy = max(box[1] - point[1], 0.0, point[1] - box[3])
    return math.hypot(dx, dy)


def _contains(outer: BBox, inner: BBox) -> bool:
    return (
        outer[0] <= inner[0]
        and outer[1] <= inner[1]
        and inner[2] <= outer[2]
        and inner[3] <= outer[3]
    )


def _nearest_shape(point, shapes: list[SourceCell], frames: set[str]) -> str | None:
    """The shape at a free line end: a non-frame before a frame, then the nearest, then
    the smallest; none beyond END_TOLERANCE."""
    best, best_key = None, None
    for shape in shapes:
        distance = _distance_to_box(point, shape.bbox)
        if distance > END_TOLERANCE:
            continue
        box = shape.bbox
        key = (shape.id in frames, round(distance, 1), (box[2] - box[0]) * (box[3] - box[1]))
        if best_key is None or key < best_key:
            best, best_key = shape.id, key
    return best


def _segment_gap(box: BBox, start, end) -> tuple[float, float]:
    """(distance from the box to the segment, place of the box's centre along it 0..1)."""
    cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    vx, vy = end[0] - start[0], end[1] - start[1]
    length = vx * vx + vy * vy
    t = (
        0.5
        if not length
        else max(0.0, min(1.0, ((cx - start[0]) * vx + (cy - start[1]) * vy) / length))
    )
    px, py = start[0] + t * vx, start[1] + t * vy
    return _distance_to_box((px, py), box), t


def _shapes(reading: _Reading) -> tuple[list[SourceCell], set[str]]:
    """The visible vertices, and the ids of those that hold another (frames)."""
    shapes = [c for c in reading.cells if c.kind == "vertex" and c.bbox and "text" not in c.style]
    frames = {
        outer.id for outer in shapes
        if any(inner.id != outer.id and _contains(outer.bbox, inner.bbox) for inner in shapes)
    }  # fmt: skip
    return shapes, frames


def _join_ends(reading: _Reading) -> None:
    shapes, frames = _shapes(reading)
    by_id = {c.id: c for c in reading.cells}
    for cell, start_id, end_id in reading.lines:
        for side, glued_id, point in (
            ("source", start_id, cell.source_point),
            ("target", end_id, cell.target_point),
        ):
            target = reading.alias.get(glued_id or "")
            how = "glued"
            if target is None or by_id[target].kind != "vertex":
                target = _nearest_shape(point, shapes, frames) if point else None
                how = "nearest" if target else "none"
            setattr(cell, side, target)
            cell.style[f"{side}Glue"] = how


def _edge_labels(reading: _Reading) -> None:
    """Free text by an edge, nearer to it than to any shape, becomes the edge's label cell."""
    edges = [c for c in reading.cells if c.kind == "edge" and c.source_point and c.target_point]
    shapes, frames = _shapes(reading)
    shapes = [s for s in shapes if s.id not in frames]  # a frame's text may label its links
    ends = {end for edge in edges for end in (edge.source, edge.target)}
    for text in [c for c in reading.cells if "text" in c.style and c.label and c.bbox]:
        if text.id in ends:
            continue  # a connector joins it: a node
        if any(_contains(shape.bbox, text.bbox) for shape in shapes):
            continue  # printed on a shape: the shape's words
        near = [(_segment_gap(text.bbox, e.source_point, e.target_point), e) for e in edges]
        near = [(gap, t, e) for (gap, t), e in near if gap <= LABEL_GAP]
        if not near:
            continue
        gap, place, edge = min(near, key=lambda item: item[0])
        centre = ((text.bbox[0] + text.bbox[2]) / 2, (text.bbox[1] + text.bbox[3]) / 2)
        if any(_distance_to_box(centre, s.bbox) < gap for s in shapes):
            continue
        text.parent, text.offset, text.bbox = edge.id, 2.0 * place - 1.0, None


@dataclass
class Drawing:
    cells: list[SourceCell]
    members: dict[str, str]
    """Shape id in the file -> the id of the cell that stands for it (an icon for its pieces)."""

    def joined(self) -> set[str]:
        """Ids of the vertices that edges join."""
        return {
            end
            for cell in self.cells
            if cell.kind == "edge" and cell.source != cell.target
            for end in (cell.source, cell.target)
            if end
        }


def read_tree(tree: etree._Element) -> Drawing:
    """The cells of a shape tree (`p:spTree`, `wpg:wgp`, `wpc:wpc`): vertices, edges with
    their ends joined, edge labels."""
    reading = _Reading()
    reading.glued = {node.get("id", "") for node in tree.iter(f"{A}stCxn", f"{A}endCxn")}
    frame = _Frame()
    if _local(tree) in ("grpSp", "wgp"):  # a Word group: the drawing, never one icon
        frame = frame.child(_child(_properties(tree), "xfrm"))
    _walk(tree, frame, reading)
    _join_ends(reading)
    _edge_labels(reading)
    return Drawing(reading.cells, reading.alias)


def is_diagram(drawing: Drawing) -> bool:
    """At least two shapes joined by an edge (glued or by where its ends lie)."""
    return any(
        cell.kind == "edge" and cell.source and cell.target and cell.source != cell.target
        for cell in drawing.cells
    )


def drawing_figure(
    drawing: Drawing, figure_dir: str | Path, page: int, label: str, context: str
) -> Figure:
    """A vector figure stating the drawing's cells, with a PNG drawn from their geometry."""
    digest, png = save_image(draw_cells(drawing.cells), figure_dir)
    words = [cell.label for cell in drawing.cells if cell.label]
    return Figure(
        id=digest, page=page, origin="vector", image_path=str(png), label=label,
        context=context, inner_text="\n".join(words),
        source=DiagramSource(format="drawingml", cells=drawing.cells),
    )  # fmt: skip
