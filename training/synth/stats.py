"""Duplicate, near-duplicate and diversity statistics of a pairs.jsonl.

    stats = pair_stats(read_jsonl(Path("data/stage1/pairs.jsonl")))

Exact duplicates: the same Mermaid (whitespace-normalised). Near-duplicates: two pairs of the
same figure type whose normalised label sets (components plus `source->target:label`
relations) have Jaccard similarity >= `near` (0.9). A pair counts once, as the later member of
its first (near-)duplicate, so the rates are the share of pairs that add nothing new.
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
    families: dict[str, FamilyStats] = Field(default_factory=dict)


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
    seen_mermaid: set[str] = set()
    by_type: dict[str, list[frozenset[str]]] = defaultdict(list)
    sizes: dict[str, list[int]] = defaultdict(list)
    labels: dict[str, set[str]] = defaultdict(set)
    units: dict[str, set[str]] = defaultdict(set)
    words: set[str] = set()
    exact: dict[str, int] = defaultdict(int)
    similar: dict[str, int] = defaultdict(int)
    for record in records:
        logical = LogicalText.model_validate(record["logical"])
        family = record.get("meta", {}).get("kind") or logical.figure_type.value
        mermaid = _norm(record.get("mermaid", ""))
        if mermaid in seen_mermaid:
            exact[family] += 1
        seen_mermaid.add(mermaid)
        labels_here = label_set(logical)
        # Exact duplicates are near-duplicates too (Jaccard 1).
        if any(jaccard(labels_here, other) >= near for other in by_type[family]):
            similar[family] += 1
        by_type[family].append(labels_here)
        sizes[family].append(len(logical.components) + len(logical.relations))
        labels[family].update(_norm(c) for c in logical.components)
        units[family].add(record.get("unit") or record.get("meta", {}).get("unit") or record["id"])
        words.update(re.findall(r"[\w/.-]+", " ".join(logical.components).lower()))
    for family, values in sorted(sizes.items()):
        stats.families[family] = FamilyStats(
            pairs=len(values), units=len(units[family]), size_min=min(values),
            size_mean=round(sum(values) / len(values), 2), size_max=max(values),
            distinct_labels=len(labels[family]), exact_duplicates=exact[family],
            near_duplicates=similar[family],
        )  # fmt: skip
    stats.exact_duplicates, stats.near_duplicates = sum(exact.values()), sum(similar.values())
    n = max(1, stats.pairs)
    stats.exact_duplicate_rate = round(stats.exact_duplicates / n, 4)
    stats.near_duplicate_rate = round(stats.near_duplicates / n, 4)
    stats.units = sum(len(u) for u in units.values())
    stats.distinct_labels = len(set().union(*labels.values())) if labels else 0
    stats.distinct_words = len(words)
    return stats
