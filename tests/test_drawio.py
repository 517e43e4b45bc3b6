"""draw.io files read exactly: shapes, glued and unglued connectors, labels at link ends,
containers, annotations; compressed pages; XML with entities; bad files."""

from __future__ import annotations

import base64
import urllib.parse
import zlib
from pathlib import Path

import pytest

from ictrag.caption import caption_file
from ictrag.figures.graph import logical_to_graph
from ictrag.figures.mermaid import validate
from ictrag.load import LoadError, load
from tests.conftest import ROOT

OFFICE = ROOT.parent / "shared" / "corpus" / "office"

PAGE = """<mxGraphModel><root>
<mxCell id="0"/><mxCell id="1" parent="0"/>
<mxCell id="site" value="Site A" style="swimlane;container=1;" vertex="1" parent="1">
  <mxGeometry x="20" y="20" width="300" height="200" as="geometry"/></mxCell>
<mxCell id="r1" value="PE1" style="shape=mxgraph.cisco.routers.router;html=1;" vertex="1" parent="site">
  <mxGeometry x="40" y="60" width="50" height="35" as="geometry"/></mxCell>
<mxCell id="r2" value="" style="shape=mxgraph.cisco.routers.router;html=1;" vertex="1" parent="1">
  <mxGeometry x="500" y="80" width="50" height="35" as="geometry"/></mxCell>
<object id="sw" label="Core&lt;br&gt;Switch" owner="noc"><mxCell style="shape=mxgraph.cisco.switches.layer_3_switch;" vertex="1" parent="1">
  <mxGeometry x="500" y="300" width="60" height="40" as="geometry"/></mxCell></object>
<mxCell id="e1" value="" style="endArrow=none;html=1;" edge="1" parent="1" source="r1" target="r2">
  <mxGeometry relative="1" as="geometry"/></mxCell>
<mxCell id="l1" value="Gi0/1" style="edgeLabel;html=1;" vertex="1" connectable="0" parent="e1">
  <mxGeometry x="-0.8" relative="1" as="geometry"/></mxCell>
<mxCell id="l2" value="10.0.0.0/30" style="edgeLabel;html=1;" vertex="1" connectable="0" parent="e1">
  <mxGeometry x="0.05" relative="1" as="geometry"/></mxCell>
<mxCell id="l3" value=".2" style="edgeLabel;html=1;" vertex="1" connectable="0" parent="e1">
  <mxGeometry x="0.85" relative="1" as="geometry"/></mxCell>
<mxCell id="e2" value="" style="endArrow=none;" edge="1" parent="1">
  <mxGeometry relative="1" as="geometry">
    <mxPoint x="525" y="110" as="sourcePoint"/><mxPoint x="530" y="310" as="targetPoint"/>
  </mxGeometry></mxCell>
<mxCell id="t1" value="backup path via ISP" style="text;html=1;" vertex="1" parent="1">
  <mxGeometry x="580" y="200" width="120" height="20" as="geometry"/></mxCell>
<mxCell id="dot" value="" style="ellipse;aspect=fixed;" vertex="1" parent="1">
  <mxGeometry x="700" y="400" width="8" height="8" as="geometry"/></mxCell>
</root></mxGraphModel>"""


def _plain(folder: Path) -> Path:
    path = folder / "wan.drawio"
    path.write_text(f'<mxfile host="test"><diagram id="a" name="WAN">{PAGE}</diagram></mxfile>')
    return path


def _compressed(folder: Path) -> Path:
    deflate = zlib.compressobj(9, zlib.DEFLATED, -15)
    packed = deflate.compress(urllib.parse.quote(PAGE).encode()) + deflate.flush()
    blank = '<diagram id="b" name="Empty">' + base64.b64encode(
        _raw_deflate(urllib.parse.quote("<mxGraphModel><root><mxCell id='0'/></root></mxGraphModel>"))
    ).decode() + "</diagram>"
    path = folder / "wan-compressed.drawio"
    path.write_text(
        f'<mxfile><diagram id="a" name="WAN">{base64.b64encode(packed).decode()}</diagram>{blank}</mxfile>'
    )
    return path


def _raw_deflate(text: str) -> bytes:
    deflate = zlib.compressobj(9, zlib.DEFLATED, -15)
    return deflate.compress(text.encode()) + deflate.flush()


def _figures(path: Path):
    import tempfile

    from ictrag.config import load_settings

    return caption_file(path, load_settings(), Path(tempfile.mkdtemp()))


def _read(path: Path):
    [figure] = _figures(path)
    return figure.logical


@pytest.mark.parametrize("make", [_plain, _compressed])
def test_a_drawio_topology_reads_exactly(tmp_path, make):
    logical = _read(make(tmp_path))
    assert logical.figure_type.value == "topology" and logical.confidence == 1.0
    graph = logical_to_graph(logical)
    labels = sorted(node.label for node in graph.nodes.values())
    # the unlabelled router is named by its shape; the annotation and the dot are no nodes
    assert labels == ["Core Switch", "PE1", "router"]
    links = {(r.source, r.target, r.label) for r in logical.relations if r.kind == "edge"}
    # end labels at their ends, upper-left end first, the subnet in the middle
    assert ("PE1", "router", "Gi0/1 10.0.0.0/30 .2") in links
    assert ("router", "Core Switch", "") in links  # not glued: joined by where its ends lie
    assert all(not r.directed for r in logical.relations if r.kind == "edge")
    assert any(r.kind == "contains" and r.source == "Site A" and r.target == "PE1"
               for r in logical.relations)  # fmt: skip
    assert "backup path via ISP" not in labels
    assert validate(logical.mermaid)[0]


def test_drawio_document_keeps_every_word_and_skips_empty_pages(tmp_path):
    document = load(_compressed(tmp_path), tmp_path / "figures")
    assert document.page_count == 2 and len(document.figures) == 1
    [figure] = document.figures
    assert figure.label == "WAN" and Path(figure.image_path).stat().st_size > 0
    for word in ("PE1", "Gi0/1", "10.0.0.0/30", "backup path via ISP", "Core Switch"):
        assert word in figure.inner_text


def test_drawio_entities_are_not_expanded(tmp_path):
    path = tmp_path / "xxe.drawio"
    path.write_text(
        '<?xml version="1.0"?><!DOCTYPE mxfile [<!ENTITY leak SYSTEM "file:///etc/passwd">]>'
        f'<mxfile><diagram name="p">{PAGE.replace("PE1", "&leak;")}</diagram></mxfile>'
    )
    try:
        document = load(path, tmp_path / "figures")
    except LoadError:
        return  # refusing the file is safe too
    assert "root:" not in document.figures[0].inner_text


def test_a_broken_drawio_fails_with_one_line(tmp_path):
    broken = tmp_path / "broken.drawio"
    broken.write_text('<mxfile><diagram name="p">not base64 at all!</diagram></mxfile>')
    with pytest.raises(LoadError) as error:
        load(broken, tmp_path / "figures")
    assert "\n" not in str(error.value)
    truncated = tmp_path / "cut.drawio"
    truncated.write_text(_plain(tmp_path).read_text()[:300])
    with pytest.raises(LoadError):
        load(truncated, tmp_path / "figures")


def test_an_ingested_drawio_is_found_by_its_link_labels(tmp_path):
    from ictrag import KnowledgeBase

    kb = KnowledgeBase(tmp_path / "idx", workers=1)
    report = kb.ingest([_plain(tmp_path)])
    assert report.count("ingested") == 1
    hits = kb.search("Gi0/1 PE1 router link", k=3)
    assert hits and hits[0].chunk.kind == "figure" and "PE1" in hits[0].chunk.text
    kb.close()


@pytest.mark.skipif(not OFFICE.is_dir(), reason="shared corpus absent")
def test_corpus_drawio_files_read_their_glued_graphs():
    netlab = _read(OFFICE / "netlab-rsvp-mpls.drawio")
    edges = [r for r in netlab.relations if r.kind == "edge"]
    assert netlab.figure_type.value == "topology"
    assert len(logical_to_graph(netlab).nodes) == 13 and len(edges) == 20
    assert {"r1 10.0.0.1", "c3 10.0.0.13", "ext1", "ext2"} <= set(netlab.components)
    [metal3] = _figures(OFFICE / "metal3-ironic_authentication.drawio")  # page 2 is empty
    assert sum(r.kind == "edge" for r in metal3.logical.relations) >= 10
    assert {"Ironic", "Ironic Inspector", "Nginx", "BMO", "IPA"} <= set(metal3.logical.components)


def test_drawio_end_labels_are_explicit_fields(tmp_path):
    logical = _read(_plain(tmp_path))
    [link] = [r for r in logical.relations if r.kind == "edge" and r.label]
    assert (link.source_label, link.target_label) == ("Gi0/1", ".2")
