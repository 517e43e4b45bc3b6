"""`ictrag index migrate`: Edge index → Qdrant (qdrant-client local mode; no real server can
run on this machine) → Edge again, with counts and search results preserved."""

from __future__ import annotations

import json
import shutil

import pytest
from typer.testing import CliRunner

from ictrag import KnowledgeBase
from ictrag.cli import app
from ictrag.config import load_settings
from ictrag.index.embed import DenseEmbedder
from ictrag.index.migrate import MigrateError, migrate
from ictrag.index.store_server import ServerStore
from ictrag.search import search
from tests.conftest import SAMPLES

QUERIES = ["FW-DMZ-01 firewall 192.168.10.5", "S1-MME", "network topology", "VLAN interface"]


@pytest.fixture(scope="module")
def edge_index(tmp_path_factory):
    root = tmp_path_factory.mktemp("migrate")
    src = root / "src"
    src.mkdir()
    for name in ("ict-sample-manual.pdf", "sample.md"):
        shutil.copy(SAMPLES / name, src / name)
    kb = KnowledgeBase(root / "edge", workers=1)
    assert kb.ingest([src]).ok
    expected = {
        "docs": {d["doc_id"]: d["chunks"] for d in kb.store.documents()},
        "count": kb.store.count(),
        "hits": {q: [h.chunk.id for h in kb.search(q, k=5)] for q in QUERIES},
    }
    kb.close()
    return root, src, expected


def test_edge_to_server_and_back_preserves_counts_and_search_results(edge_index):
    root, src, expected = edge_index
    settings = load_settings()
    server_dir = str(root / "server")
    report = migrate(root / "edge", settings, to_server=True, path=server_dir, collection="kb")
    assert report.points == report.target_points == expected["count"]
    assert report.documents == len(expected["docs"])

    server = ServerStore(path=server_dir, collection="kb")
    try:
        assert {d["doc_id"]: d["chunks"] for d in server.documents()} == expected["docs"]
        embedder = DenseEmbedder(settings.embed)
        for query, want in expected["hits"].items():
            got = [h.chunk.id for h in search(server, embedder, query, k=5)]
            assert got[:1] == want[:1] and set(got[:3]) <= set(want), query
    finally:
        server.close()

    back = migrate(root / "back", settings, to_server=False, path=server_dir, collection="kb")
    assert back.points == expected["count"] and back.manifest_rebuilt
    kb = KnowledgeBase(root / "back")
    try:
        assert {d["doc_id"]: d["chunks"] for d in kb.store.documents()} == expected["docs"]
        for query, want in expected["hits"].items():
            assert [h.chunk.id for h in kb.search(query, k=5)] == want, query
        # the rebuilt manifest knows the files but not what made them (no fingerprint): a
        # re-ingest redoes them in place, with the same points
        again = kb.ingest([src])
        assert again.count("reindexed") == 2 and kb.store.count() == expected["count"]
        assert all(row["stale"] == [] for row in kb.documents())
    finally:
        kb.close()


def test_migrate_refuses_a_target_holding_other_documents(edge_index, tmp_path):
    root, _, _ = edge_index
    other = tmp_path / "other"
    kb = KnowledgeBase(other, workers=1)
    assert kb.ingest([SAMPLES / "sample.html"]).ok
    kb.close()
    settings = load_settings()
    migrate(other, settings, to_server=True, path=str(tmp_path / "srv"))
    with pytest.raises(MigrateError, match="does not"):
        migrate(root / "edge", settings, to_server=True, path=str(tmp_path / "srv"))


def test_server_collection_is_created_with_the_configured_sharding(edge_index, tmp_path):
    root, _, expected = edge_index
    settings = load_settings(
        store={"shard_number": 3, "replication_factor": 2, "write_consistency_factor": 2}
    )
    seen: dict = {}
    real_init = ServerStore.__init__

    def spy_init(self, *args, **kwargs):  # record what the real local-mode client is asked
        real_init(self, *args, **kwargs)
        create = self.client.create_collection

        def create_collection(*a, **kw):
            seen.update(kw)
            return create(*a, **kw)

        self.client.create_collection = create_collection

    ServerStore.__init__ = spy_init
    try:
        report = migrate(root / "edge", settings, to_server=True, path=str(tmp_path / "s"))
    finally:
        ServerStore.__init__ = real_init
    assert report.target_points == expected["count"]
    assert (seen["shard_number"], seen["replication_factor"], seen["write_consistency_factor"]) == (
        3,
        2,
        2,
    )


def test_migrate_command_copies_and_reports_json_or_exits_2_on_usage(edge_index, tmp_path):
    root, _, expected = edge_index
    runner = CliRunner()
    usage = runner.invoke(app, ["index", "migrate", "--from-index", str(root / "edge")])
    assert usage.exit_code == 2
    missing = runner.invoke(
        app,
        ["index", "migrate", "--from-index", str(tmp_path / "none"), "--local-path", str(tmp_path / "s")],  # noqa: E501
    )
    assert missing.exit_code == 1 and "no Edge index" in missing.output
    done = runner.invoke(
        app,
        ["index", "migrate", "--from-index", str(root / "edge"), "--local-path", str(tmp_path / "s"), "--json"],  # noqa: E501
    )
    assert done.exit_code == 0, done.output
    assert json.loads(done.output)["target_points"] == expected["count"]
