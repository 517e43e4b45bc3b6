"""Stage-1 pairs: generate -> write for each renderer -> render (the real tools) -> check ->
caption (rewriter) -> images/ + pairs.jsonl.

    report = build_pairs(PairsOptions(n=7000, out=Path("data/stage1"), workers=4))
    report = build_pairs(PairsOptions(n=2000, out=..., renderers=list(RENDERERS), per_structure=2, noise=0.4))

Each structure (`generate.generate_diagram`) is drawn by `per_structure` of the renderers
that can draw it (0: all of them), chosen from the structure's own seed; `n` counts pairs.
Each record: {id, image, mermaid, caption, type, seed, unit, renderer, style, source, meta,
logical}. `mermaid` and the caption come from the structure as that renderer shows it
(`sources.adapt`), never from the image; `style` names the renderer variant a validation
split can hold out; `source` is what the renderer drew (DOT, PlantUML, mscgen, seqdiag, SVG
or Mermaid). A picture whose SVG text lacks a word of its caption counts as a render
failure (`faithful.missing_words`). `image` is relative to the JSONL's folder.

Work is split into chunks over processes, each with its own renderers; results are appended
as they come, so an interrupted run resumes by skipping ids already in the JSONL. Render
failures are dropped and counted, never fatal. A Mermaid pair keeps its structure's id, so
`ictrag synth mermaid` (renderers=["mermaid"], one per structure) writes what it always has.
"""

from __future__ import annotations

import json
import multiprocessing as mp
import multiprocessing.util
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

from ictrag.training.synth import sources
from ictrag.training.synth.degrade import degrade
from ictrag.training.synth.faithful import missing_words
from ictrag.training.synth.generate import SynthDiagram, diagram_id, generate_diagram
from ictrag.training.synth.render import MermaidRenderer, RenderError, RenderJob
from ictrag.training.synth.render_tools import (  # fmt: skip
    DiagramRenderError,
    RendererMissing,
    plantuml_svgs,
    render_svg,
    svg_to,
)
from ictrag.training.synth.rewrite import RewriteError, make_rewriter, template_logical
from ictrag.training.synth.seeds import item_rng
from ictrag.training.synth.styles import Style, sample_style
from PIL import Image
from pydantic import BaseModel, Field, field_validator

from ictrag.figures.graph import DiagramGraph
from ictrag.figures.mermaid import emit as emit_mermaid

TOOLS = {"graphviz": "dot", "plantuml": "plantuml", "mscgen": "mscgen", "seqdiag": "seqdiag", "drawio": "dot"}  # fmt: skip
"""The `render_tools` program behind each renderer but Mermaid (draw.io-style SVG is written
here and only laid out by dot; PlantUML is drawn in batches)."""


class PairsOptions(BaseModel):
    n: int = 7000
    """Pairs to make (a structure drawn by two renderers gives two)."""
    out: Path
    seed: int = 0
    renderers: list[str] = Field(default_factory=lambda: ["mermaid"])
    per_structure: int = 1
    """Renderers per structure, sampled among those that can draw it; 0 = all of them."""
    noise: float = 0.0
    """Share of pairs whose image gets JPEG or scan noise."""
    workers: int = 1
    chunk: int = 16
    """Pairs per task sent to a worker (one Mermaid batch, one PlantUML JVM)."""
    scale: float = 1.5
    """Mermaid's device scale; the other renderers take theirs from the pair's style."""
    rewriter: str = "template"
    rewriter_model: str = ""
    rewriter_base_url: str = ""
    api_key_env: str = "OPENAI_API_KEY"

    @field_validator("renderers")
    @classmethod
    def _known(cls, value: list[str]) -> list[str]:
        unknown = [r for r in value if r not in sources.RENDERERS]
        if unknown or not value:
            raise ValueError(f"unknown renderer(s) {unknown}; choose from {', '.join(sources.RENDERERS)}")  # fmt: skip
        return [r for r in sources.RENDERERS if r in value]  # one order, whatever was typed


class PairsReport(BaseModel):
    requested: int = 0
    existing: int = 0
    written: int = 0
    render_failures: int = 0
    rewrite_rejected: int = 0
    seconds: float = 0.0
    per_renderer: dict[str, int] = Field(default_factory=dict)
    """Pairs written per renderer in this run."""
    failures_per_renderer: dict[str, int] = Field(default_factory=dict)
    render_seconds: dict[str, float] = Field(default_factory=dict)
    """Worker seconds spent drawing each renderer's pairs (tool, conversion, noise)."""
    errors: list[str] = Field(default_factory=list)
    """The first few render errors, one line each."""

    @property
    def success_rate(self) -> float:
        tried = self.written + self.render_failures
        return self.written / tried if tried else 1.0

    @property
    def per_second(self) -> float:
        return self.written / self.seconds if self.seconds else 0.0


@dataclass(frozen=True)
class Planned:
    index: int
    renderer: str
    id: str


def missing_for(renderers: list[str]) -> list[str]:
    """One line per chosen renderer that is not installed here, saying what to install."""
    from ictrag.training.synth.render import missing_requirements
    from ictrag.training.synth.render_tools import command

    lines = []
    for renderer in renderers:
        if renderer == "mermaid":
            missing = missing_requirements()
            if missing:
                lines.append(f"mermaid ({', '.join(missing)}): run `ictrag setup renderers`")
            continue
        try:
            command(TOOLS[renderer])
        except RendererMissing as error:
            lines.append(f"{renderer}: {error}")
    return lines


def pair_id(index: int, seed: int, renderer: str) -> str:
    base = diagram_id(index, seed)
    return base if renderer == "mermaid" else f"{base}-{renderer}"


def plan_pairs(options: PairsOptions) -> list[Planned]:
    """The first `n` pairs of the run: structure by structure, each with its renderers."""
    planned: list[Planned] = []
    index = 0
    while len(planned) < options.n and index < 20 * options.n + 100:
        graph = generate_diagram(index, options.seed).graph
        able = [r for r in options.renderers if sources.draws(r, graph)]
        if options.per_structure and len(able) > options.per_structure:
            chosen = set(item_rng(options.seed, index, "renderers").sample(able, options.per_structure))  # fmt: skip
            able = [r for r in able if r in chosen]
        planned += [Planned(index, r, pair_id(index, options.seed, r)) for r in able]
        index += 1
    return planned[: options.n]


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


@dataclass
class _Pair:
    planned: Planned
    diagram: SynthDiagram
    shown: DiagramGraph
    """The structure as this renderer draws it."""
    style: Style
    source: str = ""
    svg: str = ""
    image: Path | None = None
    error: str = ""
    seconds: float = 0.0


def _init_worker(options: dict, pooled: bool = False) -> None:
    opts = PairsOptions(**options)
    if pooled:  # a pool worker that exits normally (close + join) closes its browser first
        multiprocessing.util.Finalize(None, _close_worker, exitpriority=10)
    _STATE["options"] = opts
    _STATE["rewriter"] = make_rewriter(
        opts.rewriter, model=opts.rewriter_model, base_url=opts.rewriter_base_url,
        api_key_env=opts.api_key_env,
    )  # fmt: skip


def _mermaid() -> MermaidRenderer:
    if "renderer" not in _STATE:
        _STATE["renderer"] = MermaidRenderer(scale=_STATE["options"].scale, pages=2)
    return _STATE["renderer"]


def _close_worker() -> None:
    renderer = _STATE.pop("renderer", None)
    if renderer is not None:
        renderer.close()


def _prepare(planned: Planned, diagrams: dict[int, SynthDiagram], opts: PairsOptions) -> _Pair:
    if planned.index not in diagrams:
        diagrams[planned.index] = generate_diagram(planned.index, opts.seed)
    diagram = diagrams[planned.index]
    rng = item_rng(opts.seed, planned.id, "style")
    style = sample_style(planned.renderer, diagram.kind, rng, theme=diagram.theme, noise=opts.noise)  # fmt: skip
    shown = sources.adapt(planned.renderer, diagram.graph, style)
    pair = _Pair(planned, diagram, shown, style)
    if planned.renderer == "mermaid":
        pair.source = diagram.code
        return pair
    try:
        pair.source = sources.emit(planned.renderer, shown, style)
    except (DiagramRenderError, RendererMissing) as error:  # draw.io's layout runs dot
        pair.error = str(error)
    return pair


def _draw_mermaid(pairs: list[_Pair], images: Path) -> None:
    jobs = [RenderJob(p.source, images / f"{p.planned.id}.png", theme=p.style.variant) for p in pairs]  # fmt: skip
    try:
        results = _mermaid().render_many(jobs)
    except RenderError as error:
        for pair in pairs:
            pair.error = str(error)
        return
    for pair, job, result in zip(pairs, jobs, results, strict=True):
        pair.image, pair.error = (job.png, "") if result.ok else (None, result.error or "render failed")  # fmt: skip


def _draw_svgs(renderer: str, pairs: list[_Pair]) -> None:
    pairs = [pair for pair in pairs if not pair.error]
    if renderer == "plantuml":
        for pair, svg in zip(pairs, plantuml_svgs([p.source for p in pairs]), strict=True):
            pair.svg, pair.error = (svg, "") if isinstance(svg, str) else ("", str(svg))
        return
    for pair in pairs:
        try:
            pair.svg = draw_svg(renderer, pair.source)
        except (DiagramRenderError, RendererMissing) as error:
            pair.error = str(error)


def draw_svg(renderer: str, source: str) -> str:
    """The SVG of one source of a renderer other than Mermaid (draw.io's source is its SVG)."""
    if renderer == "drawio":
        return source
    if renderer == "plantuml":
        svg = plantuml_svgs([source])[0]
        if not isinstance(svg, str):
            raise svg
        return svg
    return render_svg(source, TOOLS[renderer])


def _finish(pair: _Pair, images: Path) -> None:
    """SVG -> checked -> PNG; then raster noise for every renderer."""
    if pair.svg and not pair.error:
        lacking = missing_words(pair.shown, pair.svg, pair.planned.renderer)
        if lacking:
            pair.error = f"picture lacks {lacking[:3]}"
            return
        png = images / f"{pair.planned.id}.png"
        try:
            svg_to(pair.svg, png=png, scale=pair.style.scale)
            pair.image = png
        except DiagramRenderError as error:
            pair.error = str(error)
            return
    if pair.image is not None and not pair.error:
        pair.image = degrade(pair.image, pair.style, item_rng(_STATE["options"].seed, pair.planned.id, "noise"))  # fmt: skip


def _record(pair: _Pair) -> dict:
    opts: PairsOptions = _STATE["options"]
    if pair.error or pair.image is None:
        return {"error": pair.error or "render failed", "id": pair.planned.id, "renderer": pair.planned.renderer, "seconds": pair.seconds}  # fmt: skip
    mermaid = pair.diagram.mermaid if pair.planned.renderer == "mermaid" else emit_mermaid(pair.shown)  # fmt: skip
    logical = template_logical(mermaid, seed=pair.diagram.seed)
    try:
        logical = _STATE["rewriter"].rewrite(logical)
    except RewriteError as error:
        return {"error": f"rewrite: {error}", "id": pair.planned.id, "renderer": pair.planned.renderer, "seconds": pair.seconds}  # fmt: skip
    rejected = logical.backend.endswith("-rejected")
    with Image.open(pair.image) as image:
        width, height = image.size
    meta = dict(pair.diagram.meta, width=width, height=height, rejected=rejected)
    meta.update(style=asdict(pair.style), render_s=round(pair.seconds, 4))
    meta["inner_text"] = "\n".join(logical.components)
    return {
        "id": pair.planned.id,
        "image": str(pair.image.relative_to(opts.out)),
        "mermaid": mermaid,
        "caption": logical.to_text(),
        "type": logical.figure_type.value,
        "seed": pair.diagram.seed,
        "unit": pair.diagram.unit,
        "renderer": pair.planned.renderer,
        "style": pair.style.name,
        "source": pair.source,
        "meta": meta,
        "logical": logical.model_dump(mode="json"),
    }


def _work(chunk: list[Planned]) -> list[dict]:
    """Draw and caption one chunk; returns records, or {"error": ...} for failures."""
    opts: PairsOptions = _STATE["options"]
    images = opts.out / "images"
    diagrams: dict[int, SynthDiagram] = {}
    pairs = [_prepare(planned, diagrams, opts) for planned in chunk]
    by_renderer: dict[str, list[_Pair]] = defaultdict(list)
    for pair in pairs:
        by_renderer[pair.planned.renderer].append(pair)
    for renderer, group in by_renderer.items():
        started = time.monotonic()
        if renderer == "mermaid":
            _draw_mermaid(group, images)
        else:
            _draw_svgs(renderer, group)
        for pair in group:
            _finish(pair, images)
        share = (time.monotonic() - started) / len(group)
        for pair in group:
            pair.seconds = share
    return [_record(pair) for pair in pairs]


def _run_inline(options: PairsOptions, chunks: list[list[Planned]]) -> Iterator[list[dict]]:
    _init_worker(options.model_dump(mode="json"))
    try:
        for chunk in chunks:
            yield _work(chunk)
    finally:
        _close_worker()


def _run_pool(options: PairsOptions, chunks: list[list[Planned]]) -> Iterator[list[dict]]:
    context = mp.get_context("spawn")  # a fresh interpreter per worker: no forked pipes
    pool = context.Pool(options.workers, initializer=_init_worker, initargs=(options.model_dump(mode="json"), True))  # fmt: skip
    finished = False
    try:
        yield from pool.imap_unordered(_work, chunks)
        pool.close()  # workers leave normally: their renderers close and are waited for
        finished = True
    finally:
        if not finished:
            pool.terminate()
        pool.join()


def build_pairs(
    options: PairsOptions, progress: Callable[[int, int], None] | None = None
) -> PairsReport:
    """Make `options.n` pairs into `options.out`; resumable."""
    started = time.monotonic()
    out = options.out
    (out / "images").mkdir(parents=True, exist_ok=True)
    jsonl = out / "pairs.jsonl"
    done = existing_ids(jsonl)
    planned = plan_pairs(options)
    todo = [pair for pair in planned if pair.id not in done]
    report = PairsReport(requested=options.n, existing=len(planned) - len(todo))
    chunks = [todo[i : i + options.chunk] for i in range(0, len(todo), options.chunk)]
    runner = _run_pool if options.workers > 1 and len(chunks) > 1 else _run_inline
    written: Counter[str] = Counter()
    failed: Counter[str] = Counter()
    seconds: Counter[str] = Counter()
    with jsonl.open("a") as handle:
        for records in runner(options, chunks):
            for record in records:
                renderer = record.get("renderer", "mermaid")
                if "error" in record:
                    report.render_failures += 1
                    failed[renderer] += 1
                    seconds[renderer] += record.get("seconds", 0.0)
                    if len(report.errors) < 10:
                        report.errors.append(f"{record['id']}: {record['error'][:200]}")
                    continue
                report.rewrite_rejected += bool(record["meta"].get("rejected"))
                seconds[renderer] += record["meta"]["render_s"]
                handle.write(json.dumps(record, ensure_ascii=False) + "\n")
                report.written += 1
                written[renderer] += 1
            handle.flush()
            if progress is not None:
                progress(report.written + report.render_failures, len(todo))
    report.per_renderer, report.failures_per_renderer = dict(written), dict(failed)
    report.render_seconds = {r: round(s, 2) for r, s in seconds.items()}
    report.seconds = round(time.monotonic() - started, 2)
    return report


def read_jsonl(path: Path) -> list[dict]:
    with Path(path).open() as handle:
        return [json.loads(line) for line in handle if line.strip()]
