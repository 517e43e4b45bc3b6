"""Read the drawings and text spans of one region of a PDF page into plain data."""

from __future__ import annotations

from dataclasses import dataclass, field

import pymupdf

from ictrag.load.pdf_text import TEXT_FLAGS
from ictrag.model import BBox


@dataclass(frozen=True)
class Span:
    """A run of text inside a vector figure, in page coordinates."""

    text: str
    bbox: BBox
    size: float = 0.0
    bold: bool = False


@dataclass(frozen=True)
class Path:
    """One vector drawing (a pymupdf `get_drawings()` entry, reduced to plain data).

    items: ("l", (x0, y0), (x1, y1)) lines, ("c", p0, p1, p2, p3) Béziers,
    ("re", (x0, y0, x1, y1)) rectangles, ("qu", (p0, p1, p2, p3)) quads.
    """

    items: tuple[tuple, ...]
    rect: BBox
    fill: tuple[float, ...] | None = None
    color: tuple[float, ...] | None = None
    width: float = 1.0
    closed: bool = False
    dashes: str = ""


@dataclass
class VectorContent:
    """Everything drawn inside a vector figure's region."""

    bbox: BBox
    paths: list[Path] = field(default_factory=list)
    spans: list[Span] = field(default_factory=list)
    images: list[BBox] = field(default_factory=list)
    """Where embedded images are drawn (device icons are often small pictures)."""


def _point(p: pymupdf.Point) -> tuple[float, float]:
    return (round(p.x, 2), round(p.y, 2))


def _item(raw: tuple) -> tuple:
    op = raw[0]
    if op == "re":
        r = raw[1]
        return ("re", (r.x0, r.y0, r.x1, r.y1))
    if op == "qu":
        q = raw[1]
        return ("qu", (_point(q.ul), _point(q.ur), _point(q.lr), _point(q.ll)))
    return (op, *(_point(p) for p in raw[1:] if isinstance(p, pymupdf.Point)))


def _inside(rect: pymupdf.Rect, region: pymupdf.Rect, slack: float = 2.0) -> bool:
    grown = pymupdf.Rect(region.x0 - slack, region.y0 - slack, region.x1 + slack, region.y1 + slack)
    return (
        grown.contains(rect)
        or (rect.is_empty and grown.intersects(rect))
        or _overshoot_small(rect, region, slack)
    )


def _overshoot_small(rect: pymupdf.Rect, region: pymupdf.Rect, slack: float) -> bool:
    """A long drawing that runs a little past the region (seqdiag's lifelines end a few
    points below the page) still belongs to it: each overshoot is under 5% of its extent."""
    if rect.x0 > region.x1 or rect.x1 < region.x0 or rect.y0 > region.y1 or rect.y1 < region.y0:
        return False
    w, h = rect.x1 - rect.x0, rect.y1 - rect.y0
    over_x = max(region.x0 - rect.x0, rect.x1 - region.x1, 0.0)
    over_y = max(region.y0 - rect.y0, rect.y1 - region.y1, 0.0)
    return over_x <= max(slack, 0.05 * w) and over_y <= max(slack, 0.05 * h)


def paths_from_drawings(drawings: list[dict], region: pymupdf.Rect) -> list[Path]:
    paths = []
    for drawing in drawings:
        rect = drawing["rect"]
        if not _inside(rect, region):
            continue
        paths.append(
            Path(
                items=tuple(_item(raw) for raw in drawing["items"]),
                rect=(rect.x0, rect.y0, rect.x1, rect.y1),
                fill=tuple(drawing["fill"]) if drawing.get("fill") else None,
                color=tuple(drawing["color"]) if drawing.get("color") else None,
                width=float(drawing.get("width") or 0.0),
                closed=bool(drawing.get("closePath")),
                dashes=str(drawing.get("dashes") or ""),
            )
        )
    return paths


def spans_in(page: pymupdf.Page, region: pymupdf.Rect) -> list[Span]:
    spans = []
    text = page.get_text("dict", clip=region, flags=TEXT_FLAGS)
    for block in text["blocks"]:
        for line in block.get("lines", []):
            for span in line["spans"]:
                content = span["text"].strip()
                if not content:
                    continue
                spans.append(
                    Span(
                        text=content,
                        bbox=tuple(span["bbox"]),
                        size=float(span["size"]),
                        bold=bool(span["flags"] & 16),
                    )
                )
    return spans


def region_content(
    page: pymupdf.Page, bbox: BBox, drawings: list[dict] | None = None
) -> VectorContent:
    """Drawings and spans inside `bbox`. Pass `drawings` when the caller already has
    `page.get_drawings()`, which is the expensive call on busy pages."""
    region = pymupdf.Rect(bbox)
    if drawings is None:
        drawings = page.get_drawings()
    return VectorContent(
        bbox=tuple(bbox),
        paths=paths_from_drawings(drawings, region),
        spans=spans_in(page, region),
        images=images_in(page, region),
    )


def images_in(page: pymupdf.Page, region: pymupdf.Rect) -> list[BBox]:
    boxes = []
    for info in page.get_image_info():
        rect = pymupdf.Rect(info["bbox"])
        if not rect.is_empty and _inside(rect, region):
            boxes.append((rect.x0, rect.y0, rect.x1, rect.y1))
    return boxes
