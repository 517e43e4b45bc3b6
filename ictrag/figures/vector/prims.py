"""Geometric primitives of a vector figure: closed shapes, open strokes, arrowheads, dots
and text groups, read from `VectorContent` (pymupdf drawings reduced to plain data).

Everything here is plain geometry; what the primitives mean (nodes, edges, messages) is
decided in vector.py, vector_seq.py and vector_packet.py.
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass, field

from ictrag.load.drawings import Path, Span, VectorContent

Point = tuple[float, float]
Box = tuple[float, float, float, float]

JOIN_TOL = 0.8
"""Points closer than this (pt) are the same point when chaining path items."""


@dataclass
class Shape:
    box: Box
    kind: str  # rect, round, decision, circle, ellipse, polygon, hexagon
    points: list[Point]
    filled: bool
    stroked: bool
    fill: tuple[float, ...] | None = None
    dashed: bool = False


@dataclass
class Stroke:
    points: list[Point]
    dashed: bool = False
    width: float = 1.0
    color: tuple[float, ...] | None = None

    @property
    def box(self) -> Box:
        return bbox_of(self.points)

    @property
    def length(self) -> float:
        return sum(dist(a, b) for a, b in zip(self.points, self.points[1:], strict=False))


@dataclass
class Arrowhead:
    points: list[Point]
    box: Box
    filled: bool = True


@dataclass
class TextGroup:
    """Spans that read as one label: same line neighbours and stacked lines."""

    spans: list[Span]
    box: Box
    text: str
    size: float

    @property
    def center(self) -> Point:
        return center(self.box)


@dataclass
class Primitives:
    bbox: Box
    shapes: list[Shape] = field(default_factory=list)
    strokes: list[Stroke] = field(default_factory=list)
    arrows: list[Arrowhead] = field(default_factory=list)
    dots: list[Shape] = field(default_factory=list)
    texts: list[TextGroup] = field(default_factory=list)
    spans: list[Span] = field(default_factory=list)
    font: float = 10.0
    """Median font size: the unit for tolerances."""


# -- small geometry -----------------------------------------------------------------------
def dist(a: Point, b: Point) -> float:
    return math.hypot(a[0] - b[0], a[1] - b[1])


def bbox_of(points: list[Point]) -> Box:
    xs = [p[0] for p in points]
    ys = [p[1] for p in points]
    return (min(xs), min(ys), max(xs), max(ys))


def center(box: Box) -> Point:
    return ((box[0] + box[2]) / 2, (box[1] + box[3]) / 2)


def width(box: Box) -> float:
    return box[2] - box[0]


def height(box: Box) -> float:
    return box[3] - box[1]


def area(box: Box) -> float:
    return max(0.0, width(box)) * max(0.0, height(box))


def contains(outer: Box, inner: Box, slack: float = 1.0) -> bool:
    return (
        outer[0] - slack <= inner[0]
        and outer[1] - slack <= inner[1]
        and inner[2] <= outer[2] + slack
        and inner[3] <= outer[3] + slack
    )


def contains_point(box: Box, p: Point, slack: float = 0.0) -> bool:
    return box[0] - slack <= p[0] <= box[2] + slack and box[1] - slack <= p[1] <= box[3] + slack


def iou(a: Box, b: Box) -> float:
    inter = area((max(a[0], b[0]), max(a[1], b[1]), min(a[2], b[2]), min(a[3], b[3])))
    union = area(a) + area(b) - inter
    return inter / union if union > 0 else 0.0


def box_distance(box: Box, p: Point) -> float:
    """0 inside the box, else the distance to it."""
    dx = max(box[0] - p[0], 0.0, p[0] - box[2])
    dy = max(box[1] - p[1], 0.0, p[1] - box[3])
    return math.hypot(dx, dy)


def border_distance(box: Box, p: Point) -> float:
    """Distance to the box's outline, from inside or outside."""
    if contains_point(box, p):
        return min(p[0] - box[0], box[2] - p[0], p[1] - box[1], box[3] - p[1])
    return box_distance(box, p)


def segment_distance(p: Point, a: Point, b: Point) -> float:
    ax, ay = a
    dx, dy = b[0] - ax, b[1] - ay
    norm = dx * dx + dy * dy
    if norm == 0:
        return dist(p, a)
    t = max(0.0, min(1.0, ((p[0] - ax) * dx + (p[1] - ay) * dy) / norm))
    return dist(p, (ax + t * dx, ay + t * dy))


def polyline_distance(p: Point, points: list[Point]) -> float:
    if len(points) == 1:
        return dist(p, points[0])
    return min(segment_distance(p, a, b) for a, b in zip(points, points[1:], strict=False))


def point_at_fraction(points: list[Point], fraction: float) -> Point:
    total = sum(dist(a, b) for a, b in zip(points, points[1:], strict=False))
    goal, run = total * fraction, 0.0
    for a, b in zip(points, points[1:], strict=False):
        step = dist(a, b)
        if run + step >= goal and step > 0:
            t = (goal - run) / step
            return (a[0] + t * (b[0] - a[0]), a[1] + t * (b[1] - a[1]))
        run += step
    return points[-1]


# -- reading paths ------------------------------------------------------------------------
def _bezier(p0: Point, p1: Point, p2: Point, p3: Point, steps: int = 4) -> list[Point]:
    out = []
    for i in range(1, steps + 1):
        t = i / steps
        u = 1 - t
        out.append(
            (
                u**3 * p0[0] + 3 * u * u * t * p1[0] + 3 * u * t * t * p2[0] + t**3 * p3[0],
                u**3 * p0[1] + 3 * u * u * t * p1[1] + 3 * u * t * t * p2[1] + t**3 * p3[1],
            )
        )
    return out


@dataclass
class _Sub:
    points: list[Point]
    curved: bool = False
    op: str = ""  # "re" / "qu" when the subpath is one such item

    @property
    def closed(self) -> bool:
        return self.op in ("re", "qu") or (
            len(self.points) > 2 and dist(self.points[0], self.points[-1]) <= JOIN_TOL * 2
        )


def subpaths(path: Path) -> list[_Sub]:
    subs: list[_Sub] = []
    current: _Sub | None = None
    for item in path.items:
        op = item[0]
        if op == "re":
            x0, y0, x1, y1 = item[1]
            subs.append(_Sub([(x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0)], op="re"))
            current = None
            continue
        if op == "qu":
            quad = [tuple(p) for p in item[1]]
            subs.append(_Sub([*quad, quad[0]], op="qu"))
            current = None
            continue
        if op not in ("l", "c") or len(item) < 3:
            continue
        start = tuple(item[1])
        if current is None or dist(current.points[-1], start) > JOIN_TOL:
            current = _Sub([start])
            subs.append(current)
        if op == "l":
            current.points.append(tuple(item[2]))
        else:
            current.points.extend(_bezier(start, tuple(item[2]), tuple(item[3]), tuple(item[4])))
            current.curved = True
    return subs


def simplify(points: list[Point], tol: float = 0.6) -> list[Point]:
    """Drop repeated points and points on a straight run (collinear within `tol`)."""
    out: list[Point] = []
    for p in points:
        if out and dist(out[-1], p) < 0.05:
            continue
        while len(out) >= 2 and segment_distance(out[-1], out[-2], p) < tol:
            out.pop()
        out.append(p)
    return out


def _shape_kind(sub: _Sub, box: Box) -> str:
    w, h = width(box), height(box)
    corners = simplify(sub.points[:-1] if sub.closed else sub.points)
    if sub.op == "re":
        return "rect"
    if not sub.curved:
        if len(corners) == 4:
            cx, cy = center(box)
            mids = [(cx, box[1]), (box[2], cy), (cx, box[3]), (box[0], cy)]
            tol = 0.12 * max(w, h)
            if all(min(dist(c, m) for m in mids) <= tol for c in corners):
                return "decision"
            axis = all(
                min(abs(c[0] - box[0]), abs(c[0] - box[2])) < 1.0
                and min(abs(c[1] - box[1]), abs(c[1] - box[3])) < 1.0
                for c in corners
            )
            return "rect" if axis else "polygon"
        if len(corners) == 6:
            return "hexagon"
        return "polygon"
    straight = sum(
        1 for a, b in zip(sub.points, sub.points[1:], strict=False) if dist(a, b) > 0.25 * min(w, h)
    )
    if straight == 0:
        return "circle" if abs(w - h) <= 0.1 * max(w, h) else "ellipse"
    return "round"


def _is_dash_cloud(subs: list[_Sub]) -> bool:
    """Chromium prints dashed strokes as many tiny closed pieces."""
    if len(subs) < 5:
        return False
    small = sum(1 for sub in subs if max(width(b := bbox_of(sub.points)), height(b)) < 4.5)
    return small >= 0.8 * len(subs)


def _order_chain(points: list[Point]) -> list[Point]:
    """Order scattered dash centres into a polyline: greedy nearest neighbour from an end."""
    if len(points) < 3:
        return points
    mx = sum(p[0] for p in points) / len(points)
    my = sum(p[1] for p in points) / len(points)
    start = max(points, key=lambda p: dist(p, (mx, my)))
    rest = [p for p in points if p is not start]
    chain = [start]
    while rest:
        nearest = min(rest, key=lambda p: dist(p, chain[-1]))
        rest.remove(nearest)
        chain.append(nearest)
    return chain


def _arrow_like(sub: _Sub, box: Box, font: float) -> bool:
    corners = simplify(sub.points[:-1] if sub.closed else sub.points, tol=0.3)
    size = max(width(box), height(box))
    return not sub.curved and 3 <= len(corners) <= 4 and size <= 1.4 * font and size >= 2.0


def _curved_head(sub: _Sub, box: Box, font: float) -> bool:
    """A filled outline with curved sides and one sharp point, of arrowhead size: the
    concave heads Visio draws. A dot (curved, no point) is not one."""
    size = max(width(box), height(box))
    if not (sub.curved and 2.0 <= size <= 1.4 * font):
        return False
    corners = simplify(sub.points[:-1], tol=0.05 * size)
    return len(corners) >= 3 and min(_angle(corners, i) for i in range(len(corners))) < 70.0


def _angle(corners: list[Point], i: int) -> float:
    """Interior angle (degrees) of the polygon `corners` at vertex i."""
    (ax, ay), (bx, by), (cx, cy) = corners[i - 1], corners[i], corners[(i + 1) % len(corners)]
    u, v = (ax - bx, ay - by), (cx - bx, cy - by)
    norms = math.hypot(*u) * math.hypot(*v)
    if not norms:
        return 180.0
    return math.degrees(math.acos(max(-1.0, min(1.0, (u[0] * v[0] + u[1] * v[1]) / norms))))


def read_primitives(content: VectorContent) -> Primitives:
    spans = [span for span in content.spans if span.text.strip()]
    sizes = sorted(span.size for span in spans if span.size > 0)
    font = sizes[len(sizes) // 2] if sizes else 10.0
    prims = Primitives(bbox=tuple(content.bbox), spans=spans, font=font)
    fig_area = area(prims.bbox) or 1.0
    for path in content.paths:
        subs = subpaths(path)
        if not subs:
            continue
        filled = path.fill is not None
        stroked = path.color is not None and path.width > 0
        dashed = bool(path.dashes and path.dashes not in ("[] 0", "[] 0.0"))
        if _is_dash_cloud(subs):
            centres = [center(bbox_of(sub.points)) for sub in subs]
            box = bbox_of(centres)
            if max(width(box), height(box)) < 1.2 * font:
                continue  # dash pattern on a marker outline: decoration
            prims.strokes.append(Stroke(_order_chain(centres), True, path.width, path.fill))
            continue
        for sub in subs:
            if len(sub.points) < 2:
                continue
            box = bbox_of(sub.points)
            if sub.closed and (filled or stroked):
                if area(box) >= 0.9 * fig_area and not stroked:
                    continue  # page / figure background
                head = _arrow_like(sub, box, font) or (filled and _curved_head(sub, box, font))
                if head and sub.op != "re":
                    prims.arrows.append(Arrowhead(simplify(sub.points[:-1], 0.3), box, filled))
                    continue
                kind = _shape_kind(sub, box)
                shape = Shape(box, kind, sub.points, filled, stroked, path.fill, dashed)
                if max(width(box), height(box)) < 0.5 * font:
                    continue
                if kind in ("circle", "ellipse") and max(width(box), height(box)) < 1.6 * font:
                    prims.dots.append(shape)
                    continue
                if min(width(box), height(box)) < 0.6:
                    pts = [(box[0], box[1]), (box[2], box[3])]
                    prims.strokes.append(Stroke(pts, dashed, path.width, path.color))
                    continue
                prims.shapes.append(shape)
            elif stroked or (filled and not sub.closed and len(sub.points) >= 2):
                points = simplify(sub.points, 0.3)
                if (
                    len(points) >= 2
                    and dist(points[0], points[-1]) + 0.0 >= 0
                    and _length(points) > 1.0
                ):
                    prims.strokes.append(Stroke(points, dashed, path.width, path.color))
    prims.shapes = _merge_shapes(prims.shapes)
    prims.dots = _merge_shapes(prims.dots, keep_rings=True)
    prims.texts = group_text(spans, font)
    return prims


def _length(points: list[Point]) -> float:
    return sum(dist(a, b) for a, b in zip(points, points[1:], strict=False))


_KIND_RANK = {"decision": 5, "hexagon": 4, "circle": 3, "ellipse": 3, "round": 2, "polygon": 1}


def _merge_shapes(shapes: list[Shape], keep_rings: bool = False) -> list[Shape]:
    """A node is often drawn twice (fill, then outline): keep one, with the richer kind."""
    out: list[Shape] = []
    sizes: list[float] = []  # -area of each kept shape: ascending, as they are kept
    for shape in sorted(shapes, key=lambda s: -area(s.box)):
        # IoU > 0.85 needs the larger shape at most 1/0.85 the area of this one: only the
        # kept shapes from that size on can be its twin
        first = bisect.bisect_left(sizes, -area(shape.box) / 0.85)
        twin = next((o for o in out[first:] if iou(o.box, shape.box) > 0.85), None)
        if twin is None:
            out.append(shape)
            sizes.append(-area(shape.box))
            continue
        twin.filled = twin.filled or shape.filled
        twin.stroked = twin.stroked or shape.stroked
        twin.fill = twin.fill or shape.fill
        if _KIND_RANK.get(shape.kind, 0) > _KIND_RANK.get(twin.kind, 0):
            twin.kind = shape.kind
    return out


# -- text ---------------------------------------------------------------------------------
def group_text(spans: list[Span], font: float) -> list[TextGroup]:
    """Join spans of one line (small gaps) and then lines stacked right under each other
    with overlapping x ranges (multi-line labels)."""
    rows = group_rows(spans, font)
    rows.sort(key=lambda r: (r.box[1], r.box[0]))
    groups: list[TextGroup] = []
    for row in rows:
        target = None
        for group in groups:
            gap = row.box[1] - group.box[3]
            overlap = min(group.box[2], row.box[2]) - max(group.box[0], row.box[0])
            cx_close = abs(center(group.box)[0] - center(row.box)[0]) < 0.25 * max(
                width(group.box), width(row.box)
            )
            if -0.5 * row.size <= gap <= 0.45 * row.size and overlap > 0 and cx_close:
                target = group
                break
        if target is None:
            groups.append(row)
        else:
            target.spans.extend(row.spans)
            target.box = _union([target.box, row.box])
            target.text = f"{target.text} {row.text}"
    return groups


def group_rows(spans: list[Span], font: float) -> list[TextGroup]:
    """Join the spans of one printed line (small gaps between them) into one group each."""
    lines: list[list[Span]] = []
    for span in sorted(spans, key=lambda s: (round(center(s.bbox)[1]), s.bbox[0])):
        for line in lines:
            last = line[-1]
            same_row = abs(center(last.bbox)[1] - center(span.bbox)[1]) < 0.35 * max(
                height(last.bbox), 1.0
            )
            gap = span.bbox[0] - last.bbox[2]
            if same_row and -1.0 <= gap <= 0.8 * max(last.size, font):
                line.append(span)
                break
        else:
            lines.append([span])
    return [
        TextGroup(
            line, _union([s.bbox for s in line]), " ".join(s.text for s in line), line[0].size
        )
        for line in lines
    ]


def _union(boxes: list[Box]) -> Box:
    return (
        min(b[0] for b in boxes),
        min(b[1] for b in boxes),
        max(b[2] for b in boxes),
        max(b[3] for b in boxes),
    )


def union(boxes: list[Box]) -> Box:
    return _union(boxes)
