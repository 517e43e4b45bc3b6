"""Ingest orchestration: incremental, atomic per document, parallel over files.

Worker processes load files and describe their figures (CPU-bound: parsing, rendering,
OCR); the parent chunks, embeds and writes to the store as documents arrive. Per document
the order is: new points upserted, old points deleted, parsed document saved, manifest
entry committed. A run killed at any point leaves at worst points the manifest does not
know; the next run deletes those orphans first and redoes the document.
"""

from __future__ import annotations

import multiprocessing
import os
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal, Protocol

from pydantic import BaseModel

from ictrag.config import Settings
from ictrag.docstore import DocStore
from ictrag.fingerprint import current, embedder_id
from ictrag.indexlock import index_lock
from ictrag.load import SUPPORTED_SUFFIXES, LoadError, load
from ictrag.manifest import Manifest, ManifestEntry
from ictrag.model import Chunk, Document, sha256_file
from ictrag.reindex import (
    check_embedder,
    drop_vectors,
    fresh_twin,
    is_fresh,
    leftover_points,
    planned,
)

if TYPE_CHECKING:
    import numpy as np

    from ictrag.index.store import SparseVec

Status = Literal["ingested", "reindexed", "unchanged", "duplicate", "failed", "removed"]
Engine = Literal["local", "ray"]
ENGINES = ("local", "ray")


class FileResult(BaseModel):
    path: str
    status: Status
    doc_id: str | None = None
    title: str = ""
    pages: int = 0
    chunks: int = 0
    figure_chunks: int = 0
    figures: int = 0
    error: str | None = None
    seconds: float = 0.0


class IngestReport(BaseModel):
    files: list[FileResult]
    seconds: float

    @property
    def ok(self) -> bool:
        return not any(result.status == "failed" for result in self.files)

    def count(self, status: Status) -> int:
        return sum(result.status == status for result in self.files)

    def totals(self) -> dict[str, float]:
        done = [r for r in self.files if r.status in ("ingested", "reindexed")]
        return {
            "documents": len(done),
            "reindexed": self.count("reindexed"),
            "unchanged": self.count("unchanged"),
            "duplicates": self.count("duplicate"),
            "removed": self.count("removed"),
            "failed": self.count("failed"),
            "pages": sum(r.pages for r in done),
            "text_chunks": sum(r.chunks - r.figure_chunks for r in done),
            "figures": sum(r.figures for r in done),
            "seconds": round(self.seconds, 2),
        }


class Progress(Protocol):
    def start(self, files: int) -> None: ...
    def advance(self, result: FileResult) -> None: ...


class _Silent:
    def start(self, files: int) -> None:
        pass

    def advance(self, result: FileResult) -> None:
        pass


def expand_paths(paths: Iterable[str | Path]) -> list[Path]:
    """Files as given, and supported files under directories (hidden ones skipped)."""
    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                hidden = any(part.startswith(".") for part in child.relative_to(path).parts)
                if child.is_file() and not hidden and child.suffix.lower() in SUPPORTED_SUFFIXES:
                    found.append(child)
        else:
            found.append(path)
    unique: dict[str, Path] = {}
    for path in found:
        unique.setdefault(str(path.resolve()), path)
    return list(unique.values())


# --- worker side -------------------------------------------------------------------------

_captioners: dict[str, object] = {}


def _captioner_for(settings: Settings):
    from ictrag.figures.registry import make_captioner

    key = settings.caption.model_dump_json()
    if key not in _captioners:
        _captioners[key] = make_captioner(settings.caption)
    return _captioners[key]


@dataclass
class _Prepared:
    path: str
    sha256: str
    document: Document | None
    error: str | None
    seconds: float


def prepare(
    path: str, sha256: str, settings: Settings, index_dir: str, caption: bool = True
) -> _Prepared:
    """Load one file and describe its figures. Never raises: errors come back as data.

    caption=False stops after the figures' own text (vector spans, OCR): the Ray engine
    captions in actors of its own."""
    from ictrag.figures.describe import describe_document

    started = time.perf_counter()
    try:
        document = load(path, Path(index_dir) / "figures", settings.load)
        captioner = _captioner_for(settings) if caption else None
        describe_document(document, captioner, Path(index_dir) / "cache", ocr=settings.caption.ocr)
        return _Prepared(path, sha256, document, None, time.perf_counter() - started)
    except LoadError as error:
        return _Prepared(path, sha256, None, str(error), time.perf_counter() - started)
    except Exception as error:  # a bug on one file must not sink the run
        message = (str(error).splitlines() or [""])[0]
        return _Prepared(path, sha256, None, f"{type(error).__name__}: {message}", 0.0)


def _expected_cost(path: str) -> float:
    """Rough seconds of loader work, to start the longest jobs first. A PDF's raster images
    dominate (OCR, ~1 s each); its pages cost little. Other files: by size."""
    try:
        if path.lower().endswith(".pdf"):
            import pymupdf

            with pymupdf.open(path) as pdf:
                images = {image[0] for page in pdf for image in page.get_images()}
                return 0.05 * pdf.page_count + len(images)
        return os.path.getsize(path) / 1e6
    except Exception:  # an unreadable file fails later, with its own error line
        return 0.0


def _worker_init() -> None:
    # Each worker is one CPU; oversubscribing BLAS/ONNX threads on 2 cores slows all.
    os.environ.setdefault("OMP_NUM_THREADS", "1")


def _prepare_all(
    jobs: list[tuple[str, str]], settings: Settings, index_dir: Path
) -> Iterator[_Prepared]:
    if settings.workers <= 1 or len(jobs) <= 1:
        for path, sha in jobs:
            yield prepare(path, sha, settings, str(index_dir))
        return
    context = multiprocessing.get_context("spawn")  # torch in the parent is not fork-safe
    workers = min(settings.workers, len(jobs))
    with ProcessPoolExecutor(workers, mp_context=context, initializer=_worker_init) as pool:
        # Longest jobs first: a figure-heavy manual started last would leave a core idle.
        queue = sorted(jobs, key=lambda job: -_expected_cost(job[0]))
        running: set[Future] = set()
        # Bounded in-flight work keeps memory flat on large corpora.
        while queue or running:
            while queue and len(running) < workers * 2:
                path, sha = queue.pop(0)
                running.add(pool.submit(prepare, path, sha, settings, str(index_dir)))
            done, running = wait(running, return_when=FIRST_COMPLETED)
            for future in done:
                yield future.result()


# --- chunk + embed (either side) ---------------------------------------------------------


@dataclass
class Encoded:
    """A document's chunks with their dense and sparse vectors, ready to upsert."""

    chunks: list[Chunk]
    dense: np.ndarray
    sparse: list[SparseVec]


def encode_prepared(batch: list[_Prepared], embedder) -> list[Encoded]:
    """Chunk and embed several loaded documents with one batched encode call."""
    from ictrag.index.bm25 import sparse_vector
    from ictrag.index.chunking import chunk_document

    per_doc: list[list[Chunk]] = []
    for prepared in batch:
        assert prepared.document is not None
        prepared.document.source = prepared.path
        per_doc.append(
            chunk_document(prepared.document, embedder.count_tokens, embedder.max_tokens)
        )
    texts = [chunk.text for chunks in per_doc for chunk in chunks]
    dense = embedder.encode(texts)
    sparse = [sparse_vector(text) for text in texts]
    out: list[Encoded] = []
    start = 0
    for chunks in per_doc:
        end = start + len(chunks)
        out.append(Encoded(chunks, dense[start:end], sparse[start:end]))
        start = end
    return out


# --- parent side -------------------------------------------------------------------------


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

    def write(self, prepared: _Prepared) -> FileResult:
        started = time.perf_counter()
        encoded = encode_prepared([prepared], self.embedder)[0]
        return self.commit(prepared, encoded, seconds=time.perf_counter() - started)

    def commit(
        self, prepared: _Prepared, encoded: Encoded, upserted: bool = False, seconds: float = 0.0
    ) -> FileResult:
        """Upsert (unless a parallel writer already did), release the old version, save the
        parsed document, commit the manifest entry: the atomic per-document step."""
        document = prepared.document
        assert document is not None
        started = time.perf_counter()
        chunks = encoded.chunks
        old = self.manifest.get(prepared.path)
        if not upserted:
            self.store.upsert(chunks, encoded.dense, encoded.sparse)
        if old is not None and old.doc_id != document.id:
            self._release(old.doc_id, keep_path=prepared.path)
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

    def _release(self, doc_id: str, keep_path: str | None = None) -> None:
        """Delete a document's points unless another indexed path still has the same content."""
        others = [e for e in self.manifest.by_doc(doc_id) if e.path != keep_path]
        if not others:
            self.store.delete_document(doc_id)
            self.docstore.delete(doc_id)

    def remove_path(self, path: str) -> FileResult | None:
        entry = self.manifest.get(path)
        if entry is None:
            return None
        self._release(entry.doc_id, keep_path=path)
        self.manifest.drop(path)
        return FileResult(path=path, status="removed", doc_id=entry.doc_id, title=entry.title)

    def close(self) -> None:
        self.store.close()


RunJobs = Callable[[list[tuple[str, str]], Indexer], Iterable[FileResult]]
"""An engine: (path, sha256) jobs to load, describe, embed and commit through the indexer."""


def _local_engine(settings: Settings, index_dir: Path) -> RunJobs:
    def run(jobs: list[tuple[str, str]], indexer: Indexer) -> Iterator[FileResult]:
        for prepared in _prepare_all(jobs, settings, index_dir):
            yield indexer.write(prepared) if prepared.document else _failed(prepared)

    return run


def make_engine(
    engine: str | RunJobs, settings: Settings, index_dir: Path, ray_address: str | None = None
) -> RunJobs:
    if callable(engine):  # an engine object, e.g. a RayEngine whose stage timings one reads
        return engine
    if engine == "local":
        return _local_engine(settings, index_dir)
    if engine == "ray":
        from ictrag.engines.ray import RayEngine

        return RayEngine(settings, index_dir, address=ray_address)
    raise ValueError(f"unknown engine {engine!r} (choose from {', '.join(ENGINES)})")


def ingest(
    paths: Iterable[str | Path],
    index_dir: Path,
    settings: Settings,
    prune: bool = False,
    progress: Progress | None = None,
    engine: str | RunJobs = "local",
    ray_address: str | None = None,
    reindex: bool = False,
) -> IngestReport:
    """Ingest files and folders; engine "local" (processes on this machine) or "ray".
    Documents made by other code or settings (their fingerprint) are redone; `reindex`
    redoes all, and rebuilds an index made with another embedder."""
    started = time.perf_counter()
    run_jobs = make_engine(engine, settings, index_dir, ray_address)
    progress = progress or _Silent()
    index_dir.mkdir(parents=True, exist_ok=True)
    files = expand_paths(paths)
    with index_lock(index_dir, settings.ingest_lock_timeout_s):
        return _ingest_locked(files, index_dir, settings, prune, progress, run_jobs, reindex,
                              started)  # fmt: skip


def _ingest_locked(
    files: list[Path], index_dir: Path, settings: Settings, prune: bool, progress: Progress,
    run_jobs: RunJobs, reindex: bool, started: float,
) -> IngestReport:
    indexer = Indexer(index_dir, settings)
    results: list[FileResult] = []
    try:
        if check_embedder(indexer.manifest, settings, index_dir, lambda: indexer.embedder.dim,
                          reindex):  # fmt: skip
            files = expand_paths([*files, *indexer.rebuild_store()])
        progress.start(len(files))
        now = planned(indexer.manifest, settings)
        redo: set[str] = set()
        indexer.remove_orphans()
        jobs: list[tuple[str, str]] = []
        twins: list[tuple[str, str]] = []
        queued: set[str] = set()
        for file in files:
            key = str(file.resolve())
            if not file.is_file():
                result = FileResult(path=key, status="failed", error="no such file")
            else:
                sha = sha256_file(file)
                entry = indexer.manifest.get(key)
                if entry is not None and entry.sha256 == sha and not reindex and is_fresh(entry, now):
                    result = FileResult(
                        path=key, status="unchanged", doc_id=entry.doc_id, title=entry.title,
                        pages=entry.pages, chunks=entry.chunks, figures=entry.figures,
                    )
                elif (twin := fresh_twin(indexer.manifest, sha, None if reindex else now)) is not None:  # noqa: E501
                    result = _record_duplicate(indexer, key, sha, twin)
                elif sha in queued:
                    twins.append((key, sha))  # same bytes as a file queued in this run
                    continue
                else:
                    queued.add(sha)
                    jobs.append((key, sha))
                    if entry is not None and entry.sha256 == sha:
                        redo.add(key)
                    continue
            results.append(result)
            progress.advance(result)
        for result in run_jobs(jobs, indexer):
            if result.status == "ingested" and result.path in redo:
                result.status = "reindexed"
            results.append(result)
            progress.advance(result)
        now = planned(indexer.manifest, settings)  # the model's dims are known by now
        for key, sha in twins:
            if (twin := fresh_twin(indexer.manifest, sha, now)) is not None:
                result = _record_duplicate(indexer, key, sha, twin)
            else:  # its twin failed: try it on its own, it will say why
                prepared = prepare(key, sha, settings, str(index_dir))
                result = indexer.write(prepared) if prepared.document else _failed(prepared)
            results.append(result)
            progress.advance(result)
        if prune:
            present = {str(Path(p).resolve()) for p in files}
            for path in list(indexer.manifest.entries):
                if path not in present and not Path(path).exists():
                    removed = indexer.remove_path(path)
                    if removed:
                        results.append(removed)
    finally:
        indexer.close()
    return IngestReport(files=results, seconds=time.perf_counter() - started)


def _failed(prepared: _Prepared) -> FileResult:
    return FileResult(
        path=prepared.path, status="failed", error=prepared.error, seconds=prepared.seconds
    )


def _record_duplicate(indexer: Indexer, path: str, sha: str, twin: ManifestEntry) -> FileResult:
    """Same bytes as a file already indexed: record the path, write no second copy."""
    old = indexer.manifest.get(path)
    if old is not None and old.doc_id != twin.doc_id:
        indexer._release(old.doc_id, keep_path=path)
    indexer.manifest.put(twin.model_copy(update={"path": path}))
    return FileResult(
        path=path, status="duplicate", doc_id=twin.doc_id, title=twin.title,
        error=f"same content as {twin.path}",
    )
