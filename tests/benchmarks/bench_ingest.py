"""Ingest and query speed of ictrag against a text-only baseline, in one run.

    python tests/benchmarks/bench_ingest.py [--corpus ../shared/corpus/manuals] [--out results.json]

Baseline: pymupdf4llm `to_markdown(page_chunks=True, use_ocr=False)`, 800-character chunks,
the same embedder, qdrant-client local mode. ictrag: the full ingest with figures on
(vector + raster figures found, rendered, OCRed once per image hash).
Both ingests are timed with the embedding model already loaded in the process (its load,
torch import included, is reported as model_load_seconds).
Measures pages/s for both, query latency p50/p95 over 100 queries (model loaded before),
re-ingest time of the unchanged corpus, and chunks longer than the embedder's window.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import tempfile
import time
import uuid
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

ROOT = Path(__file__).resolve().parents[2]
QUERIES = [
    "static website hosting", "bucket policy", "object storage class", "multipart upload",
    "cross-region replication", "MPLS label distribution protocol", "LSP tunnel", "VPN instance",
    "route distinguisher", "IPv6 neighbor discovery", "stateless address autoconfiguration",
    "ICMPv6 router advertisement", "BGP MPLS IP VPN", "retrieval augmented generation",
    "dense retrieval", "OBS versioning", "lifecycle rule", "server-side encryption",
    "access control list", "label switching router", "OSPFv3", "DHCPv6", "dual stack",
    "tunnel interface", "VRF", "PE router", "CE device", "6to4 tunnel", "RAG evaluation",
    "chunking strategy",
]


def _pdfs(corpus: Path) -> list[Path]:
    return sorted(corpus.glob("*.pdf"))


def _pages(pdfs: list[Path]) -> int:
    import pymupdf

    return sum(pymupdf.open(p).page_count for p in pdfs)


def run_baseline(pdfs: list[Path], workdir: Path) -> dict:
    import pymupdf4llm
    from qdrant_client import QdrantClient, models

    from ictrag.config import EmbedSettings
    from ictrag.index.embed import DenseEmbedder

    embedder = DenseEmbedder(EmbedSettings())
    embedder.encode(["warm up"])
    client = QdrantClient(path=str(workdir / "baseline"))
    client.create_collection("b", vectors_config=models.VectorParams(size=embedder.dim, distance=models.Distance.COSINE))  # noqa: E501
    started = time.perf_counter()
    chunks: list[str] = []
    for pdf in pdfs:
        pages = pymupdf4llm.to_markdown(str(pdf), page_chunks=True, use_ocr=False)
        doc_chunks = []
        for page in pages:
            text = page["text"]
            doc_chunks.extend(text[i : i + 800] for i in range(0, len(text), 800) if text[i : i + 800].strip())  # noqa: E501
        vectors = embedder.encode(doc_chunks)
        client.upsert("b", [models.PointStruct(id=str(uuid.uuid4()), vector=v.tolist(), payload={"t": t})
                            for t, v in zip(doc_chunks, vectors, strict=True)])  # fmt: skip
        chunks.extend(doc_chunks)
    seconds = time.perf_counter() - started
    counts = embedder.count_tokens(chunks)
    window = embedder.max_tokens - 2
    client.close()
    return {"seconds": seconds, "chunks": len(chunks),
            "over_window": sum(n > window for n in counts) / max(len(counts), 1)}  # fmt: skip


def run_ictrag(pdfs: list[Path], workdir: Path, workers: int) -> dict:
    from ictrag import KnowledgeBase

    kb = KnowledgeBase(workdir / "ictrag", workers=workers)
    # Both systems are timed with the embedding model already loaded, as the baseline always
    # was; the load is reported on its own.
    started = time.perf_counter()
    kb.embedder.encode(["warm up"])
    model_load = time.perf_counter() - started
    started = time.perf_counter()
    report = kb.ingest(pdfs)
    first = time.perf_counter() - started
    assert report.ok, [r.error for r in report.files if r.error]
    started = time.perf_counter()
    again = kb.ingest(pdfs)
    second = time.perf_counter() - started
    assert again.count("unchanged") == len(pdfs)

    kb.search("warm up")  # model load and first-query set-up are not query latency
    latencies = []
    for i in range(100):
        t0 = time.perf_counter()
        kb.search(QUERIES[i % len(QUERIES)], k=5)
        latencies.append((time.perf_counter() - t0) * 1000)
    latencies.sort()
    chunks = []
    from ictrag.index.docstore import DocStore

    docs = DocStore(kb.path / "docs")
    for entry in kb.documents():
        chunks.extend(c.text for c in kb.store.get_chunks(entry["doc_id"]))
    counts = [n + 2 for n in kb.embedder.count_tokens(chunks)]
    kb.close()
    figures = sum(len(docs.get(d["doc_id"]).figures) for d in kb.documents())
    return {
        "seconds": first, "reingest_seconds": second, "totals": report.totals(),
        "model_load_seconds": model_load,
        "query_p50_ms": statistics.median(latencies), "query_p95_ms": latencies[94],
        "chunks": len(chunks), "max_chunk_tokens": max(counts), "figures": figures,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpus" / "manuals")
    parser.add_argument("--out", type=Path)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--skip-baseline", action="store_true")
    args = parser.parse_args()
    pdfs = _pdfs(args.corpus)
    pages = _pages(pdfs)
    workdir = Path(tempfile.mkdtemp(prefix="ictrag-bench-"))
    try:
        result: dict = {"pdfs": len(pdfs), "pages": pages}
        ours = run_ictrag(pdfs, workdir, args.workers)
        result["ictrag"] = ours | {"pages_per_s": pages / ours["seconds"]}
        if not args.skip_baseline:
            base = run_baseline(pdfs, workdir)
            result["baseline"] = base | {"pages_per_s": pages / base["seconds"]}
            result["speedup"] = result["ictrag"]["pages_per_s"] / result["baseline"]["pages_per_s"]
        result["reingest_fraction"] = ours["reingest_seconds"] / ours["seconds"]
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print(json.dumps(result, indent=1))
    if args.out:
        args.out.write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
