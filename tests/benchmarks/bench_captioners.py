"""The `ocr` and `structural` captioners on bench_diagrams.py's diagram set: Mermaid sources
rendered with the real Mermaid (vector PDF and PNG), captioned by each backend, scored
against the source.

    HF_HUB_OFFLINE=1 python tests/benchmarks/bench_captioners.py --out /tmp/captioners.json \
        [--corpus ../shared/corpus] [--max-corpus 40] [--no-png] [--work DIR]

Gold and scores come from the independent scorer ../shared/tools/diagram_score.py (see
independent_score.py): gold = that tool's parse of each Mermaid source; prediction = each
LogicalText's components and relations (the embedded form; the `ocr` backend emits no
Mermaid) in the tool's schema; `score` as is. The ocr backend emits no relations, so its
edge and message scores show what structure recovery adds.

Text: there is no human-written reference text for these diagrams, and a reference written
by ictrag's own serializer (as this script used before) would reward the serializer's
phrasing. So BLEU / ROUGE-L against a reference text are not reported; the text-level
figure is diagram_score's `label_chrf` (chrF of the sorted label words of prediction and
gold, computed by the tool). The diagram set is the one the parsers were tuned on, on whole.
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
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # this checkout's ictrag
sys.path.insert(1, str(Path(__file__).resolve().parent))

import independent_score as independent  # noqa: E402
import pymupdf  # noqa: E402
from bench_diagrams import OWN, corpus_examples  # noqa: E402
from ictrag.training.synth.render import MermaidRenderer, RenderJob  # noqa: E402

from ictrag.figures.base import FigureInput  # noqa: E402
from ictrag.figures.raster import ocr as ocr_module  # noqa: E402
from ictrag.figures.raster.ocr import OcrCaptioner  # noqa: E402
from ictrag.figures.structural import StructuralCaptioner  # noqa: E402
from ictrag.load.drawings import region_content  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
CAPTIONERS = {"structural": StructuralCaptioner, "ocr": OcrCaptioner}


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


def caption_all(diagrams: dict[str, str], work: Path, modes: list[str]) -> list[dict]:
    rows = []
    for captioner_name, cls in CAPTIONERS.items():
        captioner = cls()
        for mode in modes:
            ocr_module._memo.clear()  # OCR is memoised per process: time each pass cold
            for name, code in diagrams.items():
                gold = independent.gold(code, name)
                t0 = time.time()
                logical = captioner.describe([figure_input(work, name, mode)])[0]
                seconds = time.time() - t0
                scores = independent.score(gold, independent.pred_from_logical(logical))
                scores["type_ok"] = independent.type_ok(gold["type"], logical.figure_type.value)
                rows.append(
                    {
                        "captioner": captioner_name,
                        "mode": mode,
                        "name": name,
                        **scores,
                        "type": gold["type"],
                        "seconds": round(seconds, 3),
                        "relations": len(logical.relations),
                        "hyp": logical.to_text(mermaid=False),
                    }
                )
    return rows


def summarize(rows: list[dict]) -> dict[str, dict]:
    groups: dict[str, list[dict]] = {}
    for row in rows:
        groups.setdefault(f"{row['captioner']}/{row['mode']}/all", []).append(row)
        groups.setdefault(f"{row['captioner']}/{row['mode']}/{row['type']}", []).append(row)
    out = {}
    for key in sorted(groups):
        subset = groups[key]
        out[key] = {
            **independent.summarize(subset),
            "mean_relations": round(sum(r["relations"] for r in subset) / len(subset), 1),
            "mean_s": round(sum(r["seconds"] for r in subset) / len(subset), 3),
        }
    return out


def table(summary: dict[str, dict], all_only: bool = False) -> str:
    cols = (*independent.COLUMNS, "mean_relations", "mean_s")
    keep = {k: v for k, v in summary.items() if not all_only or k.endswith("/all")}
    return independent.table(keep, cols)


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
