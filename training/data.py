"""Training samples: pair records (stage 1/2) and VQA items (stage 3) -> chat samples.

A caption sample uses exactly the prompt of ictrag.figures.models.prompt.build_messages, so the trained
model sees at training time what DICModelCaptioner sends it at inference; its answer is the
LogicalText written in that prompt's answer format (TYPE / SUMMARY / COMPONENTS / RELATIONS /
MERMAID), which parse_answer reads back. A VQA sample is the image plus the question.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ictrag.figures.base import FigureInput
from ictrag.figures.models.prompt import build_messages
from ictrag.model import LogicalText

VQA_SYSTEM = (
    "You answer questions about figures from ICT manuals (networking, telecom, protocols). "
    "Answer briefly and only from what the figure shows."
)


class DataError(ValueError):
    """A training file or record cannot be used; one line."""


@dataclass
class Sample:
    id: str
    image: str
    messages: list[dict[str, Any]]
    """System + user messages; the user content has an {"type": "image", "image": path} part."""
    answer: str
    task: str = "caption"
    unit: str = ""
    """Generator unit (`family:template` / `family:rule`); empty = the sample is its own unit."""
    max_pixels: int | None = None
    """A lower pixel budget for this sample's image, set when it would not fit max_length."""
    style: str = ""
    """Renderer style of a synthetic pair (`graphviz:neato`); empty for other samples."""


def format_answer(logical: LogicalText) -> str:
    """LogicalText in the answer format that the figure prompt asks for."""
    lines = [f"TYPE: {logical.figure_type.value}", f"SUMMARY: {logical.summary}", "COMPONENTS:"]
    lines += [f"- {component}" for component in logical.components]
    lines.append("RELATIONS:")
    for relation in logical.relations:
        if relation.kind == "contains":
            lines.append(f"- {relation.source} contains {relation.target}")
            continue
        arrow = "->" if relation.directed else "--"
        label = f" : {relation.label}" if relation.label else ""
        lines.append(f"- {relation.source} {arrow} {relation.target}{label}")
    if logical.mermaid:
        lines += ["MERMAID:", "```mermaid", logical.mermaid.strip(), "```"]
    return "\n".join(lines)


def _logical(record: dict) -> LogicalText:
    if record.get("logical"):
        return LogicalText.model_validate(record["logical"])
    from ictrag.figures.models.answer import parse_answer

    return parse_answer(record.get("caption", ""), "record", "")


def _use_inner_text(record_id: str, probability: float) -> bool:
    """Deterministic per record, so a resumed run sees the same samples."""
    digest = hashlib.sha256(record_id.encode()).digest()
    return digest[0] / 256 < probability


def caption_sample(record: dict, root: Path, *, inner_text_prob: float = 0.5, target: str = "answer") -> Sample:  # fmt: skip
    """A pair record -> a caption sample. Some samples carry the figure's own text (as the
    vector/OCR path gives it at inference), some none, so the model learns both cases."""
    image = str(root / record["image"])
    meta = record.get("meta") or {}
    inner = meta.get("inner_text", "") if _use_inner_text(record["id"], inner_text_prob) else ""
    item = FigureInput(image_path=image, label=meta.get("label", ""), context=meta.get("context", ""), inner_text=inner)  # fmt: skip
    logical = _logical(record)
    answer = format_answer(logical) if target == "answer" else logical.to_text()
    unit = record.get("unit") or meta.get("unit") or ""
    return Sample(record["id"], image, build_messages(item), answer, "caption", unit, style=record.get("style") or "")  # fmt: skip


def vqa_sample(record: dict, root: Path) -> Sample:
    from ictrag.training.synth.vqa import VQAItem, question_text

    item = VQAItem.model_validate(record)
    image = str(root / item.image)
    messages = [
        {"role": "system", "content": VQA_SYSTEM},
        {
            "role": "user",
            "content": [
                {"type": "image", "image": image},
                {"type": "text", "text": question_text(item)},
            ],
        },  # fmt: skip
    ]
    return Sample(item.id, image, messages, item.answer, "vqa", item.unit)


def load_samples(path: str | Path, *, image_root: str | Path | None = None, inner_text_prob: float = 0.5, target: str = "answer") -> list[Sample]:  # fmt: skip
    """Samples of a JSONL file; each record is a pair (has `caption`) or a VQA item (has
    `question`). Images resolve against `image_root`, by default the file's folder."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"training file not found: {path}")
    root = Path(image_root) if image_root else path.parent
    samples = []
    for number, line in enumerate(path.read_text().splitlines(), 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            if "question" in record:
                samples.append(vqa_sample(record, root))
            else:
                samples.append(caption_sample(record, root, inner_text_prob=inner_text_prob, target=target))  # fmt: skip
        except (ValueError, KeyError, TypeError) as error:
            raise DataError(
                f"{path}:{number}: bad record: {type(error).__name__}: {error}"
            ) from None
        if not Path(samples[-1].image).is_file():
            raise DataError(f"{path}:{number}: image not found: {samples[-1].image}")
    return samples


def _fraction(key: str) -> float:
    return int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big") / 2**64


def unit_of(sample: Sample) -> str:
    return sample.unit or f"pair:{sample.id}"


def validation_units(units: set[str], val_fraction: float) -> set[str]:
    """Units held out: those whose hash falls under `val_fraction` (a unit's fate never
    depends on what else is in the data), plus, per family with none held out and at least
    two units, the one with the lowest hash, so every family is measured."""
    held = {unit for unit in units if _fraction(unit) < val_fraction}
    families: dict[str, list[str]] = {}
    for unit in units:
        families.setdefault(unit.split(":", 1)[0], []).append(unit)
    for family, members in families.items():
        if family != "pair" and len(members) >= 2 and not held.intersection(members):
            held.add(min(members, key=_fraction))
    return held


def held_style(samples: list[Sample]) -> str:
    """The renderer style validation holds out: among the styles of renderers that show at
    least two, leaving out each renderer's most common one (its main look stays in
    training), the one with the lowest hash; "" when no renderer shows two."""
    counts: dict[str, dict[str, int]] = {}
    for sample in samples:
        if sample.style:
            styles = counts.setdefault(sample.style.split(":", 1)[0], {})
            styles[sample.style] = styles.get(sample.style, 0) + 1
    candidates: list[str] = []
    for styles in counts.values():
        if len(styles) >= 2:
            main = max(sorted(styles), key=styles.__getitem__)
            candidates += [style for style in styles if style != main]
    return min(candidates, key=lambda style: _fraction(f"style:{style}")) if candidates else ""


def split_samples(samples: list[Sample], val_fraction: float) -> tuple[list[Sample], list[Sample]]:
    """Deterministic held-out split by whole generator units and one renderer style (used
    when no eval file is given).

    Every sample of a held-out template or rule goes to validation, so eval loss measures
    generalisation to unseen structures, not memorised ones; samples without a unit (expert
    pairs) are their own unit. Training also never sees the held-out style: its samples of
    held-out units are in validation (a unit that has some is held out if none was), and its
    samples of training units are left out of both sides, since they share a template with
    training."""
    if val_fraction <= 0:
        return samples, []
    units = {unit_of(s) for s in samples}
    held = validation_units(units, val_fraction)
    if not held and len(units) > 1:
        held = {min(units, key=_fraction)}
    style = held_style(samples)
    if style:
        styled = {unit_of(s) for s in samples if s.style == style}
        if not held & styled and len(units - styled) > 0:
            held.add(min(styled, key=_fraction))
    val = [s for s in samples if unit_of(s) in held]
    train = [s for s in samples if unit_of(s) not in held and not (style and s.style == style)]
    if not train:  # one unit only: no validation rather than a leaking one
        return samples, []
    return train, val


class SampleDataset:
    """A torch-style map dataset over samples (the collator does the processing)."""

    def __init__(self, samples: list[Sample]):
        self.samples = samples

    def __len__(self) -> int:
        return len(self.samples)

    def __getitem__(self, index: int) -> Sample:
        return self.samples[index]
