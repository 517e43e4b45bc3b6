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
