"""DOCX, PPTX, HTML, Markdown and plain text -> Document, through unstructured.

Text comes from unstructured's format partitioners; embedded pictures come straight from the
package with python-docx / python-pptx (unstructured's picture handling is lossy), stored as
PNG by content hash in `figure_dir`. A slide whose shapes and connectors draw a diagram is a
vector figure stating its cells (load/drawingml.py); its text stays the slide's text too.

Offline: unstructured (0.18+) classifies plain paragraphs (NarrativeText / Title / Text) with
`unstructured.nlp.tokenize.pos_tag / sent_tokenize / word_tokenize`, which all go through one
hook, `tokenize._get_nlp()`. On first use that hook runs `spacy.load("en_core_web_sm")` and,
when the model is missing, downloads its wheel from GitHub (`tokenize._install_spacy_model`)
and installs it into site-packages; offline that raises RuntimeError and the partition fails.
(0.27 no longer uses NLTK.) `ensure_offline_nlp()` replaces that one hook, only when the model
is NOT installed, with a blank spaCy English pipeline (rules, no weights) plus a verb lexicon,
so the download path is never reached; with the model installed nothing is patched. Telemetry
pings at import and per call are opted out through DO_NOT_TRACK / SCARF_NO_ANALYTICS (an
explicit user value wins).
"""

from __future__ import annotations

import importlib.util
import logging
import os
import threading
from pathlib import Path

from ictrag.config import LoadSettings
from ictrag.load.diagram_code import (
    code_blocks,
    code_figure,
    dot_figure,
    html_plantuml,
    msc_figure,
    plantuml_figure,
)
from ictrag.load.docx_pictures import docx_pictures
from ictrag.load.docx_plantuml import bind, docx_sources
from ictrag.load.drawingml import EMU_PER_POINT, A, Drawing, drawing_figure, is_diagram, read_tree
from ictrag.load.errors import LoadError
from ictrag.load.ooxml import check, readable
from ictrag.load.picture import CAPTION_RE, Picture
from ictrag.load.render import ImageError, save_image_bytes
from ictrag.load.smartart import frame_smartart, smartart_drawing
from ictrag.load.smartart import is_figure as is_smartart_figure
from ictrag.model import (
    DiagramSource,
    Document,
    Figure,
    TextBlock,
    TextKind,
    sha256_bytes,
    sha256_file,
)

log = logging.getLogger(__name__)

# unstructured phones home when it is first imported unless told not to; set just before.
QUIET = {"DO_NOT_TRACK": "1", "SCARF_NO_ANALYTICS": "true", "UNSTRUCTURED_DISABLE_NOTICE": "1"}

SPACY_MODEL = "en_core_web_sm"
MIME = {
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    ".html": "text/html",
    ".htm": "text/html",
    ".md": "text/markdown",
    ".markdown": "text/markdown",
    ".txt": "text/plain",
}
_KINDS = {
    "NarrativeText": TextKind.paragraph,
    "Text": TextKind.paragraph,
    "UncategorizedText": TextKind.paragraph,
    "Address": TextKind.paragraph,
    "EmailAddress": TextKind.paragraph,
    "Formula": TextKind.paragraph,
    "ListItem": TextKind.list,
    "Table": TextKind.table,
    "CodeSnippet": TextKind.code,
    "FigureCaption": TextKind.caption,
    "Title": TextKind.heading,
}
# Verbs common in manuals, imperative steps and release notes; "-s", "-ed", "-ing" derived.
_VERBS = frozenset(
    """
    be is are was were been being am has have had do does did can could will would shall should
    may might must add allow apply assign attach authenticate back backhaul become begin bind
    block bring build cause change check choose click close configure connect contain copy
    create define delete deploy describe detect disable display drop enable ensure enter
    establish exchange explain fail find fix follow form forward get give go handle help hold
    include install keep learn let list load log make map mean move need note obtain open
    perform place point prepare press prevent provide publish read receive reach record reduce
    refer relay reload remove replace require reserve reset restart return route run save see
    select send set show start stay stop store support take tell try turn type update use
    verify view want work write advertise
    """.split()  # noqa: SIM905
)
_nlp_lock = threading.Lock()
_nlp_patched = False


def _is_verb(word: str) -> bool:
    word = word.lower()
    if not word.isalpha():
        return False
    if word in _VERBS:
        return True
    for suffix, cut in (("es", 2), ("s", 1), ("ed", 2), ("ed", 1), ("ing", 3)):
        if word.endswith(suffix) and len(word) > cut + 2 and word[:-cut] in _VERBS:
            return True
    return word.endswith("ing") and len(word) > 6


class HeuristicNlp:
    """Just enough of a spaCy Language for unstructured's tokenize module: `max_length` and
    `__call__(text) -> Doc` with sentence boundaries and VB tags on likely verbs."""

    def __init__(self) -> None:
        import spacy

        self._nlp = spacy.blank("en")
        self._nlp.add_pipe("sentencizer")
        self.max_length = self._nlp.max_length

    def __call__(self, text: str):
        doc = self._nlp(text)
        for token in doc:
            token.tag_ = "VB" if _is_verb(token.text) else "NN"
        return doc


def spacy_model_installed() -> bool:
    return importlib.util.find_spec(SPACY_MODEL) is not None


def ensure_offline_nlp() -> bool:
    """Patch unstructured's NLP hook when the spaCy model is missing. True when patched."""
    global _nlp_patched
    with _nlp_lock:
        if _nlp_patched:
            return True
        if spacy_model_installed():
            return False
        from unstructured.nlp import tokenize

        fallback = HeuristicNlp()
        # _run_pipeline looks `_get_nlp` up as a module global at call time, so this one
        # attribute covers pos_tag, sent_tokenize and word_tokenize.
        tokenize._get_nlp = lambda: fallback
        _nlp_patched = True
        return True


PML = "{http://schemas.openxmlformats.org/presentationml/2006/main}"


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return (text[0] if text else exc.__class__.__name__)[:200]


def _partition(path: Path) -> list:
    for name, value in QUIET.items():
        os.environ.setdefault(name, value)
    ensure_offline_nlp()
    suffix = path.suffix.lower()
    if suffix == ".docx":
        from unstructured.partition.docx import partition_docx

        return partition_docx(filename=str(path), infer_table_structure=True)
    if suffix == ".pptx":
        from unstructured.partition.pptx import partition_pptx

        return partition_pptx(filename=str(path), infer_table_structure=True)
    if suffix in (".html", ".htm"):
        from unstructured.partition.html import partition_html

        return partition_html(filename=str(path))
    if suffix in (".md", ".markdown"):
        from unstructured.partition.md import partition_md

        return partition_md(filename=str(path))
    if suffix == ".txt":
        from unstructured.partition.text import partition_text

        return partition_text(filename=str(path))
    from unstructured.partition.auto import partition

    return partition(filename=str(path))


def _table_rows(element) -> str:
    html = getattr(element.metadata, "text_as_html", None)
    if not html:
        return str(element)
    import lxml.html

    try:
        root = lxml.html.fromstring(html)
    except (ValueError, lxml.etree.ParserError):
        return str(element)
    rows = []
    for row in root.iter("tr"):
        cells = [" ".join(cell.text_content().split()) for cell in row if cell.tag in ("td", "th")]
        if any(cells):
            rows.append(" | ".join(cells))
    return "\n".join(rows) or str(element)


_FURNITURE = {"Header", "Footer", "PageNumber"}


def _blocks(
    elements: list, suffix: str, bullets: set[str], furniture: dict[str, str]
) -> list[TextBlock]:
    """Body text blocks in order; running headers, footers and page numbers go to
    `furniture` instead (once per text)."""
    blocks: list[TextBlock] = []
    path: list[tuple[int, str]] = []
    uml = _UmlSpan()
    for element in elements:
        kind = _KINDS.get(element.category)
        text = _table_rows(element) if kind is TextKind.table else str(element).strip()
        if not text or element.category == "PageBreak":
            continue
        if element.category in _FURNITURE:
            furniture.setdefault(" ".join(text.split()).lower(), text)
            continue
        # Any other category with text (Image alt text, Link, ...) is still text of the file.
        kind = kind or TextKind.paragraph
        depth = element.metadata.category_depth
        page = element.metadata.page_number or 1
        level = None
        if uml.holds(text):  # PlantUML source in body text: code, never a heading
            kind = TextKind.code
        elif suffix == ".pptx" and text in bullets and kind is not TextKind.table:
            # Body-placeholder paragraphs inherit their bullet from the layout, which
            # unstructured does not see: it calls them NarrativeText or (depth>0) Title.
            kind = TextKind.list
        elif kind is TextKind.heading:
            level = (depth or 0) + 1
            path = [(lvl, title) for lvl, title in path if lvl < level] + [(level, text)]
        elif kind is TextKind.paragraph and CAPTION_RE.match(text) and len(text) < 200:
            kind = TextKind.caption
        blocks.append(
            TextBlock(
                text=text,
                page=page,
                kind=kind,
                level=level,
                heading_path=[title for _, title in path],
            )
        )
    return blocks


class _UmlSpan:
    """Which text blocks, met in order, lie inside `@startuml ... @enduml`."""

    def __init__(self) -> None:
        self.open = False

    def holds(self, text: str) -> bool:
        lower = text.lower()
        inside = self.open or "@startuml" in lower
        if "@startuml" in lower:
            self.open = True
        if "@enduml" in lower[lower.rfind("@startuml") + 1 :]:
            self.open = False
        return inside


_MC_FALLBACK = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"


def _docx_toc(path: Path) -> list[str]:
    """Table-of-contents lines (paragraph styles TOC1, TOC2, ...), which unstructured drops:
    headings and page numbers restated, furniture rather than body text."""
    import docx
    from docx.oxml.ns import qn

    lines = []
    for para in docx.Document(str(path)).element.body.iter(qn("w:p")):
        style = para.find(f"{qn('w:pPr')}/{qn('w:pStyle')}")
        if style is not None and style.get(qn("w:val"), "").upper().startswith("TOC"):
            text = " ".join("".join(t.text or "" for t in para.iter(qn("w:t"))).split())
            if text:
                lines.append(text)
    return lines


def _docx_text_boxes(path: Path) -> list[tuple[str, list[str]]]:
    """Paragraphs of text boxes (cover pages, callouts), which unstructured does not read:
    (text of the last body paragraph before the box, or '' at the start; box paragraphs).
    The VML copy of a box (mc:Fallback) is skipped."""
    import docx
    from docx.oxml.ns import qn

    def own_text(para) -> str:
        return "".join(
            node.text or ""
            for node in para.iter(qn("w:t"))
            if next(node.iterancestors(qn("w:p"))) is para
        ).strip()

    body = docx.Document(str(path)).element.body
    boxes: list[tuple[str, list[str]]] = []
    anchor = ""
    joined = False  # no body text since the last box: the next box is of the same drawing
    for para in body.iter(qn("w:p")):
        if any(True for _ in para.iterancestors(qn("w:txbxContent"))):
            continue
        for box in para.iter(qn("w:txbxContent")):
            if any(a.tag == _MC_FALLBACK for a in box.iterancestors()):
                continue
            texts = [t for t in (own_text(p) for p in box.iter(qn("w:p"))) if t]
            if texts and joined:
                boxes[-1][1].extend(texts)
            elif texts:
                boxes.append((anchor, texts))
                joined = True
        if own_text(para):
            anchor, joined = own_text(para), False
    return boxes


def _place_text_boxes(blocks: list[TextBlock], boxes: list[tuple[str, list[str]]]) -> None:
    """Insert text-box paragraphs after their anchor block (at the start when it is ''),
    skipping any that a block already holds."""
    cursor = 0
    uml = _UmlSpan()
    for anchor, texts in boxes:
        at = 0 if not anchor else None
        if anchor:
            for i in range(cursor, len(blocks)):
                if anchor in blocks[i].text:
                    at = i + 1
                    break
        at = cursor if at is None else max(at, cursor)
        before = blocks[at - 1] if at else None
        code = [uml.holds(text) for text in texts]  # every text, to follow the span
        new = [
            TextBlock(
                text=text,
                page=before.page if before else 1,
                heading_path=list(before.heading_path) if before else [],
                kind=TextKind.code if is_code else TextKind.paragraph,
            )
            for text, is_code in zip(texts, code, strict=True)
            # a line of PlantUML ("@enduml", "skin rose") recurs in every source: it is
            # only already read when the paragraph the box hangs on holds it
            if not any(text in block.text for block in (blocks[at - 1 : at] if is_code else blocks))
        ]
        blocks[at:at] = new
        cursor = at + len(new)


def _pptx_pictures(
    path: Path, bullets: set[str], loose_text: list[tuple[int, str]]
) -> list[Picture]:
    """Pictures per slide; also fills `bullets` with the paragraphs of body placeholders,
    and `loose_text` with (slide, text) of text no partitioner sees (one-point SmartArt)."""
    from pptx import Presentation
    from pptx.enum.shapes import MSO_SHAPE_TYPE, PP_PLACEHOLDER

    body_types = {PP_PLACEHOLDER.BODY, PP_PLACEHOLDER.OBJECT}

    def walk(shapes):
        for shape in shapes:
            if shape.shape_type == MSO_SHAPE_TYPE.GROUP:
                yield from walk(shape.shapes)
            else:
                yield shape

    pictures = []
    for number, slide in enumerate(Presentation(str(path)).slides, start=1):
        shapes = list(walk(slide.shapes))
        texts = [
            s.text_frame.text.strip()
            for s in shapes
            if s.has_text_frame and s.text_frame.text.strip()
        ]
        for shape in shapes:
            if (
                shape.is_placeholder
                and shape.has_text_frame
                and shape.placeholder_format.type in body_types
            ):
                bullets.update(
                    p.text.strip() for p in shape.text_frame.paragraphs if p.text.strip()
                )
        title = slide.shapes.title.text_frame.text.strip() if slide.shapes.title is not None else ""
        caption = next((t for t in texts if CAPTION_RE.match(t)), "")
        label, context = caption or title, " ".join(texts)[:1000]
        diagrams, marks = _slide_smartart(slide, number)
        drawing = _slide_drawing(slide, number, marks)
        icons: set[str] = set()
        if drawing is None and marks:  # SmartArt labels with no drawing to label: text
            loose_text.extend((number, cell.label) for cell in marks.cells)
        if drawing is not None:
            pictures.append(Picture(b"", number, "", label, context, drawing=drawing))
            joined = drawing.joined()
            icons = {shape_id for shape_id, cell in drawing.members.items() if cell in joined}
        pictures.extend(Picture(b"", number, "", label, context, drawing=d) for d in diagrams)
        for shape in shapes:
            if str(shape.shape_id) in icons:
                continue  # a picture that is a node of the slide's drawing
            try:
                blob = shape.image.blob  # pictures and picture placeholders
            except (AttributeError, ValueError, KeyError):
                continue
            pictures.append(Picture(blob, number, "", label, context))
    return pictures


def _slide_drawing(slide, number: int, marks: Drawing | None = None) -> Drawing | None:
    """The slide's shapes and connectors as cells, when they draw a diagram (two shapes
    or more joined by a line); None for a slide of text and pictures. `marks`: boxes the
    drawing holds besides its shapes (one-point SmartArt: a label such as "AS10")."""
    try:
        drawing = read_tree(slide.element.cSld.spTree)
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        log.warning("slide %d: drawing not read: %s", number, _first_line(exc))
        return None
    if not is_diagram(drawing):
        return None
    return Drawing(drawing.cells + marks.cells, drawing.members) if marks else drawing


def _slide_smartart(slide, number: int) -> tuple[list[Drawing], Drawing | None]:
    """The slide's SmartArt: each diagram of two points or more as a drawing of its own,
    and the one-point ones (labels) as boxes together, placed where their frames are."""
    part = slide.part

    def blob(rel_id: str) -> bytes | None:
        try:
            return part.related_part(rel_id).blob
        except (KeyError, AttributeError):
            return None

    diagrams, marks = [], []
    for n, frame in enumerate(slide.element.iter(f"{PML}graphicFrame"), start=1):
        data = frame.find(f"{A}graphic/{A}graphicData")
        try:
            art = frame_smartart(data, blob) if data is not None else None
        except ValueError as exc:
            log.warning("slide %d: SmartArt not read: %s", number, _first_line(exc))
            continue
        if art is None:
            continue
        off = frame.find(f"{PML}xfrm/{A}off")
        origin = (
            (float(off.get("x", 0)) / EMU_PER_POINT, float(off.get("y", 0)) / EMU_PER_POINT)
            if off is not None
            else (0.0, 0.0)
        )
        drawing = smartart_drawing(art, origin, prefix=f"dgm{n}-")
        (diagrams if is_smartart_figure(art) else marks).append(drawing)
    merged = Drawing([c for d in marks for c in d.cells], {}) if marks else None
    return diagrams, merged


def _figures(
    pictures: list[Picture], figure_dir: Path, settings: LoadSettings
) -> list[tuple[Picture, Figure]]:
    out = []
    drawings = [picture for picture in pictures if picture.embedded]
    converted = iter(_drawing_figures(drawings, figure_dir, settings))
    for picture in pictures:
        if picture.drawing is not None:
            figure = drawing_figure(
                picture.drawing, figure_dir, picture.page, picture.label, picture.context
            )
            out.append((picture, figure))
            continue
        if picture.embedded:
            figure = next(converted)
            if figure is not None:
                out.append((picture, figure))
            continue
        try:
            digest, png_path, (width, height) = save_image_bytes(picture.data, figure_dir)
        except ImageError:
            continue  # EMF/WMF and other formats PIL cannot read: not a figure we can use
        if min(width, height) < settings.min_figure_px:
            continue
        figure = Figure(
            id=digest,
            page=picture.page,
            origin="raster",
            image_path=str(png_path),
            label=picture.label,
            context=picture.context,
        )
        out.append((picture, figure))
    return out


def _drawing_figures(
    drawings: list[Picture], figure_dir: Path, settings: LoadSettings
) -> list[Figure | None]:
    """Embedded drawings (Visio) through the process's LibreOffice: a vector figure each, or None
    for one that did not convert (one warning line each; the rest of the document goes on)."""
    if not drawings:
        return []
    import tempfile

    import pymupdf

    from ictrag.load.convert import to_pdfs
    from ictrag.load.drawing import whole_page_figure

    figures: list[Figure | None] = []
    with tempfile.TemporaryDirectory(prefix="ictrag-embedded-") as scratch:
        files = []
        for number, picture in enumerate(drawings, start=1):
            files.append(Path(scratch) / f"drawing{number}{picture.embedded}")
            files[-1].write_bytes(picture.data)
        results = to_pdfs(files, Path(scratch), settings.convert_timeout_s)
        reasons = {r for r in results.values() if isinstance(r, str)}
        if (
            len(reasons) == 1
            and len(drawings) > 1
            and all(isinstance(r, str) for r in results.values())
        ):
            log.warning("%d embedded drawings not read: %s", len(drawings), reasons.pop())
            return [None] * len(drawings)
        for number, (picture, file) in enumerate(zip(drawings, files, strict=True), start=1):
            result = results[file]
            if isinstance(result, str):
                log.warning(
                    "embedded drawing %d (%s) not read: %s", number, picture.embedded, result
                )
                figures.append(None)
                continue
            figure = whole_page_figure(pymupdf.open(result), 1, figure_dir, settings.figure_dpi)
            figure.page, figure.label, figure.context = picture.page, picture.label, picture.context
            figures.append(figure)
    return figures


def _bind_plantuml(
    path: Path, figures: list[tuple[Picture, Figure]]
) -> list[tuple[Picture, Figure]]:
    """PlantUML sources of a DOCX as the stated structure of the picture each binds to
    (docx_plantuml.bind); a source bound to no picture becomes a figure of its own, placed
    after its text. Figures come back in document order."""
    from PIL import Image

    sources, text_positions = docx_sources(path)
    if not sources:
        return figures
    areas = []
    for _, figure in figures:
        with Image.open(figure.image_path or "") as image:
            areas.append(image.width * image.height)
    positions = [
        (picture.paragraph, area) for (picture, _), area in zip(figures, areas, strict=True)
    ]
    placed: list[tuple[int, Picture, Figure]] = [(p.paragraph, p, f) for p, f in figures]
    for number, (source, choice) in enumerate(
        zip(sources, bind(sources, positions, text_positions), strict=True), 1
    ):
        structure = DiagramSource(format="plantuml", text=source.text)
        if choice is not None:
            figures[choice][1].source = structure
            continue
        last_line = next(
            (line.strip() for line in reversed(source.text.splitlines()) if line.strip()), ""
        )
        label = f"PlantUML diagram {number}"
        figure = Figure(id=sha256_bytes(source.text.encode("utf-8")), origin="vector", label=label,
                        source=structure)  # fmt: skip
        placed.append((source.last, Picture(b"", 1, last_line, label, ""), figure))
    placed.sort(key=lambda item: item[0])
    return [(picture, figure) for _, picture, figure in placed]


_CODE_NAMES = {"mermaid": "Mermaid", "graphviz": "Graphviz", "plantuml": "PlantUML",
               "mscgen": "mscgen"}  # fmt: skip


def _code_figures(blocks: list[tuple[str, str]], figure_dir: Path) -> list[tuple[Picture, Figure]]:
    """Diagram code blocks (```mermaid, ```dot, ```plantuml; PlantUML in HTML <pre>) as
    figures, each placed after the text block holding its code (which stays text). A
    Graphviz block dot cannot lay out stays text only."""
    out = []
    for number, (language, code) in enumerate(blocks, start=1):
        anchor = next((line.strip() for line in code.splitlines() if line.strip()), "")
        label = f"{_CODE_NAMES[language]} diagram {number}"
        picture = Picture(b"", 1, anchor, label, "")
        try:
            if language == "mermaid":
                figure = code_figure(code, label)
            elif language == "plantuml":
                figure = plantuml_figure(code, label, figure_dir)
            elif language == "mscgen":
                figure = msc_figure(code, label, figure_dir)
            else:
                figure = dot_figure(code, label, figure_dir)
        except LoadError as error:
            log.warning("%s: kept as text only: %s", label, error)
            continue
        out.append((picture, figure))
    return out


def _find(elements: list, start: int, text: str, after: bool) -> int | None:
    """Where a figure goes: after (or before) the first text block from `start` holding
    `text`, whitespace aside (the XML drops the tab unstructured keeps: "4.2.2.2.2\tGeneral")."""
    key = "".join(text.split())
    if not key:
        return None
    for i in range(start, len(elements)):
        element = elements[i]
        if isinstance(element, TextBlock) and key in "".join(element.text.split()):
            return i + 1 if after else i
    return None


def _with_loose_text(blocks: list[TextBlock], loose: list[tuple[int, str]]) -> list[TextBlock]:
    """`blocks` with each (page, text) as a paragraph at the end of its page."""
    for page, text in loose:
        at = max((i + 1 for i, b in enumerate(blocks) if b.page <= page), default=0)
        heading = blocks[at - 1].heading_path if at else []
        blocks.insert(at, TextBlock(text=text, page=page, heading_path=list(heading)))
    return blocks


def _place(blocks: list[TextBlock], figures: list[tuple[Picture, Figure]]) -> list:
    """Insert each figure after its anchor text (or at the end of its page), in order."""
    elements: list = list(blocks)
    cursor = 0
    for picture, figure in figures:
        at = _find(elements, cursor, picture.anchor, after=True)
        if at is None and picture.anchor and picture.label:
            # tracked changes make the XML's text differ from unstructured's ("SGW" against
            # "S-GW"); the caption's number ("Figure 5.3.3.2-1") still names the place
            number = CAPTION_RE.match(picture.label)
            at = _find(elements, cursor, number.group(0) if number else picture.label, False)
        if at is None and picture.paragraph >= 0 and not picture.anchor:
            at = cursor  # a DOCX picture before any text (a cover logo): the start
        if at is None:
            pages = [i for i, e in enumerate(elements) if e.page <= picture.page]
            at = max(pages[-1] + 1 if pages else len(elements), cursor)
        previous = next((e for e in reversed(elements[:at]) if isinstance(e, TextBlock)), None)
        if previous is not None:
            figure.heading_path = list(previous.heading_path)
        elements.insert(at, figure)
        cursor = at + 1
    return elements


def load_office(
    path: str | Path, figure_dir: str | Path, settings: LoadSettings | None = None
) -> Document:
    """Load a .docx/.pptx/.html/.md/.txt file (others via unstructured's auto partition)."""
    settings = settings or LoadSettings()
    path = Path(path)
    if not path.is_file():
        raise LoadError(f"{path}: no such file")
    size = path.stat().st_size
    suffix = path.suffix.lower()
    if size == 0 and suffix in (".docx", ".pptx"):
        raise LoadError(f"{path.name}: empty file (0 bytes is not a {suffix[1:].upper()} package)")
    if size > settings.max_file_mb * 1024 * 1024:
        raise LoadError(f"{path.name}: larger than {settings.max_file_mb} MB")
    if size == 0 or (suffix in _PLAIN and not path.read_bytes().strip()):
        return _empty(path)
    if suffix in (".docx", ".pptx"):
        check(path)
        with readable(path) as package:
            return _load_office(path, package, Path(figure_dir), settings)
    return _load_office(path, path, Path(figure_dir), settings)


def _load_office(path: Path, package: Path, figure_dir: Path, settings: LoadSettings) -> Document:
    """`package`: what the parsers open (`path`, or its repaired copy: ooxml.readable)."""
    suffix = path.suffix.lower()
    try:
        elements = _partition(package)
        bullets: set[str] = set()  # pptx body-placeholder paragraphs: bullets of the layout
        loose_text: list[tuple[int, str]] = []
        pictures = []
        boxes: list[tuple[str, list[str]]] = []
        toc: list[str] = []
        if suffix == ".docx":
            pictures = docx_pictures(package)
            boxes, toc = _docx_text_boxes(package), _docx_toc(package)
        elif suffix == ".pptx":
            pictures = _pptx_pictures(package, bullets, loose_text)
    except LoadError:
        raise
    except Exception as exc:  # unstructured/python-docx raise many types for bad input
        raise LoadError(
            f"{path.name}: cannot read as {suffix[1:] or 'text'}: {_first_line(exc)}"
        ) from exc
    furniture: dict[str, str] = {}
    blocks = _with_loose_text(_blocks(elements, suffix, bullets, furniture), loose_text)
    _place_text_boxes(blocks, boxes)
    for line in toc:
        furniture.setdefault(line.lower(), line)
    figures = _figures(pictures, Path(figure_dir), settings)
    if suffix == ".docx":
        try:
            figures = _bind_plantuml(package, figures)
        except Exception as exc:  # the sources stay text; the pictures stay figures
            log.warning("%s: PlantUML sources not bound: %s", path.name, _first_line(exc))
    if suffix in (".md", ".markdown"):
        markdown = path.read_text(encoding="utf-8", errors="replace")
        figures += _code_figures(code_blocks(markdown), Path(figure_dir))
    elif suffix in (".html", ".htm"):
        page = path.read_text(encoding="utf-8", errors="replace")
        figures += _code_figures([("plantuml", c) for c in html_plantuml(page)], Path(figure_dir))
    if not blocks and not figures:
        return _empty(path, list(furniture.values()))
    title = next((b.text for b in blocks if b.kind is TextKind.heading), path.stem)
    pages = max([b.page for b in blocks] + [f.page for _, f in figures] + [1])
    return Document(
        id=sha256_file(path),
        source=str(path),
        title=title,
        mime=MIME.get(suffix, "application/octet-stream"),
        page_count=pages,
        elements=_place(blocks, figures),
        metadata={"loader": "unstructured"},
        furniture=list(furniture.values()),
    )


_PLAIN = (".txt", ".md", ".markdown", ".html", ".htm")


def _empty(path: Path, furniture: list[str] | None = None) -> Document:
    """A file with no body text and no figures: a Document with no elements, which the
    pipeline reports as `empty` and does not index."""
    return Document(
        id=sha256_file(path),
        source=str(path),
        title=path.stem,
        mime=MIME.get(path.suffix.lower(), "application/octet-stream"),
        page_count=0,
        metadata={"loader": "unstructured"},
        furniture=furniture or [],
    )
