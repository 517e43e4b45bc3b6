"""The Office path: every file of a folder ingested on its own, one process.

    python tests/benchmarks/bench_office.py [--corpus ../shared/corpus/office] [--out office.json]

Per file: status (or its one-line error), pages, figures (vector ones: drawings read from
the file's own structure or through LibreOffice), chunks, wall seconds and CPU-seconds of
this process and its children. LibreOffice's CPU counts too: finished conversion calls
through getrusage, and the long-lived listener (which getrusage never sees: it is killed,
not waited for) from /proc, read before and after each file. The embedder is loaded and
warmed before the first file, so its load is not counted against any file.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))


def _cpu() -> float:
    me, kids = (
        resource.getrusage(resource.RUSAGE_SELF),
        resource.getrusage(resource.RUSAGE_CHILDREN),
    )
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime + _listener_cpu()


_LISTENERS: dict[int, float] = {}
"""CPU-seconds last read of each listener group, so a listener that has died since (after a
timeout) still counts what it used."""


def _listener_cpu() -> float:
    try:
        from ictrag.load.convert import listener_pid
    except ImportError:  # a checkout from before the listener: every call is a waited child
        return 0.0
    group = listener_pid()
    if group is not None:
        tick, total = os.sysconf("SC_CLK_TCK"), 0.0
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[2]) == group:  # utime, stime, cutime, cstime
                total += sum(int(f) for f in fields[11:15]) / tick
        _LISTENERS[group] = max(total, _LISTENERS.get(group, 0.0))
    return sum(_LISTENERS.values())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--corpus", default=str(ROOT.parent / "shared" / "corpus" / "office"))
    parser.add_argument("--out", default="")
    args = parser.parse_args()
    from ictrag import KnowledgeBase
    from ictrag.index.embed import DenseEmbedder

    DenseEmbedder().encode(["warm up"])
    rows = []
    for path in sorted(p for p in Path(args.corpus).iterdir() if p.is_file() and p.suffix != ".md"):
        kb = KnowledgeBase(Path(tempfile.mkdtemp()) / "kb", workers=1)
        wall, cpu = time.perf_counter(), _cpu()
        [result] = kb.ingest([path]).files
        seconds, cpu_seconds = time.perf_counter() - wall, _cpu() - cpu
        document = kb.document(path.name) if result.status == "ingested" else None
        vector = sum(f.origin == "vector" for f in document.figures) if document else 0
        rows.append({
            "file": path.name, "status": result.status, "error": result.error,
            "pages": result.pages, "figures": result.figures, "vector_figures": vector,
            "chunks": result.chunks, "seconds": round(seconds, 2), "cpu_seconds": round(cpu_seconds, 2),
        })  # fmt: skip
        print(json.dumps(rows[-1]), flush=True)
        kb.close()
    if args.out:
        Path(args.out).write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
