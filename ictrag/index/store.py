"""The vector store contract, shared helpers and the factory.

Two implementations speak it: `EdgeStore` (Qdrant Edge, embedded in the process, one folder per
index) and `ServerStore` (qdrant-client: a Qdrant server, or its local/in-memory mode). Both keep
the whole Chunk as payload, a `dense` cosine vector and a `bm25` sparse vector whose IDF the
engine computes (Modifier.IDF); hybrid search is prefetch dense + prefetch bm25 fused by the
engine's RRF.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol, runtime_checkable

import numpy as np
from pydantic import BaseModel

from ictrag.model import Chunk, Hit

if TYPE_CHECKING:
    from ictrag.config import Settings

SearchMode = Literal["hybrid", "dense", "bm25"]
SparseVec = tuple[list[int], list[float]]

DENSE = "dense"
SPARSE = "bm25"
INDEXED_FIELDS = ("doc_id", "kind", "figure_type")
"""Keyword payload indexes: the fields filters and facets use."""
RRF_K = 2
"""Qdrant's own default RRF constant, so Edge and server rank alike."""
UPSERT_BATCH = 256
SCROLL_PAGE = 1024
_NAMESPACE = uuid.UUID("5b0f3c1e-8d7a-4f52-9a57-1c7f2e4b9d10")


class StoreError(RuntimeError):
    """A store operation failed; the message is one line meant for the user."""


class SearchFilter(BaseModel):
    """Restrict a search (or a count) to some documents, a chunk kind or a figure type."""

    doc_ids: list[str] | None = None
    kind: Literal["text", "figure"] | None = None
    figure_type: str | None = None

    def conditions(self) -> list[tuple[str, str | list[str]]]:
        """(field, value) pairs; a list value means "any of"."""
        out: list[tuple[str, str | list[str]]] = []
        if self.doc_ids:
            out.append(("doc_id", list(self.doc_ids)))
        if self.kind:
            out.append(("kind", self.kind))
        if self.figure_type:
            out.append(("figure_type", self.figure_type))
        return out


@runtime_checkable
class Store(Protocol):
    def ensure(self, dims: int) -> None:
        """Create the collection (or check that the existing one has `dims`)."""

    def upsert(self, chunks: list[Chunk], dense: np.ndarray, sparse: list[SparseVec]) -> None:
        """Write chunks; the same chunk id overwrites its point. Durable when this returns."""

    def delete_document(self, doc_id: str) -> None: ...

    def delete_points(self, ids: list[str]) -> None: ...

    def point_ids(self, doc_id: str) -> set[str]: ...

    def search(
        self,
        dense_query: np.ndarray | None,
        sparse_query: SparseVec | None,
        k: int = 5,
        filter: SearchFilter | None = None,
        mode: SearchMode = "hybrid",
    ) -> list[Hit]: ...

    def documents(self) -> list[dict[str, Any]]:
        """One dict per document: doc_id, source, title, chunks."""

    def count(self, doc_id: str | None = None, kind: str | None = None) -> int: ...

    def get_chunks(self, doc_id: str) -> list[Chunk]:
        """A document's chunks in reading order (by seq)."""

    def dims(self) -> int | None:
        """Size of the dense vectors; None before the first write."""

    def scroll_records(self, batch: int = SCROLL_PAGE) -> Iterator[list[Any]]:
        """Every point with payload and vectors (engine records), a page at a time."""

    def close(self) -> None: ...


def chunk_point_id(doc_id: str, seq: int, kind: str) -> str:
    """A deterministic UUID for a chunk: re-ingesting a document rewrites the same points."""
    return str(uuid.uuid5(_NAMESPACE, f"{doc_id}:{kind}:{seq}"))


def point_id(chunk_id: str) -> str:
    """Qdrant ids are UUIDs or integers: a UUID chunk id is used as is, any other is hashed."""
    try:
        return str(uuid.UUID(chunk_id))
    except (ValueError, AttributeError, TypeError):
        return str(uuid.uuid5(_NAMESPACE, str(chunk_id)))


def chunk_payload(chunk: Chunk) -> dict[str, Any]:
    return chunk.model_dump(mode="json")


def payload_chunk(payload: dict[str, Any]) -> Chunk:
    return Chunk.model_validate(payload)


def prefetch_limit(k: int) -> int:
    return max(50, 5 * k)


def check_batch(chunks: list[Chunk], dense: np.ndarray, sparse: list[SparseVec], dims: int) -> None:
    if len(chunks) != len(dense) or len(chunks) != len(sparse):
        raise StoreError(
            f"upsert needs one dense and one sparse vector per chunk "
            f"(chunks={len(chunks)}, dense={len(dense)}, sparse={len(sparse)})"
        )
    if len(chunks) and (dense.ndim != 2 or dense.shape[1] != dims):
        raise StoreError(f"dense vectors have shape {dense.shape}, the index expects (n, {dims})")


def documents_from(facets: list[tuple[str, int]], first: dict[str, Chunk]) -> list[dict[str, Any]]:
    """Join per-document chunk counts with one chunk's source/title, sorted by source."""
    docs = []
    for doc_id, count in facets:
        if count <= 0:  # Edge's exact facet still lists values whose points were all deleted
            continue
        chunk = first.get(doc_id)
        docs.append(
            {
                "doc_id": doc_id,
                "source": chunk.source if chunk else "",
                "title": chunk.title if chunk else "",
                "chunks": count,
            }
        )
    return sorted(docs, key=lambda doc: (doc["source"], doc["doc_id"]))


def hits_from(points: list[tuple[float, dict[str, Any]]]) -> list[Hit]:
    return [
        Hit(rank=rank, score=float(score), chunk=payload_chunk(payload))
        for rank, (score, payload) in enumerate(points, start=1)
    ]


def open_store(settings: Settings, index_dir: Path) -> Store:
    """A Qdrant server when `store.qdrant_url` is set, else Qdrant Edge in index_dir/qdrant."""
    if settings.store.qdrant_url:
        return server_store(settings)
    from ictrag.index.store_edge import EdgeStore

    return EdgeStore(Path(index_dir) / "qdrant")


def server_store(
    settings: Settings,
    url: str | None = None,
    path: str | None = None,
    collection: str | None = None,
) -> Store:
    """A ServerStore with the configured collection, sharding and API key: at `url`, or in
    qdrant-client local mode at `path`, or at `store.qdrant_url` when neither is given."""
    from ictrag.index.store_server import ServerStore

    conf = settings.store
    return ServerStore(
        url=url if (url or path) else conf.qdrant_url,
        path=path,
        collection=collection or conf.collection,
        api_key=os.environ.get(conf.api_key_env) or None,
        shard_number=conf.shard_number,
        replication_factor=conf.replication_factor,
        write_consistency_factor=conf.write_consistency_factor,
    )
