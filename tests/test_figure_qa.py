"""Figure questions are answered by retrieval when the structural captioner reads the slides'
vector diagrams (the small form of tests/benchmarks/bench_figure_qa.py)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pymupdf
import pytest

from ictrag import KnowledgeBase

QUESTIONS = Path(__file__).parent / "benchmarks" / "figure_questions.jsonl"
PAGES = [8, 18, 22, 37]  # 1-based pages of 11-VPN.pdf kept in the excerpt
IDS = ["vpn-08-tunnels", "vpn-18-pe3", "vpn-22-alpha", "vpn-37-cea1"]


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).lower()


def _contains_all(text: str, terms: list[str]) -> bool:
    return all(_norm(term) in _norm(text) for term in terms)


@pytest.fixture(scope="module")
def vpn_kb(corpus: Path, tmp_path_factory) -> KnowledgeBase:
    source = corpus / "manuals" / "11-VPN.pdf"
    if not source.exists():
        pytest.skip(f"{source} is absent")
    work = tmp_path_factory.mktemp("figure_qa")
    excerpt = work / "11-VPN-excerpt.pdf"
    with pymupdf.open(source) as doc:
        doc.select([page - 1 for page in PAGES])
        doc.save(excerpt)
    kb = KnowledgeBase(work / "index", caption={"backend": "structural"})
    report = kb.ingest(excerpt)
    assert [f.status for f in report.files] == ["ingested"], report
    yield kb
    kb.close()


@pytest.fixture(scope="module")
def questions() -> dict[str, dict]:
    rows = [json.loads(line) for line in QUESTIONS.read_text().splitlines() if line.strip()]
    return {row["id"]: row for row in rows}


def test_question_set_is_well_formed(questions):
    kinds = {"link", "sequence", "decision", "part"}
    assert len(questions) >= 30
    for row in questions.values():
        assert row["kind"] in kinds and row["answer_terms"] and row["page"] >= 1
        assert isinstance(row["only_in_figure"], bool)


@pytest.mark.parametrize("qid", IDS)
def test_link_question_answered_by_a_figure_chunk(vpn_kb, questions, qid):
    question = questions[qid]
    page = PAGES.index(question["page"]) + 1  # the page number inside the excerpt
    hits = vpn_kb.search(question["question"], k=5)
    answering = [
        hit
        for hit in hits
        if hit.chunk.kind == "figure"
        and page in hit.chunk.pages
        and _contains_all(hit.text, question["answer_terms"])
    ]
    assert answering, [(h.chunk.kind, h.chunk.pages, h.chunk.text[:120]) for h in hits]


def test_structural_caption_states_the_link_as_a_relation(vpn_kb):
    """CEA1 -- PE2 is drawn as a line between two boxes: the caption must say so."""
    document = vpn_kb.document("11-VPN-excerpt.pdf")
    figure = next(f for f in document.figures if f.page == PAGES.index(37) + 1)
    assert figure.origin == "vector"
    pairs = [f"{r.source} | {r.target}" for r in figure.logical.relations]
    assert any("CEA1" in pair and "PE2" in pair for pair in pairs), pairs
