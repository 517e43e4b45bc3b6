"""Sequence diagrams from vector drawings, whatever drew them (PlantUML, mscgen, seqdiag):

- lifelines are long vertical runs (one line, dashed pieces or a chain of short segments,
  or a thin tall box), one per participant, named by the box or text at their top (or
  bottom); thin boxes on a lifeline are activation bars, not participants;
- messages are horizontal strokes between two lifelines with an arrowhead (filled, or open
  barbs) at one end, or self-loops (out, down, back) on one lifeline, ordered by y;
- a message's label is the text stacked right above it (or below it, when the figure puts
  its labels there), lines joined; text crossed by a headless rule is a divider, text in an
  outlined box off the arrows is a note, tagged boxes (alt, loop, ...) are frames.
"""

from __future__ import annotations

from dataclasses import dataclass

from ictrag.figures.graph import Block, DiagramGraph, Note
from ictrag.figures.vector.prims import (
    Primitives,
    Shape,
    Stroke,
    TextGroup,
    box_distance,
    center,
    contains,
    contains_point,
    dist,
    group_rows,
    height,
    width,
)

BLOCK_TAGS = ("alt", "opt", "loop", "par", "critical", "break", "rect", "group", "else")
FRAME_TAGS = BLOCK_TAGS[:-1]


@dataclass
class Lifeline:
    x: float
    top: float
    bottom: float
    reach: float = 0.0
    """How far from x a message may end: activation bars widen it."""
    slope: float = 0.0
    """dx/dy of a line drawn by hand a little off vertical (Word drawings): x is its middle."""

    def x_at(self, y: float) -> float:
        return self.x + self.slope * (y - (self.top + self.bottom) / 2)


@dataclass
class Message:
    y: float
    bottom: float
    x0: float
    x1: float
    source: int
    target: int
    dashed: bool
    strokes: list[Stroke]
    both: bool = False
    """Both ways: a double-headed arrow, or a procedure band between two lifelines."""


# -- lifelines ----------------------------------------------------------------------------
SLANT = 0.02
"""A straight line at most this far off vertical (dx/dy, about 1.1 degrees) still stands."""


def _upright(stroke: Stroke, font: float) -> bool:
    """Vertical, or one straight line leaning a little (drawn by hand in a Word canvas)."""
    box = stroke.box
    if height(box) < 0.5 * font:
        return False
    return width(box) <= 1.5 or (len(stroke.points) == 2 and width(box) <= SLANT * height(box))


def _vertical_pieces(prims: Primitives) -> list[tuple[float, float, float]]:
    pieces = [
        (center(s.box)[0], s.box[1], s.box[3]) for s in prims.strokes if _upright(s, prims.font)
    ]
    # two close parallel verticals: the sides of an activation bar whose top and bottom were
    # lost (a raster figure with frames drawn across the bar), standing for the lifeline
    verticals = sorted(
        (s for s in prims.strokes if width(s.box) <= 1.5 and height(s.box) >= prims.font),
        key=lambda s: s.box[0],
    )
    for i, a in enumerate(verticals):
        for b in verticals[i + 1 :]:
            gap = b.box[0] - a.box[0]
            if gap > 1.5 * prims.font:
                break
            top, bottom = max(a.box[1], b.box[1]), min(a.box[3], b.box[3])
            if gap >= 0.4 * prims.font and bottom - top >= prims.font:
                pieces.append(((center(a.box)[0] + center(b.box)[0]) / 2, top, bottom))
    # thin tall boxes: a lifeline drawn as a box, or an activation bar hiding the lifeline
    # under it (a raster figure shows no line there)
    pieces += [
        (center(s.box)[0], s.box[1], s.box[3])
        for s in prims.shapes
        if width(s.box) <= 1.2 * prims.font
        and height(s.box) >= max(2 * prims.font, 2 * width(s.box))
    ]
    return pieces


def _runs(
    pieces: list[tuple[float, float, float]],
    gap: float,
    covers=(),
    align: float = 2.0,
    margin: float = 3.0,
) -> list[Lifeline]:
    """The longest run of touching pieces at each x. A longer gap is bridged where boxes
    drawn over the line (`covers`) hide it: a raster figure shows no line there."""
    columns: list[list[tuple[float, float, float]]] = []
    for piece in sorted(pieces):
        column = next((c for c in columns if abs(c[0][0] - piece[0]) < align), None)
        if column is None:
            columns.append([piece])
        else:
            column.append(piece)
    out = []
    for column in columns:
        column.sort(key=lambda p: p[1])
        x = column[0][0]
        # a cover hides the line only if it reaches well past it on both sides
        over = sorted((b[1], b[3]) for b in covers if b[0] + margin <= x <= b[2] - margin)
        best = current = [column[0][1], column[0][2]]
        for _, y0, y1 in column[1:]:
            # a longer open gap only between long stretches (the line lost around an
            # arrowhead or a box in a raster figure), never between short strokes
            long = current[1] - current[0] >= 1.5 * gap and y1 - y0 >= gap
            reach = 1.25 * gap if long else gap
            if y0 <= current[1] + reach or _hidden(current[1], y0, over, gap):
                current[1] = max(current[1], y1)
            else:
                current = [y0, y1]
            if current[1] - current[0] > best[1] - best[0]:
                best = current
        # where the line mostly runs: a bar's sides beside it weigh by their length
        weights = [max(p[2] - p[1], 1e-3) for p in column]
        x = sum(p[0] * w for p, w in zip(column, weights, strict=True)) / sum(weights)
        out.append(Lifeline(x, best[0], best[1]))
    return out


def _hidden(y0: float, y1: float, over: list[tuple[float, float]], slack: float) -> bool:
    """The covers, chained with gaps under `slack`, span y0..y1."""
    reached = y0
    for top, bottom in over:
        if top <= reached + slack:
            reached = max(reached, bottom)
    return reached + slack >= y1


def find_lifelines(prims: Primitives) -> list[Lifeline]:
    # boxes drawn over the line (dividers, notes, bars); text is not one: a self-message's
    # label beside a stroke would chain the strokes of a column of loops into a lifeline
    covers = [s.box for s in prims.shapes]
    runs = _runs(_vertical_pieces(prims), 2.0 * prims.font, covers, 0.45 * prims.font)
    long = [r for r in runs if r.bottom - r.top >= 0.3 * (height(prims.bbox) or 1.0)]
    kept: list[Lifeline] = []
    # Outlines of activation bars and doubled lines run beside a longer lifeline.
    for run in sorted(long, key=lambda r: r.top - r.bottom):
        if all(abs(run.x - k.x) >= 1.2 * prims.font for k in kept):
            kept.append(run)
    if len(kept) >= 2:
        kept += _side_lifelines(runs, kept, prims)
    for line in kept:
        line.slope = _lean(line, prims)
    return sorted(kept, key=lambda r: r.x)


def _side_lifelines(runs: list[Lifeline], kept: list[Lifeline], prims: Primitives):
    """Short lifelines of participants that join part-way (3GPP's EIR or N3IWF boxes drawn
    beside the flow): a run hanging from a named box, reached by a horizontal line."""
    font = prims.font
    fig_w = width(prims.bbox) or 1.0
    ends = [p for s in prims.strokes if _horizontal(s) for p in (s.points[0], s.points[-1])]
    out: list[Lifeline] = []
    for run in runs:
        if run.bottom - run.top < 3 * font or any(
            abs(run.x - k.x) < 1.2 * font and run.top < k.bottom and k.top < run.bottom
            for k in kept + out
        ):
            continue
        named = any(
            s.box[0] < run.x < s.box[2]
            and abs(s.box[3] - run.top) <= 0.8 * font
            and 1.5 * font < width(s.box) < 0.6 * fig_w
            and any(contains_point(s.box, center(span.bbox)) for span in prims.spans)
            for s in prims.shapes
        )
        reached = any(
            abs(x - run.x) <= 0.8 * font and run.top < y <= run.bottom + 0.5 * font
            for x, y in ends
        )
        if named and reached:
            out.append(run)
    return out


def _lean(line: Lifeline, prims: Primitives) -> float:
    """dx/dy of the longest leaning straight stroke along the lifeline (0 when upright)."""
    best, best_h = 0.0, 0.5 * (line.bottom - line.top)
    for s in prims.strokes:
        (xa, ya), (xb, yb) = s.points[0], s.points[-1]
        h = abs(yb - ya)
        leaning = len(s.points) == 2 and width(s.box) > 1.5 and _upright(s, prims.font)
        if leaning and h > best_h and abs((xa + xb) / 2 - line.x) < 0.45 * prims.font:
            best, best_h = (xb - xa) / (yb - ya), h
    return best


def _activation_bars(prims: Primitives, lifelines: list[Lifeline]) -> list[Shape]:
    bars = []
    for shape in prims.shapes:
        box = shape.box
        if width(box) > 1.5 * prims.font or height(box) < prims.font:
            continue
        line = min(lifelines, key=lambda ln: abs(ln.x - center(box)[0]))
        if abs(line.x - center(box)[0]) < prims.font:
            line.reach = max(line.reach, box[2] - line.x, line.x - box[0])
            bars.append(shape)
    return bars


# -- participants -------------------------------------------------------------------------
def _stack(start: TextGroup, rows: list[TextGroup], upward: bool, font: float) -> list[TextGroup]:
    """`start` and the rows stacked right above (or below) it that overlap it in x."""
    out = [start]
    while True:
        edge = out[-1]
        nxt = None
        for row in rows:
            if row in out:
                continue
            gap = edge.box[1] - row.box[3] if upward else row.box[1] - edge.box[3]
            overlap = min(edge.box[2], row.box[2]) - max(edge.box[0], row.box[0])
            if -0.4 * font <= gap <= 0.6 * font and overlap > 0:
                nxt = row
                break
        if nxt is None:
            return out
        out.append(nxt)


def _joined(rows: list[TextGroup]) -> str:
    return " ".join(r.text for r in sorted(rows, key=lambda r: (r.box[1], r.box[0])))


def _head_box(line: Lifeline, prims: Primitives, at_top: bool) -> Shape | None:
    """The participant box the lifeline starts (or ends) at."""
    edge = line.top if at_top else line.bottom
    fig_w = width(prims.bbox) or 1.0
    found = [
        s
        for s in prims.shapes
        if s.box[0] <= line.x <= s.box[2]
        and abs((s.box[3] if at_top else s.box[1]) - edge) <= 0.8 * prims.font
        and width(s.box) < 0.6 * fig_w
        and width(s.box) > 1.5 * prims.font
    ]
    return min(found, key=lambda s: width(s.box)) if found else None


def _label_near(
    line: Lifeline, rows: list[TextGroup], font: float, at_top: bool
) -> list[TextGroup]:
    best, best_d = None, 6.0 * font
    for row in rows:
        if abs(row.center[0] - line.x) > max(0.6 * width(row.box), 2 * font):
            continue
        d = line.top - row.box[3] if at_top else row.box[1] - line.bottom
        if -font <= d < best_d:
            best, best_d = row, d
    return _stack(best, rows, at_top, font) if best is not None else []


def _participant(line: Lifeline, prims: Primitives, rows: list[TextGroup]) -> list[TextGroup]:
    """The rows naming the lifeline, and every mirrored copy at its other end."""
    named: list[TextGroup] = []
    for at_top in (True, False):
        box = _head_box(line, prims, at_top)
        # by the row's centre: a name wrapped onto two lines may overhang a tight box
        inside = [r for r in rows if box is not None and contains_point(box.box, r.center)]
        if not inside:
            inside = _label_near(line, rows, prims.font, at_top)
        named.append(inside)
    return named[0] or named[1]


def _mirrors(line: Lifeline, label: str, rows: list[TextGroup], font: float) -> list[TextGroup]:
    words = set(label.split())
    return [
        r
        for r in rows
        if abs(r.center[0] - line.x) < max(0.6 * width(r.box), 2 * font)
        and (r.box[3] <= line.top + font or r.box[1] >= line.bottom - font)
        and set(r.text.split()) <= words
    ]


def _at_both_ends(line: Lifeline, rows: list[TextGroup], font: float) -> bool:
    """The participant's name is printed above the lifeline's top and below its bottom."""
    above = any(r.box[3] <= line.top + font for r in rows)
    below = any(r.box[1] >= line.bottom - font for r in rows)
    return above and below


def _actor_shape(line: Lifeline, prims: Primitives) -> str:
    for dot in prims.dots:
        c = center(dot.box)
        near = abs(c[0] - line.x) < prims.font and 0 < line.top - c[1] < 8 * prims.font
        if near and not dot.filled:
            return "actor"
    return "participant"


# -- messages -----------------------------------------------------------------------------
def _attach(x: float, y: float, lifelines: list[Lifeline], tol: float) -> int | None:
    best, best_d = None, None
    for i, line in enumerate(lifelines):
        if not (line.top - tol <= y <= line.bottom + tol):
            continue
        d = abs(line.x_at(y) - x)
        if d <= tol + line.reach and (best_d is None or d < best_d):
            best, best_d = i, d
    return best


def _horizontal(stroke: Stroke) -> bool:
    return height(stroke.box) <= 1.5 and width(stroke.box) > 1.5


def _vertical(stroke: Stroke) -> bool:
    return width(stroke.box) <= 1.5 and height(stroke.box) > 1.5


def _is_barb(stroke: Stroke, font: float) -> bool:
    box = stroke.box
    return (
        len(stroke.points) == 2
        and 2.0 <= stroke.length <= 1.8 * font
        and width(box) > 0.3 < height(box)
    )


def _has_head(tip, inward: float, prims: Primitives, barbs: list[Stroke]) -> bool:
    """An arrowhead at `tip`: a filled triangle touching it, or an open barb from it that
    points back along the message (`inward`: the sign of x towards the message)."""
    # the head is centred on the line: one just above or below is the next message's
    if any(
        box_distance(a.box, tip) <= 0.5 * prims.font
        and abs(center(a.box)[1] - tip[1]) <= max(1.0, 0.3 * height(a.box))
        for a in prims.arrows
    ):
        return True
    for barb in barbs:
        for near, far in ((barb.points[0], barb.points[-1]), (barb.points[-1], barb.points[0])):
            if dist(near, tip) <= 1.5 and (far[0] - near[0]) * inward > 0:
                return True
    return False


def _crosses_text(stroke, prims) -> bool:
    """Some text sits on the line itself (a divider's title), not above or below it."""
    y = stroke.points[0][1]
    x0, x1 = sorted((stroke.points[0][0], stroke.points[-1][0]))
    return any(
        span.bbox[1] + 1 < y < span.bbox[3] - 1 and span.bbox[0] < x1 and span.bbox[2] > x0
        for span in prims.spans
    )


def _overshoots(xa: float, xb: float, la: float, lb: float, slack: float = 3.0) -> bool:
    """A line running on past the lifelines it joins, as a frame's edge does."""
    (left, left_line), (right, right_line) = sorted(((xa, la), (xb, lb)))
    return left < left_line - slack or right > right_line + slack


def _tip(x: float, y: float, outward: float, prims: Primitives) -> float:
    """The x a message end reaches: the far side of a filled head touching it, if any."""
    for arrow in prims.arrows:
        if box_distance(arrow.box, (x, y)) <= 0.5 * prims.font:
            return max(x, arrow.box[2]) if outward > 0 else min(x, arrow.box[0])
    return x


def _straight_message(stroke, lifelines, tol, prims, barbs, headless=False) -> Message | None:
    if not _horizontal(stroke) or stroke.length < 1.5 * prims.font:
        return None
    (xa, ya), (xb, yb) = stroke.points[0], stroke.points[-1]
    sign = 1.0 if xb > xa else -1.0
    head_a = _has_head((xa, ya), sign, prims, barbs)
    head_b = _has_head((xb, yb), -sign, prims, barbs)
    # a line that stops at its arrowhead's base reaches the lifeline with the head's tip
    xa = _tip(xa, ya, -sign, prims) if head_a else xa
    xb = _tip(xb, yb, sign, prims) if head_b else xb
    a, b = _attach(xa, ya, lifelines, tol), _attach(xb, yb, lifelines, tol)
    if a is None or b is None or a == b:
        return None
    if not (head_a or head_b) and (
        not headless
        or _crosses_text(stroke, prims)
        or _overshoots(xa, xb, lifelines[a].x, lifelines[b].x)
    ):
        return None  # a rule, a divider (text on it) or a frame edge (past the lifelines)
    # no head at all (a renderer that dropped the arrow markers): the direction it was drawn in
    if head_a and not head_b:
        a, b = b, a
    y = min(ya, yb)
    both = head_a and head_b
    return Message(y, y, min(xa, xb), max(xa, xb), a, b, stroke.dashed, [stroke], both)


def _band(box, dashed: bool, lifelines: list[Lifeline], tol: float, font: float):
    """A flat band with pointed ends between two lifelines (3GPP's "<==>" for a procedure
    such as "9. Authentication/Security"): a message both ways, left to right."""
    if not (0.3 * font <= height(box) <= 2 * font) or width(box) < 3 * font:
        return None
    y = center(box)[1]
    a, b = _attach(box[0], y, lifelines, tol), _attach(box[2], y, lifelines, tol)
    if a is None or b is None or a == b:
        return None
    return Message(box[1], box[3], box[0], box[2], a, b, dashed, [], True)


def _procedure(shape: Shape, lifelines: list[Lifeline], tol: float, font: float):
    return _band(shape.box, shape.dashed, lifelines, tol, font) if shape.kind == "polygon" else None


def _self_loop_polyline(stroke, lifelines, tol, font) -> Message | None:
    if len(stroke.points) < 3:
        return None
    box = stroke.box
    (xa, ya), (xb, yb) = stroke.points[0], stroke.points[-1]
    # an outline drawn as one line from one lifeline to the next is a band; a loop's far
    # side stands free of any lifeline
    band = _band(box, stroke.dashed, lifelines, tol, font)
    if band is not None:
        return band
    a, b = _attach(xa, ya, lifelines, tol), _attach(xb, yb, lifelines, tol)
    if (
        a is None
        or a != b
        or width(box) < 0.8 * font
        or not (0.3 * font <= height(box) <= 6 * font)
    ):
        return None
    return Message(box[1], box[3], box[0], box[2], a, a, stroke.dashed, [stroke])


def _self_loop_chain(down: Stroke, horizontals, lifelines, tol, font) -> Message | None:
    """Out along the top, down the far side, back along the bottom: three strokes."""
    if not (_vertical(down) and 0.3 * font <= height(down.box) <= 6 * font):
        return None
    x, top, bottom = center(down.box)[0], down.box[1], down.box[3]
    if _attach(x, top, lifelines, tol) is not None:
        return None

    def arm(y: float) -> tuple[Stroke, int] | None:
        for h in horizontals:
            ends = (h.points[0], h.points[-1])
            near = [e for e in ends if dist(e, (x, y)) <= 1.5]
            if near:
                other = ends[1] if near[0] is ends[0] else ends[0]
                i = _attach(other[0], other[1], lifelines, tol)
                if i is not None:
                    return h, i
        return None

    upper, lower = arm(top), arm(bottom)
    if upper is None or lower is None or upper[1] != lower[1]:
        return None
    i = upper[1]
    x0 = min(lifelines[i].x, x)
    return Message(
        top, bottom, x0, max(lifelines[i].x, x), i, i, upper[0].dashed, [upper[0], down, lower[0]]
    )


def find_messages(
    prims: Primitives, lifelines: list[Lifeline], headless: bool = False
) -> list[Message]:
    """`headless`: a line between two lifelines is a message even with no arrowhead, for
    figures whose every participant is drawn at both ends of its lifeline (a sequence
    diagram beyond doubt, whatever its renderer left of the arrow markers)."""
    # side lifelines (short, joining part-way) may stand close to another in x, not in y
    spacing = min(
        (
            b.x - a.x
            for i, a in enumerate(lifelines)
            for b in lifelines[i + 1 :]
            if a.top < b.bottom and b.top < a.bottom
        ),
        default=0,
    )
    tol = max(5.0, 0.8 * prims.font)
    if spacing:
        tol = min(tol, 0.3 * spacing)
    barbs = [s for s in prims.strokes if _is_barb(s, prims.font)]
    horizontals = [s for s in prims.strokes if _horizontal(s)]
    messages: list[Message] = []
    for stroke in prims.strokes:
        found = _self_loop_chain(stroke, horizontals, lifelines, tol, prims.font)
        if found is not None:
            messages.append(found)
    used = {id(s) for m in messages for s in m.strokes}
    for stroke in prims.strokes:
        if id(stroke) in used:
            continue
        found = _straight_message(stroke, lifelines, tol, prims, barbs, headless)
        if found is None:
            found = _self_loop_polyline(stroke, lifelines, tol, prims.font)
        if found is not None:
            messages.append(found)
    messages += [
        m for m in (_procedure(s, lifelines, tol, prims.font) for s in prims.shapes) if m
    ]
    messages.sort(key=lambda m: (m.y, m.x0))
    return messages


# -- text roles ---------------------------------------------------------------------------
def _dividers(rows: list[TextGroup], prims: Primitives, messages: list[Message]) -> list[TextGroup]:
    """Rows that a long headless rule runs through or beside (== x ==, --- [label])."""
    used = {id(s) for m in messages for s in m.strokes}
    rules = [
        s
        for s in prims.strokes
        if id(s) not in used and _horizontal(s) and s.length >= 3 * prims.font
    ]
    out = []
    for row in rows:
        y0 = row.box[1] + 0.25 * height(row.box)
        y1 = row.box[3] - 0.25 * height(row.box)
        for rule in rules:
            y = rule.box[1]
            near = (
                rule.box[0] - 2 * prims.font <= row.box[2]
                and row.box[0] <= rule.box[2] + 2 * prims.font
            )
            if y0 <= y <= y1 and near:
                out.append(row)
                break
    return out


def _message_span(m: Message, font: float) -> tuple[float, float]:
    return (m.x0 - font, m.x1 + font)


def _beside(row: TextGroup, m: Message, font: float) -> bool:
    lo, hi = _message_span(m, font)
    if lo <= row.center[0] <= hi:
        return True
    # A self-message's label starts at the loop and may run far past it, or (mscgen)
    # ends at the lifeline on the loop's other side.
    return m.source == m.target and (lo <= row.box[0] <= hi or lo - font <= row.box[2] <= lo + font)


def _gap(row: TextGroup, m: Message, above: bool) -> float:
    edge = row.box[3] if above else row.box[1]
    if m.source == m.target and m.y <= edge <= m.bottom:
        return 0.0  # beside a loop, the label may reach along it
    if above:
        return m.y - edge if edge < m.y or m.source != m.target else m.bottom - edge
    return edge - m.bottom if edge > m.bottom or m.source != m.target else edge - m.y


def _label_side(messages: list[Message], rows: list[TextGroup], font: float) -> bool:
    """True when the figure writes its labels above the arrows (the usual way)."""
    votes = 0
    for m in messages:
        near = {
            above: any(
                _beside(r, m, font) and -0.6 * font <= _gap(r, m, above) <= 1.2 * font for r in rows
            )
            for above in (True, False)
        }
        votes += int(near[True] and not near[False]) - int(near[False] and not near[True])
    return votes >= 0


def _candidates(messages: list[Message], rows: list[TextGroup], font: float):
    """(cost, message, row, above) for every row that could label a message. The figure's
    usual side is preferred; the other side (PlantUML's replies below the arrow when
    responseMessageBelowArrow is on) only for rows that touch the arrow."""
    usual = _label_side(messages, rows, font)
    pairs = []
    for i, m in enumerate(messages):
        for row in rows:
            if not _beside(row, m, font):
                continue
            # a procedure band is labelled on the usual side only: the row under it
            # starts the next message's label
            for above in (usual,) if not m.strokes else (usual, not usual):
                d = _gap(row, m, above)
                reach = 2.5 * font if above == usual else 1.2 * font
                if -0.6 * font <= d <= reach:
                    cost = abs(d) + (0.0 if above == usual else 0.5 * font)
                    pairs.append((cost, i, row, above))
    pairs.sort(key=lambda p: (p[0], p[1]))
    return pairs


def label_messages(messages: list[Message], rows: list[TextGroup], font: float) -> list[str]:
    first: dict[int, tuple[TextGroup, bool]] = {}
    taken: set[int] = set()
    for _, i, row, above in _candidates(messages, rows, font):
        if i not in first and id(row) not in taken:
            first[i] = (row, above)
            taken.add(id(row))
    labels = []
    for i, m in enumerate(messages):
        if i not in first:
            labels.append("")
            continue
        row, above = first[i]
        free = [r for r in rows if id(r) not in taken and _beside(r, m, font)]
        stack = _stack(row, free, above, font)
        taken.update(id(r) for r in stack)
        labels.append(_joined(stack))
    for row in [r for r in rows if id(r) in taken]:
        rows.remove(row)
    return labels


def _tags(rows: list[TextGroup], font: float) -> list[tuple[TextGroup, TextGroup | None]]:
    out = []
    for row in rows:
        if row.text.strip().lower() not in FRAME_TAGS:
            continue
        # The tag sits in a small pentagon; its condition is the "[...]" text on its row.
        beside = [
            t
            for t in rows
            if t is not row
            and abs(t.center[1] - row.center[1]) < 0.6 * font
            and t.box[0] > row.box[0]
            and t.text.startswith("[")
        ]
        out.append((row, min(beside, key=lambda t: t.box[0]) if beside else None))
    return out


def _frame_bottom(tag: TextGroup, prims: Primitives) -> float | None:
    frames = [
        s.box
        for s in prims.shapes
        if box_distance(s.box, (tag.box[0], tag.box[1])) <= prims.font
        and height(s.box) > 2 * prims.font
    ]
    if frames:
        return max(frames, key=lambda b: height(b))[3]
    sides = [
        s.box[3]
        for s in prims.strokes
        if _vertical(s)
        and abs(s.box[0] - tag.box[0]) < 3 * prims.font
        and abs(s.box[1] - tag.box[1]) < 2 * prims.font
    ]
    return max(sides) if sides else None


@dataclass
class Frame:
    tag: TextGroup
    cond: TextGroup | None
    top: float
    bottom: float
    branches: list[TextGroup]
    """The "[condition]" rows of its else/and parts."""


def _frames(prims: Primitives, rows: list[TextGroup], messages: list[Message]) -> list[Frame]:
    """alt/opt/loop/par frames; their tag, condition and branch rows leave `rows`."""
    last = max(m.y for m in messages) + 1
    frames = []
    for tag, cond in _tags(rows, prims.font):
        top = tag.box[1]
        bottom = _frame_bottom(tag, prims) or last
        frames.append(Frame(tag, cond, top, bottom, []))
    for frame in frames:
        for row in (frame.tag, frame.cond):
            if row is not None and row in rows:
                rows.remove(row)
    for frame in frames:
        for row in list(rows):
            if row.text.startswith("[") and frame.top < row.center[1] < frame.bottom:
                frame.branches.append(row)
                rows.remove(row)
    return frames


def _block(frame: Frame, ys: list[float]) -> Block | None:
    inside = [i for i, y in enumerate(ys) if frame.top < y < frame.bottom]
    if not inside:
        return None
    branches = []
    for row in frame.branches:
        after = [i for i, y in enumerate(ys) if y > row.center[1]]
        if after:
            branches.append((row.text.strip("[] "), after[0]))
    cond = frame.cond
    label = cond.text.strip().strip("[]").strip() if cond is not None else ""
    kind = frame.tag.text.strip().lower()
    return Block(kind, label, inside[0], inside[-1] + 1, sorted(branches, key=lambda b: b[1]))


def _notes(prims, rows, lifelines, ids, messages, skip) -> list[tuple[Note, list[TextGroup]]]:
    out = []
    top = min(line.top for line in lifelines)
    for shape in prims.shapes:
        box = shape.box
        if not shape.stroked or id(shape) in skip or box[1] < top:
            continue  # label backgrounds, activation bars, participant boxes
        if any(box[1] <= m.y <= box[3] and m.x0 < box[2] and box[0] < m.x1 for m in messages):
            continue  # a frame around messages
        inner = [r for r in rows if contains(box, r.box, 2.0)]
        if not inner:
            continue
        over = [ids[i] for i, ln in enumerate(lifelines) if box[0] - 2 <= ln.x <= box[2] + 2]
        position = "over"
        if not over:
            near = min(range(len(lifelines)), key=lambda i: abs(lifelines[i].x - center(box)[0]))
            over = [ids[near]]
            position = "right of" if center(box)[0] > lifelines[near].x else "left of"
        out.append(
            (
                Note(over[:2] if len(over) < 2 else [over[0], over[-1]], _joined(inner), position),
                inner,
            )
        )
        for r in inner:
            rows.remove(r)
    return out


# -- the diagram --------------------------------------------------------------------------
def recover_sequence(prims: Primitives):
    from ictrag.figures.vector.diagram import Recovery

    lifelines = find_lifelines(prims)
    if len(lifelines) < 2:
        return None
    rows = group_rows(prims.spans, prims.font)
    named = []
    mirrored = 0
    for line in lifelines:
        label_rows = _participant(line, prims, rows)
        if label_rows:
            label = _joined(label_rows)
            named.append((line, label))
            found = list(
                {id(x): x for x in label_rows + _mirrors(line, label, rows, prims.font)}.values()
            )
            mirrored += _at_both_ends(line, found, prims.font)
            for r in found:
                rows.remove(r)
    if len(named) < 2:
        return None
    lifelines = [line for line, _ in named]
    bars = _activation_bars(prims, lifelines)
    messages = find_messages(prims, lifelines, headless=mirrored == len(named))
    if not messages:
        return None
    graph = DiagramGraph(kind="sequence")
    ids = [f"p{i + 1}" for i in range(len(named))]
    for node_id, (line, label) in zip(ids, named, strict=True):
        graph.add_participant(node_id, label, _actor_shape(line, prims))
    top = min(ln.top for ln in lifelines) - prims.font
    bottom = max(ln.bottom for ln in lifelines) + prims.font
    total = len(rows)
    rows = [r for r in rows if top <= r.center[1] <= bottom]
    for row in _dividers(rows, prims, messages):
        graph.notes.append(Note([ids[0], ids[-1]], row.text, "over"))
        rows.remove(row)
    frames = _frames(prims, rows, messages)
    for note, _ in _notes(prims, rows, lifelines, ids, messages, {id(b) for b in bars}):
        graph.notes.append(note)
    labels = label_messages(messages, rows, prims.font)
    for m, label in zip(messages, labels, strict=True):
        arrow = "-->>" if m.dashed else "->>"
        graph.add_message(ids[m.source], ids[m.target], label, f"<<{arrow}" if m.both else arrow)
    ys = [m.y for m in messages]
    for frame in frames:
        block = _block(frame, ys)
        if block is not None:
            graph.blocks.append(block)
    free = [r.text for r in rows]
    labelled = sum(1 for label in labels if label)
    confidence = 0.5 + 0.3 * (labelled / len(messages)) + 0.2 * (1 - len(free) / max(1, total))
    stats = {"lifelines": len(lifelines), "messages": len(messages)}
    return Recovery(graph, round(min(1.0, confidence), 3), free, stats)
