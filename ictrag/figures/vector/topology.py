"""Rules for network topologies drawn as vectors, whatever tool drew them: device icons
(clusters of small drawings, or embedded images, used as glyphs), nodes drawn with a double
outline, and the text printed at a link's ends (interface names, host parts, port letters).

    icons, rest = find_icons(content, font)     # icon boxes, the content without them
    shapes = drop_inner_outlines(shapes, texts, font)
    fragment("eth0 .1 ::1")                      # True: end text, never a device's name
    ends = end_texts(links, texts, font)         # which text sits at which link end
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from ictrag.figures.vector.prims import (
    Box,
    Point,
    Shape,
    TextGroup,
    area,
    box_distance,
    center,
    contains,
    contains_point,
    dist,
    height,
    polyline_distance,
    segment_distance,
    subpaths,
    union,
    width,
)
from ictrag.load.drawings import Path, VectorContent

# -- text at link ends --------------------------------------------------------------------
_FRAGMENT = re.compile(
    r"""(?ix)
    [.:][0-9a-f:.]*                                  # host part: .1  .101  ::1
    | \d{1,4}                                        # port number
    | [a-z]                                          # port letter
    | (?:[0-9x]{1,3}\.){1,3}[0-9x]{1,3}(?:/\d{1,3})?  # address or subnet, X for a group
    | [0-9a-f]{0,4}(?::[0-9a-f]{0,4}){2,7}(?:/\d{1,3})?
    | \d+(?:/\d+)+                                   # slot/port
    | (?:eth|ens|enp|en|e|ge|xe|et|gi|gig|fa|te|hu|lo|swp|port|po|ae|vlan|if|int|wlan)
      [-_]?\d+(?:[/.:]\d+)*:?                        # interface name
    """
)


def fragment(text: str) -> bool:
    """Text that names a link end (interface, port, host part, address), not a device."""
    words = text.split()
    return bool(words) and all(_FRAGMENT.fullmatch(word.strip(",;()")) for word in words)


@dataclass
class LinkEnds:
    """One link, as end labelling needs it: its polyline and the boxes of its two nodes."""

    points: list[Point]
    boxes: tuple[Box, Box]
    texts: tuple[list[TextGroup], list[TextGroup]] = field(default_factory=lambda: ([], []))
    middle: list[TextGroup] = field(default_factory=list)


def exit_point(points: list[Point], box: Box) -> tuple[Point, int]:
    """Where a polyline that starts at a node leaves the node's box, and the index of the
    segment it leaves on."""
    if not contains_point(box, points[0], 0.5):
        return points[0], 0
    for i, (a, b) in enumerate(zip(points, points[1:], strict=False)):
        if contains_point(box, b, 0.5):
            continue
        lo, hi = 0.0, 1.0
        for _ in range(20):
            mid = (lo + hi) / 2
            p = (a[0] + mid * (b[0] - a[0]), a[1] + mid * (b[1] - a[1]))
            lo, hi = (mid, hi) if contains_point(box, p, 0.5) else (lo, mid)
        return (a[0] + hi * (b[0] - a[0]), a[1] + hi * (b[1] - a[1])), i
    return points[-1], max(0, len(points) - 2)


def visible_part(points: list[Point], boxes: tuple[Box, Box]) -> list[Point]:
    """The stretch of a link between its two nodes' outlines."""
    start, i = exit_point(points, boxes[0])
    rest = [start, *points[i + 1 :]]
    end, j = exit_point(rest[::-1], boxes[1])
    back = rest[::-1]
    return [*back[j + 1 :][::-1], end] if len(rest) > 1 else rest


def _along(points: list[Point], p: Point) -> float:
    """Distance along the polyline from its start to the point nearest `p`."""
    best, best_d, run = 0.0, float("inf"), 0.0
    for a, b in zip(points, points[1:], strict=False):
        d = segment_distance(p, a, b)
        step = dist(a, b)
        if d < best_d:
            t = 0.0
            if step > 0:
                t = ((p[0] - a[0]) * (b[0] - a[0]) + (p[1] - a[1]) * (b[1] - a[1])) / step**2
            best, best_d = run + max(0.0, min(1.0, t)) * step, d
        run += step
    return best


def end_texts(links: list[LinkEnds], texts: list[TextGroup], font: float) -> list[TextGroup]:
    """Give each link-end fragment (see `fragment`) to the link it is printed beside, at
    that link's end or middle; return the texts no link took. A text is at an end when it
    is near where the link leaves the node and in the end's part of the link; a text
    printed across the link's midpoint (a subnet) is its middle label."""
    rest: list[TextGroup] = []
    visible = [visible_part(link.points, link.boxes) for link in links]
    for text in texts:
        place = _place(text, visible, font) if fragment(text.text) else None
        if place is None:
            rest.append(text)
        elif place[1] is None:
            links[place[0]].middle.append(text)
        else:
            links[place[0]].texts[place[1]].append(text)
    for link in links:
        for group in link.texts:
            group[:] = reading_order(group)
    return rest


def _place(
    text: TextGroup, visible: list[list[Point]], font: float
) -> tuple[int, int | None] | None:
    """(link, end 0 or 1) for a text at a link end, (link, None) for one in the middle."""
    best, best_key = None, None
    for k, points in enumerate(visible):
        if len(points) < 2:
            continue
        beside = polyline_distance(text.center, points) - 0.5 * min(
            width(text.box), height(text.box)
        )
        if beside > 1.6 * font:
            continue
        near = min(box_distance(text.box, points[0]), box_distance(text.box, points[-1]))
        key = max(beside, 0.0) + 0.25 * near
        if best_key is None or key < best_key:
            best, best_key = k, key
    if best is None:
        return None
    points = visible[best]
    length = sum(dist(a, b) for a, b in zip(points, points[1:], strict=False))
    x0, y0, x1, y1 = text.box
    span = [_along(points, corner) for corner in ((x0, y0), (x1, y0), (x0, y1), (x1, y1))]
    if min(span) < 0.5 * length < max(span):
        return best, None
    along = _along(points, text.center)
    side = 0 if along <= length - along else 1
    near = box_distance(text.box, points[-side])
    run = min(along, length - along)
    if near <= 2.5 * font and run <= max(0.45 * length, 1.5 * font):
        return best, side
    return best, None


def reading_order(texts: list[TextGroup]) -> list[TextGroup]:
    """Top to bottom; texts on one row (overlapping vertically) left to right."""
    rows: list[list[TextGroup]] = []
    for text in sorted(texts, key=lambda t: center(t.box)[1]):
        row = rows[-1] if rows else None
        if row and abs(center(row[0].box)[1] - center(text.box)[1]) < 0.5 * height(text.box):
            row.append(text)
        else:
            rows.append([text])
    return [t for row in rows for t in sorted(row, key=lambda t: t.box[0])]


def joined(texts: list[TextGroup]) -> str:
    return " ".join(t.text for t in texts)


def first_end(a: Box, b: Box) -> int:
    """0 when end `a` is read first: the upper end of a mostly vertical link, else the left
    end (the real-figures ground truth's convention)."""
    (ax, ay), (bx, by) = center(a), center(b)
    if abs(by - ay) > abs(bx - ax):
        return 0 if ay <= by else 1
    return 0 if ax <= bx else 1


def stacked_under(text: TextGroup, texts: list[TextGroup]) -> list[TextGroup]:
    """Lines printed right under a name, in the same block (a server's address under its
    name), which text grouping left apart because they are not centred on each other."""
    block: list[TextGroup] = []
    bottom = text.box[3]
    for other in sorted(texts, key=lambda t: t.box[1]):
        if other is text:
            continue
        gap = other.box[1] - bottom
        overlap = min(text.box[2], other.box[2]) - max(text.box[0], other.box[0])
        aligned = (
            abs(other.box[0] - text.box[0]) < 0.5 * other.size
            or abs(center(other.box)[0] - center(text.box)[0]) < 0.5 * other.size
        )
        if -0.2 * other.size <= gap <= 0.45 * other.size and overlap > 0 and aligned:
            block.append(other)
            bottom = other.box[3]
    return block


# -- double outlines ----------------------------------------------------------------------
def drop_inner_outlines(shapes: list[Shape], texts: list[TextGroup], font: float) -> list[Shape]:
    """A node drawn with two concentric outlines (Graphviz peripheries=2, double circles) is
    one node: keep the outer outline, which the links end on. A container holding a single
    node has its title, or a wider margin, between the two."""
    drop: set[int] = set()
    for outer in shapes:
        inner = [s for s in shapes if s is not outer and _inside(outer.box, s.box)]
        if len(inner) != 1 or id(inner[0]) in drop:
            continue
        gaps = _gaps(outer.box, inner[0].box)
        if min(gaps) < 0.5 or max(gaps) > max(6.0, 0.6 * font):
            continue
        if max(gaps) - min(gaps) > 1.5 + 0.5 * min(gaps):
            continue
        lone = [
            t for t in texts if contains(outer.box, t.box, 1.0) and not _inside(inner[0].box, t.box)
        ]
        if not lone:
            drop.add(id(inner[0]))
    return [s for s in shapes if id(s) not in drop]


def _inside(outer: Box, inner: Box) -> bool:
    return area(outer) > 1.05 * area(inner) and contains(outer, inner, 1.0)


def _gaps(outer: Box, inner: Box) -> tuple[float, float, float, float]:
    return (inner[0] - outer[0], inner[1] - outer[1], outer[2] - inner[2], outer[3] - inner[3])


# -- icons --------------------------------------------------------------------------------
@dataclass
class _Part:
    index: int
    box: Box
    fill: tuple[float, ...] | None
    closed_subs: int
    largest: float
    """The largest subpath's longer side: dash pieces of a line printed as fills are small."""


def find_icons(content: VectorContent, font: float) -> tuple[list[Box], VectorContent]:
    """Device icons: clusters of overlapping filled drawings (a router's body and the white
    arrows on it, a PC's screen, case and keyboard) with no label text inside, and embedded
    images of glyph size. Returns their boxes and the content without their drawings."""
    fig = content.bbox
    limit = max(12.0 * font, 0.0)
    parts = [
        part
        for i, path in enumerate(content.paths)
        if (part := _part(i, path, fig, limit, font)) is not None
    ]
    clusters = _merge_overlapping(_cluster(parts))
    icons: list[Box] = []
    used: set[int] = set()
    for cluster in clusters:
        box = union([p.box for p in cluster])
        if not _icon_like(cluster, box, font, content):
            continue
        icons.append(box)
        used |= {p.index for p in cluster} | _drawings_within(content.paths, box)
    for image in map(tuple, content.images):
        small = max(width(image), height(image)) <= limit and area(image) < 0.25 * area(fig)
        if small and _glyph_sized(image, font) and not _holds_text(image, content):
            icons.append(image)
    paths = [_dashes_as_line(p, font) for i, p in enumerate(content.paths) if i not in used]
    return icons, replace(content, paths=paths)


def _dashes_as_line(path: Path, font: float) -> Path:
    """A dashed line printed as filled pieces (Chromium does this): the line itself, so
    that it reads as a connector and not as arrowheads or icons."""
    if path.fill is None:
        return path
    subs = subpaths(path)
    if len(subs) < 2 or len(subs) > 200:
        return path
    centres = []
    for sub in subs:
        box = _bbox(sub.points)
        longest = max(width(box), height(box), 1e-6)
        if longest > 2.0 * font or _polygon_area(sub.points) / longest > 0.25 * font:
            return path
        centres.append(center(box))
    a, b = max(((p, q) for p in centres for q in centres), key=lambda pq: dist(*pq))
    if dist(a, b) < 1.5 * font or any(segment_distance(c, a, b) > 1.0 for c in centres):
        return path
    item = ("l", a, b)
    return Path((item,), path.rect, None, path.fill, 1.0, False, "[3 3] 0")


def _polygon_area(points: list[Point]) -> float:
    total = 0.0
    for (x0, y0), (x1, y1) in zip(points, points[1:] + points[:1], strict=True):
        total += x0 * y1 - x1 * y0
    return abs(total) / 2


def _part(index: int, path: Path, fig: Box, limit: float, font: float) -> _Part | None:
    if path.fill is None:
        return None
    box = path.rect
    if max(width(box), height(box)) > limit or area(box) > 0.25 * area(fig):
        return None
    subs = subpaths(path)
    if not subs or len(subs) > 40:
        return None  # a dash pattern printed as many filled pieces
    closed = sum(1 for sub in subs if sub.closed or len(sub.points) > 2)
    if min(width(box), height(box)) < max(0.6, 0.1 * font):
        return None  # a line drawn as a thin fill
    largest = max(max(width(b), height(b)) for b in (_bbox(sub.points) for sub in subs))
    if sum(_polygon_area(sub.points) for sub in subs) < 1.0:
        return None  # a filled line or dot: no surface of a glyph
    return _Part(index, box, path.fill, closed, largest)


def _overlap(a: Box, b: Box) -> float:
    return area((max(a[0], b[0]), max(a[1], b[1]), min(a[2], b[2]), min(a[3], b[3])))


def _white(part: _Part) -> bool:
    return part.fill is not None and min(part.fill[:3]) > 0.95


def _may_join(a: _Part, b: _Part) -> bool:
    """White fills are backgrounds (of labels, of the page) unless drawn on a glyph: the
    white arrows on a router's body."""
    if _white(a) and _white(b):
        return False
    if _white(a):
        return contains(b.box, a.box, 1.0)
    if _white(b):
        return contains(a.box, b.box, 1.0)
    return True


def _cluster(parts: list[_Part]) -> list[list[_Part]]:
    parent = list(range(len(parts)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    # a sweep along x: parts that do not overlap in x share nothing, so only the parts
    # starting before one ends are compared (a 5,000-part Visio page: 12.8M pairs before)
    order = sorted(range(len(parts)), key=lambda k: parts[k].box[0])
    areas = [area(part.box) for part in parts]
    for position, i in enumerate(order):
        a = parts[i]
        for j in order[position + 1 :]:
            b = parts[j]
            if b.box[0] >= a.box[2]:
                break
            shared = _overlap(a.box, b.box)
            if shared <= 0.02 * min(areas[i], areas[j]):
                continue
            if not _may_join(a, b):
                continue
            parent[find(i)] = find(j)
    groups: dict[int, list[_Part]] = {}
    for i, part in enumerate(parts):
        groups.setdefault(find(i), []).append(part)
    return list(groups.values())


def _icon_like(cluster: list[_Part], box: Box, font: float, content: VectorContent) -> bool:
    if not _glyph_sized(box, font):
        return False
    distinct = _distinct_boxes([p.box for p in cluster])
    complex_glyph = any(p.closed_subs >= 3 for p in cluster)
    if distinct < 2 and not complex_glyph:
        return False
    if max(p.largest for p in cluster) < 0.6 * font:
        return False  # the dashes of a dashed line
    if _shape_with_attachments(cluster, box):
        return False
    return not _holds_text(box, content)


def _shape_with_attachments(cluster: list[_Part], box: Box) -> bool:
    """One shape that fills the cluster, with small pieces touching it from outside (the
    arrowheads at a flowchart box) rather than drawn on it, is a node, not a glyph."""
    main = max(cluster, key=lambda p: area(p.box))
    if area(main.box) < 0.8 * area(box):
        return False
    others = [p for p in cluster if p is not main and not _same(p.box, main.box)]
    return bool(others) and not any(contains(main.box, p.box, 1.0) for p in others)


def _glyph_sized(box: Box, font: float) -> bool:
    """Glyphs are compact and larger than the text; long thin stacks are bars, lifelines."""
    size, thin = max(width(box), height(box)), min(width(box), height(box))
    return size >= 1.8 * font and thin >= 0.3 * font and size <= 3.0 * thin


def _holds_text(box: Box, content: VectorContent) -> bool:
    """Text inside makes it a labelled shape (a box with port marks); a digit or a letter
    printed on the glyph is part of the icon."""
    return any(
        contains(box, span.bbox, 1.0) and len(span.text.strip()) > 2 for span in content.spans
    )


def _distinct_boxes(boxes: list[Box]) -> int:
    kept: list[Box] = []
    for box in boxes:
        if not any(_same(box, other) for other in kept):
            kept.append(box)
    return len(kept)


def _same(a: Box, b: Box) -> bool:
    return max(abs(x - y) for x, y in zip(a, b, strict=True)) < 1.0


def _merge_overlapping(clusters: list[list[_Part]]) -> list[list[_Part]]:
    """Pieces of one glyph that only touch (a PC's screen and its keyboard) form clusters
    whose boxes overlap: join them."""
    clusters = [c for c in clusters if not all(_white(p) for p in c)]
    merged = True
    while merged:
        merged = False
        for i, a in enumerate(clusters):
            box_a = union([p.box for p in a])
            for j in range(i + 1, len(clusters)):
                box_b = union([p.box for p in clusters[j]])
                shared = _overlap(box_a, box_b)
                if shared > 0.1 * min(area(box_a), area(box_b)):
                    clusters[i] = a + clusters.pop(j)
                    merged = True
                    break
            if merged:
                break
    return clusters


def _drawings_within(paths: list[Path], box: Box) -> set[int]:
    """The icon's other drawings (outlines, inner lines, faces): inside its box."""
    return {i for i, path in enumerate(paths) if contains(box, path.rect, 1.0)}


def split_by_frames(texts: list[TextGroup], frames: list[Box]) -> list[TextGroup]:
    """Text grouping joins lines stacked close together; a line inside a drawn frame (a
    boxed port letter) and one outside it (the host part beside it) are separate texts."""
    out: list[TextGroup] = []
    for text in texts:
        if len(text.spans) < 2:
            out.append(text)
            continue
        parts: dict[int, list] = {}
        for span in text.spans:
            holder = next(
                (k for k, frame in enumerate(frames) if contains(frame, span.bbox, 1.0)), -1
            )
            parts.setdefault(holder, []).append(span)
        if len(parts) == 1:
            out.append(text)
            continue
        for spans in parts.values():
            box = union([s.bbox for s in spans])
            words = " ".join(s.text for s in spans)
            out.append(TextGroup(spans, box, words, max(s.size for s in spans)))
    return out


def _bbox(points: list[Point]) -> Box:
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    return (min(xs), min(ys), max(xs), max(ys))


def underline(points: list[Point], texts: list[TextGroup], font: float) -> bool:
    """A short horizontal rule right under a text (a heading's underline) is no link."""
    if len(points) != 2 or abs(points[0][1] - points[1][1]) > 1.0:
        return False
    x0, x1 = sorted(p[0] for p in points)
    y = points[0][1]
    for text in texts:
        gap = y - text.box[3]
        if not -0.2 * font <= gap <= 0.8 * font:
            continue
        overlap = min(x1, text.box[2]) - max(x0, text.box[0])
        if overlap >= 0.6 * width(text.box) and x1 - x0 <= width(text.box) + 3 * font:
            return True
    return False


# -- names --------------------------------------------------------------------------------
def name_for(
    box: Box, texts: list[TextGroup], font: float, fragments: bool = False
) -> TextGroup | None:
    """The label printed next to an icon (above, below or beside it): the nearest text,
    within about the icon's size, that is not a link-end fragment (unless `fragments`: once
    the link ends have taken theirs, a letter left beside an icon is its name)."""
    limit = max(1.5 * font, 0.6 * max(width(box), height(box)))
    best, best_d = None, limit
    for text in texts:
        if fragment(text.text) and not fragments:
            continue
        d = _box_gap(box, text.box)
        if d < best_d:
            best, best_d = text, d
    return best


def _box_gap(a: Box, b: Box) -> float:
    dx = max(a[0] - b[2], 0.0, b[0] - a[2])
    dy = max(a[1] - b[3], 0.0, b[1] - a[3])
    return (dx * dx + dy * dy) ** 0.5


# -- links drawn through a device ---------------------------------------------------------
def split_through(points: list[Point], boxes: list[Box], shrink: float = 1.0) -> list[list[Point]]:
    """One drawn line that runs on through a device (two links printed as one polyline,
    passing behind the icon) is two links, meeting at the device."""
    for box in boxes:
        inner = (box[0] + shrink, box[1] + shrink, box[2] - shrink, box[3] - shrink)
        if inner[0] >= inner[2] or inner[1] >= inner[3]:
            continue
        cut = _pass_through(points, inner)
        if cut is not None:
            index, point = cut
            first = [*points[: index + 1], point]
            second = [point, *points[index + 1 :]]
            return split_through(first, boxes, shrink) + split_through(second, boxes, shrink)
    return [points]


def _pass_through(points: list[Point], box: Box) -> tuple[int, Point] | None:
    """Segment index and point where the polyline is midway through `box`, when it enters
    the box from outside and leaves it again before its end."""
    if contains_point(box, points[0]) or contains_point(box, points[-1]):
        return None
    for i, (a, b) in enumerate(zip(points, points[1:], strict=False)):
        clip = _clip(a, b, box)
        if clip is None:
            continue
        t0, t1 = clip
        if t1 - t0 < 1e-6:
            continue
        t = (t0 + t1) / 2
        return i, (a[0] + t * (b[0] - a[0]), a[1] + t * (b[1] - a[1]))
    return None


def _clip(a: Point, b: Point, box: Box) -> tuple[float, float] | None:
    """Liang-Barsky: the parameter range of segment a-b inside the box."""
    t0, t1 = 0.0, 1.0
    dx, dy = b[0] - a[0], b[1] - a[1]
    for p, q in (
        (-dx, a[0] - box[0]),
        (dx, box[2] - a[0]),
        (-dy, a[1] - box[1]),
        (dy, box[3] - a[1]),
    ):
        if p == 0:
            if q < 0:
                return None
            continue
        r = q / p
        if p < 0:
            t0 = max(t0, r)
        else:
            t1 = min(t1, r)
        if t0 > t1:
            return None
    return t0, t1
