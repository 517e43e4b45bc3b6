"""Pretraining corpus and figure/caption pair export from an ingested index.

    kb = KnowledgeBase("indexes/manuals")
    report = export_corpus(kb, CorpusOptions(out=Path("out/corpus"), format="parquet"))
    report = export_pairs(kb, Path("out/pairs"))

A corpus record is one document in reading order, each figure inlined where it stands as
`<figure type=".." label=".." id="..">logical text</figure>`. Exact and near duplicates
(dedup.py) are dropped, keeping the first by source path. Shards hold documents sorted by
id, so the same index always gives the same files (gzip mtime 0, no timestamps).
"""

from __future__ import annotations

import gzip
import html
import io
import json
import re
import shutil
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field

from ictrag.export.dedup import Deduplicator
from ictrag.extras import require
from ictrag.index.manifest import has_manifest
from ictrag.model import Document, Figure, TextBlock
from ictrag.views import without_repeated_captions

CORPUS_FIELDS = (
    "id", "source", "title", "licence", "language", "text", "n_chars",
    "tokens_whitespace", "tokens_model", "n_figures", "pages",
)  # fmt: skip
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATIN = re.compile(r"[A-Za-z\u00c0-\u024f]")
_LETTER = re.compile(r"[^\W\d_]", re.UNICODE)


class ExportError(RuntimeError):
    """The export cannot run as asked; one line for the user."""


class CorpusOptions(BaseModel):
    out: Path
    format: Literal["jsonl", "parquet"] = "jsonl"
    shard_size: int = Field(1000, ge=1)
    """Documents per shard file."""
    licence: str = "unknown"
    near_threshold: float = Field(0.8, gt=0.0, le=1.0)
    """Estimated Jaccard over word 5-shingles at or above which a document is a near duplicate."""
    num_perm: int = 128
    shingle_size: int = 5
    seed: int = 1
    model_tokens: bool = True
    """Also count tokens with the embedder's tokenizer (loads the model once)."""


class Dropped(BaseModel):
    id: str
    source: str
    reason: Literal["exact", "near"]
    duplicate_of: str
    similarity: float


class CorpusReport(BaseModel):
    documents: int = 0
    written: int = 0
    dropped: list[Dropped] = Field(default_factory=list)
    figures: int = 0
    tokens_whitespace: int = 0
    tokens_model: int | None = None
    shards: list[str] = Field(default_factory=list)


def figure_tag(figure: Figure) -> str:
    logical = figure.logical
    kind = logical.figure_type.value if logical else "other"
    body = logical.to_text() if logical else figure.inner_text.strip()
    attrs = f'type="{kind}" label="{html.escape(figure.label, quote=True)}" id="{figure.id}"'
    return f"<figure {attrs}>\n{body}\n</figure>"


def document_text(document: Document) -> str:
    """The document in reading order; a caption that only repeats the figure's label goes,
    since the figure tag carries the label."""
    parts = []
    for element in without_repeated_captions(list(document.elements)):
        if isinstance(element, Figure):
            parts.append(figure_tag(element))
        elif isinstance(element, TextBlock) and element.text.strip():
            parts.append(element.text.strip())
    return "\n\n".join(parts)


def detect_language(text: str) -> str:
    """Script heuristic: 'zh' when Han characters are >= 30% of letters, 'en' when Latin
    letters are >= 60%, else 'other'. Latin script is taken as English (the corpus is)."""
    letters = len(_LETTER.findall(text))
    if not letters:
        return "other"
    if len(_HAN.findall(text)) / letters >= 0.3:
        return "zh"
    if len(_LATIN.findall(text)) / letters >= 0.6:
        return "en"
    return "other"


def _documents_by_path(kb: Any) -> list[tuple[str, Document | None, str]]:
    """(source path, document, doc id) sorted by path; a path whose bytes equal an earlier
    path's (same doc id) comes with document None."""
    seen: set[str] = set()
    out: list[tuple[str, Document | None, str]] = []
    for row in sorted(kb.documents(), key=lambda r: r["path"]):
        if row["doc_id"] in seen:
            out.append((row["path"], None, row["doc_id"]))
            continue
        seen.add(row["doc_id"])
        document = kb.document(row["doc_id"])
        if document is not None:
            out.append((row["path"], document, row["doc_id"]))
    return out


def corpus_records(kb: Any, options: CorpusOptions) -> tuple[list[dict[str, Any]], CorpusReport]:
    """Deduplicated records, sorted by id, and the report (without shards)."""
    dedup = Deduplicator(options.near_threshold, options.num_perm, options.shingle_size, options.seed)  # fmt: skip
    report = CorpusReport()
    kept: list[dict[str, Any]] = []
    for source, document, doc_id in _documents_by_path(kb):
        report.documents += 1
        if document is None:  # the same bytes under another path
            report.dropped.append(Dropped(id=doc_id, source=source, reason="exact",
                                          duplicate_of=doc_id, similarity=1.0))  # fmt: skip
            continue
        text = document_text(document)
        if not text.strip():
            continue
        verdict = dedup.add(document.id, text)
        if verdict is not None:
            reason, other, similarity = verdict
            report.dropped.append(Dropped(id=document.id, source=source, reason=reason,
                                          duplicate_of=other, similarity=round(similarity, 4)))  # fmt: skip
            continue
        kept.append({
            "id": document.id,
            "source": source,
            "title": document.title,
            "licence": options.licence,
            "language": detect_language(text),
            "text": text,
            "n_chars": len(text),
            "tokens_whitespace": len(text.split()),
            "tokens_model": None,
            "n_figures": len(document.figures),
            "pages": document.page_count,
        })  # fmt: skip
    if options.model_tokens and kept:
        counts = kb.embedder.count_tokens([record["text"] for record in kept])
        for record, count in zip(kept, counts, strict=True):
            record["tokens_model"] = count
        report.tokens_model = sum(counts)
    kept.sort(key=lambda record: record["id"])
    report.written = len(kept)
    report.figures = sum(record["n_figures"] for record in kept)
    report.tokens_whitespace = sum(record["tokens_whitespace"] for record in kept)
    return kept, report


def _write_jsonl_gz(records: list[dict[str, Any]], path: Path) -> None:
    buffer = io.BytesIO()
    with gzip.GzipFile(fileobj=buffer, mode="wb", mtime=0) as out:
        for record in records:
            out.write((json.dumps(record, ensure_ascii=False) + "\n").encode("utf-8"))
    path.write_bytes(buffer.getvalue())


def _write_parquet(records: list[dict[str, Any]], path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = pa.schema([
        ("id", pa.string()), ("source", pa.string()), ("title", pa.string()),
        ("licence", pa.string()), ("language", pa.string()), ("text", pa.string()),
        ("n_chars", pa.int64()), ("tokens_whitespace", pa.int64()), ("tokens_model", pa.int64()),
        ("n_figures", pa.int64()), ("pages", pa.int64()),
    ])  # fmt: skip
    table = pa.Table.from_pylist(records, schema=schema)
    pq.write_table(table, path, compression="zstd")


def write_shards(records: list[dict[str, Any]], out: Path, fmt: str, shard_size: int) -> list[Path]:
    """corpus-00000.jsonl.gz, corpus-00001.jsonl.gz, ... (or .parquet); old shards removed."""
    out.mkdir(parents=True, exist_ok=True)
    for old in [*out.glob("corpus-*.jsonl.gz"), *out.glob("corpus-*.parquet")]:
        old.unlink()
    paths = []
    for number, start in enumerate(range(0, max(len(records), 1), shard_size)):
        shard = records[start : start + shard_size]
        if fmt == "parquet":
            path = out / f"corpus-{number:05d}.parquet"
            _write_parquet(shard, path)
        else:
            path = out / f"corpus-{number:05d}.jsonl.gz"
            _write_jsonl_gz(shard, path)
        paths.append(path)
    return paths


def read_shards(out: Path) -> list[dict[str, Any]]:
    """All records of an exported corpus folder, in shard order (either format)."""
    records: list[dict[str, Any]] = []
    for path in sorted(out.glob("corpus-*")):
        if path.name.endswith(".jsonl.gz"):
            with gzip.open(path, "rt", encoding="utf-8") as handle:
                records.extend(json.loads(line) for line in handle if line.strip())
        elif path.suffix == ".parquet":
            import pyarrow.parquet as pq

            records.extend(pq.read_table(path).to_pylist())
    return records


def export_corpus(kb: Any, options: CorpusOptions) -> CorpusReport:
    if options.format == "parquet":
        require("parquet", "ictrag export corpus --format parquet")
    if not has_manifest(kb.path):
        raise ExportError(f"no index at {kb.path} (no manifest): ingest first")
    records, report = corpus_records(kb, options)
    shards = write_shards(records, options.out, options.format, options.shard_size)
    report.shards = [path.name for path in shards]
    (options.out / "report.json").write_text(report.model_dump_json(indent=1) + "\n")
    return report


# --- figure / logical-text pairs (stage-2 drafts) ----------------------------------------


class PairsReport(BaseModel):
    figures: int = 0
    written: int = 0
    without_image: int = 0
    without_logical: int = 0
    duplicates: int = 0


def export_pairs(kb: Any, out: Path) -> PairsReport:
    """images/<id16>.png + pairs.jsonl: {id, image, caption, type, label, doc, doc_id, page,
    mermaid, logical, meta{label, context, inner_text, source}}, the record shape that
    ictrag.training.data.load_samples reads (image relative to the JSONL's folder)."""
    from ictrag.views import figure_image

    if not has_manifest(kb.path):
        raise ExportError(f"no index at {kb.path} (no manifest): ingest first")
    images = out / "images"
    images.mkdir(parents=True, exist_ok=True)
    report = PairsReport()
    seen: set[str] = set()
    rows = []
    for source, document, _ in _documents_by_path(kb):
        for figure in document.figures if document else []:
            report.figures += 1
            if figure.id in seen:
                report.duplicates += 1
                continue
            seen.add(figure.id)
            image = figure_image(figure, kb.path)
            if image is None:
                report.without_image += 1
                continue
            if figure.logical is None:
                report.without_logical += 1
                continue
            name = f"{figure.id[:16]}.png"
            shutil.copyfile(image, images / name)
            logical = figure.logical
            rows.append({
                "id": figure.id[:16],
                "image": f"images/{name}",
                "caption": logical.to_text(),
                "type": logical.figure_type.value,
                "label": figure.label,
                "doc": document.title or Path(source).name,
                "doc_id": document.id,
                "page": figure.page,
                "mermaid": logical.mermaid,
                "logical": logical.model_dump(mode="json"),
                "meta": {"label": figure.label, "context": figure.context,
                         "inner_text": figure.inner_text, "source": source},
            })  # fmt: skip
    rows.sort(key=lambda row: row["id"])
    with (out / "pairs.jsonl").open("w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")
    report.written = len(rows)
    return report
