"""The structural reader on ictrag's own multi-renderer synthetic pairs: how well it reads
each renderer's drawings back, per renderer and family, vector and raster.

    python tests/benchmarks/bench_synth.py --n 2000 --keep /tmp/bs2000     # makes the pairs
    python tests/benchmarks/bench_synth_reader.py --pairs /tmp/bs2000/diagrams --per-group 6 \
        --out /tmp/synth-reader.json

Ground truth is the generator's own structure, regenerated from the pair's id and style
(`generate_diagram` + `sources.adapt`), never a parse of anything; predictions are the
Mermaid the structural reader emits (`ictrag caption`); both are scored by the corpus's
independent scorer ../shared/tools/diagram_score.py as it is. Vector: the pair's source drawn
again to PDF by the same renderer (real text); raster: the pair's own image (with its JPEG or
scan noise, if it has any). Packets are outside the scorer and left out. This is a
development measure for the reader (issue #12): it is not a held-out set.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

from ictrag.training.synth import sources
from ictrag.training.synth.generate import generate_diagram
from ictrag.training.synth.pairs import draw_svg, read_jsonl
from ictrag.training.synth.render import MermaidRenderer
from ictrag.training.synth.render_tools import DiagramRenderError, svg_to
from ictrag.training.synth.styles import Style

from ictrag.caption import caption_file
from ictrag.config import load_settings
from ictrag.figures.graph import DiagramGraph

SCORER = Path(__file__).resolve().parents[2] / ".." / "shared" / "tools" / "diagram_score.py"


def gold(graph: DiagramGraph) -> dict:
    """The scorer's ground-truth schema for a generated structure ("[*]" for pseudo-states,
    end labels and middle label joined as the corpus does: they already are, in `label`)."""
    label = {
        n.id: ("[*]" if n.shape in ("start", "end") else n.label) for n in graph.nodes.values()
    }
    out = {"type": graph.kind if graph.kind != "architecture" else "topology"}
    out["nodes"] = [{"id": n, "label": label[n]} for n in graph.nodes if label[n] != "[*]"]
    out["edges"] = [{"src_label": label[e.source], "dst_label": label[e.target], "label": e.label or None,
                     "directed": e.directed} for e in graph.edges]  # fmt: skip
    if graph.kind == "sequence":
        out["participants"] = [label[p] for p in graph.participants]
        out["messages"] = [{"from": label[m.source], "to": label[m.target], "text": m.label, "order": m.order + 1}
                           for m in graph.messages]  # fmt: skip
    return out


def structure_of(record: dict) -> DiagramGraph:
    seed, index = record["id"].split("-")[1:3]
    style = Style(**record["meta"]["style"])
    return sources.adapt(record["renderer"], generate_diagram(int(index), int(seed)).graph, style)


def vector_pdf(record: dict, out: Path, mermaid: MermaidRenderer) -> Path | None:
    pdf = out / f"{record['id']}.pdf"
    if record["renderer"] == "mermaid":
        result = mermaid.render(record["source"], out_pdf=pdf, theme=record["meta"]["theme"])
        return pdf if result.ok else None
    try:
        svg = draw_svg(record["renderer"], record["source"])
    except DiagramRenderError:
        return None
    svg_to(svg, pdf=pdf)
    return pdf


def _mean(rows: list[dict], key: str) -> float:
    return sum(r[key] for r in rows) / len(rows) if rows else 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pairs", type=Path, required=True)
    parser.add_argument("--per-group", type=int, default=6, help="Pairs per (renderer, family).")
    parser.add_argument("--out", type=Path, default=Path("/tmp/synth-reader.json"))
    args = parser.parse_args()
    records = read_jsonl(args.pairs / "pairs.jsonl")
    groups: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for record in sorted(records, key=lambda r: r["id"]):
        key = (record["renderer"], record["type"])
        if record["type"] != "packet" and len(groups[key]) < args.per_group:
            groups[key].append(record)
    work = Path(tempfile.mkdtemp(prefix="synth-reader-"))
    settings = load_settings()
    rows = []
    with MermaidRenderer(scale=2) as mermaid:
        for (renderer, family), members in sorted(groups.items()):
            for record in members:
                truth = gold(structure_of(record))
                for mode in ("vector", "raster"):
                    path = vector_pdf(record, work, mermaid) if mode == "vector" else args.pairs / record["image"]  # fmt: skip
                    folder = work / mode / f"{renderer}-{family}"
                    (folder / "gold").mkdir(parents=True, exist_ok=True)
                    (folder / "pred").mkdir(parents=True, exist_ok=True)
                    (folder / "gold" / f"{record['id']}.json").write_text(json.dumps(truth))
                    figures = caption_file(path, settings, work / "figures") if path else []
                    best = max(figures, key=lambda f: len((f.logical.mermaid or "") if f.logical else ""), default=None)  # fmt: skip
                    text = (best.logical.mermaid or "") if best and best.logical else ""
                    (folder / "pred" / f"{record['id']}.mmd").write_text(text)
                print(f"{renderer:<9} {family:<13} {record['id']}", flush=True)
    for mode in ("vector", "raster"):
        for folder in sorted((work / mode).iterdir()):
            done = subprocess.run([sys.executable, str(SCORER), "--dir", str(folder / "gold"), "--pred-dir",
                                   str(folder / "pred"), "--json", "--per-diagram"],
                                  capture_output=True, text=True, check=True)  # fmt: skip
            for item in json.loads(done.stdout)["per_diagram"]:
                seq = item["type"] == "sequence"
                renderer, family = folder.name.split("-", 1)
                rows.append({"mode": mode, "renderer": renderer, "family": family, "id": item["name"],
                             "node_f1": item.get("participant_f1" if seq else "node_f1", 0.0),
                             "edge_f1": item.get("message_f1" if seq else "edge_f1", 0.0),
                             "labelled_f1": None if seq else item.get("labelled_edge_f1", 0.0)})  # fmt: skip
    args.out.write_text(json.dumps(rows, indent=1))
    table: dict[tuple[str, str, str], list[dict]] = defaultdict(list)
    for row in rows:
        table[(row["renderer"], row["family"], row["mode"])].append(row)
    print("| renderer | family | n | vector node / edge F1 | raster node / edge F1 |")
    print("|---|---|---|---|---|")
    for renderer, family in sorted({(r, f) for r, f, _ in table}):
        cells = []
        for mode in ("vector", "raster"):
            got = table.get((renderer, family, mode), [])
            cells.append(f"{_mean(got, 'node_f1'):.2f} / {_mean(got, 'edge_f1'):.2f}")
        print(
            f"| {renderer} | {family} | {len(table[(renderer, family, 'vector')])} | {cells[0]} | {cells[1]} |"
        )


if __name__ == "__main__":
    main()
