"""`ingest --engine ray` on a local Ray (2 CPUs): same index as the local engine, incremental,
and a worker killed mid-run neither loses nor duplicates a document."""

from __future__ import annotations

import os
import shutil
import signal
from pathlib import Path

import pytest

ray = pytest.importorskip("ray")

from ictrag import KnowledgeBase  # noqa: E402
from ictrag.config import load_settings  # noqa: E402
from ictrag.engines.ray import ACTOR_PREFIX, parallel_writes  # noqa: E402
from ictrag.ingest import FileResult  # noqa: E402
from tests.conftest import SAMPLES  # noqa: E402

QUERIES = [
    "FW-DMZ-01 firewall 192.168.10.5",
    "S1-MME",
    "network topology",
    "interface configuration",
    "OSPF area",
]


@pytest.fixture(scope="module")
def local_ray():
    if not ray.is_initialized():
        ray.init(
            num_cpus=2,
            object_store_memory=200 * 1024 * 1024,
            include_dashboard=False,
            log_to_driver=False,
        )
    yield
    ray.shutdown()


@pytest.fixture(scope="module")
def both(local_ray, tmp_path_factory) -> tuple[KnowledgeBase, KnowledgeBase]:
    root = tmp_path_factory.mktemp("engines")
    local = KnowledgeBase(root / "local")
    on_ray = KnowledgeBase(root / "ray")
    assert local.ingest([SAMPLES]).ok
    report = on_ray.ingest([SAMPLES], engine="ray")
    assert report.ok, [(r.path, r.error) for r in report.files if r.error]
    yield local, on_ray
    local.close()
    on_ray.close()


def _docs(kb: KnowledgeBase) -> dict[str, tuple]:
    return {
        Path(d["path"]).name: (d["doc_id"], d["chunks"], d["pages"], d["figures"])
        for d in kb.documents()
    }


def test_ray_engine_indexes_the_same_documents_and_chunks_as_the_local_engine(both):
    local, on_ray = both
    assert _docs(on_ray) == _docs(local)
    assert len(_docs(local)) >= 6
    assert (
        on_ray.store.count()
        == local.store.count()
        == sum(c for _, c, _, _ in _docs(local).values())
    )
    for doc in local.documents():
        assert on_ray.store.count(doc_id=doc["doc_id"]) == doc["chunks"]
    manual = on_ray.document("ict-sample-manual.pdf")
    assert manual is not None and len(manual.figures) == 4
    assert all(f.logical is not None for f in manual.figures)


def test_ray_engine_gives_the_same_top_search_results(both):
    local, on_ray = both
    for query in QUERIES:
        want = [h.chunk.id for h in local.search(query, k=3)]
        got = [h.chunk.id for h in on_ray.search(query, k=3)]
        assert want and got[0] == want[0], query
        assert set(got) == set(want), query


def test_ray_reingest_skips_unchanged_files_without_starting_work(both):
    _, on_ray = both
    report = on_ray.ingest([SAMPLES], engine="ray")
    assert report.ok and report.count("unchanged") == len(_docs(on_ray))
    assert report.count("ingested") == 0


class _KillWorkers:
    """Progress hook: on the first finished document, SIGKILL the embedder's process and
    kill the captioner actor, while the other documents are still in flight."""

    def __init__(self) -> None:
        self.killed: list[str] = []

    def start(self, files: int) -> None:
        pass

    def advance(self, result: FileResult) -> None:
        if self.killed:
            return
        for name in ray.util.list_named_actors():
            if name.startswith(f"{ACTOR_PREFIX}embed-"):
                pid = ray.get(ray.get_actor(name).pid.remote())
                os.kill(pid, signal.SIGKILL)
                self.killed.append(name)
            elif name.startswith(f"{ACTOR_PREFIX}caption-"):
                ray.kill(ray.get_actor(name), no_restart=False)
                self.killed.append(name)


def test_killed_workers_neither_lose_nor_duplicate_documents(local_ray, tmp_path):
    folder = tmp_path / "src"
    folder.mkdir()
    for name in ("ict-sample-manual.pdf", "sample.md", "sample.html", "topology.png"):
        shutil.copy(SAMPLES / name, folder / name)
    kb = KnowledgeBase(tmp_path / "idx", ray={"max_inflight": 4, "embed_batch_docs": 1})
    hook = _KillWorkers()
    report = kb.ingest([folder], progress=hook, engine="ray")
    assert any("embed" in name for name in hook.killed)
    assert report.ok, [(r.path, r.error) for r in report.files if r.error]
    assert report.count("ingested") == 4
    entries = kb.manifest().entries
    assert len(entries) == 4
    assert kb.store.count() == sum(e.chunks for e in entries.values())
    for entry in entries.values():
        assert kb.store.count(doc_id=entry.doc_id) == entry.chunks
    assert len(kb.store.documents()) == 4
    kb.close()


def test_unknown_engine_is_one_clear_error(tmp_path):
    kb = KnowledgeBase(tmp_path / "idx")
    with pytest.raises(ValueError, match="unknown engine 'spark'"):
        kb.ingest([SAMPLES / "sample.md"], engine="spark")


def test_parallel_writers_only_for_a_qdrant_server():
    assert not parallel_writes(load_settings())
    assert parallel_writes(load_settings(store={"qdrant_url": "http://qdrant:6333"}))
    assert not parallel_writes(load_settings(store={"qdrant_url": ":memory:"}))


CORPUS_QUERIES = [
    "static website hosting",
    "bucket policy",
    "BGP peer",
    "VLAN interface",
    "multipart upload",
]


@pytest.mark.slow
@pytest.mark.corpus
def test_ray_engine_over_the_manuals_corpus_matches_the_local_engine(local_ray, corpus, tmp_path):
    local = KnowledgeBase(tmp_path / "local")
    on_ray = KnowledgeBase(tmp_path / "ray")
    assert local.ingest([corpus / "manuals"]).ok
    report = on_ray.ingest([corpus / "manuals"], engine="ray")
    assert report.ok, [(r.path, r.error) for r in report.files if r.error]
    totals = report.totals()
    assert totals["documents"] == 6 and totals["pages"] == 366
    assert _docs(on_ray) == _docs(local)
    assert on_ray.store.count() == local.store.count()
    for query in CORPUS_QUERIES:
        want = [h.chunk.id for h in local.search(query, k=5)]
        got = [h.chunk.id for h in on_ray.search(query, k=5)]
        assert got == want, query
    again = on_ray.ingest([corpus / "manuals"], engine="ray")
    assert again.count("unchanged") == 6
    local.close()
    on_ray.close()
