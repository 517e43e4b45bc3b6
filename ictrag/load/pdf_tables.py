"""Ruled tables of a PDF page, read from the page's drawings and text lines.

pymupdf's find_tables() builds a Python dict per character (~0.1 s a table page), so
grids of rules are read here directly: rules give row and column bands, text lines
fall into cells. Rules without column lines (booktabs style) go to find_tables().
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

import pymupdf

from ictrag.load.pdf_text import Line
from ictrag.model import BBox

SNAP = 2.0
"""Rules closer than this (points) are the same row or column edge."""


@dataclass
class Table:
    bbox: BBox
    rows: list[list[str]]

    @property
    def text(self) -> str:
        return "\n".join(" | ".join(row) for row in self.rows)


@dataclass
class _Rule:
    horizontal: bool
    pos: float
    start: float
    end: float

    @property
    def bbox(self) -> BBox:
        if self.horizontal:
            return (self.start, self.pos, self.end, self.pos)
        return (self.pos, self.start, self.pos, self.end)


def _rules(drawings: list[dict]) -> list[_Rule]:
    rules = []
    for drawing in drawings:
        stroked = "s" in (drawing.get("type") or "")
        for item in drawing["items"]:
            if item[0] == "l":
                p, q = item[1], item[2]
                if abs(p.y - q.y) < 1 and abs(p.x - q.x) > 5:
                    rules.append(_Rule(True, (p.y + q.y) / 2, min(p.x, q.x), max(p.x, q.x)))
                elif abs(p.x - q.x) < 1 and abs(p.y - q.y) > 5:
                    rules.append(_Rule(False, (p.x + q.x) / 2, min(p.y, q.y), max(p.y, q.y)))
            elif item[0] == "re":
                r = item[1]
                if r.height < 2 and r.width > 5:
                    rules.append(_Rule(True, (r.y0 + r.y1) / 2, r.x0, r.x1))
                elif r.width < 2 and r.height > 5:
                    rules.append(_Rule(False, (r.x0 + r.x1) / 2, r.y0, r.y1))
                elif stroked:
                    rules += [
                        _Rule(True, r.y0, r.x0, r.x1),
                        _Rule(True, r.y1, r.x0, r.x1),
                        _Rule(False, r.x0, r.y0, r.y1),
                        _Rule(False, r.x1, r.y0, r.y1),
                    ]
    return rules


def _touch(a: BBox, b: BBox, gap: float = SNAP) -> bool:
    return not (a[2] + gap < b[0] or b[2] + gap < a[0] or a[3] + gap < b[1] or b[3] + gap < a[1])


def _components(rules: list[_Rule]) -> list[list[_Rule]]:
    """Rules that touch each other, transitively: one grid each."""
    groups: list[tuple[BBox, list[_Rule]]] = []
    for rule in sorted(rules, key=lambda r: (r.bbox[1], r.bbox[0])):
        box = rule.bbox
        hits = [i for i, (gbox, _) in enumerate(groups) if _touch(box, gbox)]
        members = [rule]
        for i in hits:
            members += groups[i][1]
            gbox = groups[i][0]
            box = (
                min(box[0], gbox[0]),
                min(box[1], gbox[1]),
                max(box[2], gbox[2]),
                max(box[3], gbox[3]),
            )
        groups = [g for i, g in enumerate(groups) if i not in hits] + [(box, members)]
    return [members for _, members in groups]


def _edges(values: list[float]) -> list[float]:
    edges: list[float] = []
    for value in sorted(values):
        if not edges or value - edges[-1] > SNAP:
            edges.append(value)
    return edges


def _band(edges: list[float], value: float) -> int | None:
    for i in range(len(edges) - 1):
        if edges[i] - 1 <= value < edges[i + 1] + 1:
            return i
    return None


def _grid_table(rules: list[_Rule], lines: list[Line]) -> Table | None:
    ys = _edges([r.pos for r in rules if r.horizontal])
    xs = _edges([r.pos for r in rules if not r.horizontal])
    if len(ys) < 3 or len(xs) < 3:
        return None
    bbox = (xs[0], ys[0], xs[-1], ys[-1])
    cells: dict[tuple[int, int], list[Line]] = {}
    for line in lines:
        cx, cy = (line.bbox[0] + line.bbox[2]) / 2, (line.bbox[1] + line.bbox[3]) / 2
        row, col = _band(ys, cy), _band(xs, cx)
        if row is not None and col is not None:
            cells.setdefault((row, col), []).append(line)
    rows = []
    for r in range(len(ys) - 1):
        row = []
        for c in range(len(xs) - 1):
            found = sorted(cells.get((r, c), []), key=lambda ln: (round(ln.bbox[1]), ln.bbox[0]))
            row.append(re.sub(r"\s+", " ", " ".join(ln.text for ln in found)).strip())
        if any(row):
            rows.append(row)
    return _plausible(Table(bbox, rows))


def _plausible(table: Table) -> Table | None:
    """At least 2x2, mostly filled, text in 2+ columns: a flowchart of boxes is not a table."""
    rows = table.rows
    cells = [cell for row in rows for cell in row]
    if len(rows) < 2 or not cells or max(len(r) for r in rows) < 2:
        return None
    if sum(1 for cell in cells if cell) < 0.4 * len(cells):
        return None
    if len({i for row in rows for i, cell in enumerate(row) if cell}) < 2:
        return None
    return table


def _clean_cell(cell: str | None) -> str:
    return re.sub(r"\s+", " ", (cell or "").replace("\x00", " ")).strip()


def _pymupdf_tables(page: pymupdf.Page, drawings: list[dict], area: BBox) -> list[Table]:
    """Slow path for rules without column lines. use_layout=False: pymupdf 2's default
    runs an ONNX layout model (~0.5 s a page)."""
    clip = pymupdf.Rect(area) + (-3, -3, 3, 3)
    try:
        found = page.find_tables(clip=clip, paths=drawings, use_layout=False)
    except Exception:  # pymupdf's table finder fails on some odd pages; text survives
        return []
    tables = []
    for table in found.tables:
        rows = [[_clean_cell(cell) for cell in row] for row in table.extract()]
        kept = _plausible(Table(tuple(table.bbox), [row for row in rows if any(row)]))
        if kept:
            tables.append(kept)
    return tables


def find_tables(page: pymupdf.Page, drawings: list[dict], lines: list[Line]) -> list[Table]:
    """The ruled tables of the page (cheap when the page has no rules)."""
    tables: list[Table] = []
    for group in _components(_rules(drawings)):
        horizontal = [r for r in group if r.horizontal]
        spans = Counter((round(r.start / 2), round(r.end / 2)) for r in horizontal)
        if len(horizontal) < 3:
            continue
        columns = len(_edges([r.pos for r in group if not r.horizontal]))
        if columns >= 3:
            table = _grid_table(group, lines)
            if table:
                tables.append(table)
        elif max(spans.values()) >= 3:
            area = (
                min(r.bbox[0] for r in group),
                min(r.bbox[1] for r in group),
                max(r.bbox[2] for r in group),
                max(r.bbox[3] for r in group),
            )
            tables += _pymupdf_tables(page, drawings, area)
    return tables
