"""Structural first, a model only where the structure was not recovered with confidence.

The structural parser is exact where it succeeds (its words all come from the figure) and
costs milliseconds; a vision-language model is slower and may invent. So the model is asked
only for figures whose structural confidence is below the threshold, and its answer is kept
only when it is the better grounded one (model confidences are already discounted by the
share of ungrounded terms, see models.grounding.apply_grounding).
"""

from __future__ import annotations

import logging

from ictrag.codeversion import code_version
from ictrag.figures.base import Captioner, CaptionError, FigureInput
from ictrag.model import LogicalText

log = logging.getLogger(__name__)


def captioner_id(captioner: Captioner) -> str:
    """Model id plus the version of the code behind the captioner (its parser, its prompt
    and answer parsing), so that caches made by older code are not reused."""
    model = str(getattr(captioner, "model_id", "") or getattr(captioner, "model", "") or "")
    return f"{model}#{code_version(captioner)}"


class CascadeCaptioner:
    def __init__(self, first: Captioner, model: Captioner, threshold: float):
        self.first = first
        self.fallback = model
        self.threshold = threshold
        self.name = f"{first.name}+{model.name}"
        self.model_id = f"{captioner_id(first)}|{captioner_id(model)}@{threshold}"
        self.prompt_version = str(getattr(model, "prompt_version", ""))
        self.model_failures = 0

    def describe(self, items: list[FigureInput]) -> list[LogicalText]:
        results = self.first.describe(items)
        doubtful = [i for i, result in enumerate(results) if result.confidence < self.threshold]
        if not doubtful:
            return results
        try:
            answers = self.fallback.describe([items[i] for i in doubtful])
        except CaptionError as error:
            # The endpoint is down or the model will not load: keep the structural result.
            self.model_failures += len(doubtful)
            log.warning("%s captioner unavailable, keeping %s results: %s",
                        self.fallback.name, self.first.name, error)  # fmt: skip
            return results
        for index, answer in zip(doubtful, answers, strict=True):
            if answer.confidence > results[index].confidence:
                results[index] = answer
        return results
