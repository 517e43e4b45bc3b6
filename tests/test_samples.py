"""The sample manual and its siblings: deterministic, committed up to date, manual-shaped."""

from __future__ import annotations

import importlib.util
import sys

import pymupdf
import pytest

from tests.conftest import SAMPLES

FILES = [
    "ict-sample-manual.pdf",
    "sample.docx",
    "sample.pptx",
    "sample.html",
    "sample.md",
    "topology.png",
]


def _generator():
    spec = importlib.util.spec_from_file_location("make_sample", SAMPLES / "make_sample.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["make_sample"] = module  # dataclasses resolve annotations through it
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    outs = [tmp_path_factory.mktemp("samples"), tmp_path_factory.mktemp("again")]
    generator = _generator()
    for out in outs:
        generator.main(out)
    return outs


def test_generator_is_deterministic(generated):
    first, second = generated
    for name in FILES:
        assert (first / name).read_bytes() == (second / name).read_bytes(), name


def test_committed_samples_match_the_generator(generated):
    fresh = generated[0]
    for name in ("sample.html", "sample.md"):
        assert (fresh / name).read_text() == (SAMPLES / name).read_text()
    # text, not bytes: another pymupdf/PIL build may encode the same content differently
    new, old = pymupdf.open(fresh / FILES[0]), pymupdf.open(SAMPLES / FILES[0])
    assert [p.get_text() for p in new] == [p.get_text() for p in old]
    assert new.get_toc() == old.get_toc()


def test_samples_are_small():
    assert (SAMPLES / "ict-sample-manual.pdf").stat().st_size < 300_000
    for name in FILES[1:]:
        assert (SAMPLES / name).stat().st_size < 100_000, name


def test_pdf_has_chapters_outline_and_running_header_and_footer(sample_pdf):
    doc = pymupdf.open(sample_pdf)
    assert 5 <= doc.page_count <= 7
    toc = doc.get_toc()
    chapters = [title for level, title, _ in toc if level == 1]
    assert chapters == [
        "1 Product Overview",
        "2 Access Authentication",
        "3 Network Deployment",
        "4 LTE Backhaul",
        "5 DMZ Publishing",
    ]
    assert any(level == 2 and title == "2.1 802.1X Overview" for level, title, _ in toc)
    for page in doc:
        text = page.get_text()
        assert "AR-100 User Guide" in text
        assert f"Page {page.number + 1}" in text
    assert "ICT Sample Manual \u2014 Campus Network Access Router AR-100" in doc[
        0
    ].get_text().replace("\n", " ")


def test_pdf_has_captioned_vector_and_raster_figures(sample_pdf):
    doc = pymupdf.open(sample_pdf)
    text = " ".join(page.get_text() for page in doc)
    for caption in (
        "Figure 2-1 802.1X authentication flow",
        "Figure 3-1 Campus network topology",
        "Figure 4-1 Attach signalling",
        "Figure 5-1 DMZ web access",
    ):
        assert caption in text
    assert "see Figure 3-1" in text
    for token in ("GE0/0/1", "10.0.0.0/24", "VLAN 10", "802.1X", "S1-MME", "OSPF area 0"):
        assert token in text
    # text inside the vector figures is real text; arrows and boxes are real drawings
    assert "Credentials valid?" in text and "Authentication Request" in text
    flow_page = next(p for p in doc if "Figure 2-1" in p.get_text())
    assert len(flow_page.get_drawings()) > 15
    # the raster figure's words exist only as pixels (OCR tests rely on it)
    raster_pages = [p for p in doc if p.get_images()]
    assert len(raster_pages) == 1 and "Figure 5-1" in raster_pages[0].get_text()
    assert "192.168.10.5" not in text and "FW-DMZ-01" not in text
