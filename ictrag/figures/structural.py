"""The offline structural captioner: a figure's drawing (or its pixels, with OCR) rebuilt as
a diagram graph, then written as logical text with a generated summary and Mermaid. No
model; every word in the output comes from the figure itself.

    captioner = StructuralCaptioner()
    [logical] = captioner.describe([FigureInput(image_path=..., vector=region_content(...))])
"""

from __future__ import annotations

import logging
import re

from ictrag.config import CaptionSettings
from ictrag.figures import confidence
from ictrag.figures.base import FigureInput
from ictrag.figures.graph import DiagramGraph, graph_to_logical
from ictrag.figures.mermaid import emit, validate
from ictrag.figures.models.grounding import ungrounded_terms
from ictrag.figures.source import recover_source
from ictrag.figures.vector.diagram import Recovery, recover_vector
from ictrag.model import FigureType, LogicalText

log = logging.getLogger(__name__)


class StructuralCaptioner:
    name = "structural"
    model_id = "structural-v2"

    def __init__(self, settings: CaptionSettings | None = None) -> None:
        self.settings = settings or CaptionSettings(backend="structural")

    def describe(self, items: list[FigureInput]) -> list[LogicalText]:
        return [self.describe_one(item) for item in items]

    def describe_one(self, item: FigureInput) -> LogicalText:
        try:
            recovery, own_text, raster = self._recover(item)
        except Exception as error:  # one bad figure must not sink the batch
            log.warning("structural captioning failed: %s: %s", type(error).__name__, error)
            return _empty(f"structure not recovered ({type(error).__name__})")
        if recovery is None:
            return _empty("no drawing, text or image to read")
        logical = to_logical(recovery, f"{own_text}\n{item.inner_text}\n{item.label}")
        if item.source is not None:  # the file states the structure: exact, or unreadable (0)
            logical.confidence = recovery.confidence
            return logical
        found = confidence.checks(recovery.graph, own_text, recovery.confidence, raster)
        logical.confidence = confidence.score(found) if recovery.confidence > 0 else 0.0
        if logical.confidence < self.settings.min_confidence and (logical.relations or logical.components):
            _say_doubts(logical, confidence.doubts(recovery.graph, own_text))
        # The checks go to the log (not the output) for benchmarks that fit the weights.
        log.debug(
            "confidence checks", extra={"checks": found, "reader_confidence": recovery.confidence}
        )
        return logical

    def _recover(self, item: FigureInput) -> tuple[Recovery | None, str, bool]:
        if item.source is not None:
            recovery = recover_source(item.source)
            return recovery, recovery.text, False
        vector = item.vector
        if vector is not None and (vector.paths or vector.spans):
            text = "\n".join(span.text for span in vector.spans)
            recovery = recover_vector(vector)
            if recovery.confidence > 0 or not item.image_path:
                return recovery, text, False
        if item.image_path:
            from ictrag.figures.raster.read import recover_raster

            recovery = recover_raster(
                item.image_path, ocr=self.settings.ocr, ocr_cache=item.ocr_cache
            )
            return recovery, recovery.text, True
        return None, "", False


def _say_doubts(logical: LogicalText, doubts: list[str]) -> None:
    """The prose names what is uncertain; the Mermaid keeps the full best reading."""
    if doubts:
        note = f"Uncertain reading (confidence {logical.confidence:.2f}): " + "; ".join(doubts)
        logical.summary = f"{logical.summary.rstrip()} {note}.".strip()


def _empty(reason: str) -> LogicalText:
    return LogicalText(
        figure_type=FigureType.other, summary=reason, backend="structural", confidence=0.0
    )


def to_logical(recovery: Recovery, figure_text: str) -> LogicalText:
    graph = recovery.graph
    _drop_stray_loops(graph)
    mermaid = None
    if graph.nodes or graph.fields or graph.messages:
        code = emit(graph)
        ok, _ = validate(code)
        mermaid = code if ok else None
    logical = graph_to_logical(
        graph,
        summary=summarize(graph, recovery),
        mermaid=mermaid,
        backend="structural",
        confidence=recovery.confidence,
    )
    _name_unlabelled(logical, graph)
    if not (graph.nodes or graph.fields or graph.messages) and recovery.free_text:
        logical.components = _dedup(recovery.free_text)
    # "bits" is the structural vocabulary of packet relations ("16 bits", "bits 0-15").
    ranges = [f"{f.start}-{f.end}" for f in graph.fields]
    own = "\n".join([figure_text, *recovery.derived, "bits" if graph.fields else "", *ranges])
    logical.ungrounded = ungrounded_terms(logical, own)
    return logical


_AUTO_ID = re.compile(r"[nt]\d+")


def unlabelled_nodes(graph: DiagramGraph) -> set[str]:
    """Shapes the parser found but could not read a label for: their label is still the
    parser's own id (n3, t2), which means nothing to a reader or to search."""
    return {
        node.id
        for node in graph.nodes.values()
        if node.label == node.id and _AUTO_ID.fullmatch(node.id)
    }


def _drop_stray_loops(graph: DiagramGraph) -> None:
    """An unlabelled edge from a shape to itself is a stroke both of whose ends snapped to
    the same box (an outline, a decoration), not a transition."""
    graph.edges = [e for e in graph.edges if e.source != e.target or e.label]


def _name_unlabelled(logical: LogicalText, graph: DiagramGraph) -> None:
    blank = {graph.label_of(node_id) for node_id in unlabelled_nodes(graph)}
    if not blank:
        return
    logical.components = [c for c in logical.components if c not in blank]
    for relation in logical.relations:
        if relation.source in blank:
            relation.source = "(unlabelled shape)"
        if relation.target in blank:
            relation.target = "(unlabelled shape)"
    logical.relations = [
        r for r in logical.relations if not (r.source == r.target == "(unlabelled shape)")
    ]


def _dedup(items: list[str]) -> list[str]:
    out: list[str] = []
    for item in items:
        if item and item not in out:
            out.append(item)
    return out


def _quote(labels: list[str], limit: int = 4) -> str:
    shown = [f"'{label}'" for label in labels[:limit]]
    more = len(labels) - limit
    if more > 0:
        shown.append(f"{more} more")
    if len(shown) == 1:
        return shown[0]
    return ", ".join(shown[:-1]) + " and " + shown[-1]


def summarize(graph: DiagramGraph, recovery: Recovery) -> str:
    """One or two sentences built from the structure only."""
    kind = graph.kind
    nodes = [n for n in graph.nodes.values() if n.shape not in ("start", "end")]
    blank = unlabelled_nodes(graph)
    labels = [n.label for n in nodes if n.id not in blank]
    if kind == "packet":
        parts = ", ".join(f"{f.label} ({f.bits} bits)" for f in graph.fields[:8])
        total = max((f.end for f in graph.fields), default=-1) + 1
        more = "" if len(graph.fields) <= 8 else f" and {len(graph.fields) - 8} more"
        return f"Packet format with {len(graph.fields)} fields over {total} bits: {parts}{more}."
    if kind == "sequence":
        names = [graph.label_of(p) for p in graph.participants]
        text = f"Sequence diagram between {_quote(names, 6)} with {len(graph.messages)} messages"
        if graph.messages:
            first, last = graph.messages[0], graph.messages[-1]
            text += f", from '{first.label or graph.label_of(first.source)}'"
            text += f" to '{last.label or graph.label_of(last.target)}'"
        text += "."
        if graph.blocks:
            blocks = [f"{b.kind} '{b.label}'" if b.label else b.kind for b in graph.blocks]
            text += " It contains " + ", ".join(blocks) + "."
        return text
    incoming = {e.target for e in graph.edges if e.directed}
    outgoing = {e.source for e in graph.edges if e.directed}
    starts = [graph.label_of(n.id) for n in nodes if n.id in outgoing and n.id not in incoming]
    ends = [graph.label_of(n.id) for n in nodes if n.id in incoming and n.id not in outgoing]
    if kind == "flowchart":
        decisions = sum(1 for n in nodes if n.shape == "decision")
        text = f"Flowchart with {len(nodes) - decisions} steps and {decisions} decisions"
        if starts:
            text += f", starting at {_quote(starts, 2)}"
        if ends:
            text += f" and ending at {_quote(ends, 2)}"
        return text + f"; {len(graph.edges)} connections."
    if kind == "state":
        pseudo_start = {
            e.target
            for e in graph.edges
            if graph.nodes.get(e.source) and graph.nodes[e.source].shape == "start"
        }
        initial = [graph.label_of(n) for n in pseudo_start] or starts
        text = f"State machine with {len(nodes)} states and {len(graph.edges)} transitions"
        if initial:
            text += f", starting in {_quote(initial, 2)}"
        return text + "."
    if kind == "topology":
        links = len(graph.edges)
        return f"Network topology of {len(nodes)} elements ({_quote(labels, 5)}) joined by {links} links."
    if kind == "architecture":
        groups = [g.label for g in graph.groups]
        return (
            f"Architecture diagram with {len(nodes)} components in {len(groups)} groups"
            + (f" ({_quote(groups, 4)})" if groups else "")
            + (f" and {len(graph.edges)} connections." if graph.edges else ".")
        )
    if labels and "not recovered" in recovery.note:
        return f"Structure not recovered; text groups read {_quote(labels, 6)}."
    if labels:
        return f"Diagram with {len(labels)} labelled parts: {_quote(labels, 5)}."
    if recovery.free_text:
        note = f" {recovery.note}." if recovery.note else ""
        return f"Structure not recovered; the figure's text reads {_quote(recovery.free_text, 6)}.{note}"
    return "Structure not recovered and no text found."
