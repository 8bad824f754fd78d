"""The catalog's shipped vectors: current, exact, used by a fresh home, and one indexing
per home at a time."""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from selfref.catalog_vectors import (
    builtin_texts,
    catalog_key,
    shipped,
    text_key,
    vectors_for,
)
from selfref.config import load_config
from selfref.core import Tracker
from selfref.index import MiniLMEmbedder
from selfref.index.embedder import MINILM_ID
from selfref.indexing import exclusive

REBUILD = "python -m selfref.catalog_vectors"


class Counting:
    """The real embedder, counting the texts it is asked to embed."""

    def __init__(self, embedder: MiniLMEmbedder) -> None:
        self._embedder = embedder
        self.id = embedder.id
        self.texts: list[str] = []

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        self.texts += texts
        return self._embedder.embed(texts)


def test_shipped_vectors_match_the_builtin_catalog() -> None:
    found = shipped(MINILM_ID)
    assert found is not None, f"no shipped catalog vectors for {MINILM_ID}: run {REBUILD}"
    assert found.key == catalog_key(MINILM_ID, builtin_texts()), (
        f"the shipped catalog vectors are stale (the catalog changed): run {REBUILD}"
    )


def test_shipped_rows_are_the_embedders_own_vectors(embedder: MiniLMEmbedder) -> None:
    found = shipped(embedder.id)
    assert found is not None
    sample = builtin_texts()[::50]
    rows = np.stack([found.matrix[found.rows[text_key(t)]] for t in sample])
    assert np.allclose(rows, embedder.embed(sample), atol=1e-5)


def test_only_lines_the_package_lacks_are_embedded(embedder: MiniLMEmbedder) -> None:
    counting = Counting(embedder)
    known = builtin_texts()[:3]
    new = "Acme Assistant told a user it was a medieval knight in March 2026."
    vectors = vectors_for(counting, [*known, new])
    assert counting.texts == [new]
    assert np.allclose(vectors[3], embedder.embed([new])[0], atol=1e-6)
    assert np.allclose(vectors[:3], embedder.embed(known), atol=1e-5)


def test_a_fresh_home_is_indexed_from_the_package(
    embedder: MiniLMEmbedder, write_config, selfref_home: Path
) -> None:
    write_config(
        '[[agents]]\nid = "acme"\nname = "Acme Assistant"\nvendor = "Acme"\n'
        'product = ["Acme Assistant now answers in twelve languages."]\n'
    )
    counting = Counting(embedder)
    tracker = Tracker(load_config(), embedder=counting)
    assert tracker.indexing.stage == "pending"
    seen: list[tuple[str, int, int]] = []
    tracker.indexing.listeners.append(lambda s: seen.append((s.stage, s.done, s.total)))
    count = tracker.index.count()
    assert tracker.indexing.ready
    assert counting.texts == ["Acme Assistant now answers in twelve languages."]
    assert count == len(set(builtin_texts())) + 1
    assert seen[0][0] == "indexing" and seen[-1] == ("ready", 1, 1)
    tracker.close()
    again = Counting(embedder)
    second = Tracker(load_config(), embedder=again)
    assert second.index.count() == count and again.texts == []  # nothing indexed twice
    second.close()


def test_a_second_process_waits_for_the_indexing_lock(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="selfref.corpus")
    lock = tmp_path / "locks" / "catalog-index.lock"
    entered = threading.Event()

    def second() -> None:
        with exclusive(lock, "indexing"):
            entered.set()

    with exclusive(lock, "indexing"):
        thread = threading.Thread(target=second)
        thread.start()
        for _ in range(500):
            if any("waiting for another" in r.getMessage() for r in caplog.records):
                break
            thread.join(0.01)
        assert any("waiting for another" in r.getMessage() for r in caplog.records)
        assert not entered.is_set()
    thread.join(10)
    assert entered.is_set()
