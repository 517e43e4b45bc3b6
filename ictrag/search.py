"""Hybrid query: embed the question both ways, let the engine fuse (RRF), filter."""

from __future__ import annotations

from typing import Literal

from ictrag.index.store import SearchFilter, Store
from ictrag.model import Hit

Mode = Literal["hybrid", "dense", "bm25"]


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

    if not text.strip():
        return []
    dense = embedder.encode_query(text) if mode != "bm25" else None
    sparse = sparse_query(text) if mode != "dense" else None
    query_filter = None
    if kind or doc_ids or figure_type:
        query_filter = SearchFilter(doc_ids=doc_ids, kind=kind, figure_type=figure_type)
    hits = store.search(dense, sparse, k=k, filter=query_filter, mode=mode)
    # RRF gives equal scores to hits with mirrored ranks; order ties by reading position so
    # that the same query always returns the same list.
    hits.sort(key=lambda hit: (-hit.score, hit.chunk.doc_id, hit.chunk.seq))
    return [hit.model_copy(update={"rank": rank}) for rank, hit in enumerate(hits, start=1)]
