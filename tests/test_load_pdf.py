"""The PDF loader on small PDFs built here with pymupdf, on bad inputs, and on the corpus."""

from __future__ import annotations

import re
from pathlib import Path

import pymupdf
import pytest

from ictrag.config import LoadSettings
from ictrag.load.drawings import VectorContent
from ictrag.load.errors import LoadError
from ictrag.load.pdf import load_pdf
from ictrag.model import Figure, TextKind, sha256_bytes, sha256_file

SETTINGS = LoadSettings()


def _png(width: int, height: int, seed: int) -> bytes:
    pix = pymupdf.Pixmap(pymupdf.csRGB, pymupdf.IRect(0, 0, width, height), False)
    for x in range(0, width, 4):
        for y in range(0, height, 4):
            pix.set_pixel(x, y, ((x * seed) % 256, (y * 3) % 256, (x + y) % 256))
    return pix.tobytes("png")


def _text(page: pymupdf.Page, y: float, text: str, size: float = 10, font: str = "helv") -> None:
    page.insert_text((72, y), text, fontsize=size, fontname=font)


def _paragraph(page: pymupdf.Page, y: float, text: str) -> None:
    page.insert_textbox(pymupdf.Rect(72, y, 520, y + 60), text, fontsize=10, fontname="helv")


BODY = "The access router forwards packets between the campus network and the provider. " * 2


def build_manual(path: Path, toc: bool = False) -> Path:
    doc = pymupdf.open()
    logo = _png(100, 100, 7)
    for number in range(1, 5):
        page = doc.new_page(width=595, height=842)
        page.insert_text((72, 40), "ACME Router Guide", fontsize=9, fontname="helv")
        page.insert_text((280, 815), f"Page {number}", fontsize=9, fontname="helv")
        # the same decoration on every page: not a figure
        page.insert_image(pymupdf.Rect(480, 600, 540, 660), stream=logo)
    p1, p2, p3, p4 = doc
    _text(p1, 100, "1 Introduction", 20, "hebo")
    _paragraph(p1, 120, BODY + "To log in, see Figure 1-1 for the flow.")
    _text(p1, 220, "1.1 Scope", 14, "hebo")
    _paragraph(p1, 235, BODY)
    _text(p1, 320, "\u2022 Supports static routes and OSPF on every port.", 10)

    _paragraph(p2, 80, "The login flow checks credentials before granting access. " * 2)
    shape = p2.new_shape()
    boxes = [pymupdf.Rect(100, 150, 220, 190), pymupdf.Rect(100, 230, 220, 270)]
    boxes.append(pymupdf.Rect(100, 310, 220, 350))
    for box in boxes:
        shape.draw_rect(box)
    for top, bottom in ((190, 230), (270, 310)):
        shape.draw_line((160, top), (160, bottom))
        shape.draw_polyline([(155, bottom - 6), (160, bottom), (165, bottom - 6)])
    shape.draw_line((220, 250), (240, 250))
    shape.finish(color=(0, 0, 0), width=1)
    shape.commit()
    for box, label in zip(boxes, ("Login", "Check password", "Done"), strict=True):
        p2.insert_text((box.x0 + 10, box.y0 + 24), label, fontsize=10, fontname="helv")
    p2.insert_text((243, 254), "retry", fontsize=8, fontname="helv")  # sticks out to the right
    _text(p2, 372, "Figure 1-1 Login flow", 10, "hebo")
    _paragraph(p2, 400, BODY)

    _text(p3, 100, "1.2 Ports", 14, "hebo")
    cells = [["Port", "Speed", "Mode"], ["GE0/0/1", "1G", "access"], ["GE0/0/2", "10G", "trunk"]]
    shape = p3.new_shape()
    for i in range(4):
        shape.draw_line((100, 150 + 30 * i), (400, 150 + 30 * i))
        shape.draw_line((100 + 100 * i, 150), (100 + 100 * i, 240))
    shape.finish(color=(0, 0, 0), width=0.5)
    shape.commit()
    for r, row in enumerate(cells):
        for c, cell in enumerate(row):
            p3.insert_text((105 + 100 * c, 170 + 30 * r), cell, fontsize=10, fontname="helv")
    _text(p3, 260, "Table 1-1 Port modes", 10, "hebo")
    _text(p3, 300, "interface GigabitEthernet0/0/1", 10, "cour")

    _paragraph(p4, 80, "The rack holds two routers, as shown in Figure 1-2 below. " * 2)
    p4.insert_image(pymupdf.Rect(100, 150, 400, 375), stream=_png(200, 150, 3))
    _text(p4, 392, "Figure 1-2 Rack photo", 10, "hebo")
    _paragraph(p4, 420, BODY)
    if toc:
        doc.set_toc([[1, "1 Introduction", 1], [2, "1.1 Scope", 1], [2, "1.2 Ports", 3]])
    doc.save(path)
    return path


@pytest.fixture(scope="module")
def manual(tmp_path_factory) -> tuple:
    root = tmp_path_factory.mktemp("pdf")
    path = build_manual(root / "manual.pdf")
    figures = root / "figures"
    return load_pdf(path, figures, SETTINGS), path, figures


def _label(doc, prefix: str) -> Figure:
    return next(f for f in doc.figures if f.label.startswith(prefix))


def test_document_identity(manual):
    doc, path, _ = manual
    assert doc.id == sha256_file(path)
    assert doc.mime == "application/pdf" and doc.page_count == 4
    assert doc.title == "1 Introduction"  # no metadata title: the first top heading


def test_headings_from_font_sizes_build_heading_paths(manual):
    doc, _, _ = manual
    headings = {b.text: b.level for b in doc.text_blocks if b.kind == TextKind.heading}
    assert headings == {"1 Introduction": 1, "1.1 Scope": 2, "1.2 Ports": 2}
    scope_body = next(
        b
        for b in doc.text_blocks
        if b.page == 1 and b.bbox[1] > 230 and b.kind == TextKind.paragraph
    )
    assert scope_body.heading_path == ["1 Introduction", "1.1 Scope"]
    assert _label(doc, "Figure 1-1").heading_path == ["1 Introduction", "1.1 Scope"]


def test_headings_from_outline(tmp_path):
    doc = load_pdf(build_manual(tmp_path / "toc.pdf", toc=True), tmp_path / "f", SETTINGS)
    headings = {b.text: b.level for b in doc.text_blocks if b.kind == TextKind.heading}
    assert headings == {"1 Introduction": 1, "1.1 Scope": 2, "1.2 Ports": 2}
    table = next(b for b in doc.text_blocks if b.kind == TextKind.table)
    assert table.heading_path == ["1 Introduction", "1.2 Ports"]


def test_repeated_header_and_page_numbers_are_dropped(manual):
    doc, _, _ = manual
    texts = " ".join(b.text for b in doc.text_blocks)
    assert "ACME Router Guide" not in texts
    assert not re.search(r"Page \d", texts)
    assert "access router forwards" in texts


def test_reading_order_is_page_then_y(manual):
    doc, _, _ = manual
    keys = [(e.page, e.bbox[1]) for e in doc.elements if e.page != 3]
    assert keys == sorted(keys)


def test_table_is_one_block_with_rows(manual):
    doc, _, _ = manual
    tables = [b for b in doc.text_blocks if b.kind == TextKind.table]
    assert len(tables) == 1
    assert tables[0].text.splitlines() == [
        "Port | Speed | Mode",
        "GE0/0/1 | 1G | access",
        "GE0/0/2 | 10G | trunk",
    ]
    assert not any(b.text == "GE0/0/1" for b in doc.text_blocks if b.kind != TextKind.table)
    caption = next(b for b in doc.text_blocks if b.text.startswith("Table 1-1"))
    assert caption.kind == TextKind.caption
    assert not any(f.page == 3 for f in doc.figures)  # table rules are not a figure


def test_list_and_code_kinds(manual):
    doc, _, _ = manual
    bullet = next(b for b in doc.text_blocks if "Supports static routes" in b.text)
    assert bullet.kind == TextKind.list
    code = next(b for b in doc.text_blocks if b.text.startswith("interface Gi"))
    assert code.kind == TextKind.code


def test_vector_flowchart_is_a_figure_with_label_text_and_drawings(manual):
    doc, _, figures = manual
    figure = _label(doc, "Figure 1-1")
    assert figure.label == "Figure 1-1 Login flow"
    assert figure.origin == "vector" and figure.page == 2
    for word in ("Login", "Check password", "Done", "retry"):
        assert word in figure.inner_text
    assert figure.bbox[2] >= 255  # grown over the "retry" label sticking out
    assert isinstance(figure.vector, VectorContent)
    assert sum(len(p.items) for p in figure.vector.paths) >= 7
    assert any(s.text == "Login" for s in figure.vector.spans)
    # inner text is not repeated as body text; the caption is kept as a caption block
    assert not any("Check password" in b.text for b in doc.text_blocks)
    caption = next(b for b in doc.text_blocks if b.text == "Figure 1-1 Login flow")
    assert caption.kind == TextKind.caption
    assert figure.references == [1]
    assert "login flow checks credentials" in figure.context
    assert (figures / f"{figure.id}.png").exists()


def test_raster_figure_is_bound_and_decorations_ignored(manual):
    doc, _, _ = manual
    assert len(doc.figures) == 2  # the repeated logo on all pages is not a figure
    figure = _label(doc, "Figure 1-2")
    assert figure.label == "Figure 1-2 Rack photo"
    assert figure.origin == "raster" and figure.page == 4
    assert figure.bbox == (100.0, 150.0, 400.0, 375.0)
    assert figure.references == [4]
    assert figure.vector is None


def test_figure_png_is_named_by_its_hash_and_written_once(manual):
    doc, path, figures = manual
    for figure in doc.figures:
        png = Path(figure.image_path)
        assert png.parent == figures and png.name == f"{figure.id}.png"
        assert sha256_bytes(png.read_bytes()) == figure.id
    before = {p.name: p.stat().st_mtime_ns for p in figures.iterdir()}
    again = load_pdf(path, figures, SETTINGS)
    assert [f.id for f in again.figures] == [f.id for f in doc.figures]
    assert {p.name: p.stat().st_mtime_ns for p in figures.iterdir()} == before


def _bad(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_encrypted_pdf_is_a_load_error(tmp_path):
    doc = pymupdf.open()
    doc.new_page().insert_text((72, 72), "secret")
    path = tmp_path / "locked.pdf"
    doc.save(path, encryption=pymupdf.PDF_ENCRYPT_AES_256, owner_pw="owner", user_pw="user")
    with pytest.raises(LoadError, match="encrypted"):
        load_pdf(path, tmp_path, SETTINGS)


@pytest.mark.parametrize(
    ("name", "make", "message"),
    [
        ("empty.pdf", lambda good: b"", "empty"),
        ("truncated.pdf", lambda good: good[: len(good) // 2], "truncated|corrupt"),
        ("page.pdf", lambda good: b"<!DOCTYPE html><html><body>404</body></html>", "not a PDF"),
        (
            "junk.pdf",
            lambda good: b"%PDF-1.7\n" + b"\x00garbage" * 50 + b"\n%%EOF\n",
            "corrupt|no pages",
        ),
    ],
)
def test_bad_files_are_one_line_load_errors(tmp_path, manual, name, make, message):
    _, good_path, _ = manual
    path = _bad(tmp_path, name, make(good_path.read_bytes()))
    with pytest.raises(LoadError, match=message) as caught:
        load_pdf(path, tmp_path, SETTINGS)
    assert "\n" not in str(caught.value)


def test_missing_file_is_a_load_error(tmp_path):
    with pytest.raises(LoadError):
        load_pdf(tmp_path / "nope.pdf", tmp_path, SETTINGS)


def test_corpus_manuals_all_load(corpus, tmp_path):
    manuals = sorted((corpus / "manuals").glob("*.pdf"))
    assert len(manuals) == 6
    for path in manuals:
        doc = load_pdf(path, tmp_path, SETTINGS, render_figures=False)
        assert doc.page_count > 0 and doc.text_blocks, path.name
        assert "page_errors" not in doc.metadata, (path.name, doc.metadata.get("page_errors"))


def test_every_figure_caption_in_obs_manual_is_bound(corpus, tmp_path):
    doc = load_pdf(corpus / "manuals" / "obs-productdesc-en.pdf", tmp_path, SETTINGS)
    caption = re.compile(r"^Figure (\d+-\d+)")
    printed = {m.group(1) for b in doc.text_blocks if (m := caption.match(b.text))}
    bound = {m.group(1) for f in doc.figures if (m := caption.match(f.label))}
    assert len(printed) == 18
    assert bound == printed
    assert all(Path(f.image_path).exists() for f in doc.figures)


def test_ligatures_come_out_as_letters(corpus, tmp_path):
    # 8-IPv6.pdf sets "fi"/"fl" as ligature glyphs (201 of them); search needs the letters.
    doc = load_pdf(corpus / "manuals" / "8-IPv6.pdf", tmp_path, LoadSettings())
    text = "\n".join([*(b.text for b in doc.text_blocks), *(f.inner_text for f in doc.figures)])
    assert not re.search("[\ufb00-\ufb06]", text)
    assert "configuration" in text.lower()
