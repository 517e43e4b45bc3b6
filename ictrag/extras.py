"""Optional stacks (pyproject's extras) and the one-line error when one is absent.

The core install (ingest, query, docs, remove, caption) needs none of these. A command that
does calls `require(extra, command)` before its work; `ictrag`'s entry point turns the
MissingExtra into `error: 'ictrag serve' needs the serve extra: pip install 'ictrag[serve]'`.
"""

from __future__ import annotations

import importlib.util

EXTRAS: dict[str, tuple[str, ...]] = {
    "ray": ("ray",),
    "serve": ("fastapi", "uvicorn", "multipart", "mcp"),
    "langchain": ("langchain_core",),
    "vlm": ("torchvision", "peft"),
    "train": ("torchvision", "peft", "accelerate"),
    "eval": ("sacrebleu", "matplotlib"),
    "parquet": ("pyarrow",),
    "onnx": ("onnx",),
}
"""Import names per extra; pyproject.toml's [project.optional-dependencies] lists the
distributions. tests/test_wheel.py checks the two agree."""


class MissingExtra(ImportError):
    """An optional dependency of a command is not installed; the message is one line."""


def missing_modules(extra: str) -> list[str]:
    return [name for name in EXTRAS[extra] if not _importable(name)]


def _importable(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):  # a blocked or half-installed package
        return False


def require(extra: str, command: str) -> None:
    """Raise MissingExtra when a module of `extra` is absent."""
    missing = missing_modules(extra)
    if missing:
        raise MissingExtra(
            f"'{command}' needs the {extra} extra ({', '.join(missing)} missing): "
            f"pip install 'ictrag[{extra}]'"
        )
