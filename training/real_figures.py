"""Stage-2 pairs from real figures with checked ground truth (../shared/corpus/real-figures
and folders like it): each figure's image with a caption made from its ground truth.

    report = build_real_pairs(Path("corpus/real-figures"), Path("data/stage2"),
                              split=load_split(Path("tests/benchmarks/real_figures_split.json")),
                              part="dev")

Ground truth is the corpus's JSON schema (`nodes` [{id, label}], `edges` [{src_label,
dst_label, label, directed}], for sequences `participants` and `messages` [{from, to, text,
order}]; `[*]` is a state machine's start or end). `gold_graph` turns it into a DiagramGraph,
whose Mermaid is the record's `mermaid` and whose template caption is its answer; the pairs
go through `experts.import_experts`, so they share the stage-1 schema, sha256 dedup and its
train/val split. With a split, only figures of `part` are used: a figure of the test part
is never written, so no test figure is trained on. Corpus material that is not openly
licensed may be built into data on a user's machine this way; never commit the output.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from ictrag.training.data import format_answer
from ictrag.training.experts import ImportReport, import_experts
from ictrag.training.synth.rewrite import template_logical
from pydantic import BaseModel, Field

from ictrag.figures.graph import DiagramGraph, Edge
from ictrag.figures.mermaid import emit

FOLDERS = ("topology", "flow", "sequence")
START, END = "__start__", "__end__"
PSEUDO = "[*]"


class RealPairsReport(BaseModel):
    figures: int = 0
    """Ground-truth files seen."""
    used: int = 0
    skipped: list[str] = Field(default_factory=list)
    """`folder/name: why` for each figure left out (other part, no image, unreadable)."""
    imported: ImportReport = Field(default_factory=ImportReport)


def gold_graph(gt: dict) -> DiagramGraph:
    """The DiagramGraph a ground-truth JSON describes."""
    kind = (
        gt["type"] if gt["type"] in ("flowchart", "sequence", "state", "topology") else "flowchart"
    )
    graph = DiagramGraph(kind=kind)
    if kind == "sequence":
        ids: dict[str, str] = {}
        for number, label in enumerate(
            gt.get("participants") or [n["label"] for n in gt["nodes"]], 1
        ):
            ids[label] = f"p{number}"
            graph.add_participant(f"p{number}", label)
        for message in sorted(gt.get("messages", []), key=lambda m: m.get("order", 0)):
            for end in (message["from"], message["to"]):
                if end not in ids:  # a participant only the messages name
                    ids[end] = f"p{len(ids) + 1}"
                    graph.add_participant(ids[end], end)
            graph.add_message(ids[message["from"]], ids[message["to"]], message.get("text") or "")
        return graph
    ids = {}
    for number, node in enumerate(gt["nodes"], 1):
        ids.setdefault(node["label"], f"n{number}")
        graph.add_node(ids[node["label"]], node["label"], "state" if kind == "state" else "rect")
    for edge in gt.get("edges", []):
        source = _end(graph, ids, edge["src_label"], START)
        target = _end(graph, ids, edge["dst_label"], END)
        graph.edges.append(Edge(source, target, edge.get("label") or "", directed=bool(edge.get("directed", True))))  # fmt: skip
    return graph


def _end(graph: DiagramGraph, ids: dict[str, str], label: str, pseudo: str) -> str:
    if label == PSEUDO:
        graph.add_node(pseudo, pseudo.strip("_"), pseudo.strip("_"))
        return pseudo
    if label not in ids:  # an end only the edges name: a node all the same
        ids[label] = f"n{len(ids) + 1}x"
        graph.add_node(ids[label], label, "state" if graph.kind == "state" else "rect")
    return ids[label]


def _image(gt_path: Path) -> Path | None:
    for suffix in (".png", ".jpg", ".jpeg"):
        if gt_path.with_suffix(suffix).is_file():
            return gt_path.with_suffix(suffix)
    return None


def build_real_pairs(corpus: Path, out: Path, *, split: dict | None = None, part: str = "dev", val_fraction: float = 0.1) -> RealPairsReport:  # fmt: skip
    """Stage-2 pairs of the real figures under `corpus` (of `part` only, when `split` is
    given: the `figures` map of tests/benchmarks/real_figures_split.json)."""
    report = RealPairsReport()
    parts = (split or {}).get("figures", {})
    rows = []
    for folder in FOLDERS:
        for gt_path in sorted((corpus / folder).glob("*.json")):
            key = f"{folder}/{gt_path.stem}"
            try:
                gt = json.loads(gt_path.read_text(encoding="utf-8"))
            except (OSError, ValueError) as error:
                report.skipped.append(f"{key}: unreadable ({error})")
                continue
            if "nodes" not in gt or "type" not in gt:
                continue  # not a ground-truth file
            report.figures += 1
            if split is not None and parts.get(key, {}).get("part") != part:
                report.skipped.append(
                    f"{key}: {parts.get(key, {}).get('part', 'not in the split')}"
                )
                continue
            image = _image(gt_path)
            if image is None:
                report.skipped.append(f"{key}: no PNG or JPEG")
                continue
            mermaid = emit(gold_graph(gt))
            logical = template_logical(mermaid, seed=0)
            rows.append({"id": f"real-{folder}-{gt_path.stem}", "image": str(image.resolve()),
                         "caption": format_answer(logical), "type": logical.figure_type.value,
                         "mermaid": mermaid})  # fmt: skip
    report.used = len(rows)
    with tempfile.TemporaryDirectory(prefix="ictrag-real-") as tmp:
        listing = Path(tmp) / "real.jsonl"
        listing.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows))
        report.imported = import_experts(listing, Path(tmp), out, val_fraction=val_fraction)
    return report
