"""What an ingest reports: one FileResult per file, and progress as files finish."""

from __future__ import annotations

from typing import Literal, Protocol

from pydantic import BaseModel

Status = Literal[
    "ingested", "reindexed", "unchanged", "duplicate", "failed", "removed", "empty",
    "unsupported",
]


class FileResult(BaseModel):
    path: str
    status: Status
    doc_id: str | None = None
    title: str = ""
    pages: int = 0
    chunks: int = 0
    figure_chunks: int = 0
    figures: int = 0
    error: str | None = None
    seconds: float = 0.0


class IngestReport(BaseModel):
    files: list[FileResult]
    seconds: float

    @property
    def ok(self) -> bool:
        return not any(result.status == "failed" for result in self.files)

    def count(self, status: Status) -> int:
        return sum(result.status == status for result in self.files)

    def totals(self) -> dict[str, float]:
        done = [r for r in self.files if r.status in ("ingested", "reindexed")]
        return {
            "documents": len(done),
            "reindexed": self.count("reindexed"),
            "unchanged": self.count("unchanged"),
            "duplicates": self.count("duplicate"),
            "removed": self.count("removed"),
            "failed": self.count("failed"),
            "empty": self.count("empty"),
            "unsupported": self.count("unsupported"),
            "pages": sum(r.pages for r in done),
            "text_chunks": sum(r.chunks - r.figure_chunks for r in done),
            "figures": sum(r.figures for r in done),
            "seconds": round(self.seconds, 2),
        }


class Progress(Protocol):
    def start(self, files: int) -> None: ...
    def advance(self, result: FileResult) -> None: ...


class Silent:
    def start(self, files: int) -> None:
        pass

    def advance(self, result: FileResult) -> None:
        pass
