"""PlantUML sources written into a Word document (`@startuml ... @enduml` in body text or in
text boxes, as the O-RAN specifications carry them beside the rendered PNG) bound to the
picture they describe.

Positions are indices into `body.iter(w:p)` (every paragraph in document order, text-box
and mc:Fallback copies included), the order `docx_pictures.docx_pictures` numbers pictures in.
A source binds to, in this order:

1. a picture in a paragraph that holds one of the source's text boxes (box and picture
   anchored together);
2. else the first picture after the source, when at most `MAX_GAP` non-empty body
   paragraphs lie between and no other source starts before it;
3. else the last picture before the source, under the same two conditions.

A picture binds at most one source; of several pictures in one paragraph the largest wins.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

MAX_GAP = 2
_FALLBACK = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"


@dataclass
class EmbeddedSource:
    text: str
    """The source, one document paragraph a line (Word may have joined its lines)."""
    first: int
    last: int
    holders: set[int] = field(default_factory=set)
    """Body paragraphs holding the text boxes the source sits in; empty for body text."""


def _own_text(para, qn) -> str:
    return "".join(
        node.text or ""
        for node in para.iter(qn("w:t"))
        if next(node.iterancestors(qn("w:p"))) is para
    )


def docx_sources(path: Path) -> tuple[list[EmbeddedSource], list[int]]:
    """The document's PlantUML sources, and the positions of its non-empty body paragraphs
    (outside text boxes), which measure the gap between a source and a picture."""
    import docx
    from docx.oxml.ns import qn

    body = docx.Document(str(path)).element.body
    sources: list[EmbeddedSource] = []
    text_positions: list[int] = []
    current: EmbeddedSource | None = None
    lines: list[str] = []
    holder = -1
    for position, para in enumerate(body.iter(qn("w:p"))):
        if any(a.tag == _FALLBACK for a in para.iterancestors()):
            continue
        in_box = any(True for _ in para.iterancestors(qn("w:txbxContent")))
        if not in_box:
            holder = position
        text = _own_text(para, qn)
        if text.strip() and not in_box:
            text_positions.append(position)
        if current is None and "@startuml" in text.lower():
            current, lines = EmbeddedSource("", position, position), []
            text = text[text.lower().index("@startuml") :]
        if current is None:
            continue
        lines.append(text)
        current.last = position
        if in_box:
            current.holders.add(holder)
        if "@enduml" in text.lower():
            joined = "\n".join(lines)
            current.text = joined[: joined.lower().rindex("@enduml") + len("@enduml")]
            sources.append(current)
            current = None
    return sources, text_positions


def bind(
    sources: list[EmbeddedSource],
    pictures: list[tuple[int, int]],
    text_positions: list[int],
) -> list[int | None]:
    """For each source, the index into `pictures` ((paragraph position, pixel area) each)
    of the picture it binds to, or None."""
    taken: set[int] = set()
    out: list[int | None] = []

    def gap(a: int, b: int) -> int:
        return sum(1 for p in text_positions if a < p < b)

    def best(candidates: list[int]) -> int | None:
        free = [i for i in candidates if i not in taken]
        return max(free, key=lambda i: pictures[i][1]) if free else None

    for number, source in enumerate(sources):
        following = sources[number + 1].first if number + 1 < len(sources) else None
        previous = sources[number - 1].last if number else -1
        choice = best([i for i, (p, _) in enumerate(pictures) if p in source.holders])
        if choice is None:
            after = [
                p for p, _ in pictures if p > source.last and (following is None or p < following)
            ]
            if after and gap(source.last, min(after)) <= MAX_GAP:
                choice = best([i for i, (p, _) in enumerate(pictures) if p == min(after)])
        if choice is None:
            before = [p for p, _ in pictures if previous < p < source.first]
            if before and gap(max(before), source.first) <= MAX_GAP:
                choice = best([i for i, (p, _) in enumerate(pictures) if p == max(before)])
        if choice is not None:
            taken.add(choice)
        out.append(choice)
    return out
