"""Engines run planned ingest jobs: `local` (worker processes here) or `ray` (a cluster).

Both implement `ictrag.ingest.Engine` and depend only on `ictrag.ingest`."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from ictrag.config import Settings
from ictrag.ingest import Engine


def _local(settings: Settings, index_dir: Path, address: str | None) -> Engine:
    from ictrag.engines.local import LocalEngine

    return LocalEngine(settings, index_dir)


def _ray(settings: Settings, index_dir: Path, address: str | None) -> Engine:
    from ictrag.engines.ray import RayEngine

    return RayEngine(settings, index_dir, address=address)


ENGINES: dict[str, Callable[[Settings, Path, str | None], Engine]] = {"local": _local, "ray": _ray}


def make_engine(
    engine: str | Engine, settings: Settings, index_dir: Path, ray_address: str | None = None
) -> Engine:
    if callable(engine):  # an engine object, e.g. a RayEngine whose stage timings one reads
        return engine
    if engine not in ENGINES:
        raise ValueError(f"unknown engine {engine!r} (choose from {', '.join(ENGINES)})")
    return ENGINES[engine](settings, index_dir, ray_address)
