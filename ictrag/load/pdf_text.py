"""Text side of the PDF loader: lines, repeated headers/footers, blocks, headings, tables.

Plain dataclasses and functions over pymupdf output; pdf.py assembles them into a Document.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field

import pymupdf

from ictrag.model import BBox, TextKind

MARGIN = 0.08
"""Top/bottom fraction of the page where running headers and footers live."""

CAPTION_RE = re.compile(r"^(Figure|Fig\.?|Table)\s*[A-Z]?\d+([-.]\d+)*", re.IGNORECASE)
_PAGE_NO_RE = re.compile(r"^(page\s*)?(\d{1,4}|[ivxlc]{1,6})(\s*(of|/)\s*\d{1,4})?$", re.IGNORECASE)
_BULLET_RE = re.compile(
    r"^([\u2022\u00b7\u25aa\u25cf\u25a0\u25e6\u2013\u2014\u2212\-\*\u27a2\uf0b7\uf0a7]|\(?[0-9a-z]{1,2}[.)])\s"
)
_MONO_FONT_RE = re.compile(r"mono|courier|consol|menlo|code", re.IGNORECASE)


@dataclass
class Line:
    text: str
    bbox: BBox
    size: float
    bold: bool
    mono: bool
    block: int
    chars: int


@dataclass
class PageText:
    number: int
    """1-based."""
    width: float
    height: float
    lines: list[Line]


@dataclass
class Block:
    lines: list[Line]
    bbox: BBox
    text: str
    size: float
    bold: bool
    mono: bool
    kind: TextKind = TextKind.paragraph
    level: int | None = None
    extra: dict = field(default_factory=dict)


# Ligatures expanded ("ﬁ" → "fi"): a word typeset with one must still match its query.
TEXT_FLAGS = pymupdf.TEXTFLAGS_TEXT & ~pymupdf.TEXT_PRESERVE_LIGATURES


def read_lines(page: pymupdf.Page, textpage: pymupdf.TextPage | None = None) -> PageText:
    """Every non-empty text line of the page with its dominant font traits."""
    raw = page.get_text("dict", flags=TEXT_FLAGS, textpage=textpage)
    lines = []
    for block in raw["blocks"]:
        for line in block.get("lines", []):
            spans = [span for span in line["spans"] if span["text"].strip()]
            if not spans:
                continue
            # symbol-font bullets without a Unicode mapping come out as NUL
            text = "".join(span["text"] for span in line["spans"]).replace("\x00", "\u2022").strip()
            weights = Counter()
            bold = mono = 0
            for span in spans:
                n = len(span["text"].strip())
                weights[round(span["size"] * 2) / 2] += n
                if span["flags"] & 16 or "bold" in span["font"].lower():
                    bold += n
                if span["flags"] & 8 or _MONO_FONT_RE.search(span["font"]):
                    mono += n
            chars = sum(weights.values())
            lines.append(
                Line(
                    text=text,
                    bbox=tuple(line["bbox"]),
                    size=weights.most_common(1)[0][0],
                    bold=bold >= 0.8 * chars,
                    mono=mono >= 0.8 * chars,
                    block=block["number"],
                    chars=chars,
                )
            )
    return PageText(page.number + 1, page.rect.width, page.rect.height, lines)


def _normalise(text: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"\d+", "#", text.lower())).strip()


def _in_margin(line: Line, height: float) -> bool:
    center = (line.bbox[1] + line.bbox[3]) / 2
    return center <= height * MARGIN or center >= height * (1 - MARGIN)


def drop_headers_footers(pages: list[PageText]) -> list[str]:
    """Remove running headers/footers and page numbers in place; returns the removed lines,
    once per digit-blind text, in order of first appearance (the document's furniture).

    A margin line is a header when its digit-blind text repeats on at least half the
    pages (3+ pages). Lines sharing a row with confirmed headers (e.g. a chapter title
    beside the product name) go too, so do lone page numbers in the margins.
    """
    seen: dict[str, set[int]] = defaultdict(set)
    for page in pages:
        for line in page.lines:
            if _in_margin(line, page.height):
                seen[_normalise(line.text)].add(page.number)
    repeated = set()
    if len(pages) >= 3:
        repeated = {text for text, nums in seen.items() if len(nums) >= 0.5 * len(pages)}
    header_rows: Counter[tuple[int, bool]] = Counter()
    for page in pages:
        rows = {
            (round(line.bbox[1] / 3), line.bbox[1] < page.height / 2)
            for line in page.lines
            if _in_margin(line, page.height) and _normalise(line.text) in repeated
        }
        header_rows.update(rows)
    rows_kept = {row for row, n in header_rows.items() if n >= 0.5 * len(pages)}
    removed: dict[str, str] = {}
    for page in pages:
        kept = []
        for line in page.lines:
            if _in_margin(line, page.height) and (
                _normalise(line.text) in repeated
                or _PAGE_NO_RE.match(line.text)
                or (round(line.bbox[1] / 3), line.bbox[1] < page.height / 2) in rows_kept
            ):
                removed.setdefault(_normalise(line.text), line.text)
                continue
            kept.append(line)
        page.lines = kept
    return list(removed.values())


def furniture_key(text: str) -> str:
    """The digit-blind form under which furniture lines are kept once."""
    return _normalise(text)


def _union(boxes: list[BBox]) -> BBox:
    return (
        min(b[0] for b in boxes),
        min(b[1] for b in boxes),
        max(b[2] for b in boxes),
        max(b[3] for b in boxes),
    )


def build_blocks(lines: list[Line]) -> list[Block]:
    """Group lines into blocks (pymupdf's block numbers), joining same-row pieces."""
    groups: dict[int, list[Line]] = defaultdict(list)
    for line in lines:
        groups[line.block].append(line)
    blocks = []
    for group in groups.values():
        group.sort(key=lambda ln: (round(ln.bbox[1]), ln.bbox[0]))
        mono = all(line.mono for line in group)
        rows: list[list[Line]] = []
        for line in group:
            if rows and line.bbox[1] < rows[-1][-1].bbox[3] - 0.5 * (line.bbox[3] - line.bbox[1]):
                rows[-1].append(line)
            else:
                rows.append([line])
        row_texts = [
            " ".join(ln.text for ln in sorted(row, key=lambda ln: ln.bbox[0])) for row in rows
        ]
        text = "\n".join(row_texts) if mono else _join_rows(row_texts)
        weights: Counter[float] = Counter()
        for line in group:
            weights[line.size] += line.chars
        chars = sum(line.chars for line in group)
        blocks.append(
            Block(
                lines=group,
                bbox=_union([line.bbox for line in group]),
                text=text,
                size=weights.most_common(1)[0][0],
                bold=sum(line.chars for line in group if line.bold) >= 0.8 * chars,
                mono=mono,
            )
        )
    return blocks


def _join_rows(rows: list[str]) -> str:
    text = ""
    for row in rows:
        if text.endswith("-") and len(text) > 1 and text[-2].isalpha() and row[:1].islower():
            text = text[:-1] + row
        else:
            text = f"{text} {row}" if text else row
    return text


def classify(block: Block) -> None:
    if block.mono and len(block.text) > 3:
        block.kind = TextKind.code
    elif _BULLET_RE.match(block.text):
        block.kind = TextKind.list


def _heading_like(block: Block, body: float) -> bool:
    text = block.text
    if len(text) > 120 or len(block.lines) > 3 or not any(ch.isalpha() for ch in text):
        return False
    if CAPTION_RE.match(text) or block.kind != TextKind.paragraph:
        return False
    if text.endswith((".", ",", ";", ":")) and not re.match(r"^[\d.]+\s", text):
        return False
    if block.size >= body * 1.15:
        return True
    return block.bold and block.size >= body - 0.25 and len(text) <= 80


def font_levels(candidates: list[Block], body: float) -> dict[tuple[float, bool], int]:
    """Heading level per (size, bold) style: bigger first, bold before plain."""
    styles = sorted({(b.size, b.bold) for b in candidates}, key=lambda s: (-s[0], not s[1]))
    return {style: min(i + 1, 6) for i, style in enumerate(styles)}


_ENUMERATOR_RE = re.compile(r"^([ivxlcdm]+|\d+(\.\d+)*|[a-z])[.)]?\s+")


def _norm_title(text: str) -> str:
    """Outline titles and printed headings differ in case and numbering ("I. INTRODUCTION")."""
    text = re.sub(r"[^\w.)]+", " ", text.lower()).strip()
    return re.sub(r"[\W_]+", " ", _ENUMERATOR_RE.sub("", text)).strip()


def mark_headings(page_blocks: dict[int, list[Block]], toc: list[list], body: float) -> None:
    """Set kind=heading and level on blocks: outline entries first, fonts for the rest.

    With an outline, font-detected headings only count when smaller than the outline's
    headings on the page (they are sub-sections the outline leaves out).
    """
    toc_sizes: list[float] = []
    max_toc_level = 0
    for level, title, page_no, *_ in toc:
        want = _norm_title(title)
        if not want:
            continue
        for block in page_blocks.get(page_no, []):
            got = _norm_title(block.text)
            if block.kind == TextKind.heading or not got or len(block.text) > 200:
                continue
            if got == want or (len(got) >= 4 and (got.startswith(want) or want.startswith(got))):
                block.kind, block.level = TextKind.heading, level
                toc_sizes.append(block.size)
                max_toc_level = max(max_toc_level, level)
                break
    candidates = [
        b
        for blocks in page_blocks.values()
        for b in blocks
        if b.kind == TextKind.paragraph and _heading_like(b, body)
    ]
    if toc_sizes:
        ceiling = min(toc_sizes)
        candidates = [
            b for b in candidates if b.size < ceiling or (b.size == ceiling and not b.bold)
        ]
    levels = font_levels(candidates, body)
    for block in candidates:
        block.kind = TextKind.heading
        block.level = min(max_toc_level + levels[(block.size, block.bold)], 6)


def reading_order(items: list, bbox_of, width: float) -> list:
    """Sort page items in reading order; two columns are read left then right between
    full-width items (a simple heuristic that suits papers and most manuals)."""
    mid = width / 2
    slack = width * 0.03
    left = [it for it in items if bbox_of(it)[2] <= mid + slack]
    right = [it for it in items if bbox_of(it)[0] >= mid - slack and bbox_of(it)[2] > mid + slack]
    if len(left) < 2 or len(right) < 2:
        return sorted(items, key=lambda it: (round(bbox_of(it)[1] / 3), bbox_of(it)[0]))
    in_cols = {id(it) for it in left + right}
    spanning = sorted((it for it in items if id(it) not in in_cols), key=lambda it: bbox_of(it)[1])
    ordered: list = []
    top = -1.0
    for sep in [*spanning, None]:
        bottom = bbox_of(sep)[1] if sep is not None else float("inf")
        for column in (left, right):
            part = [it for it in column if top <= bbox_of(it)[1] < bottom]
            ordered.extend(sorted(part, key=lambda it: bbox_of(it)[1]))
        if sep is not None:
            ordered.append(sep)
            top = bbox_of(sep)[1]
    leftovers = [it for it in items if not any(it is o for o in ordered)]
    return ordered + sorted(leftovers, key=lambda it: bbox_of(it)[1])
