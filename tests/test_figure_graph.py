"""The graph tool: `ictrag figure`, HTTP /figures/{id}/..., MCP get_figure and figure_graph,
over an index of docs/samples. Expected answers are the figures as drawn by
docs/samples/make_sample.py, not what the reader happens to output."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from ictrag.cli.main import app
from ictrag.index.figures import label_matches
from ictrag.kb import KnowledgeBase
from tests.test_http import _command, _free_port

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "docs" / "samples"

# make_sample.draw_flowchart
FLOW = [
    "Start",
    "Client connects to port GE0/0/1",
    "Client sends EAPOL-Start",
    "AR-100 relays identity to RADIUS server",
    "Credentials valid?",
    "Port authorized, assign VLAN 10",
    "End",
]
REJECT = "Reject and log failure"
# make_sample.draw_sequence: (source, target, text), numbered from 1 as drawn
ATTACH = [
    ("UE", "eNodeB", "Attach Request"),
    ("eNodeB", "MME", "Attach Request (S1-MME)"),
    ("MME", "UE", "Authentication Request"),
    ("UE", "MME", "Authentication Response"),
    ("MME", "UE", "Security Mode Command"),
    ("UE", "MME", "Security Mode Complete"),
    ("MME", "eNodeB", "Initial Context Setup Request"),
    ("eNodeB", "UE", "Attach Accept"),
    ("UE", "MME", "Attach Complete"),
]


@pytest.fixture(scope="module")
def index(tmp_path_factory, sample_pdf) -> Path:
    # sample.docx and sample.pptx both embed topology.png: one figure id, two documents
    path = tmp_path_factory.mktemp("graph") / "idx"
    files = [sample_pdf, SAMPLES / "sample.docx", SAMPLES / "sample.pptx"]
    assert KnowledgeBase(path, workers=1).ingest(files).ok
    return path


def _cli(index: Path, *args: str):
    return CliRunner().invoke(app, ["figure", *args, "--index", str(index)])


def _json(index: Path, *args: str) -> dict:
    result = _cli(index, *args, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def _squash(text: str) -> str:
    return "".join(text.split()).casefold()


def _text_is(actual: str, drawn: str, order: int | None = None) -> bool:
    """The drawn text, which the sample numbers "3. Authentication Request"."""
    wanted = f"{order}. {drawn}" if order else drawn
    return _squash(actual) == _squash(wanted)


def test_label_matching_is_case_and_space_insensitive_and_stops_at_the_number():
    assert label_matches("Figure 5-1 DMZ web access", "figure 5 - 1")
    assert label_matches("Figure 4.2.2.2.2-1 Attach procedure", "FIGURE 4.2.2.2.2-1")
    assert not label_matches("Figure 5-10 Another", "Figure 5-1")
    assert not label_matches("Figure 4.2.2 Detail", "Figure 4.2")
    assert not label_matches("Figure 2-1 Flow", "Figure 2")


def test_cli_structure_of_the_flowchart_by_label(index: Path):
    graph = _json(index, "figure 2 - 1")
    assert graph["figure"]["label"] == "Figure 2-1 802.1X authentication flow"
    assert graph["figure"]["page"] == 3 and graph["type"] == "flowchart"
    assert 0 < graph["confidence"] <= 1
    labels = {node["label"] for node in graph["nodes"]}
    assert set(FLOW) | {REJECT} <= labels
    edges = {(e["source_label"], e["target_label"], e["label"]) for e in graph["edges"]}
    drawn = {(a, b, "") for a, b in zip(FLOW, FLOW[1:], strict=False)} - {(FLOW[4], FLOW[5], "")}
    assert drawn | {(FLOW[4], FLOW[5], "Yes"), (FLOW[4], REJECT, "No")} <= edges
    ids = {node["id"] for node in graph["nodes"]}
    assert all(e["source"] in ids and e["target"] in ids and e["directed"] for e in graph["edges"])
    decision = next(n for n in graph["nodes"] if n["label"] == "Credentials valid?")
    assert decision["kind"] == "decision"


def test_cli_path_neighbours_and_between(index: Path):
    path = _json(index, "Figure 2-1", "--path", "start", "END")
    assert path["found"] and path["directed"]
    assert [n["label"] for n in path["nodes"]] == FLOW
    assert [s["label"] for s in path["steps"]] == ["", "", "", "", "Yes", ""]

    back = _json(index, "Figure 2-1", "--path", "reject", "Start")  # against every arrow
    assert back["found"] and not back["directed"]
    assert [n["label"] for n in back["nodes"]] == [REJECT, *FLOW[4::-1]]
    assert not any(step["forward"] for step in back["steps"])

    near = _json(index, "Figure 2-1", "--neighbours", "credentials valid")
    got = {(n["direction"], n["node"]["label"], n["label"]) for n in near["neighbours"]}
    assert got == {("in", FLOW[3], ""), ("out", FLOW[5], "Yes"), ("out", REJECT, "No")}

    between = _json(index, "Figure 4-1", "--between", "ue", "mme")
    expected = [(i + 1, m) for i, m in enumerate(ATTACH) if {m[0], m[1]} == {"UE", "MME"}]
    messages = between["messages"]
    assert [m["order"] for m in messages] == [order for order, _ in expected]
    for message, (order, (source, target, text)) in zip(messages, expected, strict=True):
        assert (message["source_label"], message["target_label"]) == (source, target)
        assert _text_is(message["text"], text, order)

    enb = _json(index, "Figure 4-1", "--neighbours", "eNodeB")["messages"]
    drawn = [(i + 1, "received" if b == "eNodeB" else "sent", a if b == "eNodeB" else b, t)
             for i, (a, b, t) in enumerate(ATTACH) if "eNodeB" in (a, b)]  # fmt: skip
    assert [(m["order"], m["direction"], m["peer"]["label"]) for m in enb] == [d[:3] for d in drawn]
    assert all(_text_is(m["text"], d[3], d[0]) for m, d in zip(enb, drawn, strict=True))

    dmz = _json(index, "Figure 5-1", "--path", "internet", "mail relay")  # the raster figure
    hops = [n["label"] for n in dmz["nodes"]]
    assert len(hops) == 3 and hops[0] == "Internet"
    assert "FW-DMZ-01" in hops[1] and "Mail Relay" in hops[2]


def test_one_image_in_two_documents(index: Path):
    graph = _json(index, "Figure 1-1")  # the label is only in the docx
    figure_id = graph["figure"]["id"]
    assert graph["figure"]["page"] == 1
    ambiguous = _cli(index, figure_id[:16])
    assert ambiguous.exit_code == 2
    assert "sample.docx" in ambiguous.output and "sample.pptx" in ambiguous.output
    chosen = _json(index, figure_id, "--doc", "sample.pptx")
    assert chosen["figure"]["id"] == figure_id
    assert chosen["figure"]["doc_id"] != graph["figure"]["doc_id"]
    # make_sample.topology_png: Core-SW-01 -> Access-SW-02 (XGE0/0/1), -> Access-SW-03 (XGE0/0/2)
    path = _json(index, figure_id, "--doc", "sample.docx", "--path", "Access-SW-02", "access-sw-03")
    hops = [n["label"] for n in path["nodes"]]
    assert len(hops) == 3 and hops[1].startswith("Core-SW-01")
    assert [s["label"] for s in path["steps"]] == ["XGE0/0/1", "XGE0/0/2"]


def test_errors_and_exit_codes(index: Path):
    missing = _cli(index, "Figure 9-9")
    assert missing.exit_code == 1 and "no figure" in missing.output
    unknown = _cli(index, "Figure 2-1", "--neighbours", "radius srv")
    assert unknown.exit_code == 1
    assert "no node 'radius srv'" in unknown.output and "AR-100 relays identity" in unknown.output
    vague = _cli(index, "Figure 2-1", "--neighbours", "client")
    assert vague.exit_code == 2 and "Client sends EAPOL-Start" in vague.output
    both = _cli(index, "Figure 2-1", "--path", "a", "b", "--between", "a", "b")
    assert both.exit_code == 2
    assert _cli(index, "Figure 2-1", "--doc", "nope.pdf").exit_code == 1
    text = _cli(index, "Figure 4-1", "--between", "UE", "MME")
    assert text.exit_code == 0 and "Authentication Request" in text.output


@pytest.fixture
def api(index: Path):  # gone before the MCP test: the Edge shard is one process at a time
    port = _free_port()
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "ICTRAG_WORKERS": "1"}
    env.pop("ICTRAG_API_TOKEN", None)
    args = ["--index", str(index), "--port", str(port), "--log-level", "warning"]
    process = subprocess.Popen(_command(*args), cwd=ROOT, env=env)
    client = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60)
    try:
        deadline = time.monotonic() + 90
        while True:
            assert process.poll() is None, "server exited"
            try:
                if client.get("/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "server did not start"
            time.sleep(0.3)
        yield client
    finally:
        client.close()
        process.terminate()
        process.wait(timeout=20)


def test_http_figure_graph_routes(api: httpx.Client, index: Path):
    found = api.get("/figures", params={"label": "figure 4-1"}).json()
    assert [f["label"] for f in found] == ["Figure 4-1 Attach signalling"]
    fid = found[0]["id"]
    view = api.get(f"/figures/{fid}").json()
    assert view["type"] == "sequence" and "mermaid" in view and view["also_in"] == []
    cli_graph = _json(index, fid)
    assert view["graph"] == cli_graph
    assert api.get(f"/figures/{fid}/graph").json() == cli_graph
    near = api.get(f"/figures/{fid}/neighbours", params={"node": "enodeb"}).json()
    assert [m["order"] for m in near["messages"]] == [1, 2, 7, 8]
    between = api.get(f"/figures/{fid}/between", params={"a": "UE", "b": "MME"}).json()
    assert [m["order"] for m in between["messages"]] == [3, 4, 5, 6, 9]
    path = api.get(f"/figures/{fid}/path", params={"a": "UE", "b": "MME"}).json()
    assert path["found"] and [n["label"] for n in path["nodes"]] == ["UE", "MME"]
    assert _text_is(path["steps"][0]["label"], "Authentication Response", 4)  # the first UE -> MME
    assert api.get(f"/figures/{fid}/neighbours", params={"node": "HSS"}).status_code == 404

    shared = _json(index, "Figure 1-1")["figure"]["id"]
    assert api.get(f"/figures/{shared}/graph").status_code == 409
    rows = api.get("/figures", params={"label": shared}).json()  # an id works there too
    assert sorted(Path(row["doc"]).suffix for row in rows) == [".docx", ".pptx"]
    first = api.get(f"/figures/{shared}").json()  # as before: the first document's, plus the others
    assert first["doc_id"] == rows[0]["doc_id"]
    assert [row["doc_id"] for row in first["also_in"]] == [rows[1]["doc_id"]]
    pptx = api.get(f"/figures/{shared}", params={"doc": "sample.pptx"}).json()
    assert pptx["path"].endswith("sample.pptx") and pptx["also_in"][0]["doc"] == "sample.docx"
    assert api.get(f"/figures/{shared}/graph", params={"doc": "sample.docx"}).status_code == 200


async def _agent(index: Path) -> dict:
    from mcp import ClientSession
    from mcp.client.stdio import StdioServerParameters, stdio_client

    params = StdioServerParameters(
        command=sys.executable,
        args=["-m", "ictrag", "mcp", "--index", str(index)],
        env={**os.environ, "HF_HUB_OFFLINE": "1"},
        cwd=str(ROOT),
    )
    out: dict = {}
    async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
        await session.initialize()
        call = session.call_tool
        out["tools"] = {tool.name for tool in (await session.list_tools()).tools}
        out["structure"] = await call("figure_graph", {"figure": "Figure 2-1"})
        fid = json.loads(_text(out["structure"]))["figure"]["id"]
        out["get"] = await call("get_figure", {"figure_id": fid})
        out["path"] = await call("figure_graph", {"figure": fid, "question": "path",
                                                  "a": "Start", "b": "End"})  # fmt: skip
        out["between"] = await call("figure_graph", {"figure": "Figure 4-1", "question": "between",
                                                     "a": "MME", "b": "ue"})  # fmt: skip
        out["neighbours"] = await call("figure_graph", {"figure": "Figure 4-1",
                                                        "question": "neighbours", "a": "MME"})  # fmt: skip
        out["no_b"] = await call("figure_graph", {"figure": "Figure 4-1", "question": "path", "a": "UE"})  # noqa: E501
        out["shared"] = await call("figure_graph", {"figure": "Figure 1-1"})
        shared = json.loads(_text(out["shared"]))["figure"]["id"]
        out["ambiguous"] = await call("figure_graph", {"figure": shared})
        out["chosen"] = await call("figure_graph", {"figure": shared, "doc": "sample.pptx"})
    return out


def _text(result) -> str:
    return "".join(block.text for block in result.content if block.type == "text")


def test_mcp_figure_graph_through_a_client_session(index: Path):
    pytest.importorskip("mcp")
    out = asyncio.run(asyncio.wait_for(_agent(index), timeout=180))
    assert {"figure_graph", "get_figure"} <= out["tools"]
    structure = json.loads(_text(out["structure"]))
    assert structure["type"] == "flowchart" and set(FLOW) <= {n["label"] for n in structure["nodes"]}
    view = json.loads(_text(out["get"]))
    assert view["graph"] == structure and "logical_text" in view
    assert [n["label"] for n in json.loads(_text(out["path"]))["nodes"]] == FLOW
    messages = json.loads(_text(out["between"]))["messages"]
    assert [m["order"] for m in messages] == [3, 4, 5, 6, 9]
    mme = json.loads(_text(out["neighbours"]))["messages"]
    drawn = [(i + 1, "sent" if a == "MME" else "received") for i, (a, b, _) in enumerate(ATTACH)
             if "MME" in (a, b)]  # fmt: skip
    assert [(m["order"], m["direction"]) for m in mme] == drawn
    assert out["no_b"].is_error and "needs a and b" in _text(out["no_b"])
    assert out["ambiguous"].is_error
    assert "sample.docx" in _text(out["ambiguous"]) and "sample.pptx" in _text(out["ambiguous"])
    chosen = json.loads(_text(out["chosen"]))
    assert chosen["figure"]["label"] == "Core and Access Topology"  # the slide's title


def test_notes_groups_and_the_relations_fallback_without_an_index():
    from ictrag.figures.query import figure_graph, neighbours, path, ref_of
    from ictrag.model import Document, FigureType, LogicalText, Relation
    from ictrag.model import Figure as FigureModel

    mermaid = """sequenceDiagram
  participant A as UE
  participant B as AMF
  A->>B: Registration Request
  Note over A,B: NAS over N1
  B->>A: Registration Accept"""
    figure = FigureModel(id="ab" * 32, label="Figure 4.2.2.2.2-1 Registration", logical=LogicalText(
        figure_type=FigureType.sequence, mermaid=mermaid, confidence=0.8))  # fmt: skip
    document = Document(id="cd" * 32, source="/x/TS23502.pdf")
    graph = figure_graph(figure, ref_of(figure, document))
    assert graph.source == "mermaid" and graph.figure.doc == "TS23502.pdf"
    assert [(n.targets, n.target_labels, n.text) for n in graph.notes] == [(["A", "B"], ["UE", "AMF"], "NAS over N1")]  # noqa: E501
    assert [(m.order, m.source_label, m.text) for m in graph.messages] == [
        (1, "UE", "Registration Request"), (2, "AMF", "Registration Accept")]  # fmt: skip

    flow = "flowchart LR\n  subgraph dmz [DMZ]\n    w[Web]\n  end\n  fw[Firewall] --> w\n"
    boxed = FigureModel(id="ef" * 32, logical=LogicalText(figure_type=FigureType.topology, mermaid=flow))  # noqa: E501
    near = neighbours(figure_graph(boxed, ref_of(boxed, document)), "web")
    assert near.groups == ["DMZ"] and [(n.direction, n.node.label) for n in near.neighbours] == [("in", "Firewall")]  # noqa: E501

    broken = FigureModel(id="01" * 32, logical=LogicalText(
        figure_type=FigureType.topology, mermaid="flowchart TD\n  a -->",
        relations=[Relation(source="PE1", target="P", label="10GE", directed=False),
                   Relation(source="P", target="PE2", label="10GE", directed=False)]))  # fmt: skip
    fallback = figure_graph(broken, ref_of(broken, document))
    assert fallback.source == "relations"
    route = path(fallback, "pe1", "PE2")
    assert [n.label for n in route.nodes] == ["PE1", "P", "PE2"] and route.found
