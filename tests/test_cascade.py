"""The cascade: structural first, a real OpenAI-compatible server only for doubtful figures."""

from __future__ import annotations

import socket

import pymupdf
import pytest
from PIL import Image

from ictrag.config import CaptionSettings
from ictrag.figures.base import FigureInput
from ictrag.figures.cache import CaptionCache
from ictrag.figures.describe import caption_figures
from ictrag.figures.registry import make_captioner
from ictrag.load.drawings import region_content
from ictrag.model import Figure
from tests.test_remote import ChatServer


def _flowchart_page() -> pymupdf.Page:
    doc = pymupdf.open()
    page = doc.new_page()
    boxes = {"Start": (100, 100), "Check link": (100, 200), "Done": (100, 300)}
    for text, (x, y) in boxes.items():
        rect = pymupdf.Rect(x, y, x + 120, y + 40)
        page.draw_rect(rect, color=(0, 0, 0))
        page.insert_textbox(rect + (4, 12, -4, 0), text, fontsize=10, align=1)
    for y in (140, 240):
        page.draw_line((160, y), (160, y + 60), color=(0, 0, 0))
        page.draw_polyline([(155, y + 52), (160, y + 60), (165, y + 52), (155, y + 52)], color=(0, 0, 0), fill=(0, 0, 0))  # noqa: E501
    doc.page = page  # keep the document alive with its page
    return page


@pytest.fixture
def items(tmp_path) -> list[FigureInput]:
    page = _flowchart_page()
    vector = FigureInput(image_path=None, vector=region_content(page, (90, 90, 230, 350)), figure_id="v")
    blank = tmp_path / "blank.png"
    Image.new("RGB", (200, 120), "white").save(blank)
    raster = FigureInput(image_path=str(blank), label="Figure 1 R1 and SW1", inner_text="R1 SW1 uplink WAN", figure_id="r")  # noqa: E501
    return [vector, raster]


def _settings(url: str) -> CaptionSettings:
    return CaptionSettings(backend="openai", base_url=url, model="dicmodel-7b", timeout_s=5, min_confidence=0.5)  # noqa: E501


def test_only_the_doubtful_figure_goes_to_the_model(tmp_path, items):
    server = ChatServer(tmp_path)
    try:
        captioner = make_captioner(_settings(server.url))
        vector, raster = captioner.describe(items)
        assert vector.backend == "structural" and vector.confidence >= 0.5
        assert {"Start", "Check link", "Done"} <= set(vector.components)
        assert raster.backend == "openai" and "R1" in raster.components
        assert len(server.requests()) == 1
    finally:
        server.stop()


def test_a_down_endpoint_keeps_the_structural_result(items):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed once the block ends: nothing listens there
    captioner = make_captioner(_settings(f"http://127.0.0.1:{port}/v1"))
    results = captioner.describe(items)
    assert [r.backend for r in results] == ["structural", "structural"]
    assert captioner.model_failures == 1


def test_captions_are_cached_by_image_hash_backend_and_model(tmp_path, items):
    server = ChatServer(tmp_path)
    try:
        captioner = make_captioner(_settings(server.url))
        cache = CaptionCache(tmp_path / "cache")
        figure = Figure(id="r" * 64, image_path=items[1].image_path, label=items[1].label, inner_text=items[1].inner_text)  # noqa: E501
        assert caption_figures([figure], captioner, cache) == 1
        again = Figure(**figure.model_dump(exclude={"logical"}))
        assert caption_figures([again], captioner, cache) == 0
        assert again.logical == figure.logical
        assert len(server.requests()) == 1
        other_model = make_captioner(_settings(server.url).model_copy(update={"model": "other"}))
        assert caption_figures([again], other_model, cache) == 1
    finally:
        server.stop()
