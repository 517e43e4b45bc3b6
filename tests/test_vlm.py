from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image, ImageDraw

from ictrag.config import CaptionSettings
from ictrag.figures.base import Captioner, CaptionError, FigureInput
from ictrag.figures.models.vlm import DICModelCaptioner, load_dicmodel
from ictrag.model import LogicalText
from tests.fixtures_models import *  # noqa: F403 (tiny_qwen_dir, tiny_lora_dir)


def draw_figure(path: Path, boxes: list[str], size: tuple[int, int]) -> str:
    image = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(image)
    for i, name in enumerate(boxes):
        x = 10 + i * 60
        draw.rectangle((x, 20, x + 45, 50), outline="black", width=2)
        draw.text((x + 4, 28), name, fill="black")
        if i:
            draw.line((x - 15, 35, x, 35), fill="black", width=2)
    image.save(path, format="PNG")
    return str(path)


@pytest.fixture
def figures(tmp_path: Path) -> list[FigureInput]:
    return [
        FigureInput(
            image_path=draw_figure(tmp_path / "a.png", ["R1", "SW1"], (140, 80)),
            label="Figure 1-1 Uplink",
            context="R1 connects to SW1.",
            inner_text="R1 SW1",
        ),
        FigureInput(
            image_path=draw_figure(tmp_path / "b.png", ["UE", "eNB", "MME"], (200, 70)),
            label="Figure 2-4 Attach",
            inner_text="UE eNB MME",
        ),
    ]


def settings_for(model: Path, adapter: Path | None = None) -> CaptionSettings:
    return CaptionSettings(
        backend="dicmodel",
        model=str(model),
        adapter=str(adapter) if adapter else None,
        min_pixels=16 * 16,
        max_pixels=64 * 64,
    )


def assert_generated(captioner: DICModelCaptioner, results: list[LogicalText]) -> None:
    assert len(results) == 2
    assert all(isinstance(r, LogicalText) and r.backend == "dicmodel" for r in results)
    assert all(0.0 <= r.confidence <= 1.0 for r in results)
    assert all(count > 0 for count in captioner.last_new_tokens)


def test_describe_batch_with_tiny_qwen(tiny_qwen_dir: Path, figures: list[FigureInput]):
    captioner = DICModelCaptioner(settings_for(tiny_qwen_dir), max_new_tokens=8)
    assert isinstance(captioner, Captioner) and captioner.name == "dicmodel"
    results = captioner.describe(figures)
    assert_generated(captioner, results)
    assert results[0].model == str(tiny_qwen_dir)
    network, processor = captioner.load()
    assert network.dtype.is_floating_point
    assert processor.tokenizer.padding_side == "left"
    assert processor.image_processor.size["longest_edge"] == 64 * 64
    # lazily loaded once per process: a second captioner reuses the same objects
    assert DICModelCaptioner(settings_for(tiny_qwen_dir)).load()[0] is network


def test_batched_answers_match_single_answers(tiny_qwen_dir: Path, figures: list[FigureInput]):
    """Left padding: a figure's greedy answer does not depend on its batch neighbours."""
    batched = DICModelCaptioner(settings_for(tiny_qwen_dir), max_new_tokens=6, batch_size=2)
    single = DICModelCaptioner(settings_for(tiny_qwen_dir), max_new_tokens=6, batch_size=1)
    assert batched.generate(figures) == single.generate(figures)


def test_describe_with_lora_adapter(
    tiny_qwen_dir: Path, tiny_lora_dir: Path, figures: list[FigureInput]
):
    from peft import PeftModel

    captioner = DICModelCaptioner(settings_for(tiny_qwen_dir, tiny_lora_dir), max_new_tokens=8)
    results = captioner.describe(figures)
    assert_generated(captioner, results)
    assert isinstance(captioner.load()[0], PeftModel)
    assert results[0].model.endswith("+adapter")
    base = DICModelCaptioner(settings_for(tiny_qwen_dir), max_new_tokens=8)
    assert captioner.generate(figures) != base.generate(figures)  # the adapter is applied


def test_unreadable_image_gets_empty_result_not_a_crash(
    tiny_qwen_dir: Path, figures: list[FigureInput], tmp_path: Path
):
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"not a png")
    items = [figures[0], FigureInput(image_path=str(broken), label="Figure 9-9")]
    captioner = DICModelCaptioner(settings_for(tiny_qwen_dir), max_new_tokens=4)
    results = captioner.describe(items)
    assert results[1].confidence == 0 and results[1].summary == ""
    assert captioner.last_new_tokens[0] > 0 and captioner.last_new_tokens[1] == 0


def test_missing_model_is_one_caption_error(tmp_path: Path):
    with pytest.raises(CaptionError, match="cannot load DICModel"):
        load_dicmodel(str(tmp_path / "no-such-model"))
    with pytest.raises(CaptionError, match="caption.model is not set"):
        DICModelCaptioner(CaptionSettings(backend="dicmodel"))
