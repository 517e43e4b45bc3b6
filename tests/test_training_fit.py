"""Over-long samples and warmup on the real tiny Qwen2.5-VL processor: a sample that does not
fit max_length is downscaled (fewer image tokens) or skipped and counted, never fatal."""

from __future__ import annotations

from pathlib import Path

import pytest
from ictrag.training.collate import VisionSFTCollator, fit_samples, set_pixels
from ictrag.training.data import caption_sample
from ictrag.training.sft import SFTConfig, steps_per_epoch, warmup_steps
from ictrag.training.synth.generate import generate_diagram
from ictrag.training.synth.rewrite import template_logical
from PIL import Image, ImageDraw

from tests.fixtures_models import *  # noqa: F403 (tiny_qwen_dir)
from tests.tiny_qwen import CHAT_TEMPLATE

PIXELS = {"min_pixels": 16 * 16, "max_pixels": 256 * 256}


@pytest.fixture(scope="module")
def collator(tiny_qwen_dir: Path) -> VisionSFTCollator:
    from transformers import AutoProcessor

    processor = AutoProcessor.from_pretrained(tiny_qwen_dir)
    set_pixels(processor, **PIXELS)
    return VisionSFTCollator(processor, max_length=100_000)


def _sample(tmp_path: Path, index: int, size: tuple[int, int], summary: str | None = None):
    diagram = generate_diagram(0, seed=9)  # one caption: lengths differ by image or summary
    logical = template_logical(diagram.mermaid, seed=diagram.seed)
    if summary is not None:
        logical = logical.model_copy(update={"summary": summary})
    image = Image.new("RGB", size, "white")
    ImageDraw.Draw(image).rectangle([10, 10, size[0] // 2, size[1] // 2], outline="black")
    image.save(tmp_path / f"{index}.png")
    record = {"id": f"s{index}", "image": f"{index}.png", "logical": logical.model_dump(mode="json")}  # fmt: skip
    return caption_sample(record, tmp_path, inner_text_prob=0.0)


def test_processor_uses_the_real_qwen_template(collator: VisionSFTCollator):
    assert collator.processor.chat_template == CHAT_TEMPLATE
    assert collator.processor.tokenizer.chat_template == CHAT_TEMPLATE
    messages = [{"role": "user", "content": [{"type": "image"}, {"type": "text", "text": "Hi"}]}]
    text = collator.processor.apply_chat_template(messages, add_vision_id=True, tokenize=False)
    assert text.startswith("<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n")
    assert "Picture 1: <|vision_start|><|image_pad|><|vision_end|>Hi<|im_end|>" in text


def test_pixel_budget_reaches_the_image_processor(collator: VisionSFTCollator):
    # transformers 5 keeps `size` as a SizeDict, which the old check missed
    assert collator.processor.image_processor.get_number_of_image_patches(512, 512) == 32 * 32


def test_length_is_the_encoded_length(tmp_path: Path, collator: VisionSFTCollator):
    for index, size in enumerate([(40, 30), (300, 200), (700, 90)]):
        sample = _sample(tmp_path, index, size)
        assert collator.length(sample) == len(collator.encode(sample, truncate=False)["input_ids"])
        smaller = type(sample)(**{**sample.__dict__, "max_pixels": 64 * 64})
        encoded = collator.encode(smaller, truncate=False)
        assert collator.length(smaller) == len(encoded["input_ids"])
        if size[0] * size[1] > 64 * 64:
            assert collator.length(smaller) < collator.length(sample)


def test_over_long_samples_are_downscaled_or_skipped(tmp_path: Path, collator: VisionSFTCollator):
    fits = _sample(tmp_path, 0, (60, 40))
    big_image = _sample(tmp_path, 1, (512, 512))
    long_answer = _sample(tmp_path, 2, (60, 40), summary="a very long summary " * 400)
    budget = collator.length(fits) + 40
    assert collator.length(big_image) > budget  # too long at full resolution
    tight = VisionSFTCollator(collator.processor, max_length=budget)
    kept, report = fit_samples([fits, big_image, long_answer], tight, **PIXELS)
    assert [s.id for s in kept] == ["s0", "s1"]
    assert (report.kept, report.downscaled, report.skipped, report.skipped_ids) == (2, 1, 1, ["s2"])  # fmt: skip
    assert kept[0] is fits and kept[1].max_pixels < 512 * 512
    batch = tight(kept)  # the kept ones collate within max_length, answer whole
    assert batch["input_ids"].shape[1] <= budget
    for row, sample in enumerate(kept):
        answer = tight.tokenizer.decode(batch["labels"][row][batch["labels"][row] != -100])
        assert answer == sample.answer + "<|im_end|>\n"


def test_warmup_counts_every_process():
    config = SFTConfig(model="m", output_dir="o", train_files=["t"], num_train_epochs=2, warmup_ratio=0.1, per_device_train_batch_size=2, gradient_accumulation_steps=4)  # fmt: skip
    assert steps_per_epoch(config, 1000, 1) == 125 and steps_per_epoch(config, 1000, 8) == 16
    assert warmup_steps(config, 1000, 1) == 25  # 250 steps
    assert warmup_steps(config, 1000, 8) == 4  # ceil(0.1 * 32)
    assert warmup_steps(config.model_copy(update={"max_steps": 50}), 1000, 8) == 5


def test_full_finetune_saves_an_inference_ready_model(tmp_path: Path, tiny_qwen_dir: Path):
    import json

    from ictrag.training.sft import train

    rows = []
    for index in range(3):
        sample = _sample(tmp_path, index, (48, 32))
        rows.append({"id": sample.id, "image": f"{index}.png", "caption": sample.answer})
    rows.append({"id": "long", "image": "0.png", "caption": "TYPE: other\nSUMMARY: " + "x y z " * 3000})  # fmt: skip
    data = tmp_path / "pairs.jsonl"
    data.write_text("".join(json.dumps(row) + "\n" for row in rows))
    config = SFTConfig(
        model=str(tiny_qwen_dir), output_dir=str(tmp_path / "run"), train_files=[str(data)],
        val_fraction=0.0, max_length=3072, max_steps=1, gradient_accumulation_steps=1,
        lora={"enabled": False}, full_finetune_modules=["lm_head"], **PIXELS,
    )  # fmt: skip
    result = train(config)
    assert result.adapter_dir is None and result.steps == 1
    assert (result.train_samples, result.skipped_too_long) == (3, 1)
    merged = Path(result.merged_dir)
    assert json.loads((merged / "config.json").read_text())["use_cache"] is True  # load_model set False
    assert (merged / "preprocessor_config.json").is_file() or (merged / "processor_config.json").is_file()  # fmt: skip


def test_fsdp_saves_a_full_state_dict_or_refuses():
    from ictrag.training.sft import TrainError, _fsdp_config

    config = SFTConfig(model="m", output_dir="o", train_files=["t"], fsdp="full_shard auto_wrap", fsdp_config={"transformer_layer_cls_to_wrap": ["Qwen2_5_VLDecoderLayer"]})  # fmt: skip
    assert _fsdp_config(config)["state_dict_type"] == "FULL_STATE_DICT"
    sharded = config.model_copy(update={"fsdp_config": {"state_dict_type": "SHARDED_STATE_DICT"}})
    with pytest.raises(TrainError, match="FULL_STATE_DICT"):
        _fsdp_config(sharded)
