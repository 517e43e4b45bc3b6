"""Grounding: output terms that the figure's own text does not contain are flagged, and the
confidence is scaled down by their share."""

from __future__ import annotations

import re

from ictrag.figures.base import FigureInput
from ictrag.model import LogicalText

_TERM = re.compile(r"[A-Za-z0-9][A-Za-z0-9_./:+-]*[A-Za-z0-9]|[A-Za-z0-9]")
STOPWORDS = frozenset(
    [
        "a",
        "an",
        "the",
        "and",
        "or",
        "of",
        "to",
        "in",
        "on",
        "at",
        "by",
        "for",
        "from",
        "with",
        "via",
        "into",
        "over",
        "under",
        "is",
        "are",
        "be",
        "was",
        "were",
        "as",
        "it",
        "its",
        "this",
        "that",
        "these",
        "those",
        "then",
        "than",
        "if",
        "else",
        "when",
        "while",
        "each",
        "all",
        "any",
        "per",
        "not",
        "no",
        "yes",
        "up",
        "down",
        "out",
        "off",
        "between",
        "through",
        "using",
        "use",
        "uses",
        "used",
        "sends",
        "send",
        "sent",
        "receives",
        "receive",
        "connects",
        "connect",
        "connected",
        "goes",
        "go",
        "step",
        "steps",
        "node",
        "nodes",
        "edge",
        "edges",
        "figure",
        "diagram",
        "shows",
        "show",
        "shown",
    ]
)


def _terms(logical: LogicalText) -> list[str]:
    texts = list(logical.components)
    for relation in logical.relations:
        texts.extend([relation.source, relation.target, relation.label])
    terms: list[str] = []
    for text in texts:
        for token in _TERM.findall(text):
            if len(token) < 2 or token.lower() in STOPWORDS or token.isdigit():
                continue
            terms.append(token)
    return terms


def _norm(token: str) -> str:
    token = token.lower()
    return (
        token[:-1] if len(token) > 3 and token.endswith("s") and not token.endswith("ss") else token
    )


def ungrounded_terms(logical: LogicalText, figure_text: str) -> list[str]:
    """Output terms (components, relation ends and labels) absent from the figure's own text."""
    haystack = figure_text.lower()
    known = {_norm(t) for t in _TERM.findall(figure_text)}
    missing: dict[str, str] = {}
    for term in _terms(logical):
        if _norm(term) in known or term.lower() in haystack:
            continue
        missing.setdefault(term.lower(), term)
    return list(missing.values())


def apply_grounding(logical: LogicalText, figure_text: str) -> LogicalText:
    """Set `ungrounded` and scale confidence down by the share of ungrounded terms.

    Without any figure text (a raster figure without OCR) grounding cannot be judged and the
    result is returned unchanged."""
    if not figure_text.strip():
        return logical
    terms = {t.lower() for t in _terms(logical)}
    missing = ungrounded_terms(logical, figure_text)
    share = len(missing) / len(terms) if terms else 0.0
    confidence = round(logical.confidence * (1.0 - 0.6 * share), 3)
    return logical.model_copy(update={"ungrounded": missing, "confidence": confidence})


def figure_text(item: FigureInput) -> str:
    """The figure's own text, for grounding: inner text plus label."""
    return f"{item.inner_text}\n{item.label}".strip()
