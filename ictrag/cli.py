"""The `ictrag` command: a thin layer over the Python API (ictrag.kb.KnowledgeBase)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # hub models are opt-in (ICTRAG_HUB=1 lifts this)
if os.environ.get("ICTRAG_HUB") == "1":
    os.environ.pop("HF_HUB_OFFLINE", None)

app = typer.Typer(
    name="ictrag",
    help="Turn ICT manuals, text and figures, into a hybrid-searchable knowledge base.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
out = Console()
err = Console(stderr=True)

IndexOpt = Annotated[str | None, typer.Option("--index", "-i", help="Index name under indexes/, or a path.")]  # noqa: E501
UrlOpt = Annotated[str | None, typer.Option("--qdrant-url", help="Use a Qdrant server instead of the embedded store.")]  # noqa: E501
JsonOpt = Annotated[bool, typer.Option("--json", help="Machine-readable output.")]
ConfigOpt = Annotated[Path | None, typer.Option("--config", help="A YAML config (default: the packaged defaults.yaml).")]  # noqa: E501


def _kb(index: str | None, qdrant_url: str | None = None, config: Path | None = None, **caption):
    from ictrag.config import load_settings
    from ictrag.kb import KnowledgeBase

    overrides: dict = {}
    if qdrant_url:
        overrides["store"] = {"qdrant_url": qdrant_url}
    if caption:
        overrides["caption"] = {k: v for k, v in caption.items() if v is not None}
    settings = load_settings(config, **overrides)
    path = None
    if index:
        path = Path(index) if ("/" in index or Path(index).is_dir()) else settings.home / index
    return KnowledgeBase(path, settings=settings)


def _fail(message: str, code: int = 2) -> typer.Exit:
    from rich.markup import escape

    line = (message.splitlines() or [""])[0]
    err.print(f"[red]error:[/red] {escape(line[:500])}", soft_wrap=True)
    return typer.Exit(code)


def _failure_line(result) -> str:
    from rich.markup import escape

    return f"[red]failed[/red] {escape(result.path)}: {escape(result.error or '')}"


class _RichProgress:
    def __init__(self, progress: Progress):
        self.progress = progress
        self.files = progress.add_task("files", total=None)
        self.pages = progress.add_task("pages", total=None)
        self.figures = progress.add_task("figures", total=None)

    def start(self, files: int) -> None:
        self.progress.update(self.files, total=files)

    def advance(self, result) -> None:
        self.progress.advance(self.files)
        if result.status == "ingested":
            self.progress.advance(self.pages, result.pages)
            self.progress.advance(self.figures, result.figures)
        if result.status == "failed":
            self.progress.console.print(_failure_line(result), soft_wrap=True)


def _summary(report) -> Table:
    table = Table(title="ingest summary", show_header=True)
    for column in ("documents", "unchanged", "pages", "text chunks", "figures", "failed", "seconds"):
        table.add_column(column, justify="right")
    t = report.totals()
    table.add_row(*(str(t[k]) for k in ("documents", "unchanged", "pages", "text_chunks", "figures", "failed", "seconds")))  # noqa: E501
    return table


@app.command()
def ingest(
    paths: Annotated[list[Path], typer.Argument(help="Files or folders of manuals.")],
    index: IndexOpt = None,
    qdrant_url: UrlOpt = None,
    captioner: Annotated[str | None, typer.Option(help="structural|ocr|dicmodel|openai|none")] = None,  # noqa: E501
    engine: Annotated[str, typer.Option(help="local|ray (see docs/scaling.md)")] = "local",
    ray_address: Annotated[str | None, typer.Option(help="Ray cluster address, e.g. auto (default: start a local Ray).")] = None,  # noqa: E501
    prune: Annotated[bool, typer.Option(help="Remove indexed documents whose files are gone.")] = False,  # noqa: E501
    workers: Annotated[int | None, typer.Option(help="Parallel loader processes.")] = None,
    config: ConfigOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Ingest manuals: text, tables and figures into the index. Unchanged files are skipped."""
    from ictrag.figures.registry import BACKENDS

    if captioner and captioner not in BACKENDS:
        raise _fail(f"unknown captioner '{captioner}' (choose from {', '.join(BACKENDS)})")
    if engine not in ("local", "ray"):
        raise _fail(f"unknown engine '{engine}' (choose from local, ray)")
    if engine == "ray":
        from ictrag.extras import require

        require("ray", "ictrag ingest --engine ray")
    kb = _kb(index, qdrant_url, config, backend=captioner)
    if workers:
        kb.settings.workers = workers
    if as_json:
        report = kb.ingest(paths, prune=prune, engine=engine, ray_address=ray_address)
        print(json.dumps({"ok": report.ok, "totals": report.totals(),
                          "files": [r.model_dump() for r in report.files]}, indent=1))  # fmt: skip
    else:
        columns = (TextColumn("{task.description:>8}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())  # noqa: E501
        with Progress(*columns, console=err, transient=False) as progress:
            report = kb.ingest(paths, prune=prune, progress=_RichProgress(progress),
                               engine=engine, ray_address=ray_address)  # fmt: skip
        out.print(_summary(report))
        for result in report.files:
            if result.status == "failed":
                out.print(_failure_line(result), soft_wrap=True)
    raise typer.Exit(0 if report.ok else 1)


@app.command()
def query(
    text: Annotated[str, typer.Argument(help="The question.")],
    index: IndexOpt = None,
    qdrant_url: UrlOpt = None,
    k: Annotated[int, typer.Option("-k", help="How many hits.")] = 5,
    kind: Annotated[str | None, typer.Option(help="text|figure")] = None,
    doc: Annotated[str | None, typer.Option(help="Only this document (id, name or path).")] = None,  # noqa: E501
    figure_type: Annotated[str | None, typer.Option(help="Only figures of this type.")] = None,
    mode: Annotated[str, typer.Option(help="hybrid|dense|bm25")] = "hybrid",
    config: ConfigOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Hybrid search over the index."""
    if kind not in (None, "text", "figure"):
        raise _fail("--kind must be text or figure")
    if mode not in ("hybrid", "dense", "bm25"):
        raise _fail("--mode must be hybrid, dense or bm25")
    with _kb(index, qdrant_url, config) as kb:
        hits = kb.search(text, k=k, kind=kind, doc=doc, figure_type=figure_type, mode=mode)
    if as_json:
        print(json.dumps([hit.to_json() for hit in hits], indent=1))
        return
    if not hits:
        out.print("no hits")
    for hit in hits:
        row = hit.to_json()
        out.print(f"[bold]{row['rank']}.[/bold] [cyan]{row['doc']}[/cyan] p.{row['page']}"
                  f"  [dim]{row['heading']}[/dim]  score={row['score']:.3f}")  # fmt: skip
        if row["figure"]:
            figure = row["figure"]
            out.print(f"   [magenta]figure[/magenta] {figure['label'] or ''} ({figure['type'] or 'untyped'}) {figure['image']}")  # noqa: E501
        out.print("   " + row["text"].replace("\n", "\n   ")[:600], markup=False, highlight=False)


@app.command()
def docs(index: IndexOpt = None, config: ConfigOpt = None, as_json: JsonOpt = False) -> None:
    """List the indexed documents."""
    rows = _kb(index, config=config).documents()
    if as_json:
        print(json.dumps(rows, indent=1))
        return
    table = Table(show_header=True)
    for column in ("doc_id", "title", "pages", "chunks", "figures", "path"):
        table.add_column(column)
    for row in rows:
        table.add_row(row["doc_id"][:12], row["title"], str(row["pages"]), str(row["chunks"]),
                      str(row["figures"]), row["path"])  # fmt: skip
    out.print(table)


@app.command()
def remove(
    doc: Annotated[str, typer.Argument(help="Document id (or 8+ char prefix), title, name or path.")],  # noqa: E501
    index: IndexOpt = None,
    qdrant_url: UrlOpt = None,
    config: ConfigOpt = None,
) -> None:
    """Remove a document from the index."""
    removed = _kb(index, qdrant_url, config).remove(doc)
    if not removed:
        raise _fail(f"no indexed document matches '{doc}'", code=1)
    for path in removed:
        out.print(f"removed {path}")


@app.command()
def caption(
    file: Annotated[Path, typer.Argument(help="A PDF, PNG/JPEG or SVG.")],
    page: Annotated[int | None, typer.Option(help="Only this page of a PDF (1-based).")] = None,
    captioner: Annotated[str | None, typer.Option(help="structural|ocr|dicmodel|openai")] = None,
    out_dir: Annotated[Path | None, typer.Option("--out", help="Keep the figure PNGs here.")] = None,
    config: ConfigOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Turn the figures of one file into logical text (type, summary, parts, relations, Mermaid)."""
    import tempfile

    from ictrag.caption import caption_file
    from ictrag.config import load_settings
    from ictrag.load import LoadError

    overrides = {"caption": {"backend": captioner}} if captioner else {}
    settings = load_settings(config, **overrides)
    figure_dir = out_dir or Path(tempfile.mkdtemp(prefix="ictrag-caption-"))
    try:
        figures = caption_file(file, settings, figure_dir, page=page)
    except LoadError as error:
        raise _fail(f"{file}: {error}", code=1) from None
    if as_json:
        rows = [{"id": f.id, "page": f.page, "label": f.label, "origin": f.origin,
                 "image": f.image_path if out_dir else None, "text": f.logical.to_text() if f.logical else "",
                 "logical": f.logical.model_dump(mode="json") if f.logical else None}
                for f in figures]  # fmt: skip
        print(json.dumps(rows, indent=1))
        return
    if not figures:
        out.print("no figures found")
    for figure in figures:
        out.rule(f"p.{figure.page} {figure.label or figure.id[:12]} ({figure.origin})")
        text = figure.logical.to_text() if figure.logical else figure.inner_text
        out.print(text, markup=False, highlight=False)


def _mount() -> None:
    from ictrag.evaluation.cli import eval_app
    from ictrag.index.migrate import migrate_command
    from ictrag.interfaces.cli import export_app, mcp_command, serve_command
    from ictrag.training.cli import export_model_command, synth_app, train_command

    app.add_typer(eval_app, name="eval", help="Evaluate captions, VQA answers and retrieval.")
    app.add_typer(synth_app, name="synth", help="Make training data: diagrams, experts, VQA.")
    app.command("train")(train_command)
    app.command("export-model")(export_model_command)
    app.command("serve")(serve_command)
    app.command("mcp")(mcp_command)
    app.add_typer(export_app, name="export", help="Export a pretraining corpus or image-caption pairs.")
    index_app = typer.Typer(no_args_is_help=True)
    index_app.command("migrate")(migrate_command)
    app.add_typer(index_app, name="index", help="Move an index between Qdrant Edge and a server.")


_mount()

setup_app = typer.Typer(no_args_is_help=True)
app.add_typer(setup_app, name="setup", help="Install runtime pieces pip cannot: the Mermaid renderer.")  # noqa: E501


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
        raise _fail(str(error), code=1) from None
    if as_json:
        print(report.model_dump_json())
        return
    versions = ", ".join(f"{name} {version}" for name, version in report.packages.items())
    state = "installed" if report.installed else "already current"
    out.print(f"mermaid renderer {state} in {report.directory} ({versions})", soft_wrap=True)


def main() -> None:
    from ictrag.extras import MissingExtra

    try:
        app()
    except MissingExtra as error:  # a command of an extra that is not installed
        raise SystemExit(_fail(str(error)).exit_code) from None


if __name__ == "__main__":
    main()
