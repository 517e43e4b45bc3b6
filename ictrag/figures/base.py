"""The Captioner contract: figures in, logical text out, in batches."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from ictrag.model import BBox, LogicalText


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


@dataclass
class FigureInput:
    """What a captioner gets for one figure."""

    image_path: str | None
    label: str = ""
    context: str = ""
    inner_text: str = ""
    vector: VectorContent | None = None
    figure_id: str = ""
    ocr_cache: str | None = None
    """Folder of the OCR line cache (by image hash): a raster parser reads the lines the
    figure-text stage already recognised instead of running OCR again."""


@runtime_checkable
class Captioner(Protocol):
    name: str

    def describe(self, items: list[FigureInput]) -> list[LogicalText]:
        """One LogicalText per input, in order. Must not raise for one bad figure:
        return a low-confidence LogicalText instead."""
        ...


class CaptionError(RuntimeError):
    """A model backend cannot caption at all (model missing, endpoint down, bad config).

    One line; the pipeline catches it and keeps the structural result."""
