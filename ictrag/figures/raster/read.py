"""Diagram recovery from a PNG: OCR lines give the text, OpenCV the boxes and connectors.

Boxes are closed contours that hold OCR text; connectors are the ink left once boxes and
text are masked out, one connected component per line (components meeting at a free text
box are one edge, the text its label); the end with more ink around it has the arrowhead.
When no structure is found the OCR lines, grouped by proximity, are returned with low
confidence.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from ictrag.figures.graph import DiagramGraph, Edge
from ictrag.figures.raster.vectorize import TextLine, vectorize
from ictrag.figures.vector.diagram import Recovery, recover_vector


@dataclass
class _Box:
    box: tuple[int, int, int, int]
    shape: str
    texts: list[int]


def recover_raster(image_path: str, ocr: bool = True, ocr_cache: str | None = None) -> Recovery:
    image = cv2.imread(str(image_path), cv2.IMREAD_GRAYSCALE)
    if image is None:
        return Recovery(DiagramGraph(kind="other"), 0.0, note="unreadable image")
    lines = []
    if ocr:
        from ictrag.figures.raster.ocr import ocr_lines

        lines = [
            line
            for line in ocr_lines(image_path, ocr_cache)
            if line.text.strip() and line.score >= 0.5
        ]
    texts = [(line.text.strip(), tuple(int(v) for v in line.bbox)) for line in lines]
    all_text = "\n".join(t for t, _ in texts)
    if not texts:
        return Recovery(DiagramGraph(kind="other"), 0.0, note="no text found", text="")
    # Two readings: the pixels redrawn as vector drawings for the vector readers, and the
    # pixel rules below. A call flow beats a graph (lifelines are strong evidence), then
    # the reading that explains more links wins; the redrawing on a tie.
    redrawn = recover_vector(vectorize(image, [TextLine(t, b) for t, b in texts]))
    rules = _recover_rules(image, texts, all_text)
    if _structured(redrawn.graph) and _links(redrawn.graph) >= _links(rules.graph):
        redrawn.text = all_text
        redrawn.note = f"raster redrawn as vector; {redrawn.note}".rstrip("; ")
        return redrawn
    return rules


def _links(graph: DiagramGraph) -> tuple[bool, int]:
    return graph.kind == "sequence", len(graph.edges) + len(graph.messages)


def _recover_rules(image: np.ndarray, texts, all_text: str) -> Recovery:
    ink = _binarize(image)
    boxes = _boxes(ink, texts, _vertical_lines(ink))
    graph = DiagramGraph(kind="flowchart")
    for i, box in enumerate(boxes):
        label = " ".join(texts[j][0] for j in sorted(box.texts, key=lambda j: texts[j][1][1]))
        graph.add_node(f"n{i + 1}", label, box.shape)
    inside = {j for box in boxes for j in box.texts}
    free = [j for j in range(len(texts)) if j not in inside]
    sequence = _sequence(ink, boxes, texts, free)
    if sequence is not None:
        graph, used = sequence
        free_text = [texts[j][0] for j in free if j not in used]
        labelled = sum(1 for m in graph.messages if m.label) / max(1, len(graph.messages))
        confidence = round(0.4 + 0.3 * labelled + 0.2 * (1 - len(free_text) / len(texts)), 3)
        stats = {"participants": len(graph.participants), "messages": len(graph.messages)}
        return Recovery(graph, confidence, free_text, stats, "raster sequence", all_text)
    used_free = _edges(ink, boxes, texts, free, graph)
    free_text = [texts[j][0] for j in free if j not in used_free]
    if len(boxes) < 2 or not graph.edges:
        # No connected structure: the boxes found plus the other OCR text, grouped by
        # proximity, are the components; confidence stays low and the summary says so.
        graph.kind = "other"
        graph.edges = []
        loose = [texts[j] for j in free]
        for k, text in enumerate(_group_lines(loose)):
            graph.add_node(f"t{k + 1}", text, "text")
        confidence = 0.25 if len(boxes) >= 2 else 0.1
        return Recovery(
            graph,
            confidence,
            [],
            {"boxes": len(boxes), "edges": 0},
            note="raster: structure not recovered, grouped OCR text only",
            text=all_text,
        )
    from ictrag.figures.classify import graph_kind

    graph.kind = graph_kind(graph, [t for t, _ in texts])
    used = 1.0 - len(free_text) / len(texts)
    confidence = round(0.35 + 0.35 * used + 0.1 * min(1.0, len(graph.edges) / len(boxes)), 3)
    stats = {"boxes": len(boxes), "edges": len(graph.edges), "text_used": round(used, 3)}
    return Recovery(graph, confidence, free_text, stats, "raster", all_text)


def _structured(graph: DiagramGraph) -> bool:
    if graph.kind == "sequence":
        return len(graph.participants) >= 2 and len(graph.messages) >= 1
    return len(graph.nodes) >= 2 and len(graph.edges) >= 1


def _binarize(gray: np.ndarray) -> np.ndarray:
    """Ink is what is clearly darker than the background (light fills are not ink)."""
    if float(np.median(gray)) < 128:
        gray = 255 - gray
    background = float(np.median(gray))
    return np.where(gray < background - 45, 255, 0).astype(np.uint8)


def _lifelines(ink: np.ndarray, boxes: list[_Box], th: float) -> list[tuple[int, int]]:
    """(x, box index) of participant boxes with a long vertical line under their centre."""
    h = ink.shape[0]
    found = []
    for i, box in enumerate(boxes):
        x = (box.box[0] + box.box[2]) // 2
        top = box.box[3] + 2
        if top > 0.5 * h:
            continue
        column = ink[top:, max(0, x - 2) : x + 3].max(axis=1) > 0
        for other in boxes:  # a note or an activation drawn over the lifeline hides it
            ox0, oy0, ox1, oy1 = other.box
            if other is not box and ox0 <= x <= ox1 and oy1 > top:
                column[max(0, oy0 - top) : oy1 - top] = True
        run = int(column.sum())
        if run >= 0.45 * (h - top) and run > 6 * th:
            found.append((x, i))
    found.sort()
    merged: list[tuple[int, int]] = []
    for x, i in found:
        if merged and abs(merged[-1][0] - x) < th:
            continue
        merged.append((x, i))
    return merged


def _sequence(ink, boxes: list[_Box], texts, free: list[int]):
    th = _text_height(texts)
    lifelines = _lifelines(ink, boxes, th)
    if len(lifelines) < 2:
        return None
    xs = [x for x, _ in lifelines]
    rest = ink.copy()
    for box in boxes:
        x0, y0, x1, y1 = box.box
        cv2.rectangle(rest, (x0 - 3, y0 - 3), (x1 + 3, y1 + 3), 0, -1)
    for j in free:
        x0, y0, x1, y1 = texts[j][1]
        cv2.rectangle(rest, (x0 - 1, y0 - 1), (x1 + 1, y1 + 1), 0, -1)
    for x in xs:
        rest[:, max(0, x - 3) : x + 4] = 0
    closed = cv2.morphologyEx(rest, cv2.MORPH_CLOSE, np.ones((1, 15), np.uint8))
    count, labels, stats, _ = cv2.connectedComponentsWithStats(closed, connectivity=8)
    spacing = min(b - a for a, b in zip(xs, xs[1:], strict=False))
    tol = max(12, int(0.8 * th))
    messages = []
    for c in range(1, count):
        x, y, w, h = stats[c, :4]
        if w < 0.4 * spacing or h > 2.5 * th:
            continue
        a = min(range(len(xs)), key=lambda i: abs(xs[i] - x))
        b = min(range(len(xs)), key=lambda i: abs(xs[i] - (x + w)))
        if a == b or abs(xs[a] - x) > tol or abs(xs[b] - (x + w)) > tol:
            continue
        mask = labels == c
        left = int(mask[:, x : x + int(th)].sum())
        right = int(mask[:, x + w - int(th) : x + w].sum())
        row = int(np.argmax(mask[y : y + h, x + w // 2].astype(np.uint8))) + y if h > 1 else y
        dashed = float(rest[row, x : x + w].mean()) < 0.8 * 255 if w else False
        source, target = (b, a) if left > 1.3 * right else (a, b)
        directed = max(left, right) > 1.3 * max(1, min(left, right))
        messages.append((y + h / 2, source, target, dashed, x, x + w, directed))
    if not messages:
        return None
    graph = DiagramGraph(kind="sequence")
    seen: set[str] = set()
    ids = []
    for k, (_, i) in enumerate(lifelines):
        label = " ".join(texts[j][0] for j in boxes[i].texts)
        ids.append(f"p{k + 1}")
        seen.add(label)
        graph.add_participant(f"p{k + 1}", label)
    used: set[int] = set()
    for y, source, target, dashed, x0, x1, directed in sorted(messages):
        best, best_d = None, 2.5 * th
        for j in free:
            if j in used:
                continue
            tb = texts[j][1]
            cx = (tb[0] + tb[2]) / 2
            d = y - tb[3]
            if x0 - th <= cx <= x1 + th and -0.3 * th <= d < best_d:
                best, best_d = j, d
        if best is None and not directed:
            continue  # a frame border (alt/loop box), not a message
        label = ""
        if best is not None:
            used.add(best)
            label = texts[best][0]
        graph.add_message(ids[source], ids[target], label, "-->>" if dashed else "->>")
    # Mirrored participant boxes at the bottom repeat the names: they are explained.
    return graph, used


def _text_height(texts) -> float:
    heights = sorted(b[3] - b[1] for _, b in texts)
    return float(heights[len(heights) // 2]) if heights else 12.0


def _vertical_lines(ink: np.ndarray) -> list[int]:
    """x of columns inked over most of the image height (sequence lifelines)."""
    h = ink.shape[0]
    cols = np.nonzero((ink > 0).sum(axis=0) > 0.45 * h)[0]
    return [int(x) for x in cols]


def _between_lifelines(ink: np.ndarray, rect, lifelines: list[int], th: float) -> bool:
    """Both sides on long vertical lines that run on well above and below the hole."""
    x, y, w, h = rect
    margin = int(3 * th)

    def runs_on(lx: int) -> bool:
        column = ink[:, lx]
        return bool(column[: max(0, y - margin)].any() and column[y + h + margin :].any())

    left = [lx for lx in lifelines if abs(x - lx) <= 4]
    right = [lx for lx in lifelines if abs(x + w - lx) <= 4]
    return any(runs_on(lx) for lx in left) and any(runs_on(lx) for lx in right)


def _boxes(ink: np.ndarray, texts, lifelines: list[int] | None = None) -> list[_Box]:
    """Closed outlines (their inner hole contours) that contain OCR text. A hole whose sides
    are two lifelines is the space between messages, not a box."""
    lifelines = lifelines or []
    th = _text_height(texts)
    contours, hierarchy = cv2.findContours(ink, cv2.RETR_CCOMP, cv2.CHAIN_APPROX_SIMPLE)
    found: list[_Box] = []
    if hierarchy is None:
        return found
    for contour, info in zip(contours, hierarchy[0], strict=False):
        if info[3] < 0:
            continue  # outer boundaries; the hole inside an outline is the box's interior
        x, y, w, h = cv2.boundingRect(contour)
        if w < 1.2 * th or h < 1.1 * th:
            continue
        box = (x, y, x + w, y + h)
        if _between_lifelines(ink, (x, y, w, h), lifelines, th):
            continue
        inner = [
            i
            for i, (_, tb) in enumerate(texts)
            if x - 2 <= (tb[0] + tb[2]) / 2 <= x + w + 2
            and y - 2 <= (tb[1] + tb[3]) / 2 <= y + h + 2
        ]
        if not inner or cv2.contourArea(contour) < 0.45 * w * h:
            continue
        tx = [(texts[i][1][0] + texts[i][1][2]) / 2 for i in inner]
        ty = [(texts[i][1][1] + texts[i][1][3]) / 2 for i in inner]
        if (
            abs(sum(tx) / len(tx) - (x + w / 2)) > 0.3 * w
            or abs(sum(ty) / len(ty) - (y + h / 2)) > 0.2 * h
        ):
            continue
        tops = sorted((texts[i][1] for i in inner), key=lambda b: b[1])
        if any(b[1] - a[3] > th for a, b in zip(tops, tops[1:], strict=False)):
            continue  # text spread over a region is not one label
        found.append(_Box(box, _shape(contour, w, h), inner))
    # Keep the smallest box for each text (a container's hole also holds its children's text).
    found.sort(key=lambda b: (b.box[2] - b.box[0]) * (b.box[3] - b.box[1]))
    owner: dict[int, int] = {}
    for index, box in enumerate(found):
        for t in box.texts:
            owner.setdefault(t, index)
    out = []
    for index, box in enumerate(found):
        box.texts = [t for t in box.texts if owner[t] == index]
        if box.texts:
            out.append(box)
    return out


def _shape(contour, w: int, h: int) -> str:
    area = cv2.contourArea(contour)
    fill = area / max(1.0, w * h)
    approx = cv2.approxPolyDP(contour, 0.04 * cv2.arcLength(contour, True), True)
    if len(approx) == 4 and 0.4 < fill < 0.65:
        return "decision"
    if fill > 0.9:
        return "rect"
    if 0.7 < fill <= 0.9 and len(approx) > 6:
        return "circle" if abs(w - h) < 0.15 * max(w, h) else "round"
    return "round"


def _edges(ink, boxes: list[_Box], texts, free: list[int], graph: DiagramGraph) -> set[int]:
    th = _text_height(texts)
    rest = ink.copy()
    pad = max(2, int(0.15 * th))
    for box in boxes:
        x0, y0, x1, y1 = box.box
        # Outline and interior go; what stays outside the outline is connector ink.
        cv2.rectangle(rest, (x0 - pad - 2, y0 - pad - 2), (x1 + pad + 2, y1 + pad + 2), 0, -1)
    for _, (x0, y0, x1, y1) in texts:
        cv2.rectangle(rest, (x0 - 2, y0 - 2), (x1 + 2, y1 + 2), 0, -1)
    # Dotted and dashed connectors are rows of separate marks: close the gaps between them.
    gap = max(3, int(0.35 * th)) | 1
    rest = cv2.morphologyEx(rest, cv2.MORPH_CLOSE, np.ones((gap, gap), np.uint8))
    count, labels, stats, _ = cv2.connectedComponentsWithStats(rest, connectivity=8)
    parent = list(range(count))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    grow = max(4, int(0.5 * th))
    comp_labels: dict[int, list[int]] = {}
    for j in free:
        x0, y0, x1, y1 = texts[j][1]
        region = labels[max(0, y0 - grow) : y1 + grow, max(0, x0 - grow) : x1 + grow]
        touching = [c for c in np.unique(region) if c and stats[c, cv2.CC_STAT_AREA] >= th]
        for c in touching[1:]:
            parent[find(c)] = find(touching[0])
        if touching:
            comp_labels.setdefault(touching[0], []).append(j)
    groups: dict[int, list[int]] = {}
    for c in range(1, count):
        if stats[c, cv2.CC_STAT_AREA] >= max(6, 0.5 * th):
            groups.setdefault(find(c), []).append(c)
    used: set[int] = set()
    reach = pad + 5
    for members in groups.values():
        mask = np.isin(labels, members)
        ends = []
        for i, box in enumerate(boxes):
            x0, y0, x1, y1 = box.box
            band = mask[max(0, y0 - reach) : y1 + reach, max(0, x0 - reach) : x1 + reach]
            if band.any():
                ys, xs = np.nonzero(band)
                ends.append((i, int(len(xs)), (xs.mean() + x0 - reach, ys.mean() + y0 - reach)))
        if len(ends) < 2:
            continue
        ends.sort(key=lambda e: -e[1])
        a, b = ends[0], ends[1]
        ink_a = _ink_near(mask, a[2], th)
        ink_b = _ink_near(mask, b[2], th)
        directed = max(ink_a, ink_b) > 1.6 * max(1, min(ink_a, ink_b))
        source, target = (b, a) if ink_a >= ink_b else (a, b)
        label_ids = [j for m in members for j in comp_labels.get(m, [])]
        used.update(label_ids)
        label = " ".join(texts[j][0] for j in sorted(label_ids, key=lambda j: texts[j][1][1]))
        graph.edges.append(Edge(f"n{source[0] + 1}", f"n{target[0] + 1}", label, directed))
    return used


def _ink_near(mask: np.ndarray, point, th: float) -> int:
    x, y = int(point[0]), int(point[1])
    r = max(6, int(0.9 * th))
    return int(mask[max(0, y - r) : y + r, max(0, x - r) : x + r].sum())


def _group_lines(texts) -> list[str]:
    """OCR lines grouped into blocks of text in reading order, as the figure's own text is
    (ocr.group_lines), so a two-line label reads the same in both."""
    from ictrag.figures.raster.ocr import OcrLine, group_lines

    lines = [OcrLine(text, tuple(float(v) for v in box), 1.0) for text, box in texts]
    return [" ".join(line.text for line in block) for block in group_lines(lines)]
