"""The engine interface: how planned (path, sha256) jobs become FileResults."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from ictrag.ingest.commit import Indexer
from ictrag.ingest.report import FileResult

Engine = Callable[[list[tuple[str, str]], Indexer], Iterable[FileResult]]
"""An engine: (path, sha256) jobs to load, describe, embed and commit through the indexer."""
