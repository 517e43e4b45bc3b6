from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "docs" / "samples"
CORPUS = Path(os.environ.get("ICTRAG_CORPUS", ROOT.parent / "shared" / "corpus"))

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


@pytest.fixture(scope="session")
def corpus() -> Path:
    if not CORPUS.is_dir():
        pytest.skip("../shared/corpus is absent")
    return CORPUS


@pytest.fixture(scope="session")
def sample_pdf() -> Path:
    path = SAMPLES / "ict-sample-manual.pdf"
    if not path.exists():
        pytest.fail(f"{path} missing: run python docs/samples/make_sample.py")
    return path
