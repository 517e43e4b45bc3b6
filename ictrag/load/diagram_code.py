"""Diagram source code as figures whose structure the code states exactly (`Figure.source`):
a Mermaid file (.mmd, .mermaid) or a ```mermaid block of a Markdown file, a Graphviz
file (.dot, .gv), which Graphviz itself lays out and draws, and a PlantUML file (.puml,
.plantuml, .pu) or ```plantuml / ```puml block, which PlantUML draws (load/plantuml.py).

A Mermaid figure has no picture (`image_path` None) and its id is the sha256 of its code;
so has a PlantUML figure when the renderer is missing or rejects the source (one warning
line: the structure is still read from the code).
"""

from __future__ import annotations

import json
import logging
import re
import subprocess
from pathlib import Path

from ictrag.load.drawio import plain_label
from ictrag.load.errors import LoadError
from ictrag.load.mscgen import render_png as render_msc
from ictrag.load.plantuml import render_png
from ictrag.load.render import ImageError, save_image_bytes
from ictrag.model import DiagramSource, Document, Figure, SourceCell, sha256_bytes

log = logging.getLogger(__name__)

_FENCE = re.compile(
    r"^(?P<fence>`{3,}|~{3,})[ \t]*(?P<lang>mermaid|dot|graphviz|plantuml|puml|mscgen|msc)[ \t]*\n(?P<code>.*?)^(?P=fence)[ \t]*$",
    re.M | re.S,
)
_LANGUAGES = {"mermaid": "mermaid", "dot": "graphviz", "graphviz": "graphviz",
              "plantuml": "plantuml", "puml": "plantuml", "mscgen": "mscgen", "msc": "mscgen"}  # fmt: skip
_UML = re.compile(r"@startuml\b.*?@enduml", re.S | re.I)
_PRE = re.compile(r"<pre\b[^>]*>(?P<body>.*?)</pre>", re.S | re.I)


def code_blocks(text: str) -> list[tuple[str, str]]:
    """(language, code) of every fenced ```mermaid, ```dot/```graphviz and
    ```plantuml/```puml block, in order; the language is "mermaid", "graphviz" or "plantuml"."""
    return [
        (_LANGUAGES[m.group("lang")], m.group("code").strip("\n"))
        for m in _FENCE.finditer(text)
        if m.group("code").strip()
    ]


def html_plantuml(html_text: str) -> list[str]:
    """`@startuml ... @enduml` sources inside the <pre> blocks of an HTML page."""
    import html

    found = []
    for pre in _PRE.finditer(html_text):
        text = html.unescape(re.sub(r"<[^>]+>", "", pre.group("body")))
        found += [m.group(0) for m in _UML.finditer(text)]
    return found


def code_figure(code: str, label: str, page: int = 1, context: str = "") -> Figure:
    return Figure(
        id=sha256_bytes(code.encode("utf-8")),
        page=page,
        origin="vector",
        label=label,
        context=context,
        source=DiagramSource(format="mermaid", text=code),
    )


def _code_document(path: str | Path, mime: str, loader: str, figures_of) -> Document:
    """A diagram source file as a Document of the figures `figures_of(code, stem)` makes."""
    path = Path(path)
    data = path.read_bytes()
    figures = figures_of(data.decode("utf-8", errors="replace"), path.stem)
    return Document(
        id=sha256_bytes(data), source=str(path), title=path.stem, mime=mime,
        page_count=1 if figures else 0, elements=figures, metadata={"loader": loader},
    )  # fmt: skip


def load_mermaid(path: str | Path) -> Document:
    def figures(code: str, stem: str) -> list[Figure]:
        return [code_figure(code.strip(), stem)] if code.strip() else []

    return _code_document(path, "text/vnd.mermaid", "mermaid", figures)


DOT_TIMEOUT_S = 30


def _dot(args: list[str], source: bytes) -> bytes:
    """Run Graphviz's `dot` on `source`; LoadError (one line) if it is missing or fails."""
    try:
        done = subprocess.run(
            ["dot", *args], input=source, capture_output=True, timeout=DOT_TIMEOUT_S, check=False
        )
    except FileNotFoundError as exc:
        raise LoadError("Graphviz's dot is not installed (apt install graphviz)") from exc
    except subprocess.TimeoutExpired as exc:
        raise LoadError(f"dot took longer than {DOT_TIMEOUT_S} s") from exc
    if done.returncode != 0:
        reason = (done.stderr.decode("utf-8", "replace").strip().splitlines() or ["failed"])[0]
        raise LoadError(f"dot cannot lay out this graph: {reason}")
    return done.stdout


def _label(obj: dict, key: str = "label") -> str:
    label = str(obj.get(key) or "")
    if label == "\\N":
        return str(obj.get("name", ""))
    return plain_label(label.replace("\\n", "\n").replace("\\l", "\n").replace("\\r", "\n"))


_DOT_STYLES = {"ellipse": {"ellipse": ""}, "oval": {"ellipse": ""}, "circle": {"ellipse": "", "aspect": "fixed"},
               "doublecircle": {"ellipse": "", "aspect": "fixed"}, "diamond": {"rhombus": ""},
               "cylinder": {"cylinder": ""}, "plaintext": {"text": ""}, "plain": {"text": ""},
               "none": {"text": ""}}  # fmt: skip


def dot_cells(layout: dict) -> list[SourceCell]:
    """Graphviz's own layout (`dot -Tjson0`) as cells: nodes, clusters as containers, edges
    with their tail and head labels at their ends. Coordinates turn y-down."""
    height = float(str(layout.get("bb", "0,0,0,0")).split(",")[3])
    cells: list[SourceCell] = []
    for obj in layout.get("objects", []):
        if "nodes" in obj and obj.get("bb"):  # a subgraph; only clusters are drawn
            if not str(obj.get("name", "")).startswith("cluster"):
                continue
            x0, y0, x1, y1 = (float(v) for v in str(obj["bb"]).split(","))
            cells.append(SourceCell(id=f"g{obj['_gvid']}", kind="vertex", label=_label(obj),
                                    style={"container": "1"}, bbox=(x0, height - y1, x1, height - y0)))  # fmt: skip
        elif obj.get("pos"):
            x, y = (float(v) for v in str(obj["pos"]).split(",")[:2])
            w, h = float(obj.get("width", 0.75)) * 36, float(obj.get("height", 0.5)) * 36
            style = dict(_DOT_STYLES.get(str(obj.get("shape") or "ellipse"), {}))
            cells.append(SourceCell(id=f"n{obj['_gvid']}", kind="vertex", label=_label(obj),
                                    style=style, bbox=(x - w, height - y - h, x + w, height - y + h)))  # fmt: skip
    directed = bool(layout.get("directed"))
    for number, edge in enumerate(layout.get("edges", [])):
        way = str(edge.get("dir") or ("forward" if directed else "none"))
        style = {"endArrow": "classic" if way in ("forward", "both") else "none",
                 "startArrow": "classic" if way in ("back", "both") else "none"}  # fmt: skip
        if "dashed" in str(edge.get("style", "")) or "dotted" in str(edge.get("style", "")):
            style["dashed"] = "1"
        edge_id = f"e{number}"
        cells.append(SourceCell(id=edge_id, kind="edge", label=_label(edge), style=style,
                                source=f"n{edge['tail']}", target=f"n{edge['head']}"))  # fmt: skip
        for key, offset in (("taillabel", -0.9), ("headlabel", 0.9)):
            if _label(edge, key):
                cells.append(SourceCell(id=f"{edge_id}{key}", kind="vertex", label=_label(edge, key),
                                        parent=edge_id, offset=offset))  # fmt: skip
    return cells


def dot_figure(code: str, label: str, figure_dir: Path, page: int = 1, context: str = "") -> Figure:
    """A Graphviz graph: its cells from dot's own layout, its picture from dot's PNG."""
    source = code.encode("utf-8")
    layout = json.loads(_dot(["-Tjson0"], source))
    digest, png = save_image_bytes(_dot(["-Tpng"], source), figure_dir)[:2]
    cells = dot_cells(layout)
    return Figure(
        id=digest, page=page, origin="vector", image_path=str(png), label=label, context=context,
        inner_text="\n".join(c.label for c in cells if c.label),
        source=DiagramSource(format="graphviz", cells=cells),
    )  # fmt: skip


def load_dot(path: str | Path, figure_dir: str | Path) -> Document:
    def figures(code: str, stem: str) -> list[Figure]:
        return [dot_figure(code, stem, Path(figure_dir))] if code.strip() else []

    return _code_document(path, "text/vnd.graphviz", "graphviz", figures)


def plantuml_figure(
    code: str, label: str, figure_dir: Path, page: int = 1, context: str = ""
) -> Figure:
    """A PlantUML diagram: its structure from the code, its picture from PlantUML."""
    return _drawn_source(code, "plantuml", render_png, label, figure_dir, page, context)


def msc_figure(code: str, label: str, figure_dir: Path, page: int = 1, context: str = "") -> Figure:
    """An mscgen chart: its structure from the code, its picture from mscgen."""
    return _drawn_source(code, "mscgen", render_msc, label, figure_dir, page, context)


def _drawn_source(code, fmt, render, label, figure_dir, page, context) -> Figure:
    """A figure stating its source; its picture from the real renderer (none, and one
    warning line, when the renderer is missing or rejects the source)."""
    figure = Figure(
        id=sha256_bytes(code.encode("utf-8")), page=page, origin="vector", label=label,
        context=context, source=DiagramSource(format=fmt, text=code),
    )  # fmt: skip
    try:
        digest, png = save_image_bytes(render(code), figure_dir)[:2]
    except (LoadError, ImageError) as error:
        log.warning("%s: structure read from the source, no picture: %s", label, error)
        return figure
    figure.id, figure.image_path = digest, str(png)
    return figure


def load_msc(path: str | Path, figure_dir: str | Path) -> Document:
    def figures(code: str, stem: str) -> list[Figure]:
        return [msc_figure(code, stem, Path(figure_dir))] if code.strip() else []

    return _code_document(path, "text/x-mscgen", "mscgen", figures)


def load_plantuml(path: str | Path, figure_dir: str | Path) -> Document:
    def figures(code: str, stem: str) -> list[Figure]:
        sources = [m.group(0) for m in _UML.finditer(code)] or ([code] if code.strip() else [])
        return [
            plantuml_figure(text, stem if len(sources) == 1 else f"{stem} {n}", Path(figure_dir))
            for n, text in enumerate(sources, start=1)
        ]

    return _code_document(path, "text/x-plantuml", "plantuml", figures)
