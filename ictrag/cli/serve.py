"""Typer commands for the agent interfaces and exports, mounted by ictrag/cli/main.py:

app.command("serve")(serve_command)
app.command("mcp")(mcp_command)
app.add_typer(export_app, name="export")
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Literal

import typer

from ictrag.cli.common import ConfigOpt, IndexOpt, UrlOpt, fail, open_kb


def serve_command(
    index: IndexOpt = None,
    host: Annotated[
        str, typer.Option(help="Bind address; a non-loopback one needs a token.")
    ] = "127.0.0.1",  # noqa: E501
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
    token: Annotated[
        str | None,
        typer.Option(help="Bearer token (or ICTRAG_API_TOKEN).", envvar="ICTRAG_API_TOKEN"),
    ] = None,  # noqa: E501
    max_upload_mb: Annotated[
        float, typer.Option(help="Largest upload body, MB (413 above).")
    ] = 100.0,  # noqa: E501
    max_body_kb: Annotated[float, typer.Option(help="Largest other request body, KB.")] = 64.0,
    log_level: Annotated[str, typer.Option(help="uvicorn log level.")] = "info",
    config: ConfigOpt = None,
    qdrant_url: UrlOpt = None,
) -> None:
    """Serve the HTTP API (search, figures, documents, ingest jobs); schema at /openapi.json."""
    from ictrag.extras import require

    require("serve", "ictrag serve")
    from ictrag.interfaces.http import ServeError, ServerConfig, is_loopback, serve

    if not is_loopback(host) and not token:
        raise fail(f"binding to {host} needs --token or ICTRAG_API_TOKEN")
    server_config = ServerConfig(token=token or None, max_upload_mb=max_upload_mb, max_body_kb=max_body_kb)  # fmt: skip
    try:
        serve(open_kb(index, qdrant_url, config), host, port, server_config, log_level)
    except ServeError as error:
        raise fail(str(error)) from None


def mcp_command(
    index: IndexOpt = None,
    transport: Annotated[str, typer.Option(help="stdio (default) or streamable-http.")] = "stdio",
    host: Annotated[
        str, typer.Option(help="Bind address for streamable-http (loopback only).")
    ] = "127.0.0.1",  # noqa: E501
    port: Annotated[int, typer.Option(help="Port for streamable-http.")] = 8765,
    config: ConfigOpt = None,
    qdrant_url: UrlOpt = None,
) -> None:
    """Serve the index to agents over MCP: tools search, get_figure, list_documents, get_page."""
    from ictrag.extras import require

    require("serve", "ictrag mcp")
    from ictrag.interfaces.http import ServeError
    from ictrag.interfaces.mcp import run_server

    if transport not in ("stdio", "streamable-http"):
        raise fail(f"unknown transport {transport!r}: use stdio or streamable-http")
    try:
        run_server(open_kb(index, qdrant_url, config), transport, host, port)  # type: ignore[arg-type]
    except ServeError as error:
        raise fail(str(error)) from None


export_app = typer.Typer(
    help="Export the index: pretraining corpus, figure/caption pairs.", no_args_is_help=True
)  # noqa: E501


@export_app.command("corpus")
def export_corpus_command(
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder for the shards.")],
    index: IndexOpt = None,
    fmt: Annotated[str, typer.Option("--format", help="jsonl (gzip) or parquet.")] = "jsonl",
    shard_size: Annotated[int, typer.Option(help="Documents per shard.")] = 1000,
    licence: Annotated[
        str, typer.Option("--licence", "--license", help="Licence recorded on every record.")
    ] = "unknown",  # noqa: E501
    near_threshold: Annotated[
        float, typer.Option(help="Jaccard over word 5-shingles for near duplicates.")
    ] = 0.8,  # noqa: E501
    model_tokens: Annotated[
        bool, typer.Option(help="Also count embedder-tokenizer tokens.")
    ] = True,  # noqa: E501
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    config: ConfigOpt = None,
) -> None:
    """One record per document in reading order, figures inlined as <figure> logical text;
    exact and near duplicates removed; deterministic shards."""
    from ictrag.export.corpus import CorpusOptions, ExportError, export_corpus

    if fmt not in ("jsonl", "parquet"):
        raise fail(f"unknown format {fmt!r}: use jsonl or parquet")
    try:
        options = CorpusOptions(out=out, format=_fmt(fmt), shard_size=shard_size, licence=licence,
                                near_threshold=near_threshold, model_tokens=model_tokens)  # fmt: skip
        report = export_corpus(open_kb(index, config=config), options)
    except (ExportError, ValueError) as error:
        raise fail((str(error).splitlines() or [""])[0]) from None
    if as_json:
        typer.echo(report.model_dump_json(indent=1))
    else:
        typer.echo(
            f"{report.written} documents written to {out} ({len(report.shards)} shards), "
            f"{len(report.dropped)} duplicates dropped, {report.figures} figures, "
            f"{report.tokens_whitespace} words"
        )


@export_app.command("pairs")
def export_pairs_command(
    out: Annotated[
        Path, typer.Option("--out", "-o", help="Output folder (images/ + pairs.jsonl).")
    ],  # noqa: E501
    index: IndexOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    config: ConfigOpt = None,
) -> None:
    """Figure images with their logical text: the stage-2 draft pairs."""
    from ictrag.export.corpus import ExportError, export_pairs

    try:
        report = export_pairs(open_kb(index, config=config), out)
    except ExportError as error:
        raise fail(str(error)) from None
    if as_json:
        typer.echo(json.dumps(report.model_dump()))
    else:
        typer.echo(
            f"{report.written} pairs written to {out / 'pairs.jsonl'} ({report.figures} figures seen)"
        )  # noqa: E501


def _fmt(value: str) -> Literal["jsonl", "parquet"]:
    return "parquet" if value == "parquet" else "jsonl"
