"""Pieces the source writers share: quoting, a topology link's end labels, and the order in
which a sequence's blocks open and close around its messages."""

from __future__ import annotations

import re
from collections.abc import Callable

from ictrag.figures.graph import Block, DiagramGraph, Edge, Message

_INTERFACE = re.compile(r"^(?=.*[A-Za-z])(?=.*\d)[\w/.:-]+$")
_ADDRESS = re.compile(r"^\d{1,3}(\.\d{1,3}){3}(/\d{1,2})?$")


def quoted(text: str) -> str:
    """A double-quoted string literal for DOT, mscgen, seqdiag and PlantUML."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def link_parts(edge: Edge) -> tuple[str, str, str]:
    """(text at the source end, text in the middle, text at the target end) of a link:
    `GE0/0/1 - GE0/0/2` puts one interface at each end, `GE0/0/1 10.1.2.1/30` the interface
    at the source and the subnet in the middle; anything else sits in the middle."""
    if edge.source_label or edge.target_label:
        middle = edge.label
        for end in (edge.source_label, edge.target_label):
            middle = middle.replace(end, "", 1) if end else middle
        return edge.source_label, middle.strip(" -"), edge.target_label
    parts = edge.label.split(" - ")
    if len(parts) == 2 and all(_INTERFACE.match(p.strip()) for p in parts):
        return parts[0].strip(), "", parts[1].strip()
    words = edge.label.split()
    if len(words) == 2 and _INTERFACE.match(words[0]) and _ADDRESS.match(words[1]):
        return words[0], words[1], ""
    return "", edge.label, ""


def block_events(graph: DiagramGraph) -> dict[int, list[tuple[str, Block, str]]]:
    """Message order -> what happens before it: ("open", block, label), ("else", block,
    label) or ("close", block, "") ; key len(messages) holds what closes after the last one.
    Outer blocks open first and close last."""
    events: dict[int, list[tuple[str, Block, str]]] = {}
    for block in sorted(graph.blocks, key=lambda b: (b.end, -b.start)):  # inner ones first
        events.setdefault(block.end, []).append(("close", block, ""))
    for block in graph.blocks:
        for label, first in block.branches:
            events.setdefault(first, []).append(("else", block, label))
    for block in sorted(graph.blocks, key=lambda b: (b.start, -b.end)):  # outer ones first
        events.setdefault(block.start, []).append(("open", block, block.label))
    return events


def sequence_lines(graph: DiagramGraph, message: Callable[[Message], str], blocks: Callable[[list], list[str]]) -> list[str]:  # fmt: skip
    """A call flow's messages in order, each written by `message`, with what `blocks` writes
    for the block events (`block_events`) before each and after the last."""
    events = block_events(graph)
    lines: list[str] = []
    for item in graph.messages:
        lines += blocks(events.get(item.order, []))
        lines.append(message(item))
    return lines + blocks(events.get(len(graph.messages), []))


def response(arrow: str) -> bool:
    return arrow.startswith("--")
