"""The real-figures benchmark: figures people drew with Graphviz, PlantUML, mscgen, seqdiag,
draw.io, Visio, Dia and raster tools (../shared/corpus/real-figures), read by the structural
reader from the vector PDF and from the PNG, scored by ../shared/tools/diagram_score.py.

    python tests/benchmarks/bench_real_figures.py --out /tmp/real.json [--pred /tmp/real-pred]
        [--corpus ../shared/corpus/real-figures] [--no-raster | --no-vector] [--only NAME] [--fit]
    python tests/benchmarks/bench_real_figures.py --report /tmp/real.json [--fit]

Each figure file is read as `ictrag caption FILE` reads it (`ictrag.caption.caption_file`,
default settings, structural backend; a one-page PDF is the whole page). When several
figures come back for one file, the one whose Mermaid has the most structure (nodes +
edges + participants + messages, parsed by the scorer) is taken. Its `logical.mermaid` goes
to PRED/{vector,raster}/FOLDER/NAME.mmd and the scorer's `--dir --pred-dir --json
--per-diagram` scores each folder. Figures are split into a development and a test part
by tests/benchmarks/real_figures_split.json (written before any reader ran; see
real_figures_split.py); every table gives both parts side by side.

Confidence: AUROC of the figure's confidence for "edge (message) F1 >= 0.8" against
"< 0.5" (figures in between left out), for the reader's own score (`reader`, logged by the
captioner) and for the checked score (`logical.confidence`). `--fit` calibrates the weights of
ictrag.figures.confidence on the dev rows only and reports the calibrated score on both parts.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import logging
import math
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# This checkout's ictrag, not an installed one; and the split module beside this file.
sys.path[:0] = [str(Path(__file__).resolve().parents[2]), str(Path(__file__).resolve().parent)]
from PIL import Image, ImageDraw  # noqa: E402
from real_figures_split import DEFAULT_CORPUS, load_split  # noqa: E402

from ictrag.caption import caption_file  # noqa: E402
from ictrag.config import load_settings  # noqa: E402
from ictrag.figures import confidence  # noqa: E402

SCORER = Path(__file__).resolve().parents[2] / ".." / "shared" / "tools" / "diagram_score.py"
MODES = ("vector", "raster")


def _scorer():
    spec = importlib.util.spec_from_file_location("diagram_score", SCORER)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class _Checks(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[dict] = []

    def emit(self, record: logging.LogRecord) -> None:
        if hasattr(record, "checks"):
            self.records.append({"checks": record.checks, "reader": record.reader_confidence})


def _size(scorer, mermaid: str | None) -> int:
    if not mermaid:
        return -1
    try:
        d = scorer.parse_mermaid(mermaid)
    except Exception:
        return 0
    return sum(len(d.get(k) or []) for k in ("nodes", "edges", "participants", "messages"))


def read_all(corpus: Path, pred: Path, modes: tuple[str, ...], only: str | None) -> list[dict]:
    scorer, settings = _scorer(), load_settings()
    handler = _Checks()
    logger = logging.getLogger("ictrag.figures.structural")
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    rows = []
    figure_dir = Path(tempfile.mkdtemp(prefix="real-figures-"))
    split = load_split()["figures"]
    warm = figure_dir / "warm-up.png"
    image = Image.new("RGB", (320, 120), "white")
    ImageDraw.Draw(image).rectangle((20, 20, 300, 100), outline="black", width=2)
    ImageDraw.Draw(image).text((60, 50), "warm up", fill="black")
    image.save(warm)
    caption_file(warm, settings, figure_dir)  # OCR model load outside the timings
    for key, info in split.items():
        if only and only not in key:
            continue
        for mode in modes:
            path = (
                corpus / info["folder"] / (info["name"] + (".pdf" if mode == "vector" else ".png"))
            )
            if not path.is_file():
                continue
            handler.records.clear()
            wall, cpu = time.perf_counter(), time.process_time()
            figures = caption_file(path, settings, figure_dir)
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            logged = (
                handler.records if len(handler.records) == len(figures) else [{}] * len(figures)
            )
            best, best_size = None, -2
            for figure, log_row in zip(figures, logged, strict=True):
                size = _size(scorer, figure.logical.mermaid if figure.logical else None)
                if size > best_size:
                    best, best_size = (figure, log_row), size
            out = pred / mode / info["folder"] / f"{info['name']}.mmd"
            out.parent.mkdir(parents=True, exist_ok=True)
            logical = best[0].logical if best else None
            out.write_text((logical.mermaid or "") if logical else "", encoding="utf-8")
            rows.append({**info, "key": key, "mode": mode, "seconds": round(wall, 3),
                         "cpu_seconds": round(cpu, 3), "figures": len(figures),
                         "confidence": logical.confidence if logical else 0.0,
                         "reader": (best[1] or {}).get("reader", 0.0) if best else 0.0,
                         "checks": (best[1] or {}).get("checks", {}) if best else {},
                         "figure_type": logical.figure_type.value if logical else None})  # fmt: skip
            print(f"{mode:<6} {key:<48} {wall:6.2f}s conf {rows[-1]['confidence']:.2f}", flush=True)
    return rows


def score_all(rows: list[dict], corpus: Path, pred: Path) -> None:
    by = {(r["mode"], r["folder"], r["name"]): r for r in rows}
    for mode in MODES:
        for folder in sorted({r["folder"] for r in rows if r["mode"] == mode}):
            done = subprocess.run(
                [sys.executable, str(SCORER), "--dir", str(corpus / folder), "--pred-dir",
                 str(pred / mode / folder), "--json", "--per-diagram"],
                capture_output=True, text=True, check=True)  # fmt: skip
            for s in json.loads(done.stdout)["per_diagram"]:
                row = by.get((mode, folder, s["name"]))
                if row is None:
                    continue  # raster-only figure in vector mode
                seq = s["type"] == "sequence"
                row["node_f1"] = s.get("participant_f1" if seq else "node_f1", 0.0)
                row["edge_f1"] = s.get("message_f1" if seq else "edge_f1", 0.0)
                row["labelled_f1"] = None if seq else s.get("labelled_edge_f1", 0.0)


def auroc(scores: list[float], positive: list[bool]) -> float | None:
    """Rank-based AUROC (Mann-Whitney U), ties counted half."""
    pos = [s for s, p in zip(scores, positive, strict=True) if p]
    neg = [s for s, p in zip(scores, positive, strict=True) if not p]
    if not pos or not neg:
        return None
    wins = sum((p > n) + 0.5 * (p == n) for p in pos for n in neg)
    return wins / (len(pos) * len(neg))


def _logit(found: dict[str, float], weights: dict[str, float]) -> float:
    return weights.get("bias", 0.0) + sum(
        weights.get(k, 0.0) * found.get(k, 0.0) for k in confidence.FEATURES
    )


def fit(rows: list[dict], steps: int = 5000, lr: float = 0.5) -> dict[str, float]:
    """Calibrate the score on the dev rows only: a*z + c on the logit z of the current
    WEIGHTS, fitted by logistic regression to edge (message) F1 as a soft target (Platt
    scaling). The order of the figures, hence AUROC, does not change; what a score of 0.5
    means (the cascade's threshold) does. Returns the scaled weights."""
    dev = [(_logit(r["checks"], confidence.WEIGHTS), r["edge_f1"]) for r in rows
           if r["part"] == "dev" and r["checks"]]  # fmt: skip
    a, c = 1.0, 0.0
    for _ in range(steps):
        ga = gc = 0.0
        for z, y in dev:
            err = 1.0 / (1.0 + math.exp(-(a * z + c))) - y
            ga, gc = ga + err * z, gc + err
        a, c = a - lr * ga / len(dev), c - lr * gc / len(dev)
    weights = {k: a * v for k, v in confidence.WEIGHTS.items()}
    weights["bias"] = weights.get("bias", 0.0) + c
    return {k: round(v, 2) for k, v in weights.items()}


def _mean(values: list[float | None]) -> str:
    values = [v for v in values if v is not None]
    return f"{sum(values) / len(values):.2f}" if values else "–"


def _group(r: dict) -> str:
    return f"{r['folder']} / {r['renderer']}"


def report(rows: list[dict], weights: dict[str, float] | None) -> str:
    lines = ["| figures | mode | n dev / test | node F1 dev / test | edge (message) F1 dev / test "
             "| labelled-edge F1 dev / test |", "|---|---|---|---|---|---|"]  # fmt: skip
    groups = sorted({_group(r) for r in rows}) + sorted({r["folder"] for r in rows}) + ["all"]
    for mode in MODES:
        for g in groups:
            sel = [r for r in rows if r["mode"] == mode and g in (_group(r), r["folder"], "all")]
            if not sel:
                continue
            dev = [r for r in sel if r["part"] == "dev"]
            test = [r for r in sel if r["part"] == "test"]
            cells = [f"{_mean([r[k] for r in dev])} / {_mean([r[k] for r in test])}"
                     for k in ("node_f1", "edge_f1", "labelled_f1")]  # fmt: skip
            name = f"**{g}**" if "/" not in g else g
            lines.append(
                f"| {name} | {mode} | {len(dev)} / {len(test)} | " + " | ".join(cells) + " |"
            )
    lines += ["", "| mode | n | seconds / figure (mean, median, max) | CPU-seconds / figure (mean) |",
              "|---|---|---|---|"]  # fmt: skip
    for mode in MODES:
        sel = sorted(r["seconds"] for r in rows if r["mode"] == mode)
        cpu = [r["cpu_seconds"] for r in rows if r["mode"] == mode]
        if sel:
            lines.append(f"| {mode} | {len(sel)} | {sum(sel) / len(sel):.2f}, {sel[len(sel) // 2]:.2f}, "
                         f"{sel[-1]:.2f} | {sum(cpu) / len(cpu):.2f} |")  # fmt: skip
    lines += ["", "| confidence | figures | AUROC dev | AUROC test | n dev (good/bad) | n test (good/bad) |",
              "|---|---|---|---|---|---|"]  # fmt: skip
    for r in rows:
        r["fitted"] = (
            confidence.score(r["checks"], weights) if weights and r["checks"] else r["confidence"]
        )
    kinds = (("reader's own (before)", "reader"), ("checked (logical.confidence)", "confidence"),
             *((("checked, calibrated on dev", "fitted"),) if weights else ()))  # fmt: skip
    for name, key in kinds:
        for modes in (MODES, ("vector",), ("raster",)):
            cells, counts = [], []
            for part in ("dev", "test"):
                sel = [r for r in rows if r["part"] == part and r["mode"] in modes
                       and (r["edge_f1"] >= 0.8 or r["edge_f1"] < 0.5)]  # fmt: skip
                good = [r["edge_f1"] >= 0.8 for r in sel]
                value = auroc([r[key] for r in sel], good)
                cells.append("–" if value is None else f"{value:.2f}")
                counts.append(f"{sum(good)}/{len(good) - sum(good)}")
            which = "all" if len(modes) > 1 else modes[0]
            lines.append(
                f"| {name} | {which} | {cells[0]} | {cells[1]} | {counts[0]} | {counts[1]} |"
            )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--pred", type=Path, default=None)
    parser.add_argument("--out", type=Path, default=Path("real-figures.json"))
    parser.add_argument("--report", type=Path, default=None, help="only re-report a results file")
    parser.add_argument("--no-raster", action="store_true")
    parser.add_argument("--no-vector", action="store_true")
    parser.add_argument("--only", default=None)
    parser.add_argument("--fit", action="store_true")
    args = parser.parse_args()
    corpus = args.corpus.resolve()
    if args.report:
        rows = json.loads(args.report.read_text())["rows"]
    else:
        if not corpus.is_dir():
            sys.exit(f"{corpus} is absent")
        pred = args.pred or Path(tempfile.mkdtemp(prefix="real-figures-pred-"))
        modes = tuple(
            m
            for m in MODES
            if not (m == "raster" and args.no_raster) and not (m == "vector" and args.no_vector)
        )
        rows = read_all(corpus, pred, modes, args.only)
        score_all(rows, corpus, pred)
        args.out.write_text(json.dumps({"rows": rows}, indent=1))
        print(f"predictions in {pred}, rows in {args.out}")
    weights = fit(rows) if args.fit else None
    if weights:
        print("fitted on dev:", json.dumps(weights))
    print(report(rows, weights))


if __name__ == "__main__":
    main()
