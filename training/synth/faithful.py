"""Does a rendered SVG show every word its caption names?

    missing_words(graph, svg_text)    # caption words the picture lacks; [] when faithful

The caption is made from the structure, so a writer that drops or mangles a label would
teach the model to name things the picture does not show. This reads the SVG's text (all
renderers except Mermaid write real SVG text) and checks every node, group, message, edge,
note, block and field label and the title. UML start and stop symbols stand for the
procedure's "Start"/"End" terminals, so PlantUML's activity diagrams need not spell those.
"""

from __future__ import annotations

import html
import re

from ictrag.training.synth.sources.common import link_parts
from ictrag.training.synth.sources.plantuml import TERMINAL_LABELS

from ictrag.figures.graph import PSEUDO_SHAPES, DiagramGraph

_TEXT = re.compile(r"<text\b[^>]*>(.*?)</text>", re.S)
_TAG = re.compile(r"<[^>]+>")


def svg_words(svg: str) -> str:
    """The SVG's visible text, whitespace-normalised, lower case, one space between runs."""
    runs = [html.unescape(_TAG.sub("", run)) for run in _TEXT.findall(svg)]
    return _norm(" ".join(runs))


def expected_words(graph: DiagramGraph, renderer: str) -> list[str]:
    words = [graph.title]
    for node in graph.nodes.values():
        if node.shape in PSEUDO_SHAPES:
            continue
        if renderer == "plantuml" and graph.kind == "flowchart" and node.label.strip().lower() in TERMINAL_LABELS:  # fmt: skip
            continue
        words.append(node.label)
    words += [group.label for group in graph.groups]
    words += [message.label for message in graph.messages]
    words += [note.text for note in graph.notes]
    words += [block.label for block in graph.blocks]
    words += [label for block in graph.blocks for label, _ in block.branches]
    words += [field.label for field in graph.fields]
    for edge in graph.edges:
        words += link_parts(edge) if graph.kind == "topology" else [edge.label]
    return [w for w in words if w and w.strip()]


def missing_words(graph: DiagramGraph, svg: str, renderer: str) -> list[str]:
    shown = svg_words(svg)
    squeezed = shown.replace("- ", "").replace(" ", "")  # "messagetran- sfer" is one word
    missing = []
    for word in expected_words(graph, renderer):
        wanted = _norm(word)
        # a label wrapped over lines comes back with its words apart, run together or
        # hyphenated
        if wanted not in shown and wanted.replace(" ", "") not in squeezed:
            missing.append(word)
    return missing


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("\u00a0", " ")).strip().lower()
