"""Pictures of a DOCX, in document order, with their captions and context."""

from __future__ import annotations

from pathlib import Path

from ictrag.load.picture import CAPTION_RE, Picture

_OLE = "{urn:schemas-microsoft-com:office:office}OLEObject"
_REL_ID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
DRAWING_PROGIDS = ("Visio.",)
"""OLE objects read as drawings (through LibreOffice) instead of their preview picture."""


def docx_pictures(path: Path) -> list[Picture]:
    import docx
    from docx.oxml.ns import qn

    document = docx.Document(str(path))
    related = document.part.related_parts
    paragraphs = []  # (text, style, [blob]) in document order, table cells included
    for para in document.element.body.iter(qn("w:p")):
        text = "".join(node.text or "" for node in para.iter(qn("w:t"))).strip()
        style = para.find(f"{qn('w:pPr')}/{qn('w:pStyle')}")
        style_name = style.get(qn("w:val"), "") if style is not None else ""
        blobs: list[tuple[bytes, str]] = []
        for blip in para.iter(qn("a:blip")):
            part = related.get(blip.get(qn("r:embed")) or "")
            if part is not None and hasattr(part, "blob"):
                blobs.append((part.blob, ""))
        for ole in para.iter(_OLE):
            part = related.get(ole.get(_REL_ID) or "")
            if ole.get("ProgID", "").startswith(DRAWING_PROGIDS) and hasattr(part, "blob"):
                blobs.append((part.blob, Path(str(part.partname)).suffix.lower()))
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
        context = " ".join([*before[-2:], *(t for t, _ in after[:1])])
        anchor = before[-1] if before else ""
        pictures.extend(
            Picture(blob, 1, anchor, label, context, kind, paragraph=i) for blob, kind in blobs
        )
    return pictures
