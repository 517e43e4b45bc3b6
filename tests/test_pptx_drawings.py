"""PowerPoint drawings read as structure: shapes, a group with its transform, glued and
unglued connectors, a text-box label, a picture icon; slides of text are no figures; bad
input falls back or fails in one line."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from PIL import Image

from ictrag.figures.graph import logical_to_graph
from ictrag.load import LoadError, load
from tests.conftest import ROOT

OFFICE = ROOT.parent / "shared" / "corpus" / "office"
BENCH = ROOT / "tests" / "benchmarks"
A = "http://schemas.openxmlformats.org/drawingml/2006/main"


def _glue(connector, start, end) -> None:
    if start is not None:
        connector.begin_connect(start, 3)  # right side
    if end is not None:
        connector.end_connect(end, 1)  # left side


def _deck(path: Path) -> Path:
    from pptx import Presentation
    from pptx.enum.shapes import MSO_CONNECTOR, MSO_SHAPE
    from pptx.util import Pt

    deck = Presentation()
    text_slide = deck.slides.add_slide(deck.slide_layouts[1])  # title and bullets
    text_slide.shapes.title.text = "Overview"
    text_slide.placeholders[1].text_frame.text = "BGP peers exchange routes"

    slide = deck.slides.add_slide(deck.slide_layouts[5])  # title only
    slide.shapes.title.text = "Lab topology"
    shapes = slide.shapes
    pe1 = shapes.add_shape(MSO_SHAPE.ROUNDED_RECTANGLE, Pt(60), Pt(150), Pt(80), Pt(40))
    pe1.text_frame.text = "PE1"
    core = shapes.add_shape(MSO_SHAPE.OVAL, Pt(300), Pt(150), Pt(80), Pt(40))
    core.text_frame.text = "Core"
    # a group whose children live in a frame scaled by 1/2: child (0,0,160,80) -> (500,140,80,40)
    group = shapes.add_group_shape()
    pe2 = group.shapes.add_shape(MSO_SHAPE.RECTANGLE, Pt(0), Pt(0), Pt(160), Pt(80))
    pe2.text_frame.text = "PE2"
    xfrm = group.element.grpSpPr.get_or_add_xfrm()
    xfrm.get_or_add_off().x, xfrm.get_or_add_off().y = Pt(500), Pt(140)
    xfrm.get_or_add_ext().cx, xfrm.get_or_add_ext().cy = Pt(80), Pt(40)
    xfrm.get_or_add_chOff().x, xfrm.get_or_add_chOff().y = 0, 0
    xfrm.get_or_add_chExt().cx, xfrm.get_or_add_chExt().cy = Pt(160), Pt(80)
    # a picture icon, named by its description
    png = io.BytesIO()
    Image.new("RGB", (40, 40), "navy").save(png, format="PNG")
    png.seek(0)
    router = shapes.add_picture(png, Pt(300), Pt(330), Pt(50), Pt(50))
    router.element.nvPicPr.cNvPr.set("descr", "router")

    glued = shapes.add_connector(MSO_CONNECTOR.STRAIGHT, Pt(140), Pt(170), Pt(300), Pt(170))
    _glue(glued, pe1, core)
    arrow = shapes.add_connector(MSO_CONNECTOR.STRAIGHT, Pt(380), Pt(170), Pt(500), Pt(160))
    _glue(arrow, core, pe2)
    line = arrow.element.spPr.get_or_add_ln()
    line.append(line.makeelement(f"{{{A}}}tailEnd", {"type": "triangle"}))
    # not glued, drawn bottom-up (flipV): from the router's top to Core's bottom
    free = shapes.add_connector(MSO_CONNECTOR.STRAIGHT, Pt(325), Pt(330), Pt(340), Pt(190))
    free.line.dash_style = 4  # MSO_LINE.DASH
    label = shapes.add_textbox(Pt(190), Pt(150), Pt(60), Pt(16))
    label.text_frame.text = "10.0.0.0/30"
    note = shapes.add_textbox(Pt(60), Pt(420), Pt(200), Pt(20))
    note.text_frame.text = "lab uses FRR 9"
    deck.save(path)
    return path


def _figure(path: Path, tmp_path: Path):
    document = load(path, tmp_path / "figures")
    drawings = [f for f in document.figures if f.source and f.source.format == "drawingml"]
    return document, drawings


def test_a_slide_drawing_reads_as_its_exact_graph(tmp_path):
    from ictrag.caption import caption_file
    from ictrag.config import load_settings

    path = _deck(tmp_path / "lab.pptx")
    figures = caption_file(path, load_settings(), tmp_path / "figures")
    [figure] = [f for f in figures if f.source is not None]
    assert figure.page == 2 and figure.label == "Lab topology"
    assert Path(figure.image_path).stat().st_size > 0
    logical = figure.logical
    assert logical.confidence == 1.0
    relations = {(r.source, r.target, r.label, r.directed) for r in logical.relations}
    assert ("PE1", "Core", "10.0.0.0/30", False) in relations  # glued, text box label
    assert ("Core", "PE2", "", True) in relations  # glued into the group, arrowhead at the end
    assert ("router", "Core", "", False) in relations  # free ends joined by geometry
    assert len([r for r in logical.relations if r.kind == "edge"]) == 3
    assert sorted(logical_to_graph(logical).nodes[n].label for n in logical_to_graph(logical).nodes) == [
        "Core", "PE1", "PE2", "router",
    ]  # fmt: skip


def test_cells_carry_the_group_transform_glue_and_flip(tmp_path):
    _, [figure] = _figure(_deck(tmp_path / "lab.pptx"), tmp_path)
    cells = {c.label or c.id: c for c in figure.source.cells}
    assert cells["PE2"].bbox == pytest.approx((500, 140, 580, 180))
    edges = [c for c in figure.source.cells if c.kind == "edge"]
    glue = sorted((c.style["sourceGlue"], c.style["targetGlue"]) for c in edges)
    assert glue == [("glued", "glued"), ("glued", "glued"), ("nearest", "nearest")]
    [free] = [c for c in edges if c.style["sourceGlue"] == "nearest"]
    assert free.source_point == pytest.approx((325, 330)) and free.style.get("dashed") == "1"
    assert [c.offset for c in figure.source.cells if c.label == "10.0.0.0/30"] == [
        pytest.approx(0.0, abs=0.2)
    ]
    for word in ("PE1", "PE2", "Core", "10.0.0.0/30", "lab uses FRR 9"):
        assert word in figure.inner_text


def test_text_slides_keep_their_text_and_make_no_drawing(tmp_path):
    document, drawings = _figure(_deck(tmp_path / "lab.pptx"), tmp_path)
    assert [f.page for f in drawings] == [2]
    text = " ".join(b.text for b in document.text_blocks)
    assert "BGP peers exchange routes" in text and "Lab topology" in text
    # the router picture is a node of the drawing, not a raster figure of its own
    assert all(f.source is not None for f in document.figures)


def test_a_connector_glued_to_a_missing_shape_falls_back_to_geometry(tmp_path):
    path = _deck(tmp_path / "lab.pptx")
    broken = tmp_path / "broken.pptx"
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(broken, "w") as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "ppt/slides/slide2.xml":
                text = data.decode()
                start = text.index('<a:stCxn id="') + len('<a:stCxn id="')
                data = (text[:start] + "9999" + text[text.index('"', start) :]).encode()
            dst.writestr(item, data)
    _, [figure] = _figure(broken, tmp_path)
    ends = sorted(
        (c.style["sourceGlue"], c.style["targetGlue"])
        for c in figure.source.cells
        if c.kind == "edge"
    )
    assert ("nearest", "glued") in ends  # the missing id's end found PE1 by where it lies


def test_a_corrupt_pptx_fails_in_one_line(tmp_path):
    good = _deck(tmp_path / "lab.pptx").read_bytes()
    cut = tmp_path / "cut.pptx"
    cut.write_bytes(good[: len(good) // 2])
    with pytest.raises(LoadError) as error:
        load(cut, tmp_path / "figures")
    assert "\n" not in str(error.value)


@pytest.mark.corpus
@pytest.mark.skipif(not OFFICE.is_dir(), reason="shared corpus absent")
def test_the_kathara_data_centre_decks_glued_edges_all_come_back(tmp_path):
    import importlib.util

    spec = importlib.util.spec_from_file_location("bench", BENCH / "bench_pptx_shapes.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    from ictrag.config import load_settings

    row = bench.run(
        OFFICE / "kathara-051-data-center-bgp.pptx",
        tmp_path / "out",
        bench._scorer(),
        load_settings(),
    )
    assert row["glued_edges"] >= 120
    assert row["pred-glued"]["edge_f1"] == 1.0
    assert row["pred-all"]["edge_r"] == 1.0  # every glued edge is in the figure as ingested
