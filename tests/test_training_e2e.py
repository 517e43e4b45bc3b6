"""End to end on CPU: real Mermaid rendering -> template captions -> expert import -> VQA ->
SFT stages 1 -> 2 -> 3 on a tiny random Qwen2.5-VL with Qwen2.5-VL's real chat template (an
over-long sample is skipped, not fatal) -> export -> DICModelCaptioner. No mocks."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
import yaml
from ictrag.training.collate import IGNORE, VisionSFTCollator, set_pixels
from ictrag.training.data import load_samples
from ictrag.training.experts import import_experts
from ictrag.training.export import export_model
from ictrag.training.stages import run_stages
from ictrag.training.synth.pairs import PairsOptions, build_pairs, read_jsonl
from ictrag.training.synth.render import missing_requirements, renderer_available
from ictrag.training.synth.vqa import synth_vqa, write_vqa

from ictrag.config import CaptionSettings
from ictrag.figures.base import FigureInput
from ictrag.figures.models.vlm import DICModelCaptioner
from ictrag.model import LogicalText
from tests.fixtures_models import *  # noqa: F403 (tiny_qwen_dir)

pytestmark = pytest.mark.skipif(
    not renderer_available(),
    reason="real Mermaid rendering needs "
    + ", ".join(missing_requirements())
    + " (run scripts/install_mermaid.sh)",  # fmt: skip
)
PIXELS = {"min_pixels": 32 * 32, "max_pixels": 96 * 96}


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    return path


def stage_config(stage: int, model: str, out: Path, train: Path, evaluate: Path, **extra) -> dict:
    return {
        "stage": stage,
        "model": model,
        "output_dir": str(out / f"stage{stage}"),
        "train_files": [str(train)],
        "eval_files": [str(evaluate)],
        "max_length": 3072,
        "learning_rate": 5e-3,
        "lr_scheduler_type": "constant",
        "warmup_ratio": 0.0,
        "max_steps": 6,
        "per_device_train_batch_size": 2,
        "gradient_accumulation_steps": 1,
        "logging_steps": 1,
        "save_steps": 3,
        "lora": {"r": 8, "alpha": 16, "dropout": 0.0, "modules_to_save": ["lm_head"]},
        "freeze_vision": True,
        **PIXELS,
        **extra,
    }


def test_collator_masks_everything_but_the_answer(tmp_path: Path, tiny_qwen_dir: Path):
    from transformers import AutoProcessor

    report = build_pairs(PairsOptions(n=2, out=tmp_path, seed=21))
    assert report.written == 2
    processor = AutoProcessor.from_pretrained(tiny_qwen_dir)
    set_pixels(processor, **PIXELS)
    samples = load_samples(tmp_path / "pairs.jsonl")
    batch = VisionSFTCollator(processor, max_length=4096)(samples)
    tokenizer = processor.tokenizer
    image_pad = tokenizer.convert_tokens_to_ids("<|image_pad|>")
    for row, sample in enumerate(samples):
        labels, ids = batch["labels"][row], batch["input_ids"][row]
        kept = labels != IGNORE
        assert not kept[ids == image_pad].any()  # image pads never carry loss
        answer = tokenizer.decode(ids[kept])
        assert answer == sample.answer + "<|im_end|>\n"
        assert sample.answer.startswith("TYPE: ") and "RELATIONS:" in sample.answer
        first = int(kept.nonzero()[0])
        assert tokenizer.decode(ids[:first]).endswith("<|im_start|>assistant\n")
    assert batch["pixel_values"].shape[0] == int(batch["image_grid_thw"].prod(dim=1).sum())


def test_three_stages_then_export_and_caption(tmp_path: Path, tiny_qwen_dir: Path):
    # stage-1 data: real rendering + template captions
    synth = tmp_path / "stage1"
    report = build_pairs(PairsOptions(n=6, out=synth, seed=0))
    assert report.written >= 5 and report.success_rate >= 0.8
    pairs = read_jsonl(synth / "pairs.jsonl")
    # a fixed batch, repeated, plus one sample whose answer cannot fit max_length: skipped
    too_long = dict(pairs[0], id="too-long", logical=dict(pairs[0]["logical"], summary="a very long summary " * 1500))  # fmt: skip
    train1 = write_jsonl(synth / "train.jsonl", [*pairs[:2], too_long])
    held_out = write_jsonl(synth / "val.jsonl", pairs[2:3])

    # stage-2 data: expert rows over rendered images (one duplicate row is dropped)
    rows = [{"image": p["image"], "caption": p["caption"]} for p in pairs[3:5]] + [{"image": pairs[3]["image"], "caption": "TYPE: other"}]  # fmt: skip
    experts = write_jsonl(tmp_path / "experts.jsonl", rows)
    imported = import_experts(experts, synth, tmp_path / "stage2", val_fraction=0.0)
    assert imported.imported == 2 and imported.duplicates == 1

    # stage-3 data: verified VQA over the same diagrams
    items, vqa_report = synth_vqa(pairs[:2], seed=0, per_pair=1)
    assert vqa_report.kept == 2
    vqa = synth / "vqa.jsonl"
    write_vqa(items, vqa)

    configs = tmp_path / "configs"
    configs.mkdir()
    runs = tmp_path / "runs"
    stages = {
        1: stage_config(1, str(tiny_qwen_dir), runs, train1, held_out),
        2: stage_config(
            2, "previous", runs, tmp_path / "stage2" / "train.jsonl", held_out, init="merged"
        ),  # fmt: skip
        3: stage_config(3, "previous", runs, vqa, held_out, init="adapter"),
    }
    for stage, config in stages.items():
        (configs / f"stage{stage}.yaml").write_text(yaml.safe_dump(config))
    results = run_stages([1, 2, 3], configs)

    for result in results:
        assert result.steps == 6 and len(result.losses) == 6
        first, last = sum(result.losses[:2]) / 2, sum(result.losses[-2:]) / 2
        assert first > last, (result.stage, result.losses)
        assert result.eval_loss is not None and result.eval_samples == 1
        assert (Path(result.output_dir) / "checkpoint-6").is_dir()
        # throughput as the GPU check reports it: 6 steps of 2 samples, each far over 1 token
        assert result.train_seconds > 0 and result.samples_per_second > 0
        assert result.tokens_per_second * result.train_seconds >= 6 * 2 * 50
        assert result.memory == "rss" and result.peak_memory_mb > 50
    one, two, three = results
    assert (one.skipped_too_long, one.skipped_ids, one.train_samples) == (1, ["too-long"], 2)
    assert json.loads((Path(one.output_dir) / "result.json").read_text())["skipped_too_long"] == 1
    assert two.skipped_too_long == three.skipped_too_long == 0
    assert json.loads((Path(two.adapter_dir) / "adapter_config.json").read_text())["base_model_name_or_path"] == one.merged_dir  # fmt: skip
    assert json.loads((Path(three.adapter_dir) / "adapter_config.json").read_text())["base_model_name_or_path"] == one.merged_dir  # fmt: skip

    # export: merging stage 3's adapter gives the same weights as stage 3's own merge
    exported = export_model(Path(three.adapter_dir), tmp_path / "dicmodel")
    from safetensors.torch import load_file

    ours, theirs = load_file(exported / "model.safetensors"), load_file(Path(three.merged_dir) / "model.safetensors")  # fmt: skip
    base = load_file(Path(tiny_qwen_dir) / "model.safetensors")
    assert ours.keys() == theirs.keys() == base.keys()
    changed = [k for k in ours if not torch.equal(ours[k], base[k])]
    assert changed and all(torch.allclose(ours[k], theirs[k], atol=1e-5) for k in ours)

    settings = CaptionSettings(backend="dicmodel", model=str(exported), **PIXELS)
    captioner = DICModelCaptioner(settings, max_new_tokens=24)
    [logical] = captioner.describe([FigureInput(image_path=str(synth / pairs[5 if len(pairs) > 5 else 4]["image"]))])  # fmt: skip
    assert isinstance(logical, LogicalText) and logical.backend == "dicmodel"
    assert captioner.last_new_tokens[0] > 0
