"""The figure stage of ingest: give every figure its own text (vector spans or OCR) and,
when a captioner is configured, its logical text. Both are cached by image hash."""

from __future__ import annotations

import logging
from pathlib import Path

from ictrag.figures.base import Captioner, FigureInput
from ictrag.figures.cache import CaptionCache, cache_key, text_cache_get, text_cache_put
from ictrag.figures.cascade import captioner_id
from ictrag.model import Document, Figure

log = logging.getLogger(__name__)


def ocr_text(image_path: str) -> str:
    from ictrag.figures.ocr import ocr_lines

    return "\n".join(line.text for line in ocr_lines(image_path))


def fill_inner_text(figures: list[Figure], cache_root: Path | None, ocr: bool = True) -> int:
    """OCR raster figures that have no text of their own yet. Returns how many were OCRed
    (cache hits excluded)."""
    done = 0
    for figure in figures:
        if figure.inner_text or not figure.image_path or figure.origin == "vector" or not ocr:
            continue
        cached = text_cache_get(cache_root, figure.id)
        if cached is None:
            try:
                cached = ocr_text(figure.image_path)
            except Exception as error:  # one unreadable image must not sink the document
                log.warning("OCR failed on %s: %s", figure.image_path, error)
                continue
            text_cache_put(cache_root, figure.id, cached)
            done += 1
        figure.inner_text = cached
    return done


def figure_input(figure: Figure) -> FigureInput:
    return FigureInput(
        image_path=figure.image_path,
        label=figure.label,
        context=figure.context,
        inner_text=figure.inner_text,
        vector=figure.vector,
        figure_id=figure.id,
    )


def caption_figures(
    figures: list[Figure], captioner: Captioner, cache: CaptionCache, batch_size: int = 8
) -> int:
    """Set `figure.logical` for every figure, from the cache or the captioner. Returns how
    many figures the captioner actually described."""
    model = captioner_id(captioner)
    version = getattr(captioner, "prompt_version", "") or ""
    todo: list[tuple[Figure, str]] = []
    for figure in figures:
        key = cache_key(figure.id, captioner.name, model, version)
        cached = cache.get(key)
        if cached is not None:
            figure.logical = cached
        else:
            todo.append((figure, key))
    for start in range(0, len(todo), batch_size):
        batch = todo[start : start + batch_size]
        results = captioner.describe([figure_input(figure) for figure, _ in batch])
        for (figure, key), logical in zip(batch, results, strict=True):
            figure.logical = logical
            cache.put(key, logical)
    return len(todo)


def describe_document(
    document: Document,
    captioner: Captioner | None,
    cache_root: Path | None,
    ocr: bool = True,
) -> None:
    figures = document.figures
    if not figures:
        return
    fill_inner_text(figures, cache_root, ocr=ocr)
    if captioner is not None:
        caption_figures(
            figures, captioner, CaptionCache(cache_root / "captions" if cache_root else None)
        )
