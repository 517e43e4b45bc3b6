"""Distributed ingest on Ray: the local pipeline's stages, spread over a cluster.

    parse task (CPU, one per file)  ──▶  captioner actors (GPU for dicmodel)  ──▶
    embedder actors (batched over documents)  ──▶  store writes  ──▶  commit on the driver

Same semantics as the local engine: ictrag/ingest/ plans the run (unchanged files
skipped by sha256, duplicates recorded, orphans swept, prune) and this engine only replaces
how the planned (path, sha256) jobs become FileResults. Each stage reuses ictrag.ingest's
functions (`prepare`, `encode_prepared`, `Indexer.commit`); the manifest commit stays on the
driver, in the same order as locally: upsert → delete old version → docstore → manifest.

Writes: a Qdrant Edge shard can be opened by one process only (its WAL is locked), so with
Edge every upsert goes through the driver's Indexer. With a Qdrant server (`store.qdrant_url`
an http(s) URL) `ray.writers` writer actors upsert in parallel and the driver commits.

Back-pressure: at most `ray.max_inflight` documents are anywhere in the pipeline; the driver
waits on finished object refs (`ray.wait`) before it submits more.
"""

from __future__ import annotations

import os
import time
import uuid
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ictrag.config import Settings
from ictrag.extras import require

try:
    import ray
except ImportError:
    require("ray", "ictrag ingest --engine ray")  # absent: the one-line MissingExtra
    raise
from ictrag.ingest import Encoded, FileResult, Indexer, Prepared, encode_prepared, failed, prepare
from ictrag.ingest.commit import open_index_store
from ictrag.ingest.stages import FigureCaptioner, load_embedder, one_line

ACTOR_PREFIX = "ictrag-"


class RayEngineError(RuntimeError):
    """The Ray engine could not run at all (per-document failures are FileResults)."""


def parallel_writes(settings: Settings) -> bool:
    """Only a Qdrant server takes writes from many processes; Edge and local mode lock."""
    url = settings.store.qdrant_url or ""
    return url.startswith(("http://", "https://")) and settings.ray.writers > 0


# --- remote side ------------------------------------------------------------------------


def _load(path: str, sha256: str, settings: Settings, index_dir: str) -> Prepared:
    """Parse one file and give its figures their own text (vector spans, OCR), on the CPUs
    the task asked for (a node's other tasks hold the rest)."""
    if settings.caption.ocr_threads is None:
        threads = max(1, int(settings.ray.load_cpus))
        caption = settings.caption.model_copy(update={"ocr_threads": threads})
        settings = settings.model_copy(update={"caption": caption})
    return prepare(path, sha256, settings, index_dir, caption=False)


class _Captioner:
    def __init__(self, settings: Settings, index_dir: str) -> None:
        self.stage = FigureCaptioner(settings, Path(index_dir))

    def caption(self, prepared: Prepared) -> tuple[Prepared, float]:
        return self.stage.caption(prepared)

    def pid(self) -> int:
        return os.getpid()


class _Embedder:
    def __init__(self, settings: Settings) -> None:
        self.embedder = load_embedder(settings)

    def dim(self) -> int:
        return self.embedder.dim

    def encode(
        self, batch: list[Prepared]
    ) -> tuple[list[tuple[Prepared, Encoded | None]], float]:
        started = time.perf_counter()
        try:
            encoded: list[Encoded | None] = list(encode_prepared(batch, self.embedder))
        except Exception:  # find the document at fault: encode one by one
            encoded = []
            for prepared in batch:
                try:
                    encoded.append(encode_prepared([prepared], self.embedder)[0])
                except Exception as error:
                    prepared.document, prepared.error = None, one_line(error)
                    encoded.append(None)
        return list(zip(batch, encoded, strict=True)), time.perf_counter() - started

    def pid(self) -> int:
        return os.getpid()


class _Writer:
    def __init__(self, settings: Settings, index_dir: str) -> None:
        self.store = open_index_store(settings, Path(index_dir))
        self.ensured = False

    def upsert(self, encoded: Encoded, dim: int) -> float:
        started = time.perf_counter()
        if not self.ensured:  # ensure() asks the server for the collection's schema
            self.store.ensure(dim)
            self.ensured = True
        self.store.upsert(encoded.chunks, encoded.dense, encoded.sparse)
        return time.perf_counter() - started

    def pid(self) -> int:
        return os.getpid()


# --- driver side ------------------------------------------------------------------------


class _Pool:
    """Actors of one kind; work goes to the one with the fewest calls in flight."""

    def __init__(self, actors: list[Any]) -> None:
        self.actors = actors
        self.busy = [0] * len(actors)

    def pick(self) -> tuple[int, Any]:
        index = min(range(len(self.actors)), key=self.busy.__getitem__)
        self.busy[index] += 1
        return index, self.actors[index]

    def done(self, index: int) -> None:
        self.busy[index] -= 1

    def kill(self) -> None:
        for actor in self.actors:
            ray.kill(actor, no_restart=True)


@dataclass
class _Flight:
    stage: str  # load | caption | embed | write
    jobs: list[tuple[str, str]]
    actor: int = -1
    payload: Any = None


@dataclass
class StageSeconds:
    """Busy seconds summed over workers, per stage (parse includes figure text/OCR)."""

    parse: float = 0.0
    caption: float = 0.0
    embed: float = 0.0
    write: float = 0.0
    pages: int = 0
    documents: int = 0
    wall: float = 0.0
    extra: dict[str, float] = field(default_factory=dict)


class RayEngine:
    """A pipeline engine (see `ictrag.engines.make_engine`): jobs in, FileResults out, in the order
    documents finish."""

    def __init__(self, settings: Settings, index_dir: Path, address: str | None = None) -> None:
        self.settings = settings
        self.index_dir = Path(index_dir)
        self.address = address or settings.ray.address
        self.stats = StageSeconds()
        self.run_id = uuid.uuid4().hex[:8]

    def __call__(self, jobs: list[tuple[str, str]], indexer: Indexer) -> Iterator[FileResult]:
        if not jobs:
            return
        started_here = False
        if not ray.is_initialized():
            offline = {k: v for k, v in os.environ.items() if k.endswith("_OFFLINE")}
            ray.init(
                address=self.address,
                include_dashboard=False,
                log_to_driver=False,
                runtime_env={"env_vars": offline} if offline else None,
            )
            started_here = True
        pools: list[_Pool] = []
        started = time.perf_counter()
        try:
            yield from self._run(jobs, indexer, pools)
        finally:
            self.stats.wall = time.perf_counter() - started
            for pool in pools:
                pool.kill()
            if started_here:
                ray.shutdown()

    # -- set-up --------------------------------------------------------------------------

    def _actor_options(self, kind: str, index: int, cpus: float, gpus: float) -> dict[str, Any]:
        retries = self.settings.ray.max_retries
        return {
            "num_cpus": cpus,
            "num_gpus": gpus,
            "max_restarts": retries,
            "max_task_retries": retries,
            "name": f"{ACTOR_PREFIX}{kind}-{index}-{self.run_id}",
        }

    def _caption_gpus(self) -> float:
        conf = self.settings.ray
        if conf.caption_gpus is not None:
            return conf.caption_gpus
        if self.settings.caption.backend == "dicmodel":
            return 1.0 if ray.cluster_resources().get("GPU", 0) >= 1 else 0.0
        return 0.0

    def _pools(self, pools: list[_Pool]) -> tuple[_Pool | None, _Pool, _Pool | None]:
        conf, index_dir = self.settings.ray, str(self.index_dir)
        captioners = None
        if self.settings.caption.backend != "none":
            cls = ray.remote(_Captioner)
            gpus = self._caption_gpus()
            captioners = _Pool(
                [
                    cls.options(
                        **self._actor_options("caption", i, conf.caption_cpus, gpus)
                    ).remote(self.settings, index_dir)
                    for i in range(max(1, conf.captioners))
                ]
            )
            pools.append(captioners)
        cls = ray.remote(_Embedder)
        embedders = _Pool(
            [
                cls.options(
                    **self._actor_options("embed", i, conf.embed_cpus, conf.embed_gpus)
                ).remote(self.settings)
                for i in range(max(1, conf.embedders))
            ]
        )
        pools.append(embedders)
        writers = None
        if parallel_writes(self.settings):
            cls = ray.remote(_Writer)
            writers = _Pool(
                [
                    cls.options(**self._actor_options("write", i, 0.25, 0)).remote(
                        self.settings, index_dir
                    )
                    for i in range(conf.writers)
                ]
            )
            pools.append(writers)
        return captioners, embedders, writers

    # -- the loop ------------------------------------------------------------------------

    def _run(
        self, jobs: list[tuple[str, str]], indexer: Indexer, pools: list[_Pool]
    ) -> Iterator[FileResult]:
        conf, index_dir = self.settings.ray, str(self.index_dir)
        captioners, embedders, writers = self._pools(pools)
        try:
            dim = ray.get(embedders.actors[0].dim.remote())
        except ray.exceptions.RayError as error:  # e.g. the model is missing on a node
            raise RayEngineError(f"the embedder actor did not start: {one_line(error)}") from error
        indexer.store.ensure(dim)  # before any parallel writer races to create it
        load = ray.remote(_load).options(num_cpus=conf.load_cpus, max_retries=conf.max_retries)
        cpus = int(ray.cluster_resources().get("CPU", 2))
        limit = conf.max_inflight or max(2, 2 * cpus)

        queue = deque(jobs)
        flights: dict[ray.ObjectRef, _Flight] = {}
        to_embed: list[Prepared] = []
        docs_in_flight = 0
        stats = self.stats

        while queue or flights or to_embed:
            while queue and docs_in_flight < limit:
                path, sha = queue.popleft()
                flights[load.remote(path, sha, self.settings, index_dir)] = _Flight(
                    "load", [(path, sha)]
                )
                docs_in_flight += 1
            for start in range(0, len(to_embed), max(1, conf.embed_batch_docs)):
                batch = to_embed[start : start + conf.embed_batch_docs]
                index, actor = embedders.pick()
                jobs_of = [(p.path, p.sha256) for p in batch]
                flights[actor.encode.remote(batch)] = _Flight("embed", jobs_of, index)
            to_embed = []
            if not flights:
                continue
            ready, _ = ray.wait(list(flights), num_returns=1)
            ready, _ = ray.wait(list(flights), num_returns=len(flights), timeout=0)
            for ref in ready:
                flight = flights.pop(ref)
                pool = {"caption": captioners, "embed": embedders, "write": writers}.get(
                    flight.stage
                )
                if pool is not None:
                    pool.done(flight.actor)
                try:
                    value = ray.get(ref)
                except Exception as error:  # crashed beyond its retries, or a Ray error
                    for path, _sha in flight.jobs:
                        docs_in_flight -= 1
                        yield FileResult(
                            path=path, status="failed", error=f"{flight.stage}: {one_line(error)}"
                        )
                    continue
                if flight.stage == "load":
                    prepared: Prepared = value
                    stats.parse += prepared.seconds
                    if prepared.document is None:
                        docs_in_flight -= 1
                        yield failed(prepared)
                    elif captioners is not None and prepared.document.figures:
                        index, actor = captioners.pick()
                        flights[actor.caption.remote(prepared)] = _Flight(
                            "caption", flight.jobs, index
                        )
                    else:
                        to_embed.append(prepared)
                elif flight.stage == "caption":
                    prepared, seconds = value
                    stats.caption += seconds
                    if prepared.document is None:
                        docs_in_flight -= 1
                        yield failed(prepared)
                    else:
                        to_embed.append(prepared)
                elif flight.stage == "embed":
                    pairs, seconds = value
                    stats.embed += seconds
                    for prepared, encoded in pairs:
                        if encoded is None:
                            docs_in_flight -= 1
                            yield failed(prepared)
                        elif writers is not None:
                            index, actor = writers.pick()
                            flights[actor.upsert.remote(encoded, dim)] = _Flight(
                                "write",
                                [(prepared.path, prepared.sha256)],
                                index,
                                (prepared, encoded),
                            )
                        else:
                            docs_in_flight -= 1
                            yield self._commit(indexer, prepared, encoded, False, 0.0)
                else:  # write
                    prepared, encoded = flight.payload
                    docs_in_flight -= 1
                    yield self._commit(indexer, prepared, encoded, True, value)

    def _commit(
        self, indexer: Indexer, prepared: Prepared, encoded: Encoded, upserted: bool, spent: float
    ) -> FileResult:
        started = time.perf_counter()
        try:
            result = indexer.commit(prepared, encoded, upserted=upserted)
        except Exception as error:  # a store error fails this document; the run goes on
            return FileResult(path=prepared.path, status="failed", error=one_line(error))
        self.stats.write += spent + time.perf_counter() - started
        self.stats.pages += result.pages
        self.stats.documents += result.status == "ingested"
        return result
