"""Packet formats: rows of field boxes under a bit ruler (Mermaid packet-beta and similar
drawings), and RFC-style ASCII art set in a monospace font (`+-+-+` borders, `|` field
separators, a `0 1 2 3 ...` ruler on top).

    fields = parse_ascii_packet(text)   # [PacketField], also used for .pkt sources
"""

from __future__ import annotations

import re
from statistics import median

from ictrag.figures.graph import DiagramGraph, PacketField
from ictrag.figures.vector.prims import Primitives, Span, center, height, width

RULER = re.compile(r"^\s*(\d\s)+\d\s*$")
BORDER = re.compile(r"^\s*\+[-=+]*\+[-=+]*")


def recover_packet(prims: Primitives):
    from ictrag.figures.vector.diagram import Recovery

    lines = spans_to_lines(prims.spans)
    text = "\n".join(lines)
    if sum(1 for line in lines if BORDER.match(line)) >= 2 and "|" in text:
        fields = parse_ascii_packet(text)
        if fields:
            graph = DiagramGraph(kind="packet", fields=fields)
            derived = [f.label for f in fields if " " not in f.label]
            return Recovery(graph, 0.85, [], {"fields": len(fields)}, "ascii packet", text, derived)
    return _boxes_packet(prims)


def spans_to_lines(spans: list[Span]) -> list[str]:
    """Set spans of a monospace drawing back on a character grid, one string per row.

    Whole-line spans lose their stripped leading blanks but keep the bbox that covered
    them, so a span wider than its text is placed by its right edge."""
    spans = [s for s in spans if s.text]
    if not spans:
        return []
    singles = [width(s.bbox) for s in spans if len(s.text) == 1 and width(s.bbox) > 0]
    ratios = [width(s.bbox) / len(s.text) for s in spans if width(s.bbox) > 0]
    if not ratios:
        return []
    char = median(singles) if len(singles) >= 3 else median(ratios)

    def fits(span: Span) -> bool:
        return width(span.bbox) <= 1.15 * char * len(span.text) + 1.0

    x0 = min((s.bbox[0] for s in spans if fits(s)), default=min(s.bbox[0] for s in spans))
    rows: list[tuple[float, list[Span]]] = []
    for span in sorted(spans, key=lambda s: center(s.bbox)[1]):
        y = center(span.bbox)[1]
        if rows and abs(rows[-1][0] - y) < 0.4 * max(height(span.bbox), 1.0):
            rows[-1][1].append(span)
        else:
            rows.append((y, [span]))
    out = []
    for _, row in rows:
        chars: list[str] = []
        for span in sorted(row, key=lambda s: s.bbox[0]):
            if fits(span):
                col = round((span.bbox[0] - x0) / char)
            else:
                col = round((span.bbox[2] - x0) / char) - len(span.text)
            col = max(0, col)
            if len(chars) < col:
                chars.extend(" " * (col - len(chars)))
            chars[col : col + len(span.text)] = list(span.text)
        out.append("".join(chars).rstrip())
    return _align_left_bars(out)


def _align_left_bars(lines: list[str]) -> list[str]:
    """Rows that open with a border glyph share one left column: snap stragglers to it."""
    starts = [len(line) - len(line.lstrip()) for line in lines if line.strip()[:1] in "|+/.~"]
    if not starts:
        return lines
    left = max(set(starts), key=starts.count)
    out = []
    for line in lines:
        indent = len(line) - len(line.lstrip())
        if line.strip()[:1] in "|+/.~" and 0 < abs(indent - left) <= 3:
            line = " " * left + line.lstrip()
        out.append(line)
    return out


def _unit(border: str) -> int:
    """Characters per bit from a border such as +-+-+ (2) or +--+--+ (3)."""
    plus = [i for i, ch in enumerate(border) if ch == "+"]
    gaps = {b - a for a, b in zip(plus, plus[1:], strict=False)}
    return gaps.pop() if len(gaps) == 1 and len(plus) > 4 else 2


def parse_ascii_packet(text: str) -> list[PacketField]:
    """Fields of an RFC-style ASCII packet diagram, in order, with bit ranges."""
    lines = [line.expandtabs(8).rstrip() for line in text.splitlines() if line.strip()]
    borders = [line for line in lines if BORDER.match(line)]
    body = [line for line in lines if "|" in line and not BORDER.match(line)]
    if not borders or not body:
        return []
    unit = _unit(max(borders, key=len))
    left = min(line.index("|") for line in body)
    right = max(line.rindex("|") for line in body)
    ruler = next((line for line in lines if RULER.match(line)), None)
    bits_per_row = len(ruler.split()) if ruler else max(1, round((right - left) / unit))
    fields: list[PacketField] = []
    row = 0
    block: list[str] = []

    def flush() -> None:
        nonlocal row
        if not block:
            return
        cols = sorted({i for line in block for i, ch in enumerate(line) if ch == "|"})
        for a, b in zip(cols, cols[1:], strict=False):
            words = [line[a + 1 : b].strip() for line in block if len(line) > a + 1]
            words = [w for w in words if w and not set(w) <= set("|+-:./ ")]
            if not words:
                continue
            label = "".join(words) if all(len(w) == 1 for w in words) else " ".join(words)
            start = row * bits_per_row + round((a - left) / unit)
            end = row * bits_per_row + round((b - left) / unit) - 1
            fields.append(PacketField(start, max(start, end), " ".join(label.split())))
        row += 1
        block.clear()

    for line in lines:
        if BORDER.match(line):
            flush()
        elif "|" in line and not RULER.match(line) or (block and line.strip()[:1] in "/."):
            block.append(line)
    flush()
    return _merge_repeats(fields)


def _merge_repeats(fields: list[PacketField]) -> list[PacketField]:
    """A field spanning several rows is named once; rows that repeat its name merge."""
    out: list[PacketField] = []
    for item in fields:
        if out and out[-1].label == item.label and out[-1].end + 1 == item.start:
            out[-1] = PacketField(out[-1].start, item.end, item.label)
        else:
            out.append(item)
    return out


def _boxes_packet(prims: Primitives):
    """Rows of rectangles with bit numbers above their corners (Mermaid packet-beta)."""
    from ictrag.figures.vector.diagram import Recovery

    rects = [s for s in prims.shapes if s.kind == "rect"]
    numbers = [s for s in prims.spans if s.text.isdigit()]
    if len(rects) < 2 or len(numbers) < 2:
        return None
    fields = []
    for rect in sorted(rects, key=lambda r: (round(r.box[1]), r.box[0])):
        x0, y0, x1, _ = rect.box
        above = [n for n in numbers if -3 <= y0 - n.bbox[3] <= 1.5 * prims.font]
        left = [n for n in above if abs(n.bbox[0] - x0) < 3]
        right = [n for n in above if abs(n.bbox[2] - x1) < 3]
        if not left:
            continue
        start = int(left[0].text)
        end = int(right[0].text) if right else start
        inner = [
            s
            for s in prims.spans
            if not s.text.isdigit()
            and x0 <= center(s.bbox)[0] <= x1
            and y0 <= center(s.bbox)[1] <= rect.box[3]
        ]
        label = " ".join(s.text for s in sorted(inner, key=lambda s: (s.bbox[1], s.bbox[0])))
        fields.append(PacketField(start, max(start, end), label or f"bits {start}-{end}"))
    if len(fields) < 2 or len(fields) < 0.6 * len(rects):
        return None
    fields.sort(key=lambda f: f.start)
    graph = DiagramGraph(kind="packet", fields=fields)
    labelled = sum(1 for f in fields if not f.label.startswith("bits "))
    return Recovery(
        graph, round(0.6 + 0.35 * labelled / len(fields), 3), [], {"fields": len(fields)}
    )
