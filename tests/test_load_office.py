"""Office/HTML/Markdown/text and image loaders, run with the network blocked."""

from __future__ import annotations

import socket
import zipfile
from pathlib import Path

import pytest

from ictrag.load.errors import LoadError
from ictrag.load.image import load_image
from ictrag.load.office import HeuristicNlp, ensure_offline_nlp, load_office, spacy_model_installed
from ictrag.model import Figure, TextBlock, TextKind, sha256_file
from tests.conftest import SAMPLES


@pytest.fixture(autouse=True)
def offline(monkeypatch):
    """No socket may connect, and unstructured's spaCy model download must never start."""

    def refuse(*args, **kwargs):
        raise AssertionError("network access attempted while loading")

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    from unstructured.nlp import tokenize

    monkeypatch.setattr(tokenize, "_install_spacy_model", refuse)


def _blocks(doc, kind: TextKind) -> list[TextBlock]:
    return [b for b in doc.text_blocks if b.kind is kind]


def test_docx_gives_headings_lists_table_rows_and_the_embedded_figure(tmp_path):
    doc = load_office(SAMPLES / "sample.docx", tmp_path)
    assert doc.id == sha256_file(SAMPLES / "sample.docx")
    assert doc.title == "AR-100 Quick Start"
    headings = [(b.text, b.level) for b in _blocks(doc, TextKind.heading)]
    assert headings[:2] == [("AR-100 Quick Start", 1), ("Before You Begin", 2)]
    assert [b.text for b in _blocks(doc, TextKind.list)] == [
        "Prepare a console cable.",
        "Reserve 10.0.0.0/24 for the server VLAN.",
    ]
    (table,) = _blocks(doc, TextKind.table)
    assert "GE0/0/1 | VLAN 10 | 10.0.0.1" in table.text.splitlines()
    assert table.heading_path == ["AR-100 Quick Start", "Interface Plan"]
    (figure,) = doc.figures
    assert figure.label == "Figure 1-1 Core and access switch topology"
    assert figure.heading_path == ["AR-100 Quick Start", "Topology"]
    assert Path(figure.image_path).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (
        figure.id == sha256_file(figure.image_path) and Path(figure.image_path).parent == tmp_path
    )
    # the figure sits where the picture was: after its heading, before its caption
    kinds = [e.kind.value if isinstance(e, TextBlock) else "figure" for e in doc.elements]
    assert kinds[-3:] == ["heading", "figure", "caption"]


def test_pptx_pages_are_slides_and_layout_bullets_are_list_items(tmp_path):
    doc = load_office(SAMPLES / "sample.pptx", tmp_path)
    assert doc.page_count == 2
    assert [(b.text, b.page) for b in _blocks(doc, TextKind.heading)] == [
        ("AR-100 Deployment Overview", 1),
        ("Core and Access Topology", 2),
    ]
    bullets = _blocks(doc, TextKind.list)
    assert len(bullets) == 3 and all(b.page == 1 for b in bullets)
    assert "Advertise 10.0.0.0/24 in OSPF area 0" in [b.text for b in bullets]
    (figure,) = doc.figures
    assert figure.page == 2 and figure.label == "Core and Access Topology"
    assert isinstance(doc.elements[-1], Figure)


def test_html_and_markdown_give_headings_lists_and_tables(tmp_path):
    html = load_office(SAMPLES / "sample.html", tmp_path)
    assert html.mime == "text/html"
    assert [b.text for b in _blocks(html, TextKind.heading)] == [
        "AR-100 Release Notes V100R002",
        "New Features",
        "Resolved Issues",
    ]
    assert len(_blocks(html, TextKind.list)) == 2
    assert (
        "DTS-1001 | OSPF | Adjacency flap after peer restart"
        in _blocks(html, TextKind.table)[0].text
    )
    md = load_office(SAMPLES / "sample.md", tmp_path)
    heading_levels = [(b.text, b.level) for b in _blocks(md, TextKind.heading)]
    assert heading_levels == [("AR-100 Command Reference", 1), ("interface", 2), ("ospf", 2)]
    assert any("interface GE0/0/1" in b.text for b in _blocks(md, TextKind.list))
    table = _blocks(md, TextKind.table)[0]
    assert "area 0 | ospf | Enter OSPF area 0" in table.text
    assert table.heading_path == ["AR-100 Command Reference", "ospf"]


def test_plain_text_is_loaded(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("Upgrade notes\n\nThe router reboots after the upgrade completes.\n")
    doc = load_office(path, tmp_path / "figs")
    assert doc.mime == "text/plain"
    assert "The router reboots after the upgrade completes." in [b.text for b in doc.text_blocks]


def test_missing_spacy_model_is_replaced_by_the_offline_pipeline():
    if spacy_model_installed():
        assert ensure_offline_nlp() is False  # full behaviour kept: nothing patched
        return
    assert ensure_offline_nlp() is True
    from unstructured.nlp import tokenize
    from unstructured.partition.text_type import is_possible_narrative_text

    assert isinstance(tokenize._get_nlp(), HeuristicNlp)
    assert is_possible_narrative_text("The router forwards packets between the two VLANs.")
    assert not is_possible_narrative_text("Interface Plan")


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("broken.docx", b"PK\x03\x04 this is not a zip archive"),
        ("text.docx", b"plain text renamed to docx"),
        ("empty.docx", b""),
        ("broken.pptx", b"PK\x03\x04\x14\x00garbage"),
    ],
)
def test_corrupt_office_files_raise_one_line_load_errors(tmp_path, name, content):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(LoadError) as error:
        load_office(path, tmp_path)
    assert name in str(error.value) and "\n" not in str(error.value)


def test_a_zip_that_is_not_a_docx_raises_load_error(tmp_path):
    path = tmp_path / "other.docx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("hello.txt", "not a word document")
    with pytest.raises(LoadError, match="other.docx"):
        load_office(path, tmp_path)


def test_image_file_becomes_a_one_figure_document(tmp_path):
    doc = load_image(SAMPLES / "topology.png", tmp_path)
    assert doc.id == sha256_file(SAMPLES / "topology.png") and doc.page_count == 1
    (figure,) = doc.elements
    assert isinstance(figure, Figure) and figure.page == 1 and figure.origin == "raster"
    assert figure.id == sha256_file(figure.image_path)


def test_jpeg_is_stored_as_png(tmp_path):
    from PIL import Image

    path = tmp_path / "photo.jpg"
    Image.open(SAMPLES / "topology.png").convert("RGB").save(path, format="JPEG")
    doc = load_image(path, tmp_path / "figs")
    assert doc.mime == "image/jpeg"
    assert Path(doc.figures[0].image_path).read_bytes()[:4] == b"\x89PNG"


def test_corrupt_image_raises_load_error(tmp_path):
    path = tmp_path / "bad.png"
    path.write_bytes((SAMPLES / "topology.png").read_bytes()[:200])
    with pytest.raises(LoadError, match="bad.png"):
        load_image(path, tmp_path)
