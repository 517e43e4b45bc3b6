"""ictrag: ICT manuals, text and figures, as a hybrid-searchable knowledge base.

    from ictrag import KnowledgeBase
    kb = KnowledgeBase("indexes/default")
    kb.ingest(["manuals/"])
    for hit in kb.search("which interface connects the router to the DMZ switch?"):
        print(hit.chunk.pages, hit.chunk.text)
"""

from ictrag.kb import KnowledgeBase
from ictrag.model import Chunk, Document, Figure, Hit, LogicalText, TextBlock

__all__ = ["KnowledgeBase", "Chunk", "Document", "Figure", "Hit", "LogicalText", "TextBlock"]
__version__ = "0.1.0"
