"""A LangChain retriever over a KnowledgeBase.

from ictrag.kb import KnowledgeBase
from ictrag.interfaces.langchain import ICTRagRetriever

retriever = ICTRagRetriever(kb=KnowledgeBase("indexes/manuals"), k=4)
docs = retriever.invoke("How does 802.1X authentication work?")
docs[0].metadata["figure_id"], docs[0].metadata["mermaid"]
"""

from __future__ import annotations

import asyncio
from typing import Any, Literal

from pydantic import ConfigDict, Field

from ictrag.extras import require
from ictrag.model import Hit

try:
    from langchain_core.callbacks import (
        AsyncCallbackManagerForRetrieverRun,
        CallbackManagerForRetrieverRun,
    )
    from langchain_core.documents import Document as LCDocument
    from langchain_core.retrievers import BaseRetriever
except ImportError:
    require("langchain", "ictrag.interfaces.langchain")  # absent: the one-line MissingExtra
    raise


def hit_to_document(hit: Hit) -> LCDocument:
    """A search hit as a LangChain Document: the chunk text, and where it came from."""
    data = hit.to_json()
    metadata: dict[str, Any] = {
        "doc": data["doc"],
        "doc_id": data["doc_id"],
        "path": data["path"],
        "page": data["page"],
        "heading": data["heading"],
        "kind": data["kind"],
        "score": data["score"],
        "rank": data["rank"],
        "chunk_id": hit.chunk.id,
    }
    if figure := data["figure"]:
        metadata.update(
            figure_id=figure["id"],
            figure_type=figure["type"],
            label=figure["label"],
            image=figure["image"],
            mermaid=figure["mermaid"],
        )
    return LCDocument(page_content=data["text"], metadata=metadata, id=hit.chunk.id)


class ICTRagRetriever(BaseRetriever):
    """Hybrid (dense + BM25) search over an ictrag index. Figure hits carry the figure's
    id, type, label, PNG path and Mermaid in their metadata."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    kb: Any = Field(description="An ictrag.kb.KnowledgeBase (opened once, shared).")
    k: int = 5
    kind: Literal["text", "figure"] | None = None
    doc: str | None = None
    figure_type: str | None = None
    mode: Literal["hybrid", "dense", "bm25"] = "hybrid"

    def _search(self, query: str) -> list[LCDocument]:
        hits = self.kb.search(
            query, k=self.k, kind=self.kind, doc=self.doc,
            figure_type=self.figure_type, mode=self.mode,
        )  # fmt: skip
        return [hit_to_document(hit) for hit in hits]

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun
    ) -> list[LCDocument]:
        return self._search(query)

    async def _aget_relevant_documents(
        self, query: str, *, run_manager: AsyncCallbackManagerForRetrieverRun
    ) -> list[LCDocument]:
        # The embedder and the store are synchronous; keep the event loop free.
        return await asyncio.to_thread(self._search, query)
