"""Embedding throughput and hybrid query latency of EdgeStore and ServerStore (local mode).

    HF_HUB_OFFLINE=1 python tests/benchmarks/bench_store.py [--chunks 2000] [--queries 100]

Synthetic ICT chunks of ~200 MiniLM tokens; vectors are cached in the temp folder between runs.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from ictrag.index.bm25 import sparse_query, sparse_vectors
from ictrag.index.embed import DenseEmbedder
from ictrag.index.store import Store, chunk_point_id
from ictrag.index.store_edge import EdgeStore
from ictrag.index.store_server import ServerStore
from ictrag.model import Chunk

TERMS = [
    "GE0/0/{i}",
    "GigabitEthernet0/0/{i}",
    "10.{i}.0.0/24",
    "192.168.{i}.1",
    "VLAN",
    "{i}",
    "S1-MME",
    "S1-U",
    "N4",
    "N3",
    "802.1X",
    "802.1Q",
    "IPv6",
    "2001:db8::{i}",
    "eth{i}",
    "OSPF",
    "BGP",
    "AS",
    "6500{i}",
    "RFC",
    "2328",
    "MPLS",
    "LDP",
    "SCTP",
    "GTP-U",
    "PFCP",
    "UPF",
    "SMF",
    "AMF",
    "MME",
    "eNodeB",
    "gNodeB",
    "RADIUS",
    "ACL",
    "QoS",
    "DSCP",
    "LSA",
    "LSP",
    "VRF",
]
WORDS = [
    "the",
    "router",
    "forwards",
    "packets",
    "through",
    "interface",
    "to",
    "next",
    "hop",
    "peer",
    "session",
    "neighbor",
    "area",
    "configure",
    "enable",
    "disable",
    "command",
    "view",
    "display",
    "table",
    "route",
    "policy",
    "address",
    "mask",
    "trunk",
    "access",
    "port",
    "link",
    "state",
    "timer",
    "hello",
    "dead",
    "interval",
    "authentication",
    "key",
    "tunnel",
    "bearer",
    "signalling",
    "user",
    "plane",
    "control",
    "message",
    "request",
    "response",
    "attach",
    "procedure",
    "priority",
    "queue",
    "traffic",
    "shaping",
]


def synth(n: int, seed: int = 0) -> list[str]:
    rng = random.Random(seed)
    texts = []
    for i in range(n):
        words = [
            rng.choice(TERMS).format(i=rng.randint(0, 9))
            if rng.random() < 0.15
            else rng.choice(WORDS)
            for _ in range(140)
        ]
        texts.append(f"Section {i}. " + " ".join(words))
    return texts


def load_corpus(embedder: DenseEmbedder, n: int) -> tuple[list[str], np.ndarray, float]:
    texts = synth(n)
    embedder.encode(texts[:16])  # warm-up
    sample = texts[:256]
    start = time.perf_counter()
    embedder.encode(sample)
    rate = len(sample) / (time.perf_counter() - start)
    cache = Path(tempfile.gettempdir()) / f"ictrag-bench-v2-{n}.npy"
    if cache.exists():
        return texts, np.load(cache), rate
    dense = embedder.encode(texts)
    np.save(cache, dense)
    return texts, dense, rate


def bench(store: Store, embedder: DenseEmbedder, texts, dense, queries: list[str]) -> dict:
    doc_ids = [f"doc{i % 20}" for i in range(len(texts))]
    chunks = [
        Chunk(id=chunk_point_id(d, i, "text"), doc_id=d, kind="text", text=t, seq=i)
        for i, (d, t) in enumerate(zip(doc_ids, texts, strict=True))
    ]
    store.ensure(embedder.dim)
    start = time.perf_counter()
    store.upsert(chunks, dense, sparse_vectors(texts))
    upsert_s = time.perf_counter() - start
    full, engine = [], []
    for query in queries:
        t0 = time.perf_counter()
        vector = embedder.encode_query(query)
        sparse = sparse_query(query)
        t1 = time.perf_counter()
        store.search(vector, sparse, k=10)
        t2 = time.perf_counter()
        full.append((t2 - t0) * 1000)
        engine.append((t2 - t1) * 1000)
    return {
        "upsert_s": round(upsert_s, 2),
        "p50_ms": round(statistics.median(full), 1),
        "p95_ms": round(sorted(full)[int(0.95 * len(full)) - 1], 1),
        "store_p50_ms": round(statistics.median(engine), 2),
        "embed_p50_ms": round(
            statistics.median(f - e for f, e in zip(full, engine, strict=True)), 1
        ),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--chunks", type=int, default=2000)
    parser.add_argument("--queries", type=int, default=100)
    args = parser.parse_args()
    embedder = DenseEmbedder()
    texts, dense, rate = load_corpus(embedder, args.chunks)
    tokens = embedder.count_tokens(texts[:200])
    print(f"chunks: {len(texts)}, mean tokens {statistics.mean(tokens):.0f}, encode {rate:.1f}/s")
    rng = random.Random(1)
    queries = [" ".join(rng.sample(synth(50, seed=2)[i % 50].split(), 6)) for i in range(20)]
    queries = (queries + ["GE0/0/1 OSPF area", "S1-MME signalling", "how to disable a port"]) * 5
    queries = queries[: args.queries]
    with tempfile.TemporaryDirectory() as tmp:
        for name, store in (
            ("edge", EdgeStore(Path(tmp) / "edge")),
            ("server-local", ServerStore(path=str(Path(tmp) / "local"), collection="bench")),
        ):
            print(name, bench(store, embedder, texts, dense, queries))
            store.close()


if __name__ == "__main__":
    main()
