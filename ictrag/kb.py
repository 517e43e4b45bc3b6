"""KnowledgeBase: the public Python API that the CLI and every agent interface call."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ictrag.config import Settings, load_settings
from ictrag.index.docstore import DocStore
from ictrag.index.manifest import Manifest
from ictrag.ingest import IngestReport, Progress, ingest
from ictrag.model import Document, Element, Figure, Hit


class KnowledgeBase:
    """One index: a folder with the manifest, parsed documents, figure PNGs and caches,
    plus the vectors in Qdrant Edge inside it (or in a Qdrant server when configured)."""

    def __init__(
        self,
        path: str | Path | None = None,
        settings: Settings | None = None,
        **overrides: Any,
    ):
        self.settings = settings or load_settings(**overrides)
        self.path = Path(path) if path else self.settings.home / self.settings.index
        self._store = None
        self._embedder = None
        self._open_lock = threading.Lock()  # two threads must not open the Edge shard twice

    # --- writing -----------------------------------------------------------------------

    def ingest(
        self, paths: Iterable[str | Path] | str | Path, prune: bool = False,
        progress: Progress | None = None, engine: str = "local", ray_address: str | None = None,
        reindex: bool = False,
    ) -> IngestReport:
        """engine "local" (worker processes here) or "ray" (a Ray cluster: docs/scaling.md).
        reindex: redo every document (and rebuild an index made with another embedder)."""
        if isinstance(paths, (str, Path)):
            paths = [paths]
        from ictrag.engines import make_engine

        runner = make_engine(engine, self.settings, self.path, ray_address)
        self._close_store()  # the ingest opens its own handle on the same shard
        return ingest(paths, self.path, self.settings, runner, prune=prune, progress=progress,
                      reindex=reindex)

    def remove(self, doc: str) -> list[str]:
        """Remove a document by id, id prefix, title, file name or path. Returns the
        removed paths."""
        from ictrag.index.lock import index_lock
        from ictrag.ingest import Indexer

        self._close_store()
        with index_lock(self.path, self.settings.ingest_lock_timeout_s):
            indexer = Indexer(self.path, self.settings)
            try:
                doc_ids = set(self._resolve_docs(doc, indexer.manifest))
                paths = [e.path for e in indexer.manifest.entries.values() if e.doc_id in doc_ids]
                for path in paths:
                    indexer.remove_path(path)
                return paths
            finally:
                indexer.close()

    # --- reading -----------------------------------------------------------------------

    @property
    def store(self):
        if self._store is None:
            from ictrag.index.store import open_store

            with self._open_lock:
                if self._store is None:
                    self._store = open_store(self.settings, self.path)
        return self._store

    @property
    def embedder(self):
        if self._embedder is None:
            from ictrag.index.embed import DenseEmbedder

            with self._open_lock:
                if self._embedder is None:
                    self._embedder = DenseEmbedder(self.settings.embed)
        return self._embedder

    def search(
        self,
        text: str,
        k: int = 5,
        kind: str | None = None,
        doc: str | None = None,
        figure_type: str | None = None,
        mode: str = "hybrid",
    ) -> list[Hit]:
        from ictrag.ingest.reindex import check_embedder
        from ictrag.search import search

        manifest = self.manifest()
        check_embedder(manifest, self.settings, self.path, lambda: self.embedder.dim)
        doc_ids = self._resolve_docs(doc, manifest) if doc else None
        if doc and not doc_ids:
            return []
        return search(self.store, self.embedder, text, k=k, kind=kind, doc_ids=doc_ids,
                      figure_type=figure_type, mode=mode)  # fmt: skip

    def manifest(self) -> Manifest:
        return Manifest(self.path)

    def documents(self) -> list[dict[str, Any]]:
        """One row per indexed file: doc id, title, path, pages, chunks, figures, and
        `stale`: the components (loader, chunker, embedder, captioner) that this
        configuration and code would make differently, so that an ingest would redo it."""
        from ictrag.index.fingerprint import stale
        from ictrag.ingest.reindex import planned

        manifest = self.manifest()
        entries = manifest.all()
        now = planned(manifest, self.settings) if entries else None
        return [
            {**entry.model_dump(exclude={"fingerprint"}), "stale": stale(entry.fingerprint, now)}
            for entry in entries
        ]

    def document(self, doc: str) -> Document | None:
        doc_ids = self._resolve_docs(doc, self.manifest())
        return DocStore(self.path / "docs").get(doc_ids[0]) if doc_ids else None

    def page(self, doc: str, page: int) -> list[Element]:
        """The elements (text blocks and figures) of one 1-based page, in reading order."""
        document = self.document(doc)
        if document is None:
            return []
        return [element for element in document.elements if element.page == page]

    def figure(self, figure_id: str) -> tuple[Figure, Document] | None:
        """A figure by id (or unique id prefix), with the document it appears in."""
        store = DocStore(self.path / "docs")
        for doc_id in sorted(self.manifest().doc_ids()):
            document = store.get(doc_id)
            if document is None:
                continue
            for figure in document.figures:
                if figure.id == figure_id or (len(figure_id) >= 8 and figure.id.startswith(figure_id)):
                    return figure, document
        return None

    def _resolve_docs(self, doc: str, manifest: Manifest) -> list[str]:
        matches: list[str] = []
        for entry in manifest.entries.values():
            names = {entry.doc_id, entry.path, Path(entry.path).name, Path(entry.path).stem, entry.title}
            if doc in names or (len(doc) >= 8 and entry.doc_id.startswith(doc)):
                matches.append(entry.doc_id)
        return sorted(set(matches))

    def _close_store(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None

    def close(self) -> None:
        self._close_store()

    def __enter__(self) -> KnowledgeBase:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
