"""Caption metrics: corpus BLEU and chrF (sacrebleu), ROUGE-L, CIDEr-D, and for Mermaid
outputs the diagram-structure scores of `structure.py` plus the Mermaid parse rate.

Records are JSONL lines keyed by `id`: {id, text | caption, mermaid?, type?, image?}; a
reference's `text` may be a list (several references). Several systems are scored against
the same references in one call, overall and per figure type.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError, field_validator

from ictrag.evaluation.cider import cider_d, cjk_share, tokens
from ictrag.evaluation.structure import macro_average, structure_scores
from ictrag.extras import require
from ictrag.figures.graph import DiagramGraph

TEXT_METRICS = ("bleu", "chrf", "rouge_l", "cider_d")
STRUCTURE_METRICS = (
    "mermaid_parse_rate",
    "node_f1",
    "edge_f1",
    "labelled_edge_f1",
    "message_f1",
    "message_order",
)


class EvalError(ValueError):
    """Bad evaluation input (unreadable file, bad record, unknown option): one line."""


class CaptionRecord(BaseModel):
    id: str
    text: list[str] = []
    mermaid: str | None = None
    type: str | None = None
    image: str | None = None

    @field_validator("id", mode="before")
    @classmethod
    def _id(cls, value: Any) -> str:
        return str(value)

    @field_validator("text", mode="before")
    @classmethod
    def _text(cls, value: Any) -> list[str]:
        if value is None:
            return []
        return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def read_jsonl(path: str | Path) -> list[dict[str, Any]]:
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as error:
        raise EvalError(f"cannot read {path}: {error.strerror or error}") from None
    rows = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as error:
            raise EvalError(f"{path}:{number}: not JSON ({error.msg})") from None
        if not isinstance(row, dict):
            raise EvalError(f"{path}:{number}: a record must be a JSON object")
        rows.append(row)
    return rows


def load_records(path: str | Path) -> dict[str, CaptionRecord]:
    """Caption records by id; `caption` is accepted for `text`; relative `image` paths are
    resolved against the file's folder."""
    records: dict[str, CaptionRecord] = {}
    for number, row in enumerate(read_jsonl(path), 1):
        if "text" not in row and "caption" in row:
            row = {**row, "text": row["caption"]}
        try:
            record = CaptionRecord.model_validate(row)
        except ValidationError as error:
            first = error.errors()[0]
            where = ".".join(str(part) for part in first["loc"]) or "record"
            raise EvalError(f"{path}: record {number}: {where}: {first['msg']}") from None
        if record.image and not Path(record.image).is_absolute():
            record.image = str((Path(path).parent / record.image).resolve())
        records[record.id] = record
    if not records:
        raise EvalError(f"{path}: no records")
    return records


# -- tokenization choice ---------------------------------------------------------------
def detect_tokenize(references: Iterable[str]) -> str:
    """sacrebleu tokenizer for these references: `zh` for Chinese script, `char` for
    Japanese (kana present), else `13a` (English and other space-separated languages)."""
    cjk, kana = cjk_share(list(references))
    if cjk < 0.2:
        return "13a"
    return "char" if kana > 0.1 else "zh"


# -- text metrics ------------------------------------------------------------------------
def _lcs(a: Sequence[str], b: Sequence[str]) -> int:
    if len(a) < len(b):
        a, b = b, a
    previous = [0] * (len(b) + 1)
    for x in a:
        current = [0]
        for j, y in enumerate(b):
            current.append(previous[j] + 1 if x == y else max(previous[j + 1], current[j]))
        previous = current
    return previous[-1]


def rouge_l(candidate: str, reference: str) -> float:
    """ROUGE-L F1 on `tokens` (CJK per character): P = LCS/|cand|, R = LCS/|ref|,
    F = 2PR/(P+R); 0 when either side has no tokens."""
    cand, ref = tokens(candidate), tokens(reference)
    if not cand or not ref:
        return 0.0
    common = _lcs(cand, ref)
    if common == 0:
        return 0.0
    precision, recall = common / len(cand), common / len(ref)
    return 2 * precision * recall / (precision + recall)


def _bleu_chrf(hyps: list[str], refs: list[list[str]], tokenize: str) -> tuple[float, float, str]:
    from sacrebleu.metrics import BLEU, CHRF

    width = max((len(r) for r in refs), default=1)
    streams = [[r[i] if i < len(r) else None for r in refs] for i in range(width)]
    bleu = BLEU(tokenize=tokenize)
    chrf = CHRF()
    bleu_score = bleu.corpus_score(hyps, streams).score
    chrf_score = chrf.corpus_score(hyps, streams).score
    return bleu_score, chrf_score, str(bleu.get_signature())


def bleu_signature(tokenize: str, n_refs: int = 1) -> str:
    """sacrebleu's BLEU signature for this setup (sacrebleu knows it only after a scoring)."""
    from sacrebleu.metrics import BLEU

    bleu = BLEU(tokenize=tokenize)
    bleu.corpus_score(["x"], [["x"]] * n_refs)
    return str(bleu.get_signature())


def text_metrics(
    hyps: list[str], refs: list[list[str]], tokenize: str, cider: list[float] | None = None
) -> dict[str, float]:
    """BLEU, chrF (0-100, sacrebleu corpus level), ROUGE-L F1 (0-100, mean over items) and
    CIDEr-D (mean; pass precomputed per-item scores to score a subset of a corpus)."""
    if not hyps:
        return {}
    bleu, chrf, _ = _bleu_chrf(hyps, refs, tokenize)
    rouge = [
        max(rouge_l(h, r) for r in rs) if rs else 0.0 for h, rs in zip(hyps, refs, strict=True)
    ]
    cider = cider if cider is not None else cider_d(hyps, refs)
    return {
        "bleu": bleu,
        "chrf": chrf,
        "rouge_l": 100.0 * sum(rouge) / len(rouge),
        "cider_d": sum(cider) / len(cider),
    }


# -- structure -----------------------------------------------------------------------------
def _parsed(code: str | None) -> DiagramGraph | None:
    from ictrag.figures.mermaid import MermaidError, parse

    if not code or not code.strip():
        return None
    try:
        graph = parse(code)
    except MermaidError:
        return None
    return graph if (graph.nodes or graph.fields or graph.messages) else None


def structure_row(pred: str | None, gold: DiagramGraph) -> dict[str, float]:
    """Scores of one prediction against a parsed gold graph; a missing or unparsable
    prediction is scored as an empty graph (so it counts, with zeros)."""
    graph = _parsed(pred)
    row = structure_scores(graph or DiagramGraph(kind=gold.kind), gold)
    row["mermaid_parse_rate"] = 1.0 if graph is not None else 0.0
    return row


# -- evaluation ------------------------------------------------------------------------------
@dataclass
class SystemResult:
    name: str
    overall: dict[str, float]
    by_type: dict[str, dict[str, float]]
    missing: int = 0
    """Reference ids the system has no record for (scored as empty output)."""
    extra: int = 0
    """System records whose id is not among the references (ignored)."""


@dataclass
class CaptionEvaluation:
    tokenize: str
    signature: str
    n_refs: int
    types: list[str]
    systems: list[SystemResult] = field(default_factory=list)

    def metric_names(self) -> list[str]:
        present = {name for system in self.systems for name in system.overall}
        return [m for m in (*TEXT_METRICS, *STRUCTURE_METRICS) if m in present]


def _type_of(ref: CaptionRecord, pred: CaptionRecord | None) -> str:
    return ref.type or (pred.type if pred else None) or "untyped"


def _score(
    ids: list[str],
    refs: dict[str, CaptionRecord],
    preds: dict[str, CaptionRecord],
    gold_graphs: dict[str, DiagramGraph],
    tokenize: str,
    cider: dict[str, float],
) -> dict[str, float]:
    text_ids = [i for i in ids if refs[i].text]
    hyps = [" ".join(preds[i].text) if i in preds else "" for i in text_ids]
    result = text_metrics(
        hyps, [refs[i].text for i in text_ids], tokenize, [cider[i] for i in text_ids]
    )
    rows = [
        structure_row(preds[i].mermaid if i in preds else None, gold_graphs[i])
        for i in ids
        if i in gold_graphs
    ]
    if rows:
        averaged = macro_average(rows)
        result.update({k: v for k, v in averaged.items() if k in STRUCTURE_METRICS})
        result["n_mermaid"] = float(len(rows))
    result["n"] = float(len(ids))
    return result


def evaluate_captions(
    systems: dict[str, dict[str, CaptionRecord]],
    references: dict[str, CaptionRecord],
    tokenize: str | None = None,
) -> CaptionEvaluation:
    """Score every system against the same references, overall and per figure type."""
    require("eval", "ictrag eval captions")
    from sacrebleu.metrics import BLEU

    if not systems:
        raise EvalError("no system to evaluate")
    ref_texts = [t for record in references.values() for t in record.text]
    tokenize = tokenize or detect_tokenize(ref_texts)
    if tokenize not in BLEU.TOKENIZERS:
        raise EvalError(f"unknown tokenizer {tokenize!r} (one of {', '.join(BLEU.TOKENIZERS)})")
    gold_graphs = {i: g for i, r in references.items() if (g := _parsed(r.mermaid)) is not None}
    ids = list(references)
    n_refs = max((len(r.text) for r in references.values()), default=1)
    evaluation = CaptionEvaluation(
        tokenize=tokenize,
        signature=bleu_signature(tokenize, n_refs),
        n_refs=len(ids),
        types=sorted({_type_of(references[i], None) for i in ids}),
    )
    text_ids = [i for i in ids if references[i].text]
    for name, preds in systems.items():
        hyps = [" ".join(preds[i].text) if i in preds else "" for i in text_ids]
        per_item = cider_d(hyps, [references[i].text for i in text_ids])
        cider = dict(zip(text_ids, per_item, strict=True))
        types: dict[str, list[str]] = {}
        for i in ids:
            types.setdefault(_type_of(references[i], preds.get(i)), []).append(i)
        evaluation.systems.append(
            SystemResult(
                name=name,
                overall=_score(ids, references, preds, gold_graphs, tokenize, cider),
                by_type={
                    kind: _score(members, references, preds, gold_graphs, tokenize, cider)
                    for kind, members in sorted(types.items())
                },
                missing=sum(1 for i in ids if i not in preds),
                extra=sum(1 for i in preds if i not in references),
            )
        )
    return evaluation


# -- report ------------------------------------------------------------------------------------
_LABELS = {
    "bleu": "BLEU",
    "chrf": "chrF",
    "rouge_l": "ROUGE-L",
    "cider_d": "CIDEr-D",
    "mermaid_parse_rate": "Mermaid parse",
    "node_f1": "node F1",
    "edge_f1": "edge F1",
    "labelled_edge_f1": "labelled edge F1",
    "message_f1": "message F1",
    "message_order": "message order",
}
_PERCENT = {"mermaid_parse_rate", *STRUCTURE_METRICS}


def _value(scores: dict[str, float], metric: str) -> float | None:
    if metric not in scores:
        return None
    return scores[metric] * (100.0 if metric in _PERCENT else 1.0)


def caption_report(
    evaluation: CaptionEvaluation,
    references: dict[str, CaptionRecord],
    systems: dict[str, dict[str, CaptionRecord]],
    gallery_limit: int = 40,
):
    """The side-by-side Report: overall and per-type tables, plots, figure gallery."""
    from ictrag.evaluation.report import GalleryItem, Report, Table, bar_plot

    metrics = evaluation.metric_names()
    headers = ["system", *(_LABELS[m] for m in metrics), "n", "missing"]
    overall = Table(
        "Captions: overall",
        headers,
        [
            [s.name, *(_value(s.overall, m) for m in metrics), int(s.overall["n"]), s.missing]
            for s in evaluation.systems
        ],
        note="BLEU, chrF, ROUGE-L: 0-100; CIDEr-D: 0-10 scale (x10); structure scores: percent.",
    )
    types = sorted({kind for s in evaluation.systems for kind in s.by_type})
    per_type = Table(
        "Captions: per figure type",
        ["type", "system", *(_LABELS[m] for m in metrics), "n"],
        [
            [kind, s.name, *(_value(s.by_type[kind], m) for m in metrics),
             int(s.by_type[kind]["n"])]
            for kind in types for s in evaluation.systems if kind in s.by_type
        ],
        group_by=0,
    )  # fmt: skip
    text_metrics_present = [m for m in ("bleu", "chrf", "rouge_l") if m in metrics]
    plots = []
    if text_metrics_present:
        plots.append(bar_plot(
            "Text metrics", [_LABELS[m] for m in text_metrics_present],
            {s.name: [s.overall.get(m, 0.0) for m in text_metrics_present] for s in evaluation.systems},
            "score (0-100)", "text_metrics",
        ))  # fmt: skip
    if "bleu" in metrics and len(types) > 1:
        plots.append(bar_plot(
            "BLEU per figure type", types,
            {s.name: [s.by_type.get(t, {}).get("bleu", 0.0) for t in types] for s in evaluation.systems},
            "BLEU", "bleu_per_type",
        ))  # fmt: skip
    gallery = []
    for record_id in list(references)[:gallery_limit]:
        ref = references[record_id]
        image = ref.image or next(
            (p[record_id].image for p in systems.values() if record_id in p and p[record_id].image),
            None,
        )
        gallery.append(
            GalleryItem(
                id=record_id,
                image=image,
                reference=_shown(ref),
                outputs={name: _shown(p.get(record_id)) for name, p in systems.items()},
                note=ref.type or "",
            )
        )
    return Report(
        title="Caption evaluation",
        notes=[f"BLEU signature: {evaluation.signature}", f"references: {evaluation.n_refs}"],
        tables=[overall, per_type],
        plots=plots,
        gallery=gallery,
    )


def _shown(record: CaptionRecord | None) -> str:
    if record is None:
        return "(missing)"
    text = "\n".join(record.text)
    if record.mermaid:
        text += ("\n\n" if text else "") + record.mermaid.strip()
    return text
