"""Serialised ingest for a long-running server, and the lock that lets searches share the
index with it.

Qdrant Edge holds its shard's WAL lock per open handle, and `KnowledgeBase.ingest` opens its
own handle: so an ingest must run alone (write side) while searches, which are safe to run
concurrently on one handle (tests/test_http.py checks this), share the read side.
"""

from __future__ import annotations

import queue
import threading
import time
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field

JobStatus = Literal["queued", "running", "done", "failed"]


class Busy(RuntimeError):
    """The index stayed locked by an ingest for longer than the caller would wait."""


class RWLock:
    """Many readers or one writer; a waiting writer blocks new readers (no starvation)."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._readers = 0
        self._writer = False
        self._writers_waiting = 0

    @contextmanager
    def read(self, timeout: float | None = None):
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            while self._writer or self._writers_waiting:
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    raise Busy("the index is busy ingesting; retry shortly")
                self._cond.wait(left)
            self._readers += 1
        try:
            yield
        finally:
            with self._cond:
                self._readers -= 1
                self._cond.notify_all()

    @contextmanager
    def write(self):
        with self._cond:
            self._writers_waiting += 1
            while self._writer or self._readers:
                self._cond.wait()
            self._writers_waiting -= 1
            self._writer = True
        try:
            yield
        finally:
            with self._cond:
                self._writer = False
                self._cond.notify_all()


class Job(BaseModel):
    id: str
    status: JobStatus = "queued"
    files: list[str]
    created: float = Field(default_factory=time.time)
    started: float | None = None
    finished: float | None = None
    error: str | None = None
    report: dict[str, Any] | None = None


class IngestQueue:
    """One worker thread runs queued ingests one after another, under the write lock."""

    def __init__(self, kb: Any, lock: RWLock, max_queued: int = 100, keep: int = 1000) -> None:
        self.kb = kb
        self.lock = lock
        self.max_queued = max_queued
        self.keep = keep
        self.jobs: dict[str, Job] = {}
        self._queue: queue.Queue[str | None] = queue.Queue()
        self._guard = threading.Lock()
        self._thread = threading.Thread(target=self._run, name="ictrag-ingest", daemon=True)
        self._thread.start()

    def submit(self, files: list[Path]) -> Job:
        with self._guard:
            if self._queue.qsize() >= self.max_queued:
                raise Busy(f"{self.max_queued} ingest jobs already queued; retry later")
            job = Job(id=uuid.uuid4().hex, files=[str(f) for f in files])
            self.jobs[job.id] = job
            self._forget_old()
        self._queue.put(job.id)
        return job

    def get(self, job_id: str) -> Job | None:
        return self.jobs.get(job_id)

    def _forget_old(self) -> None:
        finished = [j for j in self.jobs.values() if j.finished is not None]
        for job in sorted(finished, key=lambda j: j.finished or 0)[: max(0, len(self.jobs) - self.keep)]:  # fmt: skip
            del self.jobs[job.id]

    def _run(self) -> None:
        while (job_id := self._queue.get()) is not None:
            job = self.jobs.get(job_id)
            if job is None:
                continue
            job.status, job.started = "running", time.time()
            try:
                with self.lock.write():
                    report = self.kb.ingest(job.files)
                    _ = self.kb.store  # reopen now, not in racing request threads
                job.report = {"ok": report.ok, "totals": report.totals(),
                              "files": [r.model_dump() for r in report.files]}  # fmt: skip
                job.status = "done" if report.ok else "failed"
                if not report.ok:
                    job.error = "; ".join(
                        f"{Path(r.path).name}: {r.error}"
                        for r in report.files
                        if r.status == "failed"
                    )
            except Exception as error:  # one bad job must not kill the worker
                job.status = "failed"
                job.error = f"{type(error).__name__}: {(str(error).splitlines() or [''])[0]}"
            finally:
                job.finished = time.time()

    def close(self, timeout: float = 5.0) -> None:
        self._queue.put(None)
        self._thread.join(timeout)
