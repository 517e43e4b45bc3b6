"""MCP server (official `mcp` SDK) exposing one ictrag index to agents.

    ictrag mcp --index manuals                      # stdio, for Claude Desktop and friends
    ictrag mcp --index manuals --transport streamable-http --port 8765
    python -m ictrag.interfaces.mcp --index indexes/manuals

Tools: search, get_figure, figure_graph, list_documents, get_page. The KnowledgeBase is opened once, and
blocking work runs in worker threads so the event loop keeps serving.
"""

from __future__ import annotations

import json
from typing import Any, Literal

import anyio
from mcp.types import ImageContent, TextContent

from ictrag.figures.query import GraphQueryError
from ictrag.index.figures import AmbiguousFigure, FigureNotFound
from ictrag.views import (
    InterfaceError,
    clean_figure_id,
    figure_image,
    figure_view,
    page_text,
)

try:  # mcp >= 2 renamed FastMCP to MCPServer
    from mcp.server.mcpserver import MCPServer as _Server
    from mcp.server.mcpserver.exceptions import ToolError

    _V2 = True
except ImportError:  # pragma: no cover - mcp 1.x
    from mcp.server.fastmcp import FastMCP as _Server
    from mcp.server.fastmcp.exceptions import ToolError

    _V2 = False

INSTRUCTIONS = """\
This server searches a knowledge base of ICT manuals (networking and telecom documentation).
Figures (topologies, sequence diagrams, flowcharts, ...) are indexed as "logical text": a
summary, the components, the relations (edges, messages, steps) and Mermaid source.
Start with `search`. When a hit is a figure, or a page shows a figure placeholder, call
`get_figure` with its id to get the full logical text, the Mermaid and the image itself;
`figure_graph` answers neighbour, path and message questions over one figure.
Use `get_page` to read the text around a hit, and `list_documents` to see what is indexed
(and the names to pass as `doc`)."""

MAX_K = 50


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, indent=1)


def build_server(kb: Any, name: str = "ictrag") -> Any:
    """An MCP server whose tools call `kb` (an ictrag.kb.KnowledgeBase)."""
    server = _Server(name, instructions=INSTRUCTIONS)

    @server.tool(structured_output=False)
    async def search(
        query: str,
        k: int = 5,
        kind: Literal["text", "figure"] | None = None,
        doc: str | None = None,
    ) -> str:
        """Hybrid (semantic + keyword) search over the indexed ICT manuals.

        Returns a JSON list of hits, best first. Each hit has: rank, score, kind ("text" or
        "figure"), doc (title), doc_id, path, page, heading (section path), text (the chunk;
        a figure appears once, its text being the best-matching of its chunks then the others,
        e.g. its own words then its logical text), texts (those chunks' texts, best first) and
        figure (null, or {id, type, label, image, mermaid}).
        Use it first for any question about the manuals. Set kind="figure" to find diagrams
        only (topologies, signalling flows, ...); set doc to a document title, file name or
        id (see list_documents) to search inside one document. k is 1-50.
        """
        if not query.strip():
            raise ToolError("query is empty")
        limit = max(1, min(int(k), MAX_K))
        hits = await anyio.to_thread.run_sync(lambda: kb.search(query, k=limit, kind=kind, doc=doc))
        return _json([hit.to_json() for hit in hits])

    @server.tool(structured_output=False)
    async def get_figure(figure_id: str, doc: str | None = None) -> list[TextContent | ImageContent]:  # noqa: E501
        """Everything about one figure, by the id a search hit or a page placeholder gave
        (the full 64-hex id or its first 16 characters).

        Returns two content blocks: a JSON object (label, type, doc, page, heading,
        logical_text with summary / components / relations, mermaid, inner_text = the text
        printed inside the figure, context = the surrounding paragraph, graph = the structure:
        nodes, edges with labels, messages in order, notes, groups, confidence; also_in = other
        documents holding the same image) and the figure as a PNG image. Use it to answer
        questions about a diagram's nodes, links, interfaces, addresses or message order, or
        to show the diagram. doc picks the document when the image is in several.
        """
        try:
            fid = clean_figure_id(figure_id)
        except InterfaceError as error:
            raise ToolError(str(error)) from None

        def find():
            found = kb.figure(fid, doc)
            return found, kb.figures(fid, labels=False) if found else []

        found, places = await anyio.to_thread.run_sync(find)
        if found is None:
            raise ToolError(f"no figure with id {figure_id!r}; ids come from search hits")
        figure, document = found
        blocks: list[TextContent | ImageContent] = [
            TextContent(type="text", text=_json(figure_view(figure, document, also_in=places)))
        ]
        image = figure_image(figure, kb.path)
        if image is not None:
            data = await anyio.to_thread.run_sync(image.read_bytes)
            blocks.append(_image_content(data))
        return blocks

    @server.tool(structured_output=False)
    async def figure_graph(
        figure: str,
        question: Literal["structure", "neighbours", "path", "between"] = "structure",
        a: str | None = None,
        b: str | None = None,
        doc: str | None = None,
    ) -> str:
        """Ask one figure's graph. figure: its id (from search or get_page) or its label
        ("Figure 5-1", case- and space-insensitive); doc: the document, when the figure is in
        several. Node names (a, b) are labels, matched exactly, then ignoring case and
        spaces, then as a unique part of a label.

        question="structure": nodes, edges with labels, messages in order, notes, groups.
        question="neighbours", a=NODE: the node's edges in and out with labels, and in a
        sequence diagram the messages it sends and receives, in order.
        question="path", a, b: the shortest path from a to b with the edge labels on the way
        (directed=false when only a path ignoring arrow directions exists).
        question="between", a, b: the edges and the messages between a and b, in order.
        Returns JSON. Use it for "which node connects X to Y", "what does X send after Y",
        "which messages go between X and Y".
        """
        if question in ("neighbours", "path", "between") and not (a and a.strip()):
            raise ToolError(f"question {question!r} needs a (a node name)")
        if question in ("path", "between") and not (b and b.strip()):
            raise ToolError(f"question {question!r} needs a and b (two node names)")
        asks = {
            "structure": lambda: kb.figure_graph(figure, doc),
            "neighbours": lambda: kb.figure_neighbours(figure, a, doc),
            "path": lambda: kb.figure_path(figure, a, b, doc),
            "between": lambda: kb.figure_between(figure, a, b, doc),
        }
        try:
            answer = await anyio.to_thread.run_sync(asks[question])
        except (AmbiguousFigure, FigureNotFound, GraphQueryError) as error:
            raise ToolError(str(error)) from None
        return _json(answer.model_dump(mode="json"))

    @server.tool(structured_output=False)
    async def list_documents() -> str:
        """The indexed documents as a JSON list of {doc_id, path, title, pages, chunks,
        figures}. Use it to learn what the knowledge base covers and which names to pass
        as `doc` to search or get_page."""
        rows = await anyio.to_thread.run_sync(kb.documents)
        return _json(rows)

    @server.tool(structured_output=False)
    async def get_page(doc: str, page: int) -> str:
        """The text of one page (1-based) of a document, in reading order. Figures appear as
        placeholders like "[Figure 3-1 Campus network topology — figure id e93b172fe9239f4d;
        call get_figure]". Use it to read the context around a search hit (pass the hit's doc
        and page); doc may be a title, file name, path or doc_id."""
        document = await anyio.to_thread.run_sync(kb.document, doc)
        if document is None:
            raise ToolError(f"no document {doc!r}; see list_documents")
        if not 1 <= page <= max(document.page_count, 1):
            raise ToolError(f"page {page} is outside 1-{document.page_count}")
        elements = [e for e in document.elements if e.page == page]
        text = page_text(elements)
        title = document.title or doc
        return f"{title} — page {page} of {document.page_count}\n\n{text or '(no text on this page)'}"  # fmt: skip

    return server


def _image_content(data: bytes) -> ImageContent:
    import base64

    # by alias: mcp 1.x names the field mimeType, mcp 2.x mime_type (alias mimeType)
    payload = {"type": "image", "data": base64.b64encode(data).decode(), "mimeType": "image/png"}
    return ImageContent.model_validate(payload)


def run_server(
    kb: Any,
    transport: Literal["stdio", "streamable-http"] = "stdio",
    host: str = "127.0.0.1",
    port: int = 8765,
) -> None:
    """Open the index once (model loaded, shard opened), then serve until the client leaves."""
    from ictrag.interfaces.http import ServeError, is_loopback

    if transport == "streamable-http" and not is_loopback(host):
        raise ServeError("the MCP HTTP transport has no auth here: bind 127.0.0.1 or put it behind an authenticating proxy")  # fmt: skip
    _ = kb.store
    kb.embedder.encode_query("warm up")
    server = build_server(kb)
    if transport == "stdio":
        server.run("stdio")
    elif _V2:
        server.run("streamable-http", host=host, port=port)
    else:  # pragma: no cover - mcp 1.x keeps host/port in settings
        server.settings.host, server.settings.port = host, port
        server.run("streamable-http")
