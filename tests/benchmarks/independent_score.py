"""Gold structures and scores from the independent scorer, not from ictrag's own code.

The gold structure of every Mermaid source is what ../shared/tools/diagram_score.py's own
parser reads from it (`parse_mermaid`, the same code as `diagram_score.py --parse`), and a
prediction is scored with that tool's `score` as is, so the numbers are comparable with the
independent checks that run the tool on ictrag's output. The tool is loaded by path with
importlib (it is a script, not a package); `DIAGRAM_SCORE=/path/to/diagram_score.py`
points elsewhere.

diagram_score.py knows flowchart, sequence, topology and state diagrams. Packet diagrams
(`packet-beta`) are outside it: their gold fields are read from the source's
`start-end: "Name"` lines by the regex below and scored as field-name F1 under the tool's
label normalisation (`norm`).

Two adaptors turn a prediction (ictrag output) into the tool's input; neither touches the
gold side:
* `pred_from_mermaid`: the Mermaid text ictrag emits, read by the tool's parser (what an
  independent check does with ictrag's output);
* `pred_from_logical`: a LogicalText's components and relations (the embedded form; the
  `ocr` captioner has no Mermaid): components are nodes (participants of a sequence),
  `edge`/`step` relations are edges, `message` relations are messages in their order.
"""

from __future__ import annotations

import importlib.util
import os
import re
from collections import Counter
from functools import lru_cache
from pathlib import Path

DEFAULT_SCORER = Path(__file__).resolve().parents[3] / "shared" / "tools" / "diagram_score.py"
_PACKET_FIELD = re.compile(r'^\s*(?:\d+(?:\s*-\s*\d+)?|\+\d+)\s*:\s*"([^"]*)"', re.M)
"""A packet-beta field line: `0-15: "Name"`, `16: "Flag"` or `+16: "Name"` (bit count)."""

KNOWN_TOOL_MISPARSES = {
    "flowchart_83": "edge id syntax `A e1@--> B`: the tool reads one node and no edge",
    "flowchart_99": "markdown strings over two lines: the tool reads nodes a, in, c and no edges",
    "sequenceDiagram_15": "`()` activation marks on arrows: the tool reads ()John, Alice() as participants",
}
"""Sources whose gold, as the tool parses them, is wrong (checked by hand against the
source). They stay in every score; `summarize` also gives the mean without them."""

GRAPH_KEYS = ("node_f1", "edge_f1", "labelled_edge_f1")
SEQUENCE_KEYS = ("participant_f1", "message_f1", "order_lcs")


@lru_cache(maxsize=1)
def scorer():
    path = Path(os.environ.get("DIAGRAM_SCORE", DEFAULT_SCORER))
    if not path.exists():
        raise SystemExit(f"independent scorer not found: {path} (set DIAGRAM_SCORE)")
    spec = importlib.util.spec_from_file_location("diagram_score", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def is_packet(code: str) -> bool:
    return code.lstrip().startswith("packet")


def gold(code: str, name: str) -> dict:
    """The ground truth of one Mermaid source. Topology is not a Mermaid keyword: the
    benchmark's own topology sources are named topo_*, as before."""
    if is_packet(code):
        fields = [m[1] for m in _PACKET_FIELD.finditer(code)]
        return {"type": "packet", "fields": fields, "nodes": [], "edges": []}
    structure = scorer().parse_mermaid(code)
    if name.startswith("topo") and structure.get("type") == "flowchart":
        structure["type"] = "topology"
    return structure


def pred_from_mermaid(code: str | None) -> dict:
    if not code or not code.strip():
        return {"type": None, "nodes": [], "edges": []}
    try:
        return scorer().parse_mermaid(code)
    except Exception as error:  # an unreadable prediction scores as empty, and says why
        return {
            "type": None,
            "nodes": [],
            "edges": [],
            "warnings": [f"{type(error).__name__}: {error}"],
        }  # noqa: E501


def pred_from_logical(logical) -> dict:
    kind = logical.figure_type.value
    components = list(logical.components)
    edges = [
        {"src_label": r.source, "dst_label": r.target, "label": r.label or None,
         "directed": r.directed}
        for r in logical.relations if r.kind in ("edge", "step")
    ]  # fmt: skip
    messages = [
        {"from": r.source, "to": r.target, "text": r.label, "order": i + 1}
        for i, r in enumerate(x for x in logical.relations if x.kind == "message")
    ]
    fields = [r.source for r in logical.relations if r.kind == "field"]
    out = {"type": kind, "nodes": [{"label": c} for c in components], "edges": edges,
           "fields": fields}  # fmt: skip
    if messages or kind == "sequence":
        out["participants"] = components
        out["messages"] = messages
    return out


def pred_fields_from_graph(graph) -> list[str]:
    return [item.label for item in getattr(graph, "fields", [])]


def score(gold_structure: dict, pred: dict) -> dict:
    """diagram_score.score as is; packets: field-name F1 (see the module docstring)."""
    if gold_structure["type"] == "packet":
        norm = scorer().norm
        want = Counter(norm(f) for f in gold_structure["fields"])
        got = Counter(norm(f) for f in pred.get("fields") or [])
        tp = sum((want & got).values())
        p, r, f = scorer().prf(tp, sum(got.values()), sum(want.values()))
        return {"type": "packet", "pred_type": pred.get("type"), "field_p": p, "field_r": r,
                "field_f1": f, "score": f}  # fmt: skip
    return scorer().score(gold_structure, pred)


def type_ok(gold_type: str, pred_type: str | None) -> float:
    """Right type; a topology read as a flowchart counts (Mermaid has no topology type)."""
    return float(pred_type == gold_type or (gold_type == "topology" and pred_type == "flowchart"))


def summarize(rows: list[dict]) -> dict:
    """Macro averages: `score` (diagram_score's per-diagram score) over all diagrams that
    the tool scores (packets apart); graph metrics over flowchart/topology/state diagrams;
    sequence metrics over sequence diagrams; field F1 over packets; type over all."""

    def mean(values):
        values = [v for v in values if v is not None]
        return round(sum(values) / len(values), 3) if values else None

    scored = [r for r in rows if r["type"] != "packet"]
    graphs = [r for r in rows if r["type"] in ("flowchart", "topology", "state")]
    sequences = [r for r in rows if r["type"] == "sequence"]
    packets = [r for r in rows if r["type"] == "packet"]
    out = {"n": len(rows), "n_scored": len(scored), "score": mean(r["score"] for r in scored)}
    for key in (*GRAPH_KEYS, "node_f1_fuzzy", "edge_f1_fuzzy"):
        out[key] = mean(r.get(key) for r in graphs)
    for key in SEQUENCE_KEYS:
        out[key] = mean(r.get(key) for r in sequences)
    out["label_chrf"] = mean(r.get("label_chrf") for r in scored)
    out["field_f1"] = mean(r.get("field_f1") for r in packets)
    out["type_ok"] = mean(r.get("type_ok") for r in rows)
    clean = [r for r in scored if r.get("name") not in KNOWN_TOOL_MISPARSES]
    if len(clean) < len(scored):
        out["score_without_tool_misparses"] = mean(r["score"] for r in clean)
    return out


COLUMNS = (
    "n",
    "score",
    "score_without_tool_misparses",
    *GRAPH_KEYS,
    *SEQUENCE_KEYS,
    "field_f1",
    "label_chrf",
    "type_ok",
)


def table(summary: dict[str, dict], columns=COLUMNS) -> str:
    lines = ["| set | " + " | ".join(columns) + " |", "|---" * (len(columns) + 1) + "|"]
    for key, values in summary.items():
        cells = []
        for column in columns:
            value = values.get(column)
            cells.append(
                "-" if value is None else f"{value:.3f}" if isinstance(value, float) else str(value)
            )  # noqa: E501
        lines.append(f"| {key} | " + " | ".join(cells) + " |")
    return "\n".join(lines)
