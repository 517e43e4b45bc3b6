"""`ingest()`: plan the run, let an engine prepare and commit the new work, report."""

from __future__ import annotations

import time
from collections.abc import Iterable
from pathlib import Path

from ictrag.config import Settings
from ictrag.ingest.commit import Indexer, failed
from ictrag.ingest.engine import Engine
from ictrag.ingest.plan import expand_paths, plan, twin
from ictrag.ingest.report import FileResult, IngestReport, Progress, Silent
from ictrag.ingest.stages import prepare


def ingest(
    paths: Iterable[str | Path],
    index_dir: Path,
    settings: Settings,
    engine: Engine,
    prune: bool = False,
    progress: Progress | None = None,
) -> IngestReport:
    """Ingest files and folders with an engine (see `ictrag.engines.make_engine`)."""
    started = time.perf_counter()
    progress = progress or Silent()
    index_dir.mkdir(parents=True, exist_ok=True)
    files = expand_paths(paths)
    progress.start(len(files))
    indexer = Indexer(index_dir, settings)
    results: list[FileResult] = []

    def report(result: FileResult) -> None:
        results.append(result)
        progress.advance(result)

    try:
        indexer.remove_orphans()
        work = plan(files, indexer.manifest)
        for step in work.steps:
            if step.decision == "missing":
                report(FileResult(path=step.path, status="failed", error="no such file"))
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
            report(result)
        for key, sha in work.twins:
            if (other := twin(indexer.manifest, sha)) is not None:
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
