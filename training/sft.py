"""Supervised fine-tuning of a Qwen2.5-VL-class model with transformers + peft.

    config = SFTConfig.from_yaml("configs/stage1.yaml")
    result = train(config)          # -> SFTResult (adapter dir, merged dir, losses, eval loss)

One pydantic config per trainer; configs/stageN.yaml map 1:1 onto it. LoRA by default (with
optional fully trained modules), or full fine-tuning of selected modules. HF Trainer does the
loop: gradient accumulation, bf16 on GPU, checkpoints and resume, and an eval on the held-out
split at the end. Stages chain through `init`: start from the previous stage's merged weights
(`merged`) or keep training its adapter (`adapter`).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Literal

import yaml
from ictrag.training.collate import VisionSFTCollator, fit_samples, set_pixels
from ictrag.training.data import SampleDataset, load_samples, split_samples
from pydantic import BaseModel, Field

from ictrag.config import local_only


class TrainError(RuntimeError):
    """Training cannot start (bad config, model or data); one line."""


class LoraSettings(BaseModel):
    enabled: bool = True
    r: int = 16
    alpha: int = 32
    dropout: float = 0.05
    target_modules: list[str] | str = Field(default_factory=lambda: ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"])  # fmt: skip
    """Module name suffixes; the vision tower is excluded unless `lora_vision` is set."""
    lora_vision: bool = False
    modules_to_save: list[str] = Field(default_factory=list)
    """Modules trained in full next to the adapter (e.g. the vision merger `merger`)."""


class SFTConfig(BaseModel):
    stage: int = 1
    model: str
    """Base model dir or hub id; `previous` = the previous stage's merged output."""
    init: Literal["base", "merged", "adapter"] = "base"
    """base: fresh adapter on `model`; merged: `model` is the previous stage's merged weights;
    adapter: keep training `adapter_from` on top of `model`."""
    adapter_from: str | None = None
    output_dir: str
    train_files: list[str]
    eval_files: list[str] = Field(default_factory=list)
    val_fraction: float = 0.05
    """Held-out share of the train files when no eval file is given."""
    image_root: str | None = None
    inner_text_prob: float = 0.5
    target_format: Literal["answer", "canonical"] = "answer"
    lora: LoraSettings = Field(default_factory=LoraSettings)
    full_finetune_modules: list[str] = Field(default_factory=list)
    """Without LoRA: train only parameters whose name contains one of these (empty = all)."""
    freeze_vision: bool = True
    min_pixels: int = 3136
    max_pixels: int = 1003520
    max_length: int = 4096
    learning_rate: float = 1e-4
    num_train_epochs: float = 1.0
    max_steps: int = -1
    per_device_train_batch_size: int = 1
    per_device_eval_batch_size: int = 1
    gradient_accumulation_steps: int = 8
    lr_scheduler_type: str = "cosine"
    warmup_ratio: float = 0.03
    weight_decay: float = 0.0
    max_grad_norm: float = 1.0
    bf16: bool | None = None
    """None = bf16 when a CUDA GPU supports it."""
    gradient_checkpointing: bool = False
    logging_steps: int = 10
    save_steps: int = 500
    save_total_limit: int = 2
    eval_at_end: bool = True
    merge_at_end: bool = True
    resume: bool = True
    """Resume from the last checkpoint in output_dir when one exists."""
    seed: int = 42
    dataloader_num_workers: int = 0
    report_to: list[str] = Field(default_factory=list)
    deepspeed: str | None = None
    """A DeepSpeed config (e.g. ZeRO-3); saving gathers the weights, merging runs from disk."""
    fsdp: str | None = None
    """HF Trainer `fsdp` option, e.g. "full_shard auto_wrap"; none = no FSDP."""
    fsdp_config: dict[str, Any] | None = None

    @classmethod
    def from_yaml(cls, path: str | Path, **overrides: Any) -> SFTConfig:
        path = Path(path)
        if not path.is_file():
            raise TrainError(f"config not found: {path}")
        data = yaml.safe_load(path.read_text()) or {}
        data.update({k: v for k, v in overrides.items() if v is not None})
        return cls.model_validate(data)


class SFTResult(BaseModel):
    stage: int
    output_dir: str
    adapter_dir: str | None = None
    merged_dir: str | None = None
    steps: int = 0
    losses: list[float] = Field(default_factory=list)
    eval_loss: float | None = None
    train_samples: int = 0
    eval_samples: int = 0
    skipped_too_long: int = 0
    """Samples (train + eval) that did not fit max_length even with their image downscaled."""
    downscaled: int = 0
    """Samples kept with fewer image pixels so that they fit max_length."""
    skipped_ids: list[str] = Field(default_factory=list)
    warmup_steps: int = 0
    world_size: int = 1
    sharding: Literal["none", "fsdp", "deepspeed"] = "none"
    train_seconds: float = 0.0
    samples_per_second: float = 0.0
    tokens_per_second: float = 0.0
    """Non-padding input tokens (prompt, image tokens and answer) per second of training."""
    peak_memory_mb: float = 0.0
    memory: Literal["cuda", "rss"] = "rss"
    """What peak_memory_mb measures: torch's peak CUDA allocation on this process's device,
    or, on CPU, the process's peak resident set (the whole process, loading included)."""


def _use_bf16(config: SFTConfig) -> bool:
    import torch

    if config.bf16 is not None:
        return config.bf16 and torch.cuda.is_available()
    return torch.cuda.is_available() and torch.cuda.is_bf16_supported()


def load_model(config: SFTConfig) -> tuple[Any, Any]:
    """(model ready to train, processor)."""
    import torch
    from transformers import AutoModelForImageTextToText, AutoProcessor

    local = local_only(config.model)
    dtype = torch.bfloat16 if _use_bf16(config) else torch.float32
    try:
        processor = AutoProcessor.from_pretrained(config.model, local_files_only=local)
        model = AutoModelForImageTextToText.from_pretrained(config.model, dtype=dtype, local_files_only=local)  # fmt: skip
    except Exception as error:
        raise TrainError(f"cannot load model {config.model!r}: {type(error).__name__}: {str(error).splitlines()[0][:200]}") from None  # fmt: skip
    set_pixels(processor, config.min_pixels, config.max_pixels)
    tokenizer = getattr(processor, "tokenizer", processor)
    if tokenizer.pad_token_id is None:
        tokenizer.pad_token = tokenizer.eos_token
    model.config.use_cache = False
    if config.init == "adapter":
        from peft import PeftModel

        if not config.adapter_from:
            raise TrainError("init: adapter needs adapter_from (the previous stage's adapter dir)")
        model = PeftModel.from_pretrained(model, config.adapter_from, is_trainable=True)
    elif config.lora.enabled:
        from peft import LoraConfig, get_peft_model

        model = get_peft_model(model, LoraConfig(
            r=config.lora.r, lora_alpha=config.lora.alpha, lora_dropout=config.lora.dropout,
            target_modules=_lora_targets(model, config.lora), modules_to_save=config.lora.modules_to_save or None,
            task_type="CAUSAL_LM",
        ))  # fmt: skip
    else:
        for name, parameter in model.named_parameters():
            wanted = not config.full_finetune_modules or any(
                m in name for m in config.full_finetune_modules
            )
            parameter.requires_grad = wanted
    if config.freeze_vision:
        for name, parameter in model.named_parameters():
            if ".visual." in f".{name}" and "lora_" not in name and not any(m in name for m in config.lora.modules_to_save):  # fmt: skip
                parameter.requires_grad = False
    if config.gradient_checkpointing:
        model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
        if hasattr(model, "enable_input_require_grads"):
            model.enable_input_require_grads()
    if not any(p.requires_grad for p in model.parameters()):
        raise TrainError(
            "no trainable parameters: check lora.target_modules / full_finetune_modules"
        )
    return model, processor


def _lora_targets(model: Any, lora: LoraSettings) -> list[str] | str:
    """Exact module names: the language model's matching Linear layers (and the vision
    tower's only when asked), so the LoRA never lands where it was not meant to."""
    if isinstance(lora.target_modules, str):
        return lora.target_modules
    import torch

    names = []
    for name, module in model.named_modules():
        if (
            not isinstance(module, torch.nn.Linear)
            or name.split(".")[-1] not in lora.target_modules
        ):
            continue
        if "visual" in name.split(".") and not lora.lora_vision:
            continue
        names.append(name)
    if not names:
        raise TrainError(f"no Linear module matches lora.target_modules {lora.target_modules}")
    return names


def _last_checkpoint(output_dir: Path) -> str | None:
    checkpoints = sorted(output_dir.glob("checkpoint-*"), key=lambda p: int(p.name.split("-")[-1]))
    return str(checkpoints[-1]) if checkpoints else None


def train(config: SFTConfig) -> SFTResult:
    """Run one stage; returns where the adapter / merged model went and the loss curve."""
    from ictrag.extras import require

    require("train", "ictrag train")
    from transformers import Trainer, TrainerCallback, TrainingArguments

    output_dir = Path(config.output_dir)
    samples = [s for f in config.train_files for s in load_samples(f, image_root=config.image_root, inner_text_prob=config.inner_text_prob, target=config.target_format)]  # fmt: skip
    if config.eval_files:
        train_samples = samples
        eval_samples = [s for f in config.eval_files for s in load_samples(f, image_root=config.image_root, inner_text_prob=config.inner_text_prob, target=config.target_format)]  # fmt: skip
    else:
        train_samples, eval_samples = split_samples(samples, config.val_fraction)
    if not train_samples:
        raise TrainError("no training samples in " + ", ".join(config.train_files))
    model, processor = load_model(config)
    collator = VisionSFTCollator(processor, max_length=config.max_length)
    pixels = {"min_pixels": config.min_pixels, "max_pixels": config.max_pixels}
    train_samples, train_fit = fit_samples(train_samples, collator, **pixels)
    eval_samples, eval_fit = fit_samples(eval_samples, collator, **pixels)
    if not train_samples:
        raise TrainError(f"every training sample exceeds max_length {config.max_length}, even downscaled")  # fmt: skip
    losses: list[float] = []

    class LossLog(TrainerCallback):
        def on_log(self, args, state, control, logs=None, **kwargs):
            if logs and "loss" in logs and state.is_world_process_zero:
                losses.append(float(logs["loss"]))

    args = TrainingArguments(
        output_dir=str(output_dir),
        learning_rate=config.learning_rate,
        num_train_epochs=config.num_train_epochs,
        max_steps=config.max_steps,
        per_device_train_batch_size=config.per_device_train_batch_size,
        per_device_eval_batch_size=config.per_device_eval_batch_size,
        gradient_accumulation_steps=config.gradient_accumulation_steps,
        lr_scheduler_type=config.lr_scheduler_type,
        weight_decay=config.weight_decay,
        max_grad_norm=config.max_grad_norm,
        bf16=_use_bf16(config),
        logging_steps=config.logging_steps,
        save_strategy="steps",
        save_steps=config.save_steps,
        save_total_limit=config.save_total_limit,
        eval_strategy="no",
        remove_unused_columns=False,
        dataloader_num_workers=config.dataloader_num_workers,
        report_to=config.report_to or "none",
        seed=config.seed,
        deepspeed=config.deepspeed,
        disable_tqdm=True,
        include_num_input_tokens_seen="non_padding",
        **({"fsdp": config.fsdp, "fsdp_config": _fsdp_config(config)} if config.fsdp else {}),
    )
    # The optimizer-step count depends on how many processes share the data.
    args.warmup_steps = warmup_steps(config, len(train_samples), args.world_size)
    trainer = Trainer(
        model=model,
        args=args,
        train_dataset=SampleDataset(train_samples),
        eval_dataset=SampleDataset(eval_samples) if eval_samples else None,
        data_collator=collator,
        callbacks=[LossLog()],
    )
    resume = _last_checkpoint(output_dir) if config.resume else None
    memory = _PeakMemory()
    state = trainer.train(resume_from_checkpoint=resume)
    seconds = float(state.metrics.get("train_runtime", 0.0))
    tokens = float(trainer.state.num_input_tokens_seen or 0)
    result = SFTResult(
        stage=config.stage, output_dir=str(output_dir), steps=state.global_step, losses=losses,
        train_samples=len(train_samples), eval_samples=len(eval_samples),
        skipped_too_long=train_fit.skipped + eval_fit.skipped,
        downscaled=train_fit.downscaled + eval_fit.downscaled,
        skipped_ids=(train_fit.skipped_ids + eval_fit.skipped_ids)[:20],
        warmup_steps=args.warmup_steps, world_size=args.world_size,
        sharding="fsdp" if getattr(trainer, "is_fsdp_enabled", False) else "deepspeed" if getattr(trainer, "is_deepspeed_enabled", False) else "none",
        train_seconds=seconds, samples_per_second=float(state.metrics.get("train_samples_per_second", 0.0)),
        tokens_per_second=tokens / seconds if seconds > 0 else 0.0,
        peak_memory_mb=memory.peak_mb(), memory=memory.kind,
    )  # fmt: skip
    if config.eval_at_end and eval_samples:
        result.eval_loss = float(trainer.evaluate()["eval_loss"])
    result.adapter_dir, result.merged_dir = _save(trainer, processor, config, output_dir)
    if trainer.is_world_process_zero():
        (output_dir / "result.json").write_text(result.model_dump_json(indent=2))
    trainer.accelerator.wait_for_everyone()
    return result


class _PeakMemory:
    """Peak memory from here on: CUDA allocations when training on a GPU, else the
    process's peak resident set."""

    def __init__(self) -> None:
        import torch

        self.kind: Literal["cuda", "rss"] = "cuda" if torch.cuda.is_available() else "rss"
        if self.kind == "cuda":
            torch.cuda.reset_peak_memory_stats()

    def peak_mb(self) -> float:
        if self.kind == "cuda":
            import torch

            return torch.cuda.max_memory_allocated() / 2**20
        import resource

        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def _fsdp_config(config: SFTConfig) -> dict[str, Any]:
    """trainer.save_model writes nothing under FSDP unless the state dict is gathered whole."""
    fsdp_config = {"state_dict_type": "FULL_STATE_DICT", **(config.fsdp_config or {})}
    if fsdp_config["state_dict_type"] != "FULL_STATE_DICT":
        raise TrainError("fsdp_config.state_dict_type must be FULL_STATE_DICT: the adapter and merged model are saved whole")  # fmt: skip
    return fsdp_config


def steps_per_epoch(config: SFTConfig, n: int, world_size: int = 1) -> int:
    per_step = config.per_device_train_batch_size * config.gradient_accumulation_steps * world_size
    return max(1, math.ceil(n / per_step))


def warmup_steps(config: SFTConfig, n: int, world_size: int = 1) -> int:
    total = config.max_steps if config.max_steps > 0 else math.ceil(steps_per_epoch(config, n, world_size) * config.num_train_epochs)  # fmt: skip
    return math.ceil(config.warmup_ratio * total)


def _save(trainer: Any, processor: Any, config: SFTConfig, output_dir: Path) -> tuple[str | None, str | None]:  # fmt: skip
    """Save on every rank through `trainer.save_model`, which gathers the full state dict
    under FSDP and DeepSpeed ZeRO-3 (no rank reads sharded parameters itself); then rank 0
    merges offline, from the saved adapter and the base on disk (`export_model`)."""
    from ictrag.training.export import ExportError, export_model

    is_peft = hasattr(trainer.accelerator.unwrap_model(trainer.model), "peft_config")
    saved = output_dir / ("adapter" if is_peft else "merged")
    if not is_peft:  # training ran without the KV cache; the saved model is for inference
        trainer.accelerator.unwrap_model(trainer.model).config.use_cache = True
    trainer.save_model(str(saved))
    main = trainer.is_world_process_zero()
    empty = main and not any(saved.glob("*.safetensors")) and not any(saved.glob("*.bin"))
    if main and not empty:
        processor.save_pretrained(saved)  # export-model finds it beside the weights
    trainer.accelerator.wait_for_everyone()  # raise after it: the other ranks wait there
    if empty:
        raise TrainError(f"stage {config.stage}: trainer.save_model wrote no weights to {saved}")
    if not is_peft:
        return None, str(saved)
    merged_dir = None
    if config.merge_at_end:
        merged_dir = str(output_dir / "merged")
        failed = None
        if trainer.is_world_process_zero():
            try:
                export_model(saved, Path(merged_dir))
            except ExportError as error:
                failed = error
        trainer.accelerator.wait_for_everyone()  # before raising: the other ranks wait here
        if failed is not None:
            raise TrainError(f"stage {config.stage}: {failed}")
    return str(saved), merged_dir
