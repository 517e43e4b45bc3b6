"""Stage-1 pairs: generate -> render (real Mermaid) -> caption (rewriter) -> images/ + pairs.jsonl.

    report = build_pairs(PairsOptions(n=7000, out=Path("data/stage1"), workers=4))

Each record: {id, image, mermaid, caption, type, seed, unit, meta, logical}; `seed` is the
item's own seed, `unit` its template or generator rule; `image` is relative to the
JSONL's folder, `caption` is LogicalText.to_text(), `logical` the LogicalText itself. Work is
split into chunks over processes, each with its own renderer; results are appended as they
come, so an interrupted run resumes by skipping ids already in the JSONL. Render failures are
dropped and counted, never fatal.
"""

from __future__ import annotations

import json
import multiprocessing as mp
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from ictrag.training.synth.generate import diagram_id, generate_diagram
from ictrag.training.synth.render import MermaidRenderer, RenderError, RenderJob
from ictrag.training.synth.rewrite import RewriteError, make_rewriter, template_logical
from pydantic import BaseModel, Field


class PairsOptions(BaseModel):
    n: int = 7000
    out: Path
    seed: int = 0
    workers: int = 1
    chunk: int = 16
    """Diagrams per render_many call (and per task sent to a worker)."""
    scale: float = 1.5
    rewriter: str = "template"
    rewriter_model: str = ""
    rewriter_base_url: str = ""
    api_key_env: str = "OPENAI_API_KEY"


class PairsReport(BaseModel):
    requested: int = 0
    existing: int = 0
    written: int = 0
    render_failures: int = 0
    rewrite_rejected: int = 0
    seconds: float = 0.0
    errors: list[str] = Field(default_factory=list)
    """The first few render errors, one line each."""

    @property
    def success_rate(self) -> float:
        tried = self.written + self.render_failures
        return self.written / tried if tried else 1.0

    @property
    def per_second(self) -> float:
        return self.written / self.seconds if self.seconds else 0.0


def existing_ids(jsonl: Path) -> set[str]:
    """Ids already in the JSONL; a torn last line (interrupted write) is ignored."""
    ids: set[str] = set()
    if not jsonl.exists():
        return ids
    with jsonl.open() as handle:
        for line in handle:
            try:
                ids.add(json.loads(line)["id"])
            except (ValueError, KeyError, TypeError):
                continue
    return ids


# -- worker side ---------------------------------------------------------------------------
_STATE: dict = {}


def _init_worker(options: dict) -> None:
    opts = PairsOptions(**options)
    _STATE["options"] = opts
    _STATE["renderer"] = MermaidRenderer(scale=opts.scale, pages=2)
    _STATE["rewriter"] = make_rewriter(
        opts.rewriter, model=opts.rewriter_model, base_url=opts.rewriter_base_url,
        api_key_env=opts.api_key_env,
    )  # fmt: skip


def _close_worker() -> None:
    renderer = _STATE.pop("renderer", None)
    if renderer is not None:
        renderer.close()


def _work(indices: list[int]) -> list[dict]:
    """Render and caption one chunk; returns records, or {"error": ...} for failures."""
    opts: PairsOptions = _STATE["options"]
    renderer: MermaidRenderer = _STATE["renderer"]
    diagrams = [generate_diagram(index, opts.seed) for index in indices]
    images = opts.out / "images"
    jobs = [RenderJob(d.code, images / f"{d.id}.png", theme=d.theme) for d in diagrams]
    try:
        results = renderer.render_many(jobs)
    except RenderError as error:
        return [{"error": str(error), "id": d.id} for d in diagrams]
    out = []
    for diagram, result in zip(diagrams, results, strict=True):
        if not result.ok:
            out.append({"error": result.error or "render failed", "id": diagram.id})
            continue
        logical = template_logical(diagram.mermaid, seed=diagram.seed)
        rejected = False
        try:
            logical = _STATE["rewriter"].rewrite(logical)
            rejected = logical.backend.endswith("-rejected")
        except RewriteError as error:
            out.append({"error": f"rewrite: {error}", "id": diagram.id})
            continue
        meta = dict(diagram.meta, width=result.width, height=result.height, rejected=rejected)
        meta["inner_text"] = "\n".join(logical.components)
        out.append(
            {
                "id": diagram.id,
                "image": f"images/{diagram.id}.png",
                "mermaid": diagram.mermaid,
                "caption": logical.to_text(),
                "type": logical.figure_type.value,
                "seed": diagram.seed,
                "unit": diagram.unit,
                "meta": meta,
                "logical": logical.model_dump(mode="json"),
            }
        )
    return out


def _run_inline(options: PairsOptions, chunks: list[list[int]]) -> Iterator[list[dict]]:
    _init_worker(options.model_dump(mode="json"))
    try:
        for chunk in chunks:
            yield _work(chunk)
    finally:
        _close_worker()


def _run_pool(options: PairsOptions, chunks: list[list[int]]) -> Iterator[list[dict]]:
    context = mp.get_context("spawn")  # a fresh interpreter per worker: no forked pipes
    with context.Pool(
        options.workers, initializer=_init_worker, initargs=(options.model_dump(mode="json"),)
    ) as pool:
        yield from pool.imap_unordered(_work, chunks)


def build_pairs(
    options: PairsOptions, progress: Callable[[int, int], None] | None = None
) -> PairsReport:
    """Generate, render and caption `options.n` diagrams into `options.out`; resumable."""
    started = time.monotonic()
    out = options.out
    (out / "images").mkdir(parents=True, exist_ok=True)
    jsonl = out / "pairs.jsonl"
    done = existing_ids(jsonl)
    todo = [i for i in range(options.n) if diagram_id(i, options.seed) not in done]
    report = PairsReport(requested=options.n, existing=options.n - len(todo))
    chunks = [todo[i : i + options.chunk] for i in range(0, len(todo), options.chunk)]
    runner = _run_pool if options.workers > 1 and len(chunks) > 1 else _run_inline
    with jsonl.open("a") as handle:
        for records in runner(options, chunks):
            for record in records:
                if "error" in record:
                    report.render_failures += 1
                    if len(report.errors) < 10:
                        report.errors.append(f"{record['id']}: {record['error'][:200]}")
                    continue
                report.rewrite_rejected += bool(record["meta"].get("rejected"))
                handle.write(json.dumps(record, ensure_ascii=False) + "\n")
                report.written += 1
            handle.flush()
            if progress is not None:
                progress(report.written + report.render_failures, len(todo))
    report.seconds = round(time.monotonic() - started, 2)
    return report


def read_jsonl(path: Path) -> list[dict]:
    with Path(path).open() as handle:
        return [json.loads(line) for line in handle if line.strip()]
