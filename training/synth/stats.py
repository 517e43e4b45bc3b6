"""Duplicate, near-duplicate and diversity statistics of a pairs.jsonl.

    stats = pair_stats(read_jsonl(Path("data/stage1/pairs.jsonl")))

Exact duplicates: the same Mermaid (whitespace-normalised) drawn by the same renderer.
Near-duplicates: two pairs of the same figure type and renderer whose normalised label sets
(components plus `source->target:label` relations) have Jaccard similarity >= `near` (0.9).
A pair counts once, as the later member of its first (near-)duplicate, so the rates are the
share of pairs that add nothing new. One structure drawn by two renderers is not a duplicate
(that is the point of drawing it twice); `shared_structures` counts such pairs.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

from pydantic import BaseModel, Field

from ictrag.model import LogicalText


class FamilyStats(BaseModel):
    pairs: int = 0
    units: int = 0
    size_min: int = 0
    size_mean: float = 0.0
    size_max: int = 0
    """Size = components + relations."""
    distinct_labels: int = 0
    exact_duplicates: int = 0
    near_duplicates: int = 0


class PairStats(BaseModel):
    pairs: int = 0
    units: int = 0
    exact_duplicates: int = 0
    exact_duplicate_rate: float = 0.0
    near_duplicates: int = 0
    near_duplicate_rate: float = 0.0
    near_threshold: float = 0.9
    distinct_labels: int = 0
    distinct_words: int = 0
    shared_structures: int = 0
    """Pairs whose structure another renderer also drew in this set."""
    families: dict[str, FamilyStats] = Field(default_factory=dict)
    renderers: dict[str, FamilyStats] = Field(default_factory=dict)
    """The same statistics per renderer (a record without one is Mermaid's)."""
    styles: dict[str, int] = Field(default_factory=dict)
    """Pairs per renderer style (`graphviz:neato`, `mermaid:forest`, ...)."""
    raster: dict[str, int] = Field(default_factory=dict)
    """Pairs per raster treatment: none, jpeg, scan."""


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text.strip().lower())


def label_set(logical: LogicalText) -> frozenset[str]:
    items = {_norm(c) for c in logical.components}
    for r in logical.relations:
        items.add(f"{_norm(r.source)}->{_norm(r.target)}:{_norm(r.label)}")
    return frozenset(items)


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    union = len(a | b)
    return len(a & b) / union if union else 1.0


@dataclass
class _Row:
    """What the statistics need of one record, computed once."""

    family: str
    renderer: str
    unit: str
    size: int
    labels: set[str]
    exact: bool
    near: bool


def _rows(records: list[dict], near: float) -> tuple[list[_Row], set[str]]:
    """Per-record facts (duplicates only within one renderer and type), and the words."""
    seen_mermaid: set[tuple[str, str]] = set()
    by_type: dict[tuple[str, str], list[frozenset[str]]] = defaultdict(list)
    rows, words = [], set()
    for record in records:
        logical = LogicalText.model_validate(record["logical"])
        renderer = record.get("renderer") or "mermaid"
        mermaid = (renderer, _norm(record.get("mermaid", "")))
        labels_here = label_set(logical)
        kind = (renderer, logical.figure_type.value)
        rows.append(_Row(
            family=record.get("meta", {}).get("kind") or logical.figure_type.value,
            renderer=renderer,
            unit=record.get("unit") or record.get("meta", {}).get("unit") or record["id"],
            size=len(logical.components) + len(logical.relations),
            labels={_norm(c) for c in logical.components},
            exact=mermaid in seen_mermaid,
            # Exact duplicates are near-duplicates too (Jaccard 1).
            near=any(jaccard(labels_here, other) >= near for other in by_type[kind]),
        ))  # fmt: skip
        seen_mermaid.add(mermaid)
        by_type[kind].append(labels_here)
        words.update(re.findall(r"[\w/.-]+", " ".join(logical.components).lower()))
    return rows, words


def _summaries(rows: list[_Row], key: Callable[[_Row], str]) -> dict[str, FamilyStats]:
    groups: dict[str, list[_Row]] = defaultdict(list)
    for row in rows:
        groups[key(row)].append(row)
    out = {}
    for name, members in sorted(groups.items()):
        sizes = [m.size for m in members]
        out[name] = FamilyStats(
            pairs=len(members), units=len({m.unit for m in members}), size_min=min(sizes),
            size_mean=round(sum(sizes) / len(sizes), 2), size_max=max(sizes),
            distinct_labels=len(set().union(*(m.labels for m in members))),
            exact_duplicates=sum(m.exact for m in members), near_duplicates=sum(m.near for m in members),
        )  # fmt: skip
    return out


def pair_stats(records: list[dict], near: float = 0.9) -> PairStats:
    stats = PairStats(pairs=len(records), near_threshold=near)
    rows, words = _rows(records, near)
    stats.families = _summaries(rows, lambda row: row.family)
    stats.renderers = _summaries(rows, lambda row: row.renderer)
    stats.exact_duplicates = sum(row.exact for row in rows)
    stats.near_duplicates = sum(row.near for row in rows)
    n = max(1, stats.pairs)
    stats.exact_duplicate_rate = round(stats.exact_duplicates / n, 4)
    stats.near_duplicate_rate = round(stats.near_duplicates / n, 4)
    stats.units = sum(g.units for g in stats.families.values())
    stats.distinct_labels = len(set().union(*(row.labels for row in rows)))
    stats.distinct_words = len(words)
    structures: dict[str, int] = defaultdict(int)
    renderers_of: dict[str, set[str]] = defaultdict(set)
    styles: dict[str, int] = defaultdict(int)
    for record, row in zip(records, rows, strict=True):
        mermaid = _norm(record.get("mermaid", ""))
        structures[mermaid] += 1
        renderers_of[mermaid].add(row.renderer)
        styles[
            record.get("style") or f"mermaid:{record.get('meta', {}).get('theme', 'default')}"
        ] += 1
        raster = record.get("meta", {}).get("style", {}).get("raster", "none")
        stats.raster[raster] = stats.raster.get(raster, 0) + 1
    stats.shared_structures = sum(structures[m] for m, r in renderers_of.items() if len(r) > 1)
    stats.styles = dict(sorted(styles.items()))
    return stats
