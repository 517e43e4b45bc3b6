"""Parse Mermaid flowchart/graph and block(-beta) source into a DiagramGraph.

A statement is scanned left to right: node group (`A & B`), link, node group, link, ...
so chains (`A --> B --> C`) and fan-outs (`A & B --> C & D`) give every edge.
"""

from __future__ import annotations

import re

from ictrag.figures.graph import DiagramGraph, Edge, Group
from ictrag.figures.mermaid.syntax import (
    IGNORED_KEYWORDS,
    Line,
    MermaidError,
    clean_label,
    first_word,
    split_statements,
)

# (opener, {closer: shape}); longest openers first.
SHAPES: list[tuple[str, dict[str, str]]] = [
    ("(((", {")))": "double_circle"}),
    ("((", {"))": "circle"}),
    ("([", {"])": "stadium"}),
    ("[[", {"]]": "subroutine"}),
    ("[(", {")]": "database"}),
    ("[/", {"/]": "parallelogram", "\\]": "trapezoid"}),
    ("[\\", {"\\]": "parallelogram_alt", "/]": "trapezoid_alt"}),
    ("{{", {"}}": "hexagon"}),
    ("(", {")": "round"}),
    ("[", {"]": "rect"}),
    ("{", {"}": "decision"}),
    (">", {"]": "asymmetric"}),
]
# Shape names of the `A@{ shape: ... }` syntax mapped onto the classic ones.
NEW_SHAPES = {
    "rect": "rect",
    "rounded": "round",
    "stadium": "stadium",
    "subproc": "subroutine",
    "cyl": "database",
    "db": "database",
    "database": "database",
    "circle": "circle",
    "diam": "decision",
    "decision": "decision",
    "diamond": "decision",
    "hex": "hexagon",
    "lean-r": "parallelogram",
    "lean-l": "parallelogram_alt",
    "trap-b": "trapezoid",
    "trap-t": "trapezoid_alt",
    "dbl-circ": "double_circle",
    "doc": "document",
}
PLAIN_LINK = re.compile(r"(?P<l>[<ox])?(?P<body>-{2,}|={2,}|-\.+-|~{3,})(?P<r>[>ox])?")
TEXT_LINK_OPEN = re.compile(r"(?P<l><)?(?P<open>--|==|-\.)")
TEXT_LINK_CLOSE = {
    "--": re.compile(r"-{2,}[>ox]|-{3,}"),
    "==": re.compile(r"={2,}[>ox]|={3,}"),
    "-.": re.compile(r"\.+-[>ox]?"),
}
EDGE_ID = re.compile(r"[\w-]+@(?=[<ox\-=.~])")
WORD = re.compile(r"\w", re.UNICODE)


class Scanner:
    def __init__(self, text: str, graph: DiagramGraph, on_node, edge_ids: set[str]) -> None:
        self.text = text
        self.pos = 0
        self.graph = graph
        self.on_node = on_node
        self.edge_ids = edge_ids
        """Ids given to edges (`A e1@--> B`), so that `e1@{...}` is not read as a node."""
        self.seen: list[str] = []
        self.defined: list[str] = []

    def fail(self, what: str) -> MermaidError:
        near = self.text[self.pos : self.pos + 20] or "end of line"
        return MermaidError(f"expected {what} at {near!r}")

    def skip_ws(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos].isspace():
            self.pos += 1

    def at_end(self) -> bool:
        self.skip_ws()
        return self.pos >= len(self.text)

    # -- nodes -----------------------------------------------------------------------------
    def node_id(self) -> str:
        self.skip_ws()
        text, start = self.text, self.pos
        pos = start
        while pos < len(text):
            char = text[pos]
            if (
                WORD.match(char)
                or char in "-."
                and pos + 1 < len(text)
                and WORD.match(text[pos + 1])
                and pos > start
            ):
                pos += 1
            else:
                break
        if pos == start:
            raise self.fail("a node id")
        self.pos = pos
        return text[start:pos]

    def quoted_or_until(self, closers: list[str]) -> tuple[str, str]:
        """Read label text up to one of the closers; return (raw text, closer)."""
        text = self.text
        self.skip_ws()
        if self.pos < len(text) and text[self.pos] == '"':
            end = text.find('"', self.pos + 1)
            if end < 0:
                raise self.fail('a closing "')
            raw = text[self.pos : end + 1]
            self.pos = end + 1
            self.skip_ws()
            for closer in closers:
                if text.startswith(closer, self.pos):
                    self.pos += len(closer)
                    return raw, closer
            raise self.fail(" or ".join(closers))
        best = None
        for closer in closers:
            index = text.find(closer, self.pos)
            if index >= 0 and (best is None or index < best[0]):
                best = (index, closer)
        if best is None:
            raise self.fail(" or ".join(closers))
        raw = text[self.pos : best[0]]
        self.pos = best[0] + len(best[1])
        return raw, best[1]

    def node(self) -> str:
        node_id = self.node_id()
        text = self.text
        label = shape = None
        if text.startswith("@{", self.pos):
            end = text.find("}", self.pos)
            if end < 0:
                raise self.fail("a closing }")
            body = text[self.pos + 2 : end]
            self.pos = end + 1
            if node_id in self.edge_ids:
                return ""
            found = re.search(r'label\s*:\s*("[^"]*"|[^,}]*)', body)
            label = clean_label(found[1]) if found else None
            found = re.search(r"shape\s*:\s*([\w-]+)", body)
            shape = NEW_SHAPES.get(found[1], found[1]) if found else None
        else:
            for opener, closers in SHAPES:
                if text.startswith(opener, self.pos):
                    self.pos += len(opener)
                    raw, closer = self.quoted_or_until(list(closers))
                    label, shape = clean_label(raw), closers[closer]
                    break
        match = re.compile(r":::[\w-]+").match(text, self.pos)
        if match:
            self.pos = match.end()
        self.graph.add_node(node_id, label or None, shape)
        self.on_node(node_id)
        self.seen.append(node_id)
        if label or shape:
            self.defined.append(node_id)
        return node_id

    def node_group(self) -> list[str]:
        ids = [self.node()]
        while not self.at_end() and self.text[self.pos] == "&":
            self.pos += 1
            ids.append(self.node())
        return [node_id for node_id in ids if node_id]

    # -- links -----------------------------------------------------------------------------
    def link(self) -> Edge:
        self.skip_ws()
        text = self.text
        match = EDGE_ID.match(text, self.pos)
        if match:
            self.edge_ids.add(match[0][:-1])
            self.pos = match.end()
        match = PLAIN_LINK.match(text, self.pos)
        if match and not (match["body"] in ("--", "==") and not match["r"]):
            self.pos = match.end()
            left, body, right = match["l"] or "", match["body"], match["r"] or ""
            label = ""
            self.skip_ws()
            if text.startswith("|", self.pos):
                self.pos += 1
                raw, _ = self.quoted_or_until(["|"])
                label = clean_label(raw)
            return _edge(left, body, right, label)
        match = TEXT_LINK_OPEN.match(text, self.pos)
        if not match:
            raise self.fail("a link such as -->")
        self.pos = match.end()
        closer = TEXT_LINK_CLOSE[match["open"]]
        self.skip_ws()
        if text.startswith('"', self.pos):
            end = text.find('"', self.pos + 1)
            if end < 0:
                raise self.fail('a closing "')
            found = closer.search(text, end + 1)
        else:
            found = closer.search(text, self.pos)
        if not found:
            raise self.fail(f"the end of the link opened with {match['open']}")
        label = clean_label(text[self.pos : found.start()])
        self.pos = found.end()
        close = found[0]
        right = close[-1] if close[-1] in ">ox" else ""
        body = match["open"][0] * 3 if match["open"] != "-." else "-.-"
        return _edge(match["l"] or "", body, right, label)

    def chain(self) -> None:
        left = self.node_group()
        while not self.at_end():
            edge = self.link()
            right = self.node_group()
            for source in left:
                for target in right:
                    self.graph.edges.append(
                        Edge(source, target, edge.label, edge.directed, edge.style)
                    )
            left = right


def _edge(left: str, body: str, right: str, label: str) -> Edge:
    style = "thick" if body[0] == "=" else "invisible" if body[0] == "~" else "solid"
    if "." in body:
        style = "dotted"
    # `<-->`, `o--o` and `x--x` point both ways: recorded as undirected.
    return Edge("", "", label, bool(right) and not left, style)


class _Groups:
    """The open subgraph / block stack and first-mention membership."""

    def __init__(self, graph: DiagramGraph) -> None:
        self.graph = graph
        self.stack: list[Group] = []
        self.placed: set[str] = set()
        self.edge_ids: set[str] = set()

    def open(self, group_id: str, label: str) -> None:
        parent = self.stack[-1].id if self.stack else None
        existing = self.graph.group(group_id)
        group = existing or Group(group_id, label or group_id, parent=parent)
        if existing is None:
            self.graph.groups.append(group)
        self.stack.append(group)

    def close(self, line: Line) -> None:
        if not self.stack:
            raise MermaidError(f"line {line.number}: 'end' without an open subgraph")
        self.stack.pop()

    def mention(self, node_id: str) -> None:
        if self.stack and node_id not in self.placed:
            self.stack[-1].members.append(node_id)
            self.placed.add(node_id)
        elif not self.stack:
            self.placed.discard(node_id)


def finish(graph: DiagramGraph, explicit: set[str]) -> None:
    """Links to a subgraph id name the group, not a new node: drop such implicit nodes."""
    group_ids = {group.id for group in graph.groups}
    for node_id in group_ids & set(graph.nodes) - explicit:
        del graph.nodes[node_id]
        for group in graph.groups:
            if node_id in group.members:
                group.members.remove(node_id)


def parse_flowchart(lines: list[Line], header: str, graph: DiagramGraph) -> None:
    graph.syntax = "flowchart"
    words = header.split(None, 1)
    rest = words[1] if len(words) > 1 else ""
    parts = split_statements(rest)
    if parts and re.fullmatch(r"(TB|TD|BT|RL|LR)", parts[0]):
        graph.direction = "TD" if parts[0] == "TB" else parts[0]
        parts = parts[1:]
    statements = [Line(lines[0].number, part) for part in parts] if lines else []
    for line in lines[1:]:
        statements += [Line(line.number, part) for part in split_statements(line.text)]
    groups = _Groups(graph)
    explicit: set[str] = set()
    for line in statements:
        try:
            _flow_statement(line, graph, groups, explicit)
        except MermaidError as error:
            raise MermaidError(f"line {line.number}: {error}") from None
    if groups.stack:
        raise MermaidError(f"subgraph {groups.stack[-1].id!r} is never closed with 'end'")
    finish(graph, explicit)


def _flow_statement(line: Line, graph: DiagramGraph, groups: _Groups, explicit: set[str]):
    text = line.text
    word = first_word(text)
    if word == "subgraph":
        rest = text[len("subgraph") :].strip()
        group_id, label = _subgraph_title(rest, len(graph.groups) + 1)
        groups.open(group_id, label)
        return
    if text == "end":
        groups.close(line)
        return
    if word == "direction" or word in IGNORED_KEYWORDS and not _looks_like_edge(text, word):
        return
    before = len(graph.edges)
    scanner = Scanner(text, graph, groups.mention, groups.edge_ids)
    scanner.chain()
    explicit.update(scanner.defined)
    if len(graph.edges) == before:  # a lone node statement names a node, not a group
        explicit.update(scanner.seen)


def _looks_like_edge(text: str, word: str) -> bool:
    """`class --> B` uses a keyword as a node id; `class A foo` is a class statement."""
    rest = text[len(word) :]
    return bool(re.match(r"\s*(-->|---|-\.|==|&|\[|\(|\{)", rest))


def _subgraph_title(rest: str, number: int) -> tuple[str, str]:
    if not rest:
        return f"subgraph{number}", ""
    if rest.startswith('"'):
        label = clean_label(rest)
        return label, label
    match = re.match(r"([\w.-]+)\s*(\[(.*)\])?\s*$", rest)
    if match and match[2]:
        return match[1], clean_label(match[3])
    if match:
        return match[1], match[1]
    return rest, clean_label(rest)


BLOCK_ARROW = re.compile(r"[\w-]+\s*<\[.*?\]>\s*\([^)]*\)")
SPACE = re.compile(r"space(:\d+)?\b")


def parse_block(lines: list[Line], graph: DiagramGraph) -> None:
    """block-beta, best effort: nodes, nested blocks as groups, and links."""
    graph.syntax = "block-beta"
    groups = _Groups(graph)
    explicit: set[str] = set()
    counter = 0
    for line in lines[1:]:
        text = line.text
        word = first_word(text)
        try:
            if word == "columns" or word in IGNORED_KEYWORDS:
                continue
            if word == "block":
                match = re.match(r"block(?::([\w-]+))?(?::\d+)?\s*$", text)
                if not match:
                    raise MermaidError(f"cannot read block opener {text!r}")
                counter += 1
                groups.open(match[1] or f"block{counter}", match[1] or "")
                continue
            if text == "end":
                groups.close(line)
                continue
            text = SPACE.sub(" ", BLOCK_ARROW.sub(" ", text)).strip()
            if not text:
                continue
            scanner = Scanner(text, graph, groups.mention, groups.edge_ids)
            if re.search(r"--|==|-\.", text):
                scanner.chain()
                continue
            while not scanner.at_end():
                explicit.add(scanner.node())
                width = re.compile(r":\d+").match(text, scanner.pos)
                if width:
                    scanner.pos = width.end()
        except MermaidError as error:
            raise MermaidError(f"line {line.number}: {error}") from None
    finish(graph, explicit)
