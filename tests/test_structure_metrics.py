from __future__ import annotations

import pytest

from ictrag.evaluation.structure import (
    edge_f1,
    labelled_edge_f1,
    macro_average,
    message_f1,
    message_order_accuracy,
    node_label_f1,
    normalize_label,
    structure_scores,
)
from ictrag.figures.graph import DiagramGraph, Edge, PacketField
from ictrag.figures.mermaid import parse


def test_normalize_label_strips_case_quotes_markup_and_spaces():
    assert normalize_label('  "Core  <br/>Router" ') == "core router"
    assert normalize_label("**Bold**   `code`") == "bold code"
    assert normalize_label("it's &amp; “x”") == "its & x"


def test_node_label_f1_is_multiset_and_ignores_ids():
    gold = parse("flowchart LR\n a[Router] --> b[Switch]\n b --> c[Switch]\n c --> d[Host]")
    pred = parse('flowchart LR\n x["router"] --> y[" switch "]\n y --> z[Firewall]')
    score = node_label_f1(pred, gold)
    # gold {router, switch x2, host}, pred {router, switch, firewall}: 2 hits
    assert (score.hits, score.n_pred, score.n_gold) == (2, 3, 4)
    assert score.precision == pytest.approx(2 / 3)
    assert score.recall == pytest.approx(2 / 4)
    assert score.f1 == pytest.approx(2 * (2 / 3) * 0.5 / (2 / 3 + 0.5))  # 4/7


def test_edge_f1_by_label_with_direction():
    gold = parse("flowchart LR\n A[UE] -->|attach| B[MME]\n B --> C[HSS]\n C --- D[PCRF]")
    pred = parse("flowchart LR\n p[UE] --> q[MME]\n r[HSS] --> q\n s[PCRF] --- r")
    score = edge_f1(pred, gold)
    # UE->MME hit; HSS->MME is reversed (miss); PCRF--HSS equals HSS--PCRF undirected (hit)
    assert (score.hits, score.n_pred, score.n_gold) == (2, 3, 3)
    assert score.f1 == pytest.approx(2 / 3)
    labelled = labelled_edge_f1(pred, gold)
    # gold UE->MME carries "attach", pred has no label: only PCRF--HSS ("" == "") hits
    assert labelled.hits == 1
    assert labelled.f1 == pytest.approx(1 / 3)


def test_directed_edge_never_matches_undirected():
    gold = parse("flowchart LR\n A --- B")
    pred = parse("flowchart LR\n A --> B")
    assert edge_f1(pred, gold).f1 == 0.0


def test_empty_conventions():
    empty = DiagramGraph()
    assert node_label_f1(empty, empty).f1 == 1.0
    assert edge_f1(parse("flowchart LR\n A --> B"), empty).f1 == 0.0
    assert message_order_accuracy(empty, empty) == 1.0


GOLD_SEQ = """sequenceDiagram
    UE->>eNB: RRC Connection Request
    eNB->>UE: RRC Connection Setup
    UE->>eNB: RRC Connection Setup Complete
    eNB->>MME: Initial UE Message
"""


def test_message_f1_and_order_accuracy():
    gold = parse(GOLD_SEQ)
    pred = parse(
        """sequenceDiagram
        participant U as ue
        U->>eNB: RRC connection setup complete
        eNB->>U: RRC Connection Setup
        U->>eNB: RRC Connection Request
        eNB->>MME: Paging
        """
    )
    score = message_f1(pred, gold)
    assert (score.hits, score.n_pred, score.n_gold) == (3, 4, 4)
    assert score.f1 == pytest.approx(0.75)
    # matched gold positions in predicted order: 2, 1, 0 -> no consecutive pair in order
    assert message_order_accuracy(pred, gold) == 0.0
    same = parse(GOLD_SEQ)
    assert message_order_accuracy(same, gold) == 1.0
    swapped = parse(GOLD_SEQ.replace("RRC Connection Request", "X").replace("Initial UE", "Y"))
    # matches gold 1 and 2 only, in order
    assert message_order_accuracy(swapped, gold) == 1.0


def test_order_accuracy_partial():
    gold = parse("sequenceDiagram\n A->>B: 1\n A->>B: 2\n A->>B: 3\n A->>B: 4")
    pred = parse("sequenceDiagram\n A->>B: 1\n A->>B: 3\n A->>B: 2\n A->>B: 4")
    # gold positions 0, 2, 1, 3: pairs (0,2) ok, (2,1) wrong, (1,3) ok -> 2/3
    assert message_order_accuracy(pred, gold) == pytest.approx(2 / 3)


def test_packet_fields_are_components():
    gold = DiagramGraph(kind="packet", fields=[PacketField(0, 15, "Source Port")])
    pred = parse('packet-beta\n 0-15: "source port"\n 16-31: "Destination Port"')
    assert node_label_f1(pred, gold).f1 == pytest.approx(2 / 3)


def test_structure_scores_and_macro_average():
    flow_gold = parse("flowchart LR\n A --> B")
    flow_pred = parse("flowchart LR\n A --> B\n B --> C")
    row1 = structure_scores(flow_pred, flow_gold)
    assert set(row1) == {"node_f1", "edge_f1", "labelled_edge_f1"}
    assert row1["node_f1"] == pytest.approx(0.8)
    assert row1["edge_f1"] == pytest.approx(2 / 3)
    seq = parse(GOLD_SEQ)
    row2 = structure_scores(seq, seq)
    assert set(row2) == {"node_f1", "message_f1", "message_order"}
    average = macro_average([row1, row2])
    assert average["node_f1"] == pytest.approx(0.9)
    assert average["edge_f1"] == pytest.approx(2 / 3)
    assert average["message_f1"] == 1.0
    assert average["n"] == 2 and average["n_edge_f1"] == 1


def test_edges_to_groups_use_group_label():
    graph = parse("flowchart LR\n subgraph core [Core Network]\n m[MME]\n end\n u[UE] --> core")
    assert edge_f1(graph, parse("flowchart LR\n x[UE] --> y[Core Network]")).f1 == 1.0
    assert Edge("a", "b").directed
