"""The per-index record of what has been ingested, and what made it.

It is the commit point of an ingest: a document counts as indexed only once its entry is
written here, after its points are in the store. It lives in `<index>/manifest.sqlite`
(WAL; one transaction per put), with a `meta` table for the index-level embedder and the
schema version. An index made before (`manifest.json`) is migrated on first open; its
entries have no fingerprint, so they show as stale until the next ingest redoes them.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from collections.abc import Iterator, MutableMapping
from pathlib import Path

from pydantic import BaseModel

from ictrag.index.fingerprint import EmbedderId, Fingerprint

DB_FILE = "manifest.sqlite"
LEGACY_FILE = "manifest.json"
SCHEMA_VERSION = "1"
COLUMNS = ("path", "sha256", "doc_id", "chunks", "pages", "figures", "title", "fingerprint")
_SCHEMA = """
CREATE TABLE IF NOT EXISTS entries (
    path TEXT PRIMARY KEY, sha256 TEXT NOT NULL, doc_id TEXT NOT NULL, chunks INTEGER NOT NULL,
    pages INTEGER NOT NULL, figures INTEGER NOT NULL, title TEXT NOT NULL, fingerprint TEXT
);
CREATE INDEX IF NOT EXISTS entries_sha ON entries (sha256);
CREATE INDEX IF NOT EXISTS entries_doc ON entries (doc_id);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


class ManifestEntry(BaseModel):
    path: str
    sha256: str
    doc_id: str
    chunks: int
    pages: int = 0
    figures: int = 0
    title: str = ""
    fingerprint: Fingerprint | None = None


def index_dir_of(path: Path) -> Path:
    """Callers used to pass `<index>/manifest.json`; a folder is the index itself."""
    path = Path(path)
    return path.parent if path.name in (LEGACY_FILE, DB_FILE) else path


def has_manifest(index_dir: Path) -> bool:
    index_dir = index_dir_of(index_dir)
    return (index_dir / DB_FILE).exists() or (index_dir / LEGACY_FILE).exists()


def _row(entry: ManifestEntry) -> tuple:
    fingerprint = entry.fingerprint.model_dump_json() if entry.fingerprint else None
    return (entry.path, entry.sha256, entry.doc_id, entry.chunks, entry.pages, entry.figures,
            entry.title, fingerprint)  # fmt: skip


def _entry(row: tuple) -> ManifestEntry:
    values = dict(zip(COLUMNS, row, strict=True))
    raw = values.pop("fingerprint")
    fingerprint = Fingerprint.model_validate_json(raw) if raw else None
    return ManifestEntry(**values, fingerprint=fingerprint)


class _Entries(MutableMapping[str, ManifestEntry]):
    """`manifest.entries`: a live view of the table, path -> entry."""

    def __init__(self, manifest: Manifest):
        self._manifest = manifest

    def __getitem__(self, path: str) -> ManifestEntry:
        entry = self._manifest.get(path)
        if entry is None:
            raise KeyError(path)
        return entry

    def __setitem__(self, path: str, entry: ManifestEntry) -> None:
        self._manifest.put(entry.model_copy(update={"path": path}))

    def __delitem__(self, path: str) -> None:
        if self._manifest.get(path) is None:
            raise KeyError(path)
        self._manifest.drop(path)

    def __iter__(self) -> Iterator[str]:
        return iter(
            [row[0] for row in self._manifest._query("SELECT path FROM entries ORDER BY path")]
        )

    def __len__(self) -> int:
        rows = self._manifest._query("SELECT COUNT(*) FROM entries")
        return int(rows[0][0]) if rows else 0

    def values(self):  # one query, not one per key
        return self._manifest.all()


class Manifest:
    def __init__(self, index_dir: Path):
        self.index_dir = index_dir_of(index_dir)
        self.path = self.index_dir / DB_FILE
        self._db: sqlite3.Connection | None = None
        self._lock = threading.Lock()  # one connection, shared by a server's threads
        self.entries = _Entries(self)
        if self.path.exists() or (self.index_dir / LEGACY_FILE).exists():
            self._connect()

    # --- connection and migration -------------------------------------------------------

    def _connect(self) -> sqlite3.Connection:
        if self._db is None:
            self.index_dir.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(self.path, timeout=30, isolation_level=None,
                                 check_same_thread=False)  # fmt: skip
            db.execute("PRAGMA journal_mode=WAL")
            # NORMAL: a commit survives a killed process; a power cut may lose the last few,
            # which the next ingest redoes (their points are orphans and get swept).
            db.execute("PRAGMA synchronous=NORMAL")
            db.executescript(_SCHEMA)
            self._db = db
            self._migrate_json()
        return self._db

    def _migrate_json(self) -> None:
        legacy = self.index_dir / LEGACY_FILE
        db = self._db
        assert db is not None
        db.execute("BEGIN IMMEDIATE")
        try:
            done = db.execute("SELECT value FROM meta WHERE key='schema'").fetchone()
            if done is None:
                if legacy.exists():
                    raw = json.loads(legacy.read_text() or "{}")
                    rows = [_row(ManifestEntry(**value)) for value in raw.values()]
                    db.executemany(
                        f"INSERT OR REPLACE INTO entries VALUES ({','.join('?' * 8)})", rows
                    )
                db.execute("INSERT INTO meta VALUES ('schema', ?)", (SCHEMA_VERSION,))
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        if legacy.exists():
            os.replace(legacy, legacy.with_name(LEGACY_FILE + ".migrated"))

    def _query(self, sql: str, args: tuple = ()) -> list[tuple]:
        if self._db is None:
            return []  # no index here yet: nothing to read, nothing created
        with self._lock:
            return self._db.execute(sql, args).fetchall()

    def _write(self, statements: list[tuple[str, tuple]]) -> None:
        db = self._connect()
        with self._lock:
            db.execute("BEGIN IMMEDIATE")
            try:
                for sql, args in statements:
                    db.execute(sql, args)
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise

    # --- the API ---------------------------------------------------------------------------

    def get(self, path: str) -> ManifestEntry | None:
        rows = self._query("SELECT * FROM entries WHERE path=?", (path,))
        return _entry(rows[0]) if rows else None

    def all(self) -> list[ManifestEntry]:
        return [_entry(row) for row in self._query("SELECT * FROM entries ORDER BY path")]

    def by_doc(self, doc_id: str) -> list[ManifestEntry]:
        return [_entry(r) for r in self._query("SELECT * FROM entries WHERE doc_id=?", (doc_id,))]

    def by_sha(self, sha256: str) -> list[ManifestEntry]:
        rows = self._query("SELECT * FROM entries WHERE sha256=? ORDER BY path", (sha256,))
        return [_entry(row) for row in rows]

    def doc_ids(self) -> set[str]:
        return {row[0] for row in self._query("SELECT DISTINCT doc_id FROM entries")}

    def put(self, entry: ManifestEntry, embedder: EmbedderId | None = None) -> None:
        """One transaction: the entry, and the index's embedder when it is the first."""
        statements = [(f"INSERT OR REPLACE INTO entries VALUES ({','.join('?' * 8)})", _row(entry))]
        if embedder is not None:
            statements.append(
                (
                    "INSERT OR REPLACE INTO meta VALUES ('embedder', ?)",
                    (embedder.model_dump_json(),),
                )
            )
        self._write(statements)

    def drop(self, path: str) -> None:
        self._write([("DELETE FROM entries WHERE path=?", (path,))])

    def embedder(self) -> EmbedderId | None:
        rows = self._query("SELECT value FROM meta WHERE key='embedder'")
        return EmbedderId.model_validate_json(rows[0][0]) if rows else None

    def set_embedder(self, embedder: EmbedderId | None) -> None:
        if embedder is None:
            self._write([("DELETE FROM meta WHERE key='embedder'", ())])
        else:
            self.put_meta("embedder", embedder.model_dump_json())

    def put_meta(self, key: str, value: str) -> None:
        self._write([("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))])

    def save(self) -> None:
        """Every put is already committed; kept for callers of the JSON manifest."""
        self._connect()

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None
