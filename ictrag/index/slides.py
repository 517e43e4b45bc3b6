"""Slide decks, where a page is one unit: its title, bullets and figures belong together.

    is_deck(document)        # a presentation, or a PDF that was exported from one
    pages_of(elements)       # page -> its elements, for chunking.unit_text
    main_figure(elements)    # the figure a slide is about

A deck is a presentation file (PPTX, PPT, ODP), or a PDF whose pages are landscape
(`page_aspect` >= 1.2, from the loader), most of which open with their own title and carry
few words; a long-form manual has portrait pages or long pages, and keeps its heading-aware
chunks. Speaker notes printed under a slide are part of its page, so part of its unit.
"""

from __future__ import annotations

from statistics import median

from ictrag.model import Document, Element, Figure, TextBlock, TextKind

PRESENTATIONS = {
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "application/vnd.ms-powerpoint",
    "application/vnd.oasis.opendocument.presentation",
}
LANDSCAPE = 1.2
"""Width over height: 4:3 slides are 1.33, A4 landscape 1.41, 16:9 1.78."""
TITLED_SHARE = 0.6
WORDS_PER_PAGE = 250


def is_deck(document: Document) -> bool:
    if document.mime in PRESENTATIONS:
        return True
    try:
        aspect = float(document.metadata.get("page_aspect", "0"))
    except ValueError:
        return False
    if document.mime != "application/pdf" or aspect < LANDSCAPE or document.page_count < 3:
        return False
    pages = pages_of(document.elements)
    titled = sum(_opens_with_title(elements) for elements in pages.values())
    words = [sum(len(e.text.split()) for e in elements if isinstance(e, TextBlock)) for elements in pages.values()]  # fmt: skip
    return titled >= TITLED_SHARE * len(pages) and median(words or [0]) <= WORDS_PER_PAGE


def pages_of(elements: list[Element]) -> dict[int, list[Element]]:
    """Elements by page, each page's in reading order, pages in order of first appearance."""
    pages: dict[int, list[Element]] = {}
    for element in elements:
        pages.setdefault(element.page, []).append(element)
    return pages


def _opens_with_title(elements: list[Element]) -> bool:
    first = next((e for e in elements if isinstance(e, TextBlock)), None)
    return first is not None and first.kind == TextKind.heading


def main_figure(elements: list[Element]) -> Figure | None:
    """The figure a page is about: the one with the most relations, then the most words."""
    figures = [e for e in elements if isinstance(e, Figure)]
    if not figures:
        return None
    return max(figures, key=lambda f: (len(f.logical.relations) if f.logical else 0, len(f.inner_text)))  # fmt: skip
