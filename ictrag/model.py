"""The typed centre of ictrag: documents, figures, logical text, chunks and hits.

Everything that crosses a module boundary is one of these pydantic models; code
inside a module is free to use plain data.
"""

from __future__ import annotations

import hashlib
from enum import Enum
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, PrivateAttr

BBox = tuple[float, float, float, float]
"""x0, y0, x1, y1 in PDF points (72 per inch), origin top-left of the page."""


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: str | Path, chunk_size: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(chunk_size):
            digest.update(block)
    return digest.hexdigest()


class FigureType(str, Enum):
    flowchart = "flowchart"
    sequence = "sequence"
    topology = "topology"
    architecture = "architecture"
    state = "state"
    packet = "packet"
    table = "table"
    chart = "chart"
    screenshot = "screenshot"
    photo = "photo"
    other = "other"


class Relation(BaseModel):
    """One detailed relation of a figure: an edge, a message or a step."""

    source: str
    target: str
    label: str = ""
    kind: Literal["edge", "message", "step", "contains", "field"] = "edge"
    directed: bool = True
    source_label: str | None = None
    """Text printed at the source end of a link (interface name, host part, port)."""
    target_label: str | None = None
    """Text printed at the target end of a link."""

    def to_line(self) -> str:
        if self.kind == "contains":  # membership, not a connection: no arrow
            return f"{self.source} contains {self.target}"
        arrow = "->" if self.directed else "--"
        label = f" [{self.label}]" if self.label else ""
        return f"{self.source} {arrow} {self.target}{label}"


class LogicalText(BaseModel):
    """What a figure means, in the global / partial / detailed form of the paper."""

    figure_type: FigureType = FigureType.other
    summary: str = ""
    components: list[str] = Field(default_factory=list)
    relations: list[Relation] = Field(default_factory=list)
    mermaid: str | None = None
    backend: str = ""
    model: str = ""
    confidence: float = 0.0
    ungrounded: list[str] = Field(default_factory=list)

    def to_text(self, mermaid: bool = True) -> str:
        """The canonical text that is exported; `mermaid=False` is the form that is
        embedded (the code restates the relations, and its node ids are noise to BM25)."""
        lines = [f"Figure type: {self.figure_type.value}"]
        if self.summary:
            lines.append(f"Summary: {self.summary}")
        if self.components:
            lines.append("Components: " + "; ".join(self.components))
        if self.relations:
            lines.append("Relations:")
            lines.extend(f"- {relation.to_line()}" for relation in self.relations)
        if self.mermaid and mermaid:
            lines.append("Mermaid:")
            lines.append(self.mermaid.strip())
        return "\n".join(lines)


class TextKind(str, Enum):
    heading = "heading"
    paragraph = "paragraph"
    list = "list"
    table = "table"
    code = "code"
    caption = "caption"


class TextBlock(BaseModel):
    type: Literal["text"] = "text"
    text: str
    page: int = 1
    bbox: BBox | None = None
    kind: TextKind = TextKind.paragraph
    heading_path: list[str] = Field(default_factory=list)
    level: int | None = None
    """Heading level (1 = top) when kind is heading."""


class SourceCell(BaseModel):
    """One cell of a drawing whose file states its structure (a draw.io mxCell)."""

    id: str
    kind: Literal["vertex", "edge"]
    label: str = ""
    style: dict[str, str] = Field(default_factory=dict)
    parent: str | None = None
    bbox: BBox | None = None
    """Absolute, in the drawing's units (parents' offsets applied)."""
    source: str | None = None
    target: str | None = None
    """Glued ends of an edge (cell ids)."""
    source_point: tuple[float, float] | None = None
    target_point: tuple[float, float] | None = None
    """Free ends of an edge that is not glued."""
    offset: float | None = None
    """A label cell on an edge: its place along the edge, -1 (source end) to 1 (target end)."""


class DiagramSource(BaseModel):
    """A figure's structure as its file states it, for an exact reading."""

    format: Literal["drawio", "graphviz", "mermaid", "drawingml", "plantuml", "mscgen"]
    cells: list[SourceCell] = Field(default_factory=list)
    """draw.io: the page's cells; Graphviz: its nodes, clusters and edges as laid out by dot;
    DrawingML (PowerPoint slides, Word drawings): shapes, connectors and their labels."""
    text: str = ""
    """Mermaid and PlantUML: the diagram's code."""


class Figure(BaseModel):
    type: Literal["figure"] = "figure"
    id: str
    """sha256 of the rendered PNG."""
    page: int = 1
    bbox: BBox | None = None
    origin: Literal["raster", "vector"] = "raster"
    image_path: str | None = None
    """The PNG under the index's figure folder (or a temp folder before indexing)."""
    label: str = ""
    context: str = ""
    inner_text: str = ""
    heading_path: list[str] = Field(default_factory=list)
    references: list[int] = Field(default_factory=list)
    """Pages whose body text says "see Figure N-M" for this figure's label."""
    logical: LogicalText | None = None
    source: DiagramSource | None = None
    """The drawing's stated structure (cells, glued connectors), when the file has it."""
    _vector: Any = PrivateAttr(default=None)

    @property
    def vector(self) -> Any:
        """The figure region's drawings and text spans (figures.base.VectorContent), when
        the source had vectors. Not serialised: it lives only between load and caption."""
        return self._vector

    def drop_vector(self) -> None:
        """Free the drawing once captioned (it is large and nothing after captioning reads it)."""
        self._vector = None


Element = Annotated[TextBlock | Figure, Field(discriminator="type")]


class Document(BaseModel):
    id: str
    """sha256 of the file's bytes."""
    source: str
    title: str = ""
    mime: str = ""
    page_count: int = 0
    elements: list[Element] = Field(default_factory=list)
    metadata: dict[str, str] = Field(default_factory=dict)
    furniture: list[str] = Field(default_factory=list)
    """Running headers, footers and page numbers, once each (digit-blind): kept here rather
    than repeated in every chunk."""

    @property
    def figures(self) -> list[Figure]:
        return [element for element in self.elements if isinstance(element, Figure)]

    @property
    def text_blocks(self) -> list[TextBlock]:
        return [element for element in self.elements if isinstance(element, TextBlock)]


class Chunk(BaseModel):
    id: str
    doc_id: str
    kind: Literal["text", "figure"]
    text: str
    pages: list[int] = Field(default_factory=list)
    heading_path: list[str] = Field(default_factory=list)
    figure_id: str | None = None
    figure_type: str | None = None
    figure_label: str | None = None
    image_path: str | None = None
    mermaid: str | None = None
    bbox: BBox | None = None
    source: str = ""
    title: str = ""
    seq: int = 0
    """Position of the chunk inside its document, for reading order."""


class Hit(BaseModel):
    rank: int
    score: float
    chunk: Chunk
    """The best-scoring chunk; for a figure, the one of its chunks that ranked highest."""
    matched: list[Chunk] = Field(default_factory=list)
    """The figure's other chunks that were among the candidates, best first (search fuses
    the chunks of one figure into one hit). Empty for text hits."""

    @property
    def texts(self) -> list[str]:
        """The chunk's text, then the texts of the other matched chunks of the figure."""
        return [self.chunk.text, *(chunk.text for chunk in self.matched)]

    @property
    def text(self) -> str:
        """All the hit's texts as one, best first, separated by a blank line; the heading
        line that every chunk of a figure starts with is kept once."""
        prefix = " > ".join(self.chunk.heading_path) + "\n" if self.chunk.heading_path else ""
        rest = [t[len(prefix) :] if prefix and t.startswith(prefix) else t for t in self.texts[1:]]
        return "\n\n".join([self.chunk.text, *rest])

    def to_json(self) -> dict:
        """The shape of `ictrag query --json` (DESIGN.md, CLI contract)."""
        chunk = self.chunk
        figure = None
        if chunk.kind == "figure":
            figure = {
                "id": chunk.figure_id,
                "type": chunk.figure_type,
                "label": chunk.figure_label,
                "image": chunk.image_path,
                "mermaid": chunk.mermaid,
            }
        return {
            "rank": self.rank,
            "score": self.score,
            "kind": chunk.kind,
            "doc": chunk.title or Path(chunk.source).name,
            "doc_id": chunk.doc_id,
            "path": chunk.source,
            "page": chunk.pages[0] if chunk.pages else None,
            "heading": " > ".join(chunk.heading_path),
            "text": self.text,
            "texts": self.texts,
            "figure": figure,
        }
