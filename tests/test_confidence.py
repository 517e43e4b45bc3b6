"""The checked confidence: a reading that uses the figure's words and joins real labels
scores above one made of fragments, loose nodes or no links."""

from __future__ import annotations

from ictrag.figures import confidence
from ictrag.figures.graph import DiagramGraph, Edge

TEXT = "Router A\nRouter B\nSwitch C\neth0\neth1"


def _topology(labels: list[str], links: list[tuple[int, int]]) -> DiagramGraph:
    graph = DiagramGraph(kind="topology")
    for i, label in enumerate(labels):
        graph.add_node(f"n{i + 1}", label)
    graph.edges = [Edge(f"n{a + 1}", f"n{b + 1}", "", False, "solid") for a, b in links]
    return graph


def test_fragments_and_parser_ids_are_flagged() -> None:
    for label in (".33", "A", ".2 A", "n5", "t12", "", "10.0.0.1"):
        assert confidence.is_fragment(label), label
    for label in ("Router A", "r1", "SD_DURING_FIND", "eth0"):
        assert not confidence.is_fragment(label), label


def test_good_reading_scores_above_bad_ones() -> None:
    good = _topology(["Router A", "Router B", "Switch C"], [(0, 1), (1, 2)])
    fragments = _topology([".33", "A", "n5"], [(0, 1), (1, 2)])
    loose = _topology(["Router A", "Router B", "Switch C"], [])
    scores = {
        name: confidence.score(confidence.checks(graph, TEXT, 0.8, raster=False))
        for name, graph in (("good", good), ("fragments", fragments), ("loose", loose))
    }
    assert scores["good"] > scores["fragments"]
    assert scores["good"] > scores["loose"]
    found = confidence.checks(good, TEXT, 0.8, raster=False)
    assert found["dangling"] == 0.0 and found["fragments"] == 0.0
    assert 0.5 < found["words_used"] <= 1.0


def test_sequence_checks_count_messages() -> None:
    graph = DiagramGraph(kind="sequence")
    graph.add_participant("p1", "Client")
    graph.add_participant("p2", "Server")
    graph.add_participant("p3", "Idle")
    graph.add_message("p1", "p2", "Request")
    graph.add_message("p2", "p1", "")
    found = confidence.checks(graph, "Client Server Idle Request", 0.7, raster=True)
    assert found["unlabelled"] == 0.5
    assert abs(found["dangling"] - 1 / 3) < 1e-9
    assert found["raster"] == 1.0 and found["no_structure"] == 0.0


def test_doubts_name_the_uncertain_parts() -> None:
    graph = _topology([".33", "Router B", "Router B", "Switch C"], [(0, 1)])
    said = confidence.doubts(graph, TEXT)
    assert any("fragments" in d and "'.33'" in d for d in said)
    assert any(d.startswith("nothing connects") and "'Switch C'" in d for d in said)
    assert any("repeated labels" in d and "'Router B'" in d for d in said)
    assert confidence.doubts(_topology(["Router A", "Router B"], []), "Router A Router B") == [
        "no links or messages were recovered"
    ]
    good = _topology(["Router A", "Router B", "Switch C"], [(0, 1), (1, 2)])
    assert confidence.doubts(good, "Router A Router B Switch C") == []


def test_a_doubtful_reading_says_so_and_keeps_its_mermaid(tmp_path) -> None:
    import pymupdf

    from ictrag.config import CaptionSettings
    from ictrag.figures.base import FigureInput
    from ictrag.figures.structural import StructuralCaptioner
    from ictrag.load.drawings import region_content

    # boxes labelled with address fragments and one link: a reading that checks badly
    doc = pymupdf.open()
    page = doc.new_page(width=400, height=200)
    for x, label in ((40, ".33"), (160, "A"), (280, ".2 A")):
        page.draw_rect(pymupdf.Rect(x, 60, x + 80, 100), color=(0, 0, 0))
        page.insert_text((x + 25, 85), label, fontsize=11)
    page.draw_line((120, 80), (160, 80), color=(0, 0, 0))
    item = FigureInput(image_path=None, vector=region_content(page, tuple(page.rect)))
    strict = StructuralCaptioner(CaptionSettings(min_confidence=0.99)).describe_one(item)
    lenient = StructuralCaptioner(CaptionSettings(min_confidence=0.0)).describe_one(item)
    assert strict.confidence == lenient.confidence < 0.99
    assert "Uncertain reading" in strict.summary and "fragments" in strict.summary
    assert "Uncertain" not in lenient.summary
    assert strict.mermaid == lenient.mermaid and strict.relations == lenient.relations
