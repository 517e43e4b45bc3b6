"""Retrieval metrics on hand-made rankings, hit-to-gold matching, the bundled question set,
and `ictrag eval retrieval` on a real index of the sample manual (dense, bm25, hybrid)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pymupdf
import pytest
from typer.testing import CliRunner

from ictrag.cli.evaluate import eval_app
from ictrag.evaluation.retrieval import (
    RetrievalQuestion,
    figure_keys,
    figure_number,
    load_retrieval_questions,
    page_keys,
    rank_metrics,
    score_question,
)
from ictrag.model import Chunk, Hit

ROOT = Path(__file__).resolve().parent.parent
QUESTIONS = ROOT / "docs" / "samples" / "retrieval_questions.jsonl"
DOC = "ict-sample-manual.pdf"
# measured on the sample manual index (ocr captioner, MiniLM + bm25): hybrid page-level
# recall@5 100 %, figure-level recall@5 100 %; thresholds leave room for ranking drift.
MIN_PAGE_RECALL_5 = 90.0
MIN_FIGURE_RECALL_5 = 80.0


def test_rank_metrics_hand_made_ranking():
    gold = {"p1", "p2"}
    ranking = [{"p3"}, {"p1"}, {"p1"}, {"p2"}, set()]
    metrics = rank_metrics(ranking, gold)
    assert metrics["recall@1"] == 0.0
    assert metrics["recall@5"] == 1.0 and metrics["recall@10"] == 1.0
    assert metrics["mrr"] == 0.5
    # gains at ranks 2 and 4 (the repeat at rank 3 earns nothing); ideal: ranks 1 and 2
    dcg = 1 / math.log2(3) + 1 / math.log2(5)
    assert metrics["ndcg@10"] == pytest.approx(dcg / (1 + 1 / math.log2(3)))


def test_rank_metrics_partial_and_empty():
    half = rank_metrics([{"p2"}, {"x"}], {"p1", "p2"})
    assert half["recall@1"] == 0.5 and half["recall@10"] == 0.5 and half["mrr"] == 1.0
    assert half["ndcg@10"] == pytest.approx(1 / (1 + 1 / math.log2(3)))
    none = rank_metrics([{"x"}] * 12, {"p1"})
    assert none == {"recall@1": 0.0, "recall@5": 0.0, "recall@10": 0.0, "mrr": 0.0, "ndcg@10": 0.0}
    # a hit beyond rank 10 counts for nothing
    late = rank_metrics([set()] * 10 + [{"p1"}], {"p1"})
    assert late["recall@10"] == 0.0 and late["ndcg@10"] == 0.0
    assert late["mrr"] == pytest.approx(1 / 11)


def _hit(
    rank: int, kind: str, pages: list[int], label: str | None = None, source: str = DOC
) -> Hit:
    chunk = Chunk(
        id=f"c{rank}", doc_id="d" * 64, kind=kind, text="", pages=pages, figure_label=label,
        figure_id=("f" * 64) if label else None, source=f"/somewhere/{source}",
    )  # fmt: skip
    return Hit(rank=rank, score=1.0 / rank, chunk=chunk)


def test_hits_match_gold_by_doc_page_and_figure_number():
    question = RetrievalQuestion(
        id="q", question="?", kind="figure", doc=DOC, pages=[6], figure_label="Figure 5-1"
    )
    assert figure_number("Figure 5-1 DMZ web access") == "5-1"
    assert figure_number("Fig. 3.2") == "3-2"
    assert figure_number("图 4-1 附着信令") == "4-1"
    assert page_keys(_hit(1, "text", [6]), DOC) == {("page", 6)}
    assert page_keys(_hit(1, "text", [6], source="other.pdf"), DOC) == set()
    assert figure_keys(_hit(1, "figure", [6], "Figure 5-1 DMZ web access"), question) == {"figure"}
    assert figure_keys(_hit(1, "figure", [6], "Figure 5-10 Other"), question) == set()
    assert figure_keys(_hit(1, "text", [6], None), question) == set()
    hits = [
        _hit(1, "text", [6]),
        _hit(2, "figure", [4], "Figure 3-1 Campus network topology"),
        _hit(3, "figure", [6], "Figure 5-1 DMZ web access"),
    ]
    scores = score_question(question, hits)
    assert scores["page"]["mrr"] == 1.0
    assert scores["figure"]["mrr"] == pytest.approx(1 / 3)
    assert scores["figure"]["recall@1"] == 0.0 and scores["figure"]["recall@5"] == 1.0


def test_sample_question_set_matches_the_manual(sample_pdf: Path):
    questions = load_retrieval_questions(QUESTIONS)
    assert len(questions) >= 20
    kinds = {q.kind for q in questions}
    assert kinds == {"text", "figure"}
    document = pymupdf.open(sample_pdf)
    page_text = [page.get_text() for page in document]
    for question in questions:
        assert question.doc == sample_pdf.name
        assert all(1 <= page <= document.page_count for page in question.pages)
        if question.figure_label:
            assert question.figure_label in page_text[question.pages[0] - 1]
    # the raster figure's own words exist only as pixels: they are asked about, not printed
    raster = [q for q in questions if q.figure_label == "Figure 5-1"]
    assert len(raster) >= 3
    assert not any("FW-DMZ-01" in text or "192.168.10.5" in text for text in page_text)


@pytest.fixture(scope="module")
def sample_index(tmp_path_factory: pytest.TempPathFactory, sample_pdf: Path) -> Path:
    from ictrag.kb import KnowledgeBase

    path = tmp_path_factory.mktemp("eval-index") / "sample"
    with KnowledgeBase(path) as kb:
        report = kb.ingest([sample_pdf])
    assert report.totals()["failed"] == 0
    return path


def test_eval_retrieval_on_the_sample_manual(sample_index: Path, tmp_path: Path):
    result = CliRunner().invoke(
        eval_app,
        ["retrieval", "--index", f"sample={sample_index}", "--questions", str(QUESTIONS),
         "--json", "--report", str(tmp_path / "report")],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    rows = {(r["mode"], r["level"], r["kind"]): r for r in data["rows"]}
    for mode in ("dense", "bm25", "hybrid"):
        for key in (("page", "text"), ("page", "figure"), ("page", "all"), ("figure", "figure")):
            assert (mode, *key) in rows
    assert rows[("hybrid", "page", "all")]["n"] == 22
    assert rows[("hybrid", "page", "all")]["recall@5"] >= MIN_PAGE_RECALL_5
    assert rows[("hybrid", "figure", "figure")]["recall@5"] >= MIN_FIGURE_RECALL_5
    for row in data["rows"]:
        assert row["recall@1"] <= row["recall@5"] <= row["recall@10"] <= 100.0
        assert 0.0 <= row["mrr"] <= 100.0 and 0.0 <= row["ndcg@10"] <= 100.0
    # the questions answered only by pixels of the raster figure are found through its OCR
    raster = [
        q
        for q in data["questions"]
        if q["mode"] == "hybrid" and q["id"] in {"f01", "f02", "f03", "f04"}
    ]  # noqa: E501
    assert sum(q["figure_recall@5"] for q in raster) >= 3
    markdown = (tmp_path / "report" / "report.md").read_text()
    assert "| sample | hybrid |" in markdown and "recall@5" in markdown


def test_eval_retrieval_without_index_is_one_error(tmp_path: Path):
    result = CliRunner().invoke(
        eval_app, ["retrieval", "--index", str(tmp_path / "none"), "--questions", str(QUESTIONS)]
    )
    assert result.exit_code == 2
    assert "no index at" in result.output
