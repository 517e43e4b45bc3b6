"""The DICModel path a user with a GPU takes, end to end, through the project's own commands:

    python tests/benchmarks/gpu_train_check.py --out /tmp/gpu-check [--size mid|tiny]
        [--pairs DIR] [--steps 30] [--figure PATH]

1. a randomly initialised Qwen2.5-VL with the real processor classes and Qwen's real
   vocabulary size (151,936 rows; the tokenizer is trained here, since the real files are
   not at hand offline, and the embedding is padded to that size as Qwen's own is);
   `--size mid`: text hidden 1024 x 12 layers, vision hidden 768 x 12 blocks, patch 14;
   `--size tiny`: the test model of tests/tiny_qwen.py, for a CPU rehearsal;
2. stage data: stage 1 from `ictrag synth mermaid` pairs (made here when `--pairs` is not
   given; the Mermaid renderer is needed then), stage 2 from part of them imported as expert
   rows, stage 3 verified VQA over them;
3. `ictrag train --stages 1,2,3` with configs/stage{1,2,3}.yaml as they are (peft LoRA, its
   ranks and target modules, freeze_vision, gradient checkpointing, bf16 where the GPU has
   it), only the model, data paths, output folders, step count, batch and pixel budget
   replaced;
4. `ictrag export-model` of stage 3's adapter;
5. `ictrag caption --captioner dicmodel` (no cascade) on a real figure (`--figure`, else the
   first PNG of ../shared/corpus/real-figures, else a synthetic one).

Prints and writes DIR/gpu_check.json: per stage samples/s, tokens/s (non-padding input
tokens), peak memory (CUDA allocations on a GPU, peak RSS on CPU), losses and eval loss; the
export and caption timings; the machine. Random weights learn the answer format a little
in 30 steps, nothing more: the caption is a smoke test of loading and generation, not of
quality.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
QWEN_VOCAB = 151_936
SIZES = {
    "mid": {
        "hidden_size": 1024, "num_layers": 12, "num_heads": 16, "vision_hidden_size": 768,
        "vision_depth": 12, "vision_heads": 12, "patch_size": 14, "merge_size": 2,
        "vocab_size": 4000, "model_vocab_size": QWEN_VOCAB,
        "min_pixels": 4 * 28 * 28, "max_pixels": 448 * 448,
    },
    "tiny": {"max_pixels": 96 * 96, "min_pixels": 32 * 32},
}  # fmt: skip
REAL_FIGURES = ROOT.parent / "shared" / "corpus" / "real-figures"


def _cli(*args: str, timeout: float = 3600) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    run = subprocess.run(
        [sys.executable, "-m", "ictrag", *args], cwd=ROOT, env=env, capture_output=True,
        text=True, timeout=timeout,
    )  # fmt: skip
    if run.returncode != 0:
        sys.exit(f"ictrag {' '.join(args[:2])} failed ({run.returncode}): {run.stderr[-2000:]}")
    return run


def _pairs(args, out: Path) -> Path:
    if args.pairs:
        return Path(args.pairs)
    folder = out / "stage1-pairs"
    if not (folder / "pairs.jsonl").is_file():
        _cli("synth", "mermaid", "--n", str(args.n), "--out", str(folder), "--seed", "0")
    return folder


def _stage_data(pairs_dir: Path, out: Path) -> dict[int, tuple[Path, Path]]:
    """(train, eval) files per stage."""
    from ictrag.training.experts import import_experts
    from ictrag.training.synth.pairs import read_jsonl
    from ictrag.training.synth.vqa import synth_vqa, write_vqa

    pairs = read_jsonl(pairs_dir / "pairs.jsonl")
    if len(pairs) < 8:
        sys.exit(f"{pairs_dir}: {len(pairs)} pairs; the check needs 8 or more")
    cut = max(2, len(pairs) // 8)
    held_out, train = pairs[:cut], pairs[cut:]

    def write(path: Path, rows: list[dict]) -> Path:
        path.write_text("".join(json.dumps(row) + "\n" for row in rows))
        return path

    # pairs.jsonl names images relative to its folder; the stage files live there too
    stage1 = write(pairs_dir / "check-train.jsonl", train)
    evaluate = write(pairs_dir / "check-eval.jsonl", held_out)
    experts = write(
        out / "experts.jsonl",
        [{"image": str(pairs_dir / p["image"]), "caption": p["caption"]} for p in train[: len(train) // 2]],
    )  # fmt: skip
    import_experts(experts, pairs_dir, out / "stage2", val_fraction=0.0)
    items, _ = synth_vqa(train, seed=0, per_pair=1)
    vqa = pairs_dir / "check-vqa.jsonl"
    write_vqa(items, vqa)
    return {1: (stage1, evaluate), 2: (out / "stage2" / "train.jsonl", evaluate), 3: (vqa, evaluate)}


def _configs(model: Path, data: dict, out: Path, args, pixels: dict) -> Path:
    folder = out / "configs"
    folder.mkdir(parents=True, exist_ok=True)
    for stage, (train, evaluate) in data.items():
        config = yaml.safe_load((ROOT / "configs" / f"stage{stage}.yaml").read_text())
        config.update({
            "output_dir": str(out / "runs" / f"stage{stage}"), "train_files": [str(train)],
            "eval_files": [str(evaluate)], "max_steps": args.steps, "logging_steps": 1,
            "save_steps": args.steps, "per_device_train_batch_size": args.batch,
            "gradient_accumulation_steps": 1, "dataloader_num_workers": 2, "resume": False,
            **pixels,
        })  # fmt: skip
        if stage == 1:
            config["model"] = str(model)
        (folder / f"stage{stage}.yaml").write_text(yaml.safe_dump(config))
    return folder


def _machine() -> dict:
    import torch

    gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else None
    return {"gpu": gpu, "torch": torch.__version__, "cpus": os.cpu_count(), "python": platform.python_version()}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", required=True)
    parser.add_argument("--size", choices=sorted(SIZES), default="mid")
    parser.add_argument("--pairs", default="", help="A folder with pairs.jsonl (synth output).")
    parser.add_argument("--n", type=int, default=64, help="Pairs to make when --pairs is not given.")
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--batch", type=int, default=2)
    parser.add_argument("--figure", default="", help="A real figure for the caption step.")
    args = parser.parse_args()
    out = Path(args.out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    from tests.tiny_qwen import build_tiny_qwen

    size = dict(SIZES[args.size])
    pixels = {"min_pixels": size["min_pixels"], "max_pixels": size["max_pixels"]}
    started = time.perf_counter()
    model = build_tiny_qwen(out / "base-model", **size)
    build_s = time.perf_counter() - started

    data = _stage_data(_pairs(args, out), out)
    configs = _configs(model, data, out, args, pixels)
    started = time.perf_counter()
    _cli("train", "--stages", "1,2,3", "--config-dir", str(configs), "--json")
    train_s = time.perf_counter() - started
    stages = [
        json.loads((out / "runs" / f"stage{n}" / "result.json").read_text()) for n in (1, 2, 3)
    ]
    keys = ("stage", "steps", "train_samples", "skipped_too_long", "downscaled", "train_seconds",
            "samples_per_second", "tokens_per_second", "peak_memory_mb", "memory", "losses",
            "eval_loss", "sharding", "world_size")  # fmt: skip
    per_stage = [{k: s.get(k) for k in keys} for s in stages]

    started = time.perf_counter()
    exported = out / "dicmodel"
    _cli("export-model", "--adapter", str(stages[-1]["adapter_dir"]), "--out", str(exported))
    export_s = time.perf_counter() - started

    figure = Path(args.figure) if args.figure else next(iter(sorted(REAL_FIGURES.rglob("*.png"))), None)  # fmt: skip
    if figure is None:
        pairs = [json.loads(line) for line in (Path(data[1][0])).read_text().splitlines()]
        figure = Path(data[1][0]).parent / pairs[0]["image"]
    caption_config = out / "caption.yaml"
    caption_config.write_text(yaml.safe_dump({
        "caption": {"backend": "dicmodel", "cascade": False, "model": str(exported), **pixels}
    }))  # fmt: skip
    started = time.perf_counter()
    captioned = json.loads(
        _cli("caption", str(figure), "--captioner", "dicmodel", "--config", str(caption_config), "--json").stdout
    )  # fmt: skip
    caption_s = time.perf_counter() - started
    report = {
        "size": args.size, "machine": _machine(), "steps_per_stage": args.steps, "batch": args.batch,
        "build_model_s": round(build_s, 1), "train_wall_s": round(train_s, 1), "stages": per_stage,
        "export_s": round(export_s, 1), "caption_s": round(caption_s, 1), "figure": str(figure),
        "caption": captioned,
    }  # fmt: skip
    (out / "gpu_check.json").write_text(json.dumps(report, indent=1))
    print(json.dumps({k: v for k, v in report.items() if k != "caption"}, indent=1))


if __name__ == "__main__":
    main()
