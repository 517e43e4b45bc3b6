"""A structural reading's confidence, from checking the recovered structure against the figure
itself: how many of the figure's own words the structure uses, labels that look like
fragments or parser ids, nodes or participants nothing connects, how connected the graph is,
messages without text, labels repeated, and the reader's own score.

    found = checks(graph, figure_text, reader_confidence, raster=False)   # named 0..1 values
    confidence = score(found)                                             # 0..1

`score` is a logistic function of the checks; WEIGHTS were calibrated on the development part
of the real-figures benchmark only (tests/benchmarks/bench_real_figures.py --fit).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass

from ictrag.figures.graph import DiagramGraph

_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_PARSER_ID = re.compile(r"[ntp]\d+")
# A label that is only an address part, a port letter or punctuation: ".33", "A", ".2 A",
# "1/2" (not "r1": a name, then a number).
_FRAGMENT = re.compile(r"[\W\d_]*|[\W\d_]*[^\W\d_]", re.UNICODE)

FEATURES = (
    "words_used", "fragments", "dangling", "no_structure", "connected", "unlabelled",
    "duplicates", "reader", "raster",
)  # fmt: skip
# Set by hand before the benchmark ran (bias 0, words_used 2, fragments -3, dangling -2,
# no_structure -3, connected 1, unlabelled -1, duplicates -1, reader 1, raster -0.5), then
# calibrated (one scale and one offset, so the order of figures is unchanged) on the dev part
# of the real-figures benchmark so that 0.5 separates good readings from bad ones.
WEIGHTS: dict[str, float] = {
    "bias": -4.68, "words_used": 3.41, "fragments": -5.12, "dangling": -3.41,
    "no_structure": -5.12, "connected": 1.71, "unlabelled": -1.71, "duplicates": -1.71,
    "reader": 1.71, "raster": -0.85,
}  # fmt: skip


def _words(text: str) -> list[str]:
    return [w.casefold() for w in _WORD.findall(text or "")]


def is_fragment(label: str) -> bool:
    label = label.strip()
    return not label or bool(_PARSER_ID.fullmatch(label)) or bool(_FRAGMENT.fullmatch(label))


def _share(part: int, whole: int) -> float:
    return part / whole if whole else 0.0


@dataclass
class _Parts:
    names: list[str]
    links: list[tuple[str, str]]
    link_labels: list[str]
    ends: list[str]


def _parts(graph: DiagramGraph) -> _Parts:
    """What the checks look at: the named things, the links between them, and their ends."""
    if graph.fields:  # a packet format: its fields are the structure
        return _Parts([f.label for f in graph.fields], [("", "")], [], [])
    if graph.kind == "sequence":
        return _Parts(
            [graph.label_of(p) for p in graph.participants],
            [(m.source, m.target) for m in graph.messages],
            [m.label for m in graph.messages],
            list(graph.participants),
        )
    real = [n for n in graph.nodes.values() if n.shape not in ("start", "end")]
    return _Parts(
        [n.label for n in real],
        [(e.source, e.target) for e in graph.edges],
        [e.label for e in graph.edges],
        [n.id for n in real],
    )


def checks(
    graph: DiagramGraph, figure_text: str, reader_confidence: float, raster: bool
) -> dict[str, float]:
    """Named checks of `graph` against the figure's own words, each in 0..1."""
    parts = _parts(graph)
    names, links, link_labels, ends = parts.names, parts.links, parts.link_labels, parts.ends
    linked = {end for pair in links for end in pair}
    own = Counter(_words(figure_text))
    used = Counter(_words(" ".join([*names, *link_labels])))
    label_counts = Counter(name.casefold() for name in names if name)
    return {
        "words_used": min(1.0, _share(sum((own & used).values()), sum(own.values()))),
        "fragments": _share(sum(1 for name in names if is_fragment(name)), len(names)),
        "dangling": _share(sum(1 for end in ends if end not in linked), len(ends)),
        "no_structure": 0.0 if links else 1.0,
        "connected": min(1.0, _share(len(links), max(1, len(ends) - 1))),
        "unlabelled": _share(sum(1 for label in link_labels if not label), len(link_labels))
        if graph.kind == "sequence"
        else 0.0,
        "duplicates": _share(sum(c - 1 for c in label_counts.values()), len(names)),
        "reader": max(0.0, min(1.0, reader_confidence)),
        "raster": 1.0 if raster else 0.0,
    }


def _listed(items: list[str], most: int = 5) -> str:
    shown = ", ".join(repr(item) for item in items[:most])
    return shown + (f" and {len(items) - most} more" if len(items) > most else "")


def doubts(graph: DiagramGraph, figure_text: str) -> list[str]:
    """The parts of a reading that its checks put in doubt, each as a short phrase naming
    them, for the prose of a low-confidence figure."""
    parts = _parts(graph)
    found: list[str] = []
    if not parts.links:
        found.append("no links or messages were recovered")
    fragments = [name for name in parts.names if is_fragment(name)]
    if fragments:
        found.append(f"labels that look like fragments of longer text: {_listed(fragments)}")
    linked = {end for pair in parts.links for end in pair}
    loose = [graph.label_of(end) for end in parts.ends if end not in linked]
    if parts.links and loose:
        found.append(f"nothing connects {_listed(loose)}")
    if graph.kind == "sequence":
        bare = sum(1 for label in parts.link_labels if not label)
        if bare:
            found.append(f"{bare} of {len(parts.link_labels)} messages have no text")
    repeated = [label for label, n in Counter(parts.names).items() if label and n > 1]
    if repeated:
        found.append(f"repeated labels, possibly one thing read twice: {_listed(repeated)}")
    own = Counter(_words(figure_text))
    used = set(_words(" ".join([*parts.names, *parts.link_labels])))
    unplaced = [word for word, _ in own.most_common() if word not in used and len(word) > 2]
    if own and len(unplaced) > len(own) / 2:
        found.append(f"words of the figure placed nowhere: {_listed(unplaced)}")
    return found


def score(found: dict[str, float], weights: dict[str, float] | None = None) -> float:
    weights = WEIGHTS if weights is None else weights
    z = weights.get("bias", 0.0) + sum(weights.get(k, 0.0) * found.get(k, 0.0) for k in FEATURES)
    return round(1.0 / (1.0 + math.exp(-z)), 3)
