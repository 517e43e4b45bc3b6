"""Collation for Qwen2.5-VL-class SFT: chat template + image -> input ids, pixel values and
labels masked to the assistant answer.

The prompt (system, user text, image pads, `<|im_start|>assistant\\n`) is processed with the
image by the model's processor, exactly as at inference; the answer (+ end-of-turn) is tokenized
on its own and appended. Labels are -100 over the whole prompt (image pad tokens included) and
over padding, so the loss is the answer's only.

`fit_samples` runs before training: a sample whose prompt + answer exceed `max_length` gets a
lower pixel budget for its image (fewer image tokens), halved until it fits or reaches
`min_pixels`; one that still does not fit is skipped and counted, never fatal.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field, replace
from typing import Any

from ictrag.training.data import Sample

from ictrag.figures.models.prompt import hf_messages

log = logging.getLogger("ictrag.training")

IGNORE = -100


def set_pixels(processor: Any, min_pixels: int | None, max_pixels: int | None) -> None:
    """Pixel budget of the image processor (Qwen2-VL: shortest/longest edge in pixels)."""
    image_processor = getattr(processor, "image_processor", None)
    if image_processor is None or min_pixels is None or max_pixels is None:
        return
    size = getattr(image_processor, "size", None)
    try:  # a dict, or transformers 5's SizeDict (no keys(), but `in` works)
        has_edges = size is not None and "shortest_edge" in size and "longest_edge" in size
    except TypeError:
        has_edges = False
    if has_edges:
        image_processor.size = {"shortest_edge": min_pixels, "longest_edge": max_pixels}
    if hasattr(image_processor, "min_pixels"):
        image_processor.min_pixels, image_processor.max_pixels = min_pixels, max_pixels


class VisionSFTCollator:
    def __init__(self, processor: Any, *, max_length: int = 4096, end_of_turn: str = "<|im_end|>\n"):  # fmt: skip
        self.processor = processor
        self.tokenizer = getattr(processor, "tokenizer", processor)
        self.max_length = max_length
        self.end_of_turn = end_of_turn
        pad = self.tokenizer.pad_token_id
        self.pad_id = pad if pad is not None else self.tokenizer.eos_token_id

    def prompt(self, sample: Sample) -> str:
        return self.processor.apply_chat_template(
            hf_messages(sample.messages), tokenize=False, add_generation_prompt=True
        )

    def answer_ids(self, sample: Sample) -> list[int]:
        return self.tokenizer(sample.answer + self.end_of_turn, add_special_tokens=False)["input_ids"]  # fmt: skip

    def image(self, sample: Sample) -> Any:
        from PIL import Image

        with Image.open(sample.image) as opened:
            image = opened.convert("RGB")
        if sample.max_pixels:
            size = budget_size(image.width, image.height, sample.max_pixels)
            if size != image.size:
                image = image.resize(size, Image.Resampling.BICUBIC)
        return image

    def length(self, sample: Sample) -> int:
        """Tokens of the encoded sample (prompt with image tokens + answer), without
        processing the pixels when the image processor can count its patches."""
        count = getattr(getattr(self.processor, "image_processor", None), "get_number_of_image_patches", None)  # fmt: skip
        image_token = getattr(self.processor, "image_token", None)
        if count is None or image_token is None:
            return len(self.encode(sample, truncate=False)["input_ids"])
        from PIL import Image

        with Image.open(sample.image) as opened:
            width, height = opened.size
        if sample.max_pixels:
            width, height = budget_size(width, height, sample.max_pixels)
        merge = getattr(self.processor.image_processor, "merge_size", 1) ** 2
        image_tokens = count(height, width) // merge
        prompt = self.tokenizer(self.prompt(sample), add_special_tokens=False)["input_ids"]
        images = prompt.count(self.tokenizer.convert_tokens_to_ids(image_token))
        return len(prompt) + images * (image_tokens - 1) + len(self.answer_ids(sample))

    def encode(self, sample: Sample, truncate: bool = True) -> dict[str, Any]:
        encoded = self.processor(text=[self.prompt(sample)], images=[self.image(sample)], return_tensors="pt")  # fmt: skip
        prompt_ids = encoded["input_ids"][0].tolist()
        answer_ids = self.answer_ids(sample)
        if truncate:  # fit_samples keeps this from happening; cut the answer, never the image
            answer_ids = answer_ids[: max(0, self.max_length - len(prompt_ids))]
        item = {
            "input_ids": prompt_ids + answer_ids,
            "labels": [IGNORE] * len(prompt_ids) + answer_ids,
            "pixel_values": encoded["pixel_values"],
            "image_grid_thw": encoded["image_grid_thw"],
        }
        if "mm_token_type_ids" in encoded:
            item["mm_token_type_ids"] = encoded["mm_token_type_ids"][0].tolist() + [0] * len(answer_ids)  # fmt: skip
        return item

    def __call__(self, samples: list[Sample]) -> dict[str, Any]:
        import torch

        items = [self.encode(sample) for sample in samples]
        width = max(len(item["input_ids"]) for item in items)

        def pad(key: str, value: int) -> torch.Tensor:
            rows = [item[key] + [value] * (width - len(item[key])) for item in items]
            return torch.tensor(rows, dtype=torch.long)

        batch = {
            "input_ids": pad("input_ids", self.pad_id),
            "labels": pad("labels", IGNORE),
            "attention_mask": torch.tensor(
                [[1] * len(i["input_ids"]) + [0] * (width - len(i["input_ids"])) for i in items]
            ),
            "pixel_values": torch.cat([item["pixel_values"] for item in items]),
            "image_grid_thw": torch.cat([item["image_grid_thw"] for item in items]),
        }
        if all("mm_token_type_ids" in item for item in items):
            batch["mm_token_type_ids"] = pad("mm_token_type_ids", 0)
        return batch


def budget_size(width: int, height: int, max_pixels: int) -> tuple[int, int]:
    """(width, height) scaled down, aspect kept, to at most `max_pixels`."""
    if width * height <= max_pixels:
        return width, height
    scale = math.sqrt(max_pixels / (width * height))
    return max(1, math.floor(width * scale)), max(1, math.floor(height * scale))


@dataclass
class FitReport:
    kept: int = 0
    downscaled: int = 0
    skipped: int = 0
    skipped_ids: list[str] = field(default_factory=list)


def fit_samples(samples: list[Sample], collator: VisionSFTCollator, *, min_pixels: int, max_pixels: int) -> tuple[list[Sample], FitReport]:  # fmt: skip
    """Samples that fit `collator.max_length`: as they are, or with fewer image pixels (the
    budget halved down to `min_pixels`); the rest are skipped and counted."""
    from PIL import Image

    report, kept = FitReport(), []
    for sample in samples:
        fitted = sample if collator.length(sample) <= collator.max_length else None
        if fitted is None:
            with Image.open(sample.image) as opened:
                budget = min(max_pixels, opened.width * opened.height)
            while fitted is None and budget > min_pixels:
                budget = max(min_pixels, budget // 2)
                candidate = replace(sample, max_pixels=budget)
                if collator.length(candidate) <= collator.max_length:
                    fitted = candidate
        if fitted is None:
            report.skipped += 1
            if len(report.skipped_ids) < 20:
                report.skipped_ids.append(sample.id)
            continue
        report.downscaled += fitted is not sample
        kept.append(fitted)
    report.kept = len(kept)
    if report.skipped or report.downscaled:
        log.warning("max_length %d: %d samples downscaled, %d skipped (%s)", collator.max_length,
                    report.downscaled, report.skipped, ", ".join(report.skipped_ids[:5]))  # fmt: skip
    return kept, report
