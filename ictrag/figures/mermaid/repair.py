"""Mermaid from model answers: validate (ictrag.figures.mermaid when present), and one
deterministic repair (drop prose lines, fix the header, quote labels with special chars)."""

from __future__ import annotations

import re

MERMAID_HEADERS = (
    "flowchart",
    "graph",
    "sequenceDiagram",
    "stateDiagram-v2",
    "stateDiagram",
    "classDiagram",
    "erDiagram",
    "packet-beta",
    "packet",
    "block-beta",
    "gantt",
    "pie",
    "mindmap",
    "timeline",
)


def validate_mermaid(code: str) -> tuple[bool, str]:
    """ictrag.figures.mermaid.validate when that module exists, else a basic header check."""
    try:
        from ictrag.figures.mermaid import validate
    except ImportError:
        return _basic_validate(code)
    try:
        ok, reason = validate(code)
    except Exception as error:  # a validator bug must not sink a caption
        return False, f"validator error: {error}"
    return bool(ok), str(reason)


def _basic_validate(code: str) -> tuple[bool, str]:
    lines = [
        line
        for line in code.strip().splitlines()
        if line.strip() and not line.strip().startswith("%%")
    ]
    if not lines:
        return False, "empty diagram"
    if not _is_header(lines[0]):
        return False, f"unknown diagram header: {lines[0].strip()[:40]}"
    if len(lines) < 2:
        return False, "diagram has no body"
    keywords = _KEYWORDS.get(header_word(lines[0]), _ANY_KEYWORD)
    for number, line in enumerate(lines[1:], start=2):
        if not (_STATEMENT.search(line) or keywords.search(line)):
            return False, f"line {number}: not a diagram statement: {line.strip()[:40]}"
    return True, ""


def _is_header(line: str) -> bool:
    word = line.strip().split(maxsplit=1)[0] if line.strip() else ""
    return word in MERMAID_HEADERS


_STATEMENT = re.compile(
    r"(-->|---|-\.->|==>|->>|-->>|-x|--x|-\)|<-->|<->|->|\[\*\]|:::"
    r"|^\s*[\w.-]+\s*[\[\(\{>])"
)
_FLOW_WORDS = "subgraph|end|direction|classDef|class|style|linkStyle|click"
_SEQUENCE_WORDS = (
    "participant|actor|note|loop|alt|else|opt|par|and|rect|critical|break|end"
    "|activate|deactivate|autonumber|box"
)
_STATE_WORDS = "state|note|end|direction|classDef|class"
# keyword lines depend on the diagram: "and more words" is prose in a flowchart
_KEYWORDS = {
    "flowchart": re.compile(rf"^\s*(?:(?:{_FLOW_WORDS})\b|%%)"),
    "graph": re.compile(rf"^\s*(?:(?:{_FLOW_WORDS})\b|%%)"),
    "sequenceDiagram": re.compile(rf"^\s*(?:(?:{_SEQUENCE_WORDS}|title)\b|%%)"),
    "stateDiagram-v2": re.compile(rf"^\s*(?:(?:{_STATE_WORDS})\b|%%)"),
    "stateDiagram": re.compile(rf"^\s*(?:(?:{_STATE_WORDS})\b|%%)"),
}
_ANY_KEYWORD = re.compile(rf"^\s*(?:(?:{_FLOW_WORDS}|{_SEQUENCE_WORDS}|{_STATE_WORDS}|title)\b|%%)")
_NODE_LABEL = re.compile(r'(\b[\w.-]+)(?:\[([^\]"]*)\]|\(([^()"]*)\)|\{([^{}"]*)\})')
_PLAIN_LABEL = re.compile(r"^[\w\s-]*$")
_HEADER_FOR_TYPE = {"sequence": "sequenceDiagram", "state": "stateDiagram-v2"}


def repair_mermaid(code: str, figure_type: str = "other") -> str:
    """One deterministic repair: drop prose lines, fix the header, quote special-char labels."""
    lines = [line.rstrip() for line in code.strip().splitlines() if line.strip()]
    header = ""
    if lines and header_word(lines[0]):
        header = _fix_header(lines.pop(0))
    elif lines and any(header_word(line) for line in lines):
        # prose before the header: everything up to it is dropped
        index = next(i for i, line in enumerate(lines) if header_word(line))
        header = _fix_header(lines[index])
        lines = lines[index + 1 :]
    if not header:
        is_sequence = any("->>" in line or line.strip().startswith("participant") for line in lines)
        header = (
            "sequenceDiagram" if is_sequence else _HEADER_FOR_TYPE.get(figure_type, "flowchart TD")
        )
    keywords = _KEYWORDS.get(header.split()[0], _ANY_KEYWORD)
    body = [line for line in lines if _STATEMENT.search(line) or keywords.search(line)]
    if header.startswith(("flowchart", "graph")):
        body = [_quote_labels(line) for line in body]
    return "\n".join([header, *("    " + line.strip() for line in body)])


def header_word(line: str) -> str:
    word = line.strip().split(maxsplit=1)[0].rstrip(":;") if line.strip() else ""
    lowered = word.lower()
    for header in MERMAID_HEADERS:
        if lowered == header.lower():
            return header
    return ""


def _fix_header(line: str) -> str:
    word = header_word(line)
    rest = line.strip().split(maxsplit=1)[1:] or [""]
    if word in ("flowchart", "graph"):
        direction = rest[0].strip().rstrip(";").upper()
        return f"{word} {direction if direction in ('TD', 'TB', 'BT', 'LR', 'RL') else 'TD'}"
    return word


def _quote_labels(line: str) -> str:
    def quote(match: re.Match[str]) -> str:
        node = match.group(1)
        for index, (open_, close) in enumerate((("[", "]"), ("(", ")"), ("{", "}")), start=2):
            label = match.group(index)
            if label is not None:
                if _PLAIN_LABEL.match(label):
                    return match.group(0)
                return f'{node}{open_}"{label.strip()}"{close}'
        return match.group(0)

    return _NODE_LABEL.sub(quote, line)


def checked_mermaid(code: str | None, figure_type: str = "other") -> str | None:
    """The diagram if valid, else its one repair if that is valid, else None."""
    if not code or not code.strip():
        return None
    code = code.strip()
    if validate_mermaid(code)[0]:
        return code
    repaired = repair_mermaid(code, figure_type)
    return repaired if validate_mermaid(repaired)[0] else None


def looks_like_mermaid(body: str) -> bool:
    """A header or at least one diagram statement."""
    lines = [line for line in body.splitlines() if line.strip()]
    return bool(lines) and any(header_word(line) or _STATEMENT.search(line) for line in lines)
