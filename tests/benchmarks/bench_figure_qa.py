"""Does figure captioning make figure questions answerable by retrieval? One index per
captioner over ../shared/corpus/manuals, the questions of figure_questions.jsonl, k hits each.

    HF_HUB_OFFLINE=1 python tests/benchmarks/bench_figure_qa.py --out /tmp/figure_qa.json \
        [--captioners structural,ocr,none] [--root /tmp/fq] [--k 5] [--mode hybrid] [--no-ingest]

Indexes live in ROOT/<captioner>; an existing one is reused (ingest is incremental: unchanged
files are skipped), so only the first run pays for the ingest.

Per question, over the top k hits:
- page@k      some hit is on the question's doc and page;
- figure@k    some hit is a figure chunk of the question's figure (its doc and page);
- answered@k  some hit on the question's doc and page contains every answer term
              (case- and whitespace-insensitive);
- fig_answered@k  the same, by a figure chunk;
- relation@k  some figure hit on the right page is a figure whose LogicalText has ONE relation
              (source, label, target) holding every answer term: the link or message is
              stated, not just both names somewhere in the figure's words (the ocr captioner
              emits no relations, so it scores 0 here by design).
Reported overall, by kind, and for the questions whose terms are not in the page's body text
(only_in_figure).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
from collections.abc import Iterable
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

ROOT = Path(__file__).resolve().parents[2]
QUESTIONS = Path(__file__).with_name("figure_questions.jsonl")
CORPUS = ROOT.parent / "shared" / "corpus" / "manuals"
METRICS = ("page", "figure", "answered", "fig_answered", "relation")


def load_questions(path: Path = QUESTIONS) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().lower()


def contains_all(text: str, terms: Iterable[str]) -> bool:
    haystack = norm(text)
    return all(norm(term) in haystack for term in terms)


def in_one_relation(figure, terms: Iterable[str]) -> bool:
    if figure is None or figure.logical is None:
        return False
    return any(
        contains_all(f"{r.source} {r.label or ''} {r.target}", terms)
        for r in figure.logical.relations
    )


def figures_by_id(kb) -> dict:
    out = {}
    for row in kb.documents():
        document = kb.document(row["doc_id"])
        for figure in document.figures if document else []:
            out[figure.id] = figure
    return out


def hit_on_page(hit, question: dict) -> bool:
    chunk = hit.chunk
    return Path(chunk.source).name == question["doc"] and question["page"] in chunk.pages


def score_question(hits: list, question: dict, figures: dict | None = None) -> dict[str, bool]:
    terms = question["answer_terms"]
    on_page = [h for h in hits if hit_on_page(h, question)]
    figures_hit = [h for h in on_page if h.chunk.kind == "figure"]
    label = question.get("figure_label")
    if label:  # a labelled figure must be that figure, not another on the page
        figures_hit = [h for h in figures_hit if (h.chunk.figure_label or "").startswith(label)]
    return {
        "page": bool(on_page),
        "figure": bool(figures_hit),
        "answered": any(contains_all(h.text, terms) for h in on_page),
        "fig_answered": any(contains_all(h.text, terms) for h in figures_hit),
        "relation": any(
            in_one_relation((figures or {}).get(h.chunk.figure_id), terms) for h in figures_hit
        ),
    }


def aggregate(rows: list[dict]) -> dict[str, float]:
    if not rows:
        return {"n": 0}
    out: dict[str, float] = {"n": len(rows)}
    for metric in METRICS:
        out[metric] = round(sum(r[metric] for r in rows) / len(rows), 3)
    return out


def summarize(rows: list[dict]) -> dict[str, dict]:
    groups = {"all": rows, "only_in_figure": [r for r in rows if r["only_in_figure"]]}
    for kind in sorted({r["kind"] for r in rows}):
        groups[f"kind={kind}"] = [r for r in rows if r["kind"] == kind]
    return {name: aggregate(subset) for name, subset in groups.items()}


def open_index(root: Path, captioner: str, corpus: Path, ingest: bool):
    from ictrag import KnowledgeBase
    from ictrag.index.manifest import has_manifest

    kb = KnowledgeBase(root / captioner, caption={"backend": captioner})
    seconds = 0.0
    if ingest or not has_manifest(root / captioner):
        t0 = time.time()
        report = kb.ingest(sorted(corpus.glob("*.pdf")))
        seconds = time.time() - t0
        failed = [f.path for f in report.files if f.status == "failed"]
        if failed:
            print(f"{captioner}: failed to ingest {failed}", file=sys.stderr)
    return kb, seconds


def run_captioner(kb, questions: list[dict], k: int, mode: str) -> list[dict]:
    rows = []
    figures = figures_by_id(kb)
    for question in questions:
        hits = kb.search(question["question"], k=k, mode=mode)
        scores = score_question(hits, question, figures)
        rows.append(
            {
                "id": question["id"],
                "kind": question["kind"],
                "only_in_figure": question.get("only_in_figure", False),
                **scores,
                "top": [
                    f"{Path(h.chunk.source).name}:{h.chunk.pages}:{h.chunk.kind}" for h in hits
                ],
            }
        )
    return rows


def table(result: dict, k: int) -> str:
    head = ["captioner", "group", "n"] + [f"{m}@{k}" for m in METRICS]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for captioner, block in result["captioners"].items():
        for group, agg in block["summary"].items():
            cells = [captioner, group, str(agg["n"])]
            cells += [f"{agg[m]:.2f}" if agg["n"] else "-" for m in METRICS]
            lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--captioners", default="structural,ocr,none")
    parser.add_argument("--root", default="/tmp/fq", help="one index per captioner under it")
    parser.add_argument("--corpus", default=str(CORPUS))
    parser.add_argument("--questions", default=str(QUESTIONS))
    parser.add_argument("--k", type=int, default=5)
    parser.add_argument("--mode", default="hybrid", choices=["hybrid", "dense", "bm25"])
    parser.add_argument("--no-ingest", action="store_true", help="use existing indexes as they are")
    parser.add_argument("--out", default=None)
    args = parser.parse_args(argv)

    questions = load_questions(Path(args.questions))
    result: dict = {"k": args.k, "mode": args.mode, "questions": len(questions), "captioners": {}}
    for captioner in args.captioners.split(","):
        kb, ingest_s = open_index(Path(args.root), captioner, Path(args.corpus), not args.no_ingest)
        t0 = time.time()
        rows = run_captioner(kb, questions, args.k, args.mode)
        kb.close()
        result["captioners"][captioner] = {
            "ingest_s": round(ingest_s, 1),
            "search_s": round(time.time() - t0, 1),
            "summary": summarize(rows),
            "rows": rows,
        }
    print(table(result, args.k))
    if args.out:
        Path(args.out).write_text(json.dumps(result, indent=1))
    return result


if __name__ == "__main__":
    main()
