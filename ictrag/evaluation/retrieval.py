"""Retrieval quality of an index: recall@k, MRR and nDCG@10 at page level and at figure
level, per question kind, for dense-only, BM25-only and hybrid search in one run.

Question schema (JSONL): {id, question, kind: text|figure, doc (file name), pages: [..],
figure_label?: "Figure 5-1", figure_id?: sha256 or prefix}.

Relevance: the gold set of a question is a set of keys; each hit covers a set of keys.
- page level: keys (doc, page) for the question's pages; a hit covers (its doc, p) for every
  page p of its chunk. Its doc is the file name of the chunk's source (title also accepted).
- figure level (questions with figure_label or figure_id): one key, the figure; a hit covers
  it when it is a figure chunk of that doc whose label has the same number ("Figure 5-1 DMZ
  web access" matches "Figure 5-1") or whose figure id starts with the gold id.
"""

from __future__ import annotations

import math
import re
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ValidationError, field_validator

from ictrag.evaluation.captions import EvalError, read_jsonl
from ictrag.model import Hit

MODES = ("dense", "bm25", "hybrid")
KS = (1, 5, 10)
METRICS = ("recall@1", "recall@5", "recall@10", "mrr", "ndcg@10")


class RetrievalQuestion(BaseModel):
    id: str
    question: str
    kind: Literal["text", "figure"]
    doc: str
    pages: list[int]
    figure_label: str | None = None
    figure_id: str | None = None

    @field_validator("id", mode="before")
    @classmethod
    def _id(cls, value: Any) -> str:
        return str(value)


def load_retrieval_questions(path: str | Path) -> list[RetrievalQuestion]:
    questions = []
    for number, row in enumerate(read_jsonl(path), 1):
        try:
            question = RetrievalQuestion.model_validate(row)
        except ValidationError as error:
            first = error.errors()[0]
            where = ".".join(str(part) for part in first["loc"]) or "record"
            raise EvalError(f"{path}: question {number}: {where}: {first['msg']}") from None
        if not question.pages:
            raise EvalError(f"{path}: question {number}: pages is empty")
        questions.append(question)
    if not questions:
        raise EvalError(f"{path}: no questions")
    return questions


# -- metrics on one ranking -------------------------------------------------------------------
def rank_metrics(
    ranking: Sequence[set[Hashable]], gold: set[Hashable], ks: Sequence[int] = KS
) -> dict[str, float]:
    """Metrics of one ranked list of hits, each given as the set of gold-able keys it covers.

    recall@k = |gold covered by the top k| / |gold|. MRR = 1 / rank of the first hit that
    covers any gold key (0 if none). nDCG@10: a hit gains the number of gold keys it covers
    that no higher hit covered (so repeats of a page earn nothing), DCG = sum_{r<=10}
    gain_r / log2(r + 1), IDCG = sum_{r=1..min(|gold|,10)} 1 / log2(r + 1), nDCG =
    min(1, DCG / IDCG) (a chunk spanning two gold pages can beat the one-key-per-rank ideal).
    """
    if not gold:
        raise ValueError("rank_metrics: empty gold set")
    result: dict[str, float] = {}
    covered: set[Hashable] = set()
    first = 0
    dcg = 0.0
    recall_at: dict[int, float] = {}
    for rank, keys in enumerate(ranking, 1):
        new = (keys & gold) - covered
        if keys & gold and not first:
            first = rank
        if new and rank <= 10:
            dcg += len(new) / math.log2(rank + 1)
        covered |= new
        recall_at[rank] = len(covered) / len(gold)
    for k in ks:
        reached = [recall_at[r] for r in recall_at if r <= k]
        result[f"recall@{k}"] = max(reached, default=0.0)
    result["mrr"] = 1.0 / first if first else 0.0
    ideal = sum(1.0 / math.log2(r + 1) for r in range(1, min(len(gold), 10) + 1))
    result["ndcg@10"] = min(1.0, dcg / ideal)
    return result


# -- hits to keys -------------------------------------------------------------------------------
_FIGURE_NUMBER = re.compile(r"\b(?:figure|fig\.?|图)\s*([0-9]+(?:[-.‐–][0-9]+)*)", re.IGNORECASE)


def figure_number(label: str | None) -> str | None:
    """ "Figure 5-1 DMZ web access" -> "5-1"; None when the label has no number."""
    match = _FIGURE_NUMBER.search(label or "")
    return re.sub(r"[‐–.]", "-", match[1]) if match else None


def _doc_names(hit: Hit) -> set[str]:
    chunk = hit.chunk
    names = {chunk.doc_id}
    if chunk.source:
        names |= {Path(chunk.source).name, Path(chunk.source).stem, chunk.source}
    if chunk.title:
        names.add(chunk.title)
    return names


def page_keys(hit: Hit, doc: str) -> set[Hashable]:
    if doc not in _doc_names(hit):
        return set()
    return {("page", page) for page in hit.chunk.pages}


def figure_keys(hit: Hit, question: RetrievalQuestion) -> set[Hashable]:
    chunk = hit.chunk
    if chunk.kind != "figure" or question.doc not in _doc_names(hit):
        return set()
    gold_id = question.figure_id
    if gold_id and chunk.figure_id and chunk.figure_id.startswith(gold_id):
        return {"figure"}
    gold_number = figure_number(question.figure_label)
    label = chunk.figure_label or ""
    if gold_number and figure_number(label) == gold_number:
        return {"figure"}
    if question.figure_label and not gold_number:
        wanted = question.figure_label.casefold().strip()
        if wanted and label.casefold().startswith(wanted):
            return {"figure"}
    return set()


def score_question(question: RetrievalQuestion, hits: list[Hit]) -> dict[str, dict[str, float]]:
    """{"page": metrics, "figure": metrics (only for questions naming a figure)}."""
    scores = {
        "page": rank_metrics(
            [page_keys(hit, question.doc) for hit in hits],
            {("page", page) for page in question.pages},
        )
    }
    if question.figure_label or question.figure_id:
        scores["figure"] = rank_metrics([figure_keys(hit, question) for hit in hits], {"figure"})
    return scores


# -- running an index ---------------------------------------------------------------------------
@dataclass
class RetrievalRow:
    system: str
    mode: str
    level: str
    kind: str
    metrics: dict[str, float]
    n: int


@dataclass
class RetrievalEvaluation:
    rows: list[RetrievalRow] = field(default_factory=list)
    per_question: list[dict[str, Any]] = field(default_factory=list)

    def row(self, system: str, mode: str, level: str, kind: str = "all") -> RetrievalRow | None:
        for row in self.rows:
            if (row.system, row.mode, row.level, row.kind) == (system, mode, level, kind):
                return row
        return None


def _mean(values: list[dict[str, float]]) -> dict[str, float]:
    return {name: 100.0 * sum(v[name] for v in values) / len(values) for name in METRICS}


def evaluate_retrieval(
    kb: Any,
    questions: list[RetrievalQuestion],
    system: str = "index",
    modes: Sequence[str] = MODES,
    k: int = 10,
    evaluation: RetrievalEvaluation | None = None,
) -> RetrievalEvaluation:
    """Run every question through `kb.search(question, k, mode=...)` (a KnowledgeBase) for each
    mode; aggregate per level (page / figure) and question kind (text / figure / all), in
    percent. Pass `evaluation` to add another system's rows to the same table."""
    evaluation = evaluation or RetrievalEvaluation()
    for mode in modes:
        if mode not in MODES:
            raise EvalError(f"unknown search mode {mode!r} (one of {', '.join(MODES)})")
        scored: list[tuple[RetrievalQuestion, dict[str, dict[str, float]]]] = []
        for question in questions:
            hits = kb.search(question.question, k=max(k, 10), mode=mode)
            scores = score_question(question, hits)
            scored.append((question, scores))
            evaluation.per_question.append(
                {"system": system, "mode": mode, "id": question.id, "kind": question.kind,
                 "top": [_hit_label(hit) for hit in hits[:3]],
                 **{f"{level}_{m}": v for level, ms in scores.items() for m, v in ms.items()}}
            )  # fmt: skip
        for level in ("page", "figure"):
            for kind in ("text", "figure", "all"):
                values = [s[level] for q, s in scored if level in s and kind in ("all", q.kind)]
                if values:
                    evaluation.rows.append(
                        RetrievalRow(system, mode, level, kind, _mean(values), len(values))
                    )
    return evaluation


def _hit_label(hit: Hit) -> str:
    chunk = hit.chunk
    page = chunk.pages[0] if chunk.pages else "?"
    what = chunk.figure_label or chunk.kind
    return f"p{page} {what}"


def retrieval_report(evaluation: RetrievalEvaluation, title: str = "Retrieval evaluation"):
    """The side-by-side Report: one row per (system, mode, level, kind); recall@5 plot."""
    from ictrag.evaluation.report import Report, Table, bar_plot

    headers = ["system", "mode", "questions", "n", *METRICS]
    tables = []
    for level in ("page", "figure"):
        rows = [
            [r.system, r.mode, r.kind, r.n, *(r.metrics[m] for m in METRICS)]
            for r in evaluation.rows
            if r.level == level and not (level == "figure" and r.kind == "all")
        ]
        if rows:
            tables.append(Table(f"Retrieval: {level} level (%)", headers, rows, group_by=2))
    systems = sorted(
        {(r.system, r.mode) for r in evaluation.rows}, key=lambda s: (s[0], MODES.index(s[1]))
    )
    categories = [f"{level}/{kind}" for level, kind in
                  (("page", "text"), ("page", "figure"), ("page", "all"), ("figure", "figure"))]  # fmt: skip
    series = {}
    for system, mode in systems:
        values = []
        for category in categories:
            level, kind = category.split("/")
            row = evaluation.row(system, mode, level, kind)
            values.append(row.metrics["recall@5"] if row else 0.0)
        series[f"{system}:{mode}" if len({s for s, _ in systems}) > 1 else mode] = values
    plots = (
        [bar_plot("recall@5", categories, series, "recall@5 (%)", "recall_at_5")] if series else []
    )
    return Report(
        title=title,
        notes=["page level: (doc, page) of each hit; figure level: figure chunks by label number"],
        tables=tables,
        plots=plots,
    )
