"""The raster reader against ground truth the documents carry: each O-RAN picture bound to
its embedded PlantUML source (load/docx_plantuml.py) is read from its pixels alone, as
`ictrag caption PNG` would, and scored by ../shared/tools/diagram_score.py against the
structure parsed from the source.

    python tests/benchmarks/bench_oran_plantuml.py /tmp/oran-bench [--limit N]

Writes OUT/NN-name.json (ground truth, the scorer's schema) and OUT/NN-name.mmd (the
prediction), then prints participant (node) and message F1 per figure and overall. The
corpus is not openly licensed: keep OUT outside the repository.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import re
import sys
import tempfile
import time
from pathlib import Path

# This checkout's ictrag, not an installed one.
sys.path[:0] = [str(Path(__file__).resolve().parents[2])]
from ictrag.caption import caption_file  # noqa: E402
from ictrag.config import load_settings  # noqa: E402
from ictrag.figures.plantuml import parse_plantuml  # noqa: E402
from ictrag.load import load  # noqa: E402

SHARED = Path(__file__).resolve().parents[2] / ".." / "shared"
SCORER = SHARED / "tools" / "diagram_score.py"
DOCUMENTS = (
    "O-RAN.WG10.TS.O1-Interface.0-R004-v15.00.docx",
    "O-RAN.WG1.Network-Energy-Savings-Technical-Report-R003-v02.00.docx",
)


def _scorer():
    spec = importlib.util.spec_from_file_location("diagram_score", SCORER)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def ground_truth(code: str, name: str) -> dict:
    """The source's structure in the scorer's schema (labels, as the picture prints them)."""
    graph = parse_plantuml(code)
    labels = [graph.label_of(p) for p in graph.participants]
    return {
        "name": name,
        "type": "sequence",
        "nodes": [{"id": p, "label": graph.label_of(p)} for p in graph.participants],
        "edges": [],
        "participants": labels,
        "messages": [
            {
                "from": graph.label_of(m.source),
                "to": graph.label_of(m.target),
                "text": m.label,
                "order": number,
            }
            for number, m in enumerate(graph.messages, start=1)
        ],  # fmt: skip
    }


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:50] or "figure"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path, help="folder for ground truth and predictions")
    parser.add_argument("--corpus", type=Path, default=SHARED / "corpus" / "office")
    parser.add_argument("--limit", type=int, default=0, help="first N bound figures only")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    scorer, settings = _scorer(), load_settings()
    rows = []
    with tempfile.TemporaryDirectory(prefix="ictrag-oran-") as scratch:
        started = time.perf_counter()
        bound = []
        for name in DOCUMENTS:
            document = load(args.corpus / name, Path(scratch) / "figures")
            sources = [f for f in document.figures if f.source and f.source.format == "plantuml"]
            bound += [f for f in sources if f.image_path]
            print(
                f"{name}: {len(sources)} sources, {sum(1 for f in sources if f.image_path)} bound"
            )
        load_s = time.perf_counter() - started
        if args.limit:
            bound = bound[: args.limit]
        read_s = 0.0
        for number, figure in enumerate(bound, start=1):
            stem = f"{number:02d}-{_slug(figure.label or figure.source.text.splitlines()[1])}"
            truth = ground_truth(figure.source.text, stem)
            (args.out / f"{stem}.json").write_text(json.dumps(truth, indent=1, ensure_ascii=False))
            tick = time.perf_counter()
            [read] = caption_file(figure.image_path, settings, Path(scratch) / "read")
            read_s += time.perf_counter() - tick
            mermaid = (read.logical.mermaid if read.logical else None) or ""
            (args.out / f"{stem}.mmd").write_text(mermaid)
            result = scorer.score(
                truth, scorer.parse_mermaid(mermaid) if mermaid else {"nodes": []}
            )
            rows.append((stem, result))
            print(f"{stem:55s} participants {result['participant_f1']:.2f}  messages "
                  f"{result['message_f1']:.2f}  text {result['message_text_f1']:.2f}  "
                  f"({result['n_matched_messages']}/{result['n_gt_messages']}, "
                  f"{result['n_pred_messages']} read)")  # fmt: skip
    if rows:
        mean = {k: sum(r[k] for _, r in rows) / len(rows)
                for k in ("participant_f1", "message_f1", "message_text_f1", "order_lcs")}  # fmt: skip
        print(f"overall ({len(rows)} figures): participant (node) F1 {mean['participant_f1']:.3f}, "
              f"message F1 {mean['message_f1']:.3f}, message text F1 {mean['message_text_f1']:.3f}, "
              f"order LCS {mean['order_lcs']:.3f}")  # fmt: skip
    print(f"load {load_s:.1f} s (both documents), raster reading {read_s:.1f} s "
          f"({read_s / max(len(rows), 1):.1f} s a figure)")  # fmt: skip


if __name__ == "__main__":
    main()
