"""Pictures of a DOCX, in document order, with their captions and context: images, EMF/WMF
pictures and OLE previews (converted by LibreOffice), Visio objects, embedded slides, and
Word's own drawings (groups, canvases, SmartArt), each bound to its "Figure N-M" caption
(the paragraph after it, or the one before). docs/ingest.md, "Word drawings"."""

from __future__ import annotations

import copy
import io
import logging
import zipfile
from pathlib import Path

from ictrag.load.drawingml import Drawing, is_diagram, read_tree
from ictrag.load.picture import CAPTION_RE, Picture
from ictrag.load.smartart import URI as SMARTART_URI
from ictrag.load.smartart import frame_smartart, smartart_drawing
from ictrag.load.smartart import is_figure as is_smartart_figure

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
_WORD_ML = "http://schemas.microsoft.com/office/word/2010/"
DRAWING_URIS = (
    f"{_WORD_ML}wordprocessingGroup", f"{_WORD_ML}wordprocessingCanvas", SMARTART_URI
)  # fmt: skip
"""graphicData holding a drawing made in Word: a group, a canvas, a SmartArt diagram."""
_PARTS = ("wsp", "pic", "cxnSp", "sp")
_A = "{http://schemas.openxmlformats.org/drawingml/2006/main}"
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

    members: list[tuple[zipfile.ZipInfo, bytes]] = []  # the package, read on first need

    def alone(para) -> bytes:
        if not members:
            with zipfile.ZipFile(path) as package:
                members.extend((m, package.read(m)) for m in package.infolist())
        return _alone(members, document.element, para, qn)

    paragraphs = []  # (text, style, [found], nested) in document order, table cells included
    for para in body.iter(qn("w:p")):
        text = "".join(node.text or "" for node in para.iter(qn("w:t"))).strip()
        style = para.find(f"{qn('w:pPr')}/{qn('w:pStyle')}")
        style_name = style.get(qn("w:val"), "") if style is not None else ""
        blobs = [] if _is_fallback(para) else _own_pictures(para, related, qn, alone)
        # a drawing's own text boxes are no caption or context of it
        nested = next(para.iterancestors(qn("w:p")), None) is not None
        paragraphs.append((text, style_name, blobs, nested))
    pictures = []
    for i, (_, _, blobs, _) in enumerate(paragraphs):
        if not blobs:
            continue
        body_before = [p for p in paragraphs[max(0, i - 40) : i] if not p[3]]
        body_after = [p for p in paragraphs[i + 1 : i + 80] if not p[3]]
        before = [t for t, _, _, _ in body_before[-3:] if t]
        # the next two paragraphs with text (Word leaves empty ones around a drawing)
        after = [(t, s) for t, s, _, _ in body_after[:5] if t][:2]
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


def _local(element) -> str:
    return element.tag.rsplit("}", 1)[-1]


def _is_fallback(element) -> bool:
    """Inside an mc:Fallback: the VML copy of content the mc:Choice already holds."""
    return any(a.tag == _FALLBACK for a in element.iterancestors())


def _own_pictures(para, related, qn, alone) -> list[Found]:
    """The pictures whose nearest paragraph is `para` (a text box's pictures belong to the
    box's paragraph). `alone(para)`: a DOCX of that paragraph only, for LibreOffice to draw."""
    blip, obj, data = qn("a:blip"), qn("w:object"), qn("a:graphicData")
    out: list[Found] = []
    for node in para.iter(blip, obj, _VML_IMAGE, data):
        if next(node.iterancestors(qn("w:p"))) is not para or _is_fallback(node):
            continue
        if any(_is_drawing(a, qn) for a in node.iterancestors(data)):
            continue  # a picture inside a group or canvas is part of that drawing
        if node.tag == data:
            if _is_drawing(node, qn):
                out.append(_word_drawing(node, para, alone, related))
        elif node.tag == obj:
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


def _is_drawing(data, qn) -> bool:
    """A group, canvas or SmartArt that draws something: two shapes or more, or some text.
    A lone text-less shape (a rule under a heading) is decoration; a group around a text box
    of PlantUML source (O-RAN) holds the source and its picture, each read on its own."""
    if data.get("uri") not in DRAWING_URIS:
        return False
    if data.get("uri") == SMARTART_URI:
        return True
    parts = sum(1 for e in data.iter() if isinstance(e.tag, str) and _local(e) in _PARTS)
    words = "".join(t.text or "" for t in data.iter(qn("w:t"), f"{_A}t"))
    if "@startuml" in words.lower() or "@enduml" in words.lower():
        return False
    return parts >= 2 or bool(words.strip())


def _word_drawing(data, para, alone, related) -> Found:
    """A Word group, canvas or SmartArt: its shapes and connectors as cells when they draw
    a diagram (two shapes joined), SmartArt's data model when it holds two points or more,
    else the paragraph drawn alone by LibreOffice, for the vector reader (boxes in boxes,
    freeform arrows, text turned into outlines)."""
    if data.get("uri") == SMARTART_URI:

        def blob(rel_id: str) -> bytes | None:
            part = related.get(rel_id)
            return part.blob if hasattr(part, "blob") else None

        try:
            art = frame_smartart(data, blob)
        except ValueError as error:
            log.warning("Word SmartArt not read from its data model: %s", str(error)[:200])
            art = None
        if art is not None and is_smartart_figure(art):
            return (b"", "", smartart_drawing(art))
    root = next((c for c in data if isinstance(c.tag, str)), None)
    if root is not None and data.get("uri") != SMARTART_URI:
        try:
            drawing = read_tree(root)
        except (ValueError, TypeError, KeyError, AttributeError) as error:
            log.warning("Word drawing not read as shapes: %s", str(error)[:200])
        else:
            if is_diagram(drawing):
                return (b"", "", drawing)
    return (alone(para), ".docx", None)


def _alone(members: list[tuple[zipfile.ZipInfo, bytes]], root, para, qn) -> bytes:
    """The package with a body of one paragraph (and the last section's page setup, without
    its running headers and footers)."""
    from lxml import etree

    document = etree.Element(root.tag, nsmap=root.nsmap)
    body = etree.SubElement(document, qn("w:body"))
    body.append(copy.deepcopy(para))
    section = root.find(f"{qn('w:body')}/{qn('w:sectPr')}")
    if section is not None:
        section = copy.deepcopy(section)
        for running in section.findall(qn("w:headerReference")) + section.findall(
            qn("w:footerReference")
        ):
            section.remove(running)  # page headers and numbers are no part of the drawing
        body.append(section)
    xml = etree.tostring(document, xml_declaration=True, encoding="UTF-8", standalone=True)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as new:
        for member, data in members:
            new.writestr(member, xml if member.filename == "word/document.xml" else data)
    return out.getvalue()


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
