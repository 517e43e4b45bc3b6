"""The package layout of docs/architecture.md, checked on the source: data flows one way.

Every import counts, including the lazy ones inside functions."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCES = {"ictrag": ROOT / "ictrag", "ictrag.training": ROOT / "training"}
LOWER_LAYERS = {"ingest", "load", "figures", "index"}


def _modules() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for prefix, folder in SOURCES.items():
        for path in folder.rglob("*.py"):
            if "node_modules" in path.parts:
                continue
            parts = list(path.relative_to(folder).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            found[".".join([prefix, *parts])] = path
    return found


def _imports(path: Path) -> list[tuple[str, list[str]]]:
    """(module imported, names taken from it) for every import statement in the file."""
    tree = ast.parse(path.read_text())
    out: list[tuple[str, list[str]]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(alias.name, []) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.append((node.module, [alias.name for alias in node.names]))
    return out


def _unit(module: str) -> str:
    """The layout unit of a module: ictrag's first-level package or module."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "ictrag"


MODULES = _modules()
GRAPH: dict[str, set[str]] = {}
for name, file in MODULES.items():
    for target, _ in _imports(file):
        if target.startswith("ictrag.") and _unit(target) != _unit(name):
            GRAPH.setdefault(_unit(name), set()).add(_unit(target))


def test_no_import_cycle_between_packages():
    state: dict[str, int] = {}
    cycles: list[list[str]] = []

    def visit(node: str, trail: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(GRAPH.get(node, ())):
            if state.get(nxt) == 1:
                cycles.append([*trail[trail.index(nxt):], nxt] if nxt in trail else [node, nxt])
            elif state.get(nxt) is None:
                visit(nxt, [*trail, nxt])
        state[node] = 2

    for node in sorted(GRAPH):
        if node not in state:
            visit(node, [node])
    assert not cycles, f"import cycles between packages: {cycles}"


def test_typer_only_in_cli():
    offenders = [
        name for name, file in MODULES.items()
        if _unit(name) != "cli" and any(t.split(".")[0] == "typer" for t, _ in _imports(file))
    ]  # fmt: skip
    assert not offenders


def test_lower_layers_import_neither_typer_nor_interfaces():
    for name, file in MODULES.items():
        if _unit(name) not in LOWER_LAYERS:
            continue
        for target, _ in _imports(file):
            assert target.split(".")[0] != "typer", name
            assert not target.startswith(("ictrag.interfaces", "ictrag.cli")), (name, target)


def test_engines_depend_only_on_ingest():
    allowed = {"ingest", "config", "model", "extras"}
    assert GRAPH.get("engines", set()) <= allowed, GRAPH.get("engines")


def test_no_private_names_across_packages():
    crossings = []
    for name, file in MODULES.items():
        for target, names in _imports(file):
            if not target.startswith("ictrag.") or _unit(target) == _unit(name):
                continue
            crossings += [(name, target, n) for n in names if n.startswith("_")]
    assert not crossings


def test_the_checks_see_the_real_graph():
    # Guards against a walker that finds nothing: the CLI reaches the API, the API the engines.
    assert "kb" in GRAPH["cli"] and "engines" in GRAPH["kb"] and "ingest" in GRAPH["engines"]
