"""SmartArt read from its data model: the `dgm:dataModel` part a graphicFrame's `r:dm` names.

The data model states what the diagram says, whatever its layout draws: content points
(`dgm:pt` of type node, asst or none) with their text, joined by `parOf` connections (parent,
child, order). Presentation points, transitions and the layout's own shapes are drawing, not
content. The layout family (the root point's `loCatId`, else its `loTypeId`) says what the
tree means:

- hierarchy (org charts, trees): parent -> child edges;
- process and cycle: the top-level steps in order, each to the next (a cycle closes);
- list, relationship, matrix, pyramid, picture and others: no edges; a point's children are
  drawn inside it.

Boxes come from the diagram's drawing part (`dsp:drawing`, which Office saves beside the
data model: each shape names the presentation point it draws, and that point the content
point it stands for), placed at the graphicFrame's offset; without one, a plain row or tree
layout. Points with no text are left out; their children join the nearest point above with
text. The result is a Drawing in the cells figures/source.py reads exactly.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from lxml import etree

from ictrag.load.drawingml import EMU_PER_POINT, Drawing
from ictrag.model import SourceCell

DGM = "{http://schemas.openxmlformats.org/drawingml/2006/diagram}"
DSP = "{http://schemas.microsoft.com/office/drawing/2008/diagram}"
A = "{http://schemas.openxmlformats.org/drawingml/2006/main}"
URI = "http://schemas.openxmlformats.org/drawingml/2006/diagram"
"""graphicData holding a SmartArt diagram."""
CONTENT_TYPES = ("node", "asst")
FAMILIES = ("hierarchy", "process", "cycle")
"""Layout families whose structure is edges; every other family is boxes in boxes."""
_FAMILY_WORDS = {
    "hierarchy": ("hierarchy", "orgchart", "tree"),
    "process": ("process", "arrow", "chevron", "funnel", "gear", "step"),
    "cycle": ("cycle", "radial"),
}
_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
_GAP = 20.0
"""Between boxes of the fallback layout (points)."""
_BOX = (120.0, 40.0)


@dataclass
class Point:
    id: str
    text: str
    children: list[Point] = field(default_factory=list)


@dataclass
class SmartArt:
    family: str
    """hierarchy, process, cycle, or another loCatId (list, relationship, matrix, ...)."""
    roots: list[Point]
    """Top-level content points in their order."""
    boxes: dict[str, tuple[float, float, float, float]]
    """Content point id -> its box in points, relative to the diagram's frame."""

    def points(self) -> Iterator[Point]:
        stack = list(reversed(self.roots))
        while stack:
            point = stack.pop()
            yield point
            stack.extend(reversed(point.children))


def read_smartart(data: bytes, drawing: bytes | None = None) -> SmartArt:
    """The content tree of a data model part, with boxes from its drawing part if given.
    ValueError for XML that is not a data model."""
    return _model(_parse(data), drawing)


def _parse(data: bytes) -> etree._Element:
    try:
        root = etree.fromstring(data, _PARSER)
    except etree.XMLSyntaxError as error:
        raise ValueError(f"SmartArt data model does not parse: {error}") from error
    if root.tag != f"{DGM}dataModel":
        raise ValueError(f"not a SmartArt data model: {root.tag}")
    return root


def _model(root: etree._Element, drawing: bytes | None) -> SmartArt:
    points = {p.get("modelId", ""): p for p in root.iter(f"{DGM}pt")}
    top = next((p for p in points.values() if p.get("type") == "doc"), None)
    content = {
        key: Point(key, _text(p))
        for key, p in points.items()
        if p.get("type", "node") in CONTENT_TYPES
    }
    links = sorted(
        (
            (c.get("srcId", ""), int(c.get("srcOrd", "0") or 0), c.get("destId", ""))
            for c in root.iter(f"{DGM}cxn")
            if c.get("type", "parOf") == "parOf"
        ),
        key=lambda link: (link[0], link[1]),
    )
    children: dict[str, list[str]] = {}
    has_parent: set[str] = set()
    for source, _, target in links:
        if target in content:
            children.setdefault(source, []).append(target)
            has_parent.add(target)

    def kept(key: str, seen: frozenset[str]) -> list[Point]:
        """`key`'s point, or, when it has no text, its children with text (in order)."""
        if key in seen:  # a malformed model that loops
            return []
        below = [p for child in children.get(key, []) for p in kept(child, seen | {key})]
        point = content.get(key)
        if point is None or not point.text:
            return below
        point.children = below
        return [point]

    tops = children.get(top.get("modelId", ""), []) if top is not None else []
    tops += [key for key in content if key not in has_parent and key not in tops]
    roots = [p for key in tops for p in kept(key, frozenset())]
    return SmartArt(_family(top), roots, _boxes(drawing, points) if drawing else {})


def frame_smartart(graphic_data: etree._Element, part: Callable[[str], bytes | None]):
    """The SmartArt a `a:graphicData` element holds, reading its parts through `part`
    (relationship id -> the part's bytes, None when there is none); None when it holds no
    SmartArt or its data model is missing. ValueError for a data model that does not parse."""
    if graphic_data.get("uri") != URI:
        return None
    ids = graphic_data.find(f"{DGM}relIds")
    data = part(ids.get(f"{_REL}dm", "")) if ids is not None else None
    if data is None:
        return None
    root = _parse(data)
    drawing_id = next(
        (e.get("relId") for e in root.iter(f"{DSP}dataModelExt") if e.get("relId")), None
    )
    return _model(root, part(drawing_id) if drawing_id else None)


def smartart_drawing(
    art: SmartArt, origin: tuple[float, float] = (0.0, 0.0), prefix: str = "dgm"
) -> Drawing:
    """The diagram as cells: a vertex per content point (inside its parent's box in the
    families without edges), edges as the family reads them. `origin`: the graphicFrame's
    top-left corner on the page, in points."""
    boxes = art.boxes if _covers(art) else _layout(art)
    ox, oy = origin
    ids = {point.id: f"{prefix}{n}" for n, point in enumerate(art.points(), start=1)}
    cells: list[SourceCell] = []
    nested = art.family not in FAMILIES

    def add(point: Point, parent: str | None) -> None:
        x0, y0, x1, y1 = boxes[point.id]
        cells.append(
            SourceCell(
                id=ids[point.id], kind="vertex", label=point.text,
                style={"rounded": "1", "smartart": art.family},
                parent=parent if nested else None, bbox=(x0 + ox, y0 + oy, x1 + ox, y1 + oy),
            )
        )  # fmt: skip
        for child in point.children:
            add(child, ids[point.id])

    for point in art.roots:
        add(point, None)
    pairs: list[tuple[Point, Point]] = []
    if art.family == "hierarchy":
        pairs = [(p, c) for p in art.points() for c in p.children]
    elif art.family in ("process", "cycle"):
        pairs = list(zip(art.roots, art.roots[1:], strict=False))
        if art.family == "cycle" and len(art.roots) > 2:
            pairs.append((art.roots[-1], art.roots[0]))
    for n, (a, b) in enumerate(pairs, start=1):
        cells.append(
            SourceCell(
                id=f"{prefix}e{n}", kind="edge", source=ids[a.id], target=ids[b.id],
                style={"endArrow": "none" if art.family == "hierarchy" else "classic"},
            )
        )  # fmt: skip
    return Drawing(cells, {})


def is_figure(art: SmartArt) -> bool:
    """Two content points or more: a diagram. One point is a label (a box saying "AS10")."""
    return sum(1 for _ in art.points()) >= 2


def _text(point: etree._Element) -> str:
    body = point.find(f"{DGM}t")
    if body is None:
        return ""
    lines = ("".join(t.text or "" for t in p.iter(f"{A}t")) for p in body.iter(f"{A}p"))
    return "\n".join(line.strip() for line in lines if line.strip())


def _family(top: etree._Element | None) -> str:
    settings = top.find(f"{DGM}prSet") if top is not None else None
    if settings is None:
        return "list"
    category = (settings.get("loCatId") or "").lower()
    if category:
        return category
    layout = (settings.get("loTypeId") or "").rsplit("/", 1)[-1].lower()
    for family, words in _FAMILY_WORDS.items():
        if any(word in layout for word in words):
            return family
    return "list"


def _boxes(drawing: bytes, points: dict[str, etree._Element]) -> dict[str, tuple]:
    """Content point id -> the union of the boxes of the shapes drawing it (points); none
    for a drawing part that does not parse (the content still reads, laid out plainly)."""
    try:
        root = etree.fromstring(drawing, _PARSER)
    except etree.XMLSyntaxError:
        return {}
    boxes: dict[str, tuple[float, float, float, float]] = {}
    for shape in root.iter(f"{DSP}sp"):
        pres = points.get(shape.get("modelId", ""))
        settings = pres.find(f"{DGM}prSet") if pres is not None else None
        owner = settings.get("presAssocID") if settings is not None else None
        off = shape.find(f"{DSP}spPr/{A}xfrm/{A}off")
        ext = shape.find(f"{DSP}spPr/{A}xfrm/{A}ext")
        if owner is None or off is None or ext is None:
            continue
        x, y = float(off.get("x", 0)) / EMU_PER_POINT, float(off.get("y", 0)) / EMU_PER_POINT
        box = (
            x, y,
            x + float(ext.get("cx", 0)) / EMU_PER_POINT, y + float(ext.get("cy", 0)) / EMU_PER_POINT,
        )  # fmt: skip
        old = boxes.get(owner)
        boxes[owner] = box if old is None else (
            min(old[0], box[0]), min(old[1], box[1]), max(old[2], box[2]), max(old[3], box[3])
        )  # fmt: skip
    return boxes


def _covers(art: SmartArt) -> bool:
    return all(point.id in art.boxes for point in art.points())


def _layout(art: SmartArt) -> dict[str, tuple[float, float, float, float]]:
    """Boxes when the file has no drawing part: top-level points in a row (a column for
    lists), a hierarchy's levels in rows, other families' children stacked inside."""
    width, height = _BOX
    boxes: dict[str, tuple[float, float, float, float]] = {}
    if art.family == "hierarchy":
        levels: list[list[Point]] = [list(art.roots)]
        while levels[-1]:
            levels.append([c for p in levels[-1] for c in p.children])
        for row, level in enumerate(levels):
            for column, point in enumerate(level):
                x, y = column * (width + _GAP), row * (height + 2 * _GAP)
                boxes[point.id] = (x, y, x + width, y + height)
        return boxes

    def place(point: Point, x: float, y: float) -> float:
        """Box `point` (and its children inside it) at (x, y); its height."""
        inner = y + height
        for child in point.children:
            inner += place(child, x + _GAP / 2, inner) + _GAP / 2
        boxes[point.id] = (x, y, x + width + _GAP * _depth(point), inner)
        return inner - y

    along_x = art.family in ("process", "cycle")
    offset = 0.0
    for point in art.roots:
        size = place(point, offset if along_x else 0.0, 0.0 if along_x else offset)
        offset += (width + _GAP * (_depth(point) + 1)) if along_x else size + _GAP
    return boxes


def _depth(point: Point) -> int:
    return 1 + max((_depth(c) for c in point.children), default=0) if point.children else 0
