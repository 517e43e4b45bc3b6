"""One suite for both stores (Qdrant Edge, qdrant-client local mode), with real MiniLM vectors."""

from __future__ import annotations

import hashlib
import os
import random
import signal
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from ictrag.config import Settings
from ictrag.index.bm25 import sparse_query, sparse_vectors
from ictrag.index.embed import DenseEmbedder
from ictrag.index.store import (
    SearchFilter,
    Store,
    StoreError,
    chunk_point_id,
    open_store,
    point_id,
)
from ictrag.index.store_edge import EdgeStore
from ictrag.index.store_server import ServerStore
from ictrag.model import Chunk

DOC_A = hashlib.sha256(b"router-guide").hexdigest()
DOC_B = hashlib.sha256(b"epc-overview").hexdigest()

TEXTS_A = [
    "Configure the interface GE0/0/1 with IP address 10.0.0.1/24 and enable OSPF area 0 on it.",
    "To shut down an interface, enter the interface view and run the shutdown command. "
    "Run undo shutdown to bring it back up.",
    "VLAN 10 carries voice traffic; allow VLAN 10 and VLAN 20 on the trunk with 802.1Q tagging.",
    "OSPF is a link-state routing protocol described in RFC 2328. Routers flood LSAs to build "
    "the link-state database.",
    "Figure type: topology\nSummary: Router R1 connects to switch SW1 through GE0/0/2; SW1 "
    "connects hosts H1 and H2.\nRelations:\n- R1 -- SW1 [GE0/0/2]\n- SW1 -- H1\n- SW1 -- H2",
    "802.1X port-based access control needs a RADIUS server that authenticates supplicants.",
]
TEXTS_B = [
    "The S1-MME interface connects the eNodeB to the MME and carries S1-AP signalling over SCTP.",
    "The S-GW forwards user plane packets on the S1-U interface inside GTP-U tunnels.",
    "In the 5G core, the N4 interface between the SMF and the UPF uses PFCP to install packet "
    "detection rules.",
    "Figure type: sequence\nSummary: LTE attach procedure.\nRelations:\n- UE -> eNodeB [Attach "
    "Request]\n- eNodeB -> MME [Initial UE Message]\n- MME -> HSS [Update Location Request]",
    "The loopback interface of the PGW has the IPv6 address 2001:db8::1.",
]
FIGURES = {(DOC_A, 4): "topology", (DOC_B, 3): "sequence"}


def make_chunks(doc_id: str, texts: list[str], source: str, title: str) -> list[Chunk]:
    chunks = []
    for seq, text in enumerate(texts):
        figure_type = FIGURES.get((doc_id, seq))
        kind = "figure" if figure_type else "text"
        chunks.append(
            Chunk(
                id=chunk_point_id(doc_id, seq, kind),
                doc_id=doc_id,
                kind=kind,
                text=text,
                pages=[seq + 1],
                heading_path=[title, f"Section {seq}"],
                figure_id=hashlib.sha256(text.encode()).hexdigest() if figure_type else None,
                figure_type=figure_type,
                source=source,
                title=title,
                seq=seq,
            )
        )
    return chunks


@pytest.fixture(scope="module")
def embedder() -> DenseEmbedder:
    return DenseEmbedder()


@pytest.fixture(scope="module")
def corpus_vectors(embedder: DenseEmbedder):
    chunks = make_chunks(DOC_A, TEXTS_A, "/manuals/router-guide.pdf", "Router Guide")
    chunks += make_chunks(DOC_B, TEXTS_B, "/manuals/epc-overview.pdf", "EPC Overview")
    rng = random.Random(7)
    rng.shuffle(chunks)  # reading order must come from seq, not insertion order
    texts = [chunk.text for chunk in chunks]
    return chunks, embedder.encode(texts), sparse_vectors(texts)


def open_kind(kind: str, path: Path) -> Store:
    if kind == "edge":
        return EdgeStore(path / "qdrant")
    return ServerStore(path=str(path / "local"), collection="test")


@pytest.fixture(params=["edge", "server"])
def store(request, tmp_path: Path, corpus_vectors, embedder) -> Iterator[Store]:
    chunks, dense, sparse = corpus_vectors
    opened = open_kind(request.param, tmp_path)
    opened.ensure(embedder.dim)
    opened.upsert(chunks, dense, sparse)
    opened.kind = request.param  # type: ignore[attr-defined]
    yield opened
    opened.close()


def ask(store: Store, embedder: DenseEmbedder, text: str, mode="hybrid", k=5, flt=None):
    return store.search(embedder.encode_query(text), sparse_query(text), k=k, filter=flt, mode=mode)


def by_text(hits) -> list[str]:
    return [hit.chunk.text for hit in hits]


@pytest.mark.parametrize("mode", ["hybrid", "bm25"])
@pytest.mark.parametrize(
    ("query", "expected"),
    [("GE0/0/1", TEXTS_A[0]), ("S1-MME", TEXTS_B[0]), ("2001:db8::1", TEXTS_B[4])],
)
def test_exact_ict_token_ranks_its_chunk_first(store, embedder, mode, query, expected):
    hits = ask(store, embedder, query, mode=mode)
    assert hits[0].chunk.text == expected
    assert [hit.rank for hit in hits] == list(range(1, len(hits) + 1))


def test_paraphrase_finds_chunk_by_meaning(store, embedder):
    question = "how can I disable a port?"
    assert ask(store, embedder, question, mode="dense")[0].chunk.text == TEXTS_A[1]
    # hybrid: bm25 puts the chunk that says "port" first, RRF keeps the meaning in the top 2
    assert TEXTS_A[1] in by_text(ask(store, embedder, question, mode="hybrid", k=2))
    assert TEXTS_A[1] not in by_text(ask(store, embedder, question, mode="bm25", k=2))


def test_filters_by_doc_kind_and_figure_type(store, embedder):
    only_b = ask(store, embedder, "interface", k=20, flt=SearchFilter(doc_ids=[DOC_B]))
    assert {hit.chunk.doc_id for hit in only_b} == {DOC_B}
    assert len(only_b) == len(TEXTS_B)
    figures = ask(store, embedder, "interface", k=20, flt=SearchFilter(kind="figure"))
    assert sorted(hit.chunk.figure_type for hit in figures) == ["sequence", "topology"]
    sequence = ask(store, embedder, "router", k=20, flt=SearchFilter(figure_type="sequence"))
    assert by_text(sequence) == [TEXTS_B[3]]
    both = SearchFilter(doc_ids=[DOC_A], kind="text")
    texts = ask(store, embedder, "interface", k=20, flt=both, mode="dense")
    assert sorted(by_text(texts)) == sorted(t for i, t in enumerate(TEXTS_A) if i != 4)


def test_count_documents_and_reading_order(store):
    assert store.count() == len(TEXTS_A) + len(TEXTS_B)
    assert store.count(doc_id=DOC_A) == len(TEXTS_A)
    assert store.count(kind="figure") == 2
    assert store.count(doc_id=DOC_B, kind="text") == len(TEXTS_B) - 1
    docs = {doc["doc_id"]: doc for doc in store.documents()}
    assert set(docs) == {DOC_A, DOC_B}
    assert docs[DOC_A]["chunks"] == len(TEXTS_A)
    assert docs[DOC_B]["title"] == "EPC Overview"
    assert docs[DOC_B]["source"] == "/manuals/epc-overview.pdf"
    chunks = store.get_chunks(DOC_B)
    assert [chunk.text for chunk in chunks] == TEXTS_B
    assert chunks[3].figure_type == "sequence" and chunks[3].kind == "figure"


def test_delete_document_removes_only_that_document(store, embedder):
    store.delete_document(DOC_A)
    assert store.count(doc_id=DOC_A) == 0
    assert store.count(doc_id=DOC_B) == len(TEXTS_B)
    assert all(hit.chunk.doc_id == DOC_B for hit in ask(store, embedder, "GE0/0/1", k=20))
    assert [doc["doc_id"] for doc in store.documents()] == [DOC_B]


def test_reupsert_same_ids_never_duplicates(store, corpus_vectors):
    chunks, dense, sparse = corpus_vectors
    before = store.count()
    store.upsert(chunks, dense, sparse)
    store.upsert(chunks[:3], dense[:3], sparse[:3])
    assert store.count() == before


def test_point_ids_and_delete_points(store):
    ids = store.point_ids(DOC_B)
    assert ids == {chunk_point_id(DOC_B, seq, "text") for seq in (0, 1, 2, 4)} | {
        chunk_point_id(DOC_B, 3, "figure")
    }
    doomed = sorted(ids)[:2]
    store.delete_points(doomed)
    assert store.point_ids(DOC_B) == ids - set(doomed)
    assert store.count(doc_id=DOC_A) == len(TEXTS_A)


def test_non_uuid_chunk_ids_map_to_stable_points(store, embedder):
    chunk = Chunk(id="doc-c/0", doc_id="c", kind="text", text="BGP peers on TCP port 179")
    vectors = embedder.encode([chunk.text])
    store.upsert([chunk], vectors, sparse_vectors([chunk.text]))
    store.upsert([chunk], vectors, sparse_vectors([chunk.text]))
    assert store.point_ids("c") == {point_id("doc-c/0")}
    assert store.get_chunks("c")[0].id == "doc-c/0"


def test_bad_batches_and_dims_raise_store_error(store, embedder, corpus_vectors):
    chunks, dense, sparse = corpus_vectors
    with pytest.raises(StoreError, match="one dense and one sparse"):
        store.upsert(chunks, dense[:2], sparse)
    with pytest.raises(StoreError, match="384"):
        store.ensure(embedder.dim + 1)
    assert store.search(None, sparse_query("the of and"), mode="bm25") == []


def test_persists_across_close_and_reopen(store, embedder, tmp_path):
    store.close()
    reopened = open_kind(store.kind, tmp_path)
    try:
        reopened.ensure(embedder.dim)
        assert reopened.count() == len(TEXTS_A) + len(TEXTS_B)
        assert ask(reopened, embedder, "S1-MME")[0].chunk.text == TEXTS_B[0]
    finally:
        reopened.close()


def test_second_open_of_same_path_is_refused(store, tmp_path):
    with pytest.raises(StoreError):
        open_kind(store.kind, tmp_path)


def test_open_store_picks_edge_without_url(tmp_path):
    store = open_store(Settings(), tmp_path)
    assert isinstance(store, EdgeStore)
    assert store.path == tmp_path / "qdrant"
    store.close()


KILL_SCRIPT = textwrap.dedent(
    """
    import sys, time
    import numpy as np
    from ictrag.index.bm25 import sparse_vectors
    from ictrag.index.store_edge import EdgeStore
    from ictrag.model import Chunk

    store = EdgeStore(sys.argv[1])
    store.ensure(8)
    chunks = [Chunk(id=f"kill-{i}", doc_id="k", kind="text", text=f"chunk {i} on eth{i}", seq=i)
              for i in range(300)]
    dense = np.random.default_rng(0).normal(size=(300, 8)).astype("float32")
    store.upsert(chunks, dense, sparse_vectors([c.text for c in chunks]))
    print("flushed", flush=True)
    time.sleep(60)
    """
)


def test_edge_writes_survive_sigkill(tmp_path):
    path = tmp_path / "qdrant"
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-c", KILL_SCRIPT, str(path)], stdout=subprocess.PIPE, text=True, env=env
    )
    try:
        assert proc.stdout.readline().strip() == "flushed"
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    store = EdgeStore(path)
    try:
        assert store.count() == 300
        chunks = store.get_chunks("k")
        assert [chunk.seq for chunk in chunks] == list(range(300))
        dense = np.random.default_rng(0).normal(size=(300, 8)).astype("float32")
        top = store.search(dense[42], None, k=1, mode="dense")
        assert top[0].chunk.id == "kill-42"
    finally:
        store.close()
