"""Progressive stages: stage 1 (synthetic pairs) -> stage 2 (expert pairs) -> stage 3 (VQA).

    results = run_stages([1, 2, 3], config_dir=Path("configs"))

A stage whose `model` is `previous` starts from the previous stage's output: its merged
weights when `init: merged`, or its adapter (kept training on the same base) when
`init: adapter`. Each stage writes result.json, which a later run reads back, so stages can
also be run one by one (`ictrag train --config configs/stage2.yaml`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ictrag.training.sft import SFTConfig, SFTResult, TrainError, train


def stage_config_path(stage: int, config_dir: Path = Path("configs")) -> Path:
    return config_dir / f"stage{stage}.yaml"


def _previous_result(configs: dict[int, SFTConfig], stage: int, results: dict[int, SFTResult]) -> tuple[SFTConfig, SFTResult]:  # fmt: skip
    before = stage - 1
    if before in results:
        return configs[before], results[before]
    if before not in configs:
        raise TrainError(f"stage {stage} starts from `previous` but stage {before} has no config")
    path = Path(configs[before].output_dir) / "result.json"
    if not path.is_file():
        raise TrainError(f"stage {stage} needs stage {before}'s output: run it first ({path} missing)")  # fmt: skip
    return configs[before], SFTResult.model_validate(json.loads(path.read_text()))


def resolve(config: SFTConfig, configs: dict[int, SFTConfig], results: dict[int, SFTResult]) -> SFTConfig:  # fmt: skip
    """Fill `model: previous` (and `adapter_from`) from the previous stage's output."""
    if config.model != "previous":
        return config
    prev_config, prev = _previous_result(configs, config.stage, results)
    update: dict[str, Any] = {}
    if config.init == "adapter":
        if not prev.adapter_dir:
            raise TrainError(f"stage {config.stage} continues an adapter but stage {prev.stage} saved none")  # fmt: skip
        base = prev_config.model
        if base == "previous":  # the previous stage itself chained: its base is recorded
            base = json.loads((Path(prev.adapter_dir) / "adapter_config.json").read_text())["base_model_name_or_path"]  # fmt: skip
        update = {"model": base, "adapter_from": config.adapter_from or prev.adapter_dir}
    else:
        if not prev.merged_dir:
            raise TrainError(f"stage {config.stage} starts from merged weights but stage {prev.stage} merged none (merge_at_end: false)")  # fmt: skip
        update = {"model": prev.merged_dir, "init": "merged"}
    return config.model_copy(update=update)


def run_stages(stages: list[int], config_dir: Path = Path("configs"), overrides: dict[int, dict] | None = None) -> list[SFTResult]:  # fmt: skip
    """Train the given stages in order, each from the one before when its config says so."""
    configs: dict[int, SFTConfig] = {}
    for stage in sorted(set(stages) | {s - 1 for s in stages if s > 1}):
        path = stage_config_path(stage, config_dir)
        if path.is_file():
            config = SFTConfig.from_yaml(path, **(overrides or {}).get(stage, {}))
            configs[stage] = config.model_copy(update={"stage": stage})
    results: dict[int, SFTResult] = {}
    for stage in sorted(stages):
        if stage not in configs:
            raise TrainError(f"no config for stage {stage}: {stage_config_path(stage, config_dir)}")
        results[stage] = train(resolve(configs[stage], configs, results))
    return [results[stage] for stage in sorted(stages)]


def run_config(path: Path, overrides: dict | None = None) -> SFTResult:
    """Train one stage from its YAML; `model: previous` reads the previous stage's
    result.json via the sibling stage config."""
    config = SFTConfig.from_yaml(path, **(overrides or {}))
    configs = {config.stage: config}
    if config.model == "previous":
        sibling = path.parent / f"stage{config.stage - 1}.yaml"
        if sibling.is_file():
            configs[config.stage - 1] = SFTConfig.from_yaml(sibling).model_copy(update={"stage": config.stage - 1})  # fmt: skip
    return train(resolve(config, configs, {}))
