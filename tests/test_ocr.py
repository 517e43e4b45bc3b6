"""OCR captioner: words from vector spans or from the PNG, once per image."""

from __future__ import annotations

from pathlib import Path

import pymupdf
import pytest

from ictrag.figures.base import Captioner, FigureInput
from ictrag.figures.raster import ocr
from ictrag.figures.raster.ocr import OcrCaptioner, OcrLine, group_lines, guess_type, ocr_lines
from ictrag.load.drawings import Span, VectorContent
from ictrag.load.render import save_png_bytes
from ictrag.model import FigureType


@pytest.fixture(scope="module")
def dmz_png(sample_pdf, tmp_path_factory):
    """The sample manual's raster figure (Figure 5-1), as stored by a loader."""
    doc = pymupdf.open(sample_pdf)
    page = next(p for p in doc if p.get_images())
    data = pymupdf.Pixmap(doc, page.get_images()[0][0]).tobytes("png")
    _, path = save_png_bytes(data, tmp_path_factory.mktemp("figures"))
    return path


def test_ocr_reads_the_text_that_exists_only_in_the_raster_figure(dmz_png):
    texts = [line.text for line in ocr_lines(dmz_png)]
    assert "192.168.10.5" in texts
    assert "FW-DMZ-01" in texts
    assert all(0.5 <= line.score <= 1.0 for line in ocr_lines(dmz_png))


def test_captioner_describes_a_raster_figure(dmz_png):
    item = FigureInput(
        image_path=str(dmz_png),
        label="Figure 5-1 DMZ web access",
        context="Servers that must be reachable from the Internet are placed in the DMZ.",
    )
    captioner = OcrCaptioner()
    assert isinstance(captioner, Captioner) and captioner.name == "ocr"
    (logical,) = captioner.describe([item])
    assert logical.backend == "ocr" and logical.relations == []
    assert logical.summary.startswith("Figure 5-1 DMZ web access. Servers that must")
    # a box's two lines become one component, in reading order (left column first by row)
    assert any("192.168.10.5" in c and "Server" in c for c in logical.components)
    assert "FW-DMZ-01 Firewall" in logical.components
    assert 0.9 < logical.confidence <= 1.0
    assert "192.168.10.5" in logical.to_text()


def test_each_image_is_ocred_once_in_process_and_once_per_cache_dir(dmz_png, tmp_path, monkeypatch):
    calls = []
    real = ocr.run_ocr
    monkeypatch.setattr(ocr, "run_ocr", lambda path: calls.append(path) or real(path))
    monkeypatch.setattr(ocr, "_memo", {})
    first = ocr_lines(dmz_png, cache_dir=tmp_path)
    assert ocr_lines(dmz_png, cache_dir=tmp_path) == first and len(calls) == 1
    monkeypatch.setattr(ocr, "_memo", {})  # a new process: the disk cache answers
    assert ocr_lines(dmz_png, cache_dir=tmp_path) == first and len(calls) == 1


def test_vector_spans_are_used_instead_of_ocr(monkeypatch):
    def fail(path):
        raise AssertionError("OCR must not run when the figure has vector text")

    monkeypatch.setattr(ocr, "run_ocr", fail)
    spans = [
        Span("Start", (100, 10, 130, 20)),
        Span("Client sends", (90, 40, 150, 50)),
        Span("EAPOL-Start", (92, 51, 148, 61)),
        Span("Yes", (30, 80, 45, 90)),
        Span("No", (200, 80, 215, 90)),
    ]
    item = FigureInput(
        image_path="/nonexistent.png",
        label="Figure 2-1 802.1X authentication flow",
        vector=VectorContent(bbox=(0, 0, 300, 100), spans=spans),
    )
    (logical,) = OcrCaptioner().describe([item])
    assert logical.components == ["Start", "Client sends EAPOL-Start", "Yes", "No"]
    assert logical.confidence == 1.0 and logical.figure_type is FigureType.flowchart


def test_a_bad_figure_gives_a_low_confidence_result_not_an_exception(tmp_path):
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\nnot really")
    good = FigureInput(image_path=None, label="Figure 1 x", inner_text="GE0/0/1\nGE0/0/2")
    results = OcrCaptioner().describe(
        [FigureInput(image_path=str(bad), label="Figure 9-9 Broken"), good]
    )
    assert results[0].confidence == 0.0 and results[0].summary.startswith("Figure 9-9 Broken")
    assert results[1].components == ["GE0/0/1", "GE0/0/2"]


def test_group_lines_keeps_rows_left_to_right_and_joins_stacked_lines():
    lines = [
        OcrLine("Mail Relay", (700, 290, 830, 320), 0.9),
        OcrLine("Web Server", (700, 60, 840, 90), 0.9),
        OcrLine("192.168.10.5", (690, 95, 850, 120), 0.9),
        OcrLine("Internet", (40, 70, 170, 100), 0.9),
    ]
    assert [[line.text for line in block] for block in group_lines(lines)] == [
        ["Internet"],
        ["Web Server", "192.168.10.5"],
        ["Mail Relay"],
    ]


@pytest.mark.parametrize(
    ("label", "expected"),
    [
        ("Figure 4-1 Attach signalling", FigureType.sequence),
        ("Figure 3-1 Campus network topology", FigureType.topology),
        ("Figure 2-1 802.1X authentication flow", FigureType.flowchart),
        ("Figure 5-1 DMZ web access", FigureType.other),
    ],
)
def test_guess_type_from_the_caption(label, expected):
    assert guess_type(label) is expected


def test_single_letter_labels_of_a_small_diagram_are_read(tmp_path):
    # A 416x126 Mermaid render ("A" -- "B"): without padding, the detector blew it up 5.8x
    # and found only one of the two letters.
    from PIL import Image, ImageDraw, ImageFont

    font_path = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
    font = ImageFont.truetype(font_path, 28) if Path(font_path).exists() else None
    if font is None:
        pytest.skip("fonts-dejavu-core is not installed")
    image = Image.new("RGB", (416, 126), "white")
    draw = ImageDraw.Draw(image)
    for x0, letter in ((16, "A"), (258, "B")):
        draw.rectangle((x0, 16, x0 + 142, 108), fill="#ececff", outline="#9370db", width=2)
        draw.text((x0 + 60, 46), letter, fill="#333333", font=font)
    draw.line((158, 62, 258, 62), fill="#333333", width=2)
    path = tmp_path / "ab.png"
    image.save(path)
    lines = ocr.run_ocr(path)
    assert sorted(line.text for line in lines) == ["A", "B"]
    a = next(line for line in lines if line.text == "A")
    assert 60 <= (a.bbox[0] + a.bbox[2]) / 2 <= 110  # boxes in the original image's pixels
    assert 40 <= (a.bbox[1] + a.bbox[3]) / 2 <= 90
