"""Captions cached by (image hash, backend, model, prompt version): an unchanged figure is
never captioned twice, whichever document it appears in."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from ictrag.model import LogicalText


def cache_key(image_id: str, backend: str, model: str = "", prompt_version: str = "") -> str:
    raw = "\x1f".join((image_id, backend, model, prompt_version))
    return hashlib.sha256(raw.encode()).hexdigest()


class CaptionCache:
    def __init__(self, root: Path | None):
        self.root = root

    def get(self, key: str) -> LogicalText | None:
        if self.root is None:
            return None
        path = self.root / key[:2] / f"{key}.json"
        if not path.exists():
            return None
        try:
            return LogicalText.model_validate_json(path.read_text())
        except ValueError:
            return None  # a torn write from a killed run: caption again

    def put(self, key: str, logical: LogicalText) -> None:
        if self.root is None:
            return
        folder = self.root / key[:2]
        folder.mkdir(parents=True, exist_ok=True)
        temp = folder / f".{key}.{os.getpid()}.tmp"
        temp.write_text(logical.model_dump_json())
        os.replace(temp, folder / f"{key}.json")
