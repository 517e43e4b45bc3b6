"""PlantUML sources read as exact structure (ictrag/figures/plantuml.py): files, Markdown
blocks, and the sources the O-RAN specifications embed beside their pictures. Step numbers
are checked against what the real PlantUML prints; corpus tests skip without ../shared."""

from __future__ import annotations

import json
import logging
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from ictrag.caption import caption_file
from ictrag.config import load_settings
from ictrag.figures.mermaid import parse
from ictrag.figures.plantuml import PlantUMLError, parse_plantuml, statements
from ictrag.load import load
from ictrag.load.plantuml import plantuml_jar
from ictrag.model import FigureType, TextKind

NUMBERED = """@startuml
autonumber "[0]"
A -> B : one
B --> A : two
autonumber 1.1
A -> A : three
A -> B : four
autonumber 3
A <-> B : five
A <- B : six
autonumber "<b>[000]"
A ->> B : seven
@enduml
"""
SEQUENCE = """@startuml
title Attach
skinparam sequenceArrowThickness 2
actor "User Equipment" as UE
participant eNodeB
database HSS as "Home Subscriber Server"
box "Core" #lightblue
participant MME
end box
UE -> eNodeB : RRC Connection Request
eNodeB --> UE : RRC Connection Setup
== NAS ==
UE -> MME : Attach Request
activate MME
alt known subscriber
  MME -> HSS : Authentication Info Request
  HSS --> MME : Authentication Info Answer
else unknown
  note over MME : reject later
end
MME -> MME : Select bearer
...
loop until accepted
  UE <- MME : Attach Accept
end
note right of UE
  the UE is attached
end note
deactivate MME
@enduml
"""
# An O-RAN style source after Word joined its lines (typographic quotes and dash included).
FLAT = (
    '@startuml skin rose\nTitle Create MOI autonumber "[0]"\n'
    'participant “Provisioning MnS Consumer” as NMS participant "Provisioning MnS Producer" as ME'
    " NMS –> ME: NETCONF edit-config create\nNote over ME : Create MOI\n"
    "Opt Progress Notifications ME ->> NMS : <<HTTP/TLS>> progress Event End\n"
    "group Actor Decision Making\nME --> NMS: NETCONF rpc-reply <OK> or <rpc-error>\nend @enduml"
)


def _messages(graph) -> list[tuple[str, str, str]]:
    return [(graph.label_of(m.source), graph.label_of(m.target), m.label) for m in graph.messages]


def test_sequence_source_structure():
    # an !include is not followed (nor fatal): the reader needs only this file
    graph = parse_plantuml(
        SEQUENCE.replace("title Attach\n", "title Attach\n!include common.puml\n")
    )
    assert graph.kind == "sequence" and graph.title == "Attach"
    labels = [graph.label_of(p) for p in graph.participants]
    assert labels == ["User Equipment", "eNodeB", "Home Subscriber Server", "MME"]
    assert graph.nodes["UE"].shape == "actor"
    assert _messages(graph) == [
        ("User Equipment", "eNodeB", "RRC Connection Request"),
        ("eNodeB", "User Equipment", "RRC Connection Setup"),
        ("User Equipment", "MME", "Attach Request"),
        ("MME", "Home Subscriber Server", "Authentication Info Request"),
        ("Home Subscriber Server", "MME", "Authentication Info Answer"),
        ("MME", "MME", "Select bearer"),
        ("MME", "User Equipment", "Attach Accept"),
    ]
    assert [m.arrow for m in graph.messages[:2]] == ["->>", "-->>"]
    [alt, loop] = graph.blocks
    assert (alt.kind, alt.label, alt.start, alt.end, alt.branches) == (
        "alt",
        "known subscriber",
        3,
        5,
        [("unknown", 5)],
    )
    assert (loop.kind, loop.start, loop.end) == ("loop", 6, 7)
    assert [(n.targets, n.text) for n in graph.notes] == [
        (["MME"], "reject later"),
        (["UE"], "the UE is attached"),
    ]
    assert graph.groups[0].label == "Core" and graph.groups[0].members == ["MME"]


def test_flattened_source_is_cut_into_statements():
    graph = parse_plantuml(FLAT)
    assert graph.title == "Create MOI"
    assert [graph.label_of(p) for p in graph.participants] == [
        "Provisioning MnS Consumer", "Provisioning MnS Producer"
    ]  # fmt: skip
    assert _messages(graph) == [
        (
            "Provisioning MnS Consumer",
            "Provisioning MnS Producer",
            "[1] NETCONF edit-config create",
        ),
        (
            "Provisioning MnS Producer",
            "Provisioning MnS Consumer",
            "[2] <<HTTP/TLS>> progress Event",
        ),
        (
            "Provisioning MnS Producer",
            "Provisioning MnS Consumer",
            "[3] NETCONF rpc-reply <OK> or <rpc-error>",
        ),
    ]
    assert graph.messages[0].arrow == "-->>"  # Word's "–>" was "-->"
    assert [(b.kind, b.label, b.start, b.end) for b in graph.blocks] == [
        ("opt", "Progress Notifications", 1, 2), ("group", "Actor Decision Making", 2, 3)
    ]  # fmt: skip
    assert "Actor Decision Making" not in [graph.label_of(p) for p in graph.participants]
    # a normal source keeps its lines: a label may hold any word
    assert statements("@startuml\nA -> B : end of loop participant\n@enduml") == [
        "A -> B : end of loop participant"
    ]


def test_bad_sources_give_one_error_line():
    for bad in ("", "@startuml\n@enduml", "@startuml\nthis is not ( plantuml\n@enduml"):
        with pytest.raises(PlantUMLError, match="no participants"):
            parse_plantuml(bad)


def test_state_source():
    graph = parse_plantuml(
        "@startuml\n[*] --> Idle\nIdle --> Active : start\nActive --> [*]\n@enduml"
    )
    assert graph.kind == "state"
    assert [(e.source, e.target, e.label) for e in graph.edges] == [
        ("__start__", "Idle", ""), ("Idle", "Active", "start"), ("Active", "__end__", "")
    ]  # fmt: skip


def _renderer() -> list[str]:
    java, jar = shutil.which("java"), plantuml_jar()
    if java is None or jar is None:
        pytest.skip("PlantUML not installed; run scripts/install_renderers.sh")
    return [java, "-Djava.awt.headless=true", "-jar", str(jar)]


def test_step_numbers_as_plantuml_prints_them():
    text = subprocess.run(
        [*_renderer(), "-tutxt", "-pipe"], input=NUMBERED.encode(), capture_output=True, timeout=60
    ).stdout.decode()
    # -tutxt writes bold digits as mathematical bold; a PNG shows plain digits
    text = "".join(chr(ord(c) - 0x1D7CE + 48) if 0x1D7CE <= ord(c) <= 0x1D7D7 else c for c in text)
    labels = [m.label for m in parse_plantuml(NUMBERED).messages]
    assert labels == [
        "[1] one",
        "[2] two",
        "1.1 three",
        "1.2 four",
        "3 five",
        "4 six",
        "[001] seven",
    ]
    for label in labels:
        assert label in text


def test_puml_file_is_a_figure_with_exact_structure(tmp_path):
    _renderer()
    path = tmp_path / "attach.puml"
    path.write_text(SEQUENCE)
    [figure] = caption_file(path, load_settings(), tmp_path / "figures")
    assert figure.image_path and Path(figure.image_path).read_bytes().startswith(b"\x89PNG")
    assert figure.source.format == "plantuml"
    logical = figure.logical
    assert logical.figure_type == FigureType.sequence and logical.confidence == 1.0
    graph = parse(logical.mermaid)
    assert (
        len(graph.messages) == 7
        and graph.label_of(graph.messages[3].target) == "Home Subscriber Server"
    )


def test_renderer_missing_keeps_the_structure(tmp_path, monkeypatch, caplog):
    monkeypatch.setenv("ICTRAG_PLANTUML_JAR", str(tmp_path / "absent.jar"))
    path = tmp_path / "flow.pu"
    path.write_text(SEQUENCE)
    with caplog.at_level(logging.WARNING):
        [figure] = caption_file(path, load_settings(), tmp_path / "figures")
    assert figure.image_path is None and figure.logical.confidence == 1.0
    assert any(
        "no picture" in r.getMessage() and "plantuml.jar" in r.getMessage() for r in caplog.records
    )


def test_malformed_source_for_the_renderer(tmp_path, caplog):
    _renderer()
    path = tmp_path / "broken.plantuml"
    path.write_text("@startuml\nA -> B : fine\nthis is not ( plantuml\n@enduml\n")
    with caplog.at_level(logging.WARNING):
        [figure] = caption_file(path, load_settings(), tmp_path / "figures")
    assert figure.image_path is None  # PlantUML refused it; the message is still read
    assert [m for m in parse(figure.logical.mermaid).messages][0].label == "fine"
    assert any("Syntax Error" in r.getMessage() for r in caplog.records)


def test_markdown_plantuml_block(tmp_path):
    path = tmp_path / "notes.md"
    path.write_text(f"# Attach\n\nThe flow:\n\n```plantuml\n{SEQUENCE}```\n\nAfter the flow.\n")
    document = load(path, tmp_path / "figures")
    [figure] = document.figures
    assert figure.label == "PlantUML diagram 1" and figure.source.format == "plantuml"
    assert any("RRC Connection Request" in b.text for b in document.text_blocks)  # text kept


# -- corpus -----------------------------------------------------------------------------


def _norm(text: str) -> str:
    return re.sub(r"\W+", "", text.replace("«", "").replace("»", "")).lower()


def test_real_figure_sources_match_their_ground_truth(corpus):
    files = sorted((corpus / "real-figures" / "sequence").glob("*.puml"))
    assert len(files) == 7
    for path in files:
        truth = json.loads(path.with_suffix(".json").read_text())
        graph = parse_plantuml(path.read_text())
        assert [_norm(graph.label_of(p)) for p in graph.participants] == [
            _norm(p) for p in truth["participants"]
        ], path.name
        assert [tuple(map(_norm, m)) for m in _messages(graph)] == [
            (_norm(m["from"]), _norm(m["to"]), _norm(m["text"])) for m in truth["messages"]
        ], path.name


ORAN = {
    "O-RAN.WG10.TS.O1-Interface.0-R004-v15.00.docx": (28, 28, 0, 99),
    "O-RAN.WG1.Network-Energy-Savings-Technical-Report-R003-v02.00.docx": (10, 10, 0, 166),
}
"""sources, bound to a picture, figures of their own, messages in all sources."""


@pytest.fixture(scope="module", params=sorted(ORAN))
def oran(request, corpus, tmp_path_factory):
    path = corpus / "office" / request.param
    return request.param, load(path, tmp_path_factory.mktemp("oran"))


def test_oran_sources_bind_to_their_pictures(oran):
    name, document = oran
    sources, bound, alone, messages = ORAN[name]
    figures = [f for f in document.figures if f.source is not None]
    assert all(f.source.format == "plantuml" for f in figures)
    assert len(figures) == sources
    assert sum(1 for f in figures if f.image_path) == bound
    assert sum(1 for f in figures if not f.image_path) == alone
    graphs = [parse_plantuml(f.source.text) for f in figures]
    assert sum(len(g.messages) for g in graphs) == messages
    assert all(g.participants and g.messages for g in graphs)


def test_oran_sources_stay_text_but_not_headings(oran):
    _, document = oran
    blocks = document.text_blocks
    assert not [b for b in blocks if b.kind is TextKind.heading and "@startuml" in b.text.lower()]
    for figure in (f for f in document.figures if f.source is not None):
        assert any(
            figure.source.text.splitlines()[-1] in b.text for b in blocks if b.kind is TextKind.code
        )
    starts = [b for b in blocks if "@startuml" in b.text.lower()]
    assert starts and all(b.kind is TextKind.code for b in starts)


def test_html_pre_plantuml(tmp_path):
    path = tmp_path / "page.html"
    code = SEQUENCE.replace("->", "-&gt;").replace("<-", "&lt;-")
    path.write_text(f"<html><body><h1>Attach</h1><p>The flow:</p><pre>{code}</pre></body></html>")
    document = load(path, tmp_path / "figures")
    [figure] = document.figures
    assert figure.source.format == "plantuml"
    assert len(parse_plantuml(figure.source.text).messages) == 7


def test_java_logging_before_the_error_does_not_hide_its_reason():
    from ictrag.load.plantuml import _without_java_logging

    stderr = [
        "Dec 03, 2026 11:13:41 AM java.util.prefs.FileSystemPreferences$1 run",
        "WARNING: Created user preferences directory.",
        "ERROR",
        "3",
        "Syntax Error? (Assumed diagram type: sequence)",
    ]
    assert _without_java_logging(stderr) == stderr[2:]
    assert _without_java_logging(["WARNING: not after a header"]) == ["WARNING: not after a header"]
