"""Shapes shared by the agent interfaces: a figure as JSON, a page as text with figure
placeholders, and the checks that keep user-given ids and names out of the file system."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from ictrag.model import Document, Element, Figure, TextBlock, TextKind

FIGURE_ID = re.compile(r"^[0-9a-f]{8,64}$")
"""A figure id or a unique prefix of one (sha256 hex): the only thing a URL may name."""


class InterfaceError(ValueError):
    """Bad input to an interface; the message is one line meant for the caller."""


def clean_figure_id(raw: str) -> str:
    """Lower-case hex, 8-64 chars; an agent that copied a trailing ellipsis is forgiven."""
    value = raw.strip().rstrip("….").lower()
    if not FIGURE_ID.match(value):
        raise InterfaceError("figure id must be 8-64 hex characters")
    return value


def figure_image(figure: Figure, index_dir: Path) -> Path | None:
    """The figure's PNG, only when it lies inside the index folder."""
    root = index_dir.resolve()
    candidates = [index_dir / "figures" / f"{figure.id}.png"]
    if figure.image_path:
        candidates.append(Path(figure.image_path))
    for candidate in candidates:
        resolved = candidate.resolve()
        if resolved.is_file() and resolved.is_relative_to(root):
            return resolved
    return None


def figure_view(figure: Figure, document: Document, also_in: list | None = None) -> dict[str, Any]:
    """Everything an agent needs to reason about one figure, without the pixels: `graph` is
    its structure (`ictrag figure --json`); `also_in`, the other documents holding the same
    image (FigureEntry rows)."""
    from ictrag.figures.query import figure_graph, ref_of

    logical = figure.logical
    return {
        "id": figure.id,
        "label": figure.label,
        "type": logical.figure_type.value if logical else None,
        "doc": document.title or Path(document.source).name,
        "doc_id": document.id,
        "path": document.source,
        "page": figure.page,
        "heading": " > ".join(figure.heading_path),
        "origin": figure.origin,
        "logical_text": logical.to_text() if logical else None,
        "summary": logical.summary if logical else None,
        "components": logical.components if logical else [],
        "relations": [r.to_line() for r in logical.relations] if logical else [],
        "mermaid": logical.mermaid if logical else None,
        "confidence": logical.confidence if logical else None,
        "backend": logical.backend if logical else None,
        "inner_text": figure.inner_text,
        "context": figure.context,
        "graph": figure_graph(figure, ref_of(figure, document)).model_dump(mode="json"),
        "also_in": [entry.model_dump() for entry in also_in or [] if entry.doc_id != document.id],
    }


def without_repeated_captions(elements: list[Element]) -> list[Element]:
    """Drop a caption block that only repeats the label of the figure beside it: the
    figure's placeholder (or inline tag) already carries the label."""
    out: list[Element] = []
    for index, element in enumerate(elements):
        if isinstance(element, TextBlock) and element.kind == TextKind.caption:
            neighbours = elements[max(0, index - 1) : index] + elements[index + 1 : index + 2]
            text = " ".join(element.text.split())
            if any(isinstance(n, Figure) and n.label and text == n.label for n in neighbours):
                continue
        out.append(element)
    return out


def figure_placeholder(figure: Figure) -> str:
    label = figure.label or "Unlabelled figure"
    return f"[{label} — figure id {figure.id[:16]}; call get_figure]"


def page_text(elements: list[Element]) -> str:
    """A page in reading order; each figure is a one-line placeholder naming its id."""
    parts = []
    for element in without_repeated_captions(elements):
        if isinstance(element, Figure):
            parts.append(figure_placeholder(element))
        elif element.text.strip():
            parts.append(element.text.strip())
    return "\n\n".join(parts)
