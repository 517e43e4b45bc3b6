"""Copy an index's points between Qdrant Edge (embedded) and a Qdrant server collection.

Edge → server: scroll the shard with vectors and payloads, upsert in batches into the
collection (created with the configured shard_number / replication_factor /
write_consistency_factor and payload indexes), then verify per-document counts. Qdrant Edge
0.9 has no way to *make* a snapshot (only `unpack_snapshot` / `update_from_snapshot` to take
one from a server), so points are the official route in this direction.

Server → Edge: the same copy the other way. The snapshot route (a server shard snapshot
unpacked into an Edge shard) is documented in docs/scaling.md and not used here: it needs a
single-shard collection and a real server.

The index folder (manifest, parsed documents, figures) stays where it is: a server
collection is used by pointing the same index at it (`store.qdrant_url`). Copying into a
folder with no manifest rebuilds one from the payloads (doc id = sha256 of the file, so the
next ingest of the same files finds them unchanged).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel

from ictrag.index.manifest import Manifest, ManifestEntry, has_manifest
from ictrag.index.store import (
    DENSE,
    SCROLL_PAGE,
    SPARSE,
    SparseVec,
    Store,
    StoreError,
    payload_chunk,
    server_store,
)
from ictrag.model import Chunk

Batch = tuple[list[Chunk], np.ndarray, list[SparseVec]]


class MigrateError(RuntimeError):
    """A copy could not start or did not verify; the message is one line for the user."""


class MigrateReport(BaseModel):
    source: str
    target: str
    points: int
    documents: int
    target_points: int
    seconds: float
    manifest_rebuilt: bool = False


def _sparse(value: Any) -> SparseVec:
    if value is None:
        return ([], [])
    if isinstance(value, dict):
        return (list(value["indices"]), list(value["values"]))
    return (list(value.indices), list(value.values))


def _batch(records: list[Any], dims: int) -> Batch:
    chunks, dense, sparse = [], [], []
    for record in records:
        vector = record.vector or {}
        chunks.append(payload_chunk(record.payload or {}))
        dense.append(vector.get(DENSE) or [0.0] * dims)
        sparse.append(_sparse(vector.get(SPARSE)))
    return chunks, np.asarray(dense, dtype=np.float32).reshape(len(chunks), dims), sparse


def scroll_points(store: Store, batch: int = SCROLL_PAGE) -> Iterator[Batch]:
    """Every point of a store, with vectors, in pages of `batch`."""
    dims = _dims(store)
    for page in store.scroll_records(batch):
        yield _batch(page, dims)


def _dims(store: Store) -> int:
    dims = store.dims()
    if dims is None:
        where = getattr(store, "path", None) or getattr(store, "where", "")
        raise MigrateError(f"no index at {where}: nothing to copy")
    return dims


def copy_points(source: Store, target: Store, batch: int = SCROLL_PAGE) -> tuple[int, float]:
    """Copy all points; the target is created (with payload indexes) if it does not exist.
    Refuses a target that already holds points of documents the source does not have."""
    started = time.perf_counter()
    target.ensure(_dims(source))
    wanted = {doc["doc_id"]: doc["chunks"] for doc in source.documents()}
    strangers = [d["doc_id"] for d in target.documents() if d["doc_id"] not in wanted]
    if strangers:
        raise MigrateError(
            f"the target already holds {len(strangers)} document(s) the source does not: "
            "use an empty collection or index"
        )
    copied = 0
    for chunks, dense, sparse in scroll_points(source, batch):
        target.upsert(chunks, dense, sparse)
        copied += len(chunks)
    got = {doc["doc_id"]: doc["chunks"] for doc in target.documents()}
    wrong = [doc_id for doc_id, n in wanted.items() if got.get(doc_id) != n]
    if wrong or target.count() != source.count():
        raise MigrateError(
            f"copy did not verify: {len(wrong)} document(s) differ, "
            f"{target.count()} points in the target vs {source.count()} in the source"
        )
    return copied, time.perf_counter() - started


def rebuild_manifest(index_dir: Path, store: Any) -> bool:
    """Write a manifest from the store's payloads when the folder has none."""
    if has_manifest(Path(index_dir)):
        return False
    manifest = Manifest(Path(index_dir))
    for doc in store.documents():
        chunks = store.get_chunks(doc["doc_id"])
        manifest.entries[doc["source"] or doc["doc_id"]] = ManifestEntry(
            path=doc["source"] or doc["doc_id"],
            sha256=doc["doc_id"],  # a Document's id is the sha256 of its file's bytes
            doc_id=doc["doc_id"],
            chunks=doc["chunks"],
            pages=max((p for c in chunks for p in c.pages), default=0),
            figures=sum(c.kind == "figure" for c in chunks),
            title=doc["title"],
        )
    manifest.save()
    return True


def migrate(
    index_dir: Path,
    settings: Any,
    to_server: bool = True,
    url: str | None = None,
    path: str | None = None,
    collection: str | None = None,
) -> MigrateReport:
    """Edge index at `index_dir` ⇄ server collection (`url`, or qdrant-client local mode
    at `path`). to_server=False copies the collection into the folder's Edge shard."""
    from ictrag.index.store_edge import EdgeStore

    collection = collection or settings.store.collection
    edge_path = Path(index_dir) / "qdrant"
    if to_server and not edge_path.exists():
        raise MigrateError(f"no Edge index at {index_dir}")
    try:
        edge = EdgeStore(edge_path)
        server = server_store(settings, url=url, path=path, collection=collection)
    except StoreError as error:
        raise MigrateError(str(error)) from error
    where = f"{url or path} collection {collection}"
    source, target = (edge, server) if to_server else (server, edge)
    try:
        copied, seconds = copy_points(source, target)
        rebuilt = False if to_server else rebuild_manifest(Path(index_dir), edge)
        return MigrateReport(
            source=str(index_dir) if to_server else where,
            target=where if to_server else str(index_dir),
            points=copied,
            documents=len(source.documents()),
            target_points=target.count(),
            seconds=round(seconds, 3),
            manifest_rebuilt=rebuilt,
        )
    except StoreError as error:
        raise MigrateError(str(error)) from error
    finally:
        edge.close()
        server.close()
