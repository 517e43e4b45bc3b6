"""The commit side of an ingest: each prepared document written in one atomic order.

Per document: new points upserted, old points deleted, parsed document saved, manifest
entry committed. A run killed at any point leaves at worst points the manifest does not
know; the next run deletes those orphans first and redoes the document.
"""

from __future__ import annotations

import time
from pathlib import Path

from ictrag.config import Settings
from ictrag.index.docstore import DocStore
from ictrag.index.manifest import Manifest, ManifestEntry
from ictrag.ingest.reindex import drop_vectors, leftover_points
from ictrag.ingest.report import FileResult
from ictrag.ingest.stages import Encoded, Prepared, encode_prepared
from ictrag.ingest.versions import current, embedder_id


class Indexer:
    """Writes prepared documents into the store and the manifest, one atomic step each."""

    def __init__(self, index_dir: Path, settings: Settings):
        from ictrag.index.store import open_store

        self.index_dir = index_dir
        self.settings = settings
        self.manifest = Manifest(index_dir)
        self.docstore = DocStore(index_dir / "docs")
        self.store = open_store(settings, index_dir)
        self._embedder = None
        self._fingerprint = None

    @property
    def embedder(self):
        """Loaded on first write, so that a run with nothing new never loads the model."""
        if self._embedder is None:
            from ictrag.index.embed import DenseEmbedder

            self._embedder = DenseEmbedder(self.settings.embed)
            self.store.ensure(self._embedder.dim)
        return self._embedder

    @property
    def fingerprint(self):
        """What this run's components are, recorded with every committed entry."""
        if self._fingerprint is None:
            embedder = embedder_id(self.settings.embed, dim=self.embedder.dim)
            self._fingerprint = current(self.settings, embedder)
        return self._fingerprint

    def rebuild_store(self) -> list[str]:
        """Drop the vectors of another embedder. Returns the indexed files still there, to
        redo; the entries of files that are gone are dropped."""
        from ictrag.index.store import open_store

        drop_vectors(self.store, self.settings, self.index_dir)
        self.store = open_store(self.settings, self.index_dir)
        self.manifest.set_embedder(None)
        self.store.ensure(self.embedder.dim)
        present = [path for path in self.manifest.entries if Path(path).is_file()]
        for path in set(self.manifest.entries) - set(present):
            self.remove_path(path)
        return present

    def remove_orphans(self) -> int:
        """Points of documents the manifest does not know: left by a killed run."""
        known = self.manifest.doc_ids()
        orphans = [doc["doc_id"] for doc in self.store.documents() if doc["doc_id"] not in known]
        for doc_id in orphans:
            self.store.delete_document(doc_id)
        for doc_id in self.docstore.ids() - known:
            self.docstore.delete(doc_id)
        return len(orphans)

    def write(self, prepared: Prepared) -> FileResult:
        started = time.perf_counter()
        encoded = encode_prepared([prepared], self.embedder)[0]
        return self.commit(prepared, encoded, seconds=time.perf_counter() - started)

    def commit(
        self, prepared: Prepared, encoded: Encoded, upserted: bool = False, seconds: float = 0.0
    ) -> FileResult:
        """Upsert (unless a parallel writer already did), release the old version, save the
        parsed document, commit the manifest entry: the atomic per-document step."""
        document = prepared.document
        assert document is not None
        started = time.perf_counter()
        chunks = encoded.chunks
        if not chunks:  # no text, no figure: nothing to index, and no stale version kept
            self.remove_path(prepared.path)
            return FileResult(
                path=prepared.path, status="empty", title=document.title,
                error="no text or figures found", seconds=prepared.seconds + seconds,
            )
        old = self.manifest.get(prepared.path)
        if not upserted:
            self.store.upsert(chunks, encoded.dense, encoded.sparse)
        if old is not None and old.doc_id != document.id:
            self.release(old.doc_id, keep_path=prepared.path)
        elif old is not None:  # redone in place: points of chunks that are no more
            self.store.delete_points(leftover_points(self.store, document.id, chunks))
        self.docstore.put(document)
        figure_chunks = sum(chunk.kind == "figure" for chunk in chunks)
        figures = len({chunk.figure_id for chunk in chunks if chunk.figure_id})
        self.manifest.put(
            ManifestEntry(
                path=prepared.path,
                sha256=prepared.sha256,
                doc_id=document.id,
                chunks=len(chunks),
                pages=document.page_count,
                figures=figures,
                title=document.title,
                fingerprint=self.fingerprint,
            ),
            embedder=self.fingerprint.embedder,
        )
        return FileResult(
            path=prepared.path,
            status="ingested",
            doc_id=document.id,
            title=document.title,
            pages=document.page_count,
            chunks=len(chunks),
            figure_chunks=figure_chunks,
            figures=figures,
            seconds=prepared.seconds + seconds + time.perf_counter() - started,
        )

    def release(self, doc_id: str, keep_path: str | None = None) -> None:
        """Delete a document's points unless another indexed path still has the same content."""
        others = [e for e in self.manifest.by_doc(doc_id) if e.path != keep_path]
        if not others:
            self.store.delete_document(doc_id)
            self.docstore.delete(doc_id)

    def remove_path(self, path: str) -> FileResult | None:
        entry = self.manifest.get(path)
        if entry is None:
            return None
        self.release(entry.doc_id, keep_path=path)
        self.manifest.drop(path)
        return FileResult(path=path, status="removed", doc_id=entry.doc_id, title=entry.title)

    def record_duplicate(self, path: str, sha: str, twin: ManifestEntry) -> FileResult:
        """Same bytes as a file already indexed: record the path, write no second copy."""
        old = self.manifest.get(path)
        if old is not None and old.doc_id != twin.doc_id:
            self.release(old.doc_id, keep_path=path)
        self.manifest.put(twin.model_copy(update={"path": path}))
        return FileResult(
            path=path, status="duplicate", doc_id=twin.doc_id, title=twin.title,
            error=f"same content as {twin.path}",
        )

    def close(self) -> None:
        self.store.close()


def failed(prepared: Prepared) -> FileResult:
    return FileResult(
        path=prepared.path, status="failed", error=prepared.error, seconds=prepared.seconds
    )


def open_index_store(settings: Settings, index_dir: Path):
    """The vector store of an index (Qdrant Edge inside it, or the configured server)."""
    from ictrag.index.store import open_store

    return open_store(settings, index_dir)
