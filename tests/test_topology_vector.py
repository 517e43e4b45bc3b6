"""Network topologies read from vector PDFs drawn by real renderers: Graphviz (double-outline
routers, end labels), an icon figure drawn with pymupdf (device glyphs, names beside them,
boxed port letters and host parts at the link ends), and the l2-l3 figure of the corpus."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pymupdf
import pytest

from ictrag.figures.base import FigureInput
from ictrag.figures.graph import DiagramGraph
from ictrag.figures.mermaid import validate
from ictrag.figures.structural import StructuralCaptioner
from ictrag.figures.vector.diagram import recover_vector
from ictrag.figures.vector.topology import fragment
from ictrag.load.drawings import VectorContent, region_content
from ictrag.model import Relation


def _page_content(pdf: Path) -> VectorContent:
    page = pymupdf.open(pdf)[0]
    return region_content(page, tuple(page.rect))


def _links(graph: DiagramGraph) -> dict[frozenset[str], str]:
    return {
        frozenset((graph.label_of(e.source), graph.label_of(e.target))): e.label
        for e in graph.edges
    }


# -- Graphviz -----------------------------------------------------------------------------
GRAPHVIZ_TOPOLOGY = """
graph topo {
  graph [ranksep=1.6];
  node [fontsize=12];
  r1 [label="r1\\nAS 65001", shape=doubleoctagon];
  r2 [label="r2\\nAS 65002", shape=octagon, peripheries=2];
  s1 [label="s1\\n10.0.1.0/24", shape=ellipse];
  s2 [label="s2\\n10.0.2.0/24", shape=ellipse];
  subgraph cluster_core { label="core"; peripheries=2; r3 [label="r3", shape=box]; }
  r1 -- s1 [taillabel="eth0\\n.1", labeldistance=2];
  r2 -- s1 [taillabel="eth1\\n.2", labeldistance=2];
  r2 -- s2 [taillabel="eth2\\n.2", labeldistance=2];
  r3 -- s2 [taillabel="eth0\\n.3", labeldistance=2];
}
"""


@pytest.fixture(scope="module")
def graphviz_pdf(tmp_path_factory) -> Path:
    if shutil.which("dot") is None:
        pytest.skip("Graphviz dot is not installed")
    folder = tmp_path_factory.mktemp("gv")
    source = folder / "topo.dot"
    source.write_text(GRAPHVIZ_TOPOLOGY)
    pdf = folder / "topo.pdf"
    subprocess.run(["dot", "-Tpdf", str(source), "-o", str(pdf)], check=True)
    return pdf


def test_graphviz_double_outline_routers_keep_their_links(graphviz_pdf):
    graph = recover_vector(_page_content(graphviz_pdf)).graph
    labels = sorted(node.label for node in graph.nodes.values())
    assert labels == ["r1 AS 65001", "r2 AS 65002", "r3", "s1 10.0.1.0/24", "s2 10.0.2.0/24"]
    assert not [g for g in graph.groups if g.label in ("r1 AS 65001", "r2 AS 65002", "group")]
    links = _links(graph)
    assert set(links) == {
        frozenset(pair)
        for pair in [
            ("r1 AS 65001", "s1 10.0.1.0/24"),
            ("r2 AS 65002", "s1 10.0.1.0/24"),
            ("r2 AS 65002", "s2 10.0.2.0/24"),
            ("r3", "s2 10.0.2.0/24"),
        ]
    }
    assert links[frozenset(("r1 AS 65001", "s1 10.0.1.0/24"))] == "eth0 .1"
    assert links[frozenset(("r3", "s2 10.0.2.0/24"))] == "eth0 .3"
    for edge in graph.edges:  # tail labels: at the router end
        router_end = edge.source_label if graph.label_of(edge.source)[0] == "r" else None
        assert (router_end or edge.target_label or "").startswith("eth"), edge


# -- icons drawn with pymupdf -------------------------------------------------------------
def _router(page: pymupdf.Page, x: float, y: float) -> tuple[float, float, float, float]:
    """A router glyph: a blue body with white arrows on it (several drawings)."""
    body = (x - 18, y - 12, x + 18, y + 12)
    page.draw_oval(body, color=None, fill=(0.0, 0.4, 0.6))
    page.draw_oval((x - 18, y - 12, x + 18, y + 2), color=(1, 1, 1), fill=(0.0, 0.45, 0.65))
    for dx, dy in ((-9, -5), (5, -5)):
        page.draw_polyline(
            [(x + dx, y + dy), (x + dx + 5, y + dy - 1), (x + dx + 5, y + dy + 1)],
            color=None,
            fill=(1, 1, 1),
            closePath=True,
        )
    return body


def _pc(page: pymupdf.Page, x: float, y: float) -> tuple[float, float, float, float]:
    """A PC glyph: screen, its face and a keyboard."""
    page.draw_rect((x - 12, y - 14, x + 12, y + 4), color=None, fill=(0.0, 0.4, 0.6))
    page.draw_rect((x - 9, y - 11, x + 9, y + 1), color=None, fill=(0.8, 0.9, 1.0))
    page.draw_rect((x - 16, y + 3, x + 16, y + 10), color=None, fill=(0.0, 0.4, 0.6))
    return (x - 16, y - 14, x + 16, y + 10)


def _label(page: pymupdf.Page, x: float, y: float, text: str, box: bool = False) -> None:
    width = pymupdf.get_text_length(text, fontsize=10)
    if box:
        page.draw_rect((x - 2, y - 10, x + width + 2, y + 3), color=(0, 0, 0), fill=(1, 1, 1))
    page.insert_text((x, y), text, fontsize=10)


@pytest.fixture(scope="module")
def icon_pdf(tmp_path_factory) -> Path:
    doc = pymupdf.open()
    page = doc.new_page(width=460, height=260)
    r_left, r_right, pc, spare = (120, 120), (320, 120), (320, 220), (120, 220)
    # Links first, from glyph centre to glyph centre: the glyphs are drawn over them.
    page.draw_line(r_left, r_right, color=(0, 0, 0), width=1)
    page.draw_line(r_right, pc, color=(0, 0, 0), width=1)
    page.draw_line(r_left, spare, color=(0, 0, 0), width=1, dashes="[3 3] 0")
    _router(page, *r_left)
    _router(page, *r_right)
    _pc(page, *pc)
    _router(page, *spare)
    _label(page, 112, 100, "R")  # both routers are printed "R"
    _label(page, 312, 100, "R")
    _label(page, 350, 225, "PC1")
    _label(page, 145, 115, "A", box=True)
    _label(page, 145, 134, ".1")
    _label(page, 285, 134, ".2")
    _label(page, 282, 115, "B", box=True)
    _label(page, 196, 114, "10.0.12.0/24")
    _label(page, 326, 150, "eth0")
    _label(page, 326, 196, ".10")
    _label(page, 10, 20, "Figure 3: Lab network")
    path = tmp_path_factory.mktemp("icons") / "icons.pdf"
    doc.save(path)
    return path


def test_icon_topology_devices_links_and_end_labels(icon_pdf):
    [logical] = StructuralCaptioner().describe([FigureInput(None, vector=_page_content(icon_pdf))])
    graph = recover_vector(_page_content(icon_pdf)).graph
    labels = sorted(node.label for node in graph.nodes.values())
    assert labels == ["PC1", "R", "R", "device"]  # identical names stay two nodes
    assert not any(node.label == node.id for node in graph.nodes.values())
    assert len(graph.edges) == 3
    by_ends = {
        tuple(sorted((graph.nodes[e.source].label, graph.nodes[e.target].label))): e
        for e in graph.edges
    }
    rr = by_ends[("R", "R")]
    assert rr.label == "A .1 10.0.12.0/24 B .2"  # left end, middle, right end
    assert {rr.source_label, rr.target_label} == {"A .1", "B .2"}
    assert by_ends[("PC1", "R")].label == "eth0 .10"  # upper end first
    assert by_ends[("R", "device")].style == "dotted"
    assert logical.mermaid and validate(logical.mermaid) == (True, "")
    assert "Figure 3" not in " ".join(logical.components)
    assert any(r.source_label or r.target_label for r in logical.relations)


@pytest.fixture(scope="module")
def image_icon_pdf(tmp_path_factory) -> Path:
    """Devices drawn as embedded pictures (as slides and Visio exports do), names under
    them, links between them."""
    from PIL import Image, ImageDraw

    folder = tmp_path_factory.mktemp("images")
    picture = Image.new("RGB", (64, 48), "white")
    ImageDraw.Draw(picture).ellipse((2, 8, 62, 40), fill=(0, 90, 150))
    png = folder / "router.png"
    picture.save(png)
    doc = pymupdf.open()
    page = doc.new_page(width=420, height=200)
    centres = {"core": (80, 80), "edge": (320, 80), "access": (200, 160)}
    for a, b in (("core", "edge"), ("core", "access"), ("edge", "access")):
        page.draw_line(centres[a], centres[b], color=(0, 0, 0), width=1)
    for name, (x, y) in centres.items():
        page.insert_image(pymupdf.Rect(x - 16, y - 12, x + 16, y + 12), filename=str(png))
        _label(page, x - 12, y + 24, name)
    path = folder / "images.pdf"
    doc.save(path)
    return path


def test_embedded_images_are_device_icons(image_icon_pdf):
    content = _page_content(image_icon_pdf)
    assert len(content.images) == 3
    graph = recover_vector(content).graph
    assert sorted(node.label for node in graph.nodes.values()) == ["access", "core", "edge"]
    assert set(_links(graph)) == {
        frozenset(pair) for pair in [("core", "edge"), ("access", "core"), ("access", "edge")]
    }


def test_relation_end_labels_are_optional():
    relation = Relation(source="a", target="b")
    assert relation.source_label is None and relation.target_label is None
    assert Relation.model_validate({"source": "a", "target": "b"}).to_line() == "a -> b"


def test_fragments_are_link_end_text_not_names():
    for text in (".1", "::1", "A", "3", "eth0 .1 ::1", "X.0.3.1/24", "Gi0/1", "10.0.0.0/30"):
        assert fragment(text), text
    for text in ("router1", "PC1", "S1", "BIRM", "Provider 1", "Admin A_TUM"):
        assert not fragment(text), text


# -- the corpus figure --------------------------------------------------------------------
def test_l2_l3_figure_reads_as_its_devices_and_links(corpus):
    pdf = corpus / "figures" / "l2-l3.pdf"
    if not pdf.exists():
        pytest.skip("l2-l3.pdf is not in the corpus")
    graph = recover_vector(_page_content(pdf)).graph
    labels = sorted(node.label for node in graph.nodes.values())
    assert labels == ["PC1", "PC2", "PC3", "PC4", "router1", "router2", "router3", "switch1"]
    links = _links(graph)
    assert len(graph.edges) == 10 and len(links) == 10
    assert links[frozenset(("router1", "router2"))] == "B .1 200.20.20.0/24 B .2"
    assert links[frozenset(("PC3", "router2"))] == "C .2 100.3.3.0/24 .33"
    assert links[frozenset(("router1", "router3"))] == "D .1 B .3"
