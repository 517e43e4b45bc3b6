"""`ingest()`: plan the run, let an engine prepare and commit the new work, report."""

from __future__ import annotations

import time
from collections.abc import Iterable
from pathlib import Path

from ictrag.config import Settings
from ictrag.index.lock import index_lock
from ictrag.ingest.commit import Indexer, failed
from ictrag.ingest.engine import Engine
from ictrag.ingest.plan import expand_paths, plan
from ictrag.ingest.reindex import check_embedder, fresh_twin, planned
from ictrag.ingest.report import FileResult, IngestReport, Progress, Silent
from ictrag.ingest.stages import prepare


def ingest(
    paths: Iterable[str | Path],
    index_dir: Path,
    settings: Settings,
    engine: Engine,
    prune: bool = False,
    progress: Progress | None = None,
    reindex: bool = False,
) -> IngestReport:
    """Ingest files and folders with an engine (see `ictrag.engines.make_engine`).

    Documents made by other code or settings (their fingerprint) are redone; `reindex`
    redoes all, and rebuilds an index made with another embedder. One writer per index."""
    started = time.perf_counter()
    progress = progress or Silent()
    index_dir.mkdir(parents=True, exist_ok=True)
    files = expand_paths(paths)
    with index_lock(index_dir, settings.ingest_lock_timeout_s):
        return _ingest_locked(files, index_dir, settings, engine, prune, progress, reindex,
                              started)  # fmt: skip


def _ingest_locked(
    files: list[Path], index_dir: Path, settings: Settings, engine: Engine, prune: bool,
    progress: Progress, reindex: bool, started: float,
) -> IngestReport:  # fmt: skip
    indexer = Indexer(index_dir, settings)
    results: list[FileResult] = []

    def report(result: FileResult) -> None:
        results.append(result)
        progress.advance(result)

    try:
        if check_embedder(indexer.manifest, settings, index_dir, lambda: indexer.embedder.dim,
                          reindex):  # fmt: skip
            files = expand_paths([*files, *indexer.rebuild_store()])
        progress.start(len(files))
        indexer.remove_orphans()
        work = plan(files, indexer.manifest, planned(indexer.manifest, settings), reindex)
        redo = {step.path for step in work.steps if step.redo}
        for step in work.steps:
            if step.decision == "missing":
                report(FileResult(path=step.path, status="failed", error="no such file"))
            elif step.decision == "unsupported":
                suffix = Path(step.path).suffix or Path(step.path).name
                report(FileResult(path=step.path, status="unsupported",
                                  error=f"unsupported file type '{suffix}'"))  # fmt: skip
            elif step.decision == "unchanged":
                entry = step.entry
                assert entry is not None
                report(FileResult(
                    path=step.path, status="unchanged", doc_id=entry.doc_id, title=entry.title,
                    pages=entry.pages, chunks=entry.chunks, figures=entry.figures,
                ))  # fmt: skip
            elif step.decision == "duplicate":
                assert step.entry is not None
                report(indexer.record_duplicate(step.path, step.sha256, step.entry))
        for result in engine(work.jobs, indexer):
            if result.status == "ingested" and result.path in redo:
                result.status = "reindexed"
            report(result)
        now = planned(indexer.manifest, settings)  # the model's dims are known by now
        for key, sha in work.twins:
            if (other := fresh_twin(indexer.manifest, sha, now)) is not None:
                report(indexer.record_duplicate(key, sha, other))
            else:  # its twin failed: try it on its own, it will say why
                prepared = prepare(key, sha, settings, str(index_dir))
                report(indexer.write(prepared) if prepared.document else failed(prepared))
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
