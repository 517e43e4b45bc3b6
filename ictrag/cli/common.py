"""What every `ictrag` command shares: options, index resolution, the error line."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

out = Console()
err = Console(stderr=True)

IndexOpt = Annotated[str | None, typer.Option("--index", "-i", help="Index name under indexes/, or a path.")]  # noqa: E501
UrlOpt = Annotated[str | None, typer.Option("--qdrant-url", help="Use a Qdrant server instead of the embedded store.")]  # noqa: E501
JsonOpt = Annotated[bool, typer.Option("--json", help="Machine-readable output.")]
ConfigOpt = Annotated[Path | None, typer.Option("--config", help="A YAML config (default: the packaged defaults).")]  # noqa: E501


def index_dir(name_or_path: str, home: Path) -> Path:
    """An index given by name (a folder under settings.home) or by path."""
    candidate = Path(name_or_path)
    if "/" in name_or_path or candidate.is_dir():
        return candidate
    return Path(home) / name_or_path


def open_kb(
    index: str | None, qdrant_url: str | None = None, config: Path | None = None, **caption
):
    """The KnowledgeBase the options name; caption=... overrides caption settings."""
    from ictrag.config import load_settings
    from ictrag.kb import KnowledgeBase

    overrides: dict = {}
    if qdrant_url:
        overrides["store"] = {"qdrant_url": qdrant_url}
    if caption:
        overrides["caption"] = {k: v for k, v in caption.items() if v is not None}
    settings = load_settings(config, **overrides)
    path = index_dir(index, settings.home) if index else None
    return KnowledgeBase(path, settings=settings)


def fail(message: str, code: int = 2) -> typer.Exit:
    """Print one error line on stderr; raise the returned Exit."""
    from rich.markup import escape

    line = (message.splitlines() or [""])[0]
    err.print(f"[red]error:[/red] {escape(line[:500])}", soft_wrap=True, highlight=False)
    return typer.Exit(code)
