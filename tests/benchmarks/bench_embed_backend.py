"""The one-process ingest with each embedder backend, with and without the loader thread.

    python tests/benchmarks/bench_embed_backend.py [--corpus ../shared/corpus/manuals]
        [--files 11-VPN.pdf,8-IPv6.pdf,10-MPLS.pdf] [--out embed-backend.json]

Each variant runs in a fresh Python process: `KnowledgeBase(workers=1)` ingests the files
into an empty index, timed (wall and CPU-seconds of the process, getrusage) with the
embedder already loaded and warmed by one encode. Variants: embed.backend torch or onnx,
and the loader thread on (the default) or off (documents prepared, then embedded, in turn).
(That both backends give the same vectors is tests/test_embed.py's to check.)
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

CHILD = r"""
import json, resource, sys, tempfile, time
from pathlib import Path
sys.path.insert(0, sys.argv[1])
backend, overlap, files = sys.argv[2], sys.argv[3] == "1", sys.argv[4:]
import ictrag.engines.local as local
from ictrag.ingest import prepare
if not overlap:
    def serial(jobs, settings, index_dir):
        for path, sha in jobs:
            yield prepare(path, sha, settings, str(index_dir))
    local._prepare_ahead = serial
from ictrag import KnowledgeBase
from ictrag.config import load_settings
from ictrag.index.embed import DenseEmbedder
settings = load_settings(workers=1)
settings.embed.backend = backend
DenseEmbedder(settings.embed).encode(["warm up"])
kb = KnowledgeBase(Path(tempfile.mkdtemp()) / "kb", settings=settings)
def cpu():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime
wall, used = time.perf_counter(), cpu()
report = kb.ingest([Path(f) for f in files])
print(json.dumps({"backend": backend, "loader_thread": overlap,
                  "seconds": round(time.perf_counter() - wall, 1),
                  "cpu_seconds": round(cpu() - used, 1),
                  "statuses": [f.status for f in report.files],
                  "chunks": sum(f.chunks for f in report.files)}))
"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--corpus", default=str(ROOT.parent / "shared" / "corpus" / "manuals"))
    parser.add_argument("--files", default="11-VPN.pdf,8-IPv6.pdf,10-MPLS.pdf")
    parser.add_argument("--out", default="")
    args = parser.parse_args()
    files = [str(Path(args.corpus) / name) for name in args.files.split(",")]
    rows = []
    for backend, overlap in (("torch", "0"), ("onnx", "1"), ("torch", "1"), ("onnx", "0")):
        done = subprocess.run(
            [sys.executable, "-c", CHILD, str(ROOT), backend, overlap, *files],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        rows.append(json.loads(done.stdout.strip().splitlines()[-1]))
        print(rows[-1], flush=True)
    import os

    result = {"files": files, "load_average": os.getloadavg(), "runs": rows}
    if args.out:
        Path(args.out).write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
