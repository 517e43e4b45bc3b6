"""Stage-1 synthesis across real renderers: every structure written for Mermaid, Graphviz,
PlantUML, mscgen, seqdiag and a draw.io-style SVG, drawn by the real tool, checked against
its caption words, captioned from the structure, and resumable."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from ictrag.training.synth import sources
from ictrag.training.synth.degrade import degrade
from ictrag.training.synth.faithful import missing_words
from ictrag.training.synth.generate import generate_diagram
from ictrag.training.synth.pairs import PairsOptions, plan_pairs, read_jsonl
from ictrag.training.synth.render import renderer_available
from ictrag.training.synth.render_tools import available, plantuml_svgs, render_svg
from ictrag.training.synth.sources.common import link_parts
from ictrag.training.synth.styles import Style, sample_style
from PIL import Image
from typer.testing import CliRunner

from ictrag.cli.main import app
from ictrag.figures.graph import DiagramGraph, Edge, graph_to_logical
from ictrag.figures.mermaid import emit, parse

TOOLS = {"graphviz": "dot", "plantuml": "plantuml", "mscgen": "mscgen", "seqdiag": "seqdiag", "drawio": "dot"}  # fmt: skip
needs_tools = pytest.mark.skipif(
    not all(available(t) for t in set(TOOLS.values())),
    reason="renderers not installed (scripts/install_renderers.sh)",  # fmt: skip
)


def structure(graph: DiagramGraph):
    logical = graph_to_logical(graph)
    return (logical.figure_type, sorted(logical.components),
            sorted((r.source, r.target, r.label, r.kind) for r in logical.relations))  # fmt: skip


def _svg(renderer: str, source: str) -> str:
    if renderer == "drawio":
        return source
    if renderer == "plantuml":
        return plantuml_svgs([source])[0]
    return render_svg(source, TOOLS[renderer])


@needs_tools
def test_every_writer_is_drawn_by_its_real_tool_with_every_word_of_its_caption():
    drawn: dict[str, set[str]] = {r: set() for r in sources.RENDERERS[1:]}
    plantuml_jobs = []
    for index in range(48):
        diagram = generate_diagram(index, seed=5)
        for renderer in sources.RENDERERS[1:]:
            if not sources.draws(renderer, diagram.graph):
                continue
            shown = sources.adapt(renderer, diagram.graph)
            # the caption's structure is exactly what the adapted graph's Mermaid parses to
            assert structure(parse(emit(shown))) == structure(shown), (renderer, index)
            style = sample_style(renderer, shown.kind, random.Random(index))
            source = sources.emit(renderer, shown, style)
            if renderer == "plantuml":
                plantuml_jobs.append((shown, source))
                continue
            assert missing_words(shown, _svg(renderer, source), renderer) == [], (renderer, source)
            drawn[renderer].add(shown.kind)
    for (shown, _), svg in zip(plantuml_jobs, plantuml_svgs([s for _, s in plantuml_jobs]), strict=True):  # fmt: skip
        assert isinstance(svg, str) and missing_words(shown, svg, "plantuml") == [], svg
        drawn["plantuml"].add(shown.kind)
    assert drawn == {r: set(sources.FAMILIES[r]) for r in drawn}  # every family each can draw


@needs_tools
def test_the_check_notices_a_label_the_picture_lacks():
    diagram = next(generate_diagram(i, 2) for i in range(50) if generate_diagram(i, 2).kind == "state")  # fmt: skip
    style = Style("graphviz", "dot")
    source = sources.emit("graphviz", diagram.graph, style)
    label = next(n.label for n in diagram.graph.nodes.values() if n.shape == "state")
    broken = source.replace(f'label="{label}"', 'label="?"', 1)
    assert missing_words(diagram.graph, render_svg(broken, "dot"), "graphviz") == [label]
    assert missing_words(diagram.graph, render_svg(source, "dot"), "graphviz") == []


@needs_tools
def test_plantuml_batch_keeps_a_good_source_beside_a_rejected_one():
    good, bad = "@startuml\nA -> B : hello\n@enduml\n", "@startuml\nA -> B : x\nend\nzzz((\n@enduml\n"  # fmt: skip
    first, second, third = plantuml_svgs([good, bad, good])
    assert isinstance(first, str) and "hello" in first and isinstance(third, str)
    assert not isinstance(second, str) and "plantuml" in str(second)


def test_activity_writer_draws_chains_with_remedies_and_refuses_other_shapes():
    chain = DiagramGraph(kind="flowchart")
    for node_id, label, shape in (("start", "Start", "stadium"), ("s1", "Load image", "rect"),
                                  ("d1", "Checksum ok?", "decision"), ("r1", "Download again", "rect"),
                                  ("s2", "Reboot", "rect"), ("finish", "End", "stadium")):  # fmt: skip
        chain.add_node(node_id, label, shape)
    chain.edges = [Edge("start", "s1"), Edge("s1", "d1"), Edge("d1", "s2", "Yes"), Edge("d1", "r1", "No"),
                   Edge("r1", "s1"), Edge("s2", "finish")]  # fmt: skip
    assert sources.draws("plantuml", chain)
    text = sources.emit("plantuml", chain, Style("plantuml", "default"))
    assert "repeat\n:Load image;\nbackward :Download again;\nrepeat while (Checksum ok?) is (No) not (Yes)" in text  # fmt: skip
    assert text.index(":Reboot;") > text.index("repeat while") and text.count("stop") == 1
    joined = DiagramGraph(kind="flowchart", nodes=dict(chain.nodes), edges=[*chain.edges, Edge("start", "s2")])  # fmt: skip
    assert not sources.draws("plantuml", joined)  # a jump forward: not drawn wrong, not drawn


def test_link_ends_and_middles():
    assert link_parts(Edge("a", "b", "GE0/0/1 - 100GE2/0/11")) == ("GE0/0/1", "", "100GE2/0/11")
    assert link_parts(Edge("a", "b", "Vlanif200 10.1.2.1/30")) == ("Vlanif200", "10.1.2.1/30", "")
    assert link_parts(Edge("a", "b", "802.1Q trunk")) == ("", "802.1Q trunk", "")
    assert link_parts(Edge("a", "b", "1000BASE-T")) == ("", "1000BASE-T", "")


def test_noise_turns_the_png_into_a_jpeg_that_still_shows_the_drawing(tmp_path: Path):
    for raster in ("jpeg", "scan"):
        png = tmp_path / f"{raster}.png"
        image = Image.new("RGB", (300, 120), "white")
        image.paste((0, 0, 0), (40, 40, 260, 80))
        image.save(png)
        out = degrade(
            png, Style("graphviz", "dot", raster=raster, jpeg_quality=50), random.Random(1)
        )
        assert out.suffix == ".jpg" and not png.exists()
        with Image.open(out) as noisy:
            grey = noisy.convert("L")
            assert grey.getpixel((150, 60)) < 80 and grey.getpixel((10, 10)) > 180
            assert (noisy.mode == "L") == (raster == "scan")
    untouched = tmp_path / "none.png"
    Image.new("RGB", (10, 10), "white").save(untouched)
    assert degrade(untouched, Style("mermaid", "default"), random.Random(1)) == untouched


def test_plans_are_deterministic_and_runs_never_share_an_id():
    options = PairsOptions(
        n=80, out=Path("unused"), renderers=list(sources.RENDERERS), per_structure=2
    )
    plan = plan_pairs(options)
    assert plan == plan_pairs(options) and len(plan) == 80 and len({p.id for p in plan}) == 80
    assert {p.renderer for p in plan} == set(sources.RENDERERS)
    per_structure = {}
    for planned in plan:
        per_structure.setdefault(planned.index, []).append(planned.renderer)
    assert all(1 <= len(r) <= 2 for r in per_structure.values())
    other = plan_pairs(options.model_copy(update={"seed": 1}))
    assert not {p.id for p in plan} & {p.id for p in other}
    mermaid_only = plan_pairs(PairsOptions(n=5, out=Path("unused")))
    assert [p.id for p in mermaid_only] == [
        f"syn-0-{i:06d}" for i in range(5)
    ]  # `synth mermaid` ids


@needs_tools
@pytest.mark.skipif(not renderer_available(), reason="Mermaid renderer not installed")
def test_synth_diagrams_all_renderers_60_pairs_then_resume(tmp_path: Path):
    runner = CliRunner()
    args = [
        "synth",
        "diagrams",
        "--renderers",
        "all",
        "--n",
        "60",
        "--out",
        str(tmp_path),
        "--json",
    ]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["success_rate"] >= 0.98 and report["written"] >= 59
    assert len(report["per_renderer"]) >= 4
    rows = read_jsonl(tmp_path / "pairs.jsonl")
    assert len({r["id"] for r in rows}) == len(rows) == report["written"]
    for row in rows:
        assert row["renderer"] in sources.RENDERERS and row["style"].startswith(
            row["renderer"] + ":"
        )
        assert row["caption"].startswith("Figure type:") and row["source"]
        with Image.open(tmp_path / row["image"]) as image:
            assert image.width > 50 and image.height > 30
        graph = parse(row["mermaid"])
        assert structure(parse(emit(graph))) == structure(graph)
        assert sorted(graph_to_logical(graph).components) == sorted(row["logical"]["components"])
    assert {r["meta"]["style"]["raster"] for r in rows} >= {"none", "jpeg"}
    again = runner.invoke(app, ["synth", "diagrams", "--renderers", "all", "--n", "66", "--out", str(tmp_path), "--json"])  # fmt: skip
    assert again.exit_code == 0, again.output
    resumed = json.loads(again.output)
    assert resumed["existing"] == 60 and resumed["written"] + resumed["render_failures"] == 6


def test_unknown_renderer_is_one_clear_error(tmp_path: Path):
    result = CliRunner().invoke(app, ["synth", "diagrams", "--renderers", "mermaid,visio", "--out", str(tmp_path)])  # fmt: skip
    assert result.exit_code != 0 and "unknown renderer(s) ['visio']" in result.output
