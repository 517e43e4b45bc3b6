"""Ingest and query speed of ictrag against a text-only baseline, at equal process budgets.

    python tests/benchmarks/bench_ingest.py [--corpus ../shared/corpus/manuals] \
        [--workers 1,2] [--out results.json]

For every budget W in --workers, both systems run, one after the other, each in a fresh
Python process of its own (so neither inherits the other's loaded models or caches):

* ictrag, `KnowledgeBase(workers=W)`: W <= 1 loads, OCRs, captions and embeds every file in
  that one process (`_prepare_all` runs in-process); W >= 2 spawns W loader processes and
  embeds in the parent. Full ingest with figures on (vector and raster figures found,
  rendered, OCRed once per image hash, captioned by the default `structural` backend).
* baseline: pymupdf4llm `to_markdown(page_chunks=True, use_ocr=False)`, 800-character
  chunks, the same embedder (`DenseEmbedder` with default settings: the same backend,
  precision and batch), qdrant-client
  local mode. W <= 1: everything in one process. W >= 2: a spawn Pool of W processes runs
  `to_markdown` over page ranges (16 pages a task) while the parent embeds and upserts what
  comes back, as ictrag's parent does.

Both are timed with the embedding model already loaded (its load, torch import included,
is `model_load_seconds`). CPU-seconds are `resource.getrusage` deltas of RUSAGE_SELF +
RUSAGE_CHILDREN taken around the ingest, read after the worker pools are joined (RUSAGE_
CHILDREN counts reaped children only); `process_cpu_seconds` is the whole child process
(imports and model load included), as the harness sees it. the embedder runs on the
same thread count (the usable cores) in both systems; the process budget limits
processes, not threads, so CPU-seconds are the figure to read beside wall time.
Also measured for ictrag: query latency p50/p95 over 100 queries (model loaded before),
re-ingest time of the unchanged corpus, chunks longer than the embedder's window.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # this checkout's ictrag, not another installed copy

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
PAGES_PER_TASK = 16
CHUNK_CHARS = 800


def _pdfs(corpus: Path) -> list[Path]:
    return sorted(corpus.glob("*.pdf"))


def _pages(pdfs: list[Path]) -> int:
    import pymupdf

    return sum(pymupdf.open(p).page_count for p in pdfs)


def _cpu() -> float:
    """CPU-seconds (user + system) of this process and its reaped children."""
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


# --- baseline ---------------------------------------------------------------------------


def _page_chunks(pages: list[dict]) -> list[str]:
    out = []
    for page in pages:
        text = page["text"]
        out.extend(
            text[i : i + CHUNK_CHARS]
            for i in range(0, len(text), CHUNK_CHARS)
            if text[i : i + CHUNK_CHARS].strip()
        )
    return out


def baseline_parse(task: tuple[str, list[int] | None]) -> list[str]:
    """One parse task (a pool worker's unit): a file, or a range of its pages."""
    import pymupdf4llm

    path, pages = task
    return _page_chunks(pymupdf4llm.to_markdown(path, pages=pages, page_chunks=True, use_ocr=False))


def _baseline_tasks(pdfs: list[Path]) -> list[tuple[str, list[int]]]:
    import pymupdf

    tasks = []
    for pdf in pdfs:
        count = pymupdf.open(pdf).page_count
        for start in range(0, count, PAGES_PER_TASK):
            tasks.append((str(pdf), list(range(start, min(start + PAGES_PER_TASK, count)))))
    return tasks


def run_baseline(pdfs: list[Path], workdir: Path, workers: int) -> dict:
    import multiprocessing

    from qdrant_client import QdrantClient, models

    from ictrag.config import EmbedSettings
    from ictrag.index.embed import DenseEmbedder

    started = time.perf_counter()
    embedder = DenseEmbedder(EmbedSettings())
    embedder.encode(["warm up"])
    model_load = time.perf_counter() - started
    client = QdrantClient(path=str(workdir / "baseline"))
    client.create_collection("b", vectors_config=models.VectorParams(size=embedder.dim, distance=models.Distance.COSINE))  # noqa: E501
    chunks: list[str] = []

    def write(batch: list[str]) -> None:
        if not batch:
            return
        vectors = embedder.encode(batch)
        client.upsert("b", [models.PointStruct(id=str(uuid.uuid4()), vector=v.tolist(), payload={"t": t})
                            for t, v in zip(batch, vectors, strict=True)])  # fmt: skip
        chunks.extend(batch)

    cpu0, started = _cpu(), time.perf_counter()
    if workers <= 1:
        for pdf in pdfs:
            write(baseline_parse((str(pdf), None)))
    else:
        pool = multiprocessing.get_context("spawn").Pool(workers)
        try:
            for batch in pool.imap(baseline_parse, _baseline_tasks(pdfs)):
                write(batch)
        finally:
            pool.close()
            pool.join()  # reaped, so RUSAGE_CHILDREN holds the workers' CPU
    seconds, cpu = time.perf_counter() - started, _cpu() - cpu0
    counts = embedder.count_tokens(chunks)
    window = embedder.max_tokens - 2
    client.close()
    return {"seconds": seconds, "cpu_seconds": cpu, "model_load_seconds": model_load,
            "chunks": len(chunks),
            "over_window": sum(n > window for n in counts) / max(len(counts), 1)}  # fmt: skip


# --- ictrag -----------------------------------------------------------------------------


def run_ictrag(pdfs: list[Path], workdir: Path, workers: int) -> dict:
    from ictrag import KnowledgeBase

    kb = KnowledgeBase(workdir / "ictrag", workers=workers)
    started = time.perf_counter()
    kb.embedder.encode(["warm up"])
    model_load = time.perf_counter() - started
    cpu0, started = _cpu(), time.perf_counter()
    report = kb.ingest(pdfs)
    first, cpu = time.perf_counter() - started, _cpu() - cpu0
    assert report.ok, [r.error for r in report.files if r.error]
    cpu0, started = _cpu(), time.perf_counter()
    again = kb.ingest(pdfs)
    second, cpu_again = time.perf_counter() - started, _cpu() - cpu0
    assert again.count("unchanged") == len(pdfs)

    kb.search("warm up")  # model load and first-query set-up are not query latency
    latencies = []
    for i in range(100):
        t0 = time.perf_counter()
        kb.search(QUERIES[i % len(QUERIES)], k=5)
        latencies.append((time.perf_counter() - t0) * 1000)
    latencies.sort()
    chunks = []
    for entry in kb.documents():
        chunks.extend(c.text for c in kb.store.get_chunks(entry["doc_id"]))
    counts = [n + 2 for n in kb.embedder.count_tokens(chunks)]
    window = kb.embedder.max_tokens
    totals = report.totals()
    kb.close()
    return {
        "seconds": first, "cpu_seconds": cpu, "model_load_seconds": model_load,
        "reingest_seconds": second, "reingest_cpu_seconds": cpu_again, "totals": totals,
        "query_p50_ms": statistics.median(latencies), "query_p95_ms": latencies[94],
        "chunks": len(chunks), "max_chunk_tokens": max(counts),
        "over_window": sum(n > window for n in counts) / max(len(counts), 1),
    }


# --- harness ----------------------------------------------------------------------------


def child(system: str, workers: int, corpus: Path, out: Path) -> None:
    pdfs = _pdfs(corpus)
    workdir = Path(tempfile.mkdtemp(prefix=f"ictrag-bench-{system}{workers}-"))
    try:
        run = run_ictrag if system == "ictrag" else run_baseline
        result = run(pdfs, workdir, workers)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    out.write_text(json.dumps(result))


def run_child(system: str, workers: int, corpus: Path, pages: int) -> dict:
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as handle:
        out = Path(handle.name)
    cmd = [sys.executable, str(Path(__file__).resolve()), "--corpus", str(corpus),
           "--child", f"{system}:{workers}", "--child-out", str(out)]  # fmt: skip
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(cmd, check=True, cwd=ROOT)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    result = json.loads(out.read_text())
    out.unlink()
    result["process_wall_seconds"] = wall
    result["process_cpu_seconds"] = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)  # noqa: E501
    result["pages_per_s"] = pages / result["seconds"]
    result["cpu_seconds_per_page"] = result["cpu_seconds"] / pages
    result["cores_busy"] = result["cpu_seconds"] / result["seconds"]
    print(f"{system} workers={workers}: {result['seconds']:.1f} s, {result['pages_per_s']:.2f} pages/s, "  # noqa: E501
          f"{result['cpu_seconds']:.1f} CPU-s", file=sys.stderr, flush=True)
    return result


def table(result: dict) -> str:
    lines = [
        "| budget | system | wall s | pages/s | CPU-s | CPU-s/page | cores busy | model load s | "
        "chunks | over window | speed-up (pages/s) | CPU ratio ictrag/baseline |",
        "|---" * 12 + "|",
    ]
    for key, runs in result["budgets"].items():
        ours, base = runs["ictrag"], runs.get("baseline")
        for name, run in (("ictrag", ours), ("baseline", base)):
            if run is None:
                continue
            extra = (f"**{runs['speedup']:.2f}×** | {runs['cpu_ratio']:.2f}" if name == "ictrag" and base  # noqa: E501
                     else " | ")  # fmt: skip
            lines.append(
                f"| {key} | {name} | {run['seconds']:.1f} | {run['pages_per_s']:.2f} | "
                f"{run['cpu_seconds']:.1f} | {run['cpu_seconds_per_page']:.3f} | "
                f"{run['cores_busy']:.2f} | {run['model_load_seconds']:.1f} | {run['chunks']} | "
                f"{run['over_window'] * 100:.1f} % | {extra} |"
            )
    lines += ["", "| budget | query p50 ms | p95 ms | re-ingest s | re-ingest / first |", "|---" * 5 + "|"]  # noqa: E501
    for key, runs in result["budgets"].items():
        ours = runs["ictrag"]
        lines.append(
            f"| {key} | {ours['query_p50_ms']:.1f} | {ours['query_p95_ms']:.1f} | "
            f"{ours['reingest_seconds']:.2f} | {ours['reingest_seconds'] / ours['seconds'] * 100:.2f} % |"  # noqa: E501
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpus" / "manuals")
    parser.add_argument("--out", type=Path)
    parser.add_argument("--workers", default="1,2", help="process budgets, comma-separated")
    parser.add_argument("--skip-baseline", action="store_true")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--child-out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        system, workers = args.child.split(":")
        child(system, int(workers), args.corpus, args.child_out)
        return
    pdfs = _pdfs(args.corpus)
    pages = _pages(pdfs)
    result: dict = {"pdfs": len(pdfs), "pages": pages, "cpus": os.cpu_count(),
                    "load_before": os.getloadavg(), "budgets": {}}  # fmt: skip

    def save() -> None:  # after every child, so that a run cut short keeps what it measured
        if args.out:
            args.out.write_text(json.dumps(result, indent=1))

    for workers in (int(w) for w in args.workers.split(",")):
        label = "1 process" if workers <= 1 else f"{workers} workers + parent"
        runs = result["budgets"][label] = {}
        runs["ictrag"] = run_child("ictrag", workers, args.corpus, pages)
        save()
        if not args.skip_baseline:
            base = runs["baseline"] = run_child("baseline", workers, args.corpus, pages)
            runs["speedup"] = runs["ictrag"]["pages_per_s"] / base["pages_per_s"]
            runs["cpu_ratio"] = runs["ictrag"]["cpu_seconds"] / base["cpu_seconds"]
            save()
    result["load_after"] = os.getloadavg()
    print(json.dumps(result, indent=1))
    print(table(result))
    if args.out:
        args.out.write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
