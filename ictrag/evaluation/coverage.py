"""Text coverage: does every word of a source file end up in some chunk?

The source text is read independently of the loaders (the raw file for txt/md, lxml for
HTML, python-docx / python-pptx for Office packages, pymupdf `page.get_text()` for PDF),
minus the document's furniture (running headers, footers, page numbers, kept once as
metadata). Words are NFKC-normalised, casefolded runs of word characters, so joins and
separators the chunker adds ("a | b", "A > B") do not count as changes.

    report = coverage(path, chunks, document.furniture)
    assert report.missing == 0, report.missing_words
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from pathlib import Path

from pydantic import BaseModel, Field

from ictrag.load.pdf_text import furniture_key
from ictrag.model import Chunk

_WORD = re.compile(r"\w+")


class Coverage(BaseModel):
    source: str
    words: int
    """Word occurrences in the source text."""
    missing: int
    """Occurrences of words that no chunk contains."""
    missing_words: list[str] = Field(default_factory=list)
    """Distinct missing words, in order of first appearance."""

    @property
    def ratio(self) -> float:
        return 1.0 if self.words == 0 else 1 - self.missing / self.words


def words(text: str) -> list[str]:
    return _WORD.findall(unicodedata.normalize("NFKC", text).casefold())


def source_text(path: str | Path, furniture: Iterable[str] = ()) -> str:
    """The file's text as its own format library reads it; '' for images (their text is
    OCR, which has no independent source)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in (".txt", ".md", ".markdown"):
        return path.read_text(encoding="utf-8", errors="replace")
    if suffix in (".html", ".htm"):
        return _html_text(path)
    if suffix == ".docx":
        return _docx_text(path)
    if suffix == ".pptx":
        return _pptx_text(path)
    if suffix == ".pdf":
        return _pdf_text(path, furniture)
    return ""


def coverage(path: str | Path, chunks: Sequence[Chunk], furniture: Iterable[str] = ()) -> Coverage:
    known = set(words("\n".join(chunk.text for chunk in chunks)))
    source = words(source_text(path, furniture))
    missing = [word for word in source if word not in known]
    return Coverage(
        source=str(path),
        words=len(source),
        missing=len(missing),
        missing_words=list(dict.fromkeys(missing)),
    )


def _html_text(path: Path) -> str:
    import lxml.html

    root = lxml.html.fromstring(path.read_bytes())
    for node in root.xpath("//head | //script | //style | //noscript"):
        node.drop_tree()
    return "\n".join(root.itertext())


def _docx_text(path: Path) -> str:
    """Body paragraphs, table cells and text boxes in document order; headers and footers
    live in parts of their own, and they and the table of contents (paragraph styles TOC1,
    TOC2, ...) are furniture."""
    import docx
    from docx.oxml.ns import qn

    breaks = {qn("w:tab"), qn("w:br"), qn("w:cr")}
    style = f"{qn('w:pPr')}/{qn('w:pStyle')}"
    # mc:Fallback repeats an mc:Choice (a text box's VML copy): read the choice only
    fallback = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"
    parts: list[str] = []

    def is_toc(para) -> bool:
        found = para.find(style)
        return found is not None and found.get(qn("w:val"), "").upper().startswith("TOC")

    def walk(node) -> None:
        if node.tag == fallback:
            return
        if node.tag == qn("w:p"):
            if is_toc(node):  # the table of contents is furniture (see office.py)
                return
            parts.append("\n")
        elif node.tag == qn("w:noBreakHyphen"):
            parts.append("-")
        elif node.tag == qn("w:t"):
            parts.append(node.text or "")
        elif node.tag in breaks:
            parts.append(" ")
        for child in node:
            walk(child)

    walk(docx.Document(str(path)).element.body)
    return "".join(parts)


def _pptx_text(path: Path) -> str:
    from pptx import Presentation
    from pptx.enum.shapes import MSO_SHAPE_TYPE

    def walk(shapes):
        for shape in shapes:
            if shape.shape_type == MSO_SHAPE_TYPE.GROUP:
                yield from walk(shape.shapes)
            else:
                yield shape

    parts = []
    for slide in Presentation(str(path)).slides:
        for shape in walk(slide.shapes):
            if shape.has_text_frame:
                parts.append(shape.text_frame.text)
            if getattr(shape, "has_table", False) and shape.has_table:
                parts.extend(cell.text for row in shape.table.rows for cell in row.cells)
    return "\n".join(parts)


def _pdf_text(path: Path, furniture: Iterable[str]) -> str:
    import pymupdf

    skip = {furniture_key(line) for line in furniture}
    lines = []
    with pymupdf.open(path) as pdf:
        for page in pdf:
            lines.extend(
                line for line in page.get_text().splitlines() if furniture_key(line) not in skip
            )
    return "\n".join(lines)
