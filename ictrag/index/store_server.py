"""qdrant-client: a Qdrant server (url), or the client's local mode (path or ":memory:")."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from typing import Any

import numpy as np
from qdrant_client import QdrantClient, models

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

FACET_LIMIT = 1_000_000


def _filter(conditions: list[tuple[str, Any]]) -> models.Filter | None:
    if not conditions:
        return None
    must: list[models.Condition] = [
        models.FieldCondition(
            key=key,
            match=models.MatchAny(any=value)
            if isinstance(value, list)
            else models.MatchValue(value=value),
        )
        for key, value in conditions
    ]
    return models.Filter(must=must)


def _doc_filter(doc_id: str) -> models.Filter:
    return _filter([("doc_id", doc_id)])  # type: ignore[return-value]


class ServerStore:
    """A Store on a qdrant-client collection. Writes wait for the server to apply them."""

    def __init__(
        self,
        url: str | None = None,
        path: str | None = None,
        collection: str = "ictrag",
        api_key: str | None = None,
        shard_number: int | None = None,
        replication_factor: int | None = None,
        write_consistency_factor: int | None = None,
    ) -> None:
        if not url and not path:
            raise StoreError("ServerStore needs a url or a path (or ':memory:')")
        self.collection = collection
        self.where = url or path
        self._create_args = {
            "shard_number": shard_number,
            "replication_factor": replication_factor,
            "write_consistency_factor": write_consistency_factor,
        }
        try:
            if url == ":memory:" or path == ":memory:":
                self.client = QdrantClient(location=":memory:")
            elif url:
                self.client = QdrantClient(url=url, api_key=api_key)
            else:
                self.client = QdrantClient(path=path)
        except (RuntimeError, OSError, ValueError) as exc:
            raise StoreError(f"cannot open qdrant at {self.where}: {exc}") from exc
        self._dims: int | None = None
        self._exists: bool | None = None

    def _call(self, what: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            with warnings.catch_warnings():
                # local mode warns that payload indexes have no effect there
                warnings.simplefilter("ignore", UserWarning)
                return fn(*args, **kwargs)
        except StoreError:
            raise
        except Exception as exc:  # network, HTTP and local-mode errors alike
            first_line = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
            raise StoreError(
                f"qdrant {what} failed ({self.where}, {self.collection}): {first_line}"
            ) from exc

    def _ready(self) -> bool:
        if not self._exists:
            self._exists = self._call(
                "collection_exists", self.client.collection_exists, self.collection
            )
        return bool(self._exists)

    def ensure(self, dims: int) -> None:
        if self._ready():
            info = self._call("get_collection", self.client.get_collection, self.collection)
            vectors = info.config.params.vectors
            size = vectors[DENSE].size if isinstance(vectors, dict) and DENSE in vectors else None
            if size != dims:
                raise StoreError(
                    f"collection {self.collection!r} holds {size}-d vectors, the embedder gives "
                    f"{dims}-d: use another collection or the same model"
                )
            self._dims = dims
            return
        self._call(
            "create_collection",
            self.client.create_collection,
            self.collection,
            vectors_config={DENSE: models.VectorParams(size=dims, distance=models.Distance.COSINE)},
            sparse_vectors_config={SPARSE: models.SparseVectorParams(modifier=models.Modifier.IDF)},
            **{key: value for key, value in self._create_args.items() if value is not None},
        )
        for field in INDEXED_FIELDS:
            self._call(
                "create_payload_index",
                self.client.create_payload_index,
                self.collection,
                field,
                field_schema=models.PayloadSchemaType.KEYWORD,
                wait=True,
            )
        self._exists, self._dims = True, dims

    def close(self) -> None:
        self.client.close()

    def __enter__(self) -> ServerStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- writes ----------------------------------------------------------------------------

    def upsert(self, chunks: list[Chunk], dense: np.ndarray, sparse: list[SparseVec]) -> None:
        if not self._ready():
            raise StoreError(f"collection {self.collection!r} does not exist: call ensure() first")
        dense = np.asarray(dense, dtype=np.float32)
        check_batch(chunks, dense, sparse, self._dims or dense.shape[-1])
        for start in range(0, len(chunks), UPSERT_BATCH):
            points = [
                models.PointStruct(
                    id=point_id(chunk.id),
                    vector={
                        DENSE: vector.tolist(),
                        SPARSE: models.SparseVector(indices=list(indices), values=list(values)),
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
            self._call("upsert", self.client.upsert, self.collection, points=points, wait=True)

    def delete_document(self, doc_id: str) -> None:
        if self._ready():
            selector = models.FilterSelector(filter=_doc_filter(doc_id))
            self._call("delete", self.client.delete, self.collection, selector, wait=True)

    def delete_points(self, ids: list[str]) -> None:
        if ids and self._ready():
            selector = models.PointIdsList(points=[point_id(i) for i in ids])
            self._call("delete", self.client.delete, self.collection, selector, wait=True)

    # -- reads -----------------------------------------------------------------------------

    def _pages(
        self,
        flt: models.Filter | None,
        with_payload: bool,
        with_vectors: bool = False,
        batch: int = SCROLL_PAGE,
    ) -> Iterator[list[models.Record]]:
        offset = None
        while True:
            page, offset = self._call(
                "scroll",
                self.client.scroll,
                self.collection,
                scroll_filter=flt,
                limit=batch,
                offset=offset,
                with_payload=with_payload,
                with_vectors=with_vectors,
            )
            if page:
                yield page
            if offset is None or not page:
                return

    def _scroll(self, flt: models.Filter | None, with_payload: bool) -> list[models.Record]:
        return [record for page in self._pages(flt, with_payload) for record in page]

    def dims(self) -> int | None:
        """Size of the dense vectors; None when the collection does not exist yet."""
        if self._dims is None and self._ready():
            info = self._call("get_collection", self.client.get_collection, self.collection)
            vectors = info.config.params.vectors
            if isinstance(vectors, dict) and DENSE in vectors:
                self._dims = int(vectors[DENSE].size)
        return self._dims

    def scroll_records(self, batch: int = SCROLL_PAGE) -> Iterator[list[models.Record]]:
        """Every point with its payload and vectors, a page at a time (for copies)."""
        if self._ready():
            yield from self._pages(None, True, with_vectors=True, batch=batch)

    def point_ids(self, doc_id: str) -> set[str]:
        if not self._ready():
            return set()
        return {str(record.id) for record in self._scroll(_doc_filter(doc_id), False)}

    def get_chunks(self, doc_id: str) -> list[Chunk]:
        if not self._ready():
            return []
        chunks = [payload_chunk(r.payload or {}) for r in self._scroll(_doc_filter(doc_id), True)]
        return sorted(chunks, key=lambda chunk: chunk.seq)

    def count(self, doc_id: str | None = None, kind: str | None = None) -> int:
        if not self._ready():
            return 0
        flt = _filter(
            [(key, value) for key, value in (("doc_id", doc_id), ("kind", kind)) if value]
        )
        result = self._call(
            "count", self.client.count, self.collection, count_filter=flt, exact=True
        )
        return int(result.count)

    def documents(self) -> list[dict[str, Any]]:
        if not self._ready():
            return []
        response = self._call(
            "facet", self.client.facet, self.collection, "doc_id", limit=FACET_LIMIT, exact=True
        )
        facets = [(str(hit.value), int(hit.count)) for hit in response.hits]
        first: dict[str, Chunk] = {}
        for doc_id, _ in facets:
            page, _ = self._call(
                "scroll",
                self.client.scroll,
                self.collection,
                scroll_filter=_doc_filter(doc_id),
                limit=1,
                with_payload=True,
            )
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
        if not self._ready():
            return []
        flt = _filter(filter.conditions()) if filter else None
        queries: list[tuple[Any, str]] = []
        if mode in ("hybrid", "dense") and dense_query is not None:
            queries.append((np.asarray(dense_query, dtype=np.float32).reshape(-1).tolist(), DENSE))
        if mode in ("hybrid", "bm25") and sparse_query is not None and sparse_query[0]:
            sparse = models.SparseVector(
                indices=list(sparse_query[0]), values=list(sparse_query[1])
            )
            queries.append((sparse, SPARSE))
        if not queries:
            if mode == "bm25":
                return []  # a query of stopwords only matches nothing lexically
            raise StoreError(f"search mode {mode!r} needs a query vector")
        if len(queries) == 1:
            query, using = queries[0]
            kwargs: dict[str, Any] = {"query": query, "using": using}
        else:
            kwargs = {
                "prefetch": [
                    models.Prefetch(query=query, using=using, limit=prefetch_limit(k), filter=flt)
                    for query, using in queries
                ],
                "query": models.RrfQuery(rrf=models.Rrf(k=RRF_K)),
            }
        response = self._call(
            "query",
            self.client.query_points,
            self.collection,
            query_filter=flt,
            limit=k,
            with_payload=True,
            **kwargs,
        )
        return hits_from([(point.score, point.payload or {}) for point in response.points])
