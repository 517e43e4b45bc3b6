"""Stage-2 expert pairs: import (JSONL or CSV) with per-row validation, sha256 dedup and a
deterministic train/val split; and drafts exported from an ingested index for experts to fix.

    report = import_experts(Path("experts.jsonl"), Path("figs/"), Path("data/stage2"))
    report = export_drafts(Path("indexes/default"), Path("data/drafts"))

Rows: {image, caption | summary/components/relations, type?, mermaid?, id?}. A row with a schema
error is reported with its line number and skipped; the rest are imported. Output records share
the stage-1 schema {id, image, mermaid, caption, type, meta, logical}.
"""

from __future__ import annotations

import csv
import html
import json
import shutil
from pathlib import Path

from pydantic import BaseModel, Field, ValidationError, field_validator, model_validator

from ictrag.figures.mermaid import validate
from ictrag.figures.models.answer import parse_answer
from ictrag.model import FigureType, LogicalText, sha256_file


class ExpertError(ValueError):
    """The expert file cannot be read at all; one line."""


class ExpertRow(BaseModel):
    image: str
    caption: str = ""
    summary: str = ""
    components: list[str] = Field(default_factory=list)
    relations: list[str] = Field(default_factory=list)
    """Lines like `A -> B : label`."""
    type: FigureType | None = None
    mermaid: str | None = None
    id: str = ""

    @field_validator("components", "relations", mode="before")
    @classmethod
    def _split(cls, value):
        if isinstance(value, str):  # CSV cells: one item per line or `;`-separated
            sep = "\n" if "\n" in value else ";"
            return [item.strip() for item in value.split(sep) if item.strip()]
        return value

    @field_validator("mermaid", "type", mode="before")
    @classmethod
    def _blank(cls, value):
        return value or None

    @model_validator(mode="after")
    def _check(self) -> ExpertRow:
        if not (self.caption.strip() or self.summary.strip() or self.components):
            raise ValueError("needs a caption, or a summary / components")
        if self.mermaid:
            ok, reason = validate(self.mermaid)
            if not ok:
                raise ValueError(f"invalid mermaid: {reason}")
        return self

    def logical(self) -> LogicalText:
        if self.caption.strip():
            logical = parse_answer(self.caption, "expert", "")
        else:
            lines = ["RELATIONS:"] + [f"- {r}" for r in self.relations]
            logical = parse_answer("\n".join(lines), "expert", "")
            logical = logical.model_copy(update={"summary": " ".join(self.summary.split()), "components": self.components})  # fmt: skip
        update = {"backend": "expert", "confidence": 1.0}
        if self.type is not None:
            update["figure_type"] = self.type
        if self.mermaid:
            update["mermaid"] = self.mermaid.strip()
        return logical.model_copy(update=update)


class RowError(BaseModel):
    line: int
    message: str


class ImportReport(BaseModel):
    rows: int = 0
    imported: int = 0
    duplicates: int = 0
    train: int = 0
    val: int = 0
    errors: list[RowError] = Field(default_factory=list)


def read_rows(path: Path) -> list[tuple[int, dict | None, str]]:
    """(line number, row or None, error) for every data row of a JSONL or CSV file."""
    if not path.exists():
        raise ExpertError(f"expert file not found: {path}")
    rows: list[tuple[int, dict | None, str]] = []
    if path.suffix.lower() == ".csv":
        with path.open(newline="") as handle:
            reader = csv.DictReader(handle)
            for row in reader:
                rows.append(
                    (
                        reader.line_num,
                        {k: v for k, v in row.items() if k and v not in (None, "")},
                        "",
                    )
                )
        return rows
    for number, line in enumerate(path.read_text().splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as error:
            rows.append((number, None, f"not JSON: {error.msg}"))
            continue
        rows.append((number, row, "" if isinstance(row, dict) else "not a JSON object"))
    return rows


def split_of(sha: str, val_fraction: float) -> str:
    """Deterministic by content: the same image always lands in the same split."""
    return "val" if int(sha[:8], 16) / 0x100000000 < val_fraction else "train"


def import_experts(
    source: Path, images: Path, out: Path, val_fraction: float = 0.1
) -> ImportReport:
    report = ImportReport()
    out_images = out / "images"
    out_images.mkdir(parents=True, exist_ok=True)
    seen: set[str] = set()
    records: dict[str, list[dict]] = {"train": [], "val": []}
    for line, raw, problem in read_rows(source):
        report.rows += 1
        if raw is None:
            report.errors.append(RowError(line=line, message=problem))
            continue
        try:
            row = ExpertRow(**raw)
        except ValidationError as error:
            first = error.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            report.errors.append(
                RowError(line=line, message=f"{where + ': ' if where else ''}{first['msg']}")
            )
            continue
        image = Path(row.image) if Path(row.image).is_absolute() else images / row.image
        if not image.is_file():
            report.errors.append(RowError(line=line, message=f"image not found: {row.image}"))
            continue
        sha = sha256_file(image)
        if sha in seen:
            report.duplicates += 1
            continue
        seen.add(sha)
        target = out_images / f"{sha[:16]}{image.suffix.lower() or '.png'}"
        shutil.copyfile(image, target)
        logical = row.logical()
        split = split_of(sha, val_fraction)
        records[split].append(
            {
                "id": row.id or f"exp-{sha[:12]}",
                "image": f"images/{target.name}",
                "mermaid": logical.mermaid,
                "caption": logical.to_text(),
                "type": logical.figure_type.value,
                "meta": {"sha256": sha, "source": str(source), "line": line},
                "logical": logical.model_dump(mode="json"),
            }
        )
    for split, rows in records.items():
        rows.sort(key=lambda r: r["meta"]["sha256"])
        with (out / f"{split}.jsonl").open("w") as handle:
            for record in rows:
                handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    report.train, report.val = len(records["train"]), len(records["val"])
    report.imported = report.train + report.val
    return report


def export_drafts(index_path: Path, out: Path, limit: int | None = None, exact_only: bool = False) -> int:  # fmt: skip
    """Figures of an ingested index with their current logical text, as expert drafts:
    drafts.jsonl (ExpertRow schema) + images/ + review.html. Returns the number exported.
    `exact_only` keeps the figures whose file states their structure (`is_exact`: diagram
    code, draw.io or Office drawings with every connector glued): their rows import as
    stage-2 pairs without correction."""
    from ictrag.figures.source import is_exact
    from ictrag.index.docstore import DocStore
    from ictrag.index.manifest import Manifest, has_manifest

    if not has_manifest(index_path):
        raise ExpertError(f"no index at {index_path} (no manifest)")
    store = DocStore(index_path / "docs")
    (out / "images").mkdir(parents=True, exist_ok=True)
    rows: list[dict] = []
    for doc_id in sorted(Manifest(index_path).doc_ids()):
        document = store.get(doc_id)
        for figure in document.figures if document else []:
            if not figure.image_path or not Path(figure.image_path).is_file():
                continue
            exact = is_exact(figure.source)
            if exact_only and not (exact and figure.logical):
                continue
            name = f"{figure.id[:16]}.png"
            shutil.copyfile(figure.image_path, out / "images" / name)
            logical = figure.logical or LogicalText()
            rows.append(
                {
                    "id": figure.id[:16],
                    "image": name,
                    "caption": logical.to_text() if figure.logical else "",
                    "type": logical.figure_type.value,
                    "mermaid": logical.mermaid or "",
                    "doc": document.title or Path(document.source).name,
                    "page": figure.page,
                    "label": figure.label,
                    "backend": logical.backend,
                    "confidence": logical.confidence,
                    "exact": exact,
                    "source_format": figure.source.format if figure.source else "",
                }
            )
            if limit is not None and len(rows) >= limit:
                break
    with (out / "drafts.jsonl").open("w") as handle:
        for row in rows:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")
    (out / "review.html").write_text(_review_html(rows))
    return len(rows)


def _review_html(rows: list[dict]) -> str:
    cells = []
    for row in rows:
        meta = f"{row['doc']} p.{row['page']} {row['label']} ({row['backend']}, {row['confidence']:.2f})"
        cells.append(
            f'<tr id="{row["id"]}"><td><img src="images/{row["image"]}" loading="lazy"></td>'
            f"<td><p><b>{html.escape(row['id'])}</b> {html.escape(meta)}</p>"
            f"<pre>{html.escape(row['caption'] or '(no logical text)')}</pre></td></tr>"
        )
    return (
        "<!doctype html><meta charset=utf-8><title>ictrag figure drafts</title>"
        "<style>body{font:14px sans-serif}td{vertical-align:top;border-top:1px solid #ccc;padding:8px}"
        "img{max-width:560px}pre{white-space:pre-wrap;max-width:640px}</style>"
        f"<h1>{len(rows)} figure drafts</h1><p>Edit drafts.jsonl (caption, type, mermaid), then "
        "run <code>ictrag synth import-experts --in drafts.jsonl --images images --out DIR</code>.</p>"
        f"<table>{''.join(cells)}</table>"
    )
