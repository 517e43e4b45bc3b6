"""One synthetic structure, written in the language of each renderer that can draw it.

    draws("plantuml", graph)             # can this renderer draw this structure?
    shown = adapt("mscgen", graph)       # the structure as the renderer will show it
    source = emit("mscgen", shown, style)

`adapt` removes what a renderer cannot draw (mscgen and seqdiag have no title; seqdiag has
no notes over a participant), so the caption, made from the adapted structure, names only
what the picture shows. Mermaid's own source comes from `ictrag.figures.mermaid.emit`; the
others are written by the modules here, one per renderer. The draw.io-style renderer writes
SVG itself (`drawio.py`), laid out by Graphviz.
"""

from __future__ import annotations

import copy

from ictrag.training.synth.sources import drawio, graphviz, mscgen, plantuml, seqdiag
from ictrag.training.synth.styles import Style

from ictrag.figures.graph import DiagramGraph

RENDERERS = ("mermaid", "graphviz", "plantuml", "mscgen", "seqdiag", "drawio")
FAMILIES: dict[str, tuple[str, ...]] = {
    "mermaid": ("flowchart", "sequence", "topology", "state", "packet", "architecture"),
    "graphviz": ("flowchart", "topology", "state", "packet", "architecture"),
    "plantuml": ("flowchart", "sequence", "topology", "state", "architecture"),
    "mscgen": ("sequence",),
    "seqdiag": ("sequence",),
    "drawio": ("topology", "architecture"),
}
_WRITERS = {"graphviz": graphviz, "plantuml": plantuml, "mscgen": mscgen, "seqdiag": seqdiag,
            "drawio": drawio}  # fmt: skip


def draws(renderer: str, graph: DiagramGraph) -> bool:
    """True when `renderer` can draw this structure (its family, and its shape: PlantUML's
    activity syntax cannot draw every flowchart)."""
    if graph.kind not in FAMILIES[renderer]:
        return False
    writer = _WRITERS.get(renderer)
    return writer is None or writer.draws(graph)


def adapt(renderer: str, graph: DiagramGraph, style: Style | None = None) -> DiagramGraph:
    """A copy of `graph` as `renderer` will draw it in `style`: without what the renderer
    cannot show, and in the direction the style lays it out where the renderer honours one."""
    shown = copy.deepcopy(graph)
    if renderer in ("mscgen", "seqdiag"):
        shown.title = ""
    if renderer == "seqdiag":
        shown.notes = []
    if style is not None and style.direction and _honours_direction(renderer, shown.kind):
        shown.direction = "LR" if style.direction == "LR" else "TD"
    return shown


def _honours_direction(renderer: str, kind: str) -> bool:
    if renderer in ("graphviz", "drawio"):
        return kind != "packet"
    return renderer == "plantuml" and kind in ("state", "architecture", "topology")


def emit(renderer: str, graph: DiagramGraph, style: Style) -> str:
    """The source `renderer` draws (SVG text for draw.io); not for Mermaid."""
    return _WRITERS[renderer].emit(graph, style)
