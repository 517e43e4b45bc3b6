"""CLI pieces that ictrag/cli/main.py mounts: `ictrag synth ...` (synth_app), `ictrag train`
(train_command) and `ictrag export-model` (export_model_command).

    app.add_typer(synth_app, name="synth")
    app.command("train")(train_command)
    app.command("export-model")(export_model_command)
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from ictrag.cli.common import JsonOpt, err, fail, out

synth_app = typer.Typer(help="Build training data: synthetic pairs, expert pairs, VQA.", no_args_is_help=True)  # fmt: skip


def _emit(data: dict, as_json: bool) -> None:
    if as_json:
        out.print_json(json.dumps(data))
    else:
        for key, value in data.items():
            out.print(f"{key}: {value}")


@synth_app.command("mermaid")
def synth_mermaid(
    n: Annotated[int, typer.Option("--n", help="How many diagrams.")] = 7000,
    out_dir: Annotated[
        Path, typer.Option("--out", help="Output folder (images/ + pairs.jsonl).")
    ] = Path("data/stage1"),  # fmt: skip
    seed: Annotated[
        int, typer.Option(help="Run seed; each diagram seeds from a hash of (seed, index): runs never overlap.")
    ] = 0,  # fmt: skip
    workers: Annotated[int, typer.Option(help="Processes, each with its own renderer.")] = 1,
    rewriter: Annotated[str, typer.Option(help="template | openai | local")] = "template",
    model: Annotated[
        str, typer.Option(help="Rewriter model (openai model name or local dir).")
    ] = "",  # fmt: skip
    base_url: Annotated[
        str, typer.Option(help="OpenAI-compatible endpoint for --rewriter openai.")
    ] = "",  # fmt: skip
    as_json: JsonOpt = False,
) -> None:
    """Generate ICT diagrams, render them with real Mermaid, caption them: stage-1 pairs."""
    from ictrag.training.synth.pairs import PairsOptions

    options = PairsOptions(n=n, out=out_dir, seed=seed, workers=workers, rewriter=rewriter, rewriter_model=model, rewriter_base_url=base_url)  # fmt: skip
    _make_pairs(options, as_json)


@synth_app.command("diagrams")
def synth_diagrams(
    renderers: Annotated[
        str, typer.Option(help="Comma-separated: mermaid,graphviz,plantuml,mscgen,seqdiag,drawio, or all.")
    ] = "all",  # fmt: skip
    n: Annotated[int, typer.Option("--n", help="How many pairs (image + caption).")] = 7000,
    out_dir: Annotated[
        Path, typer.Option("--out", help="Output folder (images/ + pairs.jsonl).")
    ] = Path("data/stage1"),  # fmt: skip
    per_structure: Annotated[
        int, typer.Option(help="Renderers drawing each structure, sampled among those able; 0 = all.")
    ] = 2,  # fmt: skip
    noise: Annotated[
        float, typer.Option(help="Share of images given JPEG or scan noise.")
    ] = 0.3,  # fmt: skip
    seed: Annotated[int, typer.Option(help="Run seed; runs with different seeds never overlap.")] = 0,
    workers: Annotated[int, typer.Option(help="Processes, each with its own renderers.")] = 1,
    rewriter: Annotated[str, typer.Option(help="template | openai | local")] = "template",
    model: Annotated[str, typer.Option(help="Rewriter model (openai model name or local dir).")] = "",
    base_url: Annotated[str, typer.Option(help="OpenAI-compatible endpoint for --rewriter openai.")] = "",  # fmt: skip
    as_json: JsonOpt = False,
) -> None:
    """Stage-1 pairs drawn by many real renderers and styles: each synthetic structure is
    written as Mermaid, DOT, PlantUML, mscgen, seqdiag or a draw.io-style SVG and captioned
    from the structure."""
    from pydantic import ValidationError

    from ictrag.training.synth.pairs import PairsOptions
    from ictrag.training.synth.sources import RENDERERS

    chosen = list(RENDERERS) if renderers.strip() == "all" else [r.strip() for r in renderers.split(",") if r.strip()]  # fmt: skip
    try:
        options = PairsOptions(n=n, out=out_dir, seed=seed, renderers=chosen, per_structure=per_structure, noise=noise, workers=workers, chunk=48, rewriter=rewriter, rewriter_model=model, rewriter_base_url=base_url)  # fmt: skip
    except ValidationError as error:
        raise fail(error.errors()[0]["msg"].removeprefix("Value error, ")) from None
    _make_pairs(options, as_json)


def _make_pairs(options, as_json: bool) -> None:
    from rich.progress import Progress

    from ictrag.training.synth.pairs import build_pairs, missing_for
    from ictrag.training.synth.render import RenderError
    from ictrag.training.synth.rewrite import RewriteError

    missing = missing_for(options.renderers)
    if missing:
        raise fail("renderers missing: " + "; ".join(missing))
    try:
        with Progress(console=err, disable=as_json) as progress:
            task = progress.add_task("pairs", total=None)
            report = build_pairs(options, lambda done, total: progress.update(task, completed=done, total=total))  # fmt: skip
    except (RenderError, RewriteError) as error:
        raise fail(str(error), 1) from None
    data = report.model_dump() | {"success_rate": round(report.success_rate, 4), "pairs_per_s": round(report.per_second, 2)}  # fmt: skip
    _emit(data, as_json)
    if report.written == 0 and report.requested > report.existing:
        raise typer.Exit(1)


@synth_app.command("stats")
def synth_stats(
    path: Annotated[Path, typer.Option("--in", help="A pairs.jsonl.")],
    near: Annotated[float, typer.Option(help="Label-set Jaccard of a near-duplicate.")] = 0.9,
    as_json: JsonOpt = False,
) -> None:
    """Duplicate and near-duplicate rates and diversity per family of a pairs file."""
    from ictrag.training.synth.pairs import read_jsonl
    from ictrag.training.synth.stats import pair_stats

    if not path.is_file():
        raise fail(f"pairs file not found: {path}")
    _emit(pair_stats(read_jsonl(path), near=near).model_dump(), as_json)


@synth_app.command("real-figures")
def synth_real_figures(
    corpus: Annotated[Path, typer.Option(help="A folder of real figures with ground truth (topology/, flow/, sequence/).")],  # fmt: skip
    out_dir: Annotated[Path, typer.Option("--out", help="Output folder (images/ + train.jsonl + val.jsonl).")] = Path("data/stage2"),  # fmt: skip
    split: Annotated[
        Path | None, typer.Option(help="A dev/test split file (tests/benchmarks/real_figures_split.json): only --part is used.")
    ] = None,  # fmt: skip
    part: Annotated[str, typer.Option(help="The part of the split to use.")] = "dev",
    val_fraction: Annotated[float, typer.Option(help="Share held out for validation, by image hash.")] = 0.1,  # fmt: skip
    as_json: JsonOpt = False,
) -> None:
    """Stage-2 pairs from real figures: each image with a caption made from its checked
    ground truth. With --split, figures of the other part are never written."""
    from ictrag.training.real_figures import build_real_pairs

    if not corpus.is_dir():
        raise fail(f"corpus folder not found: {corpus}")
    chosen = None
    if split is not None:
        try:
            chosen = json.loads(split.read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            raise fail(f"cannot read split file {split}: {error}") from None
    report = build_real_pairs(corpus, out_dir, split=chosen, part=part, val_fraction=val_fraction)
    _emit(report.model_dump(mode="json"), as_json)
    if report.used == 0:
        raise typer.Exit(1)


@synth_app.command("import-experts")
def synth_import_experts(
    source: Annotated[Path, typer.Option("--in", help="Expert pairs: .jsonl or .csv.")],
    images: Annotated[
        Path, typer.Option("--images", help="Folder the rows' image paths are relative to.")
    ],  # fmt: skip
    out_dir: Annotated[
        Path, typer.Option("--out", help="Output folder (train.jsonl, val.jsonl, images/).")
    ],  # fmt: skip
    val_fraction: Annotated[float, typer.Option(help="Share held out for validation.")] = 0.1,
    as_json: JsonOpt = False,
) -> None:
    """Validate, dedup (sha256) and split expert image-caption pairs: stage-2 data."""
    from ictrag.training.experts import ExpertError, import_experts

    try:
        report = import_experts(source, images, out_dir, val_fraction)
    except ExpertError as error:
        raise fail(str(error)) from None
    if as_json:
        out.print_json(report.model_dump_json())
    else:
        for row in report.errors:
            err.print(f"{source}:{row.line}: {row.message}")
        _emit(report.model_dump(exclude={"errors"}) | {"errors": len(report.errors)}, False)
    if report.errors:
        raise typer.Exit(1)


@synth_app.command("drafts")
def synth_drafts(
    index: Annotated[
        str, typer.Option("--index", "-i", help="Index name under indexes/, or a path.")
    ],  # fmt: skip
    out_dir: Annotated[
        Path, typer.Option("--out", help="Output folder (drafts.jsonl, images/, review.html).")
    ],  # fmt: skip
    limit: Annotated[int | None, typer.Option(help="At most this many figures.")] = None,
    exact: Annotated[
        bool, typer.Option("--exact", help="Only figures whose file states their structure (diagram code; draw.io or Office drawings with every connector glued): stage-2 pairs as they are.")
    ] = False,  # fmt: skip
) -> None:
    """Export an index's figures with their current logical text, for experts to correct."""
    from ictrag.config import load_settings
    from ictrag.training.experts import ExpertError, export_drafts

    path = Path(index) if ("/" in index or Path(index).is_dir()) else load_settings().home / index
    try:
        count = export_drafts(path, out_dir, limit, exact_only=exact)
    except ExpertError as error:
        raise fail(str(error)) from None
    out.print(f"{count} drafts in {out_dir} (open {out_dir / 'review.html'})")


@synth_app.command("vqa")
def synth_vqa_command(
    source: Annotated[
        Path, typer.Option("--in", help="pairs.jsonl (stage-1 or stage-2 records).")
    ],  # fmt: skip
    out_file: Annotated[Path, typer.Option("--out", help="Output vqa.jsonl.")],
    per_pair: Annotated[int, typer.Option(help="Questions kept per pair.")] = 3,
    seed: int = 0,
    limit: Annotated[
        int | None, typer.Option(help="Use only the first N pairs (3 x 500 = the paper's ~1.5K).")
    ] = None,  # fmt: skip
    experts: Annotated[
        Path | None, typer.Option(help="Expert questions (JSONL, same schema) to merge.")
    ] = None,  # fmt: skip
    as_json: JsonOpt = False,
) -> None:
    """Generate verified VQA instructions from the pairs' diagrams: stage-3 data."""
    from ictrag.training.synth.pairs import read_jsonl
    from ictrag.training.synth.vqa import synth_vqa, write_vqa

    if not source.is_file():
        raise fail(f"not found: {source}")
    pairs = [p for p in read_jsonl(source) if p.get("mermaid")][:limit]
    expert_rows = read_jsonl(experts) if experts else None
    items, report = synth_vqa(pairs, seed=seed, per_pair=per_pair, experts=expert_rows)
    # the VQA file lives beside the pairs' images when written next to them; else absolute
    base = source.parent.resolve()
    target = out_file.parent.resolve()
    for item in items:
        if target != base:
            item.image = str(base / item.image)
    write_vqa(items, out_file)
    _emit(report.model_dump(), as_json)


def train_command(
    config: Annotated[
        list[Path] | None, typer.Option("--config", help="configs/stageN.yaml (repeatable).")
    ] = None,  # fmt: skip
    stages: Annotated[
        str | None,
        typer.Option("--stages", help="Run stages in order, e.g. 1,2,3 (configs/stageN.yaml)."),
    ] = None,  # fmt: skip
    config_dir: Annotated[Path, typer.Option(help="Folder of stageN.yaml for --stages.")] = Path(
        "configs"
    ),  # fmt: skip
    max_steps: Annotated[
        int | None, typer.Option(help="Override max_steps of every stage.")
    ] = None,  # fmt: skip
    as_json: JsonOpt = False,
) -> None:
    """Supervised fine-tuning: one stage from its config, or stages chained 1 -> 2 -> 3."""
    from ictrag.training.data import DataError
    from ictrag.training.sft import TrainError
    from ictrag.training.stages import run_config, run_stages

    overrides = {"max_steps": max_steps} if max_steps is not None else {}
    try:
        if stages:
            numbers = [int(s) for s in stages.split(",") if s.strip()]
            results = run_stages(numbers, config_dir, {n: overrides for n in numbers})
        elif config:
            results = [run_config(path, overrides) for path in config]
        else:
            raise fail("give --config configs/stageN.yaml or --stages 1,2,3")
    except (TrainError, DataError, ValueError) as error:
        raise fail(str(error), 1) from None
    for result in results:
        data = result.model_dump(exclude={"losses"}) | {"final_loss": result.losses[-1] if result.losses else None}  # fmt: skip
        _emit(data, as_json)


def export_model_command(
    adapter: Annotated[
        Path, typer.Option("--adapter", help="A trained adapter dir (runs/stageN/adapter).")
    ],  # fmt: skip
    out_dir: Annotated[Path, typer.Option("--out", help="Where to write the merged DICModel.")],
    base: Annotated[
        str | None, typer.Option(help="Base model (default: the adapter's own).")
    ] = None,  # fmt: skip
) -> None:
    """Merge a LoRA adapter into its base: a directory that `--captioner dicmodel` loads."""
    from ictrag.training.export import ExportError, export_model

    try:
        path = export_model(adapter, out_dir, base)
    except ExportError as error:
        raise fail(str(error), 1) from None
    out.print(f"merged model in {path} (set caption.model to it)")
