"""Diagram source code as figures: a Mermaid file (.mmd, .mermaid) or a ```mermaid block of
a Markdown file is a figure whose structure its code states exactly (`Figure.source`).

Such a figure has no picture (`image_path` None) and its id is the sha256 of its code.
"""

from __future__ import annotations

import re
from pathlib import Path

from ictrag.model import DiagramSource, Document, Figure, sha256_bytes

_FENCE = re.compile(
    r"^(?P<fence>`{3,}|~{3,})[ \t]*mermaid[ \t]*\n(?P<code>.*?)^(?P=fence)[ \t]*$", re.M | re.S
)


def mermaid_blocks(text: str) -> list[str]:
    """The code of every fenced ```mermaid block, in order."""
    return [m.group("code").strip("\n") for m in _FENCE.finditer(text) if m.group("code").strip()]


def code_figure(code: str, label: str, page: int = 1, context: str = "") -> Figure:
    return Figure(
        id=sha256_bytes(code.encode("utf-8")),
        page=page,
        origin="vector",
        label=label,
        context=context,
        source=DiagramSource(format="mermaid", text=code),
    )


def load_mermaid(path: str | Path) -> Document:
    path = Path(path)
    data = path.read_bytes()
    code = data.decode("utf-8", errors="replace").strip()
    figures = [code_figure(code, path.stem)] if code else []
    return Document(
        id=sha256_bytes(data), source=str(path), title=path.stem, mime="text/vnd.mermaid",
        page_count=1 if figures else 0, elements=figures, metadata={"loader": "mermaid"},
    )  # fmt: skip
