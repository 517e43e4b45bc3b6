"""PlantUML source read into a DiagramGraph: sequence diagrams (participants, messages with
PlantUML's own step numbers, frames, notes, boxes) and simple state diagrams.

    graph = parse_plantuml(code)     # PlantUMLError (one line) when no diagram can be read

A source copied into a Word document often lost its line breaks (the O-RAN specifications:
"participant "A" as X participant "B" as Y X -> Y : hello Note over Y : done"). Such a
*flattened* source is cut back into statements before every PlantUML statement head; a
normal source is read line by line, where a label may hold any word.
"""

from __future__ import annotations

import re

from ictrag.figures.graph import Block, DiagramGraph, Edge, Group, Note, state_node


class PlantUMLError(ValueError):
    """The source holds no diagram this reader understands; the message is one line."""


DECLARE = r"participant|actor|boundary|control|entity|database|collections|queue"
_TYPOGRAPHY = str.maketrans({"“": '"', "”": '"', "„": '"', "‘": "'", "’": "'", "\u00a0": " ",
                             "\u200b": "", "\ufeff": ""})  # fmt: skip
_ID = r'"[^"\n]+"|[\w.$@]+'
_ARROW = r"(?P<arrow>(?:<<|<|[\\/]{1,2}|[ox](?=-))?-+(?:\[[^\]\n]*\])?-*(?:>>|>|[\\/]{1,2}|-?[ox](?!\w))?)"
_DECLARATION = re.compile(
    rf"^(?P<kind>{DECLARE})\s+(?P<first>{_ID})(?:\s+as\s+(?P<second>{_ID}))?(?P<rest>.*)$", re.I
)
_BLOCKS = ("alt", "opt", "loop", "par", "critical", "break", "group")
_NOTE = re.compile(
    r"^(?:[hr]?note)\s+(?P<pos>over|left(?:\s+of)?|right(?:\s+of)?)\b\s*(?P<rest>.*)$", re.I
)
_REF = re.compile(r"^ref\s+over\s+(?P<rest>.*)$", re.I)
_AUTONUMBER = re.compile(
    r'^autonumber\b\s*(?P<stop>stop|resume)?\s*(?P<start>\d+(?:\.\d+)*)?\s*(?P<step>\d+)?\s*(?:"(?P<fmt>[^"]*)")?',
    re.I,
)
_IGNORED = re.compile(
    r"^(?:skin|skinparam|hide|show|scale|activate|deactivate|destroy|create|return|newpage|"
    r"footer|header|legend|end\s*legend|caption|left\s+to|top\s+to|mainframe|![\w$]+|\.\.\.|\|\|\||"
    r"\|\|\d+\|\||space|delay)\b",
    re.I,
)
_STATE_HINT = re.compile(r"\[\*\]|^\s*state\s", re.M | re.I)


def parse_plantuml(text: str) -> DiagramGraph:
    """The diagram of the first `@startuml ... @enduml` (or the whole text without them)."""
    body = _body(text)
    if _STATE_HINT.search(body) and not re.search(rf"^\s*(?:{DECLARE})\s", body, re.M | re.I):
        graph = _parse_state(_lines(body))
    else:
        graph = _parse_sequence(body)
    if not graph.nodes:
        raise PlantUMLError("no participants, messages or states in this PlantUML source")
    return graph


def _body(text: str) -> str:
    text = text.translate(_TYPOGRAPHY)
    # Word turns a typed "--" into a dash: "A –> B" was "A --> B"
    text = re.sub(r"[–—](?=>)|(?<=<)[–—]", "--", text)
    start = re.search(r"@start\w+", text, re.I)
    if start is not None:
        text = text[start.end() :]
        end = re.search(r"@end\w+", text, re.I)
        text = text[: end.start()] if end is not None else text
    text = re.sub(r"/'.*?'/", " ", text, flags=re.S)
    return text


def _lines(body: str) -> list[str]:
    out = []
    for line in body.splitlines():
        line = line.strip()
        if line and not line.startswith("'"):
            out.append(line)
    return out


# -- statements -------------------------------------------------------------------------


def _known_ids(body: str) -> list[str]:
    """Participant ids and names a source declares or starts a message line with."""
    ids: set[str] = set()
    declared = rf"(?:{DECLARE})\s+(?P<first>{_ID})(?:\s+as\s+(?P<second>{_ID}))?"
    # at a line start any declaration; inside a line only `X as Y` or a quoted name, not
    # the word in a label ("group Actor Decision Making")
    pattern = rf'(?:^\s*|(?<!\S)(?=(?:{DECLARE})\s+(?:"|[\w.]+\s+as\s))){declared}'
    for match in re.finditer(pattern, body, re.I | re.M):
        for key in ("first", "second"):
            if match[key]:
                ids.add(match[key])
    for line in body.splitlines():
        match = re.match(rf"\s*({_ID})\s*{_ARROW}\s*({_ID})", line)
        if match and ("<" in match["arrow"] or ">" in match["arrow"]):
            ids.update((match[1], match[3]))
    return sorted(ids, key=len, reverse=True)


_MESSAGE_HEAD = re.compile(rf"({_ID})\s*{_ARROW}\s*({_ID})")


def _heads(ids: list[str]) -> re.Pattern[str]:
    """Where a statement starts inside a flattened source."""
    who = "|".join(re.escape(i) for i in ids) or r"(?!x)x"
    head = (
        rf'(?:{DECLARE})\s+(?="|[\w.]+\s+as\s)|'
        r"[hr]?note\s+(?:over|left|right)\b|ref\s+over\b|"
        r"end\s*(?:note|ref|box|alt|opt|loop|par|group|critical|break)\b|end\b|"
        r'box(?=\s*["#]|\s*$)|(?:else|alt|opt|loop|par|critical|break|group)\b|'
        r"autonumber\b|title\b|skin(?:param)?\b|hide\b|==[^=]*==|\|\|\||\.\.\.(?=\s|$)|![\w$]+|"
        rf"(?:activate|deactivate|destroy)\s+(?:{who})(?!\S)|"
        rf"(?:{who})\s*(?=(?:<<|<|[\\/]{{1,2}}|o|x)?-+(?:\[[^\]]*\])?-*(?:>>|>|[\\/]|x)|<-)"
    )
    return re.compile(rf"(?<!\S)(?:{head})", re.I)


_SURE_HEAD = re.compile(
    rf'(?<!\S)(?:(?:{DECLARE})\s+(?:"[^"]+"\s+as|[\w.]+\s+as\s+"?)|[hr]?note\s+(?:over|left|right)\b'
    r"|autonumber\b|title\b|skin(?:param)?\s)",
    re.I,
)


def _is_flattened(lines: list[str], heads: re.Pattern[str]) -> bool:
    """A source whose line breaks were lost: some line holds a second declaration, note,
    title or numbering command, or a second message (words like "end" alone do not count:
    a label may hold them)."""
    for line in lines:
        if any(m.start() > 0 for m in _SURE_HEAD.finditer(line)):
            return True
        starts = [m.start() for m in heads.finditer(line) if not _SURE_HEAD.match(line, m.start())]
        if sum(1 for start in starts if _MESSAGE_HEAD.match(line, start)) > 1:
            return True
    return False


def statements(text: str) -> list[str]:
    """The source's statements in order: its lines, or a flattened source cut at the heads."""
    body = _body(text)
    ids = _known_ids(body)
    heads = _heads(ids)
    lines = _lines(body)
    if not _is_flattened(lines, heads):
        return lines
    out: list[str] = []
    for line in lines:
        cuts = [m.start() for m in heads.finditer(line)]
        if not cuts or cuts[0] > 0:  # the line goes on with the statement before it
            head = line[: cuts[0]] if cuts else line
            if out:
                out[-1] = f"{out[-1]} {head.strip()}"
            else:
                out.append(head.strip())
        out += [line[a:b].strip() for a, b in zip(cuts, [*cuts[1:], len(line)], strict=False)]
    return [statement for statement in out if statement]


# -- sequence ---------------------------------------------------------------------------


def _label(raw: str) -> str:
    """A label as one line: PlantUML's `\\n` and `\\t` escapes become spaces."""
    return " ".join(re.sub(r"\\[nt]", " ", raw).split())


def _name(raw: str) -> str:
    return _label(raw.strip().strip('"'))


class _Numbers:
    """PlantUML's `autonumber`: the step number it prints before a message's text."""

    def __init__(self) -> None:
        self.on = False
        self.parts = [1]
        self.step = 1
        self.fmt = ""

    def set(self, match: re.Match[str]) -> None:
        if match["stop"]:
            self.on = match["stop"].lower() == "resume"
            return
        self.on = True
        if match["start"]:
            self.parts = [int(p) for p in match["start"].split(".")]
        else:
            self.parts = [1]
        self.step = int(match["step"]) if match["step"] else 1
        self.fmt = re.sub(r"<[^>]*>", "", match["fmt"] or "")

    def next(self) -> str:
        if not self.on:
            return ""
        number = ".".join(str(p) for p in self.parts)
        self.parts[-1] += self.step
        zeros = re.search(r"0+|#+", self.fmt)
        if zeros is None:
            return number
        digits = number.zfill(len(zeros[0])) if "." not in number else number
        return self.fmt[: zeros.start()] + digits + self.fmt[zeros.end() :]


def _split_targets(rest: str, graph: DiagramGraph) -> tuple[list[str], str]:
    """`A, B : text` or `A text` (a flattened note) -> ([A, B], text)."""
    ids = sorted(graph.nodes, key=len, reverse=True)
    targets: list[str] = []
    rest = rest.strip()
    while rest:
        found = next(
            (i for i in ids if re.match(rf'"?{re.escape(i)}"?(?![\w])', rest)),
            None,
        )
        if found is None:
            break
        targets.append(found)
        rest = rest[len(found) :].lstrip().lstrip('"').lstrip()
        if not rest.startswith(","):
            break
        rest = rest[1:].lstrip()
    if not targets:
        word = re.match(rf"({_ID})", rest)
        if word is not None and (":" in rest or len(rest.split()) == 1):
            targets, rest = [word[1].strip('"')], rest[word.end() :]
    return targets, rest.lstrip().removeprefix(":").strip()


def _parse_sequence(body: str) -> DiagramGraph:
    graph = DiagramGraph(kind="sequence")
    numbers = _Numbers()
    message = re.compile(
        rf"^(?P<src>{_ID})\s*{_ARROW}\s*(?P<dst>{_ID})?\s*(?:\*\*|\+\+|--|!!)?\s*(?::(?P<text>.*))?$"
    )
    blocks: list[Block] = []
    boxes: list[Group] = []
    note: tuple[Note, list[str]] | None = None
    last_target = ""
    for line in statements(body) if body.strip() else []:
        lower = line.lower()
        if note is not None:  # a note over several lines, until `end note` / `end ref`
            end = re.search(r"\bend\s*(?:note|ref)\s*$", line, re.I)
            note[1].append(line[: end.start()] if end else line)
            if end:
                note[0].text = _name(" ".join(note[1]))
                graph.notes.append(note[0])
                note = None
            continue
        if line.startswith("{") or line == "}":
            continue
        if lower.startswith("title"):
            graph.title = _name(line[5:])
            continue
        match = _AUTONUMBER.match(line)
        if match:
            numbers.set(match)
            continue
        if re.match(r"^end\s*box\b", lower):
            if boxes:
                boxes.pop()
            continue
        if re.match(r'^box\b(?=\s*["#]|\s*$)', lower):
            label = re.sub(r"#\S+", "", line[3:])
            group = Group(f"box{len(graph.groups) + 1}", _name(label) or "box")
            graph.groups.append(group)
            boxes.append(group)
            continue
        match = _DECLARATION.match(line)
        if match:
            first, second = match["first"], match["second"]
            if second and first.startswith('"') and not second.startswith('"'):
                node_id, label = second, _name(first)
            elif second:
                node_id, label = first.strip('"'), _name(second)
            else:
                node_id, label = first.strip('"'), _name(first)
            shape = "actor" if match["kind"].lower() == "actor" else "participant"
            graph.add_participant(node_id, label, shape)
            if boxes and node_id not in boxes[-1].members:
                boxes[-1].members.append(node_id)
            continue
        match = _NOTE.match(line) or _REF.match(line)
        if match:
            position = (match.groupdict().get("pos") or "over").lower()
            position = {"left": "left of", "right": "right of"}.get(position, position)
            position = re.sub(r"\s+", " ", position)
            targets, text = _split_targets(match["rest"], graph)
            if not targets and last_target:
                targets = [last_target]
            item = Note(targets, "", position)
            end = re.search(r"\bend\s*(?:note|ref)\s*$", text, re.I)
            if ":" in match["rest"] or end:
                item.text = _name(text[: end.start()] if end else text)
                graph.notes.append(item)
            else:
                note = (item, [text])
            continue
        reopen = re.match(rf"^end\s+(?=(?:{'|'.join(_BLOCKS)})\s+\S)", line, re.I)
        if reopen:  # flattened "End Alt if reset needed": one frame ends, the next begins
            if blocks:
                blocks.pop().end = len(graph.messages)
            line, lower = line[reopen.end() :], lower[reopen.end() :]
        word = lower.split()[0]
        if word in _BLOCKS:
            block = Block(word, _label(line[len(word) :]), start=len(graph.messages))
            graph.blocks.append(block)
            blocks.append(block)
            continue
        if word == "else":
            if blocks:
                blocks[-1].branches.append((_label(line[4:]), len(graph.messages)))
            continue
        if re.match(r"^end\b", lower):
            if blocks:
                blocks.pop().end = len(graph.messages)
            continue
        if line.startswith("=="):
            continue  # a divider ("== Initialization ==") is not a message
        match = message.match(line)
        if match and (
            "<" in match["arrow"] or ">" in match["arrow"] or match["arrow"].endswith(("x", "o"))
        ):
            _add_message(graph, match, numbers, boxes)
            last_target = graph.messages[-1].target
            continue
        if _IGNORED.match(line):
            continue
        # anything else (a stray word of a flattened source, an unknown command) is not
        # structure; the caller keeps the source text whole
    for block in blocks:
        block.end = len(graph.messages)
    if note is not None:
        note[0].text = _name(" ".join(note[1]))
        graph.notes.append(note[0])
    graph.blocks = [b for b in graph.blocks if b.end > b.start]
    graph.notes = [n for n in graph.notes if n.text and n.targets]
    return graph


def _add_message(graph: DiagramGraph, match: re.Match[str], numbers: _Numbers, boxes) -> None:
    arrow = match["arrow"]
    source, target = match["src"].strip('"'), (match["dst"] or match["src"]).strip('"')
    for node_id in (source, target):
        if node_id not in graph.nodes and boxes and node_id not in boxes[-1].members:
            boxes[-1].members.append(node_id)
    core = re.sub(r"\[[^\]]*\]", "", arrow)
    dashed = "--" in core
    both = core.startswith("<") and core.rstrip("ox").endswith(">")
    if core.startswith(("<", "\\", "/")) and not both:
        source, target = target, source
    if both:
        mermaid = "<<-->>" if dashed else "<<->>"
    elif core.endswith("x") or core.startswith("x"):
        mermaid = "--x" if dashed else "-x"
    else:
        mermaid = "-->>" if dashed else "->>"
    text = _label(match["text"] or "")
    number = numbers.next()
    label = f"{number} {text}".strip() if number else text
    graph.add_message(source, target, label, mermaid)


# -- state ------------------------------------------------------------------------------

_STATE_REF = r"\[\*\]|[\w.]+"
_TRANSITION = re.compile(
    rf"^(?P<a>{_STATE_REF})\s*-+(?:\[[^\]]*\])?(?:left|right|up|down|[lrud])?-*>\s*(?P<b>{_STATE_REF})\s*(?::(?P<label>.*))?$",
    re.I,
)
_STATE_AS = re.compile(
    r'^state\s+(?:"(?P<label>[^"]*)"\s+as\s+)?(?P<id>[\w.]+)\b[^{]*(?P<open>\{)?', re.I
)
_STATE_DESC = re.compile(r"^(?P<id>[\w.]+)\s*:\s*(?P<text>.*)$")


def _parse_state(lines: list[str]) -> DiagramGraph:
    graph = DiagramGraph(kind="state")
    stack: list[Group] = []

    for line in lines:
        if line == "}":
            if stack:
                stack.pop()
            continue
        match = _TRANSITION.match(line)
        if match:
            source = state_node(graph, stack, match["a"], True)
            target = state_node(graph, stack, match["b"], False)
            graph.edges.append(Edge(source, target, _name(match["label"] or "")))
            continue
        match = _STATE_AS.match(line)
        if match:
            node_id = state_node(graph, stack, match["id"], True)
            if match["label"]:
                graph.nodes[node_id].label = _name(match["label"])
            if match["open"]:
                group = Group(
                    node_id, graph.label_of(node_id), parent=stack[-1].id if stack else None
                )
                graph.groups.append(group)
                stack.append(group)
            continue
        match = _STATE_DESC.match(line)
        if match and match["id"] in graph.nodes:
            graph.nodes[match["id"]].attrs.append(_name(match["text"]))
    return graph
