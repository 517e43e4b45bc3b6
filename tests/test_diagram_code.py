"""Mermaid code as figures whose structure is exact: .mmd files and ```mermaid blocks in
Markdown, through load, caption and ingest."""

from __future__ import annotations

import tempfile
from pathlib import Path

from ictrag.caption import caption_file
from ictrag.config import load_settings
from ictrag.load import load
from ictrag.model import Figure, TextBlock

CALL_FLOW = """sequenceDiagram
  participant UE
  participant AMF
  UE->>AMF: Registration Request
  AMF-->>UE: Registration Accept
"""
MARKDOWN = """# N4 setup

The SMF sets up the session with the UPF.

```mermaid
flowchart LR
  SMF -->|PFCP Session Establishment| UPF
  UPF --> DN[Data Network]
```

After the block, the UPF forwards user-plane traffic.

~~~mermaid
flowchart TD
  A -->|broken
~~~
"""


def _caption(path: Path):
    return caption_file(path, load_settings(), Path(tempfile.mkdtemp()))


def test_a_mermaid_file_is_one_exact_figure(tmp_path):
    path = tmp_path / "registration.mmd"
    path.write_text(CALL_FLOW)
    [figure] = _caption(path)
    logical = figure.logical
    assert logical.figure_type.value == "sequence" and logical.confidence == 1.0
    assert [(r.source, r.target, r.label) for r in logical.relations] == [
        ("UE", "AMF", "Registration Request"),
        ("AMF", "UE", "Registration Accept"),
    ]
    assert figure.image_path is None and figure.source.format == "mermaid"


def test_markdown_mermaid_blocks_become_figures_after_their_text(tmp_path):
    path = tmp_path / "n4.md"
    path.write_text(MARKDOWN)
    document = load(path, tmp_path / "figures")
    figures = document.figures
    assert [f.label for f in figures] == ["Mermaid diagram 1", "Mermaid diagram 2"]
    assert figures[0].heading_path == ["N4 setup"]
    text = " ".join(e.text for e in document.elements if isinstance(e, TextBlock))
    assert "The SMF sets up the session" in text and "After the block" in text
    first = document.elements.index(figures[0])
    assert any(isinstance(e, TextBlock) and "After the block" in e.text
               for e in document.elements[first:])  # fmt: skip
    readings = {f.label: f.logical for f in _caption(path) if isinstance(f, Figure)}
    flow = readings["Mermaid diagram 1"]
    assert ("SMF", "UPF", "PFCP Session Establishment") in {
        (r.source, r.target, r.label) for r in flow.relations
    }
    assert readings["Mermaid diagram 2"].confidence < 0.5  # unreadable code: no structure claimed


def test_ingested_mermaid_figures_are_searchable(tmp_path):
    from ictrag import KnowledgeBase

    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "n4.md").write_text(MARKDOWN)
    (tmp_path / "docs" / "registration.mmd").write_text(CALL_FLOW)
    (tmp_path / "docs" / "blank.mmd").write_text("")
    kb = KnowledgeBase(tmp_path / "idx", workers=1)
    report = kb.ingest([tmp_path / "docs"])
    statuses = {Path(r.path).name: r.status for r in report.files}
    assert statuses == {"n4.md": "ingested", "registration.mmd": "ingested", "blank.mmd": "empty"}
    hits = kb.search("Registration Accept from AMF to UE", k=3, kind="figure")
    assert hits and "Registration Accept" in hits[0].chunk.text
    assert hits[0].chunk.source.endswith("registration.mmd")
    kb.close()


needs_dot = __import__("pytest").mark.skipif(
    __import__("shutil").which("dot") is None, reason="Graphviz's dot is not installed"
)
TOPOLOGY_DOT = """graph wan {
  subgraph cluster_dc { label="DC1"; pe1 [label="PE1"]; sw [shape=box, label="Core\\nSwitch"]; }
  pe1 -- p1 [taillabel="ge-0/0/1", headlabel=".2", label="10.0.0.0/30"];
  p1 -- sw;
}
"""
FLOW_DOT = """digraph attach {
  idle [shape=ellipse]; check [shape=diamond, label="authorised?"];
  idle -> check [label="Attach Request"];
  check -> done [label="yes"]; check -> idle [label="no", style=dashed];
}
"""


@needs_dot
def test_a_graphviz_file_reads_as_dot_lays_it_out(tmp_path):
    path = tmp_path / "wan.dot"
    path.write_text(TOPOLOGY_DOT)
    [figure] = _caption(path)
    logical = figure.logical
    assert logical.figure_type.value == "topology" and logical.confidence == 1.0
    assert Path(figure.image_path).stat().st_size > 0  # dot's own picture
    links = {(r.source, r.target, r.label) for r in logical.relations if r.kind == "edge"}
    assert links == {("PE1", "p1", "ge-0/0/1 10.0.0.0/30 .2"), ("p1", "Core Switch", "")}
    assert {(r.source, r.target) for r in logical.relations if r.kind == "contains"} == {
        ("DC1", "PE1"), ("DC1", "Core Switch")
    }
    flow = tmp_path / "attach.gv"
    flow.write_text(FLOW_DOT)
    [reading] = [f.logical for f in _caption(flow)]
    assert reading.figure_type.value != "topology"
    assert ("authorised?", "idle", "no") in {(r.source, r.target, r.label) for r in reading.relations}
    assert all(r.directed for r in reading.relations if r.kind == "edge")


@needs_dot
def test_graphviz_blocks_in_markdown_and_broken_graphs(tmp_path):
    import pytest

    from ictrag.load import LoadError

    path = tmp_path / "design.md"
    path.write_text(f"# Design\n\nThe WAN:\n\n```dot\n{TOPOLOGY_DOT}```\n\n```dot\ngraph {{ a -- \n```\n")
    document = load(path, tmp_path / "figures")
    assert [f.label for f in document.figures] == ["Graphviz diagram 1"]  # the broken one stays text
    text = " ".join(e.text for e in document.elements if isinstance(e, TextBlock))
    assert "graph { a --" in text
    broken = tmp_path / "broken.dot"
    broken.write_text("graph { a -- ")
    with pytest.raises(LoadError) as error:
        load(broken, tmp_path / "figures")
    assert "dot cannot lay out" in str(error.value) and "\n" not in str(error.value)
