"""Word 97-2003, PowerPoint 97-2003 and OpenDocument files become DOCX/PPTX through the real
LibreOffice, then go the OOXML path: text, headings, tables, slide drawings and embedded
Word drawings come through, under the original file's identity."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import docx
import pytest

from ictrag.load import SUPPORTED_SUFFIXES, LoadError, load
from tests.conftest import ROOT

OFFICE = ROOT.parent / "shared" / "corpus" / "office"
pytestmark = pytest.mark.skipif(
    shutil.which("soffice") is None, reason="LibreOffice (soffice) is not installed"
)


def _convert(path: Path, target: str) -> Path:
    subprocess.run(
        ["soffice", "--headless", "--norestore", "--convert-to", target, "--outdir",
         str(path.parent), str(path)],
        check=True, capture_output=True, timeout=180,
    )  # fmt: skip
    return path.with_suffix(f".{target}")


def _word(folder: Path) -> Path:
    document = docx.Document()
    document.add_heading("4.2 Registration", level=1)
    document.add_paragraph("The AMF selects an AUSF to authenticate the UE.")
    table = document.add_table(rows=2, cols=2)
    for row, cells in zip(table.rows, (("Interface", "Protocol"), ("N11", "HTTP/2")), strict=True):
        for cell, text in zip(row.cells, cells, strict=True):
            cell.text = text
    path = folder / "spec.docx"
    document.save(path)
    return path


def _deck(folder: Path) -> Path:
    from pptx import Presentation
    from pptx.enum.shapes import MSO_CONNECTOR, MSO_SHAPE
    from pptx.util import Pt

    deck = Presentation()
    slide = deck.slides.add_slide(deck.slide_layouts[5])
    slide.shapes.title.text = "Core network"
    amf = slide.shapes.add_shape(MSO_SHAPE.RECTANGLE, Pt(60), Pt(150), Pt(90), Pt(40))
    amf.text_frame.text = "AMF"
    smf = slide.shapes.add_shape(MSO_SHAPE.RECTANGLE, Pt(350), Pt(150), Pt(90), Pt(40))
    smf.text_frame.text = "SMF"
    link = slide.shapes.add_connector(MSO_CONNECTOR.STRAIGHT, Pt(150), Pt(170), Pt(350), Pt(170))
    link.begin_connect(amf, 3)
    link.end_connect(smf, 1)
    path = folder / "deck.pptx"
    deck.save(path)
    return path


@pytest.mark.parametrize("target", ["odt", "doc"])
def test_a_word_processor_file_keeps_headings_text_and_tables(tmp_path, target):
    assert SUPPORTED_SUFFIXES[f".{target}"] == "legacy"
    # Writer's own format first: its DOCX import keeps python-docx's table, and a .doc
    # written straight from that DOCX loses it
    source = _convert(_word(tmp_path), "odt")
    if target == "doc":
        source = _convert(source, "doc")
    document = load(source, tmp_path / "figures")
    assert document.source == str(source) and document.metadata["converted_to"] == "docx"
    blocks = document.text_blocks
    assert any(b.kind.value == "heading" and "Registration" in b.text for b in blocks)
    para = next(b for b in blocks if "AUSF" in b.text)
    assert para.heading_path and "Registration" in para.heading_path[-1]
    assert any(b.kind.value == "table" and "N11" in b.text and "HTTP/2" in b.text for b in blocks)


@pytest.mark.parametrize("target", ["odp", "ppt"])
def test_a_presentation_keeps_its_slide_drawing(tmp_path, target):
    source = _convert(_deck(tmp_path), target)
    document = load(source, tmp_path / "figures")
    [figure] = document.figures
    assert figure.source is not None and figure.source.format == "drawingml"
    labels = {cell.label for cell in figure.source.cells}
    assert {"AMF", "SMF"} <= labels
    edges = [cell for cell in figure.source.cells if cell.kind == "edge"]
    assert len(edges) == 1 and edges[0].source and edges[0].target


def test_an_unreadable_legacy_file_is_one_line(tmp_path):
    path = tmp_path / "broken.doc"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600))
    with pytest.raises(LoadError, match="LibreOffice"):
        load(path, tmp_path / "figures")


@pytest.mark.skipif(not OFFICE.is_dir(), reason="shared corpus absent")
def test_a_3gpp_word_97_change_request_gives_its_four_call_flows(tmp_path):
    document = load(OFFICE / "S2-1813311_was2736_SG_23401_r15_v1.doc", tmp_path / "figures")
    assert document.mime == "application/msword"
    labels = [f.label.replace("\xa0", " ") for f in document.figures]
    assert [label.split(":")[0] for label in labels] == [
        "Figure 5.3.3.1-1", "Figure 5.3.3.2-1", "Figure 5.4.5-1", "Figure 5.10.2-1"
    ]  # fmt: skip
    assert all(f.origin == "vector" for f in document.figures)
    for figure in document.figures:  # each under its own clause
        clause = figure.label.split()[1].rsplit("-", 1)[0]
        assert figure.heading_path[-1].startswith(clause)
