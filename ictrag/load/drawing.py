"""A file that is one drawing per page becomes one vector Figure per page (cropped to its ink): SVG
(through pymupdf), Visio, EMF/WMF and ODG (through LibreOffice, ictrag.load.convert)."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pymupdf

from ictrag.load.drawings import region_content
from ictrag.load.errors import LoadError
from ictrag.load.pdf_figures import render
from ictrag.model import Document, Figure, sha256_file

MARGIN = 4.0
"""Points of paper kept around a drawing's ink."""


def ink_box(page: pymupdf.Page, drawings: list[dict]) -> tuple[float, float, float, float]:
    """The part of the page that is drawn or written on, with a small margin; the whole page
    when nothing is. LibreOffice puts an EMF or a Visio page on a sheet of paper, and the
    readers measure a figure's parts against its size."""
    page_area = page.rect.width * page.rect.height or 1.0
    boxes = [
        d["rect"] for d in drawings
        # the sheet itself: a page-sized fill with no outline
        if not (d["rect"].width * d["rect"].height >= 0.9 * page_area and d.get("color") is None)
    ]  # fmt: skip
    boxes += [pymupdf.Rect(b[:4]) for b in page.get_text("blocks") if b[4].strip()]
    boxes += [pymupdf.Rect(info["bbox"]) for info in page.get_image_info()]
    boxes = [b for b in boxes if b.is_valid and not b.is_infinite]
    if not boxes:
        return tuple(page.rect)
    ink = pymupdf.Rect(boxes[0])
    for box in boxes[1:]:
        ink |= box
    ink = pymupdf.Rect(ink.x0 - MARGIN, ink.y0 - MARGIN, ink.x1 + MARGIN, ink.y1 + MARGIN)
    return tuple(ink & page.rect)


def whole_page_figure(pdf: pymupdf.Document, number: int, figure_dir: Path, dpi: int) -> Figure:
    """The page's drawing as one vector figure, cropped to its ink."""
    page = pdf[number - 1]
    drawings = page.get_drawings()
    bbox = ink_box(page, drawings)
    figure_id, png = render(page, bbox, dpi, figure_dir)
    content = region_content(page, bbox, drawings)
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


MIME = {
    ".vsdx": "application/vnd.ms-visio.drawing",
    ".vsd": "application/vnd.visio",
    ".emf": "image/emf",
    ".wmf": "image/wmf",
    ".odg": "application/vnd.oasis.opendocument.graphics",
}


def load_converted(path: Path, figure_dir: Path, dpi: int, timeout_s: float) -> Document:
    """A Visio, EMF/WMF or ODG file through LibreOffice's PDF: each page that draws or
    writes anything is one vector figure."""
    from ictrag.load.convert import to_pdf

    with tempfile.TemporaryDirectory(prefix="ictrag-convert-") as scratch:
        pdf = pymupdf.open(to_pdf(path, Path(scratch), timeout_s))
        pages = [
            number for number in range(1, pdf.page_count + 1)
            if pdf[number - 1].get_drawings() or pdf[number - 1].get_text().strip()
            or pdf[number - 1].get_images()
        ]  # fmt: skip
        figures = [whole_page_figure(pdf, number, figure_dir, dpi) for number in pages]
        for figure in figures:
            figure.label = path.stem if len(pages) == 1 else f"{path.stem} p.{figure.page}"
        count = pdf.page_count
    return Document(
        id=sha256_file(path), source=str(path), title=path.stem,
        mime=MIME.get(path.suffix.lower(), "application/octet-stream"), page_count=count,
        elements=figures, metadata={"loader": "libreoffice"},
    )  # fmt: skip
