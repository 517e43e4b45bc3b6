"""Qdrant Edge: the store embedded in the process, one folder per index."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import qdrant_edge as qe

from ictrag.index.store import (
    DENSE,
    INDEXED_FIELDS,
    RRF_K,
    SCROLL_PAGE,
    SPARSE,
    UPSERT_BATCH,
    SearchFilter,
    SearchMode,
    SparseVec,
    StoreError,
    check_batch,
    chunk_payload,
    documents_from,
    hits_from,
    payload_chunk,
    point_id,
    prefetch_limit,
)
from ictrag.model import Chunk, Hit

CONFIG_FILE = "edge_config.json"
FACET_LIMIT = 1_000_000


def _filter(conditions: list[tuple[str, Any]]) -> qe.Filter | None:
    if not conditions:
        return None
    must = [
        qe.FieldCondition(
            key=key,
            match=qe.MatchAny(value) if isinstance(value, list) else qe.MatchValue(value),
        )
        for key, value in conditions
    ]
    return qe.Filter(must=must)


def _doc_filter(doc_id: str) -> qe.Filter:
    return qe.Filter(must=[qe.FieldCondition(key="doc_id", match=qe.MatchValue(doc_id))])


class EdgeStore:
    """A Store on an EdgeShard at `path`. Every write is flushed before it returns.

    One process at a time: the shard's WAL is locked, and a second open raises StoreError.
    """

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._shard: qe.EdgeShard | None = None
        self._dims: int | None = None
        if (self.path / CONFIG_FILE).exists():
            self._shard = self._call("open", qe.EdgeShard.load, str(self.path))
            self._dims = self._stored_dims()

    # -- lifecycle -------------------------------------------------------------------------

    def _call(self, what: str, fn: Any, *args: Any) -> Any:
        try:
            return fn(*args)
        except Exception as exc:  # the binding raises bare Exception with a runtime message
            message = str(exc)
            if "WouldBlock" in message:
                message = "the index is open in another process"
            elif "not initialized" in message:
                message = "the store is closed"
            raise StoreError(f"qdrant edge {what} failed at {self.path}: {message}") from exc

    def _stored_dims(self) -> int | None:
        config = json.loads((self.path / CONFIG_FILE).read_text())
        dense = config.get("vectors", {}).get(DENSE)
        return int(dense["size"]) if dense else None

    def ensure(self, dims: int) -> None:
        if self._shard is not None:
            if self._dims != dims:
                raise StoreError(
                    f"index at {self.path} holds {self._dims}-d vectors, the embedder gives "
                    f"{dims}-d: use a new index or the same model"
                )
            return
        config = qe.EdgeConfig(
            vectors={DENSE: qe.EdgeVectorParams(size=dims, distance=qe.Distance.Cosine)},
            sparse_vectors={SPARSE: qe.EdgeSparseVectorParams(modifier=qe.Modifier.Idf)},
        )
        self.path.mkdir(parents=True, exist_ok=True)
        shard = self._call("create", qe.EdgeShard.create, str(self.path), config)
        for field in INDEXED_FIELDS:
            shard.update(qe.UpdateOperation.create_field_index(field, qe.PayloadSchemaType.Keyword))
        shard.flush()
        self._shard, self._dims = shard, dims

    @property
    def shard(self) -> qe.EdgeShard:
        if self._shard is None:
            raise StoreError(f"no index at {self.path}: ingest something first")
        return self._shard

    def close(self) -> None:
        if self._shard is not None:
            shard, self._shard = self._shard, None
            shard.flush()
            shard.close()

    def __enter__(self) -> EdgeStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- writes ----------------------------------------------------------------------------

    def _update(self, operation: qe.UpdateOperation) -> None:
        self._call("update", self.shard.update, operation)

    def upsert(self, chunks: list[Chunk], dense: np.ndarray, sparse: list[SparseVec]) -> None:
        dense = np.asarray(dense, dtype=np.float32)
        check_batch(chunks, dense, sparse, self._dims or dense.shape[-1])
        for start in range(0, len(chunks), UPSERT_BATCH):
            points = [
                qe.Point(
                    id=point_id(chunk.id),
                    vector={
                        DENSE: vector.tolist(),
                        SPARSE: qe.SparseVector(indices=list(indices), values=list(values)),
                    },
                    payload=chunk_payload(chunk),
                )
                for chunk, vector, (indices, values) in zip(
                    chunks[start : start + UPSERT_BATCH],
                    dense[start : start + UPSERT_BATCH],
                    sparse[start : start + UPSERT_BATCH],
                    strict=True,
                )
            ]
            self._update(qe.UpdateOperation.upsert_points(points))
        self._call("flush", self.shard.flush)

    def delete_document(self, doc_id: str) -> None:
        if self._shard is None:
            return
        self._update(qe.UpdateOperation.delete_points_by_filter(_doc_filter(doc_id)))
        self._call("flush", self.shard.flush)

    def delete_points(self, ids: list[str]) -> None:
        if self._shard is None or not ids:
            return
        self._update(qe.UpdateOperation.delete_points([point_id(i) for i in ids]))
        self._call("flush", self.shard.flush)

    # -- reads -----------------------------------------------------------------------------

    def _scroll(self, flt: qe.Filter | None, with_payload: Any) -> list[qe.Record]:
        records: list[qe.Record] = []
        offset = None
        while True:
            request = qe.ScrollRequest(
                offset=offset, limit=SCROLL_PAGE, filter=flt, with_payload=with_payload
            )
            page, offset = self._call("scroll", self.shard.scroll, request)
            records.extend(page)
            if offset is None or not page:
                return records

    def dims(self) -> int | None:
        """Size of the dense vectors; None when the index does not exist yet."""
        return self._dims

    def scroll_records(self, batch: int = SCROLL_PAGE) -> Iterator[list[qe.Record]]:
        """Every point with its payload and vectors, a page at a time (for copies)."""
        offset = None
        while self._shard is not None:
            request = qe.ScrollRequest(
                offset=offset, limit=batch, with_payload=True, with_vector=True
            )
            page, offset = self._call("scroll", self.shard.scroll, request)
            if page:
                yield page
            if offset is None or not page:
                return

    def point_ids(self, doc_id: str) -> set[str]:
        if self._shard is None:
            return set()
        return {str(record.id) for record in self._scroll(_doc_filter(doc_id), False)}

    def get_chunks(self, doc_id: str) -> list[Chunk]:
        if self._shard is None:
            return []
        chunks = [payload_chunk(r.payload or {}) for r in self._scroll(_doc_filter(doc_id), True)]
        return sorted(chunks, key=lambda chunk: chunk.seq)

    def count(self, doc_id: str | None = None, kind: str | None = None) -> int:
        if self._shard is None:
            return 0
        flt = _filter(
            [(key, value) for key, value in (("doc_id", doc_id), ("kind", kind)) if value]
        )
        return int(self._call("count", self.shard.count, qe.CountRequest(exact=True, filter=flt)))

    def documents(self) -> list[dict[str, Any]]:
        if self._shard is None:
            return []
        request = qe.FacetRequest(key="doc_id", limit=FACET_LIMIT, exact=True)
        facets = [(str(hit.value), int(hit.count)) for hit in self.shard.facet(request)]
        first: dict[str, Any] = {}
        for doc_id, count in facets:
            if count <= 0:
                continue
            request = qe.ScrollRequest(limit=1, filter=_doc_filter(doc_id), with_payload=True)
            page, _ = self._call("scroll", self.shard.scroll, request)
            if page:
                first[doc_id] = payload_chunk(page[0].payload or {})
        return documents_from(facets, first)

    def search(
        self,
        dense_query: np.ndarray | None,
        sparse_query: SparseVec | None,
        k: int = 5,
        filter: SearchFilter | None = None,
        mode: SearchMode = "hybrid",
    ) -> list[Hit]:
        if self._shard is None:
            return []
        flt = _filter(filter.conditions()) if filter else None
        queries = []
        if mode in ("hybrid", "dense") and dense_query is not None:
            dense = np.asarray(dense_query, dtype=np.float32).reshape(-1).tolist()
            queries.append(qe.Query.Nearest(dense, using=DENSE))
        if mode in ("hybrid", "bm25") and sparse_query is not None and sparse_query[0]:
            sparse = qe.SparseVector(indices=list(sparse_query[0]), values=list(sparse_query[1]))
            queries.append(qe.Query.Nearest(sparse, using=SPARSE))
        if not queries:
            if mode == "bm25":
                return []  # a query of stopwords only matches nothing lexically
            raise StoreError(f"search mode {mode!r} needs a query vector")
        if len(queries) == 1:
            request = qe.QueryRequest(limit=k, query=queries[0], filter=flt, with_payload=True)
        else:
            prefetches = [
                qe.Prefetch(limit=prefetch_limit(k), query=query, filter=flt) for query in queries
            ]
            request = qe.QueryRequest(
                limit=k,
                prefetches=prefetches,
                query=qe.Fusion.Rrf(k=RRF_K),
                filter=flt,
                with_payload=True,
            )
        points = self._call("query", self.shard.query, request)
        return hits_from([(point.score, point.payload or {}) for point in points])
