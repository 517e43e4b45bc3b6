"""The fingerprint of an indexed document: what made it (loader, chunker, embedder,
captioner versions), recorded with its manifest entry. How a run computes its own is
`ictrag.ingest.versions`.

An entry whose fingerprint differs from the current one is stale: the next ingest
re-processes it. The embedder is also recorded once per index, because vectors of two
models cannot share a collection.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel

COMPONENTS = ("loader", "chunker", "embedder", "captioner")


class EmbedderId(BaseModel):
    name: str
    revision: str = ""
    dim: int = 0

    def same_model(self, other: EmbedderId) -> bool:
        return (self.name, self.revision) == (other.name, other.revision)


class CaptionerId(BaseModel):
    backend: str
    model: str = ""
    prompt_version: str = ""
    parser_version: str = ""
    ocr: bool = True


class Fingerprint(BaseModel):
    loader: str
    chunker: str
    embedder: EmbedderId
    captioner: CaptionerId


class EmbedderMismatch(RuntimeError):
    """The index was built with another embedder than this run's."""


def stale(entry: Fingerprint | None, now: Fingerprint) -> list[str]:
    """The components that differ; all of them for an entry with no fingerprint."""
    if entry is None:
        return list(COMPONENTS)
    return [name for name in COMPONENTS if getattr(entry, name) != getattr(now, name)]


def _label(this: EmbedderId, other: EmbedderId) -> str:
    if this.name == other.name and this.revision:
        return f"{this.name} (revision {this.revision})"
    return this.name


def mismatch_message(index: Path | str, built: EmbedderId, now: EmbedderId) -> str:
    return (
        f"index {index} was built with embedder {_label(built, now)} (dim {built.dim}); "
        f"this run uses {_label(now, built)} (dim {now.dim}): re-run with --reindex to rebuild it"
    )
