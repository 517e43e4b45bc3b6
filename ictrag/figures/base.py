"""The Captioner contract: figures in, logical text out, in batches."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from ictrag.load.drawings import VectorContent
from ictrag.model import DiagramSource, LogicalText


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
    source: DiagramSource | None = None
    """The structure the file states (draw.io cells): read exactly, before any pixels."""


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
