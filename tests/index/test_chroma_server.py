"""The same index code against a real `chroma run` server process."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from selfref import Level, Tracker
from selfref.config import load_config
from selfref.index import ChunkRecord, MiniLMEmbedder, VectorIndex
from tests.scale_servers import chroma_server

pytestmark = pytest.mark.server


@pytest.fixture(scope="module")
def chroma_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A `chroma run` server on a free loopback port, stopped after the module."""
    with chroma_server(tmp_path_factory.mktemp("chroma-server")) as (url, _process):
        yield url


def test_upsert_and_search_through_the_server(chroma_url: str, embedder: MiniLMEmbedder) -> None:
    index = VectorIndex.open(embedder, url=chroma_url, collection="server-test")
    index.upsert(
        [
            ChunkRecord(
                "a:0", "Grok called itself MechaHitler after an update", {"agents": ["grok"]}
            ),
            ChunkRecord("b:0", "A recipe for apple pie with cinnamon", {"agents": ["none"]}),
        ]
    )
    index.upsert(
        [ChunkRecord("a:0", "Grok called itself MechaHitler in July 2025", {"agents": ["grok"]})]
    )
    assert index.count() == 2
    hits = index.search("the chatbot named itself after a robot Hitler", k=1, agent="grok")
    assert [h.id for h in hits] == ["a:0"]
    assert hits[0].text.endswith("July 2025")


def test_tracker_checks_with_a_chroma_server(
    chroma_url: str, embedder: MiniLMEmbedder, write_config: object
) -> None:
    write_config(f'[storage]\nchroma_url = "{chroma_url}"\n')  # type: ignore[operator]
    tracker = Tracker(load_config(), embedder=embedder)
    result = tracker.check(
        "grok", ["Elon Musk's chatbot went on an antisemitic tirade and praised Hitler."]
    )
    assert result.verdicts[0].level >= Level.WARN
    assert any(e.kind == "corpus" for e in result.verdicts[0].evidence)
    hits = tracker.search("MechaHitler", agent="grok", k=1, include_catalog=True)
    assert hits[0].metadata["agents"] == ["grok"]
    tracker.close()
