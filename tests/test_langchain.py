"""The LangChain retriever inside a runnable chain, sync and async."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from langchain_core.documents import Document
from langchain_core.runnables import RunnableLambda

from ictrag.interfaces.langchain import ICTRagRetriever
from ictrag.kb import KnowledgeBase


@pytest.fixture(scope="module")
def kb(tmp_path_factory, sample_pdf):
    base = KnowledgeBase(tmp_path_factory.mktemp("lc") / "idx", workers=1)
    assert base.ingest([sample_pdf]).ok
    yield base
    base.close()


def _format_docs(docs: list[Document]) -> dict:
    """What a RAG chain would hand the LLM: context text plus the figures to show."""
    return {
        "context": "\n\n".join(
            f"[{d.metadata['doc']} p.{d.metadata['page']}] {d.page_content}" for d in docs
        ),  # noqa: E501
        "figures": [d.metadata for d in docs if d.metadata["kind"] == "figure"],
    }


def test_chain_returns_the_figure_with_its_metadata(kb: KnowledgeBase):
    chain = ICTRagRetriever(kb=kb, k=4) | RunnableLambda(_format_docs)
    out = chain.invoke("Which access switches connect to the AR-100 in the campus topology?")
    labels = [figure["label"] for figure in out["figures"]]
    assert "Figure 3-1 Campus network topology" in labels
    figure = out["figures"][labels.index("Figure 3-1 Campus network topology")]
    assert figure["figure_type"] == "topology" and figure["page"] == 4
    assert len(figure["figure_id"]) == 64 and Path(figure["image"]).is_file()
    assert figure["doc"].startswith("ICT Sample Manual") and figure["path"].endswith(
        "ict-sample-manual.pdf"
    )  # noqa: E501
    assert isinstance(figure["score"], float) and figure["doc_id"]
    assert "SW-A" in out["context"]


def test_filters_reach_the_search(kb: KnowledgeBase):
    figures = ICTRagRetriever(kb=kb, k=3, kind="figure").invoke("802.1X authentication")
    assert figures and all(d.metadata["kind"] == "figure" for d in figures)
    assert figures[0].metadata["label"] == "Figure 2-1 802.1X authentication flow"
    texts = ICTRagRetriever(kb=kb, k=3, kind="text").invoke("802.1X authentication")
    assert texts and all(
        d.metadata["kind"] == "text" and "figure_id" not in d.metadata for d in texts
    )  # noqa: E501
    assert ICTRagRetriever(kb=kb, doc="no-such-manual.pdf").invoke("OSPF") == []
    lexical = ICTRagRetriever(kb=kb, k=2, mode="bm25").invoke("FW-DMZ-01")
    assert lexical[0].metadata["label"] == "Figure 5-1 DMZ web access"


def test_async_batch_matches_sync(kb: KnowledgeBase):
    retriever = ICTRagRetriever(kb=kb, k=3)
    questions = ["S1-MME attach signalling", "OSPF area 0 hello timers", "DMZ web server address"]

    async def run():
        return await asyncio.gather(*(retriever.ainvoke(q) for q in questions))

    concurrent = asyncio.run(run())
    for question, docs in zip(questions, concurrent, strict=True):
        serial = retriever.invoke(question)
        # RRF ties may come back in either order: compare the scores and the clear winner
        assert [d.metadata["score"] for d in docs] == [d.metadata["score"] for d in serial]
        top = [d.id for d in serial if d.metadata["score"] == serial[0].metadata["score"]]
        assert docs[0].id in top
