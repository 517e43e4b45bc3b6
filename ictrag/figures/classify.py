"""Figure-type taxonomy: flowchart, sequence, topology, architecture, state, packet, table,
chart, screenshot, photo, other.

`graph_kind` decides from a recovered structure (decisions -> flowchart, [*] pseudo-states
-> state, device/interface words with undirected links -> topology, nested containers ->
architecture).
"""

from __future__ import annotations

import re

from ictrag.figures.graph import DiagramGraph

DEVICE_WORDS = re.compile(
    r"\b(router|switch|firewall|server|host|client|gateway|bridge|hub|ap|access point|"
    r"internet|lan|wan|vlan|isp|as\d*|r\d+|s\d+|sw\d*|pc\d*|h\d+|eNB|gNB|pe\d*|ce\d*|p\d+)\b",
    re.IGNORECASE,
)
INTERFACE = re.compile(
    r"\b((?:[GX]?E|GE|XGE|Eth|eth|Gi|Fa|Te|Serial|S)\d+(?:/\d+)+|eth\d+|ens\d+|"
    r"\d{1,3}(?:\.\d{1,3}){3}(?:/\d+)?|[0-9a-f]{1,4}(?::[0-9a-f]{0,4}){2,}(?:/\d+)?)",
    re.IGNORECASE,
)
STATE_WORDS = re.compile(
    r"\b(idle|state|waiting|connected|disconnected|established|listen|closed|open|active|"
    r"inactive|init|ready|running|stopped|syn[_ -]?sent|syn[_ -]?rcvd|fin[_ -]?wait\S*|"
    r"time[_ -]?wait|close[_ -]?wait|last[_ -]?ack|registered|deregistered|attached|detached)\b",
    re.IGNORECASE,
)


def graph_kind(graph: DiagramGraph, texts: list[str]) -> str:
    """The figure kind that best explains a recovered node/edge graph."""
    if graph.messages:
        return "sequence"
    if graph.fields:
        return "packet"
    shapes = [node.shape for node in graph.nodes.values()]
    labels = [node.label for node in graph.nodes.values()]
    all_text = " ".join(texts)
    if any(shape in ("start", "end") for shape in shapes) and graph.edges:
        return "state"
    if any(shape == "decision" for shape in shapes):
        return "flowchart"
    n = max(1, len(graph.nodes))
    state_hits = sum(1 for label in labels if STATE_WORDS.search(label))
    if graph.edges and state_hits >= max(2, 0.5 * n):
        return "state"
    undirected = sum(1 for edge in graph.edges if not edge.directed)
    device_hits = sum(1 for label in labels if DEVICE_WORDS.search(label))
    interfaces = len(INTERFACE.findall(all_text))
    undirected_links = bool(graph.edges) and undirected >= 0.5 * len(graph.edges)
    if undirected_links and (device_hits >= 0.3 * n or interfaces >= 1):
        return "topology"
    if interfaces >= 2 and device_hits >= 2:
        return "topology"
    nested = [group for group in graph.groups if group.members]
    if len(nested) >= 2 or (nested and not graph.edges):
        return "architecture"
    if graph.edges and undirected >= 0.7 * len(graph.edges) and device_hits:
        return "topology"
    if graph.edges:
        return "flowchart"
    if nested:
        return "architecture"
    return "other"
