"""The Chroma vector index: upsert, agent filter, embedder id check, batch search."""

from __future__ import annotations

import numpy as np
import pytest
from langchain_core.embeddings import DeterministicFakeEmbedding

from selfref.index import (
    ChunkRecord,
    EmbedderMismatchError,
    LangChainEmbedder,
    MiniLMEmbedder,
    VectorIndex,
)

CHUNKS = [
    ChunkRecord(
        "c1",
        "Grok called itself MechaHitler in July 2025.",
        {"agents": ["grok"], "url": "https://e.org/1", "incidents": ["grok-x"]},
    ),
    ChunkRecord(
        "c2",
        "Bing's Sydney declared its love for a reporter.",
        {"agents": ["bing-copilot"], "url": "https://e.org/2"},
    ),
    ChunkRecord(
        "c3",
        "Golden Gate Claude believed it was the bridge.",
        {"agents": ["claude"], "url": "https://e.org/3", "personas": []},
    ),
]


@pytest.fixture
def store(tmp_path, embedder: MiniLMEmbedder) -> VectorIndex:
    index = VectorIndex.open(embedder, path=tmp_path / "chroma", collection="test-store")
    index.upsert(CHUNKS)
    return index


def test_upsert_and_count(store: VectorIndex) -> None:
    assert store.count() == 3


def test_upsert_with_same_id_replaces(store: VectorIndex) -> None:
    store.upsert([ChunkRecord("c1", "Replacement text about bread.", {"agents": ["grok"]})])
    assert store.count() == 3
    hit = store.search("Replacement text about bread.", k=1)[0]
    assert hit.id == "c1"
    assert hit.text == "Replacement text about bread."
    assert hit.similarity > 0.99
    assert hit.metadata["agents"] == ["grok"]


def test_upsert_with_same_id_replaces_metadata_too(store: VectorIndex) -> None:
    store.upsert(
        [ChunkRecord("c1", "Re-crawled page, re-tagged.", {"agents": ["grok"], "incidents": []})]
    )
    hit = store.search("Re-crawled page, re-tagged.", k=1)[0]
    assert hit.id == "c1"
    assert "incidents" not in hit.metadata, "stale incident tag kept after re-tagging"
    assert "url" not in hit.metadata


def test_search_nearest_first_with_metadata(store: VectorIndex) -> None:
    hits = store.search("the chatbot named itself MechaHitler", k=3)
    assert hits[0].id == "c1"
    assert hits[0].metadata["url"] == "https://e.org/1"
    assert hits[0].metadata["agents"] == ["grok"]
    sims = [h.similarity for h in hits]
    assert sims == sorted(sims, reverse=True)


def test_agent_filter(store: VectorIndex) -> None:
    hits = store.search("the chatbot named itself MechaHitler", k=3, agent="claude")
    assert [h.id for h in hits] == ["c3"]
    assert store.search("anything", k=3, agent="tay") == []


def test_ids_and_delete(store: VectorIndex) -> None:
    assert store.ids({"url": "https://e.org/2"}) == ["c2"]
    store.delete(ids=["c2"])
    assert store.count() == 2
    store.delete(where={"url": "https://e.org/3"})
    assert store.count() == 1


def test_upsert_empty_is_a_no_op(store: VectorIndex) -> None:
    store.upsert([])
    assert store.count() == 3


def test_reopen_same_path_keeps_data(tmp_path, store: VectorIndex, embedder) -> None:
    again = VectorIndex.open(embedder, path=tmp_path / "chroma", collection="test-store")
    assert again.count() == 3


def test_reopen_with_different_embedder_is_refused(tmp_path, store: VectorIndex) -> None:
    other = LangChainEmbedder(DeterministicFakeEmbedding(size=384), id="fake-384")
    with pytest.raises(EmbedderMismatchError) as info:
        VectorIndex.open(other, path=tmp_path / "chroma", collection="test-store")
    assert "fake-384" in str(info.value)
    assert "all-MiniLM" in str(info.value)


def test_search_vectors_batch(store: VectorIndex, embedder: MiniLMEmbedder) -> None:
    vectors = embedder.embed(
        [
            "MechaHitler posts by the xAI chatbot",
            "the Bing chatbot Sydney and the reporter",
            "a model that thought it was the Golden Gate Bridge",
        ]
    )
    results = store.search_vectors(vectors, k=2)
    assert len(results) == 3
    assert [r[0].id for r in results] == ["c1", "c2", "c3"]
    assert all(len(r) == 2 for r in results)
    filtered = store.search_vectors(vectors, k=2, agent="grok")
    assert [[h.id for h in r] for r in filtered] == [["c1"], ["c1"], ["c1"]]
    assert store.search_vectors(np.zeros((0, 384), dtype=np.float32)) == []


def test_given_embeddings_are_stored(tmp_path, embedder: MiniLMEmbedder) -> None:
    index = VectorIndex.open(embedder, path=tmp_path / "c2", collection="given")
    vectors = embedder.embed([c.text for c in CHUNKS])
    index.upsert(CHUNKS, embeddings=vectors)
    hits = index.search_vectors(vectors[1:2], k=1)
    assert hits[0][0].id == "c2"
    assert hits[0][0].similarity > 0.99
