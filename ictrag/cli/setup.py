"""`ictrag setup renderers`: install the runtime pieces pip cannot."""

from __future__ import annotations

from typing import Annotated

import typer

from ictrag.cli.common import JsonOpt, fail, out

setup_app = typer.Typer(no_args_is_help=True)


@setup_app.command("renderers")
def setup_renderers(
    force: Annotated[bool, typer.Option(help="Reinstall even when current.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Install the Mermaid renderer's node modules into the user cache ($ICTRAG_CACHE, else
    $XDG_CACHE_HOME/ictrag, else ~/.cache/ictrag); needs node, npm and chromium."""
    from ictrag.training.synth.renderers import SetupError
    from ictrag.training.synth.renderers import setup_renderers as install

    try:
        report = install(force=force)
    except SetupError as error:
        raise fail(str(error), code=1) from None
    if as_json:
        print(report.model_dump_json())
        return
    versions = ", ".join(f"{name} {version}" for name, version in report.packages.items())
    state = "installed" if report.installed else "already current"
    out.print(f"mermaid renderer {state} in {report.directory} ({versions})", soft_wrap=True)
