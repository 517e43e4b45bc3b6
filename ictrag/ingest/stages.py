"""The per-document stages: prepare (load + describe figures, worker side) and encode
(chunk + embed). Engines run them wherever they like; neither raises for one bad file."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ictrag.config import Settings, usable_cores
from ictrag.load import LoadError, load
from ictrag.model import Chunk, Document

if TYPE_CHECKING:
    import numpy as np

    from ictrag.index.store import SparseVec

_captioners: dict[str, object] = {}


def _captioner_for(settings: Settings):
    from ictrag.figures.registry import make_captioner

    key = settings.caption.model_dump_json()
    if key not in _captioners:
        _captioners[key] = make_captioner(settings.caption)
    return _captioners[key]


@dataclass
class Prepared:
    path: str
    sha256: str
    document: Document | None
    error: str | None
    seconds: float


def prepare(
    path: str,
    sha256: str,
    settings: Settings,
    index_dir: str,
    caption: bool = True,
    ocr_threads: Callable[[], int] | None = None,
) -> Prepared:
    """Load one file and describe its figures. Never raises: errors come back as data.

    caption=False stops after the figures' own text (vector spans, OCR): the Ray engine
    captions in actors of its own. `ocr_threads`, asked before each image, overrides the
    settings' count (an in-process loader's share of the cores changes as it runs)."""
    from ictrag.figures.describe import describe_document
    from ictrag.figures.raster.ocr import use_threads

    started = time.perf_counter()
    use_threads(ocr_threads or settings.caption.ocr_threads or usable_cores())
    try:
        document = load(path, Path(index_dir) / "figures", settings.load)
        captioner = _captioner_for(settings) if caption else None
        describe_document(document, captioner, Path(index_dir) / "cache", ocr=settings.caption.ocr)
        return Prepared(path, sha256, document, None, time.perf_counter() - started)
    except LoadError as error:
        return Prepared(path, sha256, None, str(error), time.perf_counter() - started)
    except Exception as error:  # a bug on one file must not sink the run
        message = (str(error).splitlines() or [""])[0]
        return Prepared(path, sha256, None, f"{type(error).__name__}: {message}", 0.0)


def expected_cost(path: str) -> float:
    """Rough seconds of loader work, to start the longest jobs first. A PDF's raster images
    dominate (OCR, ~1 s each); its pages cost little. Other files: by size."""
    try:
        if path.lower().endswith(".pdf"):
            import pymupdf

            with pymupdf.open(path) as pdf:
                images = {image[0] for page in pdf for image in page.get_images()}
                return 0.05 * pdf.page_count + len(images)
        return os.path.getsize(path) / 1e6
    except Exception:  # an unreadable file fails later, with its own error line
        return 0.0


@dataclass
class Encoded:
    """A document's chunks with their dense and sparse vectors, ready to upsert."""

    chunks: list[Chunk]
    dense: np.ndarray
    sparse: list[SparseVec]


def encode_prepared(batch: list[Prepared], embedder) -> list[Encoded]:
    """Chunk and embed several loaded documents with one batched encode call."""
    from ictrag.index.bm25 import sparse_vector
    from ictrag.index.chunking import chunk_document

    per_doc: list[list[Chunk]] = []
    for prepared in batch:
        assert prepared.document is not None
        prepared.document.source = prepared.path
        per_doc.append(
            chunk_document(prepared.document, embedder.count_tokens, embedder.max_tokens)
        )
    texts = [chunk.text for chunks in per_doc for chunk in chunks]
    dense = embedder.encode(texts)
    sparse = [sparse_vector(text) for text in texts]
    out: list[Encoded] = []
    start = 0
    for chunks in per_doc:
        end = start + len(chunks)
        out.append(Encoded(chunks, dense[start:end], sparse[start:end]))
        start = end
    return out


def one_line(error: BaseException) -> str:
    """An exception as the one line a FileResult carries."""
    text = str(error).strip().splitlines()
    # a RayTaskError's text starts with the task name; the cause is on the last line
    return f"{type(error).__name__}: {(text[-1] if text else '')[:300]}"


class FigureCaptioner:
    """The caption half of `prepare`, for engines that caption apart from loading
    (`prepare(..., caption=False)`): one captioner and its cache, reused across documents."""

    def __init__(self, settings: Settings, index_dir: Path) -> None:
        from ictrag.figures.cache import CaptionCache
        from ictrag.figures.registry import make_captioner

        self.captioner = make_captioner(settings.caption)
        self.ocr_cache = index_dir / "cache"
        self.cache = CaptionCache(self.ocr_cache / "captions")

    def caption(self, prepared: Prepared) -> tuple[Prepared, float]:
        from ictrag.figures.describe import caption_figures

        started = time.perf_counter()
        document = prepared.document
        if document is None or self.captioner is None or not document.figures:
            return prepared, 0.0
        try:
            caption_figures(
                document.figures, self.captioner, self.cache, ocr_cache=self.ocr_cache
            )
        except Exception as error:  # one bad figure batch fails its document, not the run
            prepared = Prepared(prepared.path, prepared.sha256, None, one_line(error), 0.0)
        seconds = time.perf_counter() - started
        prepared.seconds += seconds
        return prepared, seconds


def load_embedder(settings: Settings):
    """The dense embedder of these settings (loads the model)."""
    from ictrag.index.embed import DenseEmbedder

    return DenseEmbedder(settings.embed)
