"""Re-processing what the current code would make differently.

Per document: an entry whose fingerprint differs from this run's (or every entry, with
`reindex`) is redone and reported `reindexed`; the caches that are still valid (OCR by
image hash and engine, captions by image hash and captioner code) make that cheap. Per
index: a different embedder cannot share the collection, so the run stops with one line,
or, with `reindex`, drops the vectors and redoes every document.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from ictrag.index.fingerprint import EmbedderMismatch, Fingerprint, mismatch_message, stale
from ictrag.index.manifest import Manifest, ManifestEntry
from ictrag.ingest.versions import current, embedder_id

if TYPE_CHECKING:
    from ictrag.config import Settings
    from ictrag.model import Chunk


def check_embedder(
    manifest: Manifest, settings: Settings, index: Path | str, dim: Callable[[], int],
    reindex: bool = False,
) -> bool:
    """True when the index was built with another embedder and `reindex` asks to rebuild.
    Without `reindex` that case raises EmbedderMismatch (`dim` loads the model, for the
    message only)."""
    built = manifest.embedder()
    now = embedder_id(settings.embed)
    if built is None or built.same_model(now):
        return False
    if reindex:
        return True
    raise EmbedderMismatch(mismatch_message(index, built, now.model_copy(update={"dim": dim()})))


def planned(manifest: Manifest, settings: Settings) -> Fingerprint:
    """This run's fingerprint as far as it is known before the model loads: the index's
    embedder record stands in when it is the same model (check_embedder ran first)."""
    now = embedder_id(settings.embed)
    built = manifest.embedder()
    return current(settings, built if built is not None and built.same_model(now) else now)


def is_fresh(entry: ManifestEntry, now: Fingerprint) -> bool:
    return not stale(entry.fingerprint, now)


def fresh_twin(manifest: Manifest, sha: str, now: Fingerprint | None) -> ManifestEntry | None:
    """An entry with the same bytes made by this run's components (None: none counts)."""
    if now is None:
        return None
    return next((e for e in manifest.by_sha(sha) if is_fresh(e, now)), None)


def drop_vectors(store, settings: Settings, index_dir: Path) -> None:
    """The collection goes (its vectors are another model's); the caller reopens it."""
    if settings.store.qdrant_url:
        if store.client.collection_exists(store.collection):
            store.client.delete_collection(store.collection)
        store.close()
        return
    store.close()
    shutil.rmtree(Path(index_dir) / "qdrant", ignore_errors=True)


def leftover_points(store, doc_id: str, chunks: list[Chunk]) -> list[str]:
    """Points of a redone document that its new chunks did not overwrite."""
    from ictrag.index.store import point_id

    return sorted(store.point_ids(doc_id) - {point_id(chunk.id) for chunk in chunks})
