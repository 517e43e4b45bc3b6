"""Heading-aware chunks that fit the embedder's window, measured with its own tokenizer.

Text blocks under one heading path are packed greedily up to the budget; a block that is
too long on its own is split at sentence ends, and a sentence that is still too long at
word boundaries. Figures become chunks of their own that point back to the figure. A slide
deck (`slides.is_deck`) is chunked by page: a slide whose words and figures fit the window is
one chunk, a figure chunk of its main figure when it has one; a fuller slide is chunked like
any page.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from ictrag.index.slides import is_deck, main_figure, pages_of
from ictrag.model import Chunk, Document, Figure, LogicalText, TextBlock, TextKind

TokenCounter = Callable[[Sequence[str]], list[int]]

_NAMESPACE = uuid.UUID("7f1d3c52-4a8e-4d0b-9a53-2f7c1e0b6a11")
_SENTENCE_END = re.compile(r"(?<=[.!?;:])\s+(?=[A-Z0-9(\"'])")
SPECIAL_TOKENS = 2
"""[CLS] and [SEP] share the window with the text."""


def chunk_id(doc_id: str, seq: int) -> str:
    return str(uuid.uuid5(_NAMESPACE, f"{doc_id}:{seq}"))


@dataclass
class _Piece:
    text: str
    tokens: int
    page: int


@dataclass
class _Section:
    heading_path: list[str]
    pieces: list[_Piece] = field(default_factory=list)
    start: int = 1
    """Page of the section's first block."""
    bare: bool = False
    """Headings with no body under them: the pieces are those headings, with no prefix."""


def _split_words(text: str, budget: int, count: TokenCounter) -> list[str]:
    words = text.split()
    parts: list[str] = []
    start = 0
    while start < len(words):
        # Grow the window by halving search: token counts are monotone in the word count.
        low, high = start + 1, len(words)
        while low < high:
            middle = (low + high + 1) // 2
            if count([" ".join(words[start:middle])])[0] <= budget:
                low = middle
            else:
                high = middle - 1
        parts.append(" ".join(words[start:low]))
        start = low
    return parts


def _fit(text: str, page: int, budget: int, count: TokenCounter) -> list[_Piece]:
    """Split `text` into pieces of at most `budget` tokens, preferring sentence ends."""
    tokens = count([text])[0]
    if tokens <= budget:
        return [_Piece(text, tokens, page)]
    sentences = [s for s in _SENTENCE_END.split(text) if s.strip()]
    if len(sentences) == 1:
        parts = _split_words(text, budget, count)
        return [_Piece(part, n, page) for part, n in zip(parts, count(parts), strict=True)]
    pieces: list[_Piece] = []
    for sentence, n in zip(sentences, count(sentences), strict=True):
        if n <= budget:
            pieces.append(_Piece(sentence, n, page))
        else:
            pieces.extend(_fit(sentence, page, budget, count))
    return pieces


def _heading_prefix(heading_path: list[str]) -> str:
    return " > ".join(heading_path) + "\n" if heading_path else ""


def _sections(blocks: list[TextBlock], next_path: list[str] | None = None) -> list[_Section]:
    """Blocks grouped by heading path. A heading that stands in its own path is not body
    text (it is the chunk's first line). A section with nothing under it is kept as a
    heading-only chunk unless the section that follows (`next_path` after the last one)
    carries its headings in its own prefix: a one-heading file still yields a chunk."""
    sections: list[_Section] = []
    for block in blocks:
        if not sections or block.heading_path != sections[-1].heading_path:
            sections.append(_Section(list(block.heading_path), start=block.page))
        if block.kind == TextKind.heading and block.text in block.heading_path:
            continue
        sections[-1].pieces.append(_Piece(block.text, 0, block.page))
    kept: list[_Section] = []
    for i, section in enumerate(sections):
        following = sections[i + 1].heading_path if i + 1 < len(sections) else next_path
        depth = len(section.heading_path)
        if section.pieces:
            kept.append(section)
        elif depth and not (following and following[:depth] == section.heading_path):
            # Runs of bare headings (slide labels, a heading-only file) share one chunk.
            if not (kept and kept[-1].bare):
                kept.append(_Section(section.heading_path, bare=True))
            kept[-1].pieces.append(_Piece(" > ".join(section.heading_path), 0, section.start))
    return kept


def _pack(section: _Section, room: int, count: TokenCounter) -> list[tuple[str, list[int]]]:
    prefix = "" if section.bare else _heading_prefix(section.heading_path)
    room = max(room - (count([prefix])[0] if prefix else 0), room // 2)
    pieces: list[_Piece] = []
    for piece in section.pieces:
        pieces.extend(_fit(piece.text, piece.page, room, count))
    chunks: list[tuple[str, list[int]]] = []
    current: list[_Piece] = []
    used = 0
    for piece in pieces:
        if current and used + piece.tokens > room:
            chunks.append(_join(prefix, current))
            current, used = [], 0
        current.append(piece)
        used += piece.tokens
    if current:
        chunks.append(_join(prefix, current))
    return chunks


def _join(prefix: str, pieces: list[_Piece]) -> tuple[str, list[int]]:
    pages = sorted({piece.page for piece in pieces})
    return prefix + "\n".join(piece.text for piece in pieces), pages


def figure_texts(figure: Figure) -> list[str]:
    """A figure with recovered structure is two chunks: its own words (label, the text in
    it, context) and what it means (label, logical text). A wrong parse then never hides
    the words, and a right one states the answer in one line."""
    logical = figure.logical
    if logical is None or not logical.relations:
        return [figure_text(figure)]
    label = [figure.label] if figure.label else []
    words = [*label, figure.inner_text]
    if figure.context:
        words.append(f"Context: {figure.context}")
    meaning = [*label, _embedded_form(logical)]
    return ["\n".join(p for p in words if p.strip()), "\n".join(p for p in meaning if p.strip())]


def figure_text(figure: Figure, context: bool = True) -> str:
    """What a figure chunk says: its label, its logical text, the figure's own text that the
    logical text left out, and its context (left out where the context is beside it, as in
    a slide's unit)."""
    parts = [figure.label] if figure.label else []
    if figure.logical is not None:
        logical = _embedded_form(figure.logical)
        parts.append(logical)
        leftover = uncovered_lines(figure.inner_text, logical)
        if leftover:
            parts.append("Text in figure: " + " | ".join(leftover))
    elif figure.inner_text:
        parts.append(figure.inner_text)
    if context and figure.context and not any(figure.context[:80] in part for part in parts):
        parts.append(f"Context: {figure.context}")
    return "\n".join(part for part in parts if part.strip())


def _embedded_form(logical: LogicalText) -> str:
    """The logical text without the Mermaid code, and without the components that the
    relations already name (a component line restating them costs embedding time only)."""
    named = {end for r in logical.relations for end in (r.source, r.target)}
    components = [c for c in logical.components if c not in named]
    return logical.model_copy(update={"components": components}).to_text(mermaid=False)


_WORD = re.compile(r"\w[\w./:-]*", re.UNICODE)


def uncovered_lines(inner_text: str, covered: str) -> list[str]:
    """Lines of a figure's own text that the logical text does not contain as a phrase. A
    structural parse keeps what it could place in the graph; the rest (legends, notes,
    labels it split or could not attach) is still what someone may search for."""
    known = " " + " ".join(_WORD.findall(covered.lower())) + " "
    seen: set[str] = set()
    lines = []
    for line in inner_text.splitlines():
        line = line.strip()
        phrase = " ".join(_WORD.findall(line.lower()))
        if phrase and f" {phrase} " not in known and line not in seen:
            seen.add(line)
            lines.append(line)
    return lines


def _enforce(text: str, budget: int, count: TokenCounter) -> list[str]:
    """Last line of defence: nothing leaves the chunker longer than the window. An
    over-long text is cut at sentence ends and the pieces re-packed."""
    if count([text])[0] <= budget:
        return [text]
    parts: list[str] = []
    current: list[str] = []
    used = 0
    for piece in _fit(text, 0, budget, count):
        if current and used + piece.tokens > budget:
            parts.append(" ".join(current))
            current, used = [], 0
        current.append(piece.text)
        used += piece.tokens
    if current:
        parts.append(" ".join(current))
    return parts


def chunk_document(document: Document, count_tokens: TokenCounter, max_tokens: int) -> list[Chunk]:
    """Chunks in reading order. `count_tokens` counts content tokens with the embedder's
    tokenizer (no special tokens); `max_tokens` is the embedder's window."""
    budget = max_tokens - SPECIAL_TOKENS
    chunks: list[Chunk] = []

    def add(kind: str, text: str, pages: list[int], heading_path: list[str], **extra) -> None:
        for part in _enforce(text, budget, count_tokens):
            seq = len(chunks)
            chunks.append(
                Chunk(
                    id=chunk_id(document.id, seq),
                    doc_id=document.id,
                    kind=kind,
                    text=part,
                    pages=pages,
                    heading_path=heading_path,
                    source=document.source,
                    title=document.title,
                    seq=seq,
                    **extra,
                )
            )

    pending: list[TextBlock] = []

    def flush(next_path: list[str] | None = None) -> None:
        for section in _sections(pending, next_path):
            for text, pages in _pack(section, budget, count_tokens):
                add("text", text, pages, section.heading_path)
        pending.clear()

    def add_figure(figure: Figure, texts: list[str]) -> None:
        for text in texts:
            if text.strip():
                add("figure", _heading_prefix(figure.heading_path) + text, [figure.page], list(figure.heading_path),
                    **_figure_fields(figure))  # fmt: skip

    def run(elements: list) -> None:
        for element in elements:
            if isinstance(element, TextBlock):
                pending.append(element)
                continue
            flush(element.heading_path)
            add_figure(element, figure_texts(element))
        flush()

    if not is_deck(document):
        run(document.elements)
        return chunks
    for page, elements in pages_of(document.elements).items():
        text = unit_text(elements)
        if not text or count_tokens([text])[0] > budget:
            run(elements)  # a slide too full for one chunk reads like any page
            continue
        main = main_figure(elements)
        heading = list(elements[0].heading_path)
        if main is None:
            add("text", text, [page], heading)
            continue
        add("figure", text, [page], heading, **_figure_fields(main))
        for other in elements:
            if isinstance(other, Figure) and other is not main:
                add_figure(other, figure_texts(other))
    return chunks


def _figure_fields(figure: Figure) -> dict:
    logical = figure.logical
    return {
        "figure_id": figure.id,
        "figure_type": logical.figure_type.value if logical else None,
        "figure_label": figure.label or None,
        "image_path": figure.image_path,
        "mermaid": logical.mermaid if logical else None,
        "bbox": figure.bbox,
    }


def unit_text(elements: list) -> str:
    """One slide as one text: its blocks in reading order, each figure as `figure_text`
    (label, meaning, the figure's words the meaning leaves out) where it stands."""
    parts = []
    for element in elements:
        text = element.text if isinstance(element, TextBlock) else figure_text(element, context=False)
        if text.strip():
            parts.append(text.strip())
    return "\n".join(parts)
