"""One hit per figure: search fuses a figure's chunks (its words, its meaning) into one hit,
on the sample index (real MiniLM, Qdrant Edge) and on the server store (qdrant-client local
mode), in all three modes, with filters."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator

import pytest

from ictrag import KnowledgeBase
from ictrag.index.bm25 import sparse_query, sparse_vectors
from ictrag.index.migrate import copy_points
from ictrag.index.store import Store
from ictrag.index.store_edge import EdgeStore
from ictrag.index.store_server import ServerStore
from ictrag.model import Chunk, Hit
from ictrag.search import OVERFETCH, fuse_figures, search
from tests.conftest import SAMPLES

QUESTIONS = [
    json.loads(line)["question"]
    for line in (SAMPLES / "retrieval_questions.jsonl").read_text().splitlines()
    if line.strip()
]
QUERIES = [
    *QUESTIONS,
    "DMZ firewall web server",
    "campus topology",
    "802.1X authentication",
    "LTE backhaul attach",
    "network topology",
    "interface",
    "GE0/0/1",
    "figure",
]
MODES = ["hybrid", "dense", "bm25"]
KS = [1, 5, 10, 20]
BOTH_CHUNKS = "DMZ firewall web server"
"""Before fusion its top 2 were the two chunks of Figure 5-1."""


@pytest.fixture(scope="module")
def sample_kb(tmp_path_factory) -> Iterator[KnowledgeBase]:
    kb = KnowledgeBase(tmp_path_factory.mktemp("idx") / "sample")
    report = kb.ingest([SAMPLES])
    assert report.ok, [(r.path, r.error) for r in report.files if r.error]
    yield kb
    kb.close()


@pytest.fixture(scope="module")
def server_copy(sample_kb, tmp_path_factory) -> Iterator[Store]:
    store = ServerStore(path=str(tmp_path_factory.mktemp("server")), collection="kb")
    copy_points(sample_kb.store, store)
    yield store
    store.close()


@pytest.fixture(params=["edge", "server"])
def store(request, sample_kb, server_copy) -> Store:
    return sample_kb.store if request.param == "edge" else server_copy


def unfused(store: Store, embedder, text: str, k: int, mode="hybrid", flt=None) -> list[Hit]:
    """What search returned before fusion: the engine's top k chunks."""
    dense = embedder.encode_query(text) if mode != "bm25" else None
    return store.search(dense, sparse_query(text), k=k, filter=flt, mode=mode)


def unit(hit: Hit) -> tuple[str, str]:
    return (hit.chunk.doc_id, hit.chunk.figure_id or hit.chunk.id)


def test_a_figure_whose_two_chunks_ranked_comes_back_once_with_both_texts(sample_kb, store):
    embedder = sample_kb.embedder
    before = unfused(store, embedder, BOTH_CHUNKS, k=5)
    assert before[0].chunk.figure_id and before[0].chunk.figure_id == before[1].chunk.figure_id
    words, meaning = before[0].chunk, before[1].chunk

    hits = search(store, embedder, BOTH_CHUNKS, k=5)
    figure = [h for h in hits if h.chunk.figure_id == words.figure_id]
    assert len(figure) == 1 and figure[0].rank == 1
    hit = figure[0]
    assert hit.chunk.id == words.id and [c.id for c in hit.matched] == [meaning.id]
    assert hit.score == pytest.approx(before[0].score)
    assert hit.texts == [words.text, meaning.text]
    # the slot the second chunk took now holds the next distinct hit
    assert len(hits) == 5 and len({unit(h) for h in hits}) == 5

    row = hit.to_json()
    assert row["texts"] == [words.text, meaning.text]
    assert row["text"].startswith(words.text + "\n\n")
    heading = " > ".join(words.heading_path) + "\n"
    assert meaning.text.startswith(heading) and row["text"].count(heading) == 1
    assert row["text"].endswith(meaning.text[len(heading) :])
    assert row["figure"]["id"] == words.figure_id


def test_no_top_k_holds_a_figure_twice_and_k_hits_come_back(sample_kb, store):
    embedder = sample_kb.embedder
    twice_before = 0
    for mode in MODES:
        for query in QUERIES:
            everything = fuse_figures(unfused(store, embedder, query, k=1000, mode=mode))
            for k in KS:
                hits = search(store, embedder, query, k=k, mode=mode)
                keys = [unit(h) for h in hits]
                assert len(keys) == len(set(keys)), (mode, query, k)
                assert len(hits) == min(k, len(everything)), (mode, query, k)
                assert [h.rank for h in hits] == list(range(1, len(hits) + 1))
                assert all(a.score >= b.score for a, b in zip(hits, hits[1:], strict=False))
                assert all(not h.matched for h in hits if h.chunk.figure_id is None)
                raw = [unit(h) for h in unfused(store, embedder, query, k=k, mode=mode)]
                twice_before += len(raw) - len(set(raw))
    assert twice_before > 0  # the sample index does rank both chunks of a figure


def test_filters_still_apply_after_fusion(sample_kb, store):
    embedder = sample_kb.embedder
    manual = next(d["doc_id"] for d in store.documents() if d["source"].endswith(".pdf"))
    for mode in MODES:
        figures = search(store, embedder, "topology firewall flow", k=10, kind="figure", mode=mode)
        assert figures and all(h.chunk.kind == "figure" for h in figures)
        assert len({unit(h) for h in figures}) == len(figures)
        typed = search(store, embedder, "attach", k=5, figure_type="sequence", mode=mode)
        chunks = [chunk for hit in typed for chunk in [hit.chunk, *hit.matched]]
        assert typed and all(chunk.figure_type == "sequence" for chunk in chunks)
        one_doc = search(store, embedder, "interface", k=20, doc_ids=[manual], mode=mode)
        assert one_doc and {h.chunk.doc_id for h in one_doc} == {manual}


def test_kb_search_and_agent_shapes_show_a_figure_once(sample_kb):
    from ictrag.interfaces.langchain import hit_to_document

    hits = sample_kb.search(BOTH_CHUNKS, k=5)
    rows = [hit.to_json() for hit in hits]
    ids = [row["figure"]["id"] for row in rows if row["figure"]]
    assert len(ids) == len(set(ids)) and rows[0]["figure"] and len(rows[0]["texts"]) == 2
    documents = [hit_to_document(hit) for hit in hits]
    assert documents[0].page_content == rows[0]["text"]
    figure_ids = [d.metadata["figure_id"] for d in documents if d.metadata.get("figure_id")]
    assert figure_ids == ids


# --- fusion itself, and the bounded re-fetch ------------------------------------------------

DOC = "a" * 64
OTHER = "b" * 64


def _chunk(seq: int, text: str, figure_id: str | None = None, doc_id: str = DOC) -> Chunk:
    return Chunk(
        id=f"{doc_id[:8]}-{seq}",
        doc_id=doc_id,
        kind="figure" if figure_id else "text",
        text=text,
        heading_path=["1 Routing"],
        figure_id=figure_id,
        seq=seq,
    )


def test_fuse_keeps_the_best_chunk_orders_ties_by_reading_position_and_leaves_text_alone():
    figure = "f" * 64
    hits = [
        Hit(rank=1, score=0.5, chunk=_chunk(3, "text three")),
        Hit(rank=2, score=0.5, chunk=_chunk(1, "1 Routing\nmeaning", figure)),
        Hit(rank=3, score=0.9, chunk=_chunk(0, "1 Routing\nwords", figure)),
        Hit(rank=4, score=0.2, chunk=_chunk(2, "text two")),
        Hit(rank=5, score=0.5, chunk=_chunk(0, "other doc", figure, doc_id=OTHER)),
    ]
    fused = fuse_figures(hits)
    order = [(h.chunk.doc_id, h.chunk.seq) for h in fused]
    assert order == [(DOC, 0), (DOC, 3), (OTHER, 0), (DOC, 2)]
    assert fused[0].score == 0.9 and [c.seq for c in fused[0].matched] == [1]
    assert fused[0].texts == ["1 Routing\nwords", "1 Routing\nmeaning"]
    assert fused[0].text == "1 Routing\nwords\n\nmeaning"
    assert not fused[2].matched  # the same figure id in another document is another figure
    assert fused[1].text == "text three" and fused[1].texts == ["text three"]
    assert not hits[2].matched  # the input hits are not changed


def test_a_figure_split_into_many_chunks_still_leaves_room_for_k_hits(tmp_path):
    """A long figure text is cut into several chunks; when they fill the over-fetched
    candidates, search fetches more until k distinct hits come back."""
    from ictrag.index.embed import DenseEmbedder

    embedder = DenseEmbedder()
    figure = hashlib.sha256(b"ospf figure").hexdigest()
    parts = [f"OSPF area 0 backbone topology, router R{i} to ABR link {i}" for i in range(8)]
    chunks = [_chunk(i, text, figure) for i, text in enumerate(parts)]
    chunks += [
        _chunk(8, "OSPF areas: the backbone area 0 joins the other areas through ABRs."),
        _chunk(9, "VLAN 10 carries voice traffic on the trunk."),
        _chunk(10, "The S1-MME interface carries S1-AP signalling over SCTP."),
    ]
    texts = [c.text for c in chunks]
    store = EdgeStore(tmp_path / "qdrant")
    store.ensure(embedder.dim)
    store.upsert(chunks, embedder.encode(texts), sparse_vectors(texts))
    query = "OSPF area 0 backbone topology router ABR link"
    k = 2
    first_round = unfused(store, embedder, query, k=k * OVERFETCH)
    assert len({unit(h) for h in first_round}) < k  # the figure's chunks fill the first round
    hits = search(store, embedder, query, k=k)
    assert len(hits) == k and hits[0].chunk.figure_id == figure
    assert len(hits[0].matched) == len(parts) - 1 and hits[1].chunk.figure_id is None
    store.close()


def test_empty_query_and_k_zero_return_nothing(sample_kb):
    assert search(sample_kb.store, sample_kb.embedder, "   ", k=5) == []
    assert search(sample_kb.store, sample_kb.embedder, "firewall", k=0) == []
