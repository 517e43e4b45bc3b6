"""The figure stage of ingest: give every figure its own text (vector spans or OCR) and,
when a captioner is configured, its logical text. Both are cached by image hash."""

from __future__ import annotations

import logging
from pathlib import Path

from ictrag.figures.base import Captioner, FigureInput
from ictrag.figures.cache import CaptionCache, cache_key
from ictrag.figures.cascade import captioner_id
from ictrag.model import Document, Figure

log = logging.getLogger(__name__)


def fill_inner_text(figures: list[Figure], cache_root: Path | None, ocr: bool = True) -> None:
    """OCR raster figures that have no text of their own yet. ocr_lines caches by image
    hash in the process and under cache_root, so a captioner that OCRs the same image
    afterwards (the structural raster parser) gets it for free."""
    from ictrag.figures.raster.ocr import group_lines, ocr_lines

    for figure in figures:
        if figure.inner_text or not figure.image_path or figure.origin == "vector" or not ocr:
            continue
        try:
            lines = ocr_lines(figure.image_path, cache_dir=cache_root)
        except Exception as error:  # one unreadable image must not sink the document
            log.warning("OCR failed on %s: %s", figure.image_path, error)
            continue
        figure.inner_text = "\n".join(
            " ".join(line.text for line in block) for block in group_lines(lines)
        )


def figure_input(figure: Figure, ocr_cache: Path | None = None) -> FigureInput:
    return FigureInput(
        image_path=figure.image_path,
        label=figure.label,
        context=figure.context,
        inner_text=figure.inner_text,
        vector=figure.vector,
        figure_id=figure.id,
        ocr_cache=str(ocr_cache) if ocr_cache else None,
        source=figure.source,
    )


def caption_figures(
    figures: list[Figure],
    captioner: Captioner,
    cache: CaptionCache,
    batch_size: int = 8,
    ocr_cache: Path | None = None,
) -> int:
    """Set `figure.logical` for every figure, from the cache or the captioner. Returns how
    many figures the captioner actually described. `ocr_cache`: where fill_inner_text
    cached the OCR lines (the index's cache folder)."""
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
        results = captioner.describe([figure_input(figure, ocr_cache) for figure, _ in batch])
        for (figure, key), logical in zip(batch, results, strict=True):
            figure.logical = logical
            cache.put(key, logical)
    # Nothing after captioning reads the drawings, and they are most of what a captioned
    # document weighs when it crosses to the process (or Ray actor) that embeds it.
    for figure in figures:
        figure.drop_vector()
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
        captions = CaptionCache(cache_root / "captions" if cache_root else None)
        caption_figures(figures, captioner, captions, ocr_cache=cache_root)
