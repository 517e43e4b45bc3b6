"""Synthetic ICT diagrams as DiagramGraph -> Mermaid, deterministic under a seed.

    diagram = generate_diagram(index, seed)     # random.Random(item_seed(seed, index))
    diagram.graph, diagram.mermaid (clean), diagram.code (with styling), diagram.theme
    diagram.seed, diagram.unit                  # the item's own seed; its generator unit

Six families: procedure flowcharts, signalling sequences, network topologies, state
machines, packet formats (packet-beta) and architecture/block diagrams, drawn from the real
ICT vocabulary in `vocab.py`, with controlled variety (size, direction, shapes, styling,
theme, whether the title is shown). `code` is what gets rendered; `mermaid` (no styling) is
the training target, and `parse(code)` gives back the same graph.

`unit` names the template or generator rule the diagram came from ("sequence:DHCP ...",
"topology:sec1-rou2-swi1-ser0-end2"); validation holds out whole units (`training/data.py`).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from ictrag.training.synth import vocab
from ictrag.training.synth.seeds import item_seed

from ictrag.figures.graph import Block, DiagramGraph, Edge, Group, Note, PacketField
from ictrag.figures.mermaid import emit

FAMILIES = ("flowchart", "sequence", "topology", "state", "packet", "architecture")
FAMILY_WEIGHTS = (22, 22, 20, 12, 10, 14)


@dataclass
class SynthDiagram:
    id: str
    kind: str
    graph: DiagramGraph
    mermaid: str
    """Clean Mermaid (no styling): what the caption describes and the model should write."""
    code: str
    """Mermaid as rendered: `mermaid` plus style lines."""
    theme: str = "default"
    meta: dict[str, Any] = field(default_factory=dict)
    seed: int = 0
    """This item's own seed (from the run seed and the index)."""
    unit: str = ""
    """`family:template` or `family:rule`: the unit a validation split holds out whole."""


def diagram_id(index: int, seed: int) -> str:
    return f"syn-{seed}-{index:06d}"


def generate_diagram(index: int, seed: int = 0, kind: str | None = None) -> SynthDiagram:
    """The diagram number `index` of the run `seed`; the same arguments give the same diagram."""
    own_seed = item_seed(seed, index)
    rng = random.Random(own_seed)
    kind = kind or rng.choices(FAMILIES, weights=FAMILY_WEIGHTS)[0]
    graph, meta = GENERATORS[kind](rng)
    unit = f"{kind}:{meta.pop('rule')}"
    show_title = rng.random() < 0.5
    if not show_title:
        graph.title = ""
    mermaid = emit(graph)
    styling = (
        _styling(graph, rng) if graph.kind in ("flowchart", "topology", "architecture") else []
    )
    code = mermaid + "".join(line + "\n" for line in styling)
    theme = rng.choices(vocab.THEMES, weights=vocab.THEME_WEIGHTS)[0]
    meta.update(kind=graph.kind, theme=theme, direction=graph.direction, show_title=show_title)
    meta.update(seed=seed, index=index, styled=bool(styling), item_seed=own_seed, unit=unit)
    return SynthDiagram(diagram_id(index, seed), graph.kind, graph, mermaid, code, theme, meta, own_seed, unit)  # fmt: skip


def generate_many(n: int, seed: int = 0, start: int = 0) -> list[SynthDiagram]:
    return [generate_diagram(index, seed) for index in range(start, start + n)]


# -- families -----------------------------------------------------------------------------------
def _flowchart(rng: random.Random) -> tuple[DiagramGraph, dict]:
    title, steps, decisions = rng.choice(vocab.PROCEDURES)
    graph = DiagramGraph(kind="flowchart", direction=rng.choice(["TD", "TD", "LR"]), title=title)
    keep = sorted(rng.sample(range(len(steps)), rng.randint(3, len(steps))))
    chosen = [steps[i] for i in keep]
    step_shape = rng.choice(["rect", "rect", "round", "subroutine"])
    terminal = rng.choice(["stadium", "round", "circle"])
    with_terminals = rng.random() < 0.75
    ids: list[str] = []
    if with_terminals:
        graph.add_node("start", "Start", terminal)
        ids.append("start")
    for number, step in enumerate(chosen, 1):
        graph.add_node(f"s{number}", step, step_shape)
        ids.append(f"s{number}")
    if with_terminals:
        graph.add_node("finish", "End", terminal)
        ids.append("finish")
    # Decisions sit between two consecutive steps: yes goes on, no goes to a remedy.
    n_decisions = min(len(decisions), rng.randint(1, 2), len(chosen) - 1)
    places = sorted(rng.sample(range(1 if with_terminals else 0, len(ids) - 1), n_decisions))
    edges: list[Edge] = []
    where = dict.fromkeys(places)
    for position, decision in zip(places, rng.sample(decisions, n_decisions), strict=False):
        where[position] = decision
    for number, (a, b) in enumerate(zip(ids, ids[1:], strict=False)):
        decision = where.get(number)
        if decision is None:
            edges.append(Edge(a, b))
            continue
        question, yes, no, remedy = decision
        d_id, r_id = f"d{number}", f"r{number}"
        graph.add_node(d_id, question, "decision")
        graph.add_node(r_id, remedy, "rect")
        edges += [Edge(a, d_id), Edge(d_id, b, yes), Edge(d_id, r_id, no)]
        edges.append(Edge(r_id, a, style="dotted") if rng.random() < 0.5 else Edge(r_id, ids[-1]))
    graph.edges = edges
    return graph, {"topic": title, "rule": title}


def _sequence(rng: random.Random) -> tuple[DiagramGraph, dict]:
    title, participants, messages, blocks = rng.choice(vocab.SCENARIOS)
    graph = DiagramGraph(kind="sequence", title=title)
    length = len(messages)
    start = 0 if rng.random() < 0.6 else rng.randint(0, max(0, length - 4))
    end = rng.randint(min(length, start + 3), length)
    chosen = messages[start:end]
    used = [p for p in participants if any(p in (m[0], m[1]) for m in chosen)]
    ids = {name: f"p{i}" for i, name in enumerate(used, 1)}
    actors = rng.random() < 0.3
    for name in used:
        shape = (
            "actor"
            if actors and name in ("UE", "Client", "Caller", "Supplicant", "Host A")
            else "participant"
        )
        graph.add_participant(ids[name], name, shape)
    for source, target, label in chosen:
        response = any(
            word in label for word in ("Response", "ACK", "OK", "Reply", "Accept", "Answer")
        )
        arrow = "-->>" if response and rng.random() < 0.7 else "->>"
        graph.add_message(ids[source], ids[target], label, arrow)
    for kind, label, b_start, b_end, else_label in blocks:
        b_start, b_end = b_start - start, min(b_end, end) - start
        if b_start < 0 or b_end - b_start < 1 or rng.random() < 0.2:
            continue
        branches = []
        if kind == "alt" and else_label and b_end - b_start >= 2:
            branches = [(else_label, b_end - 1)]
        graph.blocks.append(Block(kind, label, b_start, b_end, branches))
    if rng.random() < 0.3:
        timer = rng.choice(
            ["T3510 started", "timer T1 running", "retransmit after 1 s", "keepalive 30 s"]
        )
        graph.notes.append(Note([rng.choice(list(ids.values()))], timer))
    return graph, {"topic": title, "rule": title}


def _interface(rng: random.Random) -> str:
    style = rng.choice(vocab.INTERFACE_STYLES)
    return style.format(a=rng.randint(0, 24), v=rng.choice([10, 20, 30, 100, 200]))


def _topology(rng: random.Random) -> tuple[DiagramGraph, dict]:
    graph = DiagramGraph(kind="topology", direction=rng.choice(["TD", "LR"]))
    layers = [("cloud", 1), ("security", rng.randint(0, 1)), ("router", rng.randint(1, 2)),
              ("switch", rng.randint(1, 3)), ("server", rng.randint(0, 2)), ("endpoint", rng.randint(0, 2))]  # fmt: skip
    # No templates here: the generator rule is the layer plan (how many of each role).
    rule = "-".join(f"{role[:3]}{count}" for role, count in layers[1:])
    previous: list[str] = []
    counter = 0
    devices: list[str] = []
    for role, count in layers:
        names = rng.sample(vocab.DEVICE_ROLES[role], count)
        current = []
        for name in names:
            counter += 1
            node_id = f"dev{counter}"
            host = {"router": "R", "switch": "SW", "security": "FW", "server": "SRV"}.get(role, "")
            label = f"{name} {host}{counter}" if host and rng.random() < 0.5 else name
            graph.add_node(node_id, label, vocab.DEVICE_SHAPES[role])
            current.append(node_id)
        if not current:
            continue
        for node_id in current:
            parent = rng.choice(previous) if previous else None
            if parent is not None:
                graph.edges.append(Edge(parent, node_id, _link_label(rng, counter), directed=False))
        if role in ("router", "switch") and len(current) == 2 and rng.random() < 0.5:
            graph.edges.append(
                Edge(current[0], current[1], rng.choice(vocab.LINK_KINDS), directed=False)
            )
        devices += current
        previous = current if role != "server" else previous
    if rng.random() < 0.4 and len(devices) >= 4:
        site, members = rng.choice(vocab.SITE_NAMES), devices[-rng.randint(2, 3) :]
        graph.groups.append(Group("site1", site, list(members)))
    graph.title = rng.choice(
        ["Campus network", "Enterprise branch network", "Data center access", "Lab topology"]
    )
    return graph, {"topic": graph.title, "rule": rule}


def _link_label(rng: random.Random, counter: int) -> str:
    roll = rng.random()
    if roll < 0.35:
        return f"{_interface(rng)} - {_interface(rng)}"
    if roll < 0.65:
        return f"{_interface(rng)} 10.{counter}.{rng.randint(0, 254)}.{rng.choice([1, 2, 5, 9])}/30"
    if roll < 0.8:
        return rng.choice(vocab.LINK_KINDS)
    return ""


def _state(rng: random.Random) -> tuple[DiagramGraph, dict]:
    title, states, transitions, initial, final = rng.choice(vocab.STATE_MACHINES)
    graph = DiagramGraph(kind="state", direction=rng.choice(["TD", "TD", "LR"]), title=title)
    if len(transitions) > 6 and rng.random() < 0.5:  # a connected prefix of the machine
        transitions = transitions[: rng.randint(5, len(transitions))]
    used = [s for s in states if any(s in (t[0], t[1]) for t in transitions)]
    ids = {name: f"st{i}" for i, name in enumerate(used, 1)}
    graph.add_node("__start__", "start", "start")
    for name in used:
        graph.add_node(ids[name], name, "state")
    graph.edges.append(Edge("__start__", ids[initial]))
    for source, target, event in transitions:
        graph.edges.append(Edge(ids[source], ids[target], event if rng.random() < 0.9 else ""))
    if final and rng.random() < 0.7:
        graph.add_node("__end__", "end", "end")
        graph.edges.append(Edge(ids[final], "__end__"))
    return graph, {"topic": title, "rule": title}


def _packet(rng: random.Random) -> tuple[DiagramGraph, dict]:
    title, fields = rng.choice(vocab.PACKETS)
    if len(fields) > 5 and rng.random() < 0.3:
        fields = fields[: rng.randint(4, len(fields))]
    graph = DiagramGraph(kind="packet", title=title)
    bit = 0
    for label, bits in fields:
        graph.fields.append(PacketField(bit, bit + bits - 1, label))
        bit += bits
    if rng.random() < 0.3:
        graph.fields.append(PacketField(bit, bit + 31, rng.choice(["Options", "Payload", "Data"])))
    return graph, {"topic": title, "rule": title}


def _architecture(rng: random.Random) -> tuple[DiagramGraph, dict]:
    title, groups, edges = rng.choice(vocab.ARCHITECTURES)
    graph = DiagramGraph(kind="architecture", direction=rng.choice(["TD", "LR"]), title=title)
    members = [m for group in groups.values() for m in group]
    kept = [m for m in members if rng.random() < 0.85]
    if len(kept) < 3:
        kept = members
    ids = {name: f"nf{i}" for i, name in enumerate(kept, 1)}
    shape = rng.choice(["rect", "round", "subroutine"])
    for name in kept:
        graph.add_node(
            ids[name], name, "database" if name in ("UDR", "HSS", "Performance DB") else shape
        )
    use_groups = rng.random() < 0.8
    for number, (label, group_members) in enumerate(groups.items(), 1):
        inside = [ids[m] for m in group_members if m in ids]
        if use_groups and inside:
            graph.groups.append(Group(f"g{number}", label, inside))
    labelled = rng.random() < 0.85
    for a, b, label in edges:
        if a in ids and b in ids:
            graph.edges.append(
                Edge(ids[a], ids[b], label if labelled else "", directed=rng.random() < 0.3)
            )
    return graph, {"topic": title, "rule": title}


GENERATORS = {
    "flowchart": _flowchart,
    "sequence": _sequence,
    "topology": _topology,
    "state": _state,
    "packet": _packet,
    "architecture": _architecture,
}


def _styling(graph: DiagramGraph, rng: random.Random) -> list[str]:
    """classDef/style lines (ignored by the parser, visible in the picture)."""
    roll = rng.random()
    if roll < 0.4 or not graph.nodes:
        return []
    fill, stroke = rng.choice(vocab.STYLE_FILLS), rng.choice(vocab.STYLE_STROKES)
    if roll < 0.7:
        node_ids = [n for n in graph.nodes if n.isidentifier()]
        picked = rng.sample(node_ids, min(len(node_ids), rng.randint(1, 3)))
        return [
            f"  style {node_id} fill:{fill},stroke:{stroke},stroke-width:2px" for node_id in picked
        ]
    by_shape: dict[str, list[str]] = {}
    for node in graph.nodes.values():
        by_shape.setdefault(node.shape, []).append(node.id)
    lines = []
    for number, (_, node_ids) in enumerate(sorted(by_shape.items()), 1):
        fill = rng.choice(vocab.STYLE_FILLS)
        lines.append(f"  classDef c{number} fill:{fill},stroke:{stroke},color:#000")
        lines.append(f"  class {','.join(node_ids)} c{number}")
    return lines
