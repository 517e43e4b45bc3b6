"""Query latency before and after fusing a figure's chunks into one hit, on docs/samples.

    HF_HUB_OFFLINE=1 python -m tests.benchmarks.bench_search_fusion [--index DIR] [--queries 100]

"Before" is the previous `search()`: the engine's top k, sorted. "After" is `search()` now
(over-fetch k*OVERFETCH, fuse, re-fetch when short). Both run interleaved on the same open
index, after a warm-up; the query embedding is timed apart from the store call.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import tempfile
import time
from pathlib import Path

from ictrag import KnowledgeBase
from ictrag.index.bm25 import sparse_query
from ictrag.index.manifest import has_manifest
from ictrag.index.migrate import copy_points
from ictrag.index.store_server import ServerStore
from ictrag.search import fuse_figures, search

SAMPLES = Path(__file__).resolve().parents[2] / "docs" / "samples"


def queries(kb: KnowledgeBase, n: int) -> list[str]:
    """The sample retrieval questions, then sentences of the indexed chunks, deduplicated."""
    lines = (SAMPLES / "retrieval_questions.jsonl").read_text().splitlines()
    out = [json.loads(line)["question"] for line in lines if line.strip()]
    for doc in kb.store.documents():
        for chunk in kb.store.get_chunks(doc["doc_id"]):
            for sentence in re.split(r"(?<=[.!?])\s+|\n", chunk.text):
                if len(sentence) > 20 and sentence not in out:
                    out.append(sentence[:200])
    return out[:n]


def previous(store, embedder, text: str, k: int):
    dense, sparse = embedder.encode_query(text), sparse_query(text)
    hits = store.search(dense, sparse, k=k)
    hits.sort(key=lambda hit: (-hit.score, hit.chunk.doc_id, hit.chunk.seq))
    return hits


class Embedded:
    """One query's vector, computed before the clock starts: times the store side alone."""

    def __init__(self, embedder, text: str):
        self.vector = embedder.encode_query(text)

    def encode_query(self, text: str):
        return self.vector


def timed(store, embedder, text: str, k: int) -> dict[str, float]:
    """Seconds per call: with the query embedding (before, after) and without (old, new)."""
    given = Embedded(embedder, text)
    runs = {
        "before": lambda: previous(store, embedder, text, k),
        "after": lambda: search(store, embedder, text, k=k),
        "old": lambda: previous(store, given, text, k),
        "new": lambda: search(store, given, text, k=k),
    }
    out = {}
    for key, run in runs.items():
        started = time.perf_counter()
        run()
        out[key] = time.perf_counter() - started
    return out


def p50(values: list[float]) -> float:
    return statistics.median(values) * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--index", type=Path, help="a sample index to reuse (built if absent)")
    parser.add_argument("--queries", type=int, default=100)
    parser.add_argument("--k", type=int, nargs="+", default=[5, 10])
    args = parser.parse_args()
    folder = args.index or Path(tempfile.mkdtemp()) / "sample"
    kb = KnowledgeBase(folder)
    if not has_manifest(folder):
        kb.ingest([SAMPLES])
    texts = queries(kb, args.queries)
    embedder = kb.embedder
    server = ServerStore(path=tempfile.mkdtemp(), collection="kb")
    copy_points(kb.store, server)
    print(f"{kb.store.count()} chunks, {len(texts)} queries")
    for name, store in (("edge", kb.store), ("server-local", server)):
        for k in args.k:
            for text in texts[:10]:  # warm-up
                previous(store, embedder, text, k), search(store, embedder, text, k=k)
            times: dict[str, list[float]] = {key: [] for key in ("before", "after", "old", "new")}
            duplicates = 0
            for text in texts:
                for key, value in timed(store, embedder, text, k).items():
                    times[key].append(value)
                old = previous(store, embedder, text, k)
                duplicates += len(old) - len(fuse_figures(old))
            print(
                f"{name:12s} k={k:<3d} p50 before {p50(times['before']):6.2f} ms, after "
                f"{p50(times['after']):6.2f} ms (store side, vector given: {p50(times['old']):5.2f}"
                f" -> {p50(times['new']):5.2f} ms); figures twice in a top-k before: {duplicates}"
            )
    server.close()
    kb.close()


if __name__ == "__main__":
    main()
