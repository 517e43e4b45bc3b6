"""SmartArt read from its data model, in PowerPoint and Word: the content points and what
the layout family says joins them (a hierarchy's parents and children, a process's steps in
order, a cycle that closes), boxes from the drawing part Office saves beside it, and no text
lost when a SmartArt is one label.

The files are made here: python-pptx / python-docx packages with SmartArt parts written in
the structure Office saves (content points with their parTrans/sibTrans points and parOf
connections, presentation points and presOf connections the reader must pass over). The
expected structure is written by hand beside each tree, not read back by project code.
"""

from __future__ import annotations

import itertools
import tempfile
from pathlib import Path

import pytest

from ictrag.caption import caption_file
from ictrag.config import load_settings
from ictrag.load import load
from ictrag.load.smartart import read_smartart

DGM_NS = "http://schemas.openxmlformats.org/drawingml/2006/diagram"
A_NS = "http://schemas.openxmlformats.org/drawingml/2006/main"
DSP_NS = "http://schemas.microsoft.com/office/drawing/2008/diagram"
R_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
DATA_CT = "application/vnd.openxmlformats-officedocument.drawingml.diagramData+xml"
DRAWING_CT = "application/vnd.ms-office.drawingml.diagramDrawing+xml"
DRAWING_RT = "http://schemas.microsoft.com/office/2007/relationships/diagramDrawing"
EMU = 12700

Tree = list[tuple[str, "Tree"]]
CORE: Tree = [("5G Core", [("AMF", []), ("SMF", [("UPF", [])])])]
STEPS: Tree = [("Registration", []), ("Authentication", []), ("PDU Session Establishment", [])]
LOOP: Tree = [("Plan", []), ("Deploy", []), ("Monitor", [])]


def _text(words: str) -> str:
    runs = f"<a:r><a:t>{words}</a:t></a:r>" if words else ""
    return f"<dgm:t><a:bodyPr/><a:lstStyle/><a:p>{runs}</a:p></dgm:t>"


def data_model(category: str, layout: str, tree: Tree, drawing_rel: str = "") -> bytes:
    """A data model as Office writes one: a doc point, content points each with a parTrans
    and sibTrans point, parOf connections, a presentation point per content point."""
    ids = (f"{{00000000-0000-0000-0000-{n:012d}}}" for n in itertools.count(1))
    doc = next(ids)
    points = [
        f'<dgm:pt modelId="{doc}" type="doc"><dgm:prSet loTypeId="urn:microsoft.com/office/'
        f'officeart/2005/8/layout/{layout}" loCatId="{category}"/><dgm:spPr/>{_text("")}</dgm:pt>'
    ]
    links = []

    def add(parent: str, children: Tree) -> None:
        for order, (words, below) in enumerate(children):
            point, par, sib, pres = next(ids), next(ids), next(ids), next(ids)
            points.append(
                f'<dgm:pt modelId="{point}"><dgm:prSet/><dgm:spPr/>{_text(words)}</dgm:pt>'
            )
            for kind, key in (("parTrans", par), ("sibTrans", sib)):
                points.append(
                    f'<dgm:pt modelId="{key}" type="{kind}" cxnId="{point}"><dgm:prSet/>'
                    f"<dgm:spPr/>{_text('')}</dgm:pt>"
                )
            points.append(
                f'<dgm:pt modelId="{pres}" type="pres"><dgm:prSet presAssocID="{point}" '
                f'presName="node"/><dgm:spPr/></dgm:pt>'
            )
            links.append(
                f'<dgm:cxn modelId="{next(ids)}" srcId="{parent}" destId="{point}" '
                f'srcOrd="{order}" destOrd="0" parTransId="{par}" sibTransId="{sib}"/>'
            )
            links.append(
                f'<dgm:cxn modelId="{next(ids)}" type="presOf" srcId="{point}" destId="{pres}" '
                'srcOrd="0" destOrd="0"/>'
            )
            add(point, below)

    add(doc, tree)
    ext = (
        f'<dgm:extLst><a:ext uri="http://schemas.microsoft.com/office/drawing/2008/diagram">'
        f'<dsp:dataModelExt xmlns:dsp="{DSP_NS}" relId="{drawing_rel}" '
        f'minVer="http://schemas.openxmlformats.org/drawingml/2006/diagram"/></a:ext></dgm:extLst>'
        if drawing_rel
        else ""
    )
    return (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        f'<dgm:dataModel xmlns:dgm="{DGM_NS}" xmlns:a="{A_NS}"><dgm:ptLst>{"".join(points)}'
        f"</dgm:ptLst><dgm:cxnLst>{''.join(links)}</dgm:cxnLst><dgm:bg/><dgm:whole/>{ext}"
        "</dgm:dataModel>"
    ).encode()


def drawing_part(model: bytes, boxes: dict[str, tuple[int, int, int, int]]) -> bytes:
    """A dsp:drawing with one shape per named point at `boxes` (EMU: x, y, cx, cy), each
    naming the presentation point of that content point, as Office saves it."""
    from lxml import etree

    root = etree.fromstring(model)
    text = {p.get("modelId"): "".join(p.itertext()) for p in root.iter(f"{{{DGM_NS}}}pt")}
    shapes = []
    for p in root.iter(f"{{{DGM_NS}}}pt"):
        owner = p.find(f"{{{DGM_NS}}}prSet").get("presAssocID")
        if p.get("type") == "pres" and text.get(owner) in boxes:
            x, y, cx, cy = boxes[text[owner]]
            shapes.append(
                f'<dsp:sp modelId="{p.get("modelId")}"><dsp:nvSpPr><dsp:cNvPr id="0" name=""/>'
                f'<dsp:cNvSpPr/></dsp:nvSpPr><dsp:spPr><a:xfrm><a:off x="{x}" y="{y}"/>'
                f'<a:ext cx="{cx}" cy="{cy}"/></a:xfrm><a:prstGeom prst="roundRect"/></dsp:spPr>'
                f"<dsp:txBody><a:bodyPr/><a:p><a:r><a:t>{text[owner]}</a:t></a:r></a:p></dsp:txBody>"
                "</dsp:sp>"
            )
    return (
        f'<dsp:drawing xmlns:dsp="{DSP_NS}" xmlns:a="{A_NS}"><dsp:spTree><dsp:nvGrpSpPr>'
        '<dsp:cNvPr id="0" name=""/><dsp:cNvGrpSpPr/></dsp:nvGrpSpPr><dsp:grpSpPr/>'
        f"{''.join(shapes)}</dsp:spTree></dsp:drawing>"
    ).encode()


def _relations(path: Path) -> tuple[list, set[tuple[str, str]]]:
    figures = caption_file(path, load_settings(), Path(tempfile.mkdtemp()))
    pairs = {(r.source, r.target) for f in figures for r in f.logical.relations}
    return figures, pairs


def pptx_with(tmp_path: Path, arts: list[tuple[bytes, bytes | None]], name="deck.pptx") -> Path:
    """A one-slide deck holding each (data model, drawing part or None) as a SmartArt frame
    at (1 in, 1 in + 2 in per frame)."""
    from pptx import Presentation
    from pptx.opc.constants import RELATIONSHIP_TYPE as RT
    from pptx.opc.package import Part
    from pptx.opc.packuri import PackURI
    from pptx.util import Inches

    deck = Presentation()
    slide = deck.slides.add_slide(deck.slide_layouts[6])  # blank
    tree = slide.shapes._spTree
    for n, (model, drawing) in enumerate(arts, start=1):
        if drawing is not None:
            part = Part(
                PackURI(f"/ppt/diagrams/drawing{n}.xml"), DRAWING_CT, deck.part.package, drawing
            )
            drawing_id = slide.part.relate_to(part, DRAWING_RT)
            model = model.replace(b'relId="DRAWING"', f'relId="{drawing_id}"'.encode())
        data = Part(PackURI(f"/ppt/diagrams/data{n}.xml"), DATA_CT, deck.part.package, model)
        data_id = slide.part.relate_to(data, RT.DIAGRAM_DATA)
        frame = (
            f'<p:graphicFrame xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main" '
            f'xmlns:a="{A_NS}" xmlns:r="{R_NS}"><p:nvGraphicFramePr><p:cNvPr id="{100 + n}" '
            f'name="Diagram {n}"/><p:cNvGraphicFramePr/><p:nvPr/></p:nvGraphicFramePr>'
            f'<p:xfrm><a:off x="{Inches(1)}" y="{Inches(1 + 2 * (n - 1))}"/>'
            f'<a:ext cx="{Inches(6)}" cy="{Inches(1.5)}"/></p:xfrm><a:graphic>'
            f'<a:graphicData uri="{DGM_NS}"><dgm:relIds xmlns:dgm="{DGM_NS}" r:dm="{data_id}" '
            'r:lo="" r:qs="" r:cs=""/></a:graphicData></a:graphic></p:graphicFrame>'
        )
        from lxml import etree

        tree.append(etree.fromstring(frame))
    path = tmp_path / name
    deck.save(str(path))
    return path


def test_a_hierarchy_reads_as_its_parents_and_children(tmp_path):
    deck = pptx_with(tmp_path, [(data_model("hierarchy", "orgChart1", CORE), None)])
    figures, pairs = _relations(deck)
    assert len(figures) == 1
    assert pairs == {("5G Core", "AMF"), ("5G Core", "SMF"), ("SMF", "UPF")}
    assert set(figures[0].logical.components) == {"5G Core", "AMF", "SMF", "UPF"}


def test_a_process_reads_as_its_steps_in_order_with_boxes_from_the_drawing(tmp_path):
    boxes = {  # EMU, relative to the frame: three steps left to right
        "Registration": (0, 0, 20 * EMU * 5, 40 * EMU),
        "Authentication": (140 * EMU, 0, 100 * EMU, 40 * EMU),
        "PDU Session Establishment": (280 * EMU, 0, 100 * EMU, 40 * EMU),
    }
    model = data_model("process", "process1", STEPS, drawing_rel="DRAWING")
    deck = pptx_with(tmp_path, [(model, drawing_part(model, boxes))])
    document = load(deck, tmp_path / "figures")
    [figure] = document.figures
    cells = {c.label: c for c in figure.source.cells if c.kind == "vertex"}
    # the frame sits at (1 in, 1 in) = (72, 72) points; the shape at (140, 0) inside it
    assert cells["Authentication"].bbox == pytest.approx((212.0, 72.0, 312.0, 112.0))
    figures, pairs = _relations(deck)
    assert pairs == {
        ("Registration", "Authentication"), ("Authentication", "PDU Session Establishment")
    }  # fmt: skip


def test_a_cycle_closes_and_points_without_text_pass_their_children_up(tmp_path):
    # a blank top point holding the three steps (Office leaves such points when a user
    # empties a box): the steps stay, the blank point does not become a node
    deck = pptx_with(tmp_path, [(data_model("cycle", "cycle2", [("", LOOP)]), None)])
    figures, pairs = _relations(deck)
    assert pairs == {("Plan", "Deploy"), ("Deploy", "Monitor"), ("Monitor", "Plan")}
    assert set(figures[0].logical.components) == {"Plan", "Deploy", "Monitor"}


def test_a_list_keeps_each_items_children_inside_it():
    art = read_smartart(
        data_model("list", "vList2", [("N2", [("NGAP", [])]), ("N3", [("GTP-U", [])])])
    )
    assert art.family == "list"
    assert [(p.text, [c.text for c in p.children]) for p in art.roots] == [
        ("N2", ["NGAP"]), ("N3", ["GTP-U"])
    ]  # fmt: skip


def test_one_point_smartart_is_text_not_a_figure(tmp_path):
    deck = pptx_with(tmp_path, [(data_model("list", "vList2", [("AS10 backbone", [])]), None)])
    document = load(deck, tmp_path / "figures")
    assert not document.figures
    assert "AS10 backbone" in [getattr(e, "text", None) for e in document.elements]


def test_a_broken_data_model_is_one_warning_and_the_deck_still_loads(tmp_path, caplog):
    good = data_model("process", "process1", STEPS)
    deck = pptx_with(tmp_path, [(b"<dgm:dataModel", None), (good, None)])
    document = load(deck, tmp_path / "figures")
    assert len(document.figures) == 1 and "Authentication" in document.figures[0].inner_text
    assert any("SmartArt not read" in r.getMessage() for r in caplog.records)


def test_word_smartart_reads_from_its_data_model(tmp_path):
    import docx
    from docx.opc.constants import RELATIONSHIP_TYPE as RT
    from docx.opc.packuri import PackURI
    from docx.opc.part import Part
    from lxml import etree

    document = docx.Document()
    document.add_paragraph("The 5G core functions are shown below.")
    data = Part(
        PackURI("/word/diagrams/data1.xml"), DATA_CT,
        data_model("hierarchy", "hierarchy1", CORE), document.part.package,
    )  # fmt: skip
    data_id = document.part.relate_to(data, RT.DIAGRAM_DATA)
    holder = document.add_paragraph()
    inline = (
        f'<w:r xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" '
        f'xmlns:wp="http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing" '
        f'xmlns:a="{A_NS}" xmlns:r="{R_NS}"><w:drawing><wp:inline><wp:extent cx="5486400" '
        f'cy="3200400"/><wp:docPr id="1" name="Diagram 1"/><a:graphic><a:graphicData '
        f'uri="{DGM_NS}"><dgm:relIds xmlns:dgm="{DGM_NS}" r:dm="{data_id}" r:lo="" r:qs="" '
        'r:cs=""/></a:graphicData></a:graphic></wp:inline></w:drawing></w:r>'
    )
    holder._p.append(etree.fromstring(inline))
    document.add_paragraph("Figure 4.2-1: Functions of the 5G core")
    path = tmp_path / "core.docx"
    document.save(str(path))
    loaded = load(path, tmp_path / "figures")
    [figure] = loaded.figures
    assert figure.origin == "vector" and figure.label == "Figure 4.2-1: Functions of the 5G core"
    figures, pairs = _relations(path)
    assert pairs == {("5G Core", "AMF"), ("5G Core", "SMF"), ("SMF", "UPF")}


def test_a_smartart_saved_by_powerpoint_reads_with_its_drawn_boxes(tmp_path):
    deck = Path(__file__).parent / "data" / "poi-smartart-simple.pptx"
    document = load(deck, tmp_path / "figures")
    [figure] = document.figures
    boxes = {c.label: c.bbox for c in figure.source.cells if c.kind == "vertex"}
    assert set(boxes) == {"abc", "def", "ghi"}  # the fourth circle has no text
    centre = {label: ((b[0] + b[2]) / 2, (b[1] + b[3]) / 2) for label, b in boxes.items()}
    assert centre["abc"][1] < centre["def"][1] < centre["ghi"][1]  # top, middle, bottom
    assert centre["def"][0] > centre["abc"][0] and centre["def"][0] > centre["ghi"][0]
    assert all(b[2] - b[0] == pytest.approx(488696 / 12700) for b in boxes.values())
