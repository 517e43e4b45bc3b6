"""Stage-3 VQA: objective and open questions generated from each pair's graph, every answer
verified against the graph parsed again from the pair's Mermaid.

    items, report = synth_vqa(read_jsonl(pairs), seed=0, per_pair=3)

Question kinds: `mc_next` (multiple choice, distractors are other labels of the same diagram),
`tf_link` (true/false), `count`, `next` (what follows X), `interface` (which interface connects
A and B), `field_bits` (packet) and `open_components` / `open_neighbors`. Each item carries a
`check` {op, args}; `verify(item, graph)` recomputes the answer with that op, and an item whose
answer is ambiguous or differs is dropped and counted. Expert items in the same schema merge in.
"""

from __future__ import annotations

import json
import random
from collections import Counter
from pathlib import Path
from typing import Any

from ictrag.training.synth.seeds import item_rng
from pydantic import BaseModel, Field, ValidationError

from ictrag.figures.graph import PSEUDO_SHAPES, DiagramGraph
from ictrag.figures.mermaid import MermaidError, parse

LETTERS = "ABCD"


class VQAItem(BaseModel):
    id: str
    pair_id: str = ""
    image: str
    question: str
    answer: str
    kind: str
    choices: list[str] | None = None
    check: dict[str, Any] | None = None
    source: str = "template"
    unit: str = ""
    """The source pair's generator unit, so a split holds its questions out with it."""


class VQAReport(BaseModel):
    pairs: int = 0
    generated: int = 0
    kept: int = 0
    dropped_unverified: int = 0
    unparsable_pairs: int = 0
    experts: int = 0
    expert_errors: list[str] = Field(default_factory=list)
    by_kind: dict[str, int] = Field(default_factory=dict)


# -- answers computed from a graph (None = no unique answer) ------------------------------------
def _labels(graph: DiagramGraph) -> dict[str, list[str]]:
    by_label: dict[str, list[str]] = {}
    for node in graph.nodes.values():
        by_label.setdefault(node.label, []).append(node.id)
    return by_label


def _one_id(graph: DiagramGraph, label: str) -> str | None:
    ids = _labels(graph).get(label, [])
    return ids[0] if len(ids) == 1 else None


def _successors(graph: DiagramGraph, label: str) -> list[str] | None:
    node = _one_id(graph, label)
    if node is None:
        return None
    targets = [e.target for e in graph.edges if e.source == node and e.directed]
    return [graph.label_of(t) for t in targets if graph.nodes[t].shape not in PSEUDO_SHAPES]


def answer_next(graph: DiagramGraph, label: str) -> str | None:
    """The one thing that follows `label`: its single successor, or the next message."""
    if graph.kind == "sequence":
        messages = [m.label for m in sorted(graph.messages, key=lambda m: m.order)]
        hits = [i for i, text in enumerate(messages) if text == label]
        if (
            len(hits) != 1
            or hits[0] + 1 >= len(messages)
            or messages.count(messages[hits[0] + 1]) != 1
        ):
            return None
        return messages[hits[0] + 1]
    following = _successors(graph, label)
    return following[0] if following and len(following) == 1 else None


def answer_count(graph: DiagramGraph, what: str) -> str | None:
    counts = {
        "messages": len(graph.messages),
        "participants": len(graph.participants),
        "fields": len(graph.fields),
        "components": len([n for n in graph.nodes.values() if n.shape not in PSEUDO_SHAPES]),
        "links": len(graph.edges),
        "decisions": sum(n.shape == "decision" for n in graph.nodes.values()),
        "states": len([n for n in graph.nodes.values() if n.shape not in PSEUDO_SHAPES]),
    }
    return str(counts[what]) if what in counts else None


def answer_link(graph: DiagramGraph, a: str, b: str) -> str | None:
    ia, ib = _one_id(graph, a), _one_id(graph, b)
    if ia is None or ib is None:
        return None
    pairs = {(e.source, e.target) for e in graph.edges}
    pairs |= {(m.source, m.target) for m in graph.messages}
    return "True" if (ia, ib) in pairs or (ib, ia) in pairs else "False"


def answer_interface(graph: DiagramGraph, a: str, b: str) -> str | None:
    ia, ib = _one_id(graph, a), _one_id(graph, b)
    links = [e for e in graph.edges if {e.source, e.target} == {ia, ib}]
    return links[0].label if len(links) == 1 and links[0].label else None


def answer_field_bits(graph: DiagramGraph, label: str) -> str | None:
    fields = [f for f in graph.fields if f.label == label]
    return str(fields[0].bits) if len(fields) == 1 else None


def answer_components(graph: DiagramGraph) -> str | None:
    labels = list(dict.fromkeys(graph.component_labels()))
    return "; ".join(labels) if labels else None


def answer_neighbors(graph: DiagramGraph, label: str) -> str | None:
    node = _one_id(graph, label)
    if node is None:
        return None
    out = [
        graph.label_of(e.target if e.source == node else e.source)
        for e in graph.edges
        if node in (e.source, e.target)
    ]
    return "; ".join(sorted(set(out))) if out else None


OPS = {
    "next": answer_next,
    "count": answer_count,
    "link": answer_link,
    "interface": answer_interface,
    "field_bits": answer_field_bits,
    "components": answer_components,
    "neighbors": answer_neighbors,
}


def verify(item: VQAItem, graph: DiagramGraph) -> bool:
    """Recompute the answer from the graph; multiple choice also needs exactly one right option."""
    if not item.check or item.check.get("op") not in OPS:
        return False
    try:
        truth = OPS[item.check["op"]](graph, **item.check.get("args", {}))
    except (TypeError, KeyError):
        return False
    if truth is None:
        return False
    if item.choices:
        right = [c for c in item.choices if c == truth]
        letter = LETTERS[item.choices.index(truth)] if len(right) == 1 else ""
        return bool(letter) and item.answer == f"{letter}. {truth}"
    return item.answer == truth


# -- question templates ---------------------------------------------------------------------
def _noun(graph: DiagramGraph) -> str:
    return {"flowchart": "flowchart", "sequence": "sequence diagram", "state": "state diagram",
            "packet": "packet format", "topology": "topology", "architecture": "architecture diagram"}.get(graph.kind, "figure")  # fmt: skip


def candidates(
    graph: DiagramGraph, rng: random.Random
) -> list[tuple[str, str, dict, list[str] | None]]:
    """(kind, question, check, choices) proposals; answers are filled in and verified later."""
    noun = _noun(graph)
    names = [n.label for n in graph.nodes.values() if n.shape not in PSEUDO_SHAPES]
    out: list[tuple[str, str, dict, list[str] | None]] = []
    count_what = {"sequence": "messages", "packet": "fields", "state": "states", "flowchart": "decisions"}.get(graph.kind, "components")  # fmt: skip
    out.append(("count", f"How many {count_what} does the {noun} show? Answer with a number.", {"op": "count", "args": {"what": count_what}}, None))  # fmt: skip
    out.append(("open_components", f"List the components of this {noun}, separated by semicolons.", {"op": "components", "args": {}}, None))  # fmt: skip
    if graph.kind == "sequence":
        labels = [m.label for m in sorted(graph.messages, key=lambda m: m.order)]
        for label in rng.sample(labels, min(2, len(labels))):
            out.append(
                (
                    "next",
                    f'Which message follows "{label}"?',
                    {"op": "next", "args": {"label": label}},
                    None,
                )
            )
        pool = labels
    elif graph.kind == "packet":
        for item in rng.sample(graph.fields, min(2, len(graph.fields))):
            out.append(("field_bits", f'How many bits long is the "{item.label}" field?', {"op": "field_bits", "args": {"label": item.label}}, None))  # fmt: skip
        return out
    else:
        pool = names
        for label in rng.sample(names, min(3, len(names))):
            out.append(("next", f'In the {noun}, what directly follows "{label}"?', {"op": "next", "args": {"label": label}}, None))  # fmt: skip
            out.append(("open_neighbors", f'Which components is "{label}" connected to? Separate them with semicolons.', {"op": "neighbors", "args": {"label": label}}, None))  # fmt: skip
        for edge in rng.sample(graph.edges, min(2, len(graph.edges))):
            a, b = graph.label_of(edge.source), graph.label_of(edge.target)
            if edge.label and graph.kind in ("topology", "architecture"):
                out.append(("interface", f'Which interface or link connects "{a}" and "{b}"?', {"op": "interface", "args": {"a": a, "b": b}}, None))  # fmt: skip
    if len(names) >= 2:
        a, b = rng.sample(names, 2)
        verb = "exchange messages directly" if graph.kind == "sequence" else "have a direct link"
        out.append(("tf_link", f'True or false: "{a}" and "{b}" {verb} in this {noun}.', {"op": "link", "args": {"a": a, "b": b}}, None))  # fmt: skip
    # multiple choice over "what follows", distractors from the same diagram's labels
    for label in rng.sample(pool, min(2, len(pool))):
        truth = answer_next(graph, label)
        if truth is None:
            continue
        distractors = [x for x in dict.fromkeys(pool) if x not in (truth, label)]
        if len(distractors) < 3:
            continue
        choices = rng.sample(distractors, 3) + [truth]
        rng.shuffle(choices)
        what = "message" if graph.kind == "sequence" else "element"
        out.append(("mc_next", f'Which {what} directly follows "{label}"?', {"op": "next", "args": {"label": label}}, choices))  # fmt: skip
    return out


def question_text(item: VQAItem) -> str:
    """The user text of a VQA sample: the question, plus lettered options for multiple choice."""
    if not item.choices:
        return item.question
    options = "\n".join(f"{LETTERS[i]}. {choice}" for i, choice in enumerate(item.choices))
    return f"{item.question}\n{options}\nAnswer with the letter and the option."


def questions_for_pair(pair: dict, rng: random.Random, per_pair: int) -> tuple[list[VQAItem], int]:
    """Verified items for one pair, and how many proposals were dropped."""
    graph = parse(pair["mermaid"])
    items, dropped = [], 0
    proposals = candidates(graph, rng)
    rng.shuffle(proposals)
    for number, (kind, question, check, choices) in enumerate(proposals):
        truth = OPS[check["op"]](graph, **check["args"])
        if truth is None:
            dropped += 1
            continue
        answer = f"{LETTERS[choices.index(truth)]}. {truth}" if choices else truth
        item = VQAItem(id=f"{pair['id']}-q{number}", pair_id=pair["id"], image=pair["image"], question=question, answer=answer, kind=kind, choices=choices, check=check, unit=pair.get("unit", ""))  # fmt: skip
        if not verify(item, parse(pair["mermaid"])):
            dropped += 1
            continue
        if len(items) < per_pair:
            items.append(item)
    return items, dropped


def synth_vqa(pairs: list[dict], seed: int = 0, per_pair: int = 3, experts: list[dict] | None = None) -> tuple[list[VQAItem], VQAReport]:  # fmt: skip
    report = VQAReport(pairs=len(pairs))
    items: list[VQAItem] = []
    for pair in pairs:
        rng = item_rng(seed, pair["id"], salt="vqa:")  # keyed by pair: order-independent
        try:
            got, dropped = questions_for_pair(pair, rng, per_pair)
        except (MermaidError, KeyError):
            report.unparsable_pairs += 1
            continue
        report.generated += len(got) + dropped
        report.dropped_unverified += dropped
        items += got
    graphs = {pair["id"]: pair for pair in pairs}
    for line, row in enumerate(experts or [], 1):
        try:
            item = VQAItem(**{"source": "expert", **row})
        except ValidationError as error:
            report.expert_errors.append(f"expert row {line}: {error.errors()[0]['msg']}")
            continue
        pair = graphs.get(item.pair_id)
        if item.check and pair is not None and not verify(item, parse(pair["mermaid"])):
            report.expert_errors.append(f"expert row {line}: answer does not match the diagram")
            continue
        items.append(item)
        report.experts += 1
    report.kept = len(items)
    report.by_kind = dict(Counter(item.kind for item in items))
    return items, report


def write_vqa(items: list[VQAItem], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w") as handle:
        for item in items:
            handle.write(json.dumps(item.model_dump(mode="json"), ensure_ascii=False) + "\n")
