"""The development/test split of ../shared/corpus/real-figures, written before any reader
was run or tuned on it (tests/benchmarks/real_figures_split.json).

    python tests/benchmarks/real_figures_split.py [--corpus ../shared/corpus/real-figures]

Rule (looks at names and renderers only, never at scores): figures are grouped into strata
folder/renderer group; inside a stratum they are ordered by sha1 of the figure name and dealt
alternately to dev and test, dev first, so each part gets half (dev the odd one) of every
stratum. Renderer groups: the JSON `renderer` field (flow/, sequence/), mscgen and seqdiag
together (one mscgen figure); topology/ has no renderer field, so RENDERERS below records
each figure's drawing tool (from its README, provenance and PDF producer), and the strata are
Graphviz vector, other vector, Graphviz raster, other raster.
"""

from __future__ import annotations

import argparse
import hashlib
import json
from pathlib import Path

DEFAULT_CORPUS = Path(__file__).resolve().parents[2] / ".." / "shared" / "corpus" / "real-figures"
SPLIT_FILE = Path(__file__).with_name("real_figures_split.json")
FOLDERS = ("topology", "flow", "sequence")
# topology/: the drawing tool of each figure (README "How each figure file was made", the
# provenance field and the PDF producer); "unknown" where the README names none.
TOPOLOGY_RENDERERS = {
    "01": "graphviz", "02": "graphviz", "03": "graphviz", "04": "graphviz", "05": "visio",
    "06": "graphviz", "07": "graphviz", "08": "dia", "09": "dia", "10": "keynote",
    "11": "drawio", "12": "drawio", "13": "graphviz", "14": "graphviz", "15": "graphviz",
    "16": "graphviz", "17": "graphviz", "18": "unknown", "19": "slides", "20": "slides",
    "21": "slides", "22": "slides", "23": "unknown", "24": "unknown", "25": "unknown",
    "26": "lucidchart", "27": "lucidchart",
}  # fmt: skip


def figure_info(corpus: Path) -> list[dict]:
    """One row per ground-truth figure: folder, name, renderer, vector (has a PDF)."""
    rows = []
    for folder in FOLDERS:
        for path in sorted((corpus / folder).glob("*.json")):
            gt = json.loads(path.read_text(encoding="utf-8"))
            if "nodes" not in gt or "type" not in gt:
                continue
            name = path.stem
            renderer = gt.get("renderer") or TOPOLOGY_RENDERERS.get(name[:2], "unknown")
            vector = path.with_suffix(".pdf").is_file()
            rows.append({"folder": folder, "name": name, "type": gt["type"],
                         "renderer": renderer, "vector": vector})  # fmt: skip
    return rows


def stratum(row: dict) -> str:
    if row["folder"] == "topology":
        tool = "graphviz" if row["renderer"] == "graphviz" else "other"
        return f"topology/{tool}-{'vector' if row['vector'] else 'raster'}"
    group = "mscgen+seqdiag" if row["renderer"] in ("mscgen", "seqdiag") else row["renderer"]
    return f"{row['folder']}/{group}"


def make_split(corpus: Path) -> dict:
    rows = figure_info(corpus)
    strata: dict[str, list[dict]] = {}
    for row in rows:
        strata.setdefault(stratum(row), []).append(row)
    figures = {}
    for key, members in sorted(strata.items()):
        members.sort(key=lambda r: hashlib.sha1(r["name"].encode()).hexdigest())
        for i, row in enumerate(members):
            part = "dev" if i % 2 == 0 else "test"
            figures[f"{row['folder']}/{row['name']}"] = {**row, "stratum": key, "part": part}
    return {
        "rule": "per stratum (folder/renderer group), order by sha1(name), deal alternately "
        "dev, test, dev, ...; written before any reader ran on the set",
        "figures": dict(sorted(figures.items())),
    }


def load_split(path: Path = SPLIT_FILE) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--out", type=Path, default=SPLIT_FILE)
    args = parser.parse_args()
    split = make_split(args.corpus.resolve())
    args.out.write_text(json.dumps(split, indent=1) + "\n", encoding="utf-8")
    counts: dict[str, dict[str, int]] = {}
    for row in split["figures"].values():
        counts.setdefault(row["stratum"], {"dev": 0, "test": 0})[row["part"]] += 1
    for key, c in sorted(counts.items()):
        print(f"{key:<28} dev {c['dev']:>2}  test {c['test']:>2}")


if __name__ == "__main__":
    main()
