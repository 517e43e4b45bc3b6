"""Call flows drawn by the real renderers (mscgen, seqdiag, PlantUML) read back by the vector
sequence reader: participants left to right, every message in order with its sender,
receiver and label, and the figure written as a Mermaid sequenceDiagram. Frames, notes,
dividers and activation bars must not become messages or participants. Skipped per
renderer where it is not installed (scripts/install_renderers.sh)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from ictrag.training.synth import render_tools as renderers

from ictrag.caption import caption_file
from ictrag.config import load_settings
from ictrag.figures.mermaid import parse
from ictrag.model import FigureType

ATTACH = [
    ("UE", "eNodeB", "1. RRC Connection Request"),
    ("eNodeB", "UE", "2. RRC Connection Setup"),
    ("UE", "MME", "3. Attach Request"),
    ("MME", "HSS", "4. Authentication Info Request"),
    ("HSS", "MME", "5. Authentication Info Answer"),
    ("MME", "MME", "6. Select bearer"),
    ("MME", "UE", "7. Attach Accept"),
]
PARTICIPANTS = ["UE", "eNodeB", "MME", "HSS"]

MSCGEN = """msc {
  ue [label="UE"], enb [label="eNodeB"], mme [label="MME"], hss [label="HSS"];
  ue => enb [label="1. RRC Connection Request"];
  enb >> ue [label="2. RRC Connection Setup"];
  --- [label="NAS signalling"];
  ue => mme [label="3. Attach Request"];
  |||;
  mme => hss [label="4. Authentication Info Request"];
  hss >> mme [label="5. Authentication Info Answer"];
  mme => mme [label="6. Select bearer"];
  mme abox mme [label="state: attaching"];
  mme => ue [label="7. Attach Accept"];
}
"""

SEQDIAG = """seqdiag {
  UE; eNodeB; MME; HSS;
  UE -> eNodeB [label = "1. RRC Connection Request"];
  UE <-- eNodeB [label = "2. RRC Connection Setup"];
  === NAS signalling ===
  UE -> MME [label = "3. Attach Request"];
  MME -> HSS [label = "4. Authentication Info Request", note = "look up the subscriber"];
  MME <-- HSS [label = "5. Authentication Info Answer"];
  MME -> MME [label = "6. Select bearer"];
  ... wait for the bearer ...
  UE <- MME [label = "7. Attach Accept"];
}
"""

PLANTUML = """@startuml
participant UE
participant eNodeB
participant MME
participant HSS
UE -> eNodeB : 1. RRC Connection Request
eNodeB --> UE : 2. RRC Connection Setup
== NAS signalling ==
UE -> MME : 3. Attach Request
activate MME
alt subscriber known
  MME -> HSS : 4. Authentication Info Request
  HSS --> MME : 5. Authentication Info Answer
else unknown
  note over MME : reject later
end
MME -> MME : 6. Select bearer
loop until accepted
  MME ->> UE : 7. Attach Accept
end
deactivate MME
@enduml
"""

# PlantUML writes the labels of replies (`A <-- B`) under their arrows with this skinparam;
# no participant boxes at the bottom either.
PLANTUML_BELOW = (
    PLANTUML.replace("@startuml\n", "@startuml\nskinparam responseMessageBelowArrow true\n")
    .replace("participant UE\n", "hide footbox\nparticipant UE\n")
    .replace("eNodeB --> UE :", "UE <-- eNodeB :")
    .replace("HSS --> MME :", "MME <-- HSS :")
)


def _read(source: str, renderer: str, tmp_path: Path):
    """The figure as `ictrag caption FILE` reads it: the PDF loader, then the captioner."""
    if not renderers.available(renderer):
        pytest.skip(f"{renderer} not installed; run scripts/install_renderers.sh")
    pdf = tmp_path / "flow.pdf"
    renderers.render(source, renderer, pdf=pdf)
    [figure] = caption_file(pdf, load_settings(), tmp_path / "figures")
    return figure.logical


def _flat(text: str) -> str:
    return re.sub(r"[\s_]+", "", text)


def _check(logical, participants=PARTICIPANTS, messages=ATTACH) -> None:
    assert logical.figure_type == FigureType.sequence
    assert logical.mermaid and logical.mermaid.startswith("sequenceDiagram")
    graph = parse(logical.mermaid)
    assert [graph.label_of(p) for p in graph.participants] == participants
    got = [
        (graph.label_of(m.source), graph.label_of(m.target), _flat(m.label))
        for m in sorted(graph.messages, key=lambda m: m.order)
    ]
    assert got == [(a, b, _flat(text)) for a, b, text in messages]


@pytest.mark.parametrize(
    ("renderer", "source"),
    [
        ("mscgen", MSCGEN),
        ("seqdiag", SEQDIAG),
        ("plantuml", PLANTUML),
        ("plantuml", PLANTUML_BELOW),
    ],
    ids=["mscgen", "seqdiag", "plantuml", "plantuml-labels-below"],
)
def test_real_renderer_call_flow_reads_back(renderer: str, source: str, tmp_path: Path) -> None:
    _check(_read(source, renderer, tmp_path))


def test_seqdiag_activation_bars_and_crossing_arrows(tmp_path: Path) -> None:
    # Default seqdiag draws activation boxes on the lifelines; the long arrows cross them.
    source = """seqdiag {
      Client -> Gateway [label = "connect"];
      Gateway -> Database [label = "query"];
      Gateway <-- Database [label = "rows"];
      Client <-- Gateway [label = "result"];
      Client -> Database [label = "direct read"];
      Client <-- Database [label = "data"];
    }
    """
    flow = [
        ("Client", "Gateway", "connect"),
        ("Gateway", "Database", "query"),
        ("Database", "Gateway", "rows"),
        ("Gateway", "Client", "result"),
        ("Client", "Database", "direct read"),
        ("Database", "Client", "data"),
    ]
    _check(_read(source, "seqdiag", tmp_path), ["Client", "Gateway", "Database"], flow)


def test_plantuml_frames_and_notes_stay_out_of_the_messages(tmp_path: Path) -> None:
    logical = _read(PLANTUML, "plantuml", tmp_path)
    graph = parse(logical.mermaid)
    assert {b.kind for b in graph.blocks} >= {"alt", "loop"}
    assert "reject later" not in " ".join(m.label for m in graph.messages)
