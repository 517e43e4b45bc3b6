"""Caption the figures of one file without indexing it: `ictrag caption FILE [--page N]`.

A PDF gives the figures the loader finds (on one page, or all); the asked-for page, or the
only page of a one-page PDF, is taken whole as one vector figure when the loader found none.
Every other input gives the figures its loader makes (ictrag/load): an SVG page, a Visio or
EMF page, a draw.io page, a Graphviz or Mermaid diagram, a PNG.
"""

from __future__ import annotations

from pathlib import Path

import pymupdf

from ictrag.config import Settings
from ictrag.figures.describe import describe_document
from ictrag.figures.registry import make_captioner
from ictrag.load import LoadError, load
from ictrag.load.drawing import whole_page_figure
from ictrag.model import Figure


def caption_file(
    path: str | Path, settings: Settings, figure_dir: Path, page: int | None = None
) -> list[Figure]:
    """The figures of `path` (of `page` only, when given), each with its logical text."""
    path = Path(path)
    document = load(path, figure_dir, settings.load)
    if page is not None and not 1 <= page <= max(document.page_count, 1):
        raise LoadError(f"page {page} is out of range (1-{document.page_count})")
    figures = [f for f in document.figures if page is None or f.page == page]
    whole = page or (1 if document.page_count == 1 else None)
    if not figures and whole and document.mime == "application/pdf":
        # A page that is one drawing (a standalone figure PDF) is the figure.
        figures = [
            whole_page_figure(pymupdf.open(path), whole, figure_dir, settings.load.figure_dpi)
        ]
    document.elements = figures
    captioner = make_captioner(settings.caption)
    describe_document(document, captioner, None, ocr=settings.caption.ocr)
    return document.figures
