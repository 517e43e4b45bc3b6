"""Which documents hold which figures (id, label, page), read from the parsed documents and
kept in memory, so that a figure look-up by id or label parses no document it does not need.
A document is read again only when its file in docs/ changes."""

from __future__ import annotations

import threading
from pathlib import Path

from pydantic import BaseModel

from ictrag.index.docstore import DocStore


class FigureEntry(BaseModel):
    doc_id: str
    doc: str = ""
    """The document's file name (what `doc` arguments accept), filled by the caller."""
    id: str
    label: str = ""
    page: int = 1


class FigureNotFound(LookupError):
    """No figure matches; the message is one line."""


class AmbiguousFigure(LookupError):
    """Several figures (often one image in several documents) match; one line naming them."""

    def __init__(self, message: str, candidates: list[FigureEntry]):
        super().__init__(message)
        self.candidates = candidates


class FigureCatalog:
    def __init__(self, docs_dir: Path):
        self.store = DocStore(docs_dir)
        self._seen: dict[str, tuple[int, list[FigureEntry]]] = {}
        self._lock = threading.Lock()

    def entries(self, doc_ids: set[str]) -> list[FigureEntry]:
        """Every figure of these documents, by doc id then reading order."""
        out: list[FigureEntry] = []
        with self._lock:
            for doc_id in sorted(doc_ids):
                out += self._figures(doc_id)
            for gone in set(self._seen) - doc_ids:
                del self._seen[gone]
        return out

    def _figures(self, doc_id: str) -> list[FigureEntry]:
        try:
            stamp = self.store.root.joinpath(f"{doc_id}.json.gz").stat().st_mtime_ns
        except FileNotFoundError:
            return []
        cached = self._seen.get(doc_id)
        if cached is not None and cached[0] == stamp:
            return cached[1]
        document = self.store.get(doc_id)
        figures = [
            FigureEntry(doc_id=doc_id, id=f.id, label=f.label, page=f.page)
            for f in (document.figures if document else [])
        ]
        self._seen[doc_id] = (stamp, figures)
        return figures


_AFTER_NUMBER = ":;,(–—"
"""What may follow a figure number ("Figure 4.2" is not "Figure 4.2.2" nor "Figure 4.2-1")."""


def _squash(text: str) -> str:
    return "".join(text.split()).casefold()


def label_matches(label: str, wanted: str) -> bool:
    """Case- and space-insensitive: the whole label, or its leading number ("Figure 5-1"
    names "Figure 5-1 DMZ web access", not "Figure 5-10 ...")."""
    target = _squash(wanted)
    if not target or not label:
        return False
    if _squash(label) == target:
        return True
    squashed = ""
    for index, char in enumerate(label):
        if not char.isspace():
            squashed += char.casefold()
        if squashed == target:
            rest = label[index + 1 :]
            return not rest or rest[0].isspace() or rest[0] in _AFTER_NUMBER
        if not target.startswith(squashed):
            return False
    return False
