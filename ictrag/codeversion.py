"""Versions of code computed from the code itself, so they change whenever it does.

A module's hash is taken over its AST with docstrings removed: comments, formatting and
docstrings do not count, a changed function body does. A set of modules is hashed over its
modules' hashes sorted by value, not by path, so moving a module leaves the version as is.

    closure_version(["ictrag.figures.structural"], within=("ictrag.figures",))

walks the imports (lazy ones inside functions too) from the roots, keeping the modules
whose dotted name starts with one of `within`.
"""

from __future__ import annotations

import ast
import hashlib
import importlib.util
import pkgutil
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

SHORT = 12


def _strip_docstrings(tree: ast.AST) -> ast.AST:
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            first = body[0].value if body and isinstance(body[0], ast.Expr) else None
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                node.body = body[1:] or [ast.Pass()]
    return tree


def source_hash(source: str) -> str:
    """The hash of one module's code, blind to comments, layout and docstrings."""
    tree = _strip_docstrings(ast.parse(source))
    return hashlib.sha256(ast.dump(tree, include_attributes=False).encode()).hexdigest()


def files_hash(paths: Iterable[Path]) -> str:
    """A short hash over several modules, independent of their paths and order."""
    digests = sorted({source_hash(Path(path).read_text(encoding="utf-8")) for path in paths})
    return hashlib.sha256("\n".join(digests).encode()).hexdigest()[:SHORT]


def _origin(name: str) -> Path | None:
    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.origin or not spec.origin.endswith(".py"):
        return None
    return Path(spec.origin)


def _package_modules(name: str) -> list[str]:
    """A package's own module and every module under it; a plain module alone."""
    spec = importlib.util.find_spec(name)
    if spec is None:
        return []
    names = [name]
    if spec.submodule_search_locations:
        for info in pkgutil.walk_packages(spec.submodule_search_locations, prefix=f"{name}."):
            names.append(info.name)
    return names


def _imports(name: str, path: Path) -> set[str]:
    """Dotted names a module imports, relative ones resolved, `from pkg import mod` both ways."""
    is_package = path.name == "__init__.py"
    package = name if is_package else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                parent = ".".join(parts[: len(parts) - node.level + 1])
                base = f"{parent}.{base}" if base else parent
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def closure(roots: Iterable[str], within: tuple[str, ...]) -> dict[str, Path]:
    """The modules reachable from `roots` (packages expand to all their modules) through
    imports that stay inside `within`."""
    todo = [name for root in roots for name in _package_modules(root)]
    seen: dict[str, Path] = {}
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        path = _origin(name)
        if path is None:
            continue
        seen[name] = path
        for imported in _imports(name, path):
            if imported.startswith(within) and imported not in seen:
                todo.append(imported)
    return seen


@lru_cache(maxsize=64)
def closure_version(roots: tuple[str, ...], within: tuple[str, ...]) -> str:
    """Cached per process: the code a running process executes does not change under it."""
    return files_hash(closure(roots, within).values())


def module_family(module: str) -> tuple[str, ...]:
    """The first two parts of a dotted name: `ictrag.figures` for any module below it."""
    return (".".join(module.split(".")[:2]),)


def code_version(obj: object) -> str:
    """The version of the code behind an object's class (or a module-level function): its
    module and what it imports from its own package family."""
    module = getattr(obj, "__module__", None) or type(obj).__module__
    return closure_version((module,), module_family(module))
