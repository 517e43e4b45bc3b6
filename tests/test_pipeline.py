"""Ingest end to end on the real stack: loaders, OCR, MiniLM, Qdrant Edge."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pymupdf
import pytest

from ictrag import KnowledgeBase
from ictrag.index.manifest import Manifest
from tests.conftest import ROOT, SAMPLES


@pytest.fixture(scope="module")
def sample_kb(tmp_path_factory) -> KnowledgeBase:
    kb = KnowledgeBase(tmp_path_factory.mktemp("idx") / "sample")
    report = kb.ingest([SAMPLES])
    assert report.ok, [(r.path, r.error) for r in report.files if r.error]
    yield kb
    kb.close()


def _manual_pdf(path: Path, body: str) -> Path:
    doc = pymupdf.open()
    page = doc.new_page()
    page.insert_text((72, 72), "Router Guide", fontsize=20)
    page.insert_textbox(pymupdf.Rect(72, 100, 520, 700), body, fontsize=11)
    doc.save(path)
    return path


def test_sample_manual_ingests_text_tables_and_all_four_figures(sample_kb):
    totals = {d["path"].rsplit("/", 1)[-1]: d for d in sample_kb.documents()}
    manual = totals["ict-sample-manual.pdf"]
    assert manual["pages"] == 6 and manual["figures"] == 4
    document = sample_kb.document("ict-sample-manual.pdf")
    labels = sorted(f.label.split()[1] for f in document.figures)
    assert labels == ["2-1", "3-1", "4-1", "5-1"]
    assert all(Path(f.image_path).exists() for f in document.figures)
    assert {"sample.docx", "sample.pptx", "sample.html", "sample.md", "topology.png"} <= set(totals)


def test_text_only_inside_the_raster_figure_is_found_through_ocr(sample_kb):
    hits = sample_kb.search("FW-DMZ-01 firewall 192.168.10.5", k=5)
    figure_hits = [h for h in hits if h.chunk.kind == "figure"]
    assert figure_hits and figure_hits[0].chunk.figure_label.startswith("Figure 5-1")
    assert figure_hits[0].chunk.pages == [6]


def test_exact_ict_tokens_rank_the_passage_that_has_them(sample_kb):
    hits = sample_kb.search("S1-MME", k=3, mode="bm25", doc="ict-sample-manual.pdf")
    assert hits and "S1-MME" in hits[0].chunk.text


def test_filters_by_kind_and_document(sample_kb):
    figures = sample_kb.search("network topology", k=10, kind="figure")
    assert figures and all(h.chunk.kind == "figure" for h in figures)
    only_md = sample_kb.search("interface", k=10, doc="sample.md")
    assert only_md and {h.chunk.source.rsplit("/", 1)[-1] for h in only_md} == {"sample.md"}
    assert sample_kb.search("interface", doc="no-such-doc") == []


def test_reingest_skips_unchanged_and_replaces_changed_atomically(tmp_path):
    folder = tmp_path / "docs"
    folder.mkdir()
    pdf = _manual_pdf(folder / "guide.pdf", "The uplink GE0/0/1 carries VLAN 10 traffic.")
    kb = KnowledgeBase(tmp_path / "idx", workers=1)
    first = kb.ingest([folder])
    assert first.count("ingested") == 1
    points = kb.store.count()
    again = kb.ingest([folder])
    assert again.count("unchanged") == 1 and kb.store.count() == points

    _manual_pdf(pdf, "The uplink is now GE0/0/9 with VLAN 20.")
    changed = kb.ingest([folder])
    assert changed.count("ingested") == 1
    assert len(kb.documents()) == 1
    hits = kb.search("uplink VLAN", k=10)
    assert all("GE0/0/1" not in h.chunk.text for h in hits)
    assert any("GE0/0/9" in h.chunk.text for h in hits)
    assert kb.store.count() == sum(d["chunks"] for d in kb.documents())

    pdf.unlink()
    pruned = kb.ingest([folder], prune=True)
    assert pruned.count("removed") == 1 and kb.documents() == [] and kb.store.count() == 0


def test_bad_files_fail_one_line_each_and_the_rest_still_ingest(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    _manual_pdf(folder / "good.pdf", "OSPF area 0 runs on GE0/0/0.")
    (folder / "empty.pdf").write_bytes(b"")
    (folder / "fake.pdf").write_text("<!doctype html><html><body>not a pdf</body></html>")
    (folder / "truncated.pdf").write_bytes((folder / "good.pdf").read_bytes()[:300])
    encrypted = pymupdf.open(folder / "good.pdf")
    encrypted.save(folder / "locked.pdf", encryption=pymupdf.PDF_ENCRYPT_AES_256, user_pw="x", owner_pw="y")  # noqa: E501
    (folder / "notes.xyz").write_text("unsupported")
    (folder / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"garbage" * 10)
    (folder / "big.txt").write_text("x" * (2 * 1024 * 1024))
    kb = KnowledgeBase(tmp_path / "idx", workers=1, load={"max_file_mb": 1})
    report = kb.ingest([*sorted(folder.iterdir())])
    by_name = {Path(r.path).name: r for r in report.files}
    assert by_name["good.pdf"].status == "ingested"
    for name in ("empty.pdf", "fake.pdf", "truncated.pdf", "locked.pdf", "broken.png", "big.txt"):
        result = by_name[name]
        assert result.status == "failed", name
        assert result.error and "\n" not in result.error, name
    assert "encrypted" in by_name["locked.pdf"].error
    assert "html" in by_name["fake.pdf"].error.lower()
    assert by_name["notes.xyz"].status == "unsupported"
    assert by_name["notes.xyz"].error == "unsupported file type '.xyz'"
    assert not report.ok
    assert kb.search("OSPF area 0")[0].chunk.source.endswith("good.pdf")


def test_a_folder_reports_its_unsupported_files_and_still_succeeds(tmp_path):
    folder = tmp_path / "in"
    (folder / "sub").mkdir(parents=True)
    _manual_pdf(folder / "good.pdf", "IS-IS level 2 adjacency on GE0/0/2.")
    (folder / "sub" / "talk.key").write_bytes(b"PK\x03\x04 a Keynote deck, not read")
    (folder / ".hidden.xyz").write_text("hidden files stay out")
    report = KnowledgeBase(tmp_path / "idx", workers=1).ingest([folder])
    by_name = {Path(r.path).name: r for r in report.files}
    assert set(by_name) == {"good.pdf", "talk.key"}
    assert by_name["talk.key"].status == "unsupported"
    assert report.ok and report.totals()["unsupported"] == 1


def test_same_bytes_under_two_names_are_indexed_once(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    _manual_pdf(folder / "a.pdf", "BGP peers exchange routes over TCP 179.")
    shutil.copy(folder / "a.pdf", folder / "b.pdf")
    kb = KnowledgeBase(tmp_path / "idx", workers=1)
    report = kb.ingest([folder])
    assert sorted(r.status for r in report.files) == ["duplicate", "ingested"]
    assert kb.store.count() == kb.documents()[0]["chunks"]
    (folder / "a.pdf").unlink()
    kb.ingest([folder], prune=True)
    assert kb.search("BGP TCP 179")  # b.pdf still holds the shared points


def test_cli_exit_codes_and_json(tmp_path):
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    folder = tmp_path / "in"
    folder.mkdir()
    _manual_pdf(folder / "ok.pdf", "MPLS LDP session on GE0/0/2.")
    (folder / "bad.pdf").write_bytes(b"%PDF-1.7 broken")
    cli = [sys.executable, "-m", "ictrag"]
    run = subprocess.run([*cli, "ingest", str(folder), "--index", str(tmp_path / "i"), "--json"],
                         capture_output=True, text=True, env=env)  # fmt: skip
    assert run.returncode == 1, run.stderr
    import json

    payload = json.loads(run.stdout)
    assert payload["totals"]["documents"] == 1 and payload["totals"]["failed"] == 1
    query = subprocess.run([*cli, "query", "LDP session", "--index", str(tmp_path / "i"), "--json"],
                           capture_output=True, text=True, env=env)  # fmt: skip
    assert query.returncode == 0, query.stderr
    hits = json.loads(query.stdout)
    assert set(hits[0]) >= {"rank", "score", "kind", "doc", "path", "page", "heading", "text", "figure"}
    usage = subprocess.run([*cli, "query", "x", "--kind", "nope"], capture_output=True, text=True, env=env)  # noqa: E501
    assert usage.returncode == 2


KILLER = """
import sys, time
from ictrag import KnowledgeBase
kb = KnowledgeBase(sys.argv[1], workers=1)
kb.ingest(sys.argv[2:])
"""


def test_a_run_killed_with_sigkill_leaves_a_consistent_index(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    for i in range(6):
        _manual_pdf(folder / f"m{i}.pdf", f"Manual {i}: interface GE0/0/{i} in VLAN {i + 10}. " * 40)
    index = tmp_path / "idx"
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    proc = subprocess.Popen([sys.executable, "-c", KILLER, str(index), str(folder)], env=env, cwd=ROOT)
    deadline = time.time() + 120
    while time.time() < deadline and len(Manifest(index).entries) < 2:
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    committed = len(Manifest(index).entries)
    assert 2 <= committed < 6, "the kill must land mid-run for this test to mean anything"
    kb = KnowledgeBase(index, workers=1)
    report = kb.ingest([folder])
    assert report.ok
    assert len(kb.documents()) == 6
    assert kb.store.count() == sum(d["chunks"] for d in kb.documents())
    hits = kb.search("GE0/0/3 VLAN 13", k=50)
    ids = [h.chunk.id for h in hits]
    assert len(ids) == len(set(ids))


def test_one_worker_loads_the_next_document_while_the_last_is_written(tmp_path, monkeypatch):
    import threading

    import ictrag.engines.local as local

    folder = tmp_path / "docs"
    folder.mkdir()
    for name in ("a", "b", "c"):
        _manual_pdf(folder / f"{name}.pdf", f"Manual {name}: the uplink of site {name} is GE0/0/1.")
    loaded: list[tuple[str, str]] = []
    real_prepare = local.prepare

    def recording_prepare(path, *args, **kwargs):
        loaded.append((Path(path).name, threading.current_thread().name))
        return real_prepare(path, *args, **kwargs)

    monkeypatch.setattr(local, "prepare", recording_prepare)
    report = KnowledgeBase(tmp_path / "idx", workers=1).ingest([folder])
    assert [Path(r.path).name for r in report.files] == ["a.pdf", "b.pdf", "c.pdf"]
    assert report.count("ingested") == 3
    assert [name for name, _ in loaded] == ["a.pdf", "b.pdf", "c.pdf"]
    assert all(thread.startswith("ictrag-load") for _, thread in loaded)
