"""mscgen charts (.msc files, ```mscgen blocks) read as exact structure
(ictrag/figures/mscgen.py) and drawn by the real mscgen for display."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from ictrag.caption import caption_file
from ictrag.config import load_settings
from ictrag.figures.mscgen import MscgenError, parse_mscgen
from ictrag.load import load
from tests.conftest import ROOT

SHARED = ROOT.parent / "shared"
needs_mscgen = pytest.mark.skipif(shutil.which("mscgen") is None, reason="mscgen not installed")
# Every arc kind, written both ways, broadcasts, boxes, dividers and comments: what the
# mscgen manual lists. Expected reading written by hand below, not by the parser.
CHART = """# a SIP call, set up and torn down
msc {
  hscale = "1.5", arcgradient = "4";
  ua [label="UA (alice)"], proxy [label = "Proxy"], "b2b" [label="B2BUA"], ub;
  ua->proxy [label="INVITE"];        // a message
  proxy=>b2b [label="INVITE"], proxy >> ua [label="100 Trying"];  /* side by side */
  b2b<<=ub [label="180 Ringing"];
  --- [label="early media"];
  ub :> b2b [label="200 OK"];
  b2b x- proxy [label="lost ACK"];
  proxy box b2b [label="retransmit, timer A"];
  ua note ua [label="ringing #1"];
  ...;
  ub->* [label="BYE"];
}
"""


def test_every_arc_kind_box_and_divider_is_read():
    graph = parse_mscgen(CHART)
    labels = [graph.label_of(p) for p in graph.participants]
    assert labels == ["UA (alice)", "Proxy", "B2BUA", "ub"]
    names = dict(zip(graph.participants, labels, strict=True))
    messages = [(names[m.source], names[m.target], m.label, m.arrow) for m in graph.messages]
    assert messages == [
        ("UA (alice)", "Proxy", "INVITE", "->>"),
        ("Proxy", "B2BUA", "INVITE", "->>"),
        ("Proxy", "UA (alice)", "100 Trying", "-->>"),
        ("ub", "B2BUA", "180 Ringing", "->>"),
        ("ub", "B2BUA", "200 OK", "->>"),
        ("Proxy", "B2BUA", "lost ACK", "-x"),
        ("ub", "UA (alice)", "BYE", "->>"),
        ("ub", "Proxy", "BYE", "->>"),
        ("ub", "B2BUA", "BYE", "->>"),
    ]
    notes = [([names[t] for t in n.targets], n.text) for n in graph.notes]
    assert notes == [
        (["UA (alice)", "ub"], "early media"),
        (["Proxy", "B2BUA"], "retransmit, timer A"),
        (["UA (alice)"], "ringing #1"),
    ]


@pytest.mark.parametrize("bad", ["", "digraph { a -> b }", "msc { a ~> b; }", "msc { }"])
def test_a_source_with_no_chart_is_one_line(bad):
    with pytest.raises(MscgenError) as error:
        parse_mscgen(bad)
    assert "\n" not in str(error.value)


@needs_mscgen
def test_an_msc_file_ingests_with_its_picture_and_exact_structure(tmp_path):
    path = tmp_path / "call.msc"
    path.write_text(CHART)
    [figure] = load(path, tmp_path / "figures").figures
    assert figure.source.format == "mscgen" and figure.image_path
    assert Path(figure.image_path).read_bytes().startswith(b"\x89PNG")
    [captioned] = caption_file(path, load_settings(), tmp_path / "c")
    logical = captioned.logical
    assert logical.figure_type.value == "sequence" and logical.confidence == 1.0
    assert ("Proxy", "UA (alice)", "100 Trying") in {
        (r.source, r.target, r.label) for r in logical.relations
    }


def test_an_mscgen_block_in_markdown_is_a_figure_and_stays_text(tmp_path):
    page = tmp_path / "flow.md"
    page.write_text("# Call setup\n\nThe UA calls.\n\n```mscgen\n" + CHART + "```\n")
    document = load(page, tmp_path / "figures")
    [figure] = document.figures
    assert figure.source.format == "mscgen" and figure.label == "mscgen diagram 1"
    assert "INVITE" in " ".join(block.text for block in document.text_blocks)


@pytest.mark.skipif(not (SHARED / "tools").is_dir(), reason="shared corpus absent")
def test_the_real_mscgen_figure_scores_full_marks(tmp_path):
    folder = SHARED / "corpus" / "real-figures" / "sequence"
    [path] = folder.glob("*.msc")
    [figure] = caption_file(path, load_settings(), tmp_path / "c")
    predicted = tmp_path / f"{path.stem}.mmd"
    predicted.write_text(figure.logical.mermaid)
    done = subprocess.run(
        [sys.executable, str(SHARED / "tools" / "diagram_score.py"), "--json",
         str(path.with_suffix(".json")), str(predicted)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    scores = json.loads(done.stdout)
    assert scores["participant_f1"] == 1.0 and scores["message_f1"] == 1.0, scores
    assert scores["order_lcs"] == 1.0 and scores["n_gt_messages"] == 37
