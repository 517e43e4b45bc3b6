"""The `ocr` and `structural` captioners on bench_diagrams.py's diagram set: Mermaid sources
rendered with the real Mermaid (vector PDF and PNG), captioned by each backend, scored
against the source graph.

    HF_HUB_OFFLINE=1 python tests/benchmarks/bench_captioners.py --out /tmp/captioners.json \
        [--corpus ../shared/corpus] [--max-corpus 40] [--no-png] [--work DIR]

Structure (ictrag.evaluation.structure): the graph rebuilt from each LogicalText's
components and relations (logical_to_graph), node-label F1, edge F1, labelled-edge F1,
message F1 and order; the ocr backend emits no relations, so its edge scores show what
structure recovery adds. Text (ictrag.evaluation.captions.text_metrics): BLEU, chrF,
ROUGE-L of to_text(mermaid=False) (the embedded form) against the reference built from the
source graph with graph_to_logical.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent))

import pymupdf  # noqa: E402
from bench_diagrams import OWN, corpus_examples  # noqa: E402
from ictrag.training.synth.render import MermaidRenderer, RenderJob  # noqa: E402

from ictrag.evaluation.captions import detect_tokenize, text_metrics  # noqa: E402
from ictrag.evaluation.structure import macro_average, structure_scores  # noqa: E402
from ictrag.figures.base import FigureInput  # noqa: E402
from ictrag.figures.graph import graph_to_logical, logical_to_graph  # noqa: E402
from ictrag.figures.mermaid import parse  # noqa: E402
from ictrag.figures.raster import ocr as ocr_module  # noqa: E402
from ictrag.figures.raster.ocr import OcrCaptioner  # noqa: E402
from ictrag.figures.structural import StructuralCaptioner  # noqa: E402
from ictrag.load.drawings import region_content  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
CAPTIONERS = {"structural": StructuralCaptioner, "ocr": OcrCaptioner}
STRUCTURE = ("node_f1", "edge_f1", "labelled_edge_f1", "message_f1", "message_order")


def render(diagrams: dict[str, str], work: Path, png: bool) -> dict[str, str]:
    """Render every diagram; returns the ones that rendered."""
    jobs = [
        RenderJob(code, work / f"{name}.png" if png else None, work / f"{name}.pdf")
        for name, code in diagrams.items()
    ]
    with MermaidRenderer(scale=2) as renderer:
        results = renderer.render_many(jobs)
    return {n: c for (n, c), r in zip(diagrams.items(), results, strict=True) if r.ok}


def figure_input(work: Path, name: str, mode: str) -> FigureInput:
    """pdf: the page's vector content plus its PNG (as the PDF loader gives a vector figure);
    png: the image alone (a raster figure)."""
    png = work / f"{name}.png"
    if mode == "png":
        return FigureInput(image_path=str(png), figure_id=name)
    page = pymupdf.open(work / f"{name}.pdf")[0]
    vector = region_content(page, tuple(page.rect))
    inner = "\n".join(span.text for span in vector.spans)
    return FigureInput(
        image_path=str(png) if png.exists() else None, inner_text=inner, vector=vector,
        figure_id=name,
    )  # fmt: skip


def kind_of(name: str, code: str) -> str:
    kind = parse(code).kind
    return "topology" if kind == "flowchart" and name.startswith("topo") else kind


def caption_all(diagrams: dict[str, str], work: Path, modes: list[str]) -> list[dict]:
    rows = []
    for captioner_name, cls in CAPTIONERS.items():
        captioner = cls()
        for mode in modes:
            ocr_module._memo.clear()  # OCR is memoised per process: time each pass cold
            for name, code in diagrams.items():
                gold = parse(code)
                t0 = time.time()
                logical = captioner.describe([figure_input(work, name, mode)])[0]
                seconds = time.time() - t0
                scores = structure_scores(logical_to_graph(logical), gold)
                rows.append(
                    {
                        "captioner": captioner_name,
                        "mode": mode,
                        "name": name,
                        "type": kind_of(name, code),
                        "seconds": round(seconds, 3),
                        "relations": len(logical.relations),
                        "hyp": logical.to_text(mermaid=False),
                        "ref": graph_to_logical(gold).to_text(mermaid=False),
                        **{k: v for k, v in scores.items() if k in STRUCTURE},
                    }
                )
    return rows


def summarize(rows: list[dict]) -> dict[str, dict]:
    tokenize = detect_tokenize(r["ref"] for r in rows)
    groups: dict[str, list[dict]] = {}
    for row in rows:
        groups.setdefault(f"{row['captioner']}/{row['mode']}/all", []).append(row)
        groups.setdefault(f"{row['captioner']}/{row['mode']}/{row['type']}", []).append(row)
    out = {}
    for key, subset in groups.items():
        structure = macro_average(
            [{k: r[k] for k in STRUCTURE if k in r} for r in subset]
        )  # fmt: skip
        text = text_metrics([r["hyp"] for r in subset], [[r["ref"]] for r in subset], tokenize)
        out[key] = {
            **{k: round(v, 3) for k, v in structure.items()},
            "n": len(subset),
            **{k: round(text[k], 1) for k in ("bleu", "chrf", "rouge_l")},
            "mean_relations": round(sum(r["relations"] for r in subset) / len(subset), 1),
            "mean_s": round(sum(r["seconds"] for r in subset) / len(subset), 3),
        }
    return out


def table(summary: dict[str, dict], all_only: bool = False) -> str:
    cols = ["n", *STRUCTURE, "bleu", "chrf", "rouge_l", "mean_relations", "mean_s"]
    lines = ["| captioner/mode/type | " + " | ".join(cols) + " |", "|" + "---|" * (len(cols) + 1)]
    for key in sorted(summary):
        if all_only and not key.endswith("/all"):
            continue
        row = summary[key]
        cells = [str(row.get(c, "-")) for c in cols]
        lines.append(f"| {key} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", default=str(ROOT.parent / "shared" / "corpus"))
    parser.add_argument("--max-corpus", type=int, default=40)
    parser.add_argument("--no-png", action="store_true")
    parser.add_argument("--work", default=None)
    parser.add_argument("--out", default=None)
    args = parser.parse_args(argv)

    diagrams = dict(OWN)
    corpus = Path(args.corpus)
    if corpus.exists():
        diagrams.update(corpus_examples(corpus, args.max_corpus))
    work = Path(args.work or tempfile.mkdtemp(prefix="bench_captioners_"))
    work.mkdir(parents=True, exist_ok=True)
    t0 = time.time()
    diagrams = render(diagrams, work, png=not args.no_png)
    render_s = time.time() - t0
    modes = ["pdf"] if args.no_png else ["pdf", "png"]
    rows = caption_all(diagrams, work, modes)
    summary = summarize(rows)
    print(table(summary, all_only=True))
    print()
    print(table(summary))
    result = {"diagrams": len(diagrams), "render_s": round(render_s, 1), "summary": summary,
              "rows": rows}  # fmt: skip
    if args.out:
        Path(args.out).write_text(json.dumps(result, indent=1))
    return result


if __name__ == "__main__":
    main()
