"""Planning an ingest: which files to read, and which are unchanged or duplicates."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from ictrag.index.fingerprint import Fingerprint
from ictrag.index.manifest import Manifest, ManifestEntry
from ictrag.ingest.reindex import fresh_twin, is_fresh
from ictrag.load import SUPPORTED_SUFFIXES
from ictrag.model import sha256_file


def expand_paths(paths: Iterable[str | Path]) -> list[Path]:
    """Files as given, and every file under directories (hidden ones skipped): a file of an
    unsupported type is reported, not silently left out."""
    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                hidden = any(part.startswith(".") for part in child.relative_to(path).parts)
                if child.is_file() and not hidden:
                    found.append(child)
        else:
            found.append(path)
    unique: dict[str, Path] = {}
    for path in found:
        unique.setdefault(str(path.resolve()), path)
    return list(unique.values())


Decision = Literal["missing", "unsupported", "unchanged", "duplicate", "job", "twin"]


@dataclass
class Step:
    """One file's fate. `duplicate`: same bytes as `twin`, already indexed; `twin`: same
    bytes as a file queued earlier in this run (recorded once that one is committed)."""

    path: str
    decision: Decision
    sha256: str = ""
    entry: ManifestEntry | None = None
    redo: bool = False
    """A job whose bytes are indexed already, made by other code or settings: reindexed."""


@dataclass
class Plan:
    steps: list[Step] = field(default_factory=list)

    @property
    def jobs(self) -> list[tuple[str, str]]:
        return [(s.path, s.sha256) for s in self.steps if s.decision == "job"]

    @property
    def twins(self) -> list[tuple[str, str]]:
        return [(s.path, s.sha256) for s in self.steps if s.decision == "twin"]


def plan(files: list[Path], manifest: Manifest, now: Fingerprint, reindex: bool = False) -> Plan:
    """Classify each file against the manifest: new, changed and stale files become jobs
    (all of them with `reindex`); `now` is this run's fingerprint."""
    result = Plan()
    queued: set[str] = set()
    for file in files:
        key = str(file.resolve())
        if not file.is_file():
            result.steps.append(Step(key, "missing"))
            continue
        if file.suffix.lower() not in SUPPORTED_SUFFIXES:
            result.steps.append(Step(key, "unsupported"))
            continue
        sha = sha256_file(file)
        entry = manifest.get(key)
        same = entry is not None and entry.sha256 == sha
        if same and not reindex and is_fresh(entry, now):
            result.steps.append(Step(key, "unchanged", sha, entry))
        elif (other := fresh_twin(manifest, sha, None if reindex else now)) is not None:
            result.steps.append(Step(key, "duplicate", sha, other))
        elif sha in queued:
            result.steps.append(Step(key, "twin", sha))
        else:
            queued.add(sha)
            result.steps.append(Step(key, "job", sha, redo=same))
    return result
