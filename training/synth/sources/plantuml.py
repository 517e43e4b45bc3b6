"""PlantUML for call flows (sequence), state machines, procedures (activity), architectures
(component) and topologies (deployment).

Procedures use the activity syntax, which is structured: a step followed by a decision whose
"no" branch runs a remedy and returns to the step becomes `repeat ... backward ... repeat
while`; a remedy that ends the procedure becomes an `if` whose branch stops. A flowchart of
any other shape is not drawable here (`draws` is False) rather than drawn wrong.
"""

from __future__ import annotations

from ictrag.training.synth.sources.common import link_parts, quoted, response, sequence_lines
from ictrag.training.synth.styles import Style

from ictrag.figures.graph import DiagramGraph, Edge

TERMINAL_LABELS = {"start", "end", "stop", "begin", "finish"}
SEQUENCE_BLOCKS = {"alt": "alt", "opt": "opt", "loop": "loop", "par": "par",
                   "critical": "critical", "break": "break", "rect": "group"}  # fmt: skip
ELEMENTS = {"circle": "node", "rect": "node", "hexagon": "node", "database": "database",
            "round": "card", "stadium": "cloud"}  # fmt: skip


def draws(graph: DiagramGraph) -> bool:
    return graph.kind != "flowchart" or _activity(graph) is not None


def emit(graph: DiagramGraph, style: Style) -> str:
    body = {
        "sequence": _sequence,
        "state": _state,
        "flowchart": lambda g: _activity(g) or [],
        "architecture": _components,
        "topology": _deployment,
    }[graph.kind](graph)
    lines = ["@startuml", *_skin(style)]
    if graph.title:
        lines.append(f"title {graph.title}")
    if graph.kind in ("state", "architecture", "topology") and graph.direction == "LR":
        lines.append("left to right direction")
    return "\n".join([*lines, *body, "@enduml"]) + "\n"


def _skin(style: Style) -> list[str]:
    lines = {
        "monochrome": ["skinparam monochrome true"],
        "handwritten": ["!option handwritten true"],
        "plain": ["!theme plain"],
        "cerulean": ["!theme cerulean"],
    }.get(style.variant, [])
    lines += [f"skinparam defaultFontName {style.font}", f"skinparam defaultFontSize {style.font_size}",
              "skinparam backgroundColor white", "skinparam shadowing false"]  # fmt: skip
    if style.variant == "default":
        lines += [f"skinparam ArrowColor {style.stroke}", f"skinparam defaultFontColor {style.font_colour}"]  # fmt: skip
    return lines


def _sequence(graph: DiagramGraph) -> list[str]:
    lines = []
    for node_id in graph.participants:
        node = graph.nodes[node_id]
        kind = "actor" if node.shape == "actor" else "participant"
        lines.append(f"{kind} {quoted(node.label)} as {node_id}")

    def message(item) -> str:
        arrow = "-->" if response(item.arrow) else "->"
        return f"{item.source} {arrow} {item.target}" + (f" : {item.label}" if item.label else "")

    lines += sequence_lines(graph, message, _block_lines)
    for note in graph.notes:
        targets = [t for t in note.targets if t in graph.nodes][:2]
        if targets and note.text:
            lines.append(f"note over {', '.join(targets)} : {note.text}")
    return lines


def _block_lines(events) -> list[str]:
    lines = []
    for what, block, label in events:
        if what == "close":
            lines.append("end")
        elif what == "else":
            lines.append(f"else {label}".rstrip())
        else:
            lines.append(f"{SEQUENCE_BLOCKS.get(block.kind, 'group')} {label}".rstrip())
    return lines


def _state(graph: DiagramGraph) -> list[str]:
    lines = []
    for node in graph.nodes.values():
        if node.shape not in ("start", "end"):
            lines.append(f"state {quoted(node.label)} as {node.id}")

    def ref(node_id: str) -> str:
        return "[*]" if graph.nodes[node_id].shape in ("start", "end") else node_id

    for edge in graph.edges:
        label = f" : {edge.label}" if edge.label else ""
        lines.append(f"{ref(edge.source)} --> {ref(edge.target)}{label}")
    return lines


def _components(graph: DiagramGraph) -> list[str]:
    def declare(node_id: str) -> str:
        node = graph.nodes[node_id]
        return f"{'database' if node.shape == 'database' else 'rectangle'} {quoted(node.label)} as {node_id}"  # fmt: skip

    lines = _contained(graph, "package", declare)
    for edge in graph.edges:
        arrow = "-->" if edge.directed else "--"
        label = f" : {edge.label}" if edge.label else ""
        lines.append(f"{edge.source} {arrow} {edge.target}{label}")
    return lines


def _deployment(graph: DiagramGraph) -> list[str]:
    def declare(node_id: str) -> str:
        node = graph.nodes[node_id]
        return f"{ELEMENTS.get(node.shape, 'node')} {quoted(node.label)} as {node_id}"

    lines = _contained(graph, "rectangle", declare)
    for edge in graph.edges:
        tail, middle, head = link_parts(edge)
        ends = (f" {quoted(tail)}" if tail else "", f"{quoted(head)} " if head else "")
        label = f" : {middle}" if middle else ""
        lines.append(f"{edge.source}{ends[0]} -- {ends[1]}{edge.target}{label}")
    return lines


def _contained(graph: DiagramGraph, keyword: str, declare) -> list[str]:
    """Each group as `keyword "label" { ... }` around its members, then the other nodes."""
    lines = []
    for group in graph.groups:
        lines.append(f"{keyword} {quoted(group.label)} {{")
        lines += [f"  {declare(m)}" for m in group.members if m in graph.nodes]
        lines.append("}")
    grouped = {m for g in graph.groups for m in g.members}
    return lines + [declare(node_id) for node_id in graph.nodes if node_id not in grouped]


# -- activity -----------------------------------------------------------------------------
def _activity(graph: DiagramGraph) -> list[str] | None:
    """Activity lines for a chain of steps with decisions, or None when the flowchart has
    another shape (a join, a jump forward, a loop that is not a remedy's return)."""
    outgoing: dict[str, list[Edge]] = {node_id: [] for node_id in graph.nodes}
    incoming: dict[str, int] = dict.fromkeys(graph.nodes, 0)
    for edge in graph.edges:
        if edge.source not in graph.nodes or edge.target not in graph.nodes:
            return None
        outgoing[edge.source].append(edge)
        incoming[edge.target] += 1
    entries = [n for n, count in incoming.items() if count == 0]
    if len(entries) != 1:
        return None
    lines: list[str] = []
    current, seen = entries[0], set()
    while True:
        if current in seen:
            return None
        seen.add(current)
        node = graph.nodes[current]
        out = outgoing[current]
        if _terminal(graph, current, out, incoming):
            lines.append("start" if not lines and out else "stop")
            if not out:
                return lines
            current = out[0].target
            continue
        after = out[0].target if len(out) == 1 else None
        loop = _remedy_loop(graph, current, after, outgoing) if after else None
        if loop is not None:
            question, yes, no, remedy, onward = loop
            lines += ["repeat", f":{node.label};", f"backward :{graph.nodes[remedy].label};",
                      f"repeat while ({graph.nodes[question].label}) is ({no.label}) not ({yes.label})"]  # fmt: skip
            seen.update((question, remedy))
            current = onward
            continue
        if node.shape == "decision":
            branch = _stop_branch(graph, current, out, outgoing)
            if branch is None:
                return None
            yes, no, remedy = branch
            lines += [f"if ({node.label}) then ({no.label})", f"  :{graph.nodes[remedy].label};",
                      "  stop", f"else ({yes.label})", "endif"]  # fmt: skip
            seen.add(remedy)
            current = yes.target
            continue
        if len(out) > 1:
            return None
        lines.append(f":{node.label};")
        if not out:
            return lines
        current = out[0].target


def _terminal(graph: DiagramGraph, node_id: str, out: list[Edge], incoming: dict[str, int]) -> bool:  # fmt: skip
    node = graph.nodes[node_id]
    if node.label.strip().lower() not in TERMINAL_LABELS or node.shape == "decision":
        return False
    return (incoming[node_id] == 0 and len(out) == 1) or not out


def _remedy_loop(graph: DiagramGraph, step: str, decision: str, outgoing):
    """step -> decision; decision -yes-> onward, -no-> remedy -> step."""
    if graph.nodes[decision].shape != "decision" or len(outgoing[decision]) != 2:
        return None
    for no in outgoing[decision]:
        remedy = no.target
        back = outgoing[remedy]
        if len(back) == 1 and back[0].target == step and remedy != step:
            yes = next(e for e in outgoing[decision] if e is not no)
            if yes.target in (step, remedy):
                return None
            return decision, yes, no, remedy, yes.target
    return None


def _stop_branch(graph: DiagramGraph, decision: str, out: list[Edge], outgoing):
    """decision -no-> remedy -> a final terminal; -yes-> onward."""
    if len(out) != 2:
        return None
    for no in out:
        remedy = no.target
        back = outgoing[remedy]
        if len(back) == 1 and not outgoing[back[0].target] and graph.nodes[back[0].target].label.strip().lower() in TERMINAL_LABELS:  # fmt: skip
            yes = next(e for e in out if e is not no)
            if yes.target != remedy:
                return yes, no, remedy
    return None
