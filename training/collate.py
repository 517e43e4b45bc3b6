"""Collation for Qwen2.5-VL-class SFT: chat template + image -> input ids, pixel values and
labels masked to the assistant answer.

The prompt (system, user text, image pads, `<|im_start|>assistant\\n`) is processed with the
image by the model's processor, exactly as at inference; the answer (+ end-of-turn) is tokenized
on its own and appended. Labels are -100 over the whole prompt (image pad tokens included) and
over padding, so the loss is the answer's only.
"""

from __future__ import annotations

from typing import Any

from ictrag.training.data import Sample

IGNORE = -100


def set_pixels(processor: Any, min_pixels: int | None, max_pixels: int | None) -> None:
    """Pixel budget of the image processor (Qwen2-VL: shortest/longest edge in pixels)."""
    image_processor = getattr(processor, "image_processor", None)
    if image_processor is None or min_pixels is None or max_pixels is None:
        return
    size = getattr(image_processor, "size", None)
    if isinstance(size, dict) or hasattr(size, "keys"):
        image_processor.size = {"shortest_edge": min_pixels, "longest_edge": max_pixels}
    if hasattr(image_processor, "min_pixels"):
        image_processor.min_pixels, image_processor.max_pixels = min_pixels, max_pixels


def hf_messages(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Image parts become bare placeholders; the image goes to the processor separately."""
    out = []
    for message in messages:
        content = message["content"]
        if isinstance(content, list):
            content = [{"type": "image"} if part["type"] == "image" else part for part in content]
        out.append({"role": message["role"], "content": content})
    return out


class VisionSFTCollator:
    def __init__(self, processor: Any, *, max_length: int = 4096, end_of_turn: str = "<|im_end|>\n"):  # fmt: skip
        self.processor = processor
        self.tokenizer = getattr(processor, "tokenizer", processor)
        self.max_length = max_length
        self.end_of_turn = end_of_turn
        pad = self.tokenizer.pad_token_id
        self.pad_id = pad if pad is not None else self.tokenizer.eos_token_id

    def encode(self, sample: Sample) -> dict[str, Any]:
        from PIL import Image

        prompt = self.processor.apply_chat_template(
            hf_messages(sample.messages), tokenize=False, add_generation_prompt=True
        )
        with Image.open(sample.image) as opened:
            image = opened.convert("RGB")
        encoded = self.processor(text=[prompt], images=[image], return_tensors="pt")
        prompt_ids = encoded["input_ids"][0].tolist()
        answer_ids = self.tokenizer(sample.answer + self.end_of_turn, add_special_tokens=False)["input_ids"]  # fmt: skip
        room = self.max_length - len(prompt_ids)
        if room < 1:
            raise ValueError(f"sample {sample.id}: prompt of {len(prompt_ids)} tokens exceeds max_length {self.max_length}")  # fmt: skip
        answer_ids = answer_ids[:room]  # the image tokens must stay whole: cut the answer's tail
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
