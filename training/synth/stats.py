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


def pair_stats(records: list[dict], near: float = 0.9) -> PairStats:
    stats = PairStats(pairs=len(records), near_threshold=near)
    by_family = _grouped(records, near, lambda record, logical: record.get("meta", {}).get("kind") or logical.figure_type.value)  # fmt: skip
    by_renderer = _grouped(records, near, lambda record, logical: record.get("renderer") or "mermaid")  # fmt: skip
    stats.families, stats.renderers = by_family.groups, by_renderer.groups
    stats.exact_duplicates, stats.near_duplicates = by_family.exact, by_family.near
    n = max(1, stats.pairs)
    stats.exact_duplicate_rate = round(stats.exact_duplicates / n, 4)
    stats.near_duplicate_rate = round(stats.near_duplicates / n, 4)
    stats.units = sum(g.units for g in stats.families.values())
    stats.distinct_labels, stats.distinct_words = by_family.distinct_labels, by_family.distinct_words
    structures: dict[str, int] = defaultdict(int)
    for record in records:
        structures[_norm(record.get("mermaid", ""))] += 1
        style = record.get("style") or f"mermaid:{record.get('meta', {}).get('theme', 'default')}"
        stats.styles[style] = stats.styles.get(style, 0) + 1
        raster = record.get("meta", {}).get("style", {}).get("raster", "none")
        stats.raster[raster] = stats.raster.get(raster, 0) + 1
    renderers_of: dict[str, set[str]] = defaultdict(set)
    for record in records:
        renderers_of[_norm(record.get("mermaid", ""))].add(record.get("renderer") or "mermaid")
    stats.shared_structures = sum(structures[m] for m, r in renderers_of.items() if len(r) > 1)
    stats.styles = dict(sorted(stats.styles.items()))
    return stats


class _Grouped(BaseModel):
    groups: dict[str, FamilyStats] = Field(default_factory=dict)
    exact: int = 0
    near: int = 0
    distinct_labels: int = 0
    distinct_words: int = 0


def _grouped(records: list[dict], near: float, key) -> _Grouped:
    """FamilyStats per key (family or renderer); duplicates only within one renderer and type."""
    seen_mermaid: set[tuple[str, str]] = set()
    by_type: dict[tuple[str, str], list[frozenset[str]]] = defaultdict(list)
    sizes: dict[str, list[int]] = defaultdict(list)
    labels: dict[str, set[str]] = defaultdict(set)
    units: dict[str, set[str]] = defaultdict(set)
    words: set[str] = set()
    exact: dict[str, int] = defaultdict(int)
    similar: dict[str, int] = defaultdict(int)
    for record in records:
        logical = LogicalText.model_validate(record["logical"])
        group = key(record, logical)
        renderer = record.get("renderer") or "mermaid"
        mermaid = (renderer, _norm(record.get("mermaid", "")))
        if mermaid in seen_mermaid:
            exact[group] += 1
        seen_mermaid.add(mermaid)
        labels_here = label_set(logical)
        kind = (renderer, logical.figure_type.value)
        # Exact duplicates are near-duplicates too (Jaccard 1).
        if any(jaccard(labels_here, other) >= near for other in by_type[kind]):
            similar[group] += 1
        by_type[kind].append(labels_here)
        sizes[group].append(len(logical.components) + len(logical.relations))
        labels[group].update(_norm(c) for c in logical.components)
        units[group].add(record.get("unit") or record.get("meta", {}).get("unit") or record["id"])
        words.update(re.findall(r"[\w/.-]+", " ".join(logical.components).lower()))
    result = _Grouped(exact=sum(exact.values()), near=sum(similar.values()), distinct_words=len(words))  # fmt: skip
    result.distinct_labels = len(set().union(*labels.values())) if labels else 0
    for group, values in sorted(sizes.items()):
        result.groups[group] = FamilyStats(
            pairs=len(values), units=len(units[group]), size_min=min(values),
            size_mean=round(sum(values) / len(values), 2), size_max=max(values),
            distinct_labels=len(labels[group]), exact_duplicates=exact[group],
            near_duplicates=similar[group],
        )  # fmt: skip
    return result
