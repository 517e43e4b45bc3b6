"""Pixels to vector drawings: a raster figure redrawn as the `VectorContent` a PDF would give,
so the renderer-agnostic vector readers read it.

OCR lines become text spans. The ink left once the text is gone is split into
- closed outlines (the holes of the ink that are convex and whose sides stop at the
  corners) -> rectangles, diamonds, ellipses;
- solid marks that survive an opening wider than a line -> arrowheads, dots and filled
  shapes;
- the rest, thinned to one pixel and traced between its ends and junctions -> polylines,
  dashed where the ink along them has gaps.

Coordinates are scaled so that the median text line is a 10 pt font, the unit the vector
readers' tolerances are written in.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from ictrag.load.drawings import Path, Span, VectorContent

FONT = 10.0
"""The font size (pt) the median OCR line is scaled to."""
OCR_HEIGHT = 1.4
"""An OCR box is about this many font sizes tall (PP-OCR pads its detections)."""
SPAN_HEIGHT = 1.16
"""A PDF text span's box is about this many font sizes tall."""
WORK_HEIGHT = 24.0
"""Images are shrunk until a text line is about this many pixels tall: enough for the
drawing, and thinning is linear in the pixel count."""

BLACK = (0.0, 0.0, 0.0)


@dataclass(frozen=True)
class TextLine:
    text: str
    bbox: tuple[float, float, float, float]
    """In the image's pixels."""


def binarize(gray: np.ndarray, text_px: float = 20.0) -> np.ndarray:
    """Ink: what is nearer the darkest marks than the background, and lighter marks that
    have background right beside them (thin grey lines). The soft shadows some renderers
    draw beside boxes are neither: their middle is far from both."""
    if float(np.median(gray)) < 128:
        gray = 255 - gray
    background = float(np.median(gray))
    darker = gray[gray < background - 20]
    dark = float(np.percentile(darker, 2)) if darker.size else 0.0
    strong = gray < min(background - 45, dark + 0.5 * (background - dark))
    weak = gray < background - 45
    paper = (gray >= background - 20).astype(np.uint8)
    near_paper = cv2.dilate(paper, np.ones((5, 5), np.uint8)) > 0
    # a small flat grey mark (a grey arrowhead) is ink too; a shadow is a gradient, and a
    # large flat grey area is a box's fill
    kernel = np.ones((3, 3), np.uint8)
    flat = (cv2.dilate(gray, kernel).astype(int) - cv2.erode(gray, kernel).astype(int)) <= 10
    marks = (weak & flat & ~near_paper).astype(np.uint8)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(marks, connectivity=8)
    small = np.zeros(count, dtype=bool)
    small[1:] = np.maximum(stats[1:, 2], stats[1:, 3]) <= 1.5 * text_px
    ink = strong | (weak & near_paper) | small[labels]
    return np.where(ink, 255, 0).astype(np.uint8)


def vectorize(gray: np.ndarray, lines: list[TextLine]) -> VectorContent:
    heights = sorted(line.bbox[3] - line.bbox[1] for line in lines)
    text_px = heights[len(heights) // 2] if heights else 20.0
    shrink = max(1.0, text_px / WORK_HEIGHT)
    ink = binarize(gray, text_px)
    if shrink > 1.0:
        size = (round(ink.shape[1] / shrink), round(ink.shape[0] / shrink))
        ink = np.where(cv2.resize(ink, size, interpolation=cv2.INTER_AREA) > 60, 255, 0)
        ink = ink.astype(np.uint8)
    th = text_px / shrink
    # one work pixel in points
    unit = FONT * OCR_HEIGHT / th
    boxes = [tuple(v / shrink for v in line.bbox) for line in lines]
    ink = _without_letters(ink, boxes, th)
    line_width = _line_width(ink)
    paths: list[Path] = []
    # marks first (an arrowhead touching a box would be cut by clearing the outline), but
    # cleared last (clearing them first could open the outline they touch); outlines
    # before the text boxes are cleared: a label's box often overlaps an outline
    cleared, marks = _solid_marks(ink, th, line_width)
    ink, shapes = _outlines(ink, th, line_width)
    ink[cleared == 0] = 0
    marks = [m for m in marks if not _shadow(m, shapes, th, line_width)]
    paths += shapes + marks
    ink = _without_text(ink, boxes, th)
    lines_ = _strokes(ink, th, line_width)
    lines_ = _bridge_text(lines_, boxes, th, line_width)
    lines_ = _bridge_slanted(lines_, boxes, th)
    heads = [path.rect for path in marks if path.fill is not None and _small(path.rect, th)]
    # ends stop short of what was cut out around them: carry them on to it
    targets = [(box, 0.6 * th, True) for box in heads]
    targets += [(path.rect, _ring(line_width) + 3, False) for path in shapes]
    paths += [_stroke_path(points, dashed, line_width, targets) for points, dashed in lines_]
    scaled = [_scale(path, unit) for path in paths]
    spans = [_span(line, unit / shrink) for line in lines]
    h, w = gray.shape[:2]
    bbox = (0.0, 0.0, w / shrink * unit, h / shrink * unit)
    return VectorContent(bbox=bbox, paths=scaled, spans=spans)


def _span(line: TextLine, unit: float) -> Span:
    x0, y0, x1, y1 = (v * unit for v in line.bbox)
    size = (y1 - y0) / OCR_HEIGHT
    cy, half = (y0 + y1) / 2, size * SPAN_HEIGHT / 2
    return Span(text=line.text, bbox=(x0, cy - half, x1, cy + half), size=size)


def _scale(path: Path, unit: float) -> Path:
    def point(p):
        return (round(p[0] * unit, 2), round(p[1] * unit, 2))

    items = []
    for item in path.items:
        if item[0] == "re":
            items.append(("re", tuple(v * unit for v in item[1])))
        else:
            items.append((item[0], *(point(p) for p in item[1:])))
    return Path(
        items=tuple(items),
        rect=tuple(v * unit for v in path.rect),
        fill=path.fill,
        color=path.color,
        width=path.width * unit,
        closed=path.closed,
        dashes=path.dashes,
    )


# -- text ---------------------------------------------------------------------------------
def _without_letters(ink: np.ndarray, boxes, th: float) -> np.ndarray:
    """Ink marks that lie inside a text line's box are its letters."""
    out = ink.copy()
    if not boxes:
        return out
    count, labels, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    # OCR boxes can clip a word's last letter, not its height; a dashed line running just
    # above or below a label must not go with its letters
    grow, rise = 0.25 * th, 2.0
    x, y, w, h = (stats[1:, i].astype(float) for i in range(4))
    letter = np.zeros(count, dtype=bool)
    # in the margin beside the box, a thin straight mark is a dash of a line, not a letter
    dash = np.maximum(w, h) >= 3 * np.maximum(1.0, np.minimum(w, h))
    for x0, y0, x1, y1 in boxes:
        inside = (x >= x0 - grow) & (y >= y0 - rise) & (x + w <= x1 + grow) & (y + h <= y1 + rise)
        within = (x >= x0) & (x + w <= x1)
        letter[1:] |= inside & (within | ~dash)
    out[letter[labels]] = 0
    return out


def _without_text(ink: np.ndarray, boxes, th: float) -> np.ndarray:
    """Everything inside a text line's box goes, except a line that runs through the box
    and out of it (letters touching a connector are not part of it)."""
    out = ink.copy()
    h, w = ink.shape
    pad = 2
    for x0, y0, x1, y1 in boxes:
        xa, ya = max(0, int(x0) - pad), max(0, int(y0) - pad)
        xb, yb = min(w, int(math.ceil(x1)) + pad), min(h, int(math.ceil(y1)) + pad)
        if xb <= xa or yb <= ya:
            continue
        region = out[ya:yb, xa:xb]
        reach = int(0.5 * th) + 1
        left = out[ya:yb, max(0, xa - reach) : xa]
        right = out[ya:yb, xb : xb + reach]
        # A row inked across much of the box that carries on outside it is a (dashed)
        # line under or through the text; so is such a column.
        fill = (region > 0).mean(axis=1)
        rows = ((fill > 0.45) & (_near(left, 1) | _near(right, 1))) | (
            (fill > 0.3) & _near(left, 1) & _near(right, 1)
        )
        top = out[max(0, ya - reach) : ya, xa:xb]
        bottom = out[yb : yb + reach, xa:xb]
        cols = ((region > 0).mean(axis=0) > 0.45) & (_near(top, 0) | _near(bottom, 0))
        keep = np.zeros_like(region, dtype=bool)
        keep[rows, :] = True
        keep[:, cols] = True
        region[~keep] = 0
    return out


def _near(strip: np.ndarray, axis: int) -> np.ndarray:
    """Per row (axis=1) or column (axis=0) of `strip`: inked there or one step aside."""
    if strip.size == 0:
        n = strip.shape[0] if axis == 1 else strip.shape[1]
        return np.zeros(n, dtype=bool)
    hit = (strip > 0).any(axis=axis)
    return hit | np.roll(hit, 1) | np.roll(hit, -1)


def _line_width(ink: np.ndarray) -> float:
    """Median thickness of the ink's thin parts (twice the distance to the background at
    the skeleton)."""
    if not ink.any():
        return 1.0
    depth = cv2.distanceTransform(ink, cv2.DIST_L2, 3)
    ridge = thin(ink) > 0
    values = depth[ridge]
    return max(1.0, 2.0 * float(np.median(values))) if values.size else 1.0


# -- closed outlines ------------------------------------------------------------------------
def _outlines(ink: np.ndarray, th: float, lw: float) -> tuple[np.ndarray, list[Path]]:
    """Holes of the ink that are a node's interior: convex, at least a text line in size,
    and bounded by sides that stop at the corners (the gap between two lifelines and two
    messages is a hole too, but its sides run on past its corners)."""
    contours, hierarchy = cv2.findContours(ink, cv2.RETR_CCOMP, cv2.CHAIN_APPROX_NONE)
    rest = ink.copy()
    paths: list[Path] = []
    if hierarchy is None:
        return rest, paths
    ring = _ring(lw)
    found: list = []
    for contour, info in zip(contours, hierarchy[0], strict=False):
        if info[3] < 0:
            continue
        x, y, w, h = cv2.boundingRect(contour)
        bar = h >= 2 * th and w >= 0.25 * th
        if (w < 1.0 * th or h < 0.8 * th) and not bar:
            continue
        area = cv2.contourArea(contour)
        hull = cv2.contourArea(cv2.convexHull(contour))
        if hull <= 0 or area / hull < 0.92:
            continue
        shape = _outline_shape(contour, w, h, area)
        if shape is None:
            continue
        kind, points = shape
        if kind == "rect" and _sides_run_on(ink, (x, y, x + w, y + h), lw, th):
            continue
        found.append([kind, points, (x, y, x + w, y + h)])
        mask = np.zeros_like(ink)
        cv2.drawContours(mask, [contour], -1, 255, thickness=2 * ring)
        rest[mask > 0] = 0
    grow = lw / 2 + 0.5
    for kind, points, box in _join_compartments(found, lw, th):
        paths.append(_closed_path(kind, points, box, grow, lw))
    return rest, paths


def _join_compartments(found: list, lw: float, th: float) -> list:
    """Holes stacked on one another with the same sides, one rule between them, are the
    compartments of one box (a state's name over its description, a class's parts); the
    rule may be doubled."""
    slack = max(2 * lw + 3, 0.4 * th)
    found = sorted(found, key=lambda f: (f[2][0], f[2][1]))
    out: list = []
    for kind, points, box in found:
        upper = next(
            (
                o
                for o in out
                if abs(o[2][0] - box[0]) <= slack
                and abs(o[2][2] - box[2]) <= slack
                and -slack <= box[1] - o[2][3] <= slack
            ),
            None,
        )
        if upper is None:
            out.append([kind, points, box])
            continue
        ub = upper[2]
        upper[2] = (min(ub[0], box[0]), ub[1], max(ub[2], box[2]), box[3])
        upper[0] = "rect" if "rect" in (upper[0], kind) else upper[0]
    return out


def _shadow(mark: Path, shapes: list[Path], th: float, lw: float) -> bool:
    """A filled bar along a box's bottom or right side is the box's shadow."""
    x0, y0, x1, y1 = mark.rect
    if mark.items[0][0] != "re" or min(x1 - x0, y1 - y0) > 0.5 * th:
        return False
    near = _ring(lw) + 3
    for shape in shapes:
        sx0, sy0, sx1, sy1 = shape.rect
        below = abs(y0 - sy1) <= near and x0 >= sx0 - near and x1 <= sx1 + near
        beside = abs(x0 - sx1) <= near and y0 >= sy0 - near and y1 <= sy1 + near
        if below or beside:
            return True
    return False


def _ring(lw: float) -> int:
    """How far out from a hole its outline (and a soft shadow beside it) is cleared."""
    return max(3, int(round(2 * lw + 3)))


def _outline_shape(contour, w: int, h: int, area: float):
    # a pixel contour runs through the boundary pixels' centres: half a pixel is outside it
    fill = (area + cv2.arcLength(contour, True) / 2) / max(1.0, w * h)
    approx = cv2.approxPolyDP(contour, 0.03 * cv2.arcLength(contour, True), True)
    corners = [tuple(float(v) for v in p[0]) for p in approx]
    if fill > 0.9:
        return "rect", corners
    if len(corners) == 4 and 0.4 < fill < 0.62:
        return "decision", corners
    if 0.7 < fill <= 0.9:
        points = [tuple(float(v) for v in p[0]) for p in contour[:: max(1, len(contour) // 24)]]
        return ("round" if fill > 0.83 else "ellipse"), points
    if len(corners) == 6 and 0.6 < fill <= 0.9:
        return "hexagon", corners
    return None


def _sides_run_on(ink: np.ndarray, box, lw: float, th: float) -> bool:
    """Two or more corners where a side carries on straight past the corner."""
    x0, y0, x1, y1 = box
    reach = int(max(4, 0.8 * th))
    off = int(lw) + 2
    band = max(1, int(lw))

    runs = 0
    for cx, cy, sx, sy in ((x0, y0, -1, -1), (x1, y0, 1, -1), (x0, y1, -1, 1), (x1, y1, 1, 1)):
        # the outline sits just outside the hole
        ex = cx + sx * off
        ey = cy + sy * off
        horizontal = _run(ink, ex, cy + sy * (off - 1), sx, 0, reach, band)
        vertical = _run(ink, cx + sx * (off - 1), ey, 0, sy, reach, band)
        if horizontal or vertical:
            runs += 1
    return runs >= 2


def _run(ink: np.ndarray, x: int, y: int, dx: int, dy: int, reach: int, band: int) -> bool:
    """Ink along most of `reach` pixels from (x, y) in direction (dx, dy)."""
    h, w = ink.shape
    hits = 0
    for step in range(1, reach + 1):
        px, py = x + dx * step, y + dy * step
        if not (0 <= px < w and 0 <= py < h):
            return False
        ya, yb = max(0, py - band), min(h, py + band + 1)
        xa, xb = max(0, px - band), min(w, px + band + 1)
        if ink[ya:yb, xa:xb].any():
            hits += 1
    return hits >= 0.85 * reach


def _closed_path(kind: str, points, box, grow: float, lw: float, fill=None) -> Path:
    x0, y0, x1, y1 = box
    rect = (x0 - grow, y0 - grow, x1 + grow, y1 + grow)
    color = BLACK if fill is None else None
    if kind == "rect":
        return Path(items=(("re", rect),), rect=rect, fill=fill, color=color, width=lw, closed=True)
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    pts = [_away(p, cx, cy, grow) for p in points]
    ring = [*pts, pts[0]]
    if kind in ("round", "ellipse", "circle"):
        # drawn as curves so the vector reader takes them for curved outlines
        items = tuple(("c", a, a, b, b) for a, b in zip(ring, ring[1:], strict=False))
    else:
        items = tuple(("l", a, b) for a, b in zip(ring, ring[1:], strict=False))
    return Path(items=items, rect=rect, fill=fill, color=color, width=lw, closed=True)


def _away(p, cx: float, cy: float, grow: float):
    dx, dy = p[0] - cx, p[1] - cy
    norm = math.hypot(dx, dy) or 1.0
    return (p[0] + grow * dx / norm, p[1] + grow * dy / norm)


# -- solid marks --------------------------------------------------------------------------
def _solid_marks(ink: np.ndarray, th: float, lw: float) -> tuple[np.ndarray, list[Path]]:
    """What is thicker than a line: arrowheads, dots, bars and filled boxes."""
    k = int(math.ceil(lw)) + 2
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (k, k))
    solid = cv2.morphologyEx(ink, cv2.MORPH_OPEN, kernel)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(solid, connectivity=8)
    rest = ink.copy()
    paths: list[Path] = []
    for c in range(1, count):
        x, y, w, h, area = (int(v) for v in stats[c])
        if max(w, h) < 0.25 * th:
            continue
        # the mark's own pixels: the opening rounded its corners off
        pad = k
        ya, xa = max(0, y - pad), max(0, x - pad)
        region = (labels[ya : y + h + pad, xa : x + w + pad] == c).astype(np.uint8)
        region = cv2.dilate(region, kernel) & (ink[ya : y + h + pad, xa : x + w + pad] > 0)
        blob = region.astype(np.uint8) * 255
        contours, _ = cv2.findContours(blob, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
        contour = max(contours, key=cv2.contourArea) + np.array([xa, ya])
        path = _mark_path(contour, (x, y, x + w, y + h), area, th)
        if path is None:
            continue
        paths.append(path)
        grown = cv2.dilate((labels == c).astype(np.uint8), np.ones((3, 3), np.uint8), iterations=2)
        rest[grown > 0] = 0
    return rest, paths


def _mark_path(contour, box, area: int, th: float) -> Path | None:
    """A solid mark by the figure it fills best: a triangle (an arrowhead), a disc (a dot)
    or its box (a bar or a filled box)."""
    x0, y0, x1, y1 = box
    w, h = x1 - x0, y1 - y0
    size = max(w, h)
    approx = cv2.approxPolyDP(contour, 0.1 * cv2.arcLength(contour, True), True)
    corners = [(float(p[0][0]), float(p[0][1])) for p in approx]
    _, radius = cv2.minEnclosingCircle(contour.reshape(-1, 2).astype(np.float32))
    by_disc = area / max(1.0, math.pi * (radius + 0.5) ** 2)
    if size <= 1.5 * th and (len(corners) == 3 or (len(corners) == 4 and by_disc < 0.8)):
        ring = [*corners, corners[0]]
        items = tuple(("l", a, b) for a, b in zip(ring, ring[1:], strict=False))
        return Path(items=items, rect=box, fill=BLACK, color=None, width=0.0, closed=True)
    if by_disc >= 0.7 and size <= 2.0 * th:
        step = max(1, len(contour) // 16)
        ring_points = [tuple(float(v) for v in p[0]) for p in contour[::step]]
        return _closed_path("circle", ring_points, box, 0.0, 0.0, fill=BLACK)
    if area / max(1, w * h) > 0.85:
        return _closed_path("rect", [], box, 0.0, 0.0, fill=BLACK)
    return None


# -- strokes --------------------------------------------------------------------------------
Polyline = tuple[list[tuple[float, float]], bool]
"""Points and whether the line is dashed."""


def _strokes(ink: np.ndarray, th: float, lw: float) -> list[Polyline]:
    # Dashes are joined along their own direction only: closing the whole ink sideways
    # would also join two parallel lines a few pixels apart.
    gap = max(3, int(0.5 * th))
    run = max(3, int(2 * lw) + 1)
    closed = ink.copy()
    for shape in ((1, run), (run, 1)):
        along = cv2.morphologyEx(ink, cv2.MORPH_OPEN, np.ones(shape, np.uint8))
        reach = (1, gap) if shape[0] == 1 else (gap, 1)
        closed = cv2.max(closed, cv2.morphologyEx(along, cv2.MORPH_CLOSE, np.ones(reach, np.uint8)))
    # dotted lines: dots are joined to one another, never to other ink
    count, labels, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    small = np.zeros(count, dtype=bool)
    small[1:] = np.maximum(stats[1:, 2], stats[1:, 3]) <= max(3, 2 * lw)
    dots = np.where(small[labels], 255, 0).astype(np.uint8)
    step = max(3, int(0.35 * th)) | 1
    joined = cv2.morphologyEx(
        dots, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (step, step))
    )
    closed = cv2.max(closed, joined)
    skeleton = thin(closed) > 0
    out = []
    for chain, joined in trace(skeleton):
        # a short piece off a junction is an arrowhead's barb; loose short pieces are noise
        if _length(chain) < (0.2 if joined else 0.4) * th:
            continue
        contour = np.array(chain, dtype=np.float32).reshape(-1, 1, 2)
        simple = cv2.approxPolyDP(contour, max(1.0, 0.6 * lw), False)
        points = _square([tuple(float(v) for v in p[0]) for p in simple], lw)
        if len(points) >= 2:
            out.append((points, _ink_share(ink, chain) < 0.8))
    return out


def _axis(points) -> str | None:
    if len(points) != 2:
        return None
    (xa, ya), (xb, yb) = points
    return "h" if ya == yb else "v" if xa == xb else None


def _bridge_text(lines: list[Polyline], boxes, th: float, lw: float) -> list[Polyline]:
    """Pieces of one straight line are one line: pieces that meet (a line crossing another
    is cut at the crossing when traced) and pieces with text boxes over the gap between
    them (the label sat on the line and its box was cleared)."""
    out = [line for line in lines if _axis(line[0]) is None]
    for axis in ("h", "v"):
        k, o = (0, 1) if axis == "h" else (1, 0)  # along, across
        crossing = [line[0] for line in lines if _axis(line[0]) not in (None, axis)]
        pieces = sorted(
            (line for line in lines if _axis(line[0]) == axis), key=lambda line: line[0][0][o]
        )
        rows: list[list[Polyline]] = []
        for piece in pieces:
            if rows and abs(rows[-1][-1][0][0][o] - piece[0][0][o]) <= lw + 1:
                rows[-1].append(piece)
            else:
                rows.append([piece])
        for row in rows:
            across = sum(p[0][0][o] for p in row) / len(row)
            spans = sorted((min(q[k] for q in p[0]), max(q[k] for q in p[0]), p[1]) for p in row)
            merged = [list(spans[0])]
            for lo, hi, dashed in spans[1:]:
                last = merged[-1]
                gap = lo - last[1]
                if (
                    gap <= lw + 2
                    or (gap <= th and _crossed(last[1], lo, across, k, o, crossing, th))
                    or _covered(last[1], lo, across, k, o, boxes, th)
                ):
                    last[1] = max(last[1], hi)
                    last[2] = last[2] or dashed
                else:
                    merged.append([lo, hi, dashed])
            for lo, hi, dashed in merged:
                ends = [(lo, across), (hi, across)] if axis == "h" else [(across, lo), (across, hi)]
                out.append((ends, dashed))
    return out


def _bridge_slanted(lines: list[Polyline], boxes, th: float) -> list[Polyline]:
    """A slanted line cut where it passes a text box: two pieces that stop at the box and
    point at each other are one line."""
    grown = np.array(
        [(b[0] - 0.3 * th, b[1] - 0.3 * th, b[2] + 0.3 * th, b[3] + 0.3 * th) for b in boxes]
    ).reshape(-1, 4)

    def at_text(points: np.ndarray) -> np.ndarray:
        """Which of the (n, 2) points lie in a grown text box."""
        x, y = points[:, None, 0], points[:, None, 1]
        inside = (grown[:, 0] <= x) & (x <= grown[:, 2]) & (grown[:, 1] <= y) & (y <= grown[:, 3])
        return inside.any(axis=1)

    lines = [(list(points), dashed) for points, dashed in lines]
    while True:
        candidates = [
            (i, side)
            for i, (points, _) in enumerate(lines)
            if _axis(points) is None
            for side in (0, -1)
        ]
        if candidates:
            xy = np.array([lines[i][0][side] for i, side in candidates], dtype=float)
            keep = at_text(xy)
            ends = [end for end, kept in zip(candidates, keep, strict=True) if kept]
            xy = xy[keep]
        else:
            ends = []
        # pair the ends of one pass at once, each line at most once, nearest pairs first
        pairs = []
        if len(ends) > 1:
            gaps = np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1))
            near = np.nonzero(np.triu(gaps <= 12 * th, 1))
            middles = at_text((xy[near[0]] + xy[near[1]]) / 2)
            for n, m, middle in zip(*near, middles, strict=True):
                (i, si), (j, sj) = ends[n], ends[m]
                if i != j and middle and _aligned(lines[i][0], si, lines[j][0], sj):
                    pairs.append((float(gaps[n, m]), i, si, j, sj))
        used: set[int] = set()
        merged: dict[int, Polyline] = {}
        for _, i, si, j, sj in sorted(pairs):
            if i in used or j in used:
                continue
            used |= {i, j}
            first = lines[i][0] if si == -1 else lines[i][0][::-1]
            second = lines[j][0] if sj == 0 else lines[j][0][::-1]
            merged[i] = (first + second, lines[i][1] or lines[j][1])
        if not merged:
            return lines
        lines = [
            merged.get(i, line) for i, line in enumerate(lines) if i not in used or i in merged
        ]


def _aligned(a, side_a: int, b, side_b: int) -> bool:
    """a's end and b's end point at each other along one direction (within 12 degrees)."""
    end_a, before_a = (a[-1], a[-2]) if side_a == -1 else (a[0], a[1])
    end_b, before_b = (b[-1], b[-2]) if side_b == -1 else (b[0], b[1])
    out_a = (end_a[0] - before_a[0], end_a[1] - before_a[1])
    out_b = (end_b[0] - before_b[0], end_b[1] - before_b[1])
    gap = (end_b[0] - end_a[0], end_b[1] - end_a[1])

    def angle(u, v) -> float:
        nu, nv = math.hypot(*u), math.hypot(*v)
        if not nu or not nv:
            return 180.0
        cos = (u[0] * v[0] + u[1] * v[1]) / (nu * nv)
        return math.degrees(math.acos(max(-1.0, min(1.0, cos))))

    return angle(out_a, gap) < 12 and angle(out_b, (-gap[0], -gap[1])) < 12


def _crossed(gap0: float, gap1: float, across: float, k: int, o: int, lines, th: float) -> bool:
    """A line across the gap: the crossing cut both (a dashed one more than a pixel)."""
    return any(
        gap0 - 1 <= line[0][k] <= gap1 + 1
        and min(q[o] for q in line) - th <= across <= max(q[o] for q in line) + th
        for line in lines
    )


def _covered(gap0: float, gap1: float, across: float, k: int, o: int, boxes, th: float) -> bool:
    """The text boxes over the line cover the gap between two of its pieces."""
    if gap1 - gap0 > 30 * th:
        return False
    slack = 0.3 * th
    spans = sorted(
        (box[k] - slack, box[k + 2] + slack)
        for box in boxes
        if box[o] - slack <= across <= box[o + 2] + slack
    )
    reached = gap0
    for start, stop in spans:
        if start <= reached + slack:
            reached = max(reached, stop)
    return reached + slack >= gap1


def _small(box, th: float) -> bool:
    return max(box[2] - box[0], box[3] - box[1]) <= 1.5 * th


def _stroke_path(points, dashed: bool, lw: float, targets) -> Path:
    points = list(points)
    for index, before in ((0, 1), (-1, -2)):
        points[index] = _carry_on(points[index], points[before], targets)
    items = tuple(("l", a, b) for a, b in zip(points, points[1:], strict=False))
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    return Path(
        items=items,
        rect=(min(xs), min(ys), max(xs), max(ys)),
        color=BLACK,
        width=lw,
        dashes="[3 3] 0" if dashed else "",
    )


def _carry_on(end, before, targets):
    """Carry a line's end on, along its last segment, to the nearest box it points at
    within that box's reach: an outline or an arrowhead cut out of the ink with a margin
    (through an arrowhead to its tip)."""
    dx, dy = end[0] - before[0], end[1] - before[1]
    norm = math.hypot(dx, dy)
    if not norm:
        return end
    ux, uy = dx / norm, dy / norm
    best = None
    for box, reach, through in targets:
        hit = _first_step(end, ux, uy, int(reach) + 1, box)
        if hit is None or (best is not None and hit >= best[0]):
            continue
        if through:  # an arrowhead: on to its tip, where the line really ends
            while _at(end, ux, uy, hit + 1, box):
                hit += 1
        best = (hit, (end[0] + ux * hit, end[1] + uy * hit))
    return best[1] if best else end


def _square(points: list[tuple[float, float]], lw: float) -> list[tuple[float, float]]:
    """Pixel steps off a horizontal or vertical run are put back on it."""
    out = [points[0]]
    for x, y in points[1:]:
        px, py = out[-1]
        dx, dy = abs(x - px), abs(y - py)
        if dx <= max(lw, 0.05 * dy):
            x = px
        elif dy <= max(lw, 0.05 * dx):
            y = py
        if out[-1] == (x, y):
            continue
        if len(out) >= 2 and (out[-2][0] == out[-1][0] == x or out[-2][1] == out[-1][1] == y):
            out[-1] = (x, y)  # on along the same run
            continue
        out.append((x, y))
    return out


def _length(chain) -> float:
    return sum(math.dist(a, b) for a, b in zip(chain, chain[1:], strict=False))


def _ink_share(ink: np.ndarray, chain) -> float:
    """Share of a traced line's pixels that were ink before dash gaps were closed."""
    h, w = ink.shape
    xs = np.clip(np.round([p[0] for p in chain]).astype(int), 0, w - 1)
    ys = np.clip(np.round([p[1] for p in chain]).astype(int), 0, h - 1)
    return float((ink[ys, xs] > 0).mean()) if len(chain) else 1.0


def _first_step(end, ux: float, uy: float, limit: int, box) -> int | None:
    """The first whole step in 0..limit at which `_at` holds, or None. The steps inside a
    box form one run, so the search starts one step before where the ray enters it."""
    enter = 0.0
    for start, unit, low, high in ((end[0], ux, box[0], box[2]), (end[1], uy, box[1], box[3])):
        if unit:
            a, b = (low - 0.5 - start) / unit, (high + 0.5 - start) / unit
            enter = max(enter, min(a, b))
        elif not low - 0.5 <= start <= high + 0.5:
            return None
    step = max(0, math.ceil(enter) - 1)
    while step <= limit:
        if _at(end, ux, uy, step, box):
            return step
        if step > enter + 1:
            return None  # past the entry and still outside: the ray misses the box
        step += 1
    return None


def _at(end, ux: float, uy: float, step: float, box) -> bool:
    px, py = end[0] + ux * step, end[1] + uy * step
    return box[0] - 0.5 <= px <= box[2] + 0.5 and box[1] - 0.5 <= py <= box[3] + 0.5


# -- thinning and tracing -------------------------------------------------------------------
def _tables():
    """Zhang-Suen deletion tables over the 8-neighbour code (bit k: P(k+2), clockwise from
    north), and the number of branches leaving a pixel."""
    first = np.zeros(256, dtype=bool)
    second = np.zeros(256, dtype=bool)
    branches = np.zeros(256, dtype=np.uint8)
    for code in range(256):
        p = [(code >> k) & 1 for k in range(8)]  # P2..P9
        b = sum(p)
        a = sum(1 for k in range(8) if p[k] == 0 and p[(k + 1) % 8] == 1)
        branches[code] = a
        if 2 <= b <= 6 and a == 1:
            p2, p4, p6, p8 = p[0], p[2], p[4], p[6]
            first[code] = p2 * p4 * p6 == 0 and p4 * p6 * p8 == 0
            second[code] = p2 * p4 * p8 == 0 and p2 * p6 * p8 == 0
    return first, second, branches


_FIRST, _SECOND, _BRANCHES = _tables()
_OFFSETS = ((-1, 0), (-1, 1), (0, 1), (1, 1), (1, 0), (1, -1), (0, -1), (-1, -1))


def _codes(image: np.ndarray) -> np.ndarray:
    padded = np.pad(image, 1)
    h, w = image.shape
    code = np.zeros((h, w), dtype=np.uint8)
    for k, (dy, dx) in enumerate(_OFFSETS):
        code |= padded[1 + dy : 1 + dy + h, 1 + dx : 1 + dx + w] << k
    return code


def thin(ink: np.ndarray, max_rounds: int = 0) -> np.ndarray:
    """One-pixel-wide skeleton of the ink (Zhang-Suen), as 0/1 uint8; with `max_rounds`,
    parts thicker than about twice that are left unfinished."""
    image = (ink > 0).astype(np.uint8)
    ys, xs = np.nonzero(image)
    if not len(ys):
        return image
    y0, y1 = max(0, ys.min() - 1), ys.max() + 2
    x0, x1 = max(0, xs.min() - 1), xs.max() + 2
    # Only ink pixels can be deleted, so each sub-iteration looks at those alone (flat
    # indices into a 1-pixel-padded copy): the cost follows the ink, not the image's area.
    padded = np.pad(image[y0:y1, x0:x1], 1)
    width = padded.shape[1]
    flat = padded.reshape(-1)
    offsets = [dy * width + dx for dy, dx in _OFFSETS]
    ink_at = np.flatnonzero(flat)
    rounds = 0
    while not max_rounds or rounds < max_rounds:
        rounds += 1
        changed = False
        for table in (_FIRST, _SECOND):
            code = np.zeros(len(ink_at), dtype=np.uint8)
            for k, offset in enumerate(offsets):
                code |= flat[ink_at + offset] << k
            delete = table[code]
            if delete.any():
                flat[ink_at[delete]] = 0
                ink_at = ink_at[~delete]
                changed = True
        if not changed:
            break
    work = padded[1:-1, 1:-1]
    out = np.zeros_like(image)
    out[y0:y1, x0:x1] = work
    return out


def trace(skeleton: np.ndarray) -> list[tuple[list[tuple[float, float]], bool]]:
    """Polylines (x, y) of a skeleton, split at junctions; each end next to a junction is
    carried to the junction's centre so the pieces meet. With each: whether it meets one."""
    sk = skeleton.astype(np.uint8)
    branches = _BRANCHES[_codes(sk)]
    junction = (sk == 1) & (branches >= 3)
    count, jlabels, _, centres = cv2.connectedComponentsWithStats(
        cv2.dilate(junction.astype(np.uint8), np.ones((3, 3), np.uint8)) & sk, connectivity=8
    )
    pieces = sk.copy()
    pieces[jlabels > 0] = 0
    n, labels = cv2.connectedComponents(pieces, connectivity=8)
    h, w = sk.shape
    ys, xs = np.nonzero(labels)
    members: dict[int, list[tuple[int, int]]] = {}
    for y, x, lab in zip(ys.tolist(), xs.tolist(), labels[ys, xs].tolist(), strict=False):
        members.setdefault(lab, []).append((x, y))
    chains = []
    for lab in range(1, n):
        pixels = members.get(lab, [])
        if not pixels:
            continue
        for chain in _walk(set(pixels)):
            points: list[tuple[float, float]] = [(float(x), float(y)) for x, y in chain]
            joined = False
            for end, at in ((chain[0], 0), (chain[-1], len(points))):
                j = _junction_next_to(end, jlabels, w, h)
                if j:
                    joined = True
                    centre = (float(centres[j][0]), float(centres[j][1]))
                    points.insert(at, centre) if at == 0 else points.append(centre)
            chains.append((points, joined))
    return chains


def _junction_next_to(p, jlabels: np.ndarray, w: int, h: int) -> int:
    x, y = p
    for dy in (-1, 0, 1):
        for dx in (-1, 0, 1):
            px, py = x + dx, y + dy
            if 0 <= px < w and 0 <= py < h and jlabels[py, px]:
                return int(jlabels[py, px])
    return 0


def _walk(pixels: set[tuple[int, int]]) -> list[list[tuple[int, int]]]:
    """Order a thin set of pixels into walks, starting at an end (a pixel with one
    neighbour) where there is one."""

    def neighbours(p):
        x, y = p
        # 4-neighbours first: a staircase is walked step by step, not cut across
        for dx, dy in ((1, 0), (-1, 0), (0, 1), (0, -1), (1, 1), (1, -1), (-1, 1), (-1, -1)):
            q = (x + dx, y + dy)
            if q in pixels:
                yield q

    left = set(pixels)
    walks = []
    while left:
        start = next((p for p in left if sum(1 for _ in neighbours(p)) <= 1), None)
        if start is None:
            start = min(left)
        walk = [start]
        left.discard(start)
        while True:
            step = next((q for q in neighbours(walk[-1]) if q in left), None)
            if step is None:
                break
            walk.append(step)
            left.discard(step)
        if len(walk) == 1 and walks:
            continue
        walks.append(walk)
    return walks
