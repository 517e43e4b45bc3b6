"""The local engine: worker processes load and describe, the parent embeds and commits.

Loading and the figure stage (parse, render, OCR) are CPU-bound and run in `spawn`ed
processes (torch in the parent is not fork-safe); the parent chunks, embeds and writes as
documents arrive, with at most 2x workers documents in flight to bound memory. With one
worker, a loader thread of the parent prepares the next document while the parent embeds
the last one (the embedder computes outside the GIL, so the two overlap). The loaders and
the embedder split the cores between them (`thread_shares`).
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Iterator
from concurrent.futures import (
    FIRST_COMPLETED,
    Future,
    ProcessPoolExecutor,
    ThreadPoolExecutor,
    wait,
)
from pathlib import Path

from ictrag.config import Settings, usable_cores
from ictrag.ingest import FileResult, Indexer, Prepared, expected_cost, failed, prepare


def _worker_init() -> None:
    # Each worker is one CPU; oversubscribing BLAS/ONNX threads on 2 cores slows all.
    os.environ.setdefault("OMP_NUM_THREADS", "1")


def loaders(settings: Settings, jobs: int) -> int:
    """How many documents load at once: the worker processes, or the one loader thread."""
    return 1 if settings.workers <= 1 or jobs <= 1 else min(settings.workers, jobs)


def thread_shares(settings: Settings, loaders: int) -> tuple[int, int]:
    """(OCR threads per loader, embedder threads) while `loaders` load beside the parent's
    embedder, unless set: the loaders split the cores, and the embedder takes what one
    thread per loader leaves (at least one). Oversubscribed torch threads wait at every
    op's barrier: on 2 cores the embedder took 53 s on 2 threads and 22 s on 1."""
    cores = usable_cores()
    ocr = settings.caption.ocr_threads or max(1, cores // loaders)
    embed = settings.embed.threads or max(1, cores - loaders)
    return ocr, embed


def _prepare_all(
    jobs: list[tuple[str, str]], settings: Settings, index_dir: Path
) -> Iterator[Prepared]:
    if loaders(settings, len(jobs)) == 1:
        yield from _prepare_ahead(jobs, settings, index_dir)
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
            done, running = wait(running, return_when=FIRST_COMPLETED)
            for future in done:
                yield future.result()


def _prepare_ahead(
    jobs: list[tuple[str, str]], settings: Settings, index_dir: Path
) -> Iterator[Prepared]:
    """In this process, one document ahead: the next loads while the caller writes this one."""
    with ThreadPoolExecutor(1, thread_name_prefix="ictrag-load") as loader:
        ahead: Future | None = None
        for path, sha in jobs:
            following = loader.submit(prepare, path, sha, settings, str(index_dir))
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
        ocr, embed = thread_shares(self.settings, loaders(self.settings, len(jobs)))
        settings = self.settings.model_copy(
            update={"caption": self.settings.caption.model_copy(update={"ocr_threads": ocr})}
        )
        with indexer.embedder.sharing(embed):
            for prepared in _prepare_all(jobs, settings, self.index_dir):
                yield indexer.write(prepared) if prepared.document else failed(prepared)
