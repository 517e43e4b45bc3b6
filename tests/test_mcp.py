"""The MCP server as an agent sees it: a real stdio subprocess and the SDK's client."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import sys
from pathlib import Path

import pytest

pytest.importorskip("mcp")

from mcp import ClientSession  # noqa: E402
from mcp.client.stdio import StdioServerParameters, stdio_client  # noqa: E402

from ictrag.kb import KnowledgeBase  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def index(tmp_path_factory, sample_pdf) -> Path:
    path = tmp_path_factory.mktemp("mcp") / "idx"
    report = KnowledgeBase(path, workers=1).ingest([sample_pdf])
    assert report.ok
    return path


async def _agent_script(index: Path) -> dict:
    """What an agent would do: list tools, search, then open the figure a hit names."""
    params = StdioServerParameters(
        command=sys.executable,
        args=["-m", "ictrag", "mcp", "--index", str(index)],
        env={**os.environ, "HF_HUB_OFFLINE": "1"},
        cwd=str(ROOT),
    )
    out: dict = {}
    async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
        await session.initialize()
        out["tools"] = (await session.list_tools()).tools
        call = session.call_tool
        out["search"] = await call(
            "search",
            {"query": "which messages does the UE exchange with the MME to attach", "k": 5},
        )  # noqa: E501
        out["figures"] = await call(
            "search", {"query": "campus topology access switches", "k": 3, "kind": "figure"}
        )  # noqa: E501
        out["documents"] = await call("list_documents", {})
        figure_id = json.loads(_text(out["figures"]))[0]["figure"]["id"]
        out["figure_id"] = figure_id
        out["figure"] = await call("get_figure", {"figure_id": figure_id})
        out["by_prefix"] = await call("get_figure", {"figure_id": figure_id[:16] + "…"})
        out["page"] = await call("get_page", {"doc": "ict-sample-manual.pdf", "page": 4})
        out["missing"] = await call("get_figure", {"figure_id": "0" * 64})
        out["bad_id"] = await call("get_figure", {"figure_id": "../../etc/passwd"})
        out["bad_page"] = await call("get_page", {"doc": "ict-sample-manual.pdf", "page": 99})
    return out


def _text(result) -> str:
    return "".join(block.text for block in result.content if block.type == "text")


def test_agent_lists_tools_searches_and_fetches_a_figure_with_its_image(index: Path):
    out = asyncio.run(asyncio.wait_for(_agent_script(index), timeout=120))
    by_name = {tool.name: tool for tool in out["tools"]}
    assert {"search", "get_figure", "list_documents", "get_page"} <= set(by_name)
    assert "get_figure" in by_name["get_page"].description
    assert "query" in by_name["search"].input_schema["properties"]

    search = out["search"]
    assert not search.is_error
    hits = json.loads(_text(search))
    assert 1 <= len(hits) <= 5
    assert any(
        hit["figure"] and hit["figure"]["label"] == "Figure 4-1 Attach signalling" for hit in hits
    )  # noqa: E501

    figure_hits = json.loads(_text(out["figures"]))
    assert figure_hits and all(hit["kind"] == "figure" for hit in figure_hits)
    assert figure_hits[0]["figure"]["label"] == "Figure 3-1 Campus network topology"
    assert json.loads(_text(out["documents"]))[0]["figures"] == 4

    figure_id = out["figure_id"]
    figure = out["figure"]
    assert not figure.is_error
    view = json.loads(_text(figure))
    assert view["label"] == "Figure 3-1 Campus network topology" and view["page"] == 4
    assert view["type"] == "topology" and "SW-A" in view["logical_text"]
    images = [block for block in figure.content if block.type == "image"]
    assert len(images) == 1 and images[0].mime_type == "image/png"
    assert base64.b64decode(images[0].data).startswith(b"\x89PNG")
    assert json.loads(_text(out["by_prefix"]))["id"] == figure_id

    text = _text(out["page"])
    placeholder = (
        f"[Figure 3-1 Campus network topology — figure id {figure_id[:16]}; call get_figure]"  # noqa: E501
    )
    assert placeholder in text
    assert (
        text.index("3.1 Campus Topology")
        < text.index(placeholder)
        < text.index("3.2 Routing with OSPF")
    )  # noqa: E501
    assert out["missing"].is_error and "no figure" in _text(out["missing"])
    assert out["bad_id"].is_error and "hex" in _text(out["bad_id"])
    assert out["bad_page"].is_error and "outside" in _text(out["bad_page"])
