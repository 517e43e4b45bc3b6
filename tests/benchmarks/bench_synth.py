"""Stage-1 synthesis throughput and diversity: `synth diagrams` over every renderer against
the Mermaid-only `synth mermaid`, same n, same workers, same machine, one after the other.

    python tests/benchmarks/bench_synth.py --n 2000 --workers 2 --out /tmp/bench_synth.json

Per run: wall seconds, CPU-seconds of this process and every process it waited for (the
pool workers and, through them, dot, java, mscgen, seqdiag, rsvg-convert, node), and the
machine's busy CPU-seconds over the run (also Chromium's helpers; run on an idle machine),
pairs/s, success rate; per renderer: pairs, failures, worker seconds spent drawing and pairs
per drawing second; then `pair_stats`: exact and near-duplicate rates, shared structures,
per-family and per-renderer sizes and vocabulary, styles and raster treatments.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import tempfile
import time
from pathlib import Path

from ictrag.training.synth.pairs import PairsOptions, build_pairs, read_jsonl
from ictrag.training.synth.sources import RENDERERS
from ictrag.training.synth.stats import pair_stats


def _cpu() -> float:
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)  # fmt: skip
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _machine_cpu() -> float:
    """Busy CPU-seconds of the whole machine (/proc/stat): also counts what getrusage cannot,
    processes nobody waited for (Chromium's helpers). Valid on an otherwise idle machine."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def run(name: str, options: PairsOptions) -> dict:
    cpu, machine, wall = _cpu(), _machine_cpu(), time.monotonic()
    report = build_pairs(options)
    wall, cpu, machine = time.monotonic() - wall, _cpu() - cpu, _machine_cpu() - machine
    stats = pair_stats(read_jsonl(options.out / "pairs.jsonl"))
    per_renderer = {
        renderer: {
            "pairs": count,
            "failures": report.failures_per_renderer.get(renderer, 0),
            "draw_seconds": report.render_seconds.get(renderer, 0.0),
            "pairs_per_draw_second": round(count / report.render_seconds[renderer], 2)
            if report.render_seconds.get(renderer)
            else None,  # fmt: skip
        }
        for renderer, count in sorted(report.per_renderer.items())
    }
    return {
        "name": name, "n": options.n, "workers": options.workers, "wall_s": round(wall, 1),
        "cpu_s": round(cpu, 1), "machine_cpu_s": round(machine, 1), "pairs_per_s": round(report.written / wall, 2),
        "written": report.written, "failures": report.render_failures,
        "success_rate": round(report.success_rate, 4), "per_renderer": per_renderer,
        "errors": report.errors[:5], "stats": stats.model_dump(),
    }  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--per-structure", type=int, default=2)
    parser.add_argument("--noise", type=float, default=0.3)
    parser.add_argument("--out", type=Path, default=Path("/tmp/bench_synth.json"))
    parser.add_argument("--keep", type=Path, default=None, help="Keep the pairs under this folder.")
    parser.add_argument("--skip-baseline", action="store_true")
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="bench-synth-"))
    runs = []
    all_renderers = PairsOptions(n=args.n, out=work / "diagrams", renderers=list(RENDERERS), per_structure=args.per_structure, noise=args.noise, workers=args.workers, chunk=48)  # fmt: skip
    runs.append(run("synth diagrams --renderers all", all_renderers))
    if not args.skip_baseline:
        mermaid = PairsOptions(n=args.n, out=work / "mermaid", workers=args.workers)
        runs.append(run("synth mermaid (baseline)", mermaid))
    args.out.write_text(json.dumps(runs, indent=1))
    for result in runs:
        print(f"{result['name']}: {result['written']}/{result['n']} pairs, {result['wall_s']} s wall, {result['cpu_s']} CPU-s (machine {result['machine_cpu_s']}), {result['pairs_per_s']} pairs/s, success {result['success_rate']}")  # fmt: skip
        for renderer, row in result["per_renderer"].items():
            print(f"  {renderer}: {row}")
        stats = result["stats"]
        print(f"  exact dup {stats['exact_duplicate_rate']}, near dup {stats['near_duplicate_rate']}, words {stats['distinct_words']}, labels {stats['distinct_labels']}, units {stats['units']}")  # fmt: skip
    if args.keep is None:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
