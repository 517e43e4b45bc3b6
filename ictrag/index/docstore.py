"""Documents as parsed (with their figures' logical text) kept beside the index as JSON,
for page views, figure look-ups and corpus export without re-parsing the sources."""

from __future__ import annotations

import gzip
import os
from pathlib import Path

from ictrag.model import Document


class DocStore:
    def __init__(self, root: Path):
        self.root = root

    def _path(self, doc_id: str) -> Path:
        return self.root / f"{doc_id}.json.gz"

    def put(self, document: Document) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        target = self._path(document.id)
        temp = target.with_suffix(".tmp")
        with gzip.open(temp, "wt", encoding="utf-8") as out:
            out.write(document.model_dump_json())
        os.replace(temp, target)

    def get(self, doc_id: str) -> Document | None:
        path = self._path(doc_id)
        if not path.exists():
            return None
        with gzip.open(path, "rt", encoding="utf-8") as handle:
            return Document.model_validate_json(handle.read())

    def delete(self, doc_id: str) -> None:
        self._path(doc_id).unlink(missing_ok=True)

    def ids(self) -> set[str]:
        if not self.root.exists():
            return set()
        return {path.name.removesuffix(".json.gz") for path in self.root.glob("*.json.gz")}
