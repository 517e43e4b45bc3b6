"""Parsing a model's answer into logical text. The sectioned format of the prompt is
expected; JSON, markdown bullets and partial answers are accepted too, and nothing raises."""

from __future__ import annotations

import json
import re
from typing import Any

from ictrag.figures.mermaid.repair import checked_mermaid, looks_like_mermaid
from ictrag.figures.models.grounding import apply_grounding
from ictrag.model import FigureType, LogicalText, Relation

_NAMES = r"(type|figure[ _]type|summary|components?|relations?|mermaid)"
# "TYPE: x", "## Summary", "**Components:**", "- **Relations**:"; a plain bullet never starts a section.
_SECTION = re.compile(
    rf"^\s*(?:#+\s*|(?:[-*]\s+)?\*\*\s*)?{_NAMES}\s*(?:\*\*)?\s*:\s*(?:\*\*)?\s*(.*)$"
    rf"|^\s*(?:#+\s*{_NAMES}|\*\*\s*{_NAMES}\s*\*\*)\s*$",
    re.IGNORECASE,
)
_FENCE = re.compile(r"```[ \t]*(\w[\w-]*)?[ \t]*\n(.*?)(?:```|\Z)", re.DOTALL)
_FIELD_SPAN = re.compile(r"^bits \d+-\d+$")
_CONTAINS = re.compile(r"^(.+?)\s+contains\s+(.+)$")
_ARROW = re.compile(r"\s*(<->|<-->|-->>|->>|-->|->|=>|→|⟶|---|--)\s*")
_BULLET = re.compile(r"^\s*(?:[-*•+]|\d+[.)])\s+")


def parse_answer(
    text: str, backend: str, model: str, figure_text: str | None = None
) -> LogicalText:
    """Model output -> LogicalText; never raises. With `figure_text`, grounding is applied."""
    try:
        logical = _parse(text or "", backend, model)
    except Exception:  # malformed beyond the heuristics: an empty, zero-confidence result
        logical = LogicalText(backend=backend, model=model)
    if figure_text is not None:
        logical = apply_grounding(logical, figure_text)
    return logical


def _parse(text: str, backend: str, model: str) -> LogicalText:
    text = text.strip()
    if not text:
        return LogicalText(backend=backend, model=model, confidence=0.0)
    fields = _parse_json(text) or _parse_sections(text)
    figure_type = _figure_type(fields.get("type", ""))
    relation_kind = "message" if figure_type == FigureType.sequence else "edge"
    relations = [r for r in (_relation(x, relation_kind) for x in fields.get("relations", [])) if r]
    components = _dedup(_clean_item(c) for c in fields.get("components", []))
    mermaid = checked_mermaid(fields.get("mermaid"), figure_type.value)
    summary = " ".join(_printable(str(fields.get("summary", ""))).split())
    raw_type = str(fields.get("type", "")).strip().lower()
    confidence = (
        0.1 * (figure_type != FigureType.other or raw_type == "other")
        + (0.15 if fields.get("prose") else 0.3) * bool(summary)
        + 0.2 * bool(components)
        + 0.2 * bool(relations)
        + 0.2 * bool(mermaid)
    )
    return LogicalText(
        figure_type=figure_type,
        summary=summary,
        components=components,
        relations=relations,
        mermaid=mermaid,
        backend=backend,
        model=model,
        confidence=round(confidence, 3),
    )


def _parse_json(text: str) -> dict[str, Any] | None:
    candidates = [
        body for lang, body in _FENCE.findall(text) if (lang or "").lower() in ("json", "")
    ]
    start, end = text.find("{"), text.rfind("}")
    if start != -1 and end > start:
        candidates.append(text[start : end + 1])
    for candidate in candidates:
        try:
            data = json.loads(candidate)
        except ValueError:
            continue
        if isinstance(data, dict):
            return _normalise_json(data)
    return None


def _normalise_json(data: dict[str, Any]) -> dict[str, Any]:
    lowered = {str(k).lower().replace(" ", "_"): v for k, v in data.items()}
    fields: dict[str, Any] = {}
    for key in ("type", "figure_type"):
        if key in lowered:
            fields["type"] = str(lowered[key])
    if "summary" in lowered:
        fields["summary"] = str(lowered["summary"])
    components = lowered.get("components", [])
    fields["components"] = [
        str(c.get("name", c)) if isinstance(c, dict) else str(c)
        for c in (components if isinstance(components, list) else [components])
    ]
    relations = lowered.get("relations", [])
    fields["relations"] = relations if isinstance(relations, list) else [relations]
    if lowered.get("mermaid"):
        fields["mermaid"] = _strip_fence(str(lowered["mermaid"]))
    return fields


def _parse_sections(text: str) -> dict[str, Any]:
    fields: dict[str, Any] = {"components": [], "relations": []}
    fences = _FENCE.findall(text)
    labelled = [body for lang, body in fences if (lang or "").lower() == "mermaid"]
    # an unlabelled fence counts when it holds diagram statements (a header or arrows)
    unlabelled = [body for lang, body in fences if not lang and looks_like_mermaid(body)]
    if labelled or unlabelled:
        fields["mermaid"] = (labelled or unlabelled)[0]
    text_without_fences = _FENCE.sub("", text)
    current = None
    for raw in text_without_fences.splitlines():
        match = _SECTION.match(raw)
        if match:
            name = (match.group(1) or match.group(3) or match.group(4)).lower()
            current = (
                "type"
                if "type" in name
                else "components"
                if name.startswith("component")
                else "relations"
                if name.startswith("relation")
                else name
            )
            rest = (match.group(2) or "").strip().strip("*").strip()
            if rest:
                _add(fields, current, rest)
            continue
        if raw.strip() and current:
            _add(fields, current, raw)
    if "mermaid" not in fields and isinstance(fields.get("mermaid_lines"), list):
        fields["mermaid"] = "\n".join(fields.pop("mermaid_lines"))
    if "type" not in fields and "summary" not in fields and not fields["components"]:
        # free prose that ignored the format: keep it as the summary, at low confidence
        fields["summary"] = " ".join(_printable(text_without_fences).split())[:500]
        fields["prose"] = True
    return fields


def _printable(text: str) -> str:
    return "".join(ch if ch.isprintable() or ch in "\n\t" else " " for ch in text)


def _add(fields: dict[str, Any], section: str, line: str) -> None:
    if section == "type":
        fields.setdefault("type", line.strip())
    elif section == "summary":
        fields["summary"] = (fields.get("summary", "") + " " + line.strip()).strip()
    elif section == "mermaid":
        fields.setdefault("mermaid_lines", []).append(line)
    elif section == "components":
        # a bullet is one component; a bare line may list several
        pieces = [line] if _BULLET.match(line) else re.split(r"[;,]\s+", line)
        fields["components"].extend(pieces)
    else:
        fields["relations"].append(line)


def _strip_fence(code: str) -> str:
    match = _FENCE.search(code)
    return match.group(2) if match else code


def _figure_type(raw: str) -> FigureType:
    word = re.sub(r"[^a-z ]", " ", str(raw).lower()).split()
    for token in word:
        for figure_type in FigureType:
            if token == figure_type.value or token.rstrip("s") == figure_type.value:
                return figure_type
    aliases = {"flow": "flowchart", "network": "topology", "ladder": "sequence", "diagram": "other"}
    for token in word:
        if token in aliases:
            return FigureType(aliases[token])
    return FigureType.other


def _clean_item(text: str) -> str:
    text = _BULLET.sub("", str(text)).strip().strip("*`\"'").strip()
    return text.rstrip(".;,").strip()


def _dedup(items: Any) -> list[str]:
    seen: dict[str, str] = {}
    for item in items:
        if item and item.lower() not in seen and len(item) <= 200:
            seen[item.lower()] = item
    return list(seen.values())


def _relation(raw: Any, kind: str) -> Relation | None:
    if isinstance(raw, dict):
        source = raw.get("source") or raw.get("from") or ""
        target = raw.get("target") or raw.get("to") or ""
        if not source or not target:
            return None
        return Relation(
            source=str(source), target=str(target), label=str(raw.get("label", "")), kind=kind
        )
    line = _clean_item(raw)
    contains = _CONTAINS.match(line)
    if contains and not _ARROW.search(line):
        return Relation(source=contains[1].strip(), target=contains[2].strip(), kind="contains")
    parts = _ARROW.split(line, maxsplit=1)
    if len(parts) != 3:
        return None
    source, arrow, rest = parts
    label = ""
    bracket = re.search(r"\[([^\]]*)\]\s*$", rest)
    if ":" in rest:
        rest, label = rest.split(":", 1)
    elif bracket:
        label, rest = bracket.group(1), rest[: bracket.start()]
    elif "|" in rest:  # mermaid style A -->|label| B
        pieces = rest.strip("|").split("|", 1)
        if len(pieces) == 2:
            label, rest = pieces
    source, target = _clean_item(source), _clean_item(rest)
    if not source or not target:
        return None
    directed = arrow not in ("--", "---")
    if _FIELD_SPAN.match(target):  # "TPID -- bits 0-15 [16 bits]": a packet field
        kind, directed = "field", False
    return Relation(source=source, target=target, label=label.strip(), kind=kind, directed=directed)
