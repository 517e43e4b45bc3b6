"""Two processes on CPU (torchrun, gloo, DDP): the stage trainer saves its adapter through
`trainer.save_model` on every rank, rank 0 merges it offline from disk while the other waits,
and warmup counts both processes. The tiny random Qwen2.5-VL, the real trainer, no mocks.

FSDP and ZeRO-3 cannot run here: accelerate turns FSDP on only for GPU-family devices (on CPU
the `fsdp` option is ignored and the run is plain DDP), and DeepSpeed is not installed. The
save path is the same `trainer.save_model` call, which gathers the full state dict there."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
import yaml
from ictrag.training.synth.generate import generate_diagram
from ictrag.training.synth.rewrite import template_logical
from PIL import Image, ImageDraw

from tests.fixtures_models import *  # noqa: F403 (tiny_qwen_dir)

pytestmark = [
    pytest.mark.slow,  # about 2.5 minutes on 2 loaded cores
    pytest.mark.skipif(
        not torch.distributed.is_available() or not torch.distributed.is_gloo_available(),
        reason="needs torch.distributed with gloo",
    ),
]
ROOT = Path(__file__).resolve().parents[1]


def _pairs(folder: Path, n: int) -> Path:
    (folder / "images").mkdir(parents=True)
    rows = []
    for index in range(n):
        diagram = generate_diagram(index, seed=11)
        image = Image.new("RGB", (64, 48), "white")
        ImageDraw.Draw(image).rectangle([4, 4, 30 + index, 30], outline="black")
        image.save(folder / "images" / f"{diagram.id}.png")
        logical = template_logical(diagram.mermaid, seed=diagram.seed)
        rows.append({"id": diagram.id, "image": f"images/{diagram.id}.png", "unit": diagram.unit, "logical": logical.model_dump(mode="json")})  # fmt: skip
    path = folder / "pairs.jsonl"
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    return path


def test_two_processes_save_and_merge(tmp_path: Path, tiny_qwen_dir: Path):
    pairs = _pairs(tmp_path / "data", 8)
    config = {
        "stage": 1, "model": str(tiny_qwen_dir), "output_dir": str(tmp_path / "run"),
        "train_files": [str(pairs)], "val_fraction": 0.0, "max_length": 2048,
        "learning_rate": 5e-3, "warmup_ratio": 0.5, "num_train_epochs": 1,
        "per_device_train_batch_size": 1, "gradient_accumulation_steps": 1, "logging_steps": 1,
        "save_steps": 100, "min_pixels": 16 * 16, "max_pixels": 64 * 64,
        "lora": {"r": 4, "alpha": 8, "dropout": 0.0},
    }  # fmt: skip
    path = tmp_path / "stage1.yaml"
    path.write_text(yaml.safe_dump(config))
    # Without ACCELERATE_USE_CPU, accelerate on a GPU-less machine runs each process alone.
    env = dict(os.environ, OMP_NUM_THREADS="1", ACCELERATE_USE_CPU="true", PYTHONPATH=str(ROOT))
    command = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "--master_port", "29517", "-m", "ictrag", "train", "--config", str(path), "--json"]  # fmt: skip
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads((tmp_path / "run" / "result.json").read_text())
    # 8 samples over 2 processes, batch 1: 4 optimizer steps, warmup ceil(0.5 * 4)
    assert (result["world_size"], result["steps"], result["warmup_steps"]) == (2, 4, 2)
    assert result["sharding"] == "none"
    adapter, merged = Path(result["adapter_dir"]), Path(result["merged_dir"])
    assert (adapter / "adapter_config.json").is_file()
    from safetensors.torch import load_file

    lora = load_file(adapter / "adapter_model.safetensors")
    assert lora and all(t.numel() > 0 for t in lora.values())  # gathered, not empty shards
    ours, base = load_file(merged / "model.safetensors"), load_file(tiny_qwen_dir / "model.safetensors")  # fmt: skip
    assert ours.keys() == base.keys()
    changed = [k for k in ours if not torch.equal(ours[k], base[k])]
    assert changed and not [k for k in changed if "visual" in k]  # LoRA on the LM only
