"""Session-cached tiny models for tests: `from tests.fixtures_models import *` in a test file."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.tiny_qwen import build_tiny_lora, build_tiny_qwen

__all__ = ["tiny_qwen_dir", "tiny_lora_dir"]


@pytest.fixture(scope="session")
def tiny_qwen_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A random-weight Qwen2.5-VL (model + processor) built once per test session."""
    return build_tiny_qwen(tmp_path_factory.mktemp("tiny-qwen") / "model")


@pytest.fixture(scope="session")
def tiny_lora_dir(tiny_qwen_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A random LoRA adapter (q_proj, v_proj) for `tiny_qwen_dir`."""
    return build_tiny_lora(tiny_qwen_dir, tmp_path_factory.mktemp("tiny-lora") / "adapter")
