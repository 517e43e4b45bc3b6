"""Captions for synthetic diagrams: a deterministic template rewriter and LLM rewriters.

The template rewriter turns the parsed graph into LogicalText (global summary, components,
relations, Mermaid); `to_text()` of that is the caption. An LLM rewriter (an OpenAI-compatible
endpoint over httpx, or a local transformers causal LM) rewrites only the summary into fluent
prose; components, relations and Mermaid stay exact, and a rewrite that names a term absent from
the template caption is rejected (the template summary is kept and the rejection counted).
"""

from __future__ import annotations

import os
import random
import re
from typing import Protocol

from ictrag.config import local_only
from ictrag.figures.graph import DiagramGraph, graph_to_logical
from ictrag.figures.mermaid import parse
from ictrag.model import LogicalText

REWRITE_SYSTEM = (
    "You rewrite the summary of a figure description from an ICT manual into fluent technical "
    "English. Keep every name, label and number exactly as written; add no facts that the "
    "description does not state. Answer with the new summary only: one to three sentences."
)


class RewriteError(RuntimeError):
    """An LLM rewriter cannot run at all (endpoint down, model missing); one line."""


class Rewriter(Protocol):
    name: str

    def rewrite(self, logical: LogicalText) -> LogicalText: ...


def _quote(items: list[str], limit: int = 4) -> str:
    shown = [f'"{item}"' for item in items[:limit]]
    more = len(items) - limit
    if more > 0:
        shown.append(f"{more} more")
    return ", ".join(shown[:-1]) + (" and " if len(shown) > 1 else "") + shown[-1] if shown else ""


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def template_summary(graph: DiagramGraph, rng: random.Random | None = None) -> str:
    """One or two sentences that name only what the figure shows."""
    rng = rng or random.Random(0)
    title = f' "{graph.title}"' if graph.title else ""
    labels = graph.component_labels()
    kind = graph.kind
    if kind == "flowchart":
        steps = [n for n in graph.nodes.values() if n.shape != "decision"]
        decisions = [n.label for n in graph.nodes.values() if n.shape == "decision"]
        opener = rng.choice(
            ["A flowchart", "A procedure flowchart", "A flowchart of the procedure"]
        )
        text = f"{opener}{title} with {_plural(len(steps), 'step')} and {_plural(len(decisions), 'decision')}"
        first, last = _ends(graph)
        text += f': it starts at "{first}" and ends at "{last}".' if first and last else "."
        if decisions:
            text += f" The decision {_quote(decisions, 2)} branches the flow."
        return text
    if kind == "sequence":
        names = [graph.label_of(p) for p in graph.participants]
        messages = sorted(graph.messages, key=lambda m: m.order)
        text = rng.choice(
            ["A sequence diagram", "A signalling sequence", "A message sequence chart"]
        )
        text += f"{title} of {_plural(len(messages), 'message')} between {_quote(names, 6)}"
        if messages:
            first, last = messages[0], messages[-1]
            text += (
                f', beginning with "{first.label}" from {graph.label_of(first.source)} to '
                f'{graph.label_of(first.target)} and ending with "{last.label}".'
            )
        for block in graph.blocks[:2]:
            text += f' A {block.kind} block "{block.label}" covers {_plural(block.end - block.start, "message")}.'
        return text
    if kind == "state":
        states = [n.label for n in graph.nodes.values() if n.shape not in ("start", "end")]
        start = next(
            (
                graph.label_of(e.target)
                for e in graph.edges
                if graph.nodes.get(e.source) and graph.nodes[e.source].shape == "start"
            ),
            "",
        )
        transitions = [
            e
            for e in graph.edges
            if graph.nodes.get(e.source) and graph.nodes[e.source].shape != "start"
        ]
        text = f"A state machine{title} with {_plural(len(states), 'state')} and {_plural(len(transitions), 'transition')}"
        return text + (f'; the initial state is "{start}".' if start else ".")
    if kind == "packet":
        total = max((f.end for f in graph.fields), default=-1) + 1
        text = f"A packet format{title} of {_plural(len(graph.fields), 'field')} over {total} bits"
        if graph.fields:
            text += f', from "{graph.fields[0].label}" (bits 0-{graph.fields[0].end}) to "{graph.fields[-1].label}".'
        return text
    degree: dict[str, int] = {}
    for edge in graph.edges:
        for end in (edge.source, edge.target):
            degree[end] = degree.get(end, 0) + 1
    noun = "network topology" if kind == "topology" else "architecture diagram"
    text = f"A {noun}{title} of {_plural(len(labels), 'component')} and {_plural(len(graph.edges), 'link')}"
    if graph.groups:
        text += f", grouped into {_quote([g.label for g in graph.groups])}"
    text += "."
    if degree:
        hub = max(degree, key=lambda node: (degree[node], node))
        text += f' "{graph.label_of(hub)}" has the most links ({degree[hub]}).'
    interfaces = [e.label for e in graph.edges if e.label]
    if interfaces:
        text += f" The links are labelled with interfaces such as {_quote(interfaces, 3)}."
    return text


def _ends(graph: DiagramGraph) -> tuple[str, str]:
    targets = {e.target for e in graph.edges}
    sources = {e.source for e in graph.edges}
    starts = [n for n in graph.nodes if n not in targets]
    ends = [n for n in graph.nodes if n not in sources]
    return (graph.label_of(starts[0]) if starts else "", graph.label_of(ends[0]) if ends else "")


def template_logical(mermaid: str, seed: int = 0) -> LogicalText:
    """LogicalText of a diagram from its clean Mermaid: what the rendered picture shows."""
    graph = parse(mermaid)
    summary = template_summary(graph, random.Random(seed))
    return graph_to_logical(
        graph, summary=summary, mermaid=mermaid.strip(), backend="synth", model="template"
    )


class TemplateRewriter:
    """The offline default: the template caption is the caption."""

    name = "template"

    def rewrite(self, logical: LogicalText) -> LogicalText:
        return logical


_TERM = re.compile(r"[A-Za-z0-9][A-Za-z0-9_./:+-]*")


def grounded(summary: str, source_text: str) -> bool:
    """A rewrite may only use terms with a capital or a digit that the template caption has."""
    known = source_text.lower()
    for term in _TERM.findall(summary):
        if (
            any(c.isupper() for c in term[1:]) or any(c.isdigit() for c in term)
        ) and term.lower() not in known:
            return False
    return True


def _accept(logical: LogicalText, answer: str | None, name: str, model: str) -> LogicalText:
    summary = " ".join((answer or "").split()).strip('"')
    if not summary or len(summary) > 800 or not grounded(summary, logical.to_text()):
        return logical.model_copy(update={"backend": f"{logical.backend}+{name}-rejected"})
    return logical.model_copy(
        update={"summary": summary, "backend": f"{logical.backend}+{name}", "model": model}
    )


def _user_prompt(logical: LogicalText) -> str:
    return (
        "Figure description:\n"
        + logical.to_text()
        + "\n\nRewrite its Summary line as fluent prose that a manual would print."
    )


class OpenAIRewriter:
    """Rewrites summaries through an OpenAI-compatible chat-completions endpoint."""

    name = "openai"

    def __init__(self, base_url: str, model: str, api_key_env: str = "OPENAI_API_KEY", timeout_s: float = 60.0, temperature: float = 0.7):  # fmt: skip
        self.base_url, self.model = base_url.rstrip("/"), model
        self.api_key = os.environ.get(api_key_env, "")
        self.timeout_s, self.temperature = timeout_s, temperature
        self.rejected = 0

    def rewrite(self, logical: LogicalText) -> LogicalText:
        import httpx

        body = {
            "model": self.model,
            "temperature": self.temperature,
            "messages": [
                {"role": "system", "content": REWRITE_SYSTEM},
                {"role": "user", "content": _user_prompt(logical)},
            ],
        }
        headers = {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}
        try:
            reply = httpx.post(
                f"{self.base_url}/chat/completions",
                json=body,
                headers=headers,
                timeout=self.timeout_s,
            )
            reply.raise_for_status()
            answer = reply.json()["choices"][0]["message"]["content"]
        except (httpx.HTTPError, KeyError, IndexError, ValueError) as error:
            raise RewriteError(f"rewriter endpoint {self.base_url} failed: {type(error).__name__}: {error}") from None  # fmt: skip
        result = _accept(logical, answer, self.name, self.model)
        self.rejected += result.backend.endswith("-rejected")
        return result


class LocalRewriter:
    """Rewrites summaries with a local transformers causal LM (greedy, chat template)."""

    name = "local"

    def __init__(self, model: str, max_new_tokens: int = 120):
        self.model_name, self.max_new_tokens = model, max_new_tokens
        self._model = self._tokenizer = None
        self.rejected = 0

    def _load(self):
        if self._model is None:
            try:
                from transformers import AutoModelForCausalLM, AutoTokenizer

                local = local_only(self.model_name)
                self._tokenizer = AutoTokenizer.from_pretrained(
                    self.model_name, local_files_only=local
                )
                self._model = AutoModelForCausalLM.from_pretrained(
                    self.model_name, local_files_only=local
                ).eval()
            except Exception as error:
                raise RewriteError(
                    f"cannot load rewriter model {self.model_name!r}: {type(error).__name__}"
                ) from None
        return self._model, self._tokenizer

    def rewrite(self, logical: LogicalText) -> LogicalText:
        import torch

        model, tokenizer = self._load()
        messages = [
            {"role": "system", "content": REWRITE_SYSTEM},
            {"role": "user", "content": _user_prompt(logical)},
        ]
        ids = tokenizer.apply_chat_template(
            messages, add_generation_prompt=True, return_tensors="pt", return_dict=True
        )
        with torch.inference_mode():
            out = model.generate(**ids, max_new_tokens=self.max_new_tokens, do_sample=False)
        answer = tokenizer.decode(out[0, ids["input_ids"].shape[1] :], skip_special_tokens=True)
        result = _accept(logical, answer, self.name, self.model_name)
        self.rejected += result.backend.endswith("-rejected")
        return result


def make_rewriter(kind: str = "template", *, model: str = "", base_url: str = "", api_key_env: str = "OPENAI_API_KEY") -> Rewriter:  # fmt: skip
    if kind == "template":
        return TemplateRewriter()
    if kind == "openai":
        if not base_url or not model:
            raise RewriteError("the openai rewriter needs --base-url and --model")
        return OpenAIRewriter(base_url, model, api_key_env)
    if kind == "local":
        if not model:
            raise RewriteError("the local rewriter needs --model (a local causal LM directory)")
        return LocalRewriter(model)
    raise RewriteError(f"unknown rewriter {kind!r}: use template, openai or local")
