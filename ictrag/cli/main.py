"""The `ictrag` command: a thin layer over the Python API (ictrag.kb.KnowledgeBase)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from ictrag.cli.common import ConfigOpt, IndexOpt, JsonOpt, UrlOpt, err, fail, open_kb, out
from ictrag.cli.env import apply_policy
from ictrag.index.fingerprint import EmbedderMismatch
from ictrag.index.lock import IndexBusy

app = typer.Typer(
    name="ictrag",
    help="Turn ICT manuals, text and figures, into a hybrid-searchable knowledge base.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


@app.callback()
def _start() -> None:
    """Turn ICT manuals, text and figures, into a hybrid-searchable knowledge base."""
    apply_policy()


def _failure_line(result) -> str:
    from rich.markup import escape

    return f"[red]failed[/red] {escape(result.path)}: {escape(result.error or '')}"


def _skipped_line(result) -> str:
    """An empty or unsupported file: nothing indexed, not a failure."""
    from rich.markup import escape

    return f"[yellow]{result.status}[/yellow] {escape(result.path)}: nothing indexed ({escape(result.error or '')})"  # noqa: E501


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
        if result.status in ("ingested", "reindexed"):
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
    reindex: Annotated[bool, typer.Option(help="Redo every document; rebuild an index made with another embedder.")] = False,  # noqa: E501
    config: ConfigOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Ingest manuals: text, tables and figures into the index. Unchanged files are skipped;
    files indexed by other code or settings (see `ictrag docs`, column stale) are redone."""
    try:
        _ingest(paths, index, qdrant_url, captioner, engine, ray_address, prune, workers,
                reindex, config, as_json)  # fmt: skip
    except (IndexBusy, EmbedderMismatch) as error:
        raise fail(str(error), code=1) from None


def _ingest(paths, index, qdrant_url, captioner, engine, ray_address, prune, workers, reindex,
            config, as_json) -> None:  # fmt: skip
    from ictrag.figures.registry import BACKENDS

    if captioner and captioner not in BACKENDS:
        raise fail(f"unknown captioner '{captioner}' (choose from {', '.join(BACKENDS)})")
    if engine not in ("local", "ray"):
        raise fail(f"unknown engine '{engine}' (choose from local, ray)")
    if engine == "ray":
        from ictrag.extras import require

        require("ray", "ictrag ingest --engine ray")
    kb = open_kb(index, qdrant_url, config, backend=captioner)
    if workers:
        kb.settings.workers = workers
    if as_json:
        report = kb.ingest(paths, prune=prune, engine=engine, ray_address=ray_address,
                           reindex=reindex)  # fmt: skip
        print(json.dumps({"ok": report.ok, "totals": report.totals(),
                          "files": [r.model_dump() for r in report.files]}, indent=1))  # fmt: skip
    else:
        columns = (TextColumn("{task.description:>8}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())  # noqa: E501
        with Progress(*columns, console=err, transient=False) as progress:
            report = kb.ingest(paths, prune=prune, progress=_RichProgress(progress),
                               engine=engine, ray_address=ray_address, reindex=reindex)  # fmt: skip
        out.print(_summary(report))
        for result in report.files:
            if result.status == "failed":
                out.print(_failure_line(result), soft_wrap=True)
            elif result.status in ("empty", "unsupported"):
                out.print(_skipped_line(result), soft_wrap=True)
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
        raise fail("--kind must be text or figure")
    if mode not in ("hybrid", "dense", "bm25"):
        raise fail("--mode must be hybrid, dense or bm25")
    with open_kb(index, qdrant_url, config) as kb:
        try:
            hits = kb.search(text, k=k, kind=kind, doc=doc, figure_type=figure_type, mode=mode)
        except EmbedderMismatch as error:
            raise fail(str(error), code=1) from None
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
    rows = open_kb(index, config=config).documents()
    if as_json:
        print(json.dumps(rows, indent=1))
        return
    table = Table(show_header=True)
    for column in ("doc_id", "title", "pages", "chunks", "figures", "stale", "path"):
        table.add_column(column)
    for row in rows:
        table.add_row(row["doc_id"][:12], row["title"], str(row["pages"]), str(row["chunks"]),
                      str(row["figures"]), ",".join(row["stale"]), row["path"])  # fmt: skip
    out.print(table)


@app.command()
def remove(
    doc: Annotated[str, typer.Argument(help="Document id (or 8+ char prefix), title, name or path.")],  # noqa: E501
    index: IndexOpt = None,
    qdrant_url: UrlOpt = None,
    config: ConfigOpt = None,
) -> None:
    """Remove a document from the index."""
    try:
        removed = open_kb(index, qdrant_url, config).remove(doc)
    except IndexBusy as error:
        raise fail(str(error), code=1) from None
    if not removed:
        raise fail(f"no indexed document matches '{doc}'", code=1)
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
        raise fail(f"{file}: {error}", code=1) from None
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
    from ictrag.cli.evaluate import eval_app
    from ictrag.cli.figure import figure_command
    from ictrag.cli.index import migrate_command
    from ictrag.cli.serve import export_app, mcp_command, serve_command
    from ictrag.cli.setup import setup_app
    from ictrag.cli.train import export_model_command, synth_app, train_command

    app.add_typer(eval_app, name="eval", help="Evaluate captions, VQA answers and retrieval.")
    app.add_typer(synth_app, name="synth", help="Make training data: diagrams, experts, VQA.")
    app.command("train")(train_command)
    app.command("export-model")(export_model_command)
    app.command("figure")(figure_command)
    app.command("serve")(serve_command)
    app.command("mcp")(mcp_command)
    app.add_typer(export_app, name="export", help="Export a pretraining corpus or image-caption pairs.")
    index_app = typer.Typer(no_args_is_help=True)
    index_app.command("migrate")(migrate_command)
    app.add_typer(index_app, name="index", help="Move an index between Qdrant Edge and a server.")
    app.add_typer(setup_app, name="setup", help="Install runtime pieces pip cannot: the Mermaid renderer.")  # noqa: E501


_mount()

def main() -> None:
    from ictrag.extras import MissingExtra

    try:
        app()
    except MissingExtra as error:  # a command of an extra that is not installed
        raise SystemExit(fail(str(error)).exit_code) from None


if __name__ == "__main__":
    main()
