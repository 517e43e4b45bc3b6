"""The cores split between the loaders (OCR threads) and the parent's embedder (torch
threads) during an ingest, and put back afterwards."""

from __future__ import annotations

import threading
from concurrent.futures import Future

import numpy as np
import pymupdf
import pytest
import torch

from ictrag import KnowledgeBase
from ictrag.config import EmbedSettings, Settings, usable_cores
from ictrag.engines import local
from ictrag.figures.raster import ocr
from ictrag.index import embed
from ictrag.index.embed import DenseEmbedder
from ictrag.ingest.stages import Prepared, prepare
from ictrag.load.render import save_png_bytes


@pytest.fixture(scope="module")
def embedder() -> DenseEmbedder:
    return DenseEmbedder(EmbedSettings())


@pytest.mark.parametrize(
    ("cores", "loaders", "expected"),
    [(2, 1, 1), (2, 2, 1), (16, 1, 8), (16, 4, 3), (16, 16, 1), (1, 1, 1)],
)
def test_loaders_and_the_embedder_split_the_cores_as_equals(monkeypatch, cores, loaders, expected):
    monkeypatch.setattr(local, "usable_cores", lambda: cores)
    assert local.ocr_threads(Settings(workers=loaders), loaders) == expected


@pytest.mark.parametrize(
    ("cores", "busy", "per_loader", "expected"),
    [(2, 1, 1, 1), (2, 0, 1, 2), (2, 2, 1, 1), (16, 4, 3, 4), (16, 0, 3, 16), (16, 16, 1, 1)],
)
def test_the_embedder_takes_what_busy_loaders_leave(monkeypatch, cores, busy, per_loader, expected):
    monkeypatch.setattr(local, "usable_cores", lambda: cores)
    assert local.embed_threads(Settings(), busy, per_loader) == expected


def test_set_thread_counts_win_over_the_split(monkeypatch):
    monkeypatch.setattr(local, "usable_cores", lambda: 16)
    settings = Settings(workers=4, embed={"threads": 3}, caption={"ocr_threads": 2})
    assert local.ocr_threads(settings, 4) == 2
    assert local.embed_threads(settings, 0, 2) == local.embed_threads(settings, 4, 2) == 3


def test_loaders_are_the_processes_or_the_one_thread():
    assert local.loaders(Settings(workers=1), 10) == 1
    assert local.loaders(Settings(workers=4), 1) == 1  # one file loads in the thread
    assert local.loaders(Settings(workers=4), 3) == 3
    assert local.loaders(Settings(workers=4), 10) == 4


def test_busy_counts_working_threads_and_unfinished_futures_up_to_the_workers():
    busy = local.Busy()
    assert busy() == 0
    with busy.working():
        assert busy() == 1
    assert busy() == 0
    done, pending = Future(), [Future() for _ in range(3)]
    done.set_result(None)
    busy.watch({done, *pending}, workers=2)
    assert busy() == 2  # three unfinished, but only two workers run at once
    for future in pending[:2]:
        future.set_result(None)
    assert busy() == 1
    busy.watch(set(), 0)
    assert busy() == 0


def test_the_loader_thread_is_busy_while_it_prepares_and_idle_after(tmp_path, monkeypatch):
    release, seen = threading.Event(), []
    busy = local.Busy()

    def slow_prepare(path, sha, settings, index_dir, ocr_threads=None):
        seen.append((busy(), ocr_threads()))
        release.wait(10)
        return Prepared(path, sha, None, "x", 0.0)

    monkeypatch.setattr(local, "prepare", slow_prepare)
    jobs = [("a", "1"), ("b", "2")]
    results = local._prepare_all(jobs, Settings(workers=1), tmp_path, busy, lambda: 7)
    threading.Timer(0.3, release.set).start()
    first = next(results)
    assert seen[0] == (1, 7) and first.path == "a"  # busy, and OCR on the share given
    list(results)
    assert busy() == 0


def test_sharing_holds_the_count_through_queries_and_puts_it_back(embedder):
    before = torch.get_num_threads()
    with embedder.sharing(1):
        assert torch.get_num_threads() == 1
        embedder.encode_query("S1-MME")  # a query inside keeps the ingest's count
        assert torch.get_num_threads() == 1
        assert embedder.encode(["N4 carries PFCP"]).shape == (1, 384)
    assert torch.get_num_threads() == before


def test_a_share_function_is_asked_between_slices_and_changes_no_vector(embedder, monkeypatch):
    texts = [f"interface N{i} joins {'the SMF and the UPF ' * (i % 7)}" for i in range(150)]
    plain = embedder.encode(texts)
    monkeypatch.setattr(embedder.settings, "batch_size", 8)
    counts, asked = [], []
    inner = DenseEmbedder._encode

    def spy(self, batch):
        counts.append(torch.get_num_threads())
        return inner(self, batch)

    monkeypatch.setattr(DenseEmbedder, "_encode", spy)

    def share():
        asked.append(len(asked))
        return 1 + len(asked) % 2

    before = torch.get_num_threads()
    with embedder.sharing(share):
        shared = embedder.encode(texts)
    slices = -(-150 // (8 * embed.SLICE_BATCHES))
    assert len(asked) == slices + 1  # once on entry, once per slice
    assert counts == [1 + (i + 2) % 2 for i in range(slices)]
    assert np.allclose(shared, plain, atol=1e-5)  # same order, same vectors
    assert torch.get_num_threads() == before


def test_an_ingest_embeds_on_its_share_and_restores_the_count(tmp_path, monkeypatch):
    seen: list[int] = []
    inner = DenseEmbedder._encode

    def spy(self, texts):
        seen.append(torch.get_num_threads())
        return inner(self, texts)

    monkeypatch.setattr(DenseEmbedder, "_encode", spy)
    (tmp_path / "a.md").write_text("# N4\n\nThe N4 interface carries PFCP between SMF and UPF.\n")
    (tmp_path / "b.md").write_text("# S1\n\nThe S1-MME interface joins eNodeB and MME.\n")
    kb = KnowledgeBase(tmp_path / "kb", workers=1)
    before = torch.get_num_threads()
    report = kb.ingest([tmp_path / "a.md", tmp_path / "b.md"])
    assert report.ok and report.count("ingested") == 2
    per_loader = local.ocr_threads(kb.settings, 1)
    shares = {local.embed_threads(kb.settings, busy, per_loader) for busy in (0, 1)}
    assert seen and set(seen) <= shares
    assert torch.get_num_threads() == before
    kb.close()


def test_ocr_runs_on_the_threads_prepare_is_given(sample_pdf, tmp_path):
    doc = pymupdf.open(sample_pdf)
    page = next(p for p in doc if p.get_images())
    data = pymupdf.Pixmap(doc, page.get_images()[0][0]).tobytes("png")
    _, png = save_png_bytes(data, tmp_path)
    try:
        ocr.use_threads(2)
        two = [line.text for line in ocr.run_ocr(png)]
        engine = ocr._get_engine()
        ocr.use_threads(2)
        assert ocr._get_engine() is engine  # the same count keeps the engine
        settings = Settings(caption={"ocr_threads": 1})
        prepared = prepare(str(png), "x", settings, str(tmp_path / "index"))
        assert prepared.error is None
        one = ocr._get_engine()
        assert one is not engine and ocr._engines[1] is one
        assert [line.text for line in ocr.run_ocr(png)] == two  # threads change no word
        asked = []
        share = lambda: asked.append(1) or 2  # noqa: E731
        ocr._memo.clear()  # OCR the image again, not from this process's memo
        prepare(str(png), "y", settings, str(tmp_path / "other"), ocr_threads=share)
        assert asked and ocr._get_engine() is engine  # the function wins, engines are kept
    finally:
        ocr.use_threads(usable_cores())
