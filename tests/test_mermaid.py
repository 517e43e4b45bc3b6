from __future__ import annotations

import random
import re

import pytest

from ictrag.figures.graph import (
    Block,
    DiagramGraph,
    Edge,
    Group,
    PacketField,
    graph_to_logical,
    logical_to_graph,
)
from ictrag.figures.mermaid import MermaidError, emit, parse, validate
from ictrag.model import FigureType

SUPPORTED_PAGES = [
    "flowchart.md",
    "sequenceDiagram.md",
    "stateDiagram.md",
    "packet.md",
    "classDiagram.md",
    "architecture.md",
    "block.md",
]
# Measured 239/239 (100%) on the Mermaid syntax pages in ../shared/corpus/mermaid.
CORPUS_PARSE_RATE = 0.97


def _edges(graph: DiagramGraph) -> list[tuple]:
    return sorted(
        (graph.label_of(e.source), graph.label_of(e.target), e.label, e.directed, e.style)
        for e in graph.edges
    )


def _flow_graph(kind: str) -> DiagramGraph:
    graph = DiagramGraph(kind=kind, direction="LR", title="Core (EPC)")
    graph.add_node("ue", "UE (phone)", "round")
    graph.add_node("enb", "eNodeB #1; cell", "decision")
    graph.add_node("end", "end", "database")  # a reserved word as id must be renamed
    graph.add_node("hss db", "HSS", "circle")
    graph.edges += [
        Edge("ue", "enb", "Uu: radio"),
        Edge("enb", "end", "", False, "dotted"),
        Edge("end", "hss db", "S6a", True, "thick"),
    ]
    graph.groups.append(Group("epc", "Evolved Packet Core", ["end", "hss db"]))
    return graph


@pytest.mark.parametrize("kind", ["flowchart", "topology", "architecture", "other"])
def test_flowchart_like_round_trip(kind):
    graph = _flow_graph(kind)
    code = emit(graph)
    back = parse(code)
    assert back.kind == kind
    assert back.direction == "LR" and back.title == "Core (EPC)"
    assert sorted(back.component_labels()) == sorted(graph.component_labels())
    assert _edges(back) == _edges(graph)
    assert [(g.label, sorted(back.label_of(m) for m in g.members)) for g in back.groups] == [
        ("Evolved Packet Core", ["HSS", "end"])
    ]
    assert {node.shape for node in back.nodes.values()} == {
        "round",
        "decision",
        "database",
        "circle",
    }


def test_sequence_round_trip_with_blocks():
    graph = DiagramGraph(kind="sequence")
    graph.add_participant("ue", "UE #1", "actor")
    graph.add_participant("mme", "MME: core")
    graph.add_message("ue", "mme", "Attach Request; IMSI")
    graph.add_message("mme", "ue", "Auth Request", "-->>")
    graph.add_message("ue", "mme", "Auth Response")
    graph.add_message("mme", "ue", "Attach Reject", "-x")
    graph.blocks.append(Block("alt", "auth ok", 2, 4, [("failure", 3)]))
    graph.blocks.append(Block("loop", "retry", 1, 2))
    back = parse(emit(graph))
    assert back.kind == "sequence"
    assert [back.label_of(p) for p in back.participants] == ["UE #1", "MME: core"]
    assert back.nodes[back.participants[0]].shape == "actor"
    got = [
        (back.label_of(m.source), back.label_of(m.target), m.label, m.arrow) for m in back.messages
    ]
    want = [
        (graph.label_of(m.source), graph.label_of(m.target), m.label, m.arrow)
        for m in graph.messages
    ]
    assert got == want
    assert [(b.kind, b.label, b.start, b.end, b.branches) for b in back.blocks] == [
        ("loop", "retry", 1, 2, []),
        ("alt", "auth ok", 2, 4, [("failure", 3)]),
    ]


def test_state_round_trip_with_composite():
    graph = DiagramGraph(kind="state", direction="LR")
    graph.add_node("__start__", "start", "start")
    graph.add_node("idle", "Idle", "state")
    graph.add_node("conn", "Connected", "state")
    graph.add_node("conn__start__", "start", "start")
    graph.add_node("active", "Active", "state")
    graph.add_node("__end__", "end", "end")
    graph.groups.append(Group("conn", "Connected", ["conn__start__", "active"]))
    graph.edges += [
        Edge("__start__", "idle"),
        Edge("idle", "conn", "RRC setup"),
        Edge("conn__start__", "active"),
        Edge("conn", "__end__", "detach"),
    ]
    back = parse(emit(graph))
    assert back.kind == "state" and back.direction == "LR"
    assert _edges(back) == _edges(graph)
    assert sorted(back.component_labels()) == ["Active", "Connected", "Idle"]
    assert sorted(back.group("conn").members) == ["active", "conn__start__"]


def test_packet_and_class_round_trip():
    packet = DiagramGraph(kind="packet", title="UDP header")
    packet.fields = [PacketField(0, 15, "Source Port"), PacketField(16, 31, 'Dest "port"')]
    back = parse(emit(packet))
    assert back.kind == "packet" and back.title == "UDP header"
    assert [(f.start, f.end, f.label) for f in back.fields] == [
        (0, 15, "Source Port"),
        (16, 31, 'Dest "port"'),
    ]
    klass = DiagramGraph(kind="class")
    klass.add_node("Animal", "Animal", "class").attrs.append("+int age")
    klass.add_node("Duck", "Duck", "class")
    klass.edges.append(Edge("Duck", "Animal", "inherits"))
    back = parse(emit(klass))
    assert back.kind == "class" and _edges(back) == _edges(klass)
    assert back.nodes["Animal"].attrs == ["+int age"]


def test_parse_flowchart_syntax_variants():
    graph = parse(
        """---
title: Variants
---
%%{init: {"theme": "dark"}}%%
graph TD;
  A["Label (with) parens"] --> B{Decision} --> C[(DB)] & D
  classDef red fill:#f00
  B -- yes --> E((Circle)):::red
  B -.->|maybe| F>Flag]
  E ==> F
  F --- G
  G <--> H
  %% a comment line
  style A fill:#fff
  click A "https://example.org"
  subgraph S1 [Site One]
    direction LR
    I --> J
  end
  J --> S1
"""
    )
    assert graph.title == "Variants" and graph.direction == "TD"
    assert graph.nodes["A"].label == "Label (with) parens"
    assert graph.nodes["C"].shape == "database" and graph.nodes["E"].shape == "circle"
    assert graph.nodes["F"].shape == "asymmetric"
    edges = {(e.source, e.target): e for e in graph.edges}
    assert set(edges) == {
        ("A", "B"),
        ("B", "C"),
        ("B", "D"),
        ("B", "E"),
        ("B", "F"),
        ("E", "F"),
        ("F", "G"),
        ("G", "H"),
        ("I", "J"),
        ("J", "S1"),
    }
    assert edges["B", "E"].label == "yes"
    assert (edges["B", "F"].label, edges["B", "F"].style) == ("maybe", "dotted")
    assert edges["E", "F"].style == "thick"
    assert not edges["F", "G"].directed and not edges["G", "H"].directed
    assert graph.group("S1").members == ["I", "J"] and "S1" not in graph.nodes
    assert graph.label_of("S1") == "Site One"


def test_parse_sequence_syntax_variants():
    graph = parse(
        """sequenceDiagram
    autonumber
    participant C as Client
    actor U
    C->>+S: SYN
    S-->>-C: SYN-ACK
    C-)S: ACK
    C-xS: RST
    Note over C,S: handshake done
    opt keepalive
      C->S: ping
    end
    critical connect
      C->>S: x
    option timeout
      C->>C: log
    end
"""
    )
    assert graph.participants == ["C", "U", "S"]
    assert graph.nodes["U"].shape == "actor"
    assert [m.arrow for m in graph.messages] == ["->>", "-->>", "-)", "-x", "->", "->>", "->>"]
    assert graph.notes[0].targets == ["C", "S"]
    assert [(b.kind, b.start, b.end, b.branches) for b in graph.blocks] == [
        ("opt", 4, 5, []),
        ("critical", 5, 7, [("timeout", 6)]),
    ]


@pytest.mark.parametrize(
    "code",
    [
        "",
        'pie title Pets\n "Dogs" : 3',
        "flowchart TD\n A -->",
        "flowchart TD\n A[unclosed --> B",
        "flowchart TD\n subgraph x\n A --> B",
        "sequenceDiagram\n loop forever\n A->>B: hi",
        "sequenceDiagram\n this is not a message",
        "stateDiagram-v2\n state X {\n A --> B",
        "packet-beta\n 0-15 Source Port",
        "---\ntitle: x\nflowchart TD\n A",
    ],
)
def test_bad_source_raises_one_line_mermaid_error(code):
    with pytest.raises(MermaidError) as info:
        parse(code)
    assert "\n" not in str(info.value) and str(info.value)
    ok, reason = validate(code)
    assert not ok and reason == str(info.value)


def test_garbage_never_raises_anything_else():
    rng = random.Random(7)
    alphabet = "AB-->|[](){}\"'`;:#%&@ \n<=.~ox\\/*graph flowchart sequenceDiagram end"
    headers = [
        "",
        "flowchart LR\n",
        "sequenceDiagram\n",
        "stateDiagram-v2\n",
        "classDiagram\n",
        "packet-beta\n",
        "block-beta\n",
        "architecture-beta\n",
    ]
    for _ in range(600):
        code = rng.choice(headers) + "".join(
            rng.choice(alphabet) for _ in range(rng.randint(0, 60))
        )
        try:
            parse(code)
        except MermaidError as error:
            assert "\n" not in str(error)
        validate(code)
    with pytest.raises(MermaidError):
        parse(None)  # type: ignore[arg-type]


def test_validate_accepts_real_diagrams_and_rejects_empty():
    assert validate("flowchart LR\n A --> B") == (True, "")
    assert validate("flowchart LR")[0] is False


def test_graph_to_logical_and_back():
    graph = parse(
        "flowchart LR\n subgraph core [Core]\n m[MME] -->|S6a| h[HSS]\n end\n u[UE] --> m"
    )
    logical = graph_to_logical(graph, summary="attach path", backend="test")
    assert logical.figure_type == FigureType.flowchart
    assert logical.components == ["MME", "HSS", "UE"]
    lines = [r.to_line() for r in logical.relations]
    assert lines == ["MME -> HSS [S6a]", "UE -> MME", "Core contains MME", "Core contains HSS"]
    back = logical_to_graph(logical)
    assert _edges(back) == _edges(graph)
    assert back.groups[0].label == "Core"
    sequence = graph_to_logical(parse("sequenceDiagram\n A->>B: one\n B-->>A: two"))
    assert [(r.kind, r.label) for r in sequence.relations] == [
        ("message", "one"),
        ("message", "two"),
    ]
    again = logical_to_graph(sequence)
    assert [(m.label, m.order) for m in again.messages] == [("one", 0), ("two", 1)]
    packet = graph_to_logical(parse('packet-beta\n 0-15: "Source Port"'))
    assert packet.components == ["Source Port"]
    assert logical_to_graph(packet).fields == [PacketField(0, 15, "Source Port")]


@pytest.mark.corpus
def test_corpus_syntax_pages_parse_rate(corpus):
    total, parsed, failures = 0, 0, []
    for name in SUPPORTED_PAGES:
        text = (corpus / "mermaid" / name).read_text(encoding="utf-8")
        for block in re.findall(r"```(?:mermaid|mermaid-example)\n(.*?)```", text, re.S):
            total += 1
            try:
                parse(block)
                parsed += 1
            except MermaidError as error:
                failures.append(f"{name}: {error}")
    assert total >= 200
    assert parsed / total >= CORPUS_PARSE_RATE, failures
