"""`ictrag figure`: one figure's structure, and neighbourhood, path and message questions
over it. Mounted by ictrag/cli/main.py. Exit codes: 0 answered, 1 no such figure, document
or node, 2 bad usage or an ambiguous name (the error line lists the candidates)."""

from __future__ import annotations

from typing import Annotated

import typer

from ictrag.cli.common import ConfigOpt, IndexOpt, JsonOpt, fail, open_kb, out


def figure_command(
    ref: Annotated[str, typer.Argument(help="Figure id (or 8+ hex prefix) or label, e.g. 'Figure 5-1'.")],  # noqa: E501
    doc: Annotated[str | None, typer.Option(help="The document (id, title, file name or path) when the figure is in several.")] = None,  # noqa: E501
    neighbours: Annotated[str | None, typer.Option("--neighbours", "--neighbors", metavar="NODE", help="The node's edges in and out, and its messages.")] = None,  # noqa: E501
    path: Annotated[tuple[str, str] | None, typer.Option("--path", metavar="A B", help="Shortest path from A to B (arrows first, else ignoring them).")] = None,  # noqa: E501
    between: Annotated[tuple[str, str] | None, typer.Option("--between", metavar="A B", help="Edges and messages between A and B, in order.")] = None,  # noqa: E501
    index: IndexOpt = None,
    config: ConfigOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """A figure's structure: nodes, edges with labels, messages in order, notes, confidence."""
    from ictrag.figures.query import AmbiguousNode, GraphQueryError
    from ictrag.index.figures import AmbiguousFigure, FigureNotFound
    from ictrag.index.manifest import has_manifest

    asked = [name for name, value in (("--neighbours", neighbours), ("--path", path),
                                      ("--between", between)) if value]  # fmt: skip
    if len(asked) > 1:
        raise fail(f"give one of --neighbours, --path, --between (got {' and '.join(asked)})")
    kb = open_kb(index, config=config)
    if not has_manifest(kb.path):
        raise fail(f"no index at {kb.path}", code=1)
    try:
        if neighbours:
            answer = kb.figure_neighbours(ref, neighbours, doc=doc)
        elif path:
            answer = kb.figure_path(ref, *path, doc=doc)
        elif between:
            answer = kb.figure_between(ref, *between, doc=doc)
        else:
            answer = kb.figure_graph(ref, doc=doc)
    except (AmbiguousFigure, AmbiguousNode) as error:
        raise fail(str(error), code=2) from None
    except (FigureNotFound, GraphQueryError) as error:
        raise fail(str(error), code=1) from None
    if as_json:
        print(answer.model_dump_json(indent=1))
        return
    for line in _lines(answer):
        out.print(line, markup=False, highlight=False, soft_wrap=True)


def _lines(answer) -> list[str]:
    from ictrag.figures.query import Between, FigureGraph, Neighbours, PathAnswer

    ref = answer.figure
    head = f"{ref.label or ref.id[:16]} — {ref.doc} p.{ref.page} (figure id {ref.id[:16]})"
    if isinstance(answer, FigureGraph):
        return [f"{head}, {answer.type or 'untyped'}, confidence {answer.confidence or 0:.2f}",
                *_graph_lines(answer)]  # fmt: skip
    if isinstance(answer, Neighbours):
        lines = [head, f"node: {answer.node.label}"]
        arrows = {"out": "->", "in": "<-", "undirected": "--"}
        lines += [f"  {arrows[n.direction]} {n.node.label}{_tag(n.label)}" for n in answer.neighbours]
        lines += [f"  {m.order}. {m.direction} {'to' if m.direction == 'sent' else 'from'} "
                  f"{m.peer.label}: {m.text}" for m in answer.messages]  # fmt: skip
        if answer.groups:
            lines.append(f"  in: {', '.join(answer.groups)}")
        if len(lines) == 2:
            lines.append("  (no edges or messages)")
        return lines
    if isinstance(answer, PathAnswer):
        if not answer.found:
            return [head, f"no path between {answer.source.label} and {answer.target.label}"]
        kind = "along the arrows" if answer.directed else "ignoring arrow directions"
        lines = [head, f"path ({len(answer.steps)} steps, {kind}): {answer.source.label}"]
        for step in answer.steps:
            arrow = "->" if step.forward else "<-"
            lines.append(f"  {arrow} {step.target.label}{_tag(step.label)}")
        return lines
    assert isinstance(answer, Between)
    lines = [head, f"between {answer.a.label} and {answer.b.label}:"]
    lines += [_edge_line(e) for e in answer.edges]
    lines += [f"  {m.order}. {m.source_label} -> {m.target_label}: {m.text}" for m in answer.messages]
    if len(lines) == 2:
        lines.append("  (nothing)")
    return lines


def _graph_lines(graph) -> list[str]:
    lines = [f"nodes ({len(graph.nodes)}): " + "; ".join(n.label for n in graph.nodes)]
    if graph.edges:
        lines.append(f"edges ({len(graph.edges)}):")
        lines += [_edge_line(e) for e in graph.edges]
    if graph.messages:
        lines.append(f"messages ({len(graph.messages)}):")
        lines += [f"  {m.order}. {m.source_label} -> {m.target_label}: {m.text}" for m in graph.messages]  # noqa: E501
    lines += [f"note over {', '.join(n.target_labels)}: {n.text}" for n in graph.notes]
    lines += [f"group {g.label}: {len(g.members)} members" for g in graph.groups]
    return lines


def _edge_line(edge) -> str:
    arrow = "->" if edge.directed else "--"
    return f"  {edge.source_label} {arrow} {edge.target_label}{_tag(edge.label)}"


def _tag(label: str) -> str:
    return f" [{label}]" if label else ""
