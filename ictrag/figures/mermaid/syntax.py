"""Lexical pieces shared by the Mermaid parsers and the emitter: errors, labels, lines."""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass


class MermaidError(ValueError):
    """Mermaid source that this module cannot read; the message is one line."""

    def __init__(self, message: str) -> None:
        super().__init__(" ".join(str(message).split()))


@dataclass(frozen=True)
class Line:
    number: int
    """1-based line number in the original source."""
    text: str


_ENTITY = re.compile(r"#(\w+);")
_BR = re.compile(r"<br\s*/?>", re.IGNORECASE)
_ICON = re.compile(r"\bfa[bklrs]?:fa-[\w-]+")
_TAG = re.compile(r"</?[A-Za-z][^<>]*>")
_ESCAPES = {'"': "#quot;", "#": "#35;", ";": "#59;"}


def decode_entities(text: str) -> str:
    """Mermaid's `#35;` / `#quot;` codes, then HTML's `&amp;`."""

    def one(match: re.Match[str]) -> str:
        code = match[1]
        if code.isdigit():
            try:
                return chr(int(code))
            except (ValueError, OverflowError):
                return match[0]
        decoded = html.unescape(f"&{code};")
        return match[0] if decoded == f"&{code};" else decoded

    return html.unescape(_ENTITY.sub(one, text))


def clean_label(raw: str) -> str:
    """Label text as a reader sees it: quotes, markdown backticks, <br> and tags removed,
    entities decoded, whitespace collapsed."""
    text = raw.strip()
    if len(text) >= 2 and text[0] == text[-1] == '"':
        text = text[1:-1].strip()
    if len(text) >= 2 and text[0] == text[-1] == "`":
        text = text[1:-1].replace("**", "").strip()
    text = _ICON.sub("", _BR.sub(" ", text))
    text = _TAG.sub("", text)
    text = decode_entities(text).replace("\u200b", "")
    return " ".join(text.split())


def escape_label(label: str, extra: str = "") -> str:
    """Entity-encode a label for contexts whose text Mermaid decodes (sequence diagrams,
    packet fields): `"`, `#`, `;` and the characters in `extra` become `#NN;` codes."""
    out = []
    for char in " ".join(str(label).split()):
        if char in _ESCAPES:
            out.append(_ESCAPES[char])
        elif char in extra:
            out.append(f"#{ord(char)};")
        else:
            out.append(char)
    return "".join(out)


_TAG_LIKE = re.compile(r"<(/?[A-Za-z][^<>]*)>")


def plain_label(label: str, replace: dict[str, str] | None = None) -> str:
    """A label for contexts that render text verbatim with htmlLabels off (flowchart, state,
    class), where entity codes would show literally: `"` becomes `'`, tag-like `<x>` becomes
    `‹x›` (the sanitiser would eat it), `->` becomes `→`, and `replace` maps characters the grammar rejects."""
    text = " ".join(str(label).split()).replace('"', "'")
    text = re.sub(r"-+>", "→", text)  # Mermaid drops text after `->` in plain labels
    text = _TAG_LIKE.sub(lambda match: f"‹{match[1]}›", text)
    for old, new in (replace or {}).items():
        text = text.replace(old, new)
    # `#1;` would be read as an entity code: a zero-width space keeps it literal text.
    return _ENTITY.sub(lambda match: f"#\u200b{match[1]};", text)


_FRONTMATTER_TITLE = re.compile(r"^\s*title\s*:\s*(.*?)\s*$")
_DIRECTIVE = re.compile(r"%%\{.*?\}%%", re.DOTALL)
KIND_COMMENT = re.compile(r"^\s*%%\s*ictrag-kind\s*:\s*([\w-]+)\s*$", re.MULTILINE)


def strip_trailing_comment(text: str) -> str:
    """Cut a `%%` comment that is not inside double quotes."""
    quoted = False
    for index, char in enumerate(text):
        if char == '"':
            quoted = not quoted
        elif not quoted and text.startswith("%%", index):
            return text[:index]
    return text


def preprocess(code: str, trailing_comments: bool = True) -> tuple[list[Line], str]:
    """Source lines without front matter, directives and comments, and the front-matter title."""
    if not isinstance(code, str):
        raise MermaidError(f"Mermaid source must be text, not {type(code).__name__}")
    text = code.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff")
    # Keep line numbers: blank out directives instead of removing their lines.
    text = _DIRECTIVE.sub(lambda match: "\n" * match[0].count("\n"), text)
    raw = text.split("\n")
    title = ""
    start = 0
    first = next((i for i, line in enumerate(raw) if line.strip()), None)
    if first is not None and raw[first].strip() == "---":
        end = next((i for i in range(first + 1, len(raw)) if raw[i].strip() == "---"), None)
        if end is None:
            raise MermaidError("front matter opened with --- is never closed")
        for line in raw[first + 1 : end]:
            match = _FRONTMATTER_TITLE.match(line)
            if match and not line.startswith((" ", "\t")):
                title = _yaml_scalar(match[1])
        start = end + 1
    lines = []
    in_description = pending_markdown = False
    for index in range(start, len(raw)):
        stripped = raw[index].strip()
        if in_description:  # accDescr { ... } spans lines
            in_description = "}" not in stripped
            continue
        if re.match(r"accDescr\s*\{", stripped):
            in_description = "}" not in stripped
            continue
        if not stripped or stripped.startswith("%%"):
            continue
        if trailing_comments:
            stripped = strip_trailing_comment(stripped).strip()
        if not stripped:
            continue
        if lines and pending_markdown:  # a "`markdown string` that spans lines
            lines[-1] = Line(lines[-1].number, lines[-1].text + " " + stripped)
        else:
            lines.append(Line(index + 1, stripped))
        pending_markdown = _opens_markdown(lines[-1].text)
    return lines, title


def _opens_markdown(text: str) -> bool:
    return text.count('"') % 2 == 1 and text[text.rfind('"') :].startswith('"`')


def _yaml_scalar(value: str) -> str:
    value = value.strip()
    if value.startswith('"'):
        try:
            return clean_label(json.loads(value))
        except json.JSONDecodeError:
            pass
    return clean_label(value.strip("'\""))


def split_statements(text: str) -> list[str]:
    """Split on `;` outside quotes and brackets (flowchart statement separator)."""
    parts, depth, quoted, current = [], 0, False, []
    for char in text:
        if char == '"':
            quoted = not quoted
        elif not quoted:
            if char in "([{":
                depth += 1
            elif char in ")]}":
                depth = max(0, depth - 1)
            elif char == ";" and depth == 0:
                parts.append("".join(current))
                current = []
                continue
        current.append(char)
    parts.append("".join(current))
    return [part.strip() for part in parts if part.strip()]


IGNORED_KEYWORDS = (
    "classDef",
    "class",
    "style",
    "linkStyle",
    "click",
    "callback",
    "link",
    "links",
    "accTitle",
    "accDescr",
    "cssClass",
    "title",
)


def first_word(text: str) -> str:
    match = re.match(r"[A-Za-z][\w-]*", text)
    return match[0] if match else ""
