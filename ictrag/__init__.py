"""ictrag: ICT manuals, text and figures, as a hybrid-searchable knowledge base.

    from ictrag import KnowledgeBase
    kb = KnowledgeBase("indexes/default")
    kb.ingest(["manuals/"])
    for hit in kb.search("which interface connects the router to the DMZ switch?"):
        print(hit.chunk.pages, hit.chunk.text)
"""

import os

# unstructured phones home at import time unless told not to; ictrag is offline by design.
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("SCARF_NO_ANALYTICS", "true")
# OpenMP threads that spin between torch ops steal the cores the loader processes work on
# (measured: 67 s -> 60 s for the 366-page corpus on 2 cores). Set before torch loads.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from ictrag.kb import KnowledgeBase  # noqa: E402
from ictrag.model import Chunk, Document, Figure, Hit, LogicalText, TextBlock  # noqa: E402

__all__ = ["KnowledgeBase", "Chunk", "Document", "Figure", "Hit", "LogicalText", "TextBlock"]
__version__ = "0.1.0"
