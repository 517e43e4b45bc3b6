"""`ictrag index migrate`: move an index between Qdrant Edge and a Qdrant server."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from ictrag.cli.common import fail, index_dir
from ictrag.index.migrate import MigrateError, migrate


def migrate_command(
    from_index: Annotated[
        str | None, typer.Option("--from-index", help="Edge index NAME or PATH to copy from")
    ] = None,
    to_url: Annotated[str | None, typer.Option("--to-url", help="Qdrant server URL")] = None,
    from_url: Annotated[
        str | None, typer.Option("--from-url", help="Qdrant server URL to copy from")
    ] = None,
    to_index: Annotated[
        str | None, typer.Option("--to-index", help="Edge index NAME or PATH to copy into")
    ] = None,
    local_path: Annotated[
        str | None,
        typer.Option("--local-path", help="qdrant-client local-mode folder instead of a URL"),
    ] = None,
    collection: Annotated[str | None, typer.Option("--collection", "-c")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Copy an index's vectors: Edge → Qdrant server (--from-index, --to-url) or
    server → Edge (--from-url, --to-index), verifying per-document counts."""
    from ictrag.config import load_settings

    settings = load_settings()
    if from_index and (to_url or (local_path and not from_url)) and not to_index:
        index, to_server, url = from_index, True, to_url
    elif to_index and (from_url or local_path) and not from_index:
        index, to_server, url = to_index, False, from_url
    else:
        raise fail("give --from-index with --to-url, or --from-url with --to-index")
    try:
        report = migrate(
            index_dir(index, settings.home),
            settings,
            to_server=to_server,
            url=url,
            path=local_path,
            collection=collection,
        )
    except MigrateError as error:
        raise fail(str(error), code=1) from error
    if as_json:
        typer.echo(json.dumps(report.model_dump()))
    else:
        typer.echo(
            f"copied {report.points} points of {report.documents} documents "
            f"{report.source} → {report.target} in {report.seconds:.1f}s (verified)"
        )
