"""Diagram-structure metrics over DiagramGraph pairs (prediction vs gold).

Every comparison is by *label*, never by node id: a predicted graph may name its nodes
anything. Labels are normalised by `normalize_label`. All matching is multiset matching:
an item predicted twice counts once as a hit when gold has it once.

Conventions for every F1 here: precision = hits / |pred|, recall = hits / |gold|,
F1 = 2PR / (P + R); when pred and gold are both empty all three are 1.0, when exactly one
is empty they are 0.0.
"""

from __future__ import annotations

import html
import re
from collections import Counter
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass

from ictrag.figures.graph import DiagramGraph

_QUOTES = re.compile(r"[\"'`“”‘’«»]")
_TAGS = re.compile(r"</?[A-Za-z][^<>]*>")
_MARKUP = re.compile(r"\*\*|__|~~")


def normalize_label(label: str) -> str:
    """casefold, HTML entities decoded, tags (`<br/>`) and markdown emphasis (`**`, `__`)
    removed, quote characters removed, whitespace collapsed to single spaces."""
    text = html.unescape(str(label)).replace("\u200b", "")
    text = _TAGS.sub(" ", text)
    text = _MARKUP.sub("", text)
    text = _QUOTES.sub("", text)
    return " ".join(text.casefold().split())


@dataclass(frozen=True)
class Score:
    precision: float
    recall: float
    f1: float
    hits: int
    n_pred: int
    n_gold: int


def multiset_f1(pred: Iterable[Hashable], gold: Iterable[Hashable]) -> Score:
    pred_counts, gold_counts = Counter(pred), Counter(gold)
    n_pred, n_gold = sum(pred_counts.values()), sum(gold_counts.values())
    hits = sum((pred_counts & gold_counts).values())
    if n_pred == 0 and n_gold == 0:
        return Score(1.0, 1.0, 1.0, 0, 0, 0)
    precision = hits / n_pred if n_pred else 0.0
    recall = hits / n_gold if n_gold else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return Score(precision, recall, f1, hits, n_pred, n_gold)


def _node_labels(graph: DiagramGraph) -> list[str]:
    return [normalize_label(label) for label in graph.component_labels()]


def _edge_keys(graph: DiagramGraph, with_label: bool) -> list[tuple]:
    keys = []
    for edge in graph.edges:
        source = normalize_label(graph.label_of(edge.source))
        target = normalize_label(graph.label_of(edge.target))
        if edge.directed:
            key: tuple = (source, target, "->")
        else:
            key = (*sorted((source, target)), "--")
        keys.append((*key, normalize_label(edge.label)) if with_label else key)
    return keys


def _message_keys(graph: DiagramGraph) -> list[tuple[str, str, str]]:
    return [
        (
            normalize_label(graph.label_of(message.source)),
            normalize_label(graph.label_of(message.target)),
            normalize_label(message.label),
        )
        for message in sorted(graph.messages, key=lambda message: message.order)
    ]


def node_label_f1(pred: DiagramGraph, gold: DiagramGraph) -> Score:
    """Multiset F1 of normalised component labels (nodes except `[*]` pseudo-states; packet
    fields for packets)."""
    return multiset_f1(_node_labels(pred), _node_labels(gold))


def edge_f1(pred: DiagramGraph, gold: DiagramGraph) -> Score:
    """Multiset F1 of edges keyed by their endpoint labels. A directed edge is the ordered
    pair (source, target); an undirected edge is the sorted pair, and a directed edge never
    matches an undirected one. Edge labels are ignored."""
    return multiset_f1(_edge_keys(pred, False), _edge_keys(gold, False))


def labelled_edge_f1(pred: DiagramGraph, gold: DiagramGraph) -> Score:
    """As `edge_f1`, with the normalised edge label part of the key ("" for no label)."""
    return multiset_f1(_edge_keys(pred, True), _edge_keys(gold, True))


def message_f1(pred: DiagramGraph, gold: DiagramGraph) -> Score:
    """Multiset F1 of sequence messages keyed by (source label, target label, message label)."""
    return multiset_f1(_message_keys(pred), _message_keys(gold))


def message_order_accuracy(pred: DiagramGraph, gold: DiagramGraph) -> float:
    """How well the predicted messages keep the gold order.

    Matching: walk the predicted messages in order; each is matched to the earliest
    still-unmatched gold message with the same (source, target, label) key. This gives m
    matched pairs; list their gold positions g_1..g_m in predicted order. The accuracy is
    the fraction of consecutive pairs that are in gold order:
    |{i < m : g_i < g_{i+1}}| / (m - 1).
    Edge cases: both graphs without messages -> 1.0; m == 0 otherwise -> 0.0; m == 1 -> 1.0.
    Unmatched messages do not count here (message_f1 measures them).
    """
    pred_keys, gold_keys = _message_keys(pred), _message_keys(gold)
    if not pred_keys and not gold_keys:
        return 1.0
    free: dict[tuple, list[int]] = {}
    for position, key in enumerate(gold_keys):
        free.setdefault(key, []).append(position)
    positions = []
    for key in pred_keys:
        slots = free.get(key)
        if slots:
            positions.append(slots.pop(0))
    if not positions:
        return 0.0
    if len(positions) == 1:
        return 1.0
    ordered = sum(1 for a, b in zip(positions, positions[1:], strict=False) if a < b)
    return ordered / (len(positions) - 1)


def structure_scores(pred: DiagramGraph, gold: DiagramGraph) -> dict[str, float]:
    """The applicable metrics for one pair, as F1 values: `node_f1` always; `edge_f1` and
    `labelled_edge_f1` when either graph has edges; `message_f1` and `message_order` when
    either has messages. Leaving out what does not apply keeps macro averages honest."""
    scores = {"node_f1": node_label_f1(pred, gold).f1}
    if pred.edges or gold.edges:
        scores["edge_f1"] = edge_f1(pred, gold).f1
        scores["labelled_edge_f1"] = labelled_edge_f1(pred, gold).f1
    if pred.messages or gold.messages:
        scores["message_f1"] = message_f1(pred, gold).f1
        scores["message_order"] = message_order_accuracy(pred, gold)
    return scores


def macro_average(rows: Iterable[Mapping[str, float]]) -> dict[str, float]:
    """Mean of each metric over the rows that have it, plus `n_<metric>` counts and `n`."""
    sums: dict[str, float] = {}
    counts: dict[str, int] = {}
    n = 0
    for row in rows:
        n += 1
        for name, value in row.items():
            sums[name] = sums.get(name, 0.0) + float(value)
            counts[name] = counts.get(name, 0) + 1
    result: dict[str, float] = {name: sums[name] / counts[name] for name in sums}
    result.update({f"n_{name}": float(count) for name, count in counts.items()})
    result["n"] = float(n)
    return result
