"""KnowledgeBase: the public Python API that the CLI and every agent interface call."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ictrag.config import Settings, load_settings
from ictrag.index.docstore import DocStore
from ictrag.index.manifest import Manifest
from ictrag.ingest import IngestReport, Progress, ingest
from ictrag.model import Document, Element, Figure, Hit

if TYPE_CHECKING:
    from ictrag.figures.query import Between, FigureGraph, Neighbours, PathAnswer
    from ictrag.index.figures import FigureEntry


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
        self._embedder_checked = False
        self._open_lock = threading.Lock()  # two threads must not open the Edge shard twice
        self._catalog = None

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

        if not self._embedder_checked:  # once per opened store, not on every query
            check_embedder(self.manifest(), self.settings, self.path, lambda: self.embedder.dim)
            self._embedder_checked = True
        doc_ids = self._resolve_docs(doc, self.manifest()) if doc else None
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

    def figure(self, figure_id: str, doc: str | None = None) -> tuple[Figure, Document] | None:
        """A figure by id (or unique id prefix), with the document it appears in: the first
        such document by doc id, or the one `doc` names."""
        found = self.figures(figure_id, doc, labels=False)
        return self._load_figure(found[0]) if found else None

    def figures(self, ref: str, doc: str | None = None, labels: bool = True) -> list[FigureEntry]:
        """Every (document, figure) that `ref` names: a figure id or 8+ hex prefix, else
        (labels=True) a label, case- and space-insensitive ("figure 5-1"). `doc` narrows to
        the documents it names (id, title, file name or path)."""
        from ictrag.index.figures import FigureCatalog, label_matches

        manifest = self.manifest()
        doc_ids = set(self._resolve_docs(doc, manifest)) if doc else manifest.doc_ids()
        if self._catalog is None:
            self._catalog = FigureCatalog(self.path / "docs")
        names = self._doc_names(manifest)
        entries = [e.model_copy(update={"doc": names.get(e.doc_id, "")})
                   for e in self._catalog.entries(doc_ids)]  # fmt: skip
        key = ref.strip().rstrip("….").lower()
        by_id = [e for e in entries if e.id == key or (len(key) >= 8 and e.id.startswith(key))]
        if by_id or not labels:
            return by_id
        return [e for e in entries if label_matches(e.label, ref)]

    def figure_graph(self, ref: str, doc: str | None = None) -> FigureGraph:
        """One figure's structure (nodes, edges, messages, notes, groups). Raises
        FigureNotFound, or AmbiguousFigure when `ref` names figures in several documents (or
        several figures) and `doc` does not narrow it to one."""
        from ictrag.figures.query import figure_graph, ref_of

        figure, document = self._one_figure(ref, doc)
        return figure_graph(figure, ref_of(figure, document))

    def figure_neighbours(self, ref: str, node: str, doc: str | None = None) -> Neighbours:
        """The node's edges in and out, with labels; for a sequence, its messages in order.
        Raises GraphQueryError for a node name that names no node or several."""
        from ictrag.figures.query import neighbours

        return neighbours(self.figure_graph(ref, doc), node)

    def figure_path(self, ref: str, a: str, b: str, doc: str | None = None) -> PathAnswer:
        """The shortest path from a to b along the arrows, else ignoring them (directed=False)."""
        from ictrag.figures.query import path

        return path(self.figure_graph(ref, doc), a, b)

    def figure_between(self, ref: str, a: str, b: str, doc: str | None = None) -> Between:
        """The edges and the messages (in order, either way) between a and b."""
        from ictrag.figures.query import between

        return between(self.figure_graph(ref, doc), a, b)

    def _one_figure(self, ref: str, doc: str | None) -> tuple[Figure, Document]:
        from ictrag.index.figures import AmbiguousFigure, FigureNotFound

        if doc and not self._resolve_docs(doc, self.manifest()):
            raise FigureNotFound(f"no indexed document matches {doc!r}")
        found = self.figures(ref, doc)
        if not found:
            where = f" in {doc!r}" if doc else ""
            raise FigureNotFound(f"no figure {ref!r}{where} (give a figure id or a label such as 'Figure 3-1')")  # noqa: E501
        if len({(e.doc_id, e.id) for e in found}) > 1:
            listed = "; ".join(
                f"{e.doc or e.doc_id[:12]} p.{e.page} {e.label or '(no label)'} [id {e.id[:16]}]"
                for e in found[:8]
            )  # noqa: E501
            more = f" and {len(found) - 8} more" if len(found) > 8 else ""
            raise AmbiguousFigure(f"{ref!r} names {len(found)} figures: {listed}{more}; name the document (--doc, doc) to choose one", found)  # noqa: E501
        loaded = self._load_figure(found[0])
        if loaded is None:
            raise FigureNotFound(f"figure {ref!r} is gone from its document")
        return loaded

    def _load_figure(self, entry: FigureEntry) -> tuple[Figure, Document] | None:
        document = DocStore(self.path / "docs").get(entry.doc_id)
        if document is None:
            return None
        figure = next((f for f in document.figures if f.id == entry.id), None)
        return (figure, document) if figure is not None else None

    @staticmethod
    def _doc_names(manifest: Manifest) -> dict[str, str]:
        return {e.doc_id: Path(e.path).name for e in manifest.entries.values()}

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
        self._embedder_checked = False

    def close(self) -> None:
        self._close_store()

    def __enter__(self) -> KnowledgeBase:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
