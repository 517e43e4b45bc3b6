"""Corpus and pair export from a real index: inlined figures, dedup, formats, determinism."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ictrag.cli.serve import export_app
from ictrag.export.corpus import (
    CorpusOptions,
    detect_language,
    document_text,
    export_corpus,
    export_pairs,
    read_shards,
)
from ictrag.export.dedup import Deduplicator, MinHasher, lsh_params, shingles
from ictrag.kb import KnowledgeBase
from ictrag.model import Figure, TextBlock, TextKind

SAMPLES = Path(__file__).resolve().parent.parent / "docs" / "samples"
ZH = "# 路由器配置\n\n本章介绍如何在接入路由器上配置 OSPF 区域 0，并检查邻居状态和路由表。\n"


@pytest.fixture(scope="module")
def kb(tmp_path_factory, sample_pdf):
    files = tmp_path_factory.mktemp("sources")
    original = (SAMPLES / "sample.md").read_text()
    shutil.copy(sample_pdf, files / "a_manual.pdf")
    (files / "b_reference.md").write_text(original)
    # same text, other bytes: extra blank lines and trailing spaces
    (files / "c_copy.md").write_text(original.replace("\n\n", "\n\n\n").replace(".\n", ".  \n"))
    # one word changed: a near duplicate
    (files / "d_near.md").write_text(
        original.replace("usual view hierarchy", "common view hierarchy")
    )  # noqa: E501
    shutil.copy(files / "b_reference.md", files / "e_same_bytes.md")
    (files / "f_zh.md").write_text(ZH)
    base = KnowledgeBase(tmp_path_factory.mktemp("corpus") / "idx", workers=1)
    report = base.ingest([files])
    assert report.ok and report.count("duplicate") == 1
    yield base
    base.close()


def _export(kb: KnowledgeBase, out: Path, **options) -> list[dict]:
    export_corpus(kb, CorpusOptions(out=out, **options))
    return read_shards(out)


def test_every_figure_is_inlined_between_the_text_around_it(kb: KnowledgeBase, tmp_path: Path):
    records = _export(kb, tmp_path / "c", model_tokens=False)
    manual = next(r for r in records if r["source"].endswith("a_manual.pdf"))
    document = kb.document(manual["id"])
    text = manual["text"]
    assert manual["n_figures"] == 4 and manual["language"] == "en" and manual["pages"] == 6
    elements = [
        e
        for e in document.elements
        if not (isinstance(e, TextBlock) and e.kind == TextKind.caption)
    ]  # noqa: E501
    for index, element in enumerate(elements):
        if not isinstance(element, Figure):
            continue
        tags = list(
            re.finditer(
                rf'<figure type="(\w+)" label="([^"]*)" id="{element.id}">\n(.*?)\n</figure>',
                text,
                re.S,
            )
        )  # noqa: E501
        assert len(tags) == 1, element.label
        kind, label, body = tags[0].groups()
        assert label == element.label and kind == element.logical.figure_type.value
        assert body == element.logical.to_text()
        # exactly between the text block before it and the one after it
        assert text[: tags[0].start()].rstrip().endswith(elements[index - 1].text.strip())
        assert text[tags[0].end() :].lstrip().startswith(elements[index + 1].text.strip())
    labels = re.findall(r'<figure type="\w+" label="([^"]*)"', text)
    assert labels == ["Figure 2-1 802.1X authentication flow", "Figure 3-1 Campus network topology",
                      "Figure 4-1 Attach signalling", "Figure 5-1 DMZ web access"]  # fmt: skip
    dmz = text[
        text.index('label="Figure 5-1') : text.index("</figure>", text.index('label="Figure 5-1'))
    ]  # noqa: E501
    assert "FW-DMZ-01" in dmz and "192.168.10.5" in dmz  # from the raster figure's pixels only


def test_exact_and_near_duplicates_are_dropped_keeping_the_first(kb: KnowledgeBase, tmp_path: Path):  # noqa: E501
    out = tmp_path / "c"
    records = _export(kb, out, model_tokens=False)
    sources = sorted(Path(r["source"]).name for r in records)
    assert sources == ["a_manual.pdf", "b_reference.md", "f_zh.md"]
    report = json.loads((out / "report.json").read_text())
    dropped = {Path(d["source"]).name: d for d in report["dropped"]}
    kept = {Path(r["source"]).name: r["id"] for r in records}
    assert set(dropped) == {"c_copy.md", "d_near.md", "e_same_bytes.md"}
    assert (
        dropped["c_copy.md"]["reason"] == "exact"
        and dropped["c_copy.md"]["duplicate_of"] == kept["b_reference.md"]
    )  # noqa: E501
    assert (
        dropped["d_near.md"]["reason"] == "near" and 0.8 <= dropped["d_near.md"]["similarity"] < 1.0
    )  # noqa: E501
    assert dropped["e_same_bytes.md"]["duplicate_of"] == kept["b_reference.md"]
    strict = _export(kb, tmp_path / "strict", model_tokens=False, near_threshold=1.0)
    assert "d_near.md" in {Path(r["source"]).name for r in strict}
    zh = next(r for r in records if r["source"].endswith("f_zh.md"))
    assert zh["language"] == "zh"


def test_parquet_and_jsonl_agree_and_shards_are_deterministic(kb: KnowledgeBase, tmp_path: Path):
    jsonl = _export(kb, tmp_path / "j", shard_size=2, licence="CC-BY-4.0")
    parquet = _export(kb, tmp_path / "p", shard_size=2, licence="CC-BY-4.0", format="parquet")
    assert jsonl == parquet and len(jsonl) == 3
    assert [r["id"] for r in jsonl] == sorted(r["id"] for r in jsonl)
    assert sorted(p.name for p in (tmp_path / "j").glob("corpus-*")) == [
        "corpus-00000.jsonl.gz",
        "corpus-00001.jsonl.gz",
    ]  # noqa: E501
    assert sorted(p.name for p in (tmp_path / "p").glob("corpus-*")) == [
        "corpus-00000.parquet",
        "corpus-00001.parquet",
    ]  # noqa: E501
    for record in jsonl:
        assert record["licence"] == "CC-BY-4.0"
        assert record["tokens_whitespace"] == len(record["text"].split())
        assert record["tokens_model"] >= record["tokens_whitespace"] // 2
    _export(kb, tmp_path / "j2", shard_size=2, licence="CC-BY-4.0")
    for name in ("corpus-00000.jsonl.gz", "corpus-00001.jsonl.gz"):
        assert (tmp_path / "j" / name).read_bytes() == (tmp_path / "j2" / name).read_bytes()


def test_pairs_export_writes_images_and_logical_text(kb: KnowledgeBase, tmp_path: Path):
    report = export_pairs(kb, tmp_path / "pairs")
    assert report.written == 4 and report.figures == 4
    rows = [
        json.loads(line) for line in (tmp_path / "pairs" / "pairs.jsonl").read_text().splitlines()
    ]  # noqa: E501
    assert {row["label"] for row in rows} >= {
        "Figure 4-1 Attach signalling",
        "Figure 3-1 Campus network topology",
    }  # noqa: E501
    for row in rows:
        assert (tmp_path / "pairs" / row["image"]).read_bytes().startswith(b"\x89PNG")
        assert row["caption"].startswith("Figure type: ") and row["type"] in row["caption"]
        assert row["doc"].startswith("ICT Sample Manual") and row["page"] >= 3
    sequence = next(row for row in rows if row["label"] == "Figure 4-1 Attach signalling")
    assert sequence["type"] == "sequence" and "MME" in sequence["caption"]


def test_cli_exports_corpus_and_pairs(kb: KnowledgeBase, tmp_path: Path):
    runner = CliRunner()
    done = runner.invoke(
        export_app,
        [
            "corpus",
            "--index",
            str(kb.path),
            "--out",
            str(tmp_path / "c"),
            "--format",
            "parquet",
            "--no-model-tokens",
            "--json",
        ],
    )  # noqa: E501
    assert done.exit_code == 0, done.output
    assert json.loads(done.output)["written"] == 3
    done = runner.invoke(
        export_app, ["pairs", "--index", str(kb.path), "--out", str(tmp_path / "p")]
    )  # noqa: E501
    assert done.exit_code == 0 and "4 pairs" in done.output
    done = runner.invoke(
        export_app, ["corpus", "--index", str(tmp_path / "none"), "--out", str(tmp_path / "x")]
    )  # noqa: E501
    assert done.exit_code == 2 and "no index" in done.output


def test_minhash_is_deterministic_and_estimates_jaccard():
    words = [f"w{i}" for i in range(400)]
    a = " ".join(words)
    b = " ".join(words[:360] + [f"x{i}" for i in range(40)])
    sa, sb = shingles(a), shingles(b)
    exact = len(sa & sb) / len(sa | sb)
    first, second = MinHasher(seed=7), MinHasher(seed=7)
    assert (first.signature(sa) == second.signature(sa)).all()
    estimate = (first.signature(sa) == first.signature(sb)).mean()
    assert abs(estimate - exact) < 0.1
    bands, rows = lsh_params(0.8, 128)
    assert bands * rows <= 128 and 1 - (1 - 0.8**rows) ** bands >= 0.98
    assert 1 - (1 - 0.4**rows) ** bands < 0.05  # dissimilar pairs rarely become candidates
    dedup = Deduplicator(threshold=0.8)
    assert dedup.add("a", a) is None
    assert dedup.add("b", b)[0] == "near"
    assert dedup.add("c", " ".join(reversed(words))) is None


def test_language_heuristic():
    assert detect_language("Configure OSPF area 0 on GE0/0/1.") == "en"
    assert detect_language(ZH) == "zh"
    assert detect_language("Настройка маршрутизатора OSPF") == "other"
    assert detect_language("12345 ---") == "other"


def test_document_text_without_logical_falls_back_to_inner_text():
    from ictrag.model import Document

    figure = Figure(id="ab" * 32, label='Figure 1-1 "Quoted" & co', inner_text="R1 R2")
    document = Document(
        id="d", source="x", elements=[TextBlock(text="before"), figure, TextBlock(text="after")]
    )  # noqa: E501
    text = document_text(document)
    assert (
        text
        == f'before\n\n<figure type="other" label="Figure 1-1 &quot;Quoted&quot; &amp; co" id="{"ab" * 32}">\nR1 R2\n</figure>\n\nafter'
    )  # noqa: E501
