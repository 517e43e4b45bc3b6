"""mscgen source (.msc) read into a sequence DiagramGraph: entities, arcs in order,
boxes and notes, dividers.

    graph = parse_mscgen(code)     # MscgenError (one line) when no chart can be read

The language (www.mcternan.me.uk/mscgen): `msc { options; entities; arcs; }`, statements
ended by `;`, arcs on one statement separated by `,` drawn side by side, attributes in
`[label="...", ...]`. Arcs: `->` message, `=>` method call, `=>>` callback, `>>` return
(dashed), `:>` emphasised, `-x` lost; each also written backwards (`<-`, `<=`, `<<=`,
`<<`, `<:`, `x-`). `a->*` broadcasts to every other entity. `box`, `rbox`, `abox` and
`note` between two entities are notes over them; `---`, `...` and `|||` with a label are
dividers.
"""

from __future__ import annotations

import re

from ictrag.figures.graph import DiagramGraph, Note


class MscgenError(ValueError):
    """The source holds no chart this reader understands; the message is one line."""


# longest first: "=>>" before "=>", "<<=" before "<<"
_ARCS = {
    "=>>": ("->>", False), "<<=": ("->>", True), "->": ("->>", False), "<-": ("->>", True),
    "=>": ("->>", False), "<=": ("->>", True), ">>": ("-->>", False), "<<": ("-->>", True),
    ":>": ("->>", False), "<:": ("->>", True), "-x": ("-x", False), "x-": ("-x", True),
}  # fmt: skip
_BOXES = ("abox", "rbox", "box", "note")
_ENTITY = r'(?:"[^"]*"|[\w.]+|\*)'
_ARC = re.compile(
    rf"^(?P<a>{_ENTITY})\s*(?P<op>{'|'.join(map(re.escape, _ARCS))}|{'|'.join(_BOXES)})\s*"
    rf"(?P<b>{_ENTITY})\s*(?P<attrs>\[.*\])?\s*$",
    re.S,
)
_DIVIDER = re.compile(r"^(?P<op>---|\.\.\.|\|\|\|)\s*(?P<attrs>\[.*\])?\s*$", re.S)
_ATTR = re.compile(r'(?P<key>\w+)\s*=\s*(?:"(?P<quoted>(?:[^"\\]|\\.)*)"|(?P<bare>[^,\]\s]+))')
_OPTIONS = ("hscale", "width", "arcgradient", "wordwraparcs")


def parse_mscgen(text: str) -> DiagramGraph:
    statements = _statements(_body(_uncommented(text)))
    graph = DiagramGraph(kind="sequence")
    names: dict[str, str] = {}  # entity id -> participant id
    for statement in statements:
        parts = _split(statement, ",")
        if all(_is_option(part) for part in parts):
            continue
        if not names and not any(_ARC.match(p) or _DIVIDER.match(p) for p in parts):
            for part in parts:
                _entity(part, graph, names)
            continue
        for part in parts:
            _arc(part, graph, names)
    if not graph.participants:
        raise MscgenError("no entities or arcs in this mscgen source")
    return graph


def _uncommented(text: str) -> str:
    out, i, quoted = [], 0, False
    while i < len(text):
        char = text[i]
        if char == '"' and (i == 0 or text[i - 1] != "\\"):
            quoted = not quoted
        if not quoted and (char == "#" or text.startswith("//", i)):
            i = text.find("\n", i) if "\n" in text[i:] else len(text)
            continue
        if not quoted and text.startswith("/*", i):
            end = text.find("*/", i + 2)
            i = len(text) if end < 0 else end + 2
            continue
        out.append(char)
        i += 1
    return "".join(out)


def _body(text: str) -> str:
    found = re.search(r"\bmsc\s*\{", text)
    if found is None:
        raise MscgenError("no 'msc {' block in this source")
    end = text.rfind("}")
    return text[found.end() : end if end > found.end() else len(text)]


def _split(text: str, separator: str) -> list[str]:
    """`text` cut at `separator` outside quotes and brackets, pieces stripped, empty ones dropped."""
    parts, depth, quoted, start = [], 0, False, 0
    for i, char in enumerate(text):
        if char == '"' and (i == 0 or text[i - 1] != "\\"):
            quoted = not quoted
        elif not quoted and char == "[":
            depth += 1
        elif not quoted and char == "]":
            depth = max(0, depth - 1)
        elif not quoted and depth == 0 and char == separator:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return [part.strip() for part in parts if part.strip()]


def _statements(body: str) -> list[str]:
    return _split(body, ";")


def _is_option(part: str) -> bool:
    return bool(re.match(rf"^(?:{'|'.join(_OPTIONS)})\s*=", part, re.I))


def _attrs(text: str | None) -> dict[str, str]:
    if not text:
        return {}
    return {
        m.group("key").lower(): (
            m.group("quoted").replace('\\"', '"').replace("\\n", " ")
            if m.group("quoted") is not None
            else m.group("bare")
        )
        for m in _ATTR.finditer(text)
    }


def _unquote(name: str) -> str:
    return name[1:-1] if name.startswith('"') and name.endswith('"') else name


def _entity(part: str, graph: DiagramGraph, names: dict[str, str]) -> None:
    found = re.match(rf"^(?P<name>{_ENTITY})\s*(?P<attrs>\[.*\])?$", part, re.S)
    if found is None:
        raise MscgenError(f"not an entity: {part[:60]!r}")
    name = _unquote(found.group("name"))
    label = _attrs(found.group("attrs")).get("label") or name
    names[name] = f"p{len(names) + 1}"
    graph.add_participant(names[name], " ".join(label.split()))


def _participant(name: str, graph: DiagramGraph, names: dict[str, str]) -> str:
    """An arc may name an entity never declared: mscgen refuses that, this reader adds it."""
    name = _unquote(name)
    if name not in names:
        names[name] = f"p{len(names) + 1}"
        graph.add_participant(names[name], name)
    return names[name]


def _arc(part: str, graph: DiagramGraph, names: dict[str, str]) -> None:
    divider = _DIVIDER.match(part)
    if divider is not None:
        label = _attrs(divider.group("attrs")).get("label", "")
        if label and graph.participants:
            ends = [graph.participants[0], graph.participants[-1]]
            graph.notes.append(Note(ends, " ".join(label.split()), "over"))
        return
    found = _ARC.match(part)
    if found is None:
        raise MscgenError(f"not an arc: {part[:60]!r}")
    op, attrs = found.group("op"), _attrs(found.group("attrs"))
    label = " ".join(attrs.get("label", "").split())
    a, b = found.group("a"), found.group("b")
    if op in _BOXES:
        ends = [_participant(n, graph, names) for n in (a, b) if n != "*"]
        graph.notes.append(Note(list(dict.fromkeys(ends)), label, "over"))
        return
    arrow, backwards = _ARCS[op]
    if backwards:
        a, b = b, a
    source = _participant(a, graph, names)
    if b == "*":  # a broadcast: one message to every other entity
        for target in [p for p in list(graph.participants) if p != source]:
            graph.add_message(source, target, label, arrow)
        return
    graph.add_message(source, _participant(b, graph, names), label, arrow)
