"""The `ictrag` command: a thin layer over the Python API (ictrag.kb.KnowledgeBase)."""

from ictrag.cli.main import app, main

__all__ = ["app", "main"]
