"""A file that is one drawing per page becomes one whole-page vector Figure per page."""

from __future__ import annotations

from pathlib import Path

import pymupdf

from ictrag.load.drawings import region_content
from ictrag.load.errors import LoadError
from ictrag.load.pdf_figures import render
from ictrag.model import Document, Figure, sha256_file


def whole_page_figure(pdf: pymupdf.Document, number: int, figure_dir: Path, dpi: int) -> Figure:
    page = pdf[number - 1]
    bbox = tuple(page.rect)
    figure_id, png = render(page, bbox, dpi, figure_dir)
    content = region_content(page, bbox)
    figure = Figure(id=figure_id, page=number, bbox=bbox, origin="vector", image_path=str(png),
                    inner_text="\n".join(span.text for span in content.spans))  # fmt: skip
    figure._vector = content
    return figure


def load_svg(path: Path, figure_dir: Path, dpi: int) -> Document:
    try:
        pdf = pymupdf.open(stream=pymupdf.open(path).convert_to_pdf(), filetype="pdf")
    except Exception as error:
        raise LoadError(f"unreadable SVG: {error}") from error
    figure = whole_page_figure(pdf, 1, figure_dir, dpi)
    return Document(id=sha256_file(path), source=str(path), title=path.stem, mime="image/svg+xml",
                    page_count=1, elements=[figure])  # fmt: skip
