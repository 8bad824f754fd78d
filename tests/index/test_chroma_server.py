"""The same index code against a real `chroma run` server process."""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from index import ChunkRecord, MiniLMEmbedder, VectorIndex
from tests.loopback import free_port
from tracker import Level, Tracker
from tracker.config import load_config

pytestmark = pytest.mark.server




@pytest.fixture(scope="module")
def chroma_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A `chroma run` server on a free loopback port, stopped after the module."""
    chroma = shutil.which("chroma")
    if chroma is None:
        pytest.skip("the `chroma` command (from the chromadb package) is not installed")
    port = free_port()
    path = tmp_path_factory.mktemp("chroma-server")
    log = (path.parent / "chroma.log").open("w")
    process = subprocess.Popen(
        [chroma, "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{url}/api/v2/heartbeat", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"chroma run did not come up: {Path(log.name).read_text()[-500:]}")
            time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=20)
        log.close()


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
