from __future__ import annotations

import json
import sys

import pytest

from ictrag.figures.base import FigureInput
from ictrag.figures.mermaid.repair import checked_mermaid, repair_mermaid, validate_mermaid
from ictrag.figures.models.answer import parse_answer
from ictrag.figures.models.grounding import ungrounded_terms
from ictrag.figures.models.prompt import PROMPT_VERSION, build_messages
from ictrag.model import FigureType, LogicalText, Relation

ITEM = FigureInput(
    image_path="/tmp/figure-3-2.png",
    label="Figure 3-2 OSPF backbone",
    context="Area 0 connects all other OSPF areas through ABRs.",
    inner_text="R1 R2 ABR Area 0 Area 1",
)

WELL_FORMED = """TYPE: topology
SUMMARY: Two routers join OSPF Area 1 to the backbone Area 0.
COMPONENTS:
- R1
- R2 (ABR)
- Area 0
RELATIONS:
- R1 -> R2 : Area 0
- R2 -- Area 1
MERMAID:
```mermaid
flowchart LR
    R1[R1] -->|Area 0| R2[R2 ABR]
    R2 --- A1[Area 1]
```"""


def text_of(messages: list[dict]) -> str:
    return "\n".join(part["text"] for part in messages[1]["content"] if part["type"] == "text")


def test_prompt_carries_label_context_inner_text():
    messages = build_messages(ITEM)
    assert [m["role"] for m in messages] == ["system", "user"]
    assert "only" in messages[0]["content"].lower()
    text = text_of(messages)
    for expected in (ITEM.label, ITEM.context, ITEM.inner_text, "TYPE:", "RELATIONS:"):
        assert expected in text
    assert messages[1]["content"][0] == {"type": "image", "image": ITEM.image_path}
    assert PROMPT_VERSION


def test_prompt_without_image_or_grounding_has_no_empty_sections():
    messages = build_messages(FigureInput(image_path=None))
    assert all(part["type"] == "text" for part in messages[1]["content"])
    text = text_of(messages)
    assert "Figure label" not in text and "Text inside" not in text and "hint" not in text


def test_well_formed_answer_parses_every_section():
    logical = parse_answer(WELL_FORMED, "dicmodel", "m1")
    assert logical.figure_type == FigureType.topology
    assert logical.summary.startswith("Two routers")
    assert logical.components == ["R1", "R2 (ABR)", "Area 0"]
    assert logical.relations[0] == Relation(source="R1", target="R2", label="Area 0")
    assert logical.relations[1].directed is False and logical.relations[1].target == "Area 1"
    assert logical.mermaid and logical.mermaid.startswith("flowchart LR")
    assert (logical.backend, logical.model) == ("dicmodel", "m1")
    assert logical.confidence == pytest.approx(1.0)


def test_json_answer_parses():
    answer = {
        "figure_type": "Sequence diagram",
        "summary": "DHCP address assignment.",
        "components": ["Client", {"name": "Server"}],
        "relations": [
            {"source": "Client", "target": "Server", "label": "DISCOVER"},
            "Server -> Client : OFFER",
        ],
        "mermaid": "sequenceDiagram\n    Client->>Server: DISCOVER\n    Server->>Client: OFFER",
    }
    logical = parse_answer("Here you go:\n```json\n" + json.dumps(answer) + "\n```", "openai", "m")
    assert logical.figure_type == FigureType.sequence
    assert logical.components == ["Client", "Server"]
    assert [r.label for r in logical.relations] == ["DISCOVER", "OFFER"]
    assert all(r.kind == "message" for r in logical.relations)
    assert logical.mermaid and logical.mermaid.startswith("sequenceDiagram")


def test_markdown_answer_without_mermaid():
    answer = (
        "**Type:** flowchart\n\n## Summary\nLogin check.\n\n**Components**\n* Start\n"
        "* Check password\n\n### Relations\n1. Start --> Check password: submit\n"
    )
    logical = parse_answer(answer, "openai", "m")
    assert logical.figure_type == FigureType.flowchart
    assert logical.summary == "Login check."
    assert logical.components == ["Start", "Check password"]
    assert logical.relations == [Relation(source="Start", target="Check password", label="submit")]
    assert logical.mermaid is None
    assert 0 < logical.confidence < 1.0


def test_broken_mermaid_is_repaired_once():
    answer = (
        "TYPE: flowchart\nSUMMARY: x\n```mermaid\nHere is the diagram:\n"
        "A[Router] --> B[eth0/1: 10.0.0.1]\nThis shows the uplink.\n```"
    )
    logical = parse_answer(answer, "openai", "m")
    assert logical.mermaid is not None
    lines = logical.mermaid.splitlines()
    assert lines[0] == "flowchart TD"
    assert 'B["eth0/1: 10.0.0.1"]' in logical.mermaid
    assert not any("Here is" in line or "shows" in line for line in lines)
    assert validate_mermaid(logical.mermaid)[0]


def test_unrepairable_mermaid_becomes_none():
    assert checked_mermaid("just some words\nand more words") is None
    logical = parse_answer("SUMMARY: s\n```mermaid\nno diagram here at all\n```", "x", "m")
    assert logical.mermaid is None and logical.summary == "s"


def test_repair_keeps_sequence_header_for_sequence_type():
    repaired = repair_mermaid(
        "Sure:\nUE->>MME: Attach Request\nMME->>UE: Attach Accept", "sequence"
    )
    assert repaired.splitlines()[0] == "sequenceDiagram"
    assert "UE->>MME: Attach Request" in repaired


@pytest.mark.parametrize(
    "text",
    ["", "   \n", "}{ ```mermaid\n", "\x00\x01 ->", "TYPE:", "{not json", "[1, 2]", "->->->"],
)
def test_empty_or_garbage_never_raises(text):
    logical = parse_answer(text, "dicmodel", "m")
    assert isinstance(logical, LogicalText)
    assert logical.confidence <= 0.3
    if not text.strip():
        assert logical.confidence == 0 and logical.summary == ""


def test_unknown_type_is_other():
    assert parse_answer("TYPE: spaceship\nSUMMARY: s", "x", "m").figure_type == FigureType.other
    assert parse_answer("TYPE: state machine\nSUMMARY: s", "x", "m").figure_type == FigureType.state


def test_ungrounded_terms_flag_invented_names_and_lower_confidence():
    answer = (
        "TYPE: topology\nSUMMARY: s\nCOMPONENTS:\n- Router R1\n- Firewall FW9\n"
        "RELATIONS:\n- Router R1 -> switch : GigabitEthernet0/1"
    )
    figure_text = "ROUTER r1\nSwitches\nGigabitEthernet0/1 uplink"
    plain = parse_answer(answer, "x", "m")
    grounded = parse_answer(answer, "x", "m", figure_text=figure_text)
    assert ungrounded_terms(plain, figure_text) == ["Firewall", "FW9"]
    assert grounded.ungrounded == ["Firewall", "FW9"]
    assert grounded.confidence < plain.confidence
    clean = parse_answer(answer.replace("- Firewall FW9\n", ""), "x", "m", figure_text=figure_text)
    assert clean.ungrounded == [] and clean.confidence == plain.confidence


def test_grounding_is_skipped_without_figure_text():
    logical = parse_answer(WELL_FORMED, "x", "m", figure_text="")
    assert logical.ungrounded == [] and logical.confidence == pytest.approx(1.0)


def test_unfenced_mermaid_section_is_used():
    logical = parse_answer(
        "TYPE: flowchart\nSUMMARY: s\nMERMAID:\nflowchart TD\n  A --> B", "x", "m"
    )
    assert logical.mermaid == "flowchart TD\n  A --> B"


def test_fallback_validation_when_mermaid_module_is_missing(monkeypatch):
    monkeypatch.setitem(sys.modules, "ictrag.figures.mermaid", None)  # import raises ImportError
    assert validate_mermaid("flowchart TD\n    A[Router] --> B[Switch]")[0]
    assert not validate_mermaid("Here is the diagram:\nA --> B")[0]
    assert not validate_mermaid("flowchart TD\n    A --> B\nThis shows the uplink.")[0]
    assert checked_mermaid("Here is the diagram:\nA --> B") == "flowchart TD\n    A --> B"


def test_membership_lines_parse_as_contains_relations():
    from ictrag.figures.models.answer import parse_answer

    answer = (
        "Type: architecture\nSummary: core network\nComponents: Core; MME; HSS\n"
        "Relations:\n- Core contains MME\n- MME -> HSS : S6a\n"
    )
    logical = parse_answer(answer, "dicmodel", "m")
    kinds = [(r.kind, r.source, r.target, r.label) for r in logical.relations]
    assert ("contains", "Core", "MME", "") in kinds
    assert any(k[1:] == ("MME", "HSS", "S6a") and k[0] != "contains" for k in kinds)
    assert [r.to_line() for r in logical.relations][0] == "Core contains MME"
