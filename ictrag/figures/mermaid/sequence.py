"""Parse Mermaid sequenceDiagram, stateDiagram(-v2) and classDiagram source (line based)."""

from __future__ import annotations

import re

from ictrag.figures.graph import Block, DiagramGraph, Edge, Group, Note, state_node
from ictrag.figures.mermaid.syntax import (
    IGNORED_KEYWORDS,
    Line,
    MermaidError,
    clean_label,
    first_word,
)

# -- sequenceDiagram ----------------------------------------------------------------------
ARROWS = r"<<-->>|<<->>|-->>|->>|--x|-x|--\)|-\)|-->|->"
MESSAGE = re.compile(
    rf"^(?P<src>[^:]+?)\s*(?P<arrow>{ARROWS})\s*(?P<act>[+-])?\s*(?P<dst>[^:]+?)\s*(?::(?P<text>.*))?$"
)
PARTICIPANT = re.compile(
    r"^(?:(?:create|destroy)\s+)?(?P<kind>participant|actor)\s+(?P<id>.+?)"
    r"(?:\s*@\{.*\})?(?:\s+as\s+(?P<alias>.+))?$"
)
NOTE = re.compile(
    r"^note\s+(?P<pos>left of|right of|over)\s+(?P<who>[^:]+?)\s*:(?P<text>.*)$", re.I
)
BLOCK_OPEN = ("alt", "opt", "loop", "par", "par_over", "critical", "break", "rect")
BLOCK_BRANCH = ("else", "and", "option")
COLOURS = (
    "aqua|black|blue|brown|coral|crimson|cyan|fuchsia|gold|gray|green|grey|indigo|ivory|khaki|"
    "lavender|lime|magenta|maroon|navy|olive|orange|orchid|pink|plum|purple|red|salmon|silver|"
    "tan|teal|tomato|turquoise|violet|wheat|white|yellow|(?:light|dark|pale|medium)[a-z]+"
)
BOX_COLOUR = re.compile(
    rf"^(?:transparent|rgba?\([^)]*\)|#[0-9a-fA-F]{{3,8}}|(?:{COLOURS})\b)\s*", re.I
)
SEQ_IGNORED = ("autonumber", "activate", "deactivate", "destroy", "create", "box_end")


def parse_sequence(lines: list[Line], graph: DiagramGraph) -> None:
    graph.syntax = "sequenceDiagram"
    stack: list[Block | Group] = []
    for line in lines[1:]:
        try:
            _sequence_line(line.text, graph, stack)
        except MermaidError as error:
            raise MermaidError(f"line {line.number}: {error}") from None
    if stack:
        raise MermaidError(f"block {_stack_name(stack[-1])!r} is never closed with 'end'")


def _stack_name(item: Block | Group) -> str:
    return item.kind if isinstance(item, Block) else "box"


def _sequence_line(text: str, graph: DiagramGraph, stack: list[Block | Group]) -> None:
    word = first_word(text)
    lower = word.lower()
    if text == "end":
        if not stack:
            raise MermaidError("'end' without an open block")
        item = stack.pop()
        if isinstance(item, Block):
            item.end = len(graph.messages)
        return
    if word in BLOCK_OPEN:
        label = "" if word == "rect" else clean_label(text[len(word) :])  # rect takes a colour
        block = Block(word, label, start=len(graph.messages))
        graph.blocks.append(block)
        stack.append(block)
        return
    if word in BLOCK_BRANCH:
        block = next((item for item in reversed(stack) if isinstance(item, Block)), None)
        if block is None:
            raise MermaidError(f"'{word}' outside a block")
        block.branches.append((clean_label(text[len(word) :]), len(graph.messages)))
        return
    if word == "box":
        label = BOX_COLOUR.sub("", text[3:].strip())
        group = Group(f"box{len(graph.groups) + 1}", clean_label(label) or "box")
        graph.groups.append(group)
        stack.append(group)
        return
    match = PARTICIPANT.match(text)
    if match:
        node_id = match["id"].strip()
        alias = clean_label(match["alias"]) if match["alias"] else None
        graph.add_participant(
            node_id, alias, "actor" if match["kind"] == "actor" else "participant"
        )
        _box_member(stack, node_id)
        return
    if word in SEQ_IGNORED or word in IGNORED_KEYWORDS:
        return
    match = NOTE.match(text)
    if match:
        targets = [target.strip() for target in match["who"].split(",")]
        graph.notes.append(Note(targets, clean_label(match["text"]), match["pos"].lower()))
        return
    if lower == "note":
        raise MermaidError(f"cannot read note {text!r}")
    match = MESSAGE.match(text)
    if match:
        # `()` marks a central connection (v11): not part of the participant id.
        source, target = match["src"].strip().strip("()"), match["dst"].strip().strip("()")
        for node_id in (source, target):
            if node_id not in graph.nodes:
                _box_member(stack, node_id)
        graph.add_message(source, target, clean_label(match["text"] or ""), match["arrow"])
        return
    raise MermaidError(f"cannot read {text!r}")


def _box_member(stack: list[Block | Group], node_id: str) -> None:
    box = next((item for item in reversed(stack) if isinstance(item, Group)), None)
    if box is not None and node_id not in box.members:
        box.members.append(node_id)


# -- stateDiagram(-v2) --------------------------------------------------------------------
STATE_REF = r"\[\*\]|[\w.-]+"
TRANSITION = re.compile(
    rf"^(?P<a>{STATE_REF})(?::::[\w-]+)?\s*-->\s*(?P<b>{STATE_REF})(?::::[\w-]+)?\s*(?::(?P<label>.*))?$"
)
STATE_AS = re.compile(r'^state\s+"(?P<label>[^"]*)"\s+as\s+(?P<id>[\w.-]+)\s*(?P<open>\{)?\s*$')
STATE_ID = re.compile(r"^state\s+(?P<id>[\w.-]+)\s*(?P<stereo><<\w+>>)?\s*(?P<open>\{)?\s*$")
STATE_DESC = re.compile(r"^(?P<id>[\w.-]+)\s*:(?P<text>.*)$")
STATE_NOTE = re.compile(
    r"^note\s+(?P<pos>left of|right of)\s+(?P<id>[\w.-]+)\s*(?::(?P<text>.*))?$", re.I
)


def parse_state(lines: list[Line], graph: DiagramGraph) -> None:
    graph.syntax = lines[0].text.split()[0]
    stack: list[Group] = []
    note: Note | None = None
    for line in lines[1:]:
        text = line.text
        if note is not None:
            if text.lower() == "end note":
                note.text = clean_label(note.text)
                note = None
            else:
                note.text += " " + text
            continue
        try:
            note = _state_line(text, graph, stack)
        except MermaidError as error:
            raise MermaidError(f"line {line.number}: {error}") from None
    if stack:
        raise MermaidError(f"composite state {stack[-1].id!r} is never closed with '}}'")
    if note is not None:
        raise MermaidError("note is never closed with 'end note'")


def _open_composite(graph: DiagramGraph, stack: list[Group], node_id: str) -> None:
    group = graph.group(node_id)
    if group is None:
        group = Group(node_id, graph.label_of(node_id), parent=stack[-1].id if stack else None)
        graph.groups.append(group)
    stack.append(group)


def _state_line(text: str, graph: DiagramGraph, stack: list[Group]) -> Note | None:
    word = first_word(text)
    if text == "}":
        if not stack:
            raise MermaidError("'}' without an open composite state")
        stack.pop()
        return None
    if text == "--" or word in ("direction", "hide", "scale") or word in IGNORED_KEYWORDS:
        return None
    match = TRANSITION.match(text)
    if match:
        source = state_node(graph, stack, match["a"], True)
        target = state_node(graph, stack, match["b"], False)
        graph.edges.append(Edge(source, target, clean_label(match["label"] or "")))
        return None
    match = STATE_AS.match(text)
    if match:
        state_node(graph, stack, match["id"], True)
        graph.add_node(match["id"], clean_label(match["label"]))
        if match["open"]:
            _open_composite(graph, stack, match["id"])
        return None
    match = STATE_ID.match(text)
    if match:
        node_id = state_node(graph, stack, match["id"], True)
        stereo = (match["stereo"] or "").strip("<>")
        if stereo in ("fork", "join", "choice"):
            graph.nodes[node_id].shape = stereo
        if match["open"]:
            _open_composite(graph, stack, node_id)
        return None
    match = STATE_NOTE.match(text)
    if match:
        note = Note([match["id"]], clean_label(match["text"] or ""), match["pos"].lower())
        graph.notes.append(note)
        return None if match["text"] is not None else note
    match = STATE_DESC.match(text)
    if match:
        node_id = state_node(graph, stack, match["id"], True)
        node = graph.nodes[node_id]
        description = clean_label(match["text"])
        if node.label == node.id:
            node.label = description
        else:
            node.attrs.append(description)
        return None
    if re.fullmatch(r"[\w.-]+(:::[\w-]+)?", text):
        state_node(graph, stack, text.split(":::")[0], True)
        return None
    raise MermaidError(f"cannot read {text!r}")


# -- classDiagram -------------------------------------------------------------------------
CLASS_NAME = r"(?:`[^`]+`|[\w.-]+(?:~[^~]*~)?)"
RELATION = re.compile(
    rf'^(?P<a>{CLASS_NAME})\s*(?:"(?P<ca>[^"]*)")?\s*'
    r"(?P<rel>(?:<\||\*|o|<|\}|\(\))?(?:--|\.\.)(?:\|>|\*|o|>|\{|\(\))?)\s*"
    rf'(?:"(?P<cb>[^"]*)")?\s*(?P<b>{CLASS_NAME})\s*(?::(?P<label>.*))?$'
)
CLASS_DEF = re.compile(
    rf'^class\s+(?P<id>{CLASS_NAME})\s*(?:\["(?P<label>[^"]*)"\])?\s*(?::::[\w-]+)?\s*(?P<open>\{{)?\s*(?P<body>[^}}]*)(?P<close>\}})?$'
)
MEMBER = re.compile(rf"^(?P<id>{CLASS_NAME})\s*:\s*(?P<member>.+)$")
ANNOTATION = re.compile(rf"^<<[^>]+>>\s*{CLASS_NAME}$")


def parse_class(lines: list[Line], graph: DiagramGraph) -> None:
    graph.syntax = "classDiagram"
    open_class: str | None = None
    namespaces: list[Group] = []
    for line in lines[1:]:
        text = line.text
        if open_class is not None:
            if text == "}":
                open_class = None
            elif not text.startswith("<<"):
                graph.nodes[open_class].attrs.append(text)
            continue
        try:
            open_class = _class_line(text, graph, namespaces)
        except MermaidError as error:
            raise MermaidError(f"line {line.number}: {error}") from None
    if open_class is not None:
        raise MermaidError(f"class {open_class!r} is never closed with '}}'")


def _class_node(graph: DiagramGraph, name: str, namespaces: list[Group]) -> str:
    node_id = name.strip("`") if name.startswith("`") else name.split("~")[0]
    if node_id not in graph.nodes:
        graph.add_node(node_id, shape="class")
        if namespaces:
            namespaces[-1].members.append(node_id)
    return node_id


def _class_line(text: str, graph: DiagramGraph, namespaces: list[Group]) -> str | None:
    word = first_word(text)
    if word == "namespace":
        match = re.match(r'namespace\s+([\w.-]+)\s*(?:\["?([^\]"]*)"?\])?\s*\{\s*$', text)
        if not match:
            raise MermaidError(f"cannot read namespace {text!r}")
        group = Group(match[1], clean_label(match[2] or ""))
        graph.groups.append(group)
        namespaces.append(group)
        return None
    if text == "}":
        if not namespaces:
            raise MermaidError("'}' without an open namespace")
        namespaces.pop()
        return None
    match = CLASS_DEF.match(text)
    if match:
        node_id = _class_node(graph, match["id"], namespaces)
        if match["label"]:
            graph.nodes[node_id].label = clean_label(match["label"])
        if match["open"] and match["body"].strip():
            graph.nodes[node_id].attrs.append(match["body"].strip())
        return node_id if match["open"] and not match["close"] else None
    if word in ("direction", "note") or word in IGNORED_KEYWORDS or ANNOTATION.match(text):
        return None
    match = RELATION.match(text)
    if match:
        source = _class_node(graph, match["a"], namespaces)
        target = _class_node(graph, match["b"], namespaces)
        rel = match["rel"]
        lollipop = "()" in rel
        directed = not lollipop and (rel[-1] in ">|*o{" or rel[0] in "<*o}")
        if directed and rel[0] in "<*o}" and rel[-1] not in ">|*o{":  # head on the left
            source, target = target, source
        style = "dotted" if ".." in rel else "solid"
        graph.edges.append(Edge(source, target, clean_label(match["label"] or ""), directed, style))
        return None
    match = MEMBER.match(text)
    if match:
        node_id = _class_node(graph, match["id"], namespaces)
        graph.nodes[node_id].attrs.append(match["member"].strip())
        return None
    raise MermaidError(f"cannot read {text!r}")
