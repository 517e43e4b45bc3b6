"""Figure side of the PDF loader: raster images and vector drawings become figure regions.

Regions are found per page from cheap pymupdf calls (image info, the page's drawings
list once, cluster_drawings on it), filtered, merged, grown over their own labels,
then rendered once to PNG named by the PNG's sha256.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pymupdf

from ictrag.config import LoadSettings
from ictrag.load.pdf_tables import Table
from ictrag.load.pdf_text import CAPTION_RE, MARGIN, Line
from ictrag.model import BBox, sha256_bytes

MERGE_GAP = 10.0
"""Regions closer than this (points) are one figure."""
LABEL_SLACK = 8.0
"""How far outside a drawing a short text line may sit and still be its label."""


@dataclass
class Region:
    bbox: BBox
    origin: str
    lines: list[Line] = field(default_factory=list)


def _area(b: BBox) -> float:
    return max(0.0, b[2] - b[0]) * max(0.0, b[3] - b[1])


def _intersection(a: BBox, b: BBox) -> float:
    return _area((max(a[0], b[0]), max(a[1], b[1]), min(a[2], b[2]), min(a[3], b[3])))


def _union(a: BBox, b: BBox) -> BBox:
    return (min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3]))


def _near(a: BBox, b: BBox, gap: float) -> bool:
    return not (a[2] + gap < b[0] or b[2] + gap < a[0] or a[3] + gap < b[1] or b[3] + gap < a[1])


def image_signature(info: dict) -> tuple:
    """Where and how big an image is drawn: repeated signatures are page decorations."""
    x0, y0, x1, y1 = info["bbox"]
    return (
        info["width"],
        info["height"],
        round(x0 / 4),
        round(y0 / 4),
        round(x1 / 4),
        round(y1 / 4),
    )


def image_xrefs(page: pymupdf.Page, infos: list[dict]) -> list[int]:
    """The xref of each image-info entry, matched by pixel size (0 when ambiguous or inline).

    get_image_info(xrefs=True) is several times slower; size matching resolves nearly all.
    """
    by_size: dict[tuple[int, int], list[int]] = {}
    for entry in page.get_images():
        by_size.setdefault((entry[2], entry[3]), []).append(entry[0])
    out = []
    for info in infos:
        xrefs = set(by_size.get((info["width"], info["height"]), []))
        out.append(xrefs.pop() if len(xrefs) == 1 else 0)
    return out


def repeated_threshold(page_count: int) -> int:
    return max(3, min(8, round(0.2 * page_count)))


def raster_regions(
    page: pymupdf.Page,
    infos: list[dict],
    xrefs: list[int],
    xref_pages: Counter,
    signature_pages: Counter,
    settings: LoadSettings,
) -> list[Region]:
    threshold = repeated_threshold(len(page.parent))
    rect = page.rect
    boxes: list[BBox] = []
    seen: dict[int, bool] = {}
    for info, xref in zip(infos, xrefs, strict=True):
        if min(info["width"], info["height"]) < settings.min_figure_px:
            continue
        box = pymupdf.Rect(info["bbox"]) & rect
        if (
            box.is_empty
            or min(box.width, box.height) < 20
            or box.get_area() < 0.004 * rect.get_area()
        ):
            continue
        if (xref and xref_pages[xref] >= threshold) or signature_pages[
            image_signature(info)
        ] >= threshold:
            continue
        if _uniform_paint(page, info, xref, seen):
            continue
        boxes.append(tuple(box))
    return [Region(box, "raster") for box in merge_boxes(boxes, gap=3.0)]


def merge_boxes(boxes: list[BBox], gap: float = MERGE_GAP) -> list[BBox]:
    merged = list(boxes)
    changed = True
    while changed:
        changed = False
        out: list[BBox] = []
        for box in merged:
            for i, other in enumerate(out):
                if _near(box, other, gap):
                    out[i] = _union(box, other)
                    changed = True
                    break
            else:
                out.append(box)
        merged = out
    return merged


def vector_regions(
    page: pymupdf.Page,
    drawings: list[dict],
    lines: list[Line],
    tables: list[Table],
    settings: LoadSettings,
) -> list[Region]:
    if not drawings:
        return []
    rect = page.rect
    page_area = rect.get_area()
    minimum = settings.min_vector_figure_pt
    drawings = [d for d in drawings if not _is_backdrop(d, page_area)]
    if not drawings:
        return []
    kept: list[BBox] = []
    for cluster in page.cluster_drawings(drawings=drawings, x_tolerance=6, y_tolerance=6):
        box = tuple(cluster & rect)
        if box[2] - box[0] < minimum or box[3] - box[1] < minimum:
            continue
        if _area(box) > 0.9 * page_area:
            continue  # slide backgrounds and page frames
        if box[3] <= rect.height * MARGIN or box[1] >= rect.height * (1 - MARGIN):
            continue
        if any(_intersection(box, t.bbox) > 0.5 * _area(box) for t in tables):
            continue
        if _items_inside(drawings, box) < 5:
            continue
        if _is_text_frame(box, lines):
            continue
        kept.append(box)
    return [Region(box, "vector") for box in merge_boxes(kept)]


def _is_backdrop(drawing: dict, page_area: float) -> bool:
    """White fills and big lone rectangles (slide frames, page backgrounds) would glue
    everything on the page into one cluster."""
    items = drawing["items"]
    if len(items) != 1 or items[0][0] not in ("re", "qu"):
        return False
    fill = drawing.get("fill")
    if drawing.get("type") == "f" and fill and min(fill) >= 0.95:
        return True
    return drawing["rect"].get_area() > 0.1 * page_area


def _items_inside(drawings: list[dict], box: BBox) -> int:
    count = 0
    for drawing in drawings:
        r = drawing["rect"]
        cx, cy = (r.x0 + r.x1) / 2, (r.y0 + r.y1) / 2
        if box[0] - 1 <= cx <= box[2] + 1 and box[1] - 1 <= cy <= box[3] + 1:
            count += len(drawing["items"])
    return count


def _uniform_paint(page: pymupdf.Page, info: dict, xref: int, seen: dict[int, bool]) -> bool:
    """An image of one colour everywhere only paints its soft mask's shape: the drop
    shadows rsvg-convert writes for an SVG filter (seqdiag), not a picture. Only images
    that compress to almost nothing are decoded to check; where the xref is ambiguous,
    every image of that pixel size on the page must be such a paint."""
    if info.get("size", 0) * 20 > info["width"] * info["height"]:
        return False
    size = (info["width"], info["height"])
    candidates = [xref] if xref else [e[0] for e in page.get_images() if (e[2], e[3]) == size]
    return bool(candidates) and all(_one_colour(page.parent, x, seen) for x in candidates)


def _one_colour(doc: pymupdf.Document, xref: int, seen: dict[int, bool]) -> bool:
    if xref not in seen:
        try:
            seen[xref] = len(set(pymupdf.Pixmap(doc, xref).samples)) <= 1
        except (RuntimeError, ValueError):
            seen[xref] = False
    return seen[xref]


def _is_text_frame(box: BBox, lines: list[Line]) -> bool:
    """A box drawn around a paragraph (notes, callouts) is text, not a figure."""
    inside = [ln for ln in lines if _intersection(ln.bbox, box) > 0.5 * _area(ln.bbox)]
    chars = sum(ln.chars for ln in inside)
    return chars >= 200 and chars / len(inside) >= 40


def combine(raster: list[Region], vector: list[Region]) -> list[Region]:
    """A vector region overlapping a raster one annotates it: one raster figure."""
    regions = list(raster)
    for region in vector:
        for other in regions:
            if _near(region.bbox, other.bbox, 2.0) and other.origin == "raster":
                other.bbox = _union(other.bbox, region.bbox)
                break
        else:
            regions.append(region)
    return regions


def _contained(inner: BBox, outer: BBox) -> bool:
    return (
        inner[0] >= outer[0] - 0.5
        and inner[1] >= outer[1] - 0.5
        and inner[2] <= outer[2] + 0.5
        and inner[3] <= outer[3] + 0.5
    )


def _inside(line: Line, box: BBox) -> bool:
    return _intersection(line.bbox, box) > 0.5 * _area(line.bbox)


def claim_lines(regions: list[Region], lines: list[Line]) -> list[Line]:
    """Give each region the text lines inside it, growing vector regions over short
    labels that stick out; returns the lines left for the body text."""
    for region in regions:
        if region.origin == "vector":
            for _ in range(2):
                grown = (
                    region.bbox[0] - LABEL_SLACK,
                    region.bbox[1] - LABEL_SLACK,
                    region.bbox[2] + LABEL_SLACK,
                    region.bbox[3] + LABEL_SLACK,
                )
                for line in lines:
                    if CAPTION_RE.match(line.text) or _contained(line.bbox, region.bbox):
                        continue
                    if _inside(line, region.bbox) or (
                        len(line.text) <= 40 and _intersection(line.bbox, grown) > 0
                    ):
                        region.bbox = _union(region.bbox, line.bbox)
        region.lines = [
            line for line in lines if _inside(line, region.bbox) and not CAPTION_RE.match(line.text)
        ]
    claimed = {id(line) for region in regions for line in region.lines}
    return [line for line in lines if id(line) not in claimed]


def render(page: pymupdf.Page, bbox: BBox, dpi: int, figure_dir: Path) -> tuple[str, Path]:
    """PNG of the region, saved once as <sha256>.png; returns (id, path)."""
    pixmap = page.get_pixmap(clip=pymupdf.Rect(bbox), dpi=dpi)
    data = pixmap.tobytes("png")
    digest = sha256_bytes(data)
    path = figure_dir / f"{digest}.png"
    if not path.exists():
        figure_dir.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(data)
        tmp.replace(path)
    return digest, path
