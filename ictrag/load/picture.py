"""A picture or drawing found in an Office file, before it becomes a Figure."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ictrag.load.drawingml import Drawing

CAPTION_RE = re.compile(r"^\s*(figure|fig\.|图)\s*[\dA-Z][\w.\-]*", re.IGNORECASE)


@dataclass
class Picture:
    data: bytes
    page: int
    anchor: str
    """Text of the block just before the picture, where it is inserted; '' = end of page."""
    label: str
    context: str
    embedded: str = ""
    """The suffix of an embedded drawing (".vsdx", ".vsd") that `data` holds; '' = an image."""
    drawing: Drawing | None = None
    """A native drawing (slide shapes and connectors) read as cells; `data` is then empty."""
    paragraph: int = -1
    """DOCX: the position of the paragraph holding the picture (docx_plantuml numbering)."""
