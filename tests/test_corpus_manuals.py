"""The real manual with raster figures: every labelled figure is indexed, and text that
exists only in a figure's pixels finds it (OCR with rapidocr's bundled models)."""

from __future__ import annotations

import re

import pytest

from ictrag import KnowledgeBase

OBS = "obs-productdesc-en.pdf"


@pytest.fixture(scope="module")
def obs_kb(corpus, tmp_path_factory):
    kb = KnowledgeBase(tmp_path_factory.mktemp("obs") / "idx")
    report = kb.ingest([corpus / "manuals" / OBS])
    assert report.ok, [r.error for r in report.files]
    yield kb
    kb.close()


def test_every_figure_label_yields_a_figure_chunk(obs_kb, corpus):
    import pymupdf

    text = "\n".join(page.get_text() for page in pymupdf.open(corpus / "manuals" / OBS))
    labels = set(re.findall(r"^(Figure \d+-\d+)\s", text, flags=re.MULTILINE))
    assert len(labels) >= 15
    doc_id = obs_kb.documents()[0]["doc_id"]
    chunks = obs_kb.store.get_chunks(doc_id)
    indexed = {" ".join(c.figure_label.split()[:2]) for c in chunks if c.kind == "figure" and c.figure_label}  # noqa: E501
    assert labels <= indexed, sorted(labels - indexed)


@pytest.mark.parametrize(
    "query",
    ["Nearby high-speed nodes CNAME", "end users browsers apps requests for static data"],
)
def test_text_only_inside_a_raster_figure_finds_its_page(obs_kb, query):
    hits = obs_kb.search(query, k=5)
    assert any(h.chunk.pages == [16] and h.chunk.kind == "figure" for h in hits), [
        (h.chunk.pages, h.chunk.kind, h.chunk.text[:60]) for h in hits
    ]
