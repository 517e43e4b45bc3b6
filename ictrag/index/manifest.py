"""The per-index record of what has been ingested: (path, sha256, doc_id, chunk count).

It is the commit point of an ingest: a document counts as indexed only once its entry is
written here, after its points are in the store. Writes are atomic (temp file + rename).
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from pydantic import BaseModel


class ManifestEntry(BaseModel):
    path: str
    sha256: str
    doc_id: str
    chunks: int
    pages: int = 0
    figures: int = 0
    title: str = ""


class Manifest:
    def __init__(self, path: Path):
        self.path = path
        self.entries: dict[str, ManifestEntry] = {}
        if path.exists():
            raw = json.loads(path.read_text() or "{}")
            self.entries = {key: ManifestEntry(**value) for key, value in raw.items()}

    def get(self, path: str) -> ManifestEntry | None:
        return self.entries.get(path)

    def by_doc(self, doc_id: str) -> list[ManifestEntry]:
        return [entry for entry in self.entries.values() if entry.doc_id == doc_id]

    def doc_ids(self) -> set[str]:
        return {entry.doc_id for entry in self.entries.values()}

    def put(self, entry: ManifestEntry) -> None:
        self.entries[entry.path] = entry
        self.save()

    def drop(self, path: str) -> None:
        if self.entries.pop(path, None) is not None:
            self.save()

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        payload = json.dumps({k: v.model_dump() for k, v in sorted(self.entries.items())}, indent=1)
        handle, temp = tempfile.mkstemp(dir=self.path.parent, prefix=".manifest.")
        with os.fdopen(handle, "w") as out:
            out.write(payload)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp, self.path)
