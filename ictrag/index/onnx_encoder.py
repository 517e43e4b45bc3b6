"""A sentence-transformers model's Transformer module run by ONNX Runtime.

The model's first module (the Hugging Face encoder, nearly all of the work) is exported once
to an ONNX graph in the user cache; its later modules (pooling, normalisation, dense layers)
stay the model's own torch modules, fed the token embeddings ONNX Runtime returns. Vectors
agree with torch's to float rounding; on short texts ONNX Runtime needs ~2.5x less CPU.
"""

from __future__ import annotations

import hashlib
import logging
import os
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ictrag.config import user_cache_dir

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

log = logging.getLogger(__name__)

OPSET = 17
INPUTS = ("input_ids", "attention_mask", "token_type_ids")


class OnnxUnavailable(RuntimeError):
    """This model or this environment cannot run through ONNX Runtime."""


def _first_module(model: SentenceTransformer) -> Any:
    modules = list(model.children())
    first = modules[0] if modules else None
    if type(first).__name__ != "Transformer" or not hasattr(first, "auto_model"):
        raise OnnxUnavailable(f"first module is {type(first).__name__}, not a Transformer")
    return first


def _input_names(model: SentenceTransformer) -> list[str]:
    accepted = set(getattr(model.tokenizer, "model_input_names", INPUTS))
    return [name for name in INPUTS if name in accepted]


def graph_path(model: SentenceTransformer, model_dir: str) -> Path:
    """Where the exported graph of this model (its files' names, sizes and times), this
    torch and this opset lives."""
    import torch

    digest = hashlib.sha256(f"{torch.__version__}|{OPSET}|{_input_names(model)}".encode())
    folder = Path(model_dir)
    files = sorted(folder.rglob("*")) if folder.is_dir() else []
    for file in files:
        if file.is_file():
            stat = file.stat()
            digest.update(f"{file.relative_to(folder)}|{stat.st_size}|{stat.st_mtime_ns}".encode())
    if not files:
        digest.update(model_dir.encode())
    return user_cache_dir() / "onnx" / f"{digest.hexdigest()[:24]}.onnx"


def export(model: SentenceTransformer, path: Path) -> None:
    """Write the encoder's graph to `path` (atomically: concurrent workers may race)."""
    import torch

    try:
        import onnx  # noqa: F401  torch's exporter needs it
    except ImportError as exc:
        raise OnnxUnavailable("needs the onnx extra: pip install 'ictrag[onnx]'") from exc
    encoder = _first_module(model).auto_model
    names = _input_names(model)

    class LastHidden(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.encoder = encoder

        def forward(self, *tensors):
            return self.encoder(**dict(zip(names, tensors, strict=True))).last_hidden_state

    sample = model.tokenizer(
        ["an example", "a longer example text"], padding=True, return_tensors="pt"
    )
    axes = {name: {0: "batch", 1: "tokens"} for name in [*names, "last_hidden_state"]}
    partial = path.with_suffix(f".{os.getpid()}.part")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # the tracer's warnings (constant shapes, index ops) hold for BERT-style encoders
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(
                LastHidden().eval(),
                tuple(sample[name] for name in names),
                str(partial),
                input_names=names,
                output_names=["last_hidden_state"],
                dynamic_axes=axes,
                opset_version=OPSET,
                dynamo=False,
            )
        os.replace(partial, path)
    except OnnxUnavailable:
        raise
    except Exception as exc:  # an architecture the exporter can't trace
        raise OnnxUnavailable(f"export failed: {type(exc).__name__}: {exc}") from exc
    finally:
        if partial.parent.is_dir():
            partial.unlink(missing_ok=True)


class OnnxEncoder:
    """`encode(texts)` as SentenceTransformer.encode gives it, the encoder run by ONNX Runtime."""

    def __init__(self, model: SentenceTransformer, model_dir: str, threads: int) -> None:
        try:
            import onnxruntime as ort
        except ImportError as exc:
            raise OnnxUnavailable("onnxruntime is not installed") from exc
        _first_module(model)
        path = graph_path(model, model_dir)
        if not path.exists():
            log.info("exporting the embedder's graph to %s (once)", path)
            export(model, path)
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        # a spinning pool burns a core between batches that the loaders could use
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self.session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        self.model = model
        self.names = _input_names(model)
        self.tail = list(model.children())[1:]

    def _batch(self, texts: list[str]) -> np.ndarray:
        import torch

        tokens = self.model.tokenizer(
            texts,
            padding=True,
            truncation="longest_first",
            max_length=self.model.max_seq_length,
            return_tensors="np",
        )
        hidden = self.session.run(
            None, {name: tokens[name].astype(np.int64) for name in self.names}
        )[0]
        features = {
            "token_embeddings": torch.from_numpy(hidden),
            "attention_mask": torch.from_numpy(tokens["attention_mask"].astype(np.int64)),
        }
        with torch.no_grad():
            for module in self.tail:
                features = module(features)
        return features["sentence_embedding"].float().numpy()

    def encode(self, texts: list[str], batch_size: int, normalize: bool = True) -> np.ndarray:
        # longest first, as sentence-transformers does: batches of like lengths pad least
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        out: np.ndarray | None = None
        for start in range(0, len(order), batch_size):
            picked = order[start : start + batch_size]
            vectors = self._batch([texts[i] for i in picked])
            if out is None:
                out = np.zeros((len(texts), vectors.shape[1]), dtype=np.float32)
            out[picked] = vectors
        assert out is not None
        if normalize:
            norms = np.linalg.norm(out, axis=1, keepdims=True)
            out /= np.maximum(norms, 1e-12)
        return out
