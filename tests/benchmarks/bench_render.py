"""Throughput of the real Mermaid renderer: ~30 mixed diagrams to PNG + PDF in one browser.

python tests/benchmarks/bench_render.py [--pages 2] [--n 30]
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from pathlib import Path

from ictrag.training.synth.render import MermaidRenderer, RenderJob

from ictrag.figures.graph import DiagramGraph, Edge, PacketField
from ictrag.figures.mermaid import emit

WORDS = [
    "router",
    "switch",
    "firewall",
    "gateway",
    "server",
    "client",
    "MME",
    "HSS",
    "eNB",
    "UE",
    "AMF",
    "SMF",
    "UPF",
    "DNS",
    "DHCP",
    "NAT",
    "VLAN",
]


def diagram(index: int, rng: random.Random) -> str:
    kind = ["flowchart", "sequence", "state", "topology", "packet"][index % 5]
    graph = DiagramGraph(kind=kind, direction=rng.choice(["TD", "LR"]))
    if kind == "packet":
        start = 0
        for _ in range(rng.randint(3, 8)):
            width = rng.choice([1, 4, 8, 16, 32])
            graph.fields.append(PacketField(start, start + width - 1, rng.choice(WORDS) + " field"))
            start += width
        return emit(graph)
    names = rng.sample(WORDS, rng.randint(3, 7))
    if kind == "sequence":
        for _ in range(rng.randint(3, 8)):
            a, b = rng.sample(names, 2)
            graph.add_message(a, b, f"{rng.choice(WORDS)} request")
        return emit(graph)
    for name in names:
        graph.add_node(name, f"{name} node", "state" if kind == "state" else "rect")
    for a, b in zip(names, names[1:], strict=False):
        graph.edges.append(Edge(a, b, rng.choice(["", "link", "10G"]), kind != "topology"))
    return emit(graph)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=30)
    parser.add_argument("--pages", type=int, default=1)
    parser.add_argument("--scale", type=float, default=2.0)
    args = parser.parse_args()
    rng = random.Random(0)
    codes = [diagram(i, rng) for i in range(args.n)]
    with (
        tempfile.TemporaryDirectory() as folder,
        MermaidRenderer(pages=args.pages, scale=args.scale) as renderer,
    ):
        out = Path(folder)
        renderer.render(codes[0], out / "warm.png", out / "warm.pdf")
        jobs = [RenderJob(code, out / f"{i}.png", out / f"{i}.pdf") for i, code in enumerate(codes)]
        start = time.perf_counter()
        results = renderer.render_many(jobs)
        elapsed = time.perf_counter() - start
    ok = sum(result.ok for result in results)
    print(
        f"{ok}/{len(jobs)} ok, {elapsed:.2f} s, {len(jobs) / elapsed:.2f} diagrams/s "
        f"(PNG + PDF, pages={args.pages}, scale={args.scale})"
    )


if __name__ == "__main__":
    main()
