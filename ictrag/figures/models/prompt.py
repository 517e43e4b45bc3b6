"""The figure prompt shared by the model backends: a fixed sectioned answer is asked for
(TYPE / SUMMARY / COMPONENTS / RELATIONS / MERMAID); `answer.parse_answer` reads it back."""

from __future__ import annotations

from typing import Any

from ictrag.figures.base import FigureInput
from ictrag.model import FigureType

PROMPT_VERSION = "fig-v2"

TYPES = [t.value for t in FigureType]
MAX_CONTEXT_CHARS = 1200
MAX_INNER_CHARS = 1500

SYSTEM_PROMPT = (
    "You read figures from ICT manuals (networking, telecom, protocols) and turn each one into "
    "logical text: its global meaning, its parts and its detailed relations. Use only names, "
    "labels and terms that are visible in the figure; never invent devices, messages or values. "
    "Answer in exactly the requested format, without any other prose."
)

ANSWER_FORMAT = f"""Answer in exactly this format:
TYPE: <one of {", ".join(TYPES)}>
SUMMARY: <one or two sentences: what the whole figure shows>
COMPONENTS:
- <one component (node, device, entity, field) per line, named as in the figure>
RELATIONS:
- <source> -> <target> : <label of the edge, message or step>
- <group> contains <member>   (for a container, zone or subgraph)
MERMAID:
```mermaid
<a Mermaid diagram of the figure (flowchart, sequenceDiagram or stateDiagram-v2)>
```"""


def build_messages(item: FigureInput) -> list[dict[str, Any]]:
    """System + user chat messages for one figure.

    The user content holds an `{"type": "image", "image": path}` part (absent when the figure has
    no image) followed by the text; backends convert the image part to their own form.
    """
    parts = [
        "Describe this figure's structure: global (summary), partial (components), detailed (relations)."
    ]
    if item.label:
        parts.append(f"Figure label: {item.label.strip()}")
    if item.context:
        parts.append(f"Text near the figure:\n{_clip(item.context, MAX_CONTEXT_CHARS)}")
    if item.inner_text:
        parts.append(
            "Text inside the figure (use these exact terms):\n"
            f"{_clip(item.inner_text, MAX_INNER_CHARS)}"
        )
    parts.append("Use only terms visible in the figure.")
    parts.append(ANSWER_FORMAT)
    content: list[dict[str, Any]] = []
    if item.image_path:
        content.append({"type": "image", "image": item.image_path})
    content.append({"type": "text", "text": "\n\n".join(parts)})
    return [
        {"role": "system", "content": SYSTEM_PROMPT},
        {"role": "user", "content": content},
    ]


def _clip(text: str, limit: int) -> str:
    text = text.strip()
    return text if len(text) <= limit else text[:limit].rstrip() + " …"


def hf_messages(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """For Hugging Face chat templates: image parts become bare placeholders, the images
    go to the processor separately."""
    converted = []
    for message in messages:
        content = message["content"]
        if isinstance(content, list):
            content = [{"type": "image"} if part["type"] == "image" else part for part in content]
        converted.append({"role": message["role"], "content": content})
    return converted
