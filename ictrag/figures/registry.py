"""Captioner backends by name. Imports are lazy: choosing `ocr` never imports torch."""

from __future__ import annotations

from ictrag.config import CaptionSettings
from ictrag.figures.base import Captioner

BACKENDS = ("structural", "ocr", "dicmodel", "openai", "none")


class UnknownBackend(ValueError):
    pass


def make_captioner(settings: CaptionSettings) -> Captioner | None:
    """The configured backend. A model backend (dicmodel, openai) runs behind the
    structural parser, for low-confidence figures only, unless `cascade` is off."""
    backend = settings.backend
    if backend == "none":
        return None
    if backend in ("dicmodel", "openai") and settings.cascade:
        from ictrag.figures.cascade import CascadeCaptioner

        first = _single("structural", settings)
        return CascadeCaptioner(first, _single(backend, settings), settings.min_confidence)
    return _single(backend, settings)


def _single(backend: str, settings: CaptionSettings) -> Captioner:
    if backend == "ocr":
        from ictrag.figures.raster.ocr import OcrCaptioner

        return OcrCaptioner()
    if backend == "structural":
        from ictrag.figures.structural import StructuralCaptioner

        return StructuralCaptioner(settings)
    if backend == "dicmodel":
        from ictrag.figures.models.vlm import DICModelCaptioner

        return DICModelCaptioner(settings)
    if backend == "openai":
        from ictrag.figures.models.remote import OpenAICaptioner

        return OpenAICaptioner(settings)
    raise UnknownBackend(f"unknown captioner '{backend}' (choose from {', '.join(BACKENDS)})")
