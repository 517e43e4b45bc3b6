"""The real-figures benchmark's split covers every figure, follows its rule, and gives both
parts every stratum with two or more figures; the AUROC is the rank statistic."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent / "benchmarks"))
from bench_real_figures import auroc  # noqa: E402
from real_figures_split import DEFAULT_CORPUS, load_split, make_split  # noqa: E402


def test_auroc_is_rank_based() -> None:
    assert auroc([0.9, 0.8, 0.1], [True, True, False]) == 1.0
    assert auroc([0.1, 0.9], [True, False]) == 0.0
    assert auroc([0.5, 0.5], [True, False]) == 0.5
    assert auroc([0.5], [True]) is None


def test_split_file_matches_rule_and_corpus() -> None:
    if not DEFAULT_CORPUS.is_dir():
        pytest.skip("../shared/corpus/real-figures is absent")
    committed = load_split()["figures"]
    assert make_split(DEFAULT_CORPUS.resolve())["figures"] == committed
    strata: dict[str, set[str]] = {}
    for row in committed.values():
        strata.setdefault(row["stratum"], set()).add(row["part"])
    assert all(parts == {"dev", "test"} for parts in strata.values())
