"""Hybrid query: embed the question both ways, let the engine fuse (RRF), filter, and fuse
the chunks of one figure into one hit."""

from __future__ import annotations

from typing import Literal

from ictrag.index.store import SearchFilter, Store
from ictrag.model import Hit

Mode = Literal["hybrid", "dense", "bm25"]

OVERFETCH = 3
"""Candidates fetched per hit wanted: a structured figure is two chunks, and both often rank."""
MAX_FETCH_ROUNDS = 3
"""Each further round doubles the candidates; a list still short after that is returned short."""


def search(
    store: Store,
    embedder,
    text: str,
    k: int = 5,
    kind: str | None = None,
    doc_ids: list[str] | None = None,
    figure_type: str | None = None,
    mode: Mode = "hybrid",
) -> list[Hit]:
    from ictrag.index.bm25 import sparse_query

    if not text.strip() or k < 1:
        return []
    dense = embedder.encode_query(text) if mode != "bm25" else None
    sparse = sparse_query(text) if mode != "dense" else None
    query_filter = None
    if kind or doc_ids or figure_type:
        query_filter = SearchFilter(doc_ids=doc_ids, kind=kind, figure_type=figure_type)
    limit = k * OVERFETCH
    for _ in range(MAX_FETCH_ROUNDS):
        candidates = store.search(dense, sparse, k=limit, filter=query_filter, mode=mode)
        hits = fuse_figures(candidates)
        if len(hits) >= k or len(candidates) < limit:  # enough, or the index has no more
            break
        limit *= 2
    return [hit.model_copy(update={"rank": rank}) for rank, hit in enumerate(hits[:k], start=1)]


def _order(hit: Hit) -> tuple[float, str, int]:
    # RRF gives equal scores to hits with mirrored ranks; order ties by reading position so
    # that the same query always returns the same list.
    return (-hit.score, hit.chunk.doc_id, hit.chunk.seq)


def fuse_figures(hits: list[Hit]) -> list[Hit]:
    """One hit per figure: its best-scoring chunk, with the figure's other chunks among
    `hits` as `matched`; text chunks pass through. Sorted by score, ties in reading order."""
    fused: list[Hit] = []
    by_figure: dict[tuple[str, str], int] = {}
    for hit in sorted(hits, key=_order):
        figure_id = hit.chunk.figure_id
        if figure_id is None:
            fused.append(hit)
            continue
        key = (hit.chunk.doc_id, figure_id)
        if key in by_figure:
            best = fused[by_figure[key]]
            best.matched.append(hit.chunk)
        else:
            by_figure[key] = len(fused)
            fused.append(hit.model_copy(update={"matched": [*hit.matched]}))
    return fused
