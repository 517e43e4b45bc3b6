"""A draw.io file (.drawio, plain or with deflate+base64 pages) -> a Document with one Figure
per non-empty page. The cells (shapes, glued connectors, their labels) go to the figure as
its stated structure (`Figure.source`); a PNG drawn from their geometry is its image.

The XML is parsed with entity expansion and network access off.
"""

from __future__ import annotations

import base64
import html
import re
import urllib.parse
import zlib
from pathlib import Path

from lxml import etree

from ictrag.config import LoadSettings
from ictrag.load.errors import LoadError
from ictrag.load.render import draw_cells, save_image
from ictrag.model import DiagramSource, Document, Figure, SourceCell, sha256_bytes

_PARSER = etree.XMLParser(
    resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, remove_comments=True
)
_TAG = re.compile(r"<[^>]+>")
_BREAK = re.compile(r"<\s*(br|/div|/p|/li)\b[^>]*>", re.IGNORECASE)


def plain_label(value: str) -> str:
    """A cell's value as one line of text: HTML labels lose their tags, breaks become spaces."""
    text = _TAG.sub("", _BREAK.sub("\n", value or ""))
    return " ".join(html.unescape(text).split())


def parse_style(style: str) -> dict[str, str]:
    """`rounded=0;whiteSpace=wrap;ellipse;` -> {"rounded": "0", "whiteSpace": "wrap", "ellipse": ""}."""
    out: dict[str, str] = {}
    for item in (style or "").split(";"):
        if item.strip():
            key, _, value = item.partition("=")
            out[key.strip()] = value.strip()
    return out


def _page_model(diagram: etree._Element) -> etree._Element | None:
    model = diagram.find("mxGraphModel")
    if model is not None:
        return model
    data = (diagram.text or "").strip()
    if not data:
        return None
    try:
        inflated = zlib.decompress(base64.b64decode(data), -15).decode("utf-8")
        return etree.fromstring(urllib.parse.unquote(inflated).encode("utf-8"), _PARSER)
    except (ValueError, zlib.error, etree.XMLSyntaxError) as exc:
        raise LoadError(f"a compressed draw.io page does not decode: {exc}") from exc


def _cells(model: etree._Element) -> list[tuple[etree._Element, str, str]]:
    """(mxCell, id, label) per cell; `object`/`UserObject` wrappers carry id and label."""
    out = []
    root = model.find("root")
    for element in root if root is not None else []:
        if element.tag == "mxCell":
            out.append((element, element.get("id", ""), element.get("value", "")))
        elif element.tag in ("object", "UserObject"):
            cell = element.find("mxCell")
            if cell is not None:
                label = element.get("label", element.get("value", ""))
                out.append((cell, element.get("id", ""), label))
    return out


def _point(element: etree._Element | None) -> tuple[float, float] | None:
    if element is None:
        return None
    return float(element.get("x", 0)), float(element.get("y", 0))


def page_cells(model: etree._Element) -> list[SourceCell]:
    """The page's vertices and edges with absolute boxes (a child's geometry is relative
    to its parent vertex)."""
    raw = _cells(model)
    by_id = {cell_id: (cell, label) for cell, cell_id, label in raw}
    origin: dict[str, tuple[float, float]] = {}

    def offset(cell_id: str | None, depth: int = 0) -> tuple[float, float]:
        if not cell_id or cell_id not in by_id or depth > 50:
            return 0.0, 0.0
        if cell_id not in origin:
            cell = by_id[cell_id][0]
            geometry = cell.find("mxGeometry")
            if cell.get("vertex") != "1" or geometry is None:
                origin[cell_id] = (0.0, 0.0)
            else:
                px, py = offset(cell.get("parent"), depth + 1)
                origin[cell_id] = (
                    px + float(geometry.get("x", 0)),
                    py + float(geometry.get("y", 0)),
                )
        return origin[cell_id]

    cells: list[SourceCell] = []
    for cell, cell_id, label in raw:
        kind = (
            "vertex" if cell.get("vertex") == "1" else "edge" if cell.get("edge") == "1" else None
        )
        if kind is None:
            continue
        geometry = cell.find("mxGeometry")
        parent = cell.get("parent")
        entry = SourceCell(
            id=cell_id, kind=kind, label=plain_label(label),
            style=parse_style(cell.get("style", "")), parent=parent,
        )  # fmt: skip
        parent_is_edge = parent in by_id and by_id[parent][0].get("edge") == "1"
        if kind == "vertex" and geometry is not None and parent_is_edge:
            entry.offset = float(geometry.get("x", 0))  # relative=1: -1 .. 1 along the edge
        elif kind == "vertex" and geometry is not None:
            x, y = offset(cell_id)
            width, height = float(geometry.get("width", 0)), float(geometry.get("height", 0))
            entry.bbox = (x, y, x + width, y + height)
        if kind == "edge":
            entry.source, entry.target = cell.get("source"), cell.get("target")
            if geometry is not None:
                px, py = offset(parent)
                for name in ("sourcePoint", "targetPoint"):
                    point = _point(geometry.find(f"mxPoint[@as='{name}']"))
                    if point is not None:
                        setattr(
                            entry, name.replace("Point", "_point"), (px + point[0], py + point[1])
                        )
        cells.append(entry)
    return cells


def load_drawio(
    path: str | Path, figure_dir: str | Path, settings: LoadSettings | None = None
) -> Document:
    path = Path(path)
    data = path.read_bytes()
    try:
        root = etree.fromstring(data, _PARSER)
    except etree.XMLSyntaxError as exc:
        raise LoadError(f"not a readable draw.io file: {exc}") from exc
    if root.tag == "mxGraphModel":
        pages = [("", root)]
    elif root.tag == "mxfile":
        pages = [(d.get("name", ""), _page_model(d)) for d in root.iter("diagram")]
    else:
        raise LoadError(f"not a draw.io file: the root element is <{root.tag}>")
    figures = []
    for number, (name, model) in enumerate(pages, start=1):
        cells = page_cells(model) if model is not None else []
        if not any(cell.kind == "vertex" for cell in cells):
            continue
        digest, png = save_image(draw_cells(cells), figure_dir)
        words = [cell.label for cell in cells if cell.label]
        figures.append(
            Figure(
                id=digest, page=number, origin="vector", image_path=str(png),
                label=name if len(pages) > 1 and name else path.stem,
                inner_text="\n".join(words),
                source=DiagramSource(format="drawio", cells=cells),
            )
        )  # fmt: skip
    return Document(
        id=sha256_bytes(data), source=str(path), title=path.stem,
        mime="application/vnd.jgraph.mxfile", page_count=max(1, len(pages)),
        elements=figures, metadata={"loader": "drawio", "pages": str(len(pages))},
    )  # fmt: skip
