"""Ingest: plan the run, prepare and encode documents, commit them atomically, report."""

from ictrag.ingest.commit import Indexer, failed
from ictrag.ingest.engine import Engine
from ictrag.ingest.plan import expand_paths
from ictrag.ingest.report import FileResult, IngestReport, Progress, Status
from ictrag.ingest.run import ingest
from ictrag.ingest.stages import Encoded, Prepared, encode_prepared, expected_cost, prepare

__all__ = [
    "Encoded", "Engine", "FileResult", "Indexer", "IngestReport", "Prepared", "Progress",
    "Status", "encode_prepared", "expand_paths", "expected_cost", "failed", "ingest", "prepare",
]  # fmt: skip
