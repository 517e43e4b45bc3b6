"""Merge a LoRA adapter into its base model and save a directory that DICModelCaptioner
(AutoModelForImageTextToText + AutoProcessor) loads directly.

    export_model(Path("runs/stage3/adapter"), Path("models/dicmodel"))
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ictrag.config import local_only


class ExportError(RuntimeError):
    """The adapter or its base model cannot be loaded or merged; one line."""


def merge_and_save(model: Any, processor: Any, out: Path) -> Path:
    """Save `model` (a PeftModel is merged first) and `processor` into `out`, in the model's
    own dtype, with a generation config that decodes greedily."""
    if hasattr(model, "merge_and_unload"):
        model = model.merge_and_unload()  # in place: call after the adapter is saved
    model.config.use_cache = True
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out)
    processor.save_pretrained(out)
    return out


def export_model(adapter: Path, out: Path, base: str | None = None) -> Path:
    """Merge `adapter` (a peft adapter dir) into `base` (default: the adapter's own
    base_model_name_or_path) and write the merged model + processor to `out`."""
    from ictrag.extras import require

    require("train", "ictrag export-model")
    import torch
    from transformers import AutoModelForImageTextToText, AutoProcessor

    config_path = adapter / "adapter_config.json"
    if not config_path.is_file():
        raise ExportError(f"no peft adapter at {adapter} (adapter_config.json missing)")
    base = base or json.loads(config_path.read_text()).get("base_model_name_or_path")
    if not base:
        raise ExportError("the adapter names no base model: pass --base")
    local = local_only(base)
    try:
        from peft import PeftModel

        dtype = torch.bfloat16 if torch.cuda.is_available() else torch.float32
        model = AutoModelForImageTextToText.from_pretrained(
            base, dtype=dtype, local_files_only=local
        )
        model = PeftModel.from_pretrained(model, str(adapter)).merge_and_unload()
        source = adapter if (adapter / "preprocessor_config.json").exists() or (adapter / "processor_config.json").exists() else base  # fmt: skip
        processor = AutoProcessor.from_pretrained(
            source, local_files_only=local_only(str(source))
        )
    except Exception as error:
        raise ExportError(f"cannot merge {adapter} into {base}: {type(error).__name__}: {str(error).splitlines()[0][:200]}") from None  # fmt: skip
    return merge_and_save(model, processor, out)
