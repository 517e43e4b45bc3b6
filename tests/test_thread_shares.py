"""The cores split between the loaders (OCR threads) and the parent's embedder (torch
threads) during an ingest, and put back afterwards."""

from __future__ import annotations

import pymupdf
import pytest
import torch

from ictrag import KnowledgeBase
from ictrag.config import EmbedSettings, Settings, usable_cores
from ictrag.engines import local
from ictrag.figures.raster import ocr
from ictrag.index.embed import DenseEmbedder
from ictrag.ingest.stages import prepare
from ictrag.load.render import save_png_bytes


@pytest.fixture(scope="module")
def embedder() -> DenseEmbedder:
    return DenseEmbedder(EmbedSettings())


@pytest.mark.parametrize(
    ("cores", "loaders", "expected"),
    [(2, 1, (2, 1)), (2, 2, (1, 1)), (16, 4, (4, 12)), (16, 16, (1, 1)), (1, 1, (1, 1))],
)
def test_loaders_split_the_cores_and_the_embedder_takes_what_is_left(
    monkeypatch, cores, loaders, expected
):
    monkeypatch.setattr(local, "usable_cores", lambda: cores)
    assert local.thread_shares(Settings(workers=loaders), loaders) == expected


def test_set_thread_counts_win_over_the_split(monkeypatch):
    monkeypatch.setattr(local, "usable_cores", lambda: 16)
    settings = Settings(workers=4, embed={"threads": 3}, caption={"ocr_threads": 2})
    assert local.thread_shares(settings, 4) == (2, 3)


def test_loaders_are_the_processes_or_the_one_thread():
    assert local.loaders(Settings(workers=1), 10) == 1
    assert local.loaders(Settings(workers=4), 1) == 1  # one file loads in the thread
    assert local.loaders(Settings(workers=4), 3) == 3
    assert local.loaders(Settings(workers=4), 10) == 4


def test_sharing_holds_the_count_through_queries_and_puts_it_back(embedder):
    before = torch.get_num_threads()
    with embedder.sharing(1):
        assert torch.get_num_threads() == 1
        embedder.encode_query("S1-MME")  # a query inside keeps the ingest's count
        assert torch.get_num_threads() == 1
        assert embedder.encode(["N4 carries PFCP"]).shape == (1, 384)
    assert torch.get_num_threads() == before


def test_an_ingest_embeds_on_its_share_and_restores_the_count(tmp_path, monkeypatch):
    seen: list[int] = []
    encode = DenseEmbedder.encode

    def spy(self, texts):
        seen.append(torch.get_num_threads())
        return encode(self, texts)

    monkeypatch.setattr(DenseEmbedder, "encode", spy)
    (tmp_path / "a.md").write_text("# N4\n\nThe N4 interface carries PFCP between SMF and UPF.\n")
    (tmp_path / "b.md").write_text("# S1\n\nThe S1-MME interface joins eNodeB and MME.\n")
    kb = KnowledgeBase(tmp_path / "kb", workers=1)
    before = torch.get_num_threads()
    report = kb.ingest([tmp_path / "a.md", tmp_path / "b.md"])
    assert report.ok and report.count("ingested") == 2
    assert seen and set(seen) == {max(1, usable_cores() - 1)}
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
        assert ocr.ENGINE_PARAMS[ocr.THREADS] == 1 and ocr._get_engine() is not engine
        assert [line.text for line in ocr.run_ocr(png)] == two  # threads change no word
    finally:
        ocr.use_threads(usable_cores())
