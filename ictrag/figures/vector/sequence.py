"""Sequence diagrams from vector drawings: lifelines are long vertical strokes under
participant boxes, messages are horizontal arrows between two lifelines ordered by y and
labelled by the text just above them, alt/loop/opt frames are tagged boxes around messages.
"""

from __future__ import annotations

from ictrag.figures.graph import Block, DiagramGraph, Note
from ictrag.figures.vector.prims import (
    Primitives,
    Stroke,
    TextGroup,
    center,
    contains,
    height,
    width,
)

BLOCK_TAGS = ("alt", "opt", "loop", "par", "critical", "break", "rect")


def _lifelines(prims: Primitives) -> list[tuple[float, float, float]]:
    """(x, top, bottom) of long vertical strokes, merged by x."""
    fig_h = height(prims.bbox) or 1.0
    lines: list[list[float]] = []
    for stroke in prims.strokes:
        box = stroke.box
        if width(box) > 1.5 or height(box) < 0.4 * fig_h:
            continue
        x = center(box)[0]
        for line in lines:
            if abs(line[0] - x) < 2.0:
                line[1], line[2] = min(line[1], box[1]), max(line[2], box[3])
                break
        else:
            lines.append([x, box[1], box[3]])
    return sorted((tuple(line) for line in lines), key=lambda line: line[0])  # type: ignore[misc]


def recover_sequence(prims: Primitives):
    from ictrag.figures.vector.diagram import Recovery

    lifelines = _lifelines(prims)
    if len(lifelines) < 2:
        return None
    tol = max(4.5, 0.35 * prims.font)
    xs = [line[0] for line in lifelines]
    used: set[int] = set()
    names = [_participant(line, prims, used) for line in lifelines]
    if sum(1 for name in names if name) < 2:
        return None
    arrows = list(prims.arrows)
    messages = []
    widen = _activation_width(prims, xs)
    for stroke in prims.strokes:
        found = _message(stroke, xs, arrows, tol + widen, prims)
        if found is not None:
            messages.append(found)
    if not messages:
        return None
    graph = DiagramGraph(kind="sequence")
    ids = []
    for i, name in enumerate(names):
        node_id = f"p{i + 1}"
        ids.append(node_id)
        graph.add_participant(node_id, name or node_id, _actor_shape(lifelines[i], prims))
    messages.sort(key=lambda m: m[0])
    tags = _tags(prims)
    texts = [t for t in prims.texts if id(t) not in used and id(t) not in {id(t) for t, _ in tags}]
    notes = _notes(prims, texts, lifelines, ids, messages)
    for y, a, b, dashed, points in messages:
        label = _message_label(y, points, texts, prims.font)
        arrow = "-->>" if dashed else "->>"
        graph.add_message(ids[a], ids[b], label, arrow)
    for note, text in notes:
        graph.notes.append(note)
        if text in texts:
            texts.remove(text)
    ys = [m[0] for m in messages]
    for tag, label in tags:
        block = _block(tag, label, prims, ys, texts)
        if block is not None:
            graph.blocks.append(block)
    free = [t.text for t in texts]
    labelled = sum(1 for m in graph.messages if m.label)
    confidence = (
        0.5
        + 0.3 * (labelled / len(graph.messages))
        + 0.2 * (1 - len(free) / max(1, len(prims.texts)))
    )
    stats = {"lifelines": len(lifelines), "messages": len(graph.messages)}
    return Recovery(graph, round(min(1.0, confidence), 3), free, stats)


def _activation_width(prims: Primitives, xs: list[float]) -> float:
    """Half the width of the activation bars drawn over lifelines (messages end on them)."""
    half = 0.0
    for shape in prims.shapes:
        w = width(shape.box)
        if w < 1.5 * prims.font and any(abs(center(shape.box)[0] - x) < 2 for x in xs):
            half = max(half, w / 2)
    return half


def _participant(line, prims: Primitives, used: set[int]) -> str:
    x, top, bottom = line
    label = ""
    best = None
    for text in prims.texts:
        c = text.center
        if abs(c[0] - x) > max(0.6 * width(text.box), 2 * prims.font):
            continue
        above = top - text.box[3]
        below = text.box[1] - bottom
        if -prims.font <= above <= 6 * prims.font:
            if best is None or above < best[0]:
                best = (above, text)
        elif -prims.font <= below <= 6 * prims.font:
            used.add(id(text))  # the mirrored participant box at the bottom
    if best is not None:
        label = best[1].text
        used.add(id(best[1]))
        # Every other copy of the same name (mirrored boxes) is explained too.
        for text in prims.texts:
            if text.text == label and abs(text.center[0] - x) < 2 * prims.font:
                used.add(id(text))
    return label


def _actor_shape(line, prims: Primitives) -> str:
    x, top, _ = line
    for dot in prims.dots:
        c = center(dot.box)
        if abs(c[0] - x) < prims.font and 0 < top - c[1] < 8 * prims.font and not dot.filled:
            return "actor"
    return "participant"


def _nearest(x: float, xs: list[float], tol: float) -> int | None:
    best = min(range(len(xs)), key=lambda i: abs(xs[i] - x))
    return best if abs(xs[best] - x) <= tol else None


def _message(stroke: Stroke, xs: list[float], arrows, tol: float, prims: Primitives):
    from ictrag.figures.vector.diagram import _end

    box = stroke.box
    p0, p1 = stroke.points[0], stroke.points[-1]
    if abs(p0[1] - p1[1]) > 2.0 and not _self_loop(stroke, xs, tol):
        return None
    if height(box) > 3.0 and not _self_loop(stroke, xs, tol):
        return None
    start, end = _end(stroke, 0, arrows, prims.font), _end(stroke, -1, arrows, prims.font)
    a = _nearest(start.point[0], xs, tol + (3.0 if start.arrow else 0.0))
    b = _nearest(end.point[0], xs, tol + (3.0 if end.arrow else 0.0))
    if a is None or b is None:
        for e in (start, end):
            if e.arrow:
                arrows.append(_arrow_back(e))
        return None
    if a == b and not _self_loop(stroke, xs, tol):
        return None
    if start.arrow and not end.arrow:
        a, b = b, a
    y = min(p0[1], p1[1])
    return (y, a, b, stroke.dashed, stroke.points)


def _arrow_back(end):
    from ictrag.figures.vector.prims import Arrowhead

    p = end.point
    return Arrowhead([p], (p[0], p[1], p[0], p[1]))


def _self_loop(stroke: Stroke, xs: list[float], tol: float) -> bool:
    p0, p1 = stroke.points[0], stroke.points[-1]
    a, b = _nearest(p0[0], xs, tol), _nearest(p1[0], xs, tol)
    return a is not None and a == b and width(stroke.box) > 8 and height(stroke.box) > 4


def _message_label(y: float, points, texts: list[TextGroup], font: float) -> str:
    x0 = min(p[0] for p in points)
    x1 = max(p[0] for p in points)
    best, best_d = None, 3.0 * font
    for text in texts:
        c = text.center
        if not (x0 - font <= c[0] <= x1 + font):
            continue
        d = y - text.box[3]
        if -0.5 * font <= d < best_d:
            best, best_d = text, d
    if best is None:
        return ""
    texts.remove(best)
    return best.text


def _tags(prims: Primitives) -> list[tuple[TextGroup, str]]:
    out = []
    for text in prims.texts:
        word = text.text.strip().lower()
        if word not in BLOCK_TAGS:
            continue
        # The tag sits in a small pentagon; its condition is the "[...]" text on its row.
        row = [
            t
            for t in prims.texts
            if t is not text
            and abs(t.center[1] - text.center[1]) < 0.6 * prims.font
            and t.box[0] > text.box[0]
            and t.text.startswith("[")
        ]
        label = min(row, key=lambda t: t.box[0]).text if row else ""
        out.append((text, label))
    return out


def _block(tag: TextGroup, label: str, prims: Primitives, ys: list[float], texts) -> Block | None:
    kind = tag.text.strip().lower()
    top = tag.box[1]
    x0 = tag.box[0]
    bottom = top
    for stroke in prims.strokes:
        box = stroke.box
        vertical = width(box) < 2.0 and abs(box[0] - x0) < 3 * prims.font
        if vertical and abs(box[1] - top) < 2 * prims.font:
            bottom = max(bottom, box[3])
    if bottom <= top:
        bottom = max(ys) + 1 if ys else top
    inside = [i for i, y in enumerate(sorted(ys)) if top < y < bottom]
    if not inside:
        return None
    clean = label.strip().strip("[]").strip()
    for text in list(texts):
        if text.text == label:
            texts.remove(text)
            break
    branches = []
    sorted_ys = sorted(ys)
    for text in list(texts):
        if not text.text.startswith("[") or not (top < text.center[1] < bottom):
            continue
        after = [i for i, y in enumerate(sorted_ys) if y > text.center[1]]
        if after:
            branches.append((text.text.strip("[] "), after[0]))
            texts.remove(text)
    return Block(kind, clean, inside[0], inside[-1] + 1, sorted(branches, key=lambda b: b[1]))


def _notes(prims: Primitives, texts: list[TextGroup], lifelines, ids: list[str], messages):
    notes = []
    for shape in prims.shapes:
        box = shape.box
        if any(box[1] <= m[0] <= box[3] for m in messages):
            continue  # a background rect or frame around messages, not a note
        if not any(contains(box, t.box, 2.0) for t in texts):
            continue
        if box[1] < min(line[1] for line in lifelines):
            continue  # participant boxes
        inner = [t for t in texts if contains(box, t.box, 2.0)]
        over = [ids[i] for i, line in enumerate(lifelines) if box[0] - 2 <= line[0] <= box[2] + 2]
        if not over:
            nearest = min(
                range(len(lifelines)), key=lambda i: abs(lifelines[i][0] - center(box)[0])
            )
            over = [ids[nearest]]
            position = "right of" if center(box)[0] > lifelines[nearest][0] else "left of"
        else:
            position = "over"
        text = " ".join(t.text for t in sorted(inner, key=lambda t: t.box[1]))
        for t in inner:
            notes.append((Note(over[:2], text, position), t))
    # One Note per shape: dedupe those created per inner text.
    seen, out = set(), []
    for note, text in notes:
        key = (note.text, tuple(note.targets))
        if key in seen:
            texts.remove(text) if text in texts else None
            continue
        seen.add(key)
        out.append((note, text))
    return out
