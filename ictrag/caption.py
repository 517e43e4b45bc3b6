"""Caption the figures of one file without indexing it: `ictrag caption FILE [--page N]`.

A PDF gives the figures the loader finds (on one page, or all); the asked-for page, or the
only page of a one-page PDF, is taken whole as one vector figure when the loader found none. An SVG is converted to a one-page PDF first, so its vectors
reach the structural parser as drawings, not pixels. PNG/JPEG are one raster figure.
"""

from __future__ import annotations

from pathlib import Path

import pymupdf

from ictrag.config import Settings
from ictrag.figures.describe import describe_document
from ictrag.figures.registry import make_captioner
from ictrag.load import LoadError, load
from ictrag.load.drawings import region_content
from ictrag.load.pdf_figures import render
from ictrag.model import Document, Figure, sha256_file


def _whole_page(pdf: pymupdf.Document, number: int, figure_dir: Path, dpi: int) -> Figure:
    page = pdf[number - 1]
    bbox = tuple(page.rect)
    figure_id, png = render(page, bbox, dpi, figure_dir)
    content = region_content(page, bbox)
    figure = Figure(id=figure_id, page=number, bbox=bbox, origin="vector", image_path=str(png),
                    inner_text="\n".join(span.text for span in content.spans))  # fmt: skip
    figure._vector = content
    return figure


def _svg_document(path: Path, figure_dir: Path, dpi: int) -> Document:
    try:
        pdf = pymupdf.open(stream=pymupdf.open(path).convert_to_pdf(), filetype="pdf")
    except Exception as error:
        raise LoadError(f"unreadable SVG: {error}") from error
    figure = _whole_page(pdf, 1, figure_dir, dpi)
    return Document(id=sha256_file(path), source=str(path), title=path.stem, mime="image/svg+xml",
                    page_count=1, elements=[figure])  # fmt: skip


def caption_file(
    path: str | Path, settings: Settings, figure_dir: Path, page: int | None = None
) -> list[Figure]:
    """The figures of `path` (of `page` only, when given), each with its logical text."""
    path = Path(path)
    if path.suffix.lower() == ".svg":
        document = _svg_document(path, figure_dir, settings.load.figure_dpi)
    else:
        document = load(path, figure_dir, settings.load)
        if page is not None and not 1 <= page <= max(document.page_count, 1):
            raise LoadError(f"page {page} is out of range (1-{document.page_count})")
        figures = [f for f in document.figures if page is None or f.page == page]
        whole = page or (1 if document.page_count == 1 else None)
        if not figures and whole and document.mime == "application/pdf":
            # A page that is one drawing (a standalone figure PDF) is the figure.
            figures = [_whole_page(pymupdf.open(path), whole, figure_dir, settings.load.figure_dpi)]
        document.elements = figures
    captioner = make_captioner(settings.caption)
    describe_document(document, captioner, None, ocr=settings.caption.ocr)
    return document.figures
