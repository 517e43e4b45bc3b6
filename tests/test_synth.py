"""Training data: synthetic diagrams, captions, VQA, expert import and drafts (no model)."""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from ictrag.training.data import format_answer
from ictrag.training.experts import export_drafts, import_experts
from ictrag.training.synth.generate import FAMILIES, generate_diagram
from ictrag.training.synth.pairs import PairsOptions, build_pairs, read_jsonl
from ictrag.training.synth.render import renderer_available
from ictrag.training.synth.rewrite import OpenAIRewriter, template_logical
from ictrag.training.synth.vqa import VQAItem, synth_vqa, verify
from PIL import Image

from ictrag.figures.graph import DiagramGraph, Edge
from ictrag.figures.mermaid import emit, graph_to_logical, parse
from ictrag.figures.models.answer import parse_answer
from ictrag.index.docstore import DocStore
from ictrag.index.manifest import Manifest, ManifestEntry
from ictrag.model import Document, Figure, FigureType, LogicalText


def structure(logical: LogicalText) -> tuple:
    relations = sorted((r.source, r.target, r.label, r.kind, r.directed) for r in logical.relations)
    return logical.figure_type, sorted(logical.components), relations


def test_generator_is_deterministic_under_a_seed():
    first = [generate_diagram(i, seed=7) for i in range(30)]
    again = [generate_diagram(i, seed=7) for i in range(30)]
    assert [d.code for d in first] == [d.code for d in again]
    assert [d.theme for d in first] == [d.theme for d in again]
    other = [generate_diagram(i, seed=1000) for i in range(30)]
    assert sum(a.code != b.code for a, b in zip(first, other, strict=True)) >= 25


def test_generator_has_controlled_variety():
    diagrams = [generate_diagram(i, seed=0) for i in range(300)]
    kinds = Counter(d.kind for d in diagrams)
    assert set(kinds) == set(FAMILIES) and min(kinds.values()) >= 10
    assert len({d.code for d in diagrams}) >= 280
    assert {d.meta["direction"] for d in diagrams} >= {"TD", "LR"}
    assert len({d.theme for d in diagrams}) >= 4
    assert Counter(d.meta["styled"] for d in diagrams)[True] >= 30
    assert Counter(d.meta["show_title"] for d in diagrams)[True] >= 100
    sizes = [len(d.graph.nodes) + len(d.graph.fields) for d in diagrams]
    assert min(sizes) <= 4 and max(sizes) >= 11
    text = "\n".join(d.code for d in diagrams)
    for term in ("AMF", "UPF", "S1-MME", "GE0/0/", "ESTABLISHED", "RRC_INACTIVE", "Full", "TEID", "alt ", "loop "):  # fmt: skip
        assert term in text, term
    assert "packet-beta" in text and "stateDiagram-v2" in text and "sequenceDiagram" in text


def test_every_diagram_parses_back_to_the_graph_its_caption_describes():
    for index in range(400):
        diagram = generate_diagram(index, seed=3)
        truth = graph_to_logical(diagram.graph)
        rendered = graph_to_logical(parse(diagram.code))  # what the picture shows
        caption = template_logical(diagram.mermaid, seed=index)  # what the caption says
        assert structure(rendered) == structure(truth), diagram.code
        assert structure(caption) == structure(truth), diagram.code
        assert caption.summary and caption.mermaid == diagram.mermaid.strip()
        if not diagram.meta["show_title"]:
            assert diagram.meta["topic"] not in caption.summary  # never names what is not drawn


def test_answer_format_parses_back_to_the_same_logical_text():
    for index in range(60):
        logical = template_logical(generate_diagram(index, seed=5).mermaid, seed=index)
        back = parse_answer(format_answer(logical), "test", "")
        assert back.figure_type == logical.figure_type
        assert back.summary == logical.summary
        assert back.components == logical.components
        assert structure(back) == structure(logical)  # kinds too: fields, membership
        assert structure(parse_answer(logical.to_text(), "test", "")) == structure(logical)
        assert back.mermaid is not None and parse(back.mermaid).kind == parse(logical.mermaid).kind


def records(n: int, seed: int = 0) -> list[dict]:
    out = []
    for index in range(n):
        diagram = generate_diagram(index, seed)
        out.append({"id": diagram.id, "image": f"images/{diagram.id}.png", "mermaid": diagram.mermaid})  # fmt: skip
    return out


def test_vqa_answers_are_verified_against_the_graph():
    pairs = records(80)
    items, report = synth_vqa(pairs, seed=1, per_pair=4)
    assert report.kept == len(items) >= 200 and report.unparsable_pairs == 0
    assert report.dropped_unverified > 0  # ambiguous proposals exist and are dropped
    assert {"mc_next", "tf_link", "count", "next", "interface", "field_bits", "open_components"} <= set(report.by_kind)  # fmt: skip
    graphs = {p["id"]: parse(p["mermaid"]) for p in pairs}
    answers = Counter()
    for item in items:
        assert verify(item, graphs[item.pair_id]), item
        if item.choices:
            assert len(set(item.choices)) == 4 and item.answer[0] in "ABCD"
            vocabulary = set(graphs[item.pair_id].component_labels()) | {m.label for m in graphs[item.pair_id].messages}  # fmt: skip
            assert set(item.choices) <= vocabulary  # distractors come from the same diagram
        if item.kind == "tf_link":
            answers[item.answer] += 1
        wrong = item.model_copy(update={"answer": item.answer + "x"})
        assert not verify(wrong, graphs[item.pair_id])
    assert answers["True"] and answers["False"]


def test_vqa_drops_ambiguous_questions_and_checks_expert_items():
    graph = DiagramGraph(kind="flowchart")
    for node_id, label in [("a", "Check link"), ("b", "Reboot"), ("c", "Check link"), ("d", "Log")]:
        graph.add_node(node_id, label)
    graph.edges = [Edge("a", "b"), Edge("b", "c"), Edge("c", "d")]
    pair = {"id": "p1", "image": "x.png", "mermaid": emit(graph)}
    ambiguous = VQAItem(id="q", image="x.png", question="?", answer="Reboot", kind="next", check={"op": "next", "args": {"label": "Check link"}})  # fmt: skip
    assert not verify(ambiguous, parse(pair["mermaid"]))
    experts = [
        {
            "id": "e1",
            "pair_id": "p1",
            "image": "x.png",
            "question": "After Reboot?",
            "answer": "Check link",
            "kind": "next",
            "check": {"op": "next", "args": {"label": "Reboot"}},
        },  # fmt: skip
        {
            "id": "e2",
            "pair_id": "p1",
            "image": "x.png",
            "question": "After Reboot?",
            "answer": "Log",
            "kind": "next",
            "check": {"op": "next", "args": {"label": "Reboot"}},
        },  # fmt: skip
        {"id": "e3", "image": "x.png", "question": "Why?"},
        {
            "id": "e4",
            "image": "x.png",
            "question": "What does the figure show?",
            "answer": "A procedure",
            "kind": "open",
        },  # fmt: skip
    ]
    items, report = synth_vqa([pair], experts=experts)
    kept = {item.id for item in items if item.source == "expert"}
    assert kept == {"e1", "e4"} and report.experts == 2
    assert [e.split(":")[0] for e in report.expert_errors] == ["expert row 2", "expert row 3"]
    assert not any("Check link" in item.question and item.kind == "next" for item in items if item.source == "template")  # fmt: skip


def write_png(path: Path, color: str, size=(80, 60)) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", size, color).save(path)
    return path


def test_expert_import_reports_errors_per_row_dedups_and_splits(tmp_path: Path):
    images = tmp_path / "figs"
    for i, color in enumerate(["red", "green", "blue", "white", "black", "yellow", "gray", "pink"]):
        write_png(images / f"f{i}.png", color)
    write_png(images / "copy.png", "red")  # same bytes as f0.png
    caption = "TYPE: topology\nSUMMARY: Two routers.\nCOMPONENTS:\n- R1\n- R2\nRELATIONS:\n- R1 -- R2 : GE0/0/1"
    rows = [json.dumps({"image": f"f{i}.png", "caption": caption, "type": "topology"}) for i in range(8)]  # fmt: skip
    rows.insert(2, "{not json")
    rows.insert(4, json.dumps({"image": "f1.png"}))  # no caption
    rows.insert(5, json.dumps({"image": "missing.png", "caption": caption}))
    rows.append(json.dumps({"image": "copy.png", "caption": caption}))
    rows.append(
        json.dumps({"image": "f7.png", "caption": caption, "mermaid": "flowchart TD\n A -->"})
    )
    rows.append(json.dumps({"image": "f2.png", "caption": caption, "type": "hologram"}))
    source = tmp_path / "experts.jsonl"
    source.write_text("\n".join(rows) + "\n")
    report = import_experts(source, images, tmp_path / "out", val_fraction=0.3)
    lines = {error.line: error.message for error in report.errors}
    assert set(lines) == {3, 5, 6, 13, 14}
    assert "not JSON" in lines[3] and "caption" in lines[5] and "not found" in lines[6]
    assert "mermaid" in lines[13] and "type" in lines[14]
    assert report.imported == 8 and report.duplicates == 1 and report.train + report.val == 8
    assert report.val >= 1 and report.train >= 1
    train = read_jsonl(tmp_path / "out" / "train.jsonl")
    assert all((tmp_path / "out" / r["image"]).is_file() for r in train)
    assert train[0]["logical"]["components"] == ["R1", "R2"] and train[0]["type"] == "topology"
    again = import_experts(source, images, tmp_path / "out2", val_fraction=0.3)
    assert (tmp_path / "out2" / "val.jsonl").read_text() == (tmp_path / "out" / "val.jsonl").read_text().replace("out/", "out2/")  # fmt: skip
    assert again.val == report.val
    csv_file = tmp_path / "experts.csv"
    csv_file.write_text(
        'image,summary,components,type\nf0.png,Two routers,"R1;R2",topology\nf1.png,,,\n'
    )
    report = import_experts(csv_file, images, tmp_path / "csv", val_fraction=0.0)
    assert report.imported == 1 and [e.line for e in report.errors] == [3]


def test_drafts_export_figures_with_their_logical_text(tmp_path: Path):
    index = tmp_path / "index"
    png = write_png(index / "figures" / "a.png", "white")
    logical = LogicalText(figure_type=FigureType.flowchart, summary="Boot steps", components=["Power on", "Load image"])  # fmt: skip
    document = Document(id="d" * 64, source="manual.pdf", title="Manual", elements=[
        Figure(id="f" * 64, page=3, image_path=str(png), label="Figure 3-1 Boot", logical=logical),
        Figure(id="e" * 64, page=4, image_path=str(index / "gone.png")),
    ])  # fmt: skip
    DocStore(index / "docs").put(document)
    manifest = Manifest(index / "manifest.json")
    manifest.put(ManifestEntry(path="manual.pdf", sha256="0", doc_id=document.id, chunks=1))
    manifest.save()
    assert export_drafts(index, tmp_path / "drafts") == 1
    row = read_jsonl(tmp_path / "drafts" / "drafts.jsonl")[0]
    assert row["page"] == 3 and "Boot steps" in row["caption"] and row["type"] == "flowchart"
    assert (tmp_path / "drafts" / "images" / row["image"]).is_file()
    assert "Figure 3-1 Boot" in (tmp_path / "drafts" / "review.html").read_text()
    report = import_experts(tmp_path / "drafts" / "drafts.jsonl", tmp_path / "drafts" / "images", tmp_path / "back")  # fmt: skip
    assert report.imported == 1 and not report.errors


@contextlib.contextmanager
def chat_server(tmp_path: Path, answer: str):
    """tests/chat_server.py (a real OpenAI-compatible HTTP server) answering `answer`."""
    answer_file, log = tmp_path / "answer.txt", tmp_path / "log.jsonl"
    answer_file.write_text(answer)
    log.unlink(missing_ok=True)
    server = subprocess.Popen([sys.executable, "tests/chat_server.py", "--log", str(log), "--answer", str(answer_file)], stdout=subprocess.PIPE, text=True)  # fmt: skip
    try:
        port = int(server.stdout.readline().split()[1])
        yield f"http://127.0.0.1:{port}/v1", log
    finally:
        server.terminate()
        server.wait()


def test_openai_rewriter_keeps_structure_and_rejects_invented_terms(tmp_path: Path):
    logical = template_logical(generate_diagram(3, seed=0).mermaid)
    with chat_server(tmp_path, f"This figure shows how {logical.components[0]} works, step by step.") as (url, log):  # fmt: skip
        rewriter = OpenAIRewriter(url, "test-model")
        good = rewriter.rewrite(logical)
        body = json.loads(log.read_text().splitlines()[0])["body"]
    assert good.summary.startswith("This figure shows how") and good.backend == "synth+openai"
    assert (good.components, good.relations, good.mermaid) == (logical.components, logical.relations, logical.mermaid)  # fmt: skip
    assert body["model"] == "test-model" and logical.components[0] in body["messages"][1]["content"]
    with chat_server(tmp_path, "The Huawei NE40E router runs BGP-LS.") as (url, _):
        rewriter = OpenAIRewriter(url, "test-model")
        bad = rewriter.rewrite(logical)
    assert bad.summary == logical.summary and bad.backend.endswith("-rejected")
    assert rewriter.rejected == 1


@pytest.mark.skipif(not renderer_available(), reason="Mermaid renderer not installed (scripts/install_mermaid.sh)")  # fmt: skip
def test_pairs_are_rendered_for_real_and_resumable(tmp_path: Path):
    first = build_pairs(PairsOptions(n=4, out=tmp_path, seed=11))
    assert first.written + first.render_failures == 4 and first.written >= 3
    second = build_pairs(PairsOptions(n=6, out=tmp_path, seed=11))
    assert second.existing == 4 and second.written + second.render_failures == 2
    rows = read_jsonl(tmp_path / "pairs.jsonl")
    assert len({r["id"] for r in rows}) == len(rows) == first.written + second.written
    for row in rows:
        with Image.open(tmp_path / row["image"]) as image:
            assert image.width > 50 and image.height > 30
        logical = LogicalText.model_validate(row["logical"])
        assert row["caption"] == logical.to_text() and row["type"] == logical.figure_type.value
        assert structure(graph_to_logical(parse(row["mermaid"]))) == structure(logical)


def test_exact_drafts_keep_figures_whose_file_states_their_structure(tmp_path: Path):
    from ictrag.model import DiagramSource, SourceCell

    index = tmp_path / "index"
    cells = [SourceCell(id="a", kind="vertex", label="AMF"), SourceCell(id="b", kind="vertex", label="SMF")]
    glued = DiagramSource(format="drawingml", cells=[*cells, SourceCell(id="e", kind="edge", source="a", target="b")])  # fmt: skip
    loose = DiagramSource(format="drawingml", cells=[*cells, SourceCell(id="e", kind="edge", source="a", target_point=(5.0, 5.0))])  # fmt: skip
    code = DiagramSource(format="plantuml", text="@startuml\nA -> B : hi\n@enduml")
    logical = LogicalText(figure_type=FigureType.architecture, summary="AMF and SMF", components=["AMF", "SMF"])  # fmt: skip
    figures = []
    for number, source in enumerate((glued, loose, code, None)):
        png = write_png(index / "figures" / f"{number}.png", ("white", "red", "blue", "green")[number])
        figures.append(Figure(id=str(number) * 64, page=number + 1, image_path=str(png), logical=logical, source=source))  # fmt: skip
    document = Document(id="d" * 64, source="spec.pptx", title="Spec", elements=figures)
    DocStore(index / "docs").put(document)
    manifest = Manifest(index / "manifest.json")
    manifest.put(ManifestEntry(path="spec.pptx", sha256="0", doc_id=document.id, chunks=1))
    manifest.save()
    assert export_drafts(index, tmp_path / "all") == 4
    assert [r["exact"] for r in read_jsonl(tmp_path / "all" / "drafts.jsonl")] == [True, False, True, False]  # fmt: skip
    assert export_drafts(index, tmp_path / "exact", exact_only=True) == 2
    rows = read_jsonl(tmp_path / "exact" / "drafts.jsonl")
    assert [(r["page"], r["source_format"]) for r in rows] == [(1, "drawingml"), (3, "plantuml")]
    report = import_experts(tmp_path / "exact" / "drafts.jsonl", tmp_path / "exact" / "images", tmp_path / "stage2")  # fmt: skip
    assert report.imported == 2 and not report.errors
