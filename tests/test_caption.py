"""`ictrag caption` and the structural captioner inside ingest, on real files."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from ictrag.caption import caption_file
from ictrag.config import load_settings
from ictrag.figures.mermaid import parse
from tests.conftest import SAMPLES


def test_the_sample_flowchart_becomes_a_graph_with_its_decision_branches(tmp_path, sample_pdf):
    [figure] = caption_file(sample_pdf, load_settings(), tmp_path, page=3)
    logical = figure.logical
    assert figure.label.startswith("Figure 2-1") and logical.figure_type.value == "flowchart"
    lines = {r.to_line() for r in logical.relations}
    assert "Credentials valid? -> Port authorized, assign VLAN 10 [Yes]" in lines
    assert "Credentials valid? -> Reject and log failure [No]" in lines
    graph = parse(logical.mermaid)
    assert len(graph.edges) == len(logical.relations) and logical.ungrounded == []


def test_the_sample_sequence_keeps_message_order(tmp_path, sample_pdf):
    [figure] = caption_file(sample_pdf, load_settings(), tmp_path, page=5)
    logical = figure.logical
    assert logical.figure_type.value == "sequence"
    labels = [r.label for r in logical.relations]
    assert len(labels) == 9 and labels[0] == "1. Attach Request" and labels[-1] == "9. Attach Complete"
    assert [int(label.split(".")[0]) for label in labels] == list(range(1, 10))
    assert logical.relations[1].to_line() == "eNodeB -> MME [2. Attach Request (S1-MME)]"


def test_packet_pdf_and_a_raster_png(tmp_path, corpus):
    [packet] = caption_file(corpus / "packets" / "udp.pdf", load_settings(), tmp_path)
    assert packet.logical.figure_type.value == "packet"
    assert packet.logical.components == ["Source Port", "Destination Port", "Length", "Checksum"]
    [raster] = caption_file(SAMPLES / "topology.png", load_settings(), tmp_path)
    assert raster.origin == "raster" and raster.logical.relations


def test_cli_json_and_errors(tmp_path, sample_pdf):
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    cli = [sys.executable, "-m", "ictrag", "caption"]
    run = subprocess.run([*cli, str(sample_pdf), "--page", "4", "--json", "--out", str(tmp_path)],
                         capture_output=True, text=True, env=env)  # fmt: skip
    assert run.returncode == 0, run.stderr
    [row] = json.loads(run.stdout)
    assert row["logical"]["figure_type"] == "topology" and os.path.exists(row["image"])
    assert "SW-A" in row["text"]
    bad = subprocess.run([*cli, str(sample_pdf), "--page", "99"], capture_output=True, text=True, env=env)  # noqa: E501
    assert bad.returncode == 1 and "out of range" in bad.stderr
    assert len(bad.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("name", ["bgp-example.pdf"])
def test_corpus_vector_topology(tmp_path, corpus, name):
    [figure] = caption_file(corpus / "figures" / name, load_settings(), tmp_path)
    assert figure.logical.figure_type.value == "topology"
    assert {"AS2", "AS5"} <= set(figure.logical.components)
    assert "AS2 -- AS5" in {r.to_line() for r in figure.logical.relations}
