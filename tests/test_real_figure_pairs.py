"""Stage-2 pairs from real figures: the caption comes from the checked ground truth, scored
back against it by the corpus's own independent scorer, and no test-part figure is written."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from ictrag.training.real_figures import build_real_pairs, gold_graph
from ictrag.training.synth.pairs import read_jsonl
from PIL import Image

from ictrag.figures.mermaid import parse
from ictrag.model import LogicalText

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus" / "real-figures"
SCORER = ROOT.parent / "shared" / "tools" / "diagram_score.py"
SPLIT = ROOT / "tests" / "benchmarks" / "real_figures_split.json"


def _figure(folder: Path, name: str, gt: dict) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.json").write_text(json.dumps(gt))
    Image.new("RGB", (100 + len(name), 80), "white").save(folder / f"{name}.png")  # distinct images


def test_only_the_chosen_part_becomes_pairs_and_pseudo_states_stay_start_and_end(tmp_path: Path):
    corpus = tmp_path / "corpus"
    state = {"type": "state", "nodes": [{"id": "a", "label": "IDLE"}, {"id": "b", "label": "CONNECTED"}],
             "edges": [{"src_label": "[*]", "dst_label": "IDLE", "label": None, "directed": True},
                       {"src_label": "IDLE", "dst_label": "CONNECTED", "label": "Attach Accept", "directed": True},
                       {"src_label": "CONNECTED", "dst_label": "[*]", "label": "Detach", "directed": True}]}  # fmt: skip
    sequence = {"type": "sequence", "nodes": [{"id": "ue", "label": "UE"}, {"id": "mme", "label": "MME"}],
                "participants": ["UE", "MME"],
                "messages": [{"from": "MME", "to": "UE", "text": "Attach Accept", "order": 2},
                             {"from": "UE", "to": "MME", "text": "Attach Request", "order": 1}]}  # fmt: skip
    _figure(corpus / "flow", "01-attach", state)
    _figure(corpus / "sequence", "01-attach-flow", sequence)
    (corpus / "flow" / "notes.json").write_text("{}")  # not ground truth: ignored
    split = {
        "figures": {"flow/01-attach": {"part": "dev"}, "sequence/01-attach-flow": {"part": "test"}}
    }
    report = build_real_pairs(corpus, tmp_path / "out", split=split, part="dev", val_fraction=0.0)
    assert (report.figures, report.used) == (2, 1)
    assert report.skipped == ["sequence/01-attach-flow: test"]
    rows = read_jsonl(tmp_path / "out" / "train.jsonl")
    assert [r["id"] for r in rows] == ["real-flow-01-attach"]
    logical = LogicalText.model_validate(rows[0]["logical"])
    assert sorted(logical.components) == ["CONNECTED", "IDLE"]
    assert {(r.source, r.target, r.label) for r in logical.relations} >= {("IDLE", "CONNECTED", "Attach Accept")}  # fmt: skip
    graph = parse(rows[0]["mermaid"])
    assert {n.shape for n in graph.nodes.values()} >= {"start", "end"}
    seq = gold_graph(sequence)
    assert [(m.source, m.target, m.label) for m in seq.messages] == [("p1", "p2", "Attach Request"), ("p2", "p1", "Attach Accept")]  # fmt: skip
    everything = build_real_pairs(corpus, tmp_path / "all", val_fraction=0.0)
    assert everything.used == 2 and everything.imported.imported == 2


@pytest.mark.skipif(not (CORPUS.is_dir() and SCORER.is_file()), reason="shared corpus absent")
def test_corpus_dev_pairs_match_their_ground_truth_by_the_independent_scorer(tmp_path: Path):
    split = json.loads(SPLIT.read_text())
    report = build_real_pairs(CORPUS, tmp_path / "out", split=split, part="dev", val_fraction=0.1)
    dev = {key for key, row in split["figures"].items() if row["part"] == "dev"}
    test = {key for key, row in split["figures"].items() if row["part"] == "test"}
    assert report.used == report.imported.imported == len(dev) and not report.imported.errors
    rows = read_jsonl(tmp_path / "out" / "train.jsonl") + read_jsonl(tmp_path / "out" / "val.jsonl")
    written = {r["id"].removeprefix("real-").replace("-", "/", 1) for r in rows}
    assert written == dev and not written & test
    predictions = tmp_path / "pred"
    for row in rows:
        folder, name = row["id"].removeprefix("real-").split("-", 1)
        (predictions / folder).mkdir(parents=True, exist_ok=True)
        (predictions / folder / f"{name}.mmd").write_text(row["mermaid"])
        assert (tmp_path / "out" / row["image"]).is_file()
    for folder in ("topology", "flow", "sequence"):
        # the scorer scores every figure of the folder; the test part has no prediction
        done = subprocess.run([sys.executable, str(SCORER), "--dir", str(CORPUS / folder), "--pred-dir",
                               str(predictions / folder), "--json", "--per-diagram"],
                              capture_output=True, text=True, check=True)  # fmt: skip
        per = json.loads(done.stdout)["per_diagram"]
        for item in per:
            key = f"{folder}/{item['name']}"
            if key in dev:
                assert item["score"] == 1.0, (key, item)
