"""Pictures of a DOCX, in document order, with their captions and context."""

from __future__ import annotations

import io
import logging
from pathlib import Path

from ictrag.load.drawingml import Drawing, is_diagram, read_tree
from ictrag.load.picture import CAPTION_RE, Picture

log = logging.getLogger(__name__)
Found = tuple[bytes, str, Drawing | None]
"""A picture's bytes, the suffix to convert them from ('' for an image), or a native drawing."""

_OLE = "{urn:schemas-microsoft-com:office:office}OLEObject"
_VML_IMAGE = "{urn:schemas-microsoft-com:vml}imagedata"
_FALLBACK = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"
_REL_ID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
DRAWING_PROGIDS = ("Visio.",)
"""OLE objects read as drawings (through LibreOffice) instead of their preview picture."""
SLIDE_PROGIDS = ("PowerPoint.",)
"""OLE objects holding a presentation: its first slide's shapes are read as the drawing."""
NOT_FIGURES = ("Equation.", "MathType", "Package")
"""OLE objects whose preview is no figure: formulas and attached files."""
METAFILES = (".emf", ".wmf")
"""Vector pictures PIL cannot draw: converted by LibreOffice and read as drawings."""


def docx_pictures(path: Path) -> list[Picture]:
    """Every picture of the body in document order: DrawingML and VML pictures, the preview
    of an OLE object (a `Word.Picture.8` drawing, an embedded slide), or the object itself
    where it is a drawing we read natively (Visio). Metafile pictures (EMF/WMF) are marked
    for conversion. Uncaptioned pictures on a cover page (logos) are left out."""
    import docx
    from docx.oxml.ns import qn

    document = docx.Document(str(path))
    related = document.part.related_parts
    body = document.element.body
    cover = _cover_paragraphs(body, qn)
    paragraphs = []  # (text, style, [blob]) in document order, table cells included
    for para in body.iter(qn("w:p")):
        text = "".join(node.text or "" for node in para.iter(qn("w:t"))).strip()
        style = para.find(f"{qn('w:pPr')}/{qn('w:pStyle')}")
        style_name = style.get(qn("w:val"), "") if style is not None else ""
        blobs = [] if _is_fallback(para) else _own_pictures(para, related, qn)
        paragraphs.append((text, style_name, blobs))
    pictures = []
    for i, (_, _, blobs) in enumerate(paragraphs):
        if not blobs:
            continue
        before = [t for t, _, _ in paragraphs[max(0, i - 3) : i] if t]
        after = [(t, s) for t, s, _ in paragraphs[i + 1 : i + 3] if t]
        label = next((t for t, s in after if CAPTION_RE.match(t) or s.lower() == "caption"), "")
        if not label and before and CAPTION_RE.match(before[-1]):
            label = before[-1]
        if not label and i in cover:
            continue  # a logo or decoration of the cover page
        context = " ".join([*before[-2:], *(t for t, _ in after[:1])])
        anchor = before[-1] if before else ""
        pictures.extend(
            Picture(blob, 1, anchor, label, context, kind, drawing=drawing, paragraph=i)
            for blob, kind, drawing in blobs
        )
    return pictures


def _is_fallback(element) -> bool:
    """Inside an mc:Fallback: the VML copy of content the mc:Choice already holds."""
    return any(a.tag == _FALLBACK for a in element.iterancestors())


def _own_pictures(para, related, qn) -> list[Found]:
    """The pictures whose nearest paragraph is `para` (a text box's pictures belong to the
    box's paragraph)."""
    blip, obj = qn("a:blip"), qn("w:object")
    out: list[Found] = []
    for node in para.iter(blip, obj, _VML_IMAGE):
        if next(node.iterancestors(qn("w:p"))) is not para or _is_fallback(node):
            continue
        if node.tag == obj:
            out.extend(_object(node, related, qn))
        elif node.tag == blip:
            out.extend(_image(related.get(node.get(qn("r:embed")) or "")))
        elif next(node.iterancestors(obj), None) is None:
            out.extend(_image(related.get(node.get(_REL_ID) or "")))
    return out


def _object(obj, related, qn) -> list[Found]:
    ole = obj.find(f".//{_OLE}")
    progid = ole.get("ProgID", "") if ole is not None else ""
    part = related.get(ole.get(_REL_ID) or "") if ole is not None else None
    suffix = Path(str(part.partname)).suffix.lower() if hasattr(part, "blob") else ""
    if progid.startswith(DRAWING_PROGIDS) and suffix:
        return [(part.blob, suffix, None)]
    if progid.startswith(SLIDE_PROGIDS) and suffix == ".pptx":
        drawing = _first_slide(part.blob)
        if drawing is not None:
            return [(b"", "", drawing)]
    # an unnamed object (LibreOffice names none when it writes DOCX) shows its preview
    if ole is None or (progid and progid.startswith(NOT_FIGURES)):
        return []
    preview = obj.find(f".//{_VML_IMAGE}")
    return _image(related.get(preview.get(_REL_ID) or "")) if preview is not None else []


def _image(part) -> list[Found]:
    if part is None or not hasattr(part, "blob"):
        return []
    suffix = Path(str(part.partname)).suffix.lower()
    return [(part.blob, suffix if suffix in METAFILES else "", None)]


def _first_slide(blob: bytes) -> Drawing | None:
    """The shapes of an embedded presentation's first slide (what Word shows), when they
    draw a diagram; None sends the caller to the object's preview picture."""
    from pptx import Presentation

    try:
        slides = Presentation(io.BytesIO(blob)).slides
        drawing = read_tree(slides[0].element.cSld.spTree) if len(slides) else None
    except Exception as error:  # a broken embedded package: the preview still shows it
        log.warning("embedded slide not read, preview used: %s", str(error)[:200])
        return None
    return drawing if drawing is not None and is_diagram(drawing) else None


def _cover_paragraphs(body, qn) -> set[int]:
    """Positions (in body.iter(w:p) order) of the paragraphs on the cover page: everything
    before the first page or section break, text boxes anchored there included. Empty when
    the document has no break, or the first one comes after half of it (no cover page)."""
    positions: set[int] = set()
    position = 0
    for child in body.iterchildren():
        paras = list(child.iter(qn("w:p")))
        breaks = any(
            (node.tag == qn("w:br") and node.get(qn("w:type")) == "page")
            or node.tag in (qn("w:sectPr"), qn("w:lastRenderedPageBreak"))
            for para in paras
            for node in para.iter(qn("w:br"), qn("w:sectPr"), qn("w:lastRenderedPageBreak"))
        )
        starts_page = any(
            p.find(f"{qn('w:pPr')}/{qn('w:pageBreakBefore')}") is not None for p in paras[:1]
        )
        if not starts_page:
            positions.update(range(position, position + len(paras)))
            position += len(paras)
        if starts_page or breaks:
            total = sum(1 for _ in body.iter(qn("w:p")))
            return positions if len(positions) <= total / 2 else set()
    return set()
