"""The DICModel backend: a local image-text-to-text model (Qwen2.5-VL family) via transformers.

The model is loaded lazily, once per process per (model, adapter, device), and figures are
captioned in left-padded greedy batches; only the new tokens are decoded and parsed.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from ictrag.config import CaptionSettings, local_only
from ictrag.extras import require
from ictrag.figures.base import CaptionError, FigureInput
from ictrag.figures.models.answer import parse_answer
from ictrag.figures.models.grounding import figure_text
from ictrag.figures.models.prompt import PROMPT_VERSION, build_messages, hf_messages
from ictrag.model import LogicalText

_LOADED: dict[tuple[str, str, str], tuple[Any, Any]] = {}
_LOCK = threading.Lock()


def _one_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0] if text else ''}"[:300]


def load_dicmodel(
    model: str,
    adapter: str | None = None,
    *,
    min_pixels: int | None = None,
    max_pixels: int | None = None,
) -> tuple[Any, Any]:
    """(model, processor), loaded once per process. Raises CaptionError when it cannot load."""
    require("vlm", "--captioner dicmodel")
    import torch

    device = "cuda" if torch.cuda.is_available() else "cpu"
    key = (model, adapter or "", device)
    with _LOCK:
        if key in _LOADED:
            return _LOADED[key]
        dtype = torch.bfloat16 if device == "cuda" else torch.float32
        try:
            from transformers import AutoModelForImageTextToText, AutoProcessor

            offline = local_only(model)
            processor = AutoProcessor.from_pretrained(model, local_files_only=offline)
            network = AutoModelForImageTextToText.from_pretrained(
                model, dtype=dtype, local_files_only=offline
            )
            if adapter:
                from peft import PeftModel

                network = PeftModel.from_pretrained(network, adapter, is_trainable=False)
        except Exception as error:
            raise CaptionError(f"cannot load DICModel '{model}': {_one_line(error)}") from error
        network.to(device).eval()
        tokenizer = getattr(processor, "tokenizer", processor)
        tokenizer.padding_side = "left"  # decoder-only batched generation needs left padding
        if tokenizer.pad_token_id is None:
            tokenizer.pad_token = tokenizer.eos_token
        _set_pixels(processor, min_pixels, max_pixels)
        _LOADED[key] = (network, processor)
        return network, processor


def _set_pixels(processor: Any, min_pixels: int | None, max_pixels: int | None) -> None:
    image_processor = getattr(processor, "image_processor", None)
    size = getattr(image_processor, "size", None)
    if image_processor is None or size is None or min_pixels is None or max_pixels is None:
        return
    try:
        has_edges = "shortest_edge" in size and "longest_edge" in size
    except TypeError:
        has_edges = False
    if has_edges:  # Qwen2-VL family: pixel budget as shortest/longest edge
        image_processor.size = {"shortest_edge": min_pixels, "longest_edge": max_pixels}
    if hasattr(image_processor, "min_pixels"):
        image_processor.min_pixels = min_pixels
        image_processor.max_pixels = max_pixels


class DICModelCaptioner:
    name = "dicmodel"
    prompt_version = PROMPT_VERSION

    def __init__(
        self,
        settings: CaptionSettings,
        *,
        batch_size: int | None = None,
        max_new_tokens: int | None = None,
    ):
        if not settings.model:
            raise CaptionError("caption.model is not set: give a DICModel directory or hub id")
        self.settings = settings
        self.batch_size = batch_size or settings.batch_size
        self.max_new_tokens = max_new_tokens or settings.max_new_tokens or 512
        self.model = settings.model + (
            f"+{Path(settings.adapter).name}" if settings.adapter else ""
        )
        self.last_new_tokens: list[int] = []
        """New tokens generated per item by the last describe()/generate() call."""

    def load(self) -> tuple[Any, Any]:
        return load_dicmodel(
            self.settings.model or "",
            self.settings.adapter,
            min_pixels=self.settings.min_pixels,
            max_pixels=self.settings.max_pixels,
        )

    def describe(self, items: list[FigureInput]) -> list[LogicalText]:
        texts = self.generate(items)
        return [
            parse_answer(text, self.name, self.model, figure_text=figure_text(item))
            if text is not None
            else LogicalText(backend=self.name, model=self.model)
            for item, text in zip(items, texts, strict=True)
        ]

    def generate(self, items: list[FigureInput]) -> list[str | None]:
        """Raw answers, one per item; None where that item could not be captioned."""
        self.last_new_tokens = [0] * len(items)
        answers: list[str | None] = [None] * len(items)
        prepared = [(i, *self._prepare(item)) for i, item in enumerate(items)]
        ready = [entry for entry in prepared if entry[1] is not None]
        for start in range(0, len(ready), self.batch_size):
            batch = ready[start : start + self.batch_size]
            try:
                results = self._generate_batch([(p, img) for _, p, img in batch])
            except Exception:
                # one bad figure must not sink its batch: retry one by one
                results = []
                for _, prompt, image in batch:
                    try:
                        results.extend(self._generate_batch([(prompt, image)]))
                    except Exception:
                        results.append((None, 0))
            for (index, _, _), (text, count) in zip(batch, results, strict=True):
                answers[index] = text
                self.last_new_tokens[index] = count
        return answers

    def _prepare(self, item: FigureInput) -> tuple[str | None, Any]:
        _, processor = self.load()
        image = None
        if item.image_path:
            try:
                from PIL import Image

                with Image.open(item.image_path) as opened:
                    image = opened.convert("RGB")
            except Exception:
                return None, None  # unreadable image: this item gets an empty result
        messages = hf_messages(build_messages(item))
        prompt = processor.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
        return prompt, image

    def _generate_batch(self, batch: list[tuple[str, Any]]) -> list[tuple[str, int]]:
        import torch

        network, processor = self.load()
        prompts = [prompt for prompt, _ in batch]
        images = [image for _, image in batch if image is not None]
        inputs = processor(
            text=prompts, images=images or None, padding=True, return_tensors="pt"
        ).to(network.device)
        tokenizer = getattr(processor, "tokenizer", processor)
        with torch.inference_mode():
            output = network.generate(
                **inputs,
                max_new_tokens=self.max_new_tokens,
                do_sample=False,
                pad_token_id=tokenizer.pad_token_id,
            )
        new_tokens = output[:, inputs["input_ids"].shape[1] :]
        texts = tokenizer.batch_decode(new_tokens, skip_special_tokens=True)
        counts = (new_tokens != tokenizer.pad_token_id).sum(dim=1).tolist()
        return list(zip(texts, counts, strict=True))
