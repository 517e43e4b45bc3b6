"""PowerPoint drawings read as structure (ictrag/load/drawingml.py), scored against a
reference built here from the glued connectors, by ../shared/tools/diagram_score.py.

    python tests/benchmarks/bench_pptx_shapes.py [--out /tmp/bench-pptx] [--deck NAME ...]
        [--corpus ../shared/corpus/office]

Reference (plain zipfile + lxml, none of the reader's code): per slide, in the order of
presentation.xml, every `p:cxnSp` whose `a:stCxn` and `a:endCxn` both name a shape of the
slide (not a line) is an edge between the two shapes. A shape is named by its own text; a
text-less shape by the text of the nearest group above it that holds no line (the device it
is a piece of: a router body and its name); else by its preset geometry as the reader's
documented convention names it (ellipse, cylinder, cloud, rhombus; anything else "node").
An arrowhead (`a:headEnd` / `a:tailEnd` type other than none) makes the edge directed, from
the arrowless end. One reference file per slide with at least one such edge:
OUT/ref/DECK/sNN.json in the scorer's schema.

Predictions: `ictrag.caption.caption_file` on the deck, the figure of each slide's page;
OUT/pred-all/DECK/sNN.mmd is its `logical.mermaid` as is (unglued links included, so its
precision counts them), OUT/pred-glued/DECK/sNN.mmd the same figure with the edge cells
the reader did not find glued at both ends dropped, captioned again (precision on glued
connectors alone). Connectors and line shapes that are not glued at both ends are counted
from the file, and how the reader resolved their ends from its cells.
Never copy OUT into the repository: the decks are not openly licensed.
"""

from __future__ import annotations

import argparse
import collections
import importlib.util
import json
import sys
import tempfile
import time
import zipfile
from pathlib import Path

# This checkout's ictrag, not an installed one.
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from lxml import etree  # noqa: E402

from ictrag.caption import caption_file  # noqa: E402
from ictrag.config import load_settings  # noqa: E402
from ictrag.figures.describe import describe_document  # noqa: E402
from ictrag.figures.registry import make_captioner  # noqa: E402
from ictrag.model import Document  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
SCORER = ROOT / ".." / "shared" / "tools" / "diagram_score.py"
CORPUS = ROOT / ".." / "shared" / "corpus" / "office"
DECKS = (
    "kathara-051-data-center-bgp.pptx",
    "kathara-020-ospf.pptx",
    "kathara-small-internet-dns-web.pptx",
    "onap-policy-topview.pptx",
    "frr-PIMv6-Design.pptx",
    "ietf-slides-112-BRSKI-AE_BRSKI-PRM.pptx",
)
P = "{http://schemas.openxmlformats.org/presentationml/2006/main}"
A = "{http://schemas.openxmlformats.org/drawingml/2006/main}"
R = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=True)
LINES = ("line", "straightConnector1", "bentConnector", "curvedConnector")
GEOMETRY_NAMES = {
    "ellipse": "ellipse",
    "can": "cylinder",
    "cloud": "cloud",
    "cloudCallout": "cloud",
    "diamond": "rhombus",
}


def _scorer():
    spec = importlib.util.spec_from_file_location("diagram_score", SCORER)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _text(element) -> str:
    paragraphs = ["".join(t.text or "" for t in p.iter(f"{A}t")) for p in element.iter(f"{A}p")]
    return " ".join(" ".join(p for p in paragraphs if p.strip()).split())


def _preset(element) -> str:
    geometry = element.find(f"{P}spPr/{A}prstGeom")
    return geometry.get("prst", "") if geometry is not None else ""


def _is_line(element) -> bool:
    return element.tag == f"{P}cxnSp" or _preset(element).startswith(LINES)


def _name(element) -> str:
    own = _text(element)
    if own:
        return own
    for group in element.iterancestors(f"{P}grpSp"):
        if any(_is_line(e) for e in group.iter(f"{P}sp", f"{P}cxnSp")):
            break  # a drawing, not one device
        words = _text(group)
        if words:
            return words
    return GEOMETRY_NAMES.get(_preset(element), "node")


def _arrow(connector, end: str) -> bool:
    node = connector.find(f"{P}spPr/{A}ln/{A}{end}")
    return node is not None and node.get("type", "none") != "none"


def slides(deck: Path):
    """(slide number, slide root) in presentation order."""
    with zipfile.ZipFile(deck) as package:
        presentation = etree.fromstring(package.read("ppt/presentation.xml"), PARSER)
        rels = etree.fromstring(package.read("ppt/_rels/presentation.xml.rels"), PARSER)
        targets = {rel.get("Id"): rel.get("Target") for rel in rels}
        for number, slide in enumerate(presentation.iter(f"{P}sldId"), start=1):
            target = targets[slide.get(f"{R}id")].lstrip("/")
            part = target if target.startswith("ppt/") else f"ppt/{target}"
            yield number, etree.fromstring(package.read(part), PARSER)


def reference(root) -> tuple[dict | None, collections.Counter]:
    """The slide's glued-connector graph (scorer schema), and a count of its other links."""
    shapes = {}
    for nv in root.iter(f"{P}cNvPr"):
        shapes[nv.get("id")] = nv.getparent().getparent()
    nodes, edges, other = {}, [], collections.Counter()
    other["line shapes"] = sum(1 for sp in root.iter(f"{P}sp") if _is_line(sp))
    for connector in root.iter(f"{P}cxnSp"):
        ends = []
        for tag in ("stCxn", "endCxn"):
            glue = connector.find(f"{P}nvCxnSpPr/{P}cNvCxnSpPr/{A}{tag}")
            shape = shapes.get(glue.get("id")) if glue is not None else None
            ends.append((glue, shape))
        if all(shape is not None and not _is_line(shape) for _, shape in ends):
            (_, a), (_, b) = ends
            head, tail = _arrow(connector, "headEnd"), _arrow(connector, "tailEnd")
            if head and not tail:
                a, b = b, a
            for shape in (a, b):
                nodes[id(shape)] = _name(shape)
            edges.append(
                {"src_label": _name(a), "dst_label": _name(b), "label": _text(connector) or None,
                 "directed": head or tail}
            )  # fmt: skip
        else:
            glued = sum(glue is not None for glue, _ in ends)
            broken = sum(glue is not None and shape is None for glue, shape in ends)
            to_line = sum(shape is not None and _is_line(shape) for _, shape in ends)
            key = f"connectors glued at {glued} end{'s' if glued != 1 else ''}"
            other[
                key + (", to a line" if to_line else "") + (", missing id" if broken else "")
            ] += 1
    if not edges:
        return None, other
    kind = "flowchart" if any(e["directed"] for e in edges) else "topology"
    labels = [{"id": f"n{i}", "label": label} for i, label in enumerate(nodes.values())]
    return {"type": kind, "nodes": labels, "edges": edges}, other


def _glued_only(figure):
    copy = figure.model_copy(deep=True)
    copy.logical = None
    copy.source.cells = [
        c
        for c in copy.source.cells
        if c.kind != "edge"
        or (c.style.get("sourceGlue"), c.style.get("targetGlue")) == ("glued",) * 2
    ]
    return copy


def run(deck: Path, out: Path, scorer, settings) -> dict:
    name = deck.stem
    figure_dir = Path(tempfile.mkdtemp(prefix="bench-pptx-"))
    wall = time.perf_counter()
    figures = caption_file(deck, settings, figure_dir)
    wall = time.perf_counter() - wall
    by_page = {
        f.page: f for f in figures if f.source is not None and f.source.format == "drawingml"
    }
    others, resolved = collections.Counter(), collections.Counter()
    refs = {}
    for number, root in slides(deck):
        ref, other = reference(root)
        others.update(other)
        if ref is not None:
            refs[number] = ref
    for figure in by_page.values():
        for cell in figure.source.cells:
            ends = (cell.style.get("sourceGlue"), cell.style.get("targetGlue"))
            if cell.kind == "edge" and ends != ("glued", "glued"):
                resolved["/".join(ends)] += 1
    glued = [f for f in by_page.values() if f.page in refs]
    captioner = make_captioner(settings.caption)
    document = Document(id="glued", source=str(deck), elements=[_glued_only(f) for f in glued])
    describe_document(document, captioner, None, ocr=False)
    only = {f.page: f for f in document.figures}
    for part, preds in (("pred-all", by_page), ("pred-glued", only)):
        for number in refs:
            path = out / part / name / f"s{number:02d}.mmd"
            path.parent.mkdir(parents=True, exist_ok=True)
            figure = preds.get(number)
            path.write_text((figure.logical.mermaid or "") if figure and figure.logical else "")
    for number, ref in refs.items():
        path = out / "ref" / name / f"s{number:02d}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({"name": f"s{number:02d}", **ref}, indent=1))
    row = {"deck": name, "seconds": round(wall, 1), "figures": len(figures),
           "drawings": len(by_page), "glued_slides": len(refs),
           "glued_edges": sum(len(r["edges"]) for r in refs.values()),
           "other_links": dict(others), "reader_unglued_ends": dict(resolved)}  # fmt: skip
    for part in ("pred-all", "pred-glued"):
        if not refs:
            continue
        rows, _, _ = scorer.run_batch(str(out / "ref" / name), str(out / part / name), 0.85)
        tp = sum(r.get("edge_r", 0) * r.get("n_gt_edges", 0) for r in rows)
        n_gt = sum(r.get("n_gt_edges", 0) for r in rows)
        n_pred = sum(r.get("n_pred_edges", 0) for r in rows)
        p, r_, f = scorer.prf(round(tp), n_pred, n_gt)
        row[part] = {"edge_p": round(p, 3), "edge_r": round(r_, 3), "edge_f1": round(f, 3),
                     "node_f1_mean": round(sum(x.get("node_f1", 0) for x in rows) / len(rows), 3),
                     "per_slide_edge_f1": {x["name"]: round(x.get("edge_f1", 0), 3) for x in rows}}  # fmt: skip
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=Path("/tmp/bench-pptx"))
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--deck", action="append", help="a deck's file name (repeatable)")
    args = parser.parse_args()
    scorer, settings = _scorer(), load_settings()
    rows = []
    for deck in args.deck or DECKS:
        path = args.corpus / deck
        if not path.is_file():
            print(f"{deck}: not found under {args.corpus}", file=sys.stderr)
            continue
        rows.append(run(path, args.out, scorer, settings))
        print(json.dumps(rows[-1]), flush=True)
    (args.out / "summary.json").write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
