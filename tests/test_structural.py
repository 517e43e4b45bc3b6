"""The structural captioner reads drawn diagrams back into nodes, edges and messages."""

from __future__ import annotations

import math
from pathlib import Path

import pymupdf
import pytest
from PIL import Image, ImageDraw, ImageFont

from ictrag.figures.base import FigureInput
from ictrag.figures.mermaid import parse, validate
from ictrag.figures.structural import StructuralCaptioner
from ictrag.figures.vector.diagram import recover_vector
from ictrag.figures.vector.packet import parse_ascii_packet
from ictrag.load.drawings import VectorContent, region_content
from ictrag.model import FigureType


def _arrow(page: pymupdf.Page, a: tuple, b: tuple, size: float = 7.0) -> None:
    """A line from a to b ending in a small filled triangle whose tip touches b."""
    angle = math.atan2(b[1] - a[1], b[0] - a[0])
    base = (b[0] - size * math.cos(angle), b[1] - size * math.sin(angle))
    page.draw_line(a, base, color=(0, 0, 0), width=1)
    left = (base[0] + 3.5 * math.sin(angle), base[1] - 3.5 * math.cos(angle))
    right = (base[0] - 3.5 * math.sin(angle), base[1] + 3.5 * math.cos(angle))
    page.draw_polyline([b, left, right, b], color=None, fill=(0, 0, 0), closePath=True)


def _box(page: pymupdf.Page, rect: tuple, text: str) -> None:
    page.draw_rect(rect, color=(0, 0, 0), width=1)
    _text(page, rect, text)


def _text(page: pymupdf.Page, rect: tuple, text: str, size: float = 10) -> None:
    width = pymupdf.get_text_length(text, fontsize=size)
    x = (rect[0] + rect[2]) / 2 - width / 2
    y = (rect[1] + rect[3]) / 2 + size * 0.35
    page.insert_text((x, y), text, fontsize=size)


def flowchart_content() -> VectorContent:
    doc = pymupdf.open()
    page = doc.new_page(width=400, height=400)
    _box(page, (150, 20, 250, 50), "Start")
    diamond = [(200, 90), (260, 130), (200, 170), (140, 130), (200, 90)]
    page.draw_polyline(diamond, color=(0, 0, 0), closePath=True)
    _text(page, (140, 120, 260, 140), "Link up?")
    _box(page, (30, 220, 150, 250), "Send Hello")
    _box(page, (250, 220, 370, 250), "Raise alarm")
    _arrow(page, (200, 50), (200, 90))
    _arrow(page, (140, 130), (90, 220))
    _arrow(page, (260, 130), (310, 220))
    _text(page, (85, 160, 125, 175), "Yes")
    _text(page, (275, 160, 315, 175), "No")
    return region_content(page, (0, 0, 400, 300))


def test_vector_flowchart_exact_nodes_edges_and_labels():
    [logical] = StructuralCaptioner().describe([FigureInput(None, vector=flowchart_content())])
    assert logical.figure_type == FigureType.flowchart
    assert sorted(logical.components) == ["Link up?", "Raise alarm", "Send Hello", "Start"]
    lines = sorted(relation.to_line() for relation in logical.relations)
    assert lines == [
        "Link up? -> Raise alarm [No]",
        "Link up? -> Send Hello [Yes]",
        "Start -> Link up?",
    ]
    assert logical.mermaid and validate(logical.mermaid) == (True, "")
    graph = parse(logical.mermaid)
    assert any(node.shape == "decision" for node in graph.nodes.values())
    assert logical.ungrounded == []
    assert logical.confidence >= 0.8
    assert "1 decisions" in logical.summary and "'Start'" in logical.summary


def sequence_content() -> VectorContent:
    doc = pymupdf.open()
    page = doc.new_page(width=400, height=300)
    xs = {"UE": 60, "MME": 200, "HSS": 340}
    for name, x in xs.items():
        _box(page, (x - 40, 10, x + 40, 35), name)
        page.draw_line((x, 35), (x, 280), color=(0.5, 0.5, 0.5), width=1, dashes="[3 3] 0")
    messages = [
        ("UE", "MME", "Attach Request"),
        ("MME", "HSS", "Authentication Info Request"),
        ("HSS", "MME", "Authentication Info Answer"),
        ("MME", "UE", "Attach Accept"),
    ]
    for i, (source, target, label) in enumerate(messages):
        y = 80 + 45 * i
        _arrow(page, (xs[source], y), (xs[target], y))
        _text(page, (xs[source], y - 16, xs[target], y - 2), label, size=9)
    return region_content(page, (0, 0, 400, 300))


def test_vector_sequence_messages_in_order():
    recovery = recover_vector(sequence_content())
    graph = recovery.graph
    assert graph.kind == "sequence"
    assert [graph.label_of(p) for p in graph.participants] == ["UE", "MME", "HSS"]
    got = [
        (graph.label_of(m.source), graph.label_of(m.target), m.label)
        for m in sorted(graph.messages, key=lambda m: m.order)
    ]
    assert got == [
        ("UE", "MME", "Attach Request"),
        ("MME", "HSS", "Authentication Info Request"),
        ("HSS", "MME", "Authentication Info Answer"),
        ("MME", "UE", "Attach Accept"),
    ]
    [logical] = StructuralCaptioner().describe([FigureInput(None, vector=sequence_content())])
    assert logical.figure_type == FigureType.sequence
    assert logical.mermaid.startswith("sequenceDiagram")
    assert logical.ungrounded == []


def test_packet_from_corpus_field_recall(corpus):
    pdf = Path(corpus) / "packets" / "tcp.pdf"
    if not pdf.exists():
        pytest.skip("corpus has no packets/tcp.pdf")
    truth = [f.label for f in parse_ascii_packet(pdf.with_suffix(".pkt").read_text())]
    page = pymupdf.open(pdf)[0]
    [logical] = StructuralCaptioner().describe(
        [FigureInput(None, vector=region_content(page, tuple(page.rect)))]
    )
    assert logical.figure_type == FigureType.packet
    recall = sum(1 for label in truth if label in logical.components) / len(truth)
    assert recall >= 0.9
    assert "Source Port" in logical.components and "packet-beta" in logical.mermaid
    assert logical.ungrounded == []


def _font(size: int) -> ImageFont.ImageFont:
    for path in ("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",):
        if Path(path).exists():
            return ImageFont.truetype(path, size)
    return ImageFont.load_default()


def test_raster_flowchart_boxes_and_edges(tmp_path):
    path = tmp_path / "flow.png"
    boxes = _draw_flowchart(path)
    [logical] = StructuralCaptioner().describe([FigureInput(str(path))])
    _assert_flowchart(logical, boxes)


def _draw_flowchart(path: Path) -> dict:
    image = Image.new("RGB", (700, 520), "white")
    draw = ImageDraw.Draw(image)
    font = _font(22)
    boxes = {
        "Start": (270, 30, 430, 90),
        "Check link": (250, 200, 450, 260),
        "Send Hello": (60, 400, 260, 460),
        "Raise alarm": (440, 400, 640, 460),
    }
    for text, box in boxes.items():
        draw.rectangle(box, outline="black", width=3)
        w = draw.textlength(text, font=font)
        draw.text(((box[0] + box[2]) / 2 - w / 2, box[1] + 16), text, fill="black", font=font)

    def arrow(a, b):
        draw.line([a, b], fill="black", width=3)
        angle = math.atan2(b[1] - a[1], b[0] - a[0])
        left = (b[0] - 18 * math.cos(angle - 0.4), b[1] - 18 * math.sin(angle - 0.4))
        right = (b[0] - 18 * math.cos(angle + 0.4), b[1] - 18 * math.sin(angle + 0.4))
        draw.polygon([b, left, right], fill="black")

    arrow((350, 90), (350, 198))
    arrow((300, 260), (160, 398))
    arrow((400, 260), (540, 398))
    image.save(path)
    return boxes


def test_raster_parser_reads_the_ocr_cache_of_the_figure_text_stage(tmp_path, monkeypatch):
    # Another process (a Ray captioner actor) has none of this process's OCR memo: it must
    # read the lines the figure-text stage cached on disk, not run OCR a second time.
    from ictrag.figures.raster import ocr

    path = tmp_path / "flow.png"
    boxes = _draw_flowchart(path)
    ocr.ocr_lines(path, cache_dir=tmp_path / "cache")
    monkeypatch.setattr(ocr, "_memo", {})

    def no_second_ocr(image_path):
        raise AssertionError("OCR ran twice")

    monkeypatch.setattr(ocr, "run_ocr", no_second_ocr)
    item = FigureInput(str(path), ocr_cache=str(tmp_path / "cache"))
    [logical] = StructuralCaptioner().describe([item])
    _assert_flowchart(logical, boxes)


def _assert_flowchart(logical, boxes) -> None:
    assert set(boxes) <= set(logical.components)
    edges = {(r.source, r.target) for r in logical.relations if r.kind == "edge"}
    assert (
        len(
            edges
            & {("Start", "Check link"), ("Check link", "Send Hello"), ("Check link", "Raise alarm")}
        )
        >= 2
    )
    assert logical.ungrounded == []


def test_garbage_inputs_give_low_confidence_not_errors(tmp_path):
    blank = tmp_path / "blank.png"
    Image.new("RGB", (200, 120), "white").save(blank)
    items = [
        FigureInput(None, vector=VectorContent(bbox=(0, 0, 100, 100))),
        FigureInput(str(blank)),
        FigureInput(str(tmp_path / "missing.png")),
        FigureInput(None),
    ]
    results = StructuralCaptioner().describe(items)
    assert len(results) == 4
    for logical in results:
        assert logical.confidence <= 0.2
        assert logical.backend == "structural"
        assert logical.summary
        assert logical.ungrounded == []


def test_unlabelled_shapes_and_stray_loops_stay_out_of_the_logical_text():
    from ictrag.figures.graph import DiagramGraph, Edge, Group
    from ictrag.figures.structural import to_logical
    from ictrag.figures.vector.diagram import Recovery

    graph = DiagramGraph(kind="topology")
    graph.add_node("n1", "Router AR-100")
    graph.add_node("n2", "Switch SW-A")
    graph.add_node("n3")  # a shape the parser found without a label
    graph.edges += [
        Edge("n1", "n2", "GE0/0/1", False),
        Edge("n2", "n3", "", False),
        Edge("n3", "n3", "", True),  # outline stroke snapped to its own box
        Edge("n1", "n1", "retry", True),  # a labelled loop is a real transition
    ]
    graph.groups.append(Group("g1", "Campus", ["n1", "n2"], None))
    logical = to_logical(Recovery(graph, 0.8, ["legend: solid = GE"]), "Router AR-100 Switch SW-A")
    text = logical.to_text(mermaid=False)
    assert "n3" not in text.split()
    assert logical.components == ["Router AR-100", "Switch SW-A"]
    lines = [r.to_line() for r in logical.relations]
    assert "Router AR-100 -- Switch SW-A [GE0/0/1]" in lines
    assert "Switch SW-A -- (unlabelled shape)" in lines
    assert "Router AR-100 -> Router AR-100 [retry]" in lines
    assert not any(r.source == r.target == "(unlabelled shape)" for r in logical.relations)
    assert "Campus contains Router AR-100" in lines
    assert "3 elements" in logical.summary and "'n3'" not in logical.summary


def test_raster_sequence_with_a_note_over_the_lifelines(tmp_path):
    image = Image.new("RGB", (970, 520), "white")
    draw = ImageDraw.Draw(image)
    font = _font(30)
    for x in (250, 718):
        draw.line([(x, 150), (x, 372)], fill="#9370db", width=3)  # lifeline
    for x0, name in ((100, "Alice"), (568, "John")):
        for y0 in (20, 372):  # participant box, mirrored at the bottom
            draw.rectangle((x0, y0, x0 + 300, y0 + 130), fill="#ececff", outline="#9370db", width=2)
            w = draw.textlength(name, font=font)
            draw.text((x0 + 150 - w / 2, y0 + 48), name, fill="black", font=font)
    draw.line([(252, 238), (700, 238)], fill="#333333", width=3)
    draw.polygon([(716, 238), (698, 229), (698, 247)], fill="#333333")
    draw.text((305, 192), "Hello John, how are you?", fill="#333333", font=font)
    draw.rectangle((200, 258, 768, 332), fill="#fff5ad", outline="#aaaa33", width=2)  # note
    draw.text((345, 278), "A typical interaction", fill="black", font=font)
    path = tmp_path / "seq.png"
    image.save(path)
    [logical] = StructuralCaptioner().describe([FigureInput(str(path))])
    assert logical.figure_type == FigureType.sequence
    messages = [(r.source, r.target, r.label) for r in logical.relations if r.kind == "message"]
    assert messages == [("Alice", "John", "Hello John, how are you?")]


def test_raster_dotted_connector_is_one_edge(tmp_path):
    image = Image.new("RGB", (416, 126), "white")
    draw = ImageDraw.Draw(image)
    font = _font(28)
    for x0, letter in ((16, "A"), (258, "B")):
        draw.rectangle((x0, 16, x0 + 142, 108), fill="#ececff", outline="#9370db", width=2)
        draw.text((x0 + 60, 46), letter, fill="#333333", font=font)
    for x in range(159, 244, 8):  # a dotted line of separate marks, as Mermaid draws it
        draw.line([(x, 62), (x + 3, 62)], fill="#333333", width=2)
    draw.polygon([(257, 62), (243, 55), (243, 69)], fill="#333333")
    path = tmp_path / "dotted.png"
    image.save(path)
    [logical] = StructuralCaptioner().describe([FigureInput(str(path))])
    edges = [(r.source, r.target) for r in logical.relations if r.kind == "edge"]
    assert edges == [("A", "B")]
