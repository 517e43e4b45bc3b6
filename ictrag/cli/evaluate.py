"""`ictrag eval captions | vqa | retrieval`: side-by-side evaluation of several systems.

Each command prints one comparison table (or `--json`) and, with `--report DIR`, writes
report.md (+ plots/) and a self-contained report.html there. Exit 2 on bad input.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table as RichTable

from ictrag.cli.common import JsonOpt, err, fail, index_dir, out
from ictrag.evaluation.captions import EvalError
from ictrag.index.manifest import has_manifest

eval_app = typer.Typer(
    name="eval",
    help="Evaluate captioners, trained models and retrieval settings side by side.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
if not out.is_terminal:  # piped: do not fold the comparison tables at 80 columns
    out.width = max(out.width, 160)

SystemOpt = Annotated[
    list[str] | None, typer.Option("--system", help="NAME=FILE.jsonl; repeat for several.")
]
ReportOpt = Annotated[
    Path | None, typer.Option("--report", help="Write report.md and report.html here.")
]


def _named(values: list[str] | None, what: str) -> dict[str, str]:
    """["NAME=VALUE" or "VALUE", ...] -> {name: value}; a bare value is named by its stem."""
    named: dict[str, str] = {}
    for value in values or []:
        name, sep, target = value.partition("=")
        if not sep:
            name, target = Path(value.rstrip("/")).stem or value, value
        if not name or not target:
            raise EvalError(f"bad {what} {value!r}: use NAME=PATH")
        if name in named:
            raise EvalError(f"two {what}s are named {name!r}: name them with NAME=PATH")
        named[name] = target
    return named


def _print(report, as_json: bool, payload: object) -> None:
    if as_json:
        out.print_json(json.dumps(payload, default=str))
        return
    from ictrag.evaluation.report import fmt

    for note in report.notes:
        out.print(note, highlight=False, soft_wrap=True)
    for table in report.tables[:2]:
        rich = RichTable(title=table.title)
        for header in table.headers:
            rich.add_column(header, overflow="fold")
        for row in table.rows:
            rich.add_row(*(fmt(value) for value in row))
        out.print(rich)


def _write(report, directory: Path | None) -> None:
    if directory is None:
        return
    from ictrag.evaluation.report import write_report

    markdown, page = write_report(report, directory)
    err.print(f"report: {markdown} {page}", highlight=False)


@eval_app.command("captions")
def captions(
    ref: Annotated[Path, typer.Option("--ref", help="Reference records (JSONL, keyed by id).")],
    pred: Annotated[
        list[Path] | None, typer.Option("--pred", help="Predictions (JSONL); repeatable.")
    ] = None,  # noqa: E501
    system: SystemOpt = None,
    tokenize: Annotated[
        str | None,
        typer.Option("--tokenize", help="sacrebleu tokenizer (default: by script: 13a, zh, char)."),
    ] = None,  # noqa: E501
    report: ReportOpt = None,
    gallery: Annotated[
        int, typer.Option("--gallery", help="Figures shown side by side in the report.")
    ] = 40,  # noqa: E501
    as_json: JsonOpt = False,
) -> None:
    """BLEU, chrF, ROUGE-L, CIDEr-D and Mermaid structure scores, per system and figure type."""
    from ictrag.evaluation.captions import caption_report, evaluate_captions, load_records

    try:
        files = _named([str(p) for p in pred or []] + list(system or []), "system")
        if not files:
            raise EvalError("give --pred FILE or --system NAME=FILE")
        references = load_records(ref)
        systems = {name: load_records(path) for name, path in files.items()}
        evaluation = evaluate_captions(systems, references, tokenize)
    except EvalError as error:
        raise fail(str(error)) from None
    built = caption_report(evaluation, references, systems, gallery_limit=gallery)
    payload = {
        "tokenize": evaluation.tokenize,
        "signature": evaluation.signature,
        "systems": [
            {"name": s.name, "overall": s.overall, "by_type": s.by_type, "missing": s.missing,
             "extra": s.extra}
            for s in evaluation.systems
        ],
    }  # fmt: skip
    _print(built, as_json, payload)
    _write(built, report)


@eval_app.command("vqa")
def vqa(
    questions: Annotated[Path, typer.Option("--questions", help="Questions (JSONL).")],
    pred: Annotated[
        list[Path] | None, typer.Option("--pred", help="Answers (JSONL: id, answer); repeatable.")
    ] = None,  # noqa: E501
    system: SystemOpt = None,
    model: Annotated[
        list[str] | None, typer.Option("--model", help="[NAME=]DICModel dir or hub id; repeatable.")
    ] = None,  # noqa: E501
    adapter: Annotated[
        list[str] | None,
        typer.Option("--adapter", help="[NAME=]LoRA adapter dir for the model of that name."),
    ] = None,  # noqa: E501
    save_answers: Annotated[
        Path | None,
        typer.Option("--save-answers", help="Write each model's answers as DIR/NAME.jsonl."),
    ] = None,  # noqa: E501
    batch_size: Annotated[int, typer.Option("--batch-size")] = 4,
    max_new_tokens: Annotated[int, typer.Option("--max-new-tokens")] = 64,
    report: ReportOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Objective accuracy (mc / tf / count) and open-answer metrics, per system."""
    from ictrag.evaluation.vqa import (
        answer_with_dicmodel,
        evaluate_vqa,
        load_answers,
        load_questions,
        vqa_report,
    )
    from ictrag.figures.base import CaptionError

    try:
        asked = load_questions(questions)
        files = _named([str(p) for p in pred or []] + list(system or []), "system")
        models = _named(model, "model")
        adapters = _named(adapter, "adapter")
        if len(adapters) == 1 and len(models) == 1 and "=" not in (adapter or [""])[0]:
            adapters = {next(iter(models)): next(iter(adapters.values()))}
        if unknown := set(adapters) - set(models):
            raise EvalError(f"--adapter for unknown model {sorted(unknown)[0]!r}")
        if not files and not models:
            raise EvalError("give --pred FILE, --system NAME=FILE or --model DIR")
        if clash := set(files) & set(models):
            raise EvalError(f"two systems are named {sorted(clash)[0]!r}")
        systems = {name: load_answers(path) for name, path in files.items()}
    except EvalError as error:
        raise fail(str(error)) from None
    for name, directory in models.items():
        try:
            answers = answer_with_dicmodel(
                asked, directory, adapters.get(name), batch_size=batch_size,
                max_new_tokens=max_new_tokens,
            )  # fmt: skip
        except CaptionError as error:
            raise fail(str(error), code=1) from None
        systems[name] = answers
        if save_answers:
            save_answers.mkdir(parents=True, exist_ok=True)
            lines = [
                json.dumps({"id": i, "answer": a}, ensure_ascii=False) for i, a in answers.items()
            ]
            (save_answers / f"{name}.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    try:
        results = evaluate_vqa(systems, asked)
    except EvalError as error:
        raise fail(str(error)) from None
    built = vqa_report(results, asked)
    payload = [
        {"name": r.name, "accuracy": r.accuracy, "counts": r.counts, "open": r.open_metrics,
         "missing": r.missing}
        for r in results
    ]  # fmt: skip
    _print(built, as_json, payload)
    _write(built, report)


@eval_app.command("retrieval")
def retrieval(
    index: Annotated[
        list[str],
        typer.Option(
            "--index", "-i", help="[NAME=]index name under indexes/ or a path; repeatable."
        ),
    ],  # noqa: E501
    questions: Annotated[Path, typer.Option("--questions", help="Questions (JSONL).")],
    mode: Annotated[
        list[str] | None, typer.Option("--mode", help="dense, bm25, hybrid (default: all three).")
    ] = None,  # noqa: E501
    k: Annotated[int, typer.Option("-k", help="Hits retrieved per question (at least 10).")] = 10,
    config: Annotated[Path | None, typer.Option("--config", help="A YAML config.")] = None,
    report: ReportOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """recall@1/5/10, MRR, nDCG@10 at page and figure level, per mode and question kind."""
    from ictrag.config import load_settings
    from ictrag.evaluation.retrieval import (
        MODES,
        evaluate_retrieval,
        load_retrieval_questions,
        retrieval_report,
    )
    from ictrag.kb import KnowledgeBase

    try:
        asked = load_retrieval_questions(questions)
        indexes = _named(index, "index")
        settings = load_settings(config)
        modes = list(mode or MODES)
        evaluation = None
        for name, target in indexes.items():
            path = index_dir(target, settings.home)
            if not has_manifest(path):
                raise EvalError(f"no index at {path} (ingest first: ictrag ingest --index ...)")
            with KnowledgeBase(path, settings=settings) as kb:
                evaluation = evaluate_retrieval(kb, asked, name, modes, k, evaluation)
    except EvalError as error:
        raise fail(str(error)) from None
    built = retrieval_report(evaluation)
    payload = {
        "rows": [
            {"system": r.system, "mode": r.mode, "level": r.level, "kind": r.kind, "n": r.n,
             **r.metrics}
            for r in evaluation.rows
        ],
        "questions": evaluation.per_question,
    }  # fmt: skip
    _print(built, as_json, payload)
    _write(built, report)
