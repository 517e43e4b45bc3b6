"""Load a PDF into a Document: text blocks and figures interleaved in reading order.

    doc = load_pdf(Path("manual.pdf"), Path("indexes/default/figures"), LoadSettings())

Text handling lives in pdf_text.py, figure regions in pdf_figures.py; this module
checks the file, runs both per page and binds captions, context and references.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from statistics import median

import pymupdf

from ictrag.config import LoadSettings
from ictrag.load import pdf_figures as pf
from ictrag.load import pdf_text as pt
from ictrag.load.drawings import region_content
from ictrag.load.errors import LoadError
from ictrag.load.pdf_tables import Table, find_tables
from ictrag.model import BBox, Document, Figure, TextBlock, TextKind, sha256_bytes, sha256_file

MIME = "application/pdf"
CAPTION_GAP = 50.0
"""Furthest a caption may sit above or below its figure (points)."""
CONTEXT_CHARS = 400
_REF_RE = re.compile(r"\b(Figure|Fig\.?|Table)\s*([A-Z]?\d+(?:[-.]\d+)*)", re.IGNORECASE)
_SENTENCE_RE = re.compile(r"^(Figure|Fig\.?|Table)\s*[A-Z]?\d+([-.]\d+)*\.?\s+[a-z]")
_JUNK_TITLES = {"", "untitled", "title", "document", "slide 1", "microsoft word"}


@dataclass
class _Page:
    number: int
    blocks: list[pt.Block]
    regions: list[pf.Region]
    tables: list[Table]
    drawings: list[dict] | None = None


def _check_file(path: Path, settings: LoadSettings) -> None:
    if not path.is_file():
        raise LoadError(f"not a file: {path}")
    size = path.stat().st_size
    if size == 0:
        raise LoadError("empty file (0 bytes)")
    if size > settings.max_file_mb * 1024 * 1024:
        raise LoadError(f"file too large ({size // (1024 * 1024)} MB > {settings.max_file_mb} MB)")
    with open(path, "rb") as handle:
        head = handle.read(1024)
        handle.seek(max(0, size - 2048))
        tail = handle.read()
    if b"%PDF-" not in head:
        raise LoadError("not a PDF (no %PDF header)")
    if b"%%EOF" not in tail:
        raise LoadError("truncated PDF (no %%EOF marker at the end)")


def _open(path: Path, settings: LoadSettings) -> pymupdf.Document:
    _check_file(path, settings)
    try:
        doc = pymupdf.open(path, filetype="pdf")
    except Exception as exc:
        raise LoadError(
            f"corrupt PDF ({str(exc).splitlines()[0] if str(exc) else type(exc).__name__})"
        ) from exc
    if doc.needs_pass:
        doc.close()
        raise LoadError("encrypted PDF (password required)")
    if doc.page_count == 0:
        doc.close()
        raise LoadError("PDF has no pages")
    return doc


def load_pdf(
    path: Path,
    figure_dir: Path,
    settings: LoadSettings | None = None,
    *,
    render_figures: bool = True,
) -> Document:
    """Read `path` into a Document; figure PNGs go to figure_dir/<sha256>.png.

    render_figures=False skips the PNGs (ids then hash the region instead): for
    text-only passes and for timing the layout work alone.
    """
    settings = settings or LoadSettings()
    path = Path(path)
    doc = _open(path, settings)
    try:
        doc_id = sha256_file(path)
        pages, page_errors, furniture = _read_pages(doc, settings)
        if not pages:
            raise LoadError(
                f"no readable pages ({page_errors[0] if page_errors else 'unknown error'})"
            )
        elements = _assemble(doc, pages, doc_id, figure_dir, settings, render_figures)
        metadata = {k: str(v) for k, v in (doc.metadata or {}).items() if v and k in _META_KEYS}
        if page_errors:
            metadata["page_errors"] = "; ".join(page_errors)
        # slides are landscape pages: the chunker reads decks by page (ictrag/index/slides.py)
        metadata["page_aspect"] = f"{median(page.rect.width / max(page.rect.height, 1.0) for page in doc):.3f}"  # fmt: skip
        return Document(
            id=doc_id,
            source=str(path),
            title=_title(doc, elements, path, _cover_title(pages[0], _body_size(pages))),
            mime=MIME,
            page_count=doc.page_count,
            elements=elements,
            metadata=metadata,
            furniture=furniture,
        )
    finally:
        doc.close()


_META_KEYS = {"author", "subject", "keywords", "creator", "producer", "creationDate"}


def _read_pages(
    doc: pymupdf.Document, settings: LoadSettings
) -> tuple[list[_Page], list[str], list[str]]:
    texts: list[pt.PageText] = []
    images: list[tuple[list[dict], list[int]]] = []
    xref_pages: Counter = Counter()
    signature_pages: Counter = Counter()
    for page in doc:
        texts.append(pt.read_lines(page))
        infos = page.get_image_info()
        xrefs = pf.image_xrefs(page, infos) if infos else []
        images.append((infos, xrefs))
        xref_pages.update({x for x in xrefs if x})
        signature_pages.update({pf.image_signature(info) for info in infos})
    furniture = pt.drop_headers_footers(texts)

    pages: list[_Page] = []
    errors: list[str] = []
    for page, text, (infos, xrefs) in zip(doc, texts, images, strict=True):
        try:
            pages.append(
                _read_page(page, text, infos, xrefs, xref_pages, signature_pages, settings)
            )
        except Exception as exc:  # one broken page must not lose the document
            errors.append(
                f"page {text.number}: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}"
            )
    return pages, errors, furniture


def _inside(inner: BBox, outer: BBox) -> bool:
    return pf._intersection(inner, outer) > 0.5 * pf._area(inner)


def _read_page(page, text, infos, xrefs, xref_pages, signature_pages, settings) -> _Page:
    drawings = page.get_drawings() if page.get_contents() else []
    tables = find_tables(page, drawings, text.lines) if drawings else []
    raster = pf.raster_regions(page, infos, xrefs, xref_pages, signature_pages, settings)
    vector = pf.vector_regions(page, drawings, text.lines, tables, settings)
    regions = pf.combine(raster, vector)
    lines = pf.claim_lines(regions, text.lines)
    lines = [ln for ln in lines if not any(_inside(ln.bbox, t.bbox) for t in tables)]
    blocks = pt.build_blocks(lines)
    for block in blocks:
        pt.classify(block)
    for table in tables:
        blocks.append(pt.Block([], table.bbox, table.text, 0.0, False, False, kind=TextKind.table))
    for region in regions:
        if region.origin == "vector":
            region.lines.sort(key=lambda ln: (round(ln.bbox[1] / 3), ln.bbox[0]))
    return _Page(text.number, blocks, regions, tables, drawings)


def _assemble(doc, pages, doc_id, figure_dir, settings, render_figures) -> list[TextBlock | Figure]:
    pt.mark_headings({p.number: p.blocks for p in pages}, doc.get_toc(), _body_size(pages))
    elements: list[TextBlock | Figure] = []
    stack: list[tuple[int, str]] = []
    for page_data in pages:
        page = doc[page_data.number - 1]
        captions = _bind_captions(page_data)
        items = page_data.blocks + page_data.regions
        ordered = pt.reading_order(items, lambda it: it.bbox, page.rect.width)
        for item in ordered:
            if isinstance(item, pt.Block):
                if item.kind == TextKind.heading:
                    while stack and stack[-1][0] >= (item.level or 1):
                        stack.pop()
                    stack.append((item.level or 1, item.text))
                elements.append(
                    TextBlock(
                        text=item.text,
                        page=page_data.number,
                        bbox=_round(item.bbox),
                        kind=item.kind,
                        heading_path=[title for _, title in stack],
                        level=item.level if item.kind == TextKind.heading else None,
                    )
                )
            else:
                elements.append(
                    _figure(
                        page,
                        page_data,
                        item,
                        captions.get(id(item), ""),
                        doc_id,
                        figure_dir,
                        settings,
                        render_figures,
                        [t for _, t in stack],
                    )
                )
        page_data.drawings = None  # only region_content needed them
    _bind_context(elements)
    _bind_references(elements)
    return elements


def _body_size(pages: list[_Page]) -> float:
    weights: Counter[float] = Counter()
    for page in pages:
        for block in page.blocks:
            for line in block.lines:
                weights[line.size] += line.chars
    return weights.most_common(1)[0][0] if weights else 10.0


def _round(bbox: BBox) -> BBox:
    return tuple(round(v, 2) for v in bbox)


def _figure(
    page, page_data, region, label, doc_id, figure_dir, settings, render_figures, path
) -> Figure:
    bbox = _round(region.bbox)
    if render_figures:
        fig_id, png = pf.render(page, bbox, settings.figure_dpi, Path(figure_dir))
        image_path = str(png)
    else:
        fig_id, image_path = sha256_bytes(f"{doc_id}:{page_data.number}:{bbox}".encode()), None
    figure = Figure(
        id=fig_id,
        page=page_data.number,
        bbox=bbox,
        origin=region.origin,
        image_path=image_path,
        label=label,
        inner_text="\n".join(line.text for line in region.lines),
        heading_path=path,
    )
    if region.origin == "vector":
        figure._vector = region_content(page, bbox, page_data.drawings)
    return figure


def _bind_captions(page: _Page) -> dict[int, str]:
    """Nearest caption line below or above each figure; marks those blocks kind=caption."""
    candidates = [
        b for b in page.blocks if b.kind != TextKind.table and pt.CAPTION_RE.match(b.text)
    ]
    pairs = []
    for region in page.regions:
        x0, y0, x1, y1 = region.bbox
        for block in candidates:
            bx0, by0, bx1, by1 = block.bbox
            if bx0 >= x1 or bx1 <= x0:
                continue
            # a sentence ("Figure 3-5 shows ...") is a reference, a weaker caption candidate
            penalty = 30.0 if _SENTENCE_RE.match(block.text) else 0.0
            overlap = by1 - by0 + 2  # captions may overlap the figure's edge by a line
            if by0 >= y1 - overlap and by0 - y1 <= CAPTION_GAP:
                pairs.append((max(by0 - y1, 0) + penalty, 0, region, block))
            elif by1 <= y0 + overlap and y0 - by1 <= CAPTION_GAP:
                pairs.append((max(y0 - by1, 0) + penalty, 1, region, block))
    bound: dict[int, str] = {}
    used: set[int] = set()
    for _, _, region, block in sorted(pairs, key=lambda p: (p[0], p[1])):
        if id(region) in bound or id(block) in used:
            continue
        bound[id(region)] = block.text[:300]
        used.add(id(block))
        block.kind = TextKind.caption
    for block in candidates:
        if (
            id(block) not in used
            and len(block.text) <= 200
            and any(pf._near(block.bbox, t.bbox, CAPTION_GAP / 2) for t in page.tables)
        ):
            block.kind = TextKind.caption
    return bound


def _bind_context(elements: list[TextBlock | Figure]) -> None:
    for index, element in enumerate(elements):
        if not isinstance(element, Figure):
            continue
        parts: list[str] = []
        size = 0
        for previous in reversed(elements[:index]):
            if previous.page < element.page - 1 or size >= CONTEXT_CHARS:
                break
            if isinstance(previous, TextBlock) and previous.kind in (
                TextKind.paragraph,
                TextKind.list,
            ):
                if previous.page != element.page and parts:
                    break
                parts.insert(0, previous.text)
                size += len(previous.text)
        context = " ".join(parts)
        if len(context) > CONTEXT_CHARS:
            context = context[-CONTEXT_CHARS:].split(" ", 1)[-1]
        element.context = context


def _ref_key(kind: str, number: str) -> tuple[str, str]:
    return ("table" if kind.lower().startswith("t") else "figure", number.upper())


def _bind_references(elements: list[TextBlock | Figure]) -> None:
    by_key: dict[tuple[str, str], list[Figure]] = {}
    for element in elements:
        if isinstance(element, Figure) and element.label:
            match = _REF_RE.match(element.label)
            if match:
                by_key.setdefault(_ref_key(*match.groups()), []).append(element)
    if not by_key:
        return
    for element in elements:
        if not isinstance(element, TextBlock) or element.kind == TextKind.caption:
            continue
        for match in _REF_RE.finditer(element.text):
            for figure in by_key.get(_ref_key(*match.groups()), []):
                if element.page not in figure.references:
                    figure.references.append(element.page)
    for figures in by_key.values():
        for figure in figures:
            figure.references.sort()


def _cover_title(first: _Page, body: float) -> str:
    """The biggest text of the first page, when clearly bigger than the body text."""
    blocks = [b for b in first.blocks if b.lines and b.kind != TextKind.table]
    if not blocks:
        return ""
    size = max(b.size for b in blocks)
    if size < 1.5 * body:
        return ""
    return " ".join(b.text for b in blocks if b.size == size)[:200]


def _title(doc: pymupdf.Document, elements: list, path: Path, cover: str) -> str:
    title = ((doc.metadata or {}).get("title") or "").strip()
    if title.lower() not in _JUNK_TITLES and not title.lower().endswith(
        (".doc", ".docx", ".pdf", ".indd")
    ):
        return title
    if cover:
        return cover
    headings = [e for e in elements if isinstance(e, TextBlock) and e.kind == TextKind.heading]
    if headings:
        top = min(h.level or 1 for h in headings)
        return next(h.text for h in headings if (h.level or 1) == top)[:200]
    return path.stem
