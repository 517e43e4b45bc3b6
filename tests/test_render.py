from __future__ import annotations

from pathlib import Path

import numpy as np
import pymupdf
import pytest
from ictrag.training.synth.render import (
    MermaidRenderer,
    RenderJob,
    missing_requirements,
    renderer_available,
)
from PIL import Image

from ictrag.figures.graph import Block, DiagramGraph, Edge, Group, PacketField
from ictrag.figures.mermaid import emit, parse

pytestmark = pytest.mark.skipif(
    not renderer_available(),
    reason="Mermaid renderer not installed (missing: "
    + ", ".join(missing_requirements())
    + "); run scripts/install_mermaid.sh",
)

FLOWCHART = """flowchart LR
  ue["User Equipment"] -->|"Attach Request"| mme{"Mobility Manager"}
  mme --> hss[("Subscriber Server")]
"""
SEQUENCE = """sequenceDiagram
  participant C as Client Host
  participant S as DHCP Server
  C->>S: DHCPDISCOVER
  S-->>C: DHCPOFFER
"""


@pytest.fixture(scope="module")
def renderer():
    with MermaidRenderer(scale=2) as instance:
        yield instance


def _pdf_text(path: Path) -> str:
    with pymupdf.open(path) as document:
        assert document.page_count == 1
        return " ".join(document[0].get_text().split())


def _assert_not_blank(path: Path) -> None:
    pixels = np.asarray(Image.open(path).convert("L"), dtype=np.float32)
    assert pixels.shape[0] > 20 and pixels.shape[1] > 20
    assert (pixels < 128).mean() > 0.002, "PNG has (almost) no dark pixels"
    assert pixels.std() > 10


@pytest.mark.parametrize(
    ("code", "labels"),
    [
        (FLOWCHART, ["User Equipment", "Attach Request", "Mobility Manager", "Subscriber Server"]),
        (SEQUENCE, ["Client Host", "DHCP Server", "DHCPDISCOVER", "DHCPOFFER"]),
    ],
)
def test_render_png_and_vector_pdf(renderer, tmp_path, code, labels):
    png, pdf = tmp_path / "d.png", tmp_path / "d.pdf"
    result = renderer.render(code, png, pdf)
    assert result.ok, result.error
    assert result.width > 50 and result.height > 30
    _assert_not_blank(png)
    with Image.open(png) as image:  # device scale factor 2
        assert abs(image.width - 2 * result.width) <= 4
    text = _pdf_text(pdf)
    for label in labels:
        assert label in text
    with pymupdf.open(pdf) as document:  # the page is sized to the SVG (px -> pt)
        assert abs(document[0].rect.width - result.width * 0.75) < 3


def test_render_many_isolates_a_bad_diagram_and_keeps_going(renderer, tmp_path):
    jobs = [
        RenderJob(FLOWCHART, tmp_path / "a.png", None, "dark"),
        RenderJob("flowchart TD\n A -->", tmp_path / "bad.png", tmp_path / "bad.pdf"),
        RenderJob(SEQUENCE, None, tmp_path / "c.pdf", "forest"),
        RenderJob(FLOWCHART, tmp_path / "d.png", None, "no-such-theme"),
    ]
    results = renderer.render_many(jobs)
    assert [r.ok for r in results] == [True, False, True, False]
    assert "Parse error" in results[1].error and "\n" not in results[1].error
    assert "theme" in results[3].error
    assert (tmp_path / "a.png").exists() and not (tmp_path / "bad.png").exists()
    assert "DHCPOFFER" in _pdf_text(tmp_path / "c.pdf")


def test_emitted_mermaid_is_accepted_by_real_mermaid(renderer, tmp_path):
    flow = DiagramGraph(kind="topology", title="Site")
    flow.add_node("r1", 'Router "A" (core); #1', "round")
    flow.add_node("end", "end <if-name>", "database")
    flow.edges.append(Edge("r1", "end", "10G -> uplink", False, "thick"))
    flow.groups.append(Group("dc", "Data centre", ["end"]))
    seq = DiagramGraph(kind="sequence")
    seq.add_message("a", "b", "x; y #1: z")
    seq.add_message("b", "a", "ok")
    seq.blocks.append(Block("alt", "good", 0, 2, [("bad", 1)]))
    state = parse("stateDiagram-v2\n [*] --> A\n A --> B : go; now\n state B {\n [*] --> C\n }")
    packet = DiagramGraph(kind="packet", fields=[PacketField(0, 7, 'Type "t"; #')])
    klass = parse("classDiagram\n Animal <|-- Duck : is a\n Animal : +int age")
    for graph in (flow, seq, state, packet, klass):
        code = emit(graph)
        ok, reason = renderer.check(code)
        assert ok, f"{reason}\n{code}"
    result = renderer.render(emit(flow), None, tmp_path / "flow.pdf")
    assert result.ok
    text = _pdf_text(tmp_path / "flow.pdf")
    for label in parse(emit(flow)).component_labels():
        assert label.replace("\u200b", "") in text.replace("\u200b", "")
