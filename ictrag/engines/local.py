"""The local engine: worker processes load and describe, the parent embeds and commits.

Loading and the figure stage (parse, render, OCR) are CPU-bound and run in `spawn`ed
processes (torch in the parent is not fork-safe); the parent chunks, embeds and writes as
documents arrive, with at most 2x workers documents in flight to bound memory. With one
worker, a loader thread of the parent prepares the next document while the parent embeds
the last one (the embedder computes outside the GIL, so the two overlap). The loaders and
the embedder split the cores between them (`ocr_threads`, `embed_threads`, `Busy`).
"""

from __future__ import annotations

import multiprocessing
import os
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import (
    FIRST_COMPLETED,
    Future,
    ProcessPoolExecutor,
    ThreadPoolExecutor,
    wait,
)
from contextlib import contextmanager
from pathlib import Path

from ictrag.config import Settings, usable_cores
from ictrag.ingest import FileResult, Indexer, Prepared, expected_cost, failed, prepare


def _worker_init() -> None:
    # Each worker is one CPU; oversubscribing BLAS/ONNX threads on 2 cores slows all.
    os.environ.setdefault("OMP_NUM_THREADS", "1")


def loaders(settings: Settings, jobs: int) -> int:
    """How many documents load at once: the worker processes, or the one loader thread."""
    return 1 if settings.workers <= 1 or jobs <= 1 else min(settings.workers, jobs)


def ocr_threads(settings: Settings, loaders: int) -> int:
    """OCR threads per loader, unless set: the loaders and the parent's embedder split the
    cores as equals."""
    return settings.caption.ocr_threads or max(1, usable_cores() // (loaders + 1))


def embed_threads(settings: Settings, busy: int, per_loader: int) -> int:
    """The parent's torch threads while `busy` loaders work on `per_loader` threads each,
    unless set: what they leave, at least one, and all the cores once they are idle.
    Oversubscribed torch threads wait at every op's barrier: on 2 cores the embedder beside
    a busy loader took 53 s on 2 threads, 22 s on 1."""
    return settings.embed.threads or max(1, usable_cores() - busy * per_loader)


class Busy:
    """How many loaders are working right now: the embedder's share is re-read from it
    every few batches, so the cores of idle loaders (waiting for the parent to take their
    document, or done) go back to the embedder."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._threads = 0
        self._futures: set[Future] = set()
        self._cap = 0

    def __call__(self) -> int:
        with self._lock:
            running = sum(not future.done() for future in self._futures)
            return self._threads + min(self._cap, running)

    @contextmanager
    def working(self) -> Iterator[None]:
        with self._lock:
            self._threads += 1
        try:
            yield
        finally:
            with self._lock:
                self._threads -= 1

    def watch(self, futures: set[Future], workers: int) -> None:
        """Count the unfinished ones of `futures` (at most `workers` run at once)."""
        with self._lock:
            self._futures, self._cap = futures, workers


def _prepare_all(
    jobs: list[tuple[str, str]],
    settings: Settings,
    index_dir: Path,
    busy: Busy,
    ocr: Callable[[], int],
) -> Iterator[Prepared]:
    """Prepared documents as they are ready. The loader thread OCRs on `ocr()` threads;
    each loader process on a fixed share, `settings.caption.ocr_threads`."""
    if loaders(settings, len(jobs)) == 1:
        yield from _prepare_ahead(jobs, settings, index_dir, busy, ocr)
        return
    context = multiprocessing.get_context("spawn")  # torch in the parent is not fork-safe
    workers = loaders(settings, len(jobs))
    with ProcessPoolExecutor(workers, mp_context=context, initializer=_worker_init) as pool:
        # Longest jobs first: a figure-heavy manual started last would leave a core idle.
        queue = sorted(jobs, key=lambda job: -expected_cost(job[0]))
        running: set[Future] = set()
        # Bounded in-flight work keeps memory flat on large corpora.
        while queue or running:
            while queue and len(running) < workers * 2:
                path, sha = queue.pop(0)
                running.add(pool.submit(prepare, path, sha, settings, str(index_dir)))
            busy.watch(set(running), workers)
            done, running = wait(running, return_when=FIRST_COMPLETED)
            for future in done:
                yield future.result()
        busy.watch(set(), 0)


def _prepare_ahead(
    jobs: list[tuple[str, str]],
    settings: Settings,
    index_dir: Path,
    busy: Busy,
    ocr: Callable[[], int],
) -> Iterator[Prepared]:
    """In this process, one document ahead: the next loads while the caller writes this one."""

    def load(path: str, sha: str) -> Prepared:
        with busy.working():
            return prepare(path, sha, settings, str(index_dir), ocr_threads=ocr)

    with ThreadPoolExecutor(1, thread_name_prefix="ictrag-load") as loader:
        ahead: Future | None = None
        for path, sha in jobs:
            following = loader.submit(load, path, sha)
            if ahead is not None:
                yield ahead.result()
            ahead = following
        if ahead is not None:
            yield ahead.result()


class LocalEngine:
    def __init__(self, settings: Settings, index_dir: Path):
        self.settings = settings
        self.index_dir = index_dir

    def __call__(self, jobs: list[tuple[str, str]], indexer: Indexer) -> Iterator[FileResult]:
        if not jobs:
            return
        per_loader = ocr_threads(self.settings, loaders(self.settings, len(jobs)))
        settings = self.settings.model_copy(
            update={"caption": self.settings.caption.model_copy(update={"ocr_threads": per_loader})}
        )
        busy, writing = Busy(), Busy()

        def ocr() -> int:  # the loader thread's share: all the cores while nothing embeds
            fixed = self.settings.caption.ocr_threads
            return fixed or (per_loader if writing() else usable_cores())

        with indexer.embedder.sharing(lambda: embed_threads(self.settings, busy(), per_loader)):
            for prepared in _prepare_all(jobs, settings, self.index_dir, busy, ocr):
                if not prepared.document:
                    yield failed(prepared)
                    continue
                with writing.working():
                    result = indexer.write(prepared)
                yield result
