"""Pixels redrawn as vector drawings (ictrag.figures.raster.vectorize): thinning, tracing,
ink that ignores soft shadows, lines rejoined where a crossing or a label cut them, and
whole figures drawn by real renderers read back from their PNG."""

from __future__ import annotations

import math
import shutil
import subprocess
from pathlib import Path

import cv2
import numpy as np
import pytest

from ictrag.caption import caption_file
from ictrag.config import load_settings
from ictrag.figures.mermaid import parse
from ictrag.figures.raster.vectorize import TextLine, binarize, thin, trace, vectorize
from ictrag.figures.vector.prims import read_primitives


def _neighbours(skeleton: np.ndarray, y: int, x: int) -> int:
    return int(skeleton[y - 1 : y + 2, x - 1 : x + 2].sum()) - 1


def test_thin_leaves_a_one_pixel_line_of_the_same_length() -> None:
    ink = np.zeros((60, 200), np.uint8)
    cv2.line(ink, (20, 30), (180, 30), 255, thickness=7)
    skeleton = thin(ink)
    ys, xs = np.nonzero(skeleton)
    assert set(ys.tolist()) <= {29, 30, 31}
    assert xs.max() - xs.min() >= 150  # thinning eats a few pixels at the ends only
    # no pixel of the line has more than two neighbours: it is one pixel wide
    assert max(_neighbours(skeleton, y, x) for y, x in zip(ys, xs, strict=True)) <= 2


def _zhang_suen(ink: np.ndarray, max_rounds: int = 0) -> np.ndarray:
    """Zhang and Suen (1984), pixel by pixel as the paper gives it: the reference."""
    image = np.pad((ink > 0).astype(np.uint8), 1)
    rounds = 0
    while not max_rounds or rounds < max_rounds:
        rounds += 1
        changed = False
        for step in (0, 1):
            delete = []
            for y, x in zip(*np.nonzero(image), strict=True):
                p = [image[y - 1, x], image[y - 1, x + 1], image[y, x + 1], image[y + 1, x + 1],
                     image[y + 1, x], image[y + 1, x - 1], image[y, x - 1], image[y - 1, x - 1]]  # fmt: skip
                b = sum(p)
                a = sum(1 for k in range(8) if p[k] == 0 and p[(k + 1) % 8] == 1)
                p2, p4, p6, p8 = p[0], p[2], p[4], p[6]
                first = (p2 * p4 * p6, p4 * p6 * p8)
                second = (p2 * p4 * p8, p2 * p6 * p8)
                keep = any(first if step == 0 else second)
                if 2 <= b <= 6 and a == 1 and not keep:
                    delete.append((y, x))
            for y, x in delete:
                image[y, x] = 0
            changed |= bool(delete)
        if not changed:
            break
    return image[1:-1, 1:-1]


def test_thin_is_zhang_suen_on_strokes_blobs_and_ink_at_the_border() -> None:
    rng = np.random.default_rng(7)
    for case in range(24):
        h, w = (int(v) for v in rng.integers(6, 40, 2))
        ink = np.zeros((h, w), np.uint8)
        if case % 4 == 0:  # speckle, touching every border
            ink = (rng.random((h, w)) < 0.35).astype(np.uint8) * 255
        else:
            for _ in range(int(rng.integers(1, 5))):
                start = (int(rng.integers(0, w)), int(rng.integers(0, h)))
                stop = (int(rng.integers(0, w)), int(rng.integers(0, h)))
                cv2.line(ink, start, stop, 255, thickness=int(rng.integers(1, 7)))
        for rounds in (0, 2):
            assert (thin(ink, rounds) == _zhang_suen(ink, rounds)).all(), (case, rounds)


def test_trace_splits_a_t_at_its_junction_and_the_pieces_meet() -> None:
    ink = np.zeros((120, 200), np.uint8)
    cv2.line(ink, (20, 30), (180, 30), 255, thickness=2)
    cv2.line(ink, (100, 30), (100, 110), 255, thickness=2)
    chains = [points for points, joined in trace(thin(ink)) if len(points) > 5]
    assert len(chains) == 3
    ends = [p for points in chains for p in (points[0], points[-1])]
    near_junction = [p for p in ends if math.dist(p, (100, 30)) < 4]
    assert len(near_junction) == 3
    # the three pieces share one point exactly, so a reader can chain them
    assert len({(round(p[0], 3), round(p[1], 3)) for p in near_junction}) == 1


def test_binarize_keeps_a_thin_grey_line_and_drops_a_soft_shadow() -> None:
    gray = np.full((100, 200), 255, np.uint8)
    cv2.rectangle(gray, (20, 20), (120, 60), 0, thickness=2)
    for i in range(12):  # a shadow fading from dark grey to paper under the box
        gray[62 + i, 24:124] = 95 + 13 * i
    cv2.line(gray, (140, 10), (140, 90), 170, thickness=1)
    ink = binarize(gray) > 0
    assert ink[20, 60] and ink[60, 60]  # the outline
    assert ink[50, 140]  # the grey line
    assert not ink[67:74, 60].any()  # the middle of the shadow


def _content(gray: np.ndarray, lines: list[TextLine]):
    return read_primitives(vectorize(gray, lines))


def test_a_line_cut_by_a_crossing_or_under_its_label_comes_back_whole() -> None:
    gray = np.full((200, 600), 255, np.uint8)
    # a dashed vertical line crossing a horizontal one
    for y in range(10, 190, 10):
        cv2.line(gray, (300, y), (300, y + 3), 0, 2)
    cv2.line(gray, (40, 60), (560, 60), 0, 2)
    # a horizontal line with a word sitting on it
    cv2.line(gray, (40, 140), (560, 140), 0, 2)
    cv2.putText(gray, "label", (250, 146), cv2.FONT_HERSHEY_SIMPLEX, 0.7, 0, 2)
    prims = _content(gray, [TextLine("label", (245, 126, 320, 150))])
    horizontals = [s for s in prims.strokes if abs(s.points[0][1] - s.points[-1][1]) < 1]
    spans = sorted((round(s.box[2] - s.box[0]), round(s.box[1])) for s in horizontals)
    long = [w for w, _ in spans if w > 0.8 * (prims.bbox[2] - prims.bbox[0]) * 520 / 600]
    assert len(long) == 2, spans
    verticals = [s for s in prims.strokes if abs(s.points[0][0] - s.points[-1][0]) < 1]
    tall = max(s.box[3] - s.box[1] for s in verticals)
    assert tall > 0.8 * (prims.bbox[3] - prims.bbox[1])
    assert any(s.dashed for s in verticals)


def _dot_png(source: str, path: Path) -> Path:
    if shutil.which("dot") is None:
        pytest.skip("graphviz not installed; run scripts/install_renderers.sh")
    subprocess.run(["dot", "-Tpng", "-Gdpi=144", "-o", str(path)], input=source.encode(),
                   check=True, timeout=60)  # fmt: skip
    return path


def test_graphviz_png_reads_as_its_graph(tmp_path: Path) -> None:
    png = _dot_png(
        """digraph {
          node [shape=box];
          "SGW" -> "PGW" [label="S5"];
          "MME" -> "SGW" [label="S11"];
          "eNodeB" -> "MME" [label="S1-MME"];
          "eNodeB" -> "SGW" [label="S1-U"];
        }""",
        tmp_path / "epc.png",
    )
    [figure] = caption_file(png, load_settings(), tmp_path / "figures")
    graph = parse(figure.logical.mermaid)
    labels = {graph.label_of(n) for n in graph.nodes}
    assert {"SGW", "PGW", "MME", "eNodeB"} <= labels
    truth = {("SGW", "PGW"), ("MME", "SGW"), ("eNodeB", "MME"), ("eNodeB", "SGW")}
    edges = {(graph.label_of(e.source), graph.label_of(e.target)) for e in graph.edges}
    # every edge read is a true one, in its drawn direction; most are read
    assert edges <= truth
    assert len(edges) >= 3
    labelled = {graph.label_of(e.source) + ">" + e.label for e in graph.edges if e.label}
    assert labelled & {"SGW>S5", "MME>S11", "eNodeB>S1-U", "eNodeB>S1-MME"}


def test_seqdiag_png_reads_as_a_call_flow(tmp_path: Path) -> None:
    from ictrag.training.synth import render_tools as renderers

    if not renderers.available("seqdiag"):
        pytest.skip("seqdiag not installed; run scripts/install_renderers.sh")
    png = tmp_path / "flow.png"
    renderers.render(
        """seqdiag {
          UE; eNodeB; MME; HSS;
          UE -> eNodeB [label = "RRC Connection Request"];
          UE -> MME [label = "Attach Request"];
          MME -> HSS [label = "Authentication Info Request"];
          MME <-- HSS [label = "Authentication Info Answer"];
        }""",
        "seqdiag",
        png=png,
    )
    [figure] = caption_file(png, load_settings(), tmp_path / "figures")
    graph = parse(figure.logical.mermaid)
    assert figure.logical.figure_type.value == "sequence"
    names = [graph.label_of(p) for p in graph.participants]
    assert names[-2:] == ["MME", "HSS"]
    got = {
        (graph.label_of(m.source), graph.label_of(m.target), m.label.replace(" ", ""))
        for m in graph.messages
    }
    assert ("MME", "HSS", "AuthenticationInfoRequest") in got
