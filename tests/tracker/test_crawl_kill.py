"""A crawl killed at any point loses nothing: the next crawl leaves every page indexed once.

Real `selfref crawl` subprocesses against a loopback site, killed (SIGKILL or SIGTERM)
once the crawl state holds a random number of page rows; then one crawl runs to the end
and every page must be indexed, with exactly its chunks in the index and its
known-coverage rows in SQL.
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlmodel import select

from selfref import Tracker
from selfref.corpus import CRAWL_SOURCE
from selfref.crawl_state import CrawlStore, KnownPage, PageStatus
from selfref.crawlers.urls import canonicalize
from tests.loopback import LoopbackServer

pytestmark = pytest.mark.server

PAGES = 40
_SYLLABLES = ("ka", "lo", "mi", "ter", "vus", "pra", "den", "olo", "fim", "zar", "quo", "bel")


def _article(rng: random.Random, i: int) -> str:
    """A page about Grok in made-up words of its own, far from every other page."""
    words = ["".join(rng.choice(_SYLLABLES) for _ in range(3)) for _ in range(30)]
    return f"Report {i}. Grok, the chatbot built by xAI, said {' '.join(words)}."


@pytest.fixture
def site() -> Iterator[LoopbackServer]:
    """Loopback pages listed by a feed; each answer waits a little so a crawl takes a while."""
    rng = random.Random(7)
    pages = [f"/story/{i}" for i in range(PAGES)]
    with LoopbackServer() as server:
        server.feed("/feed.xml", pages)
        for i, path in enumerate(pages):
            page = (
                f"<html><head><title>Story {i}</title></head><body><article>"
                f"<p>{_article(rng, i)}</p></article></body></html>"
            )
            server.add(path, page, delay=0.03)
        yield server


def _rows(db: Path) -> int:
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5) as conn:
            return int(conn.execute("SELECT count(*) FROM crawl_pages").fetchone()[0])
    except sqlite3.OperationalError:  # not created yet
        return 0


def _crawl(home: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "SELFREF_HOME": str(home)}
    return subprocess.Popen(
        [sys.executable, "-c", "from selfref.cli import main; main()", "crawl", "--format", "json"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def test_killed_crawls_leave_every_page_indexed_once(
    site: LoopbackServer,
    selfref_home: Path,
    write_config: Callable[[str], Path],
    make_tracker: Callable[..., Tracker],
    seed_home_index: Callable[[], Path],
) -> None:
    seed_home_index()  # the catalog is already embedded: the crawls start at once
    write_config(
        f"""
[storage]
chroma_path = "{selfref_home / "chroma"}"

[crawl]
allow_private_addresses = true
per_host_delay = "0s"
retries = 0

[[sources]]
name = "stories"
kind = "feed"
url = "{site.url("/feed.xml")}"
"""
    )
    db = selfref_home / "selfref.sqlite3"
    seed = random.SystemRandom().randrange(1 << 30)
    rng = random.Random(seed)
    kills = [signal.SIGKILL, signal.SIGTERM, signal.SIGKILL, signal.SIGTERM]
    done = 0
    for sig in kills:
        target = min(PAGES, _rows(db) + rng.randint(1, PAGES // len(kills)))
        proc = _crawl(selfref_home)
        while proc.poll() is None and _rows(db) < target:
            time.sleep(0.005)
        if proc.poll() is None:
            proc.send_signal(sig)
        proc.wait(timeout=60)
        _, err = proc.communicate()
        done += proc.returncode == 0
        assert proc.returncode in (0, -sig), err.decode(errors="replace")
    final = _crawl(selfref_home)
    _, err = final.communicate(timeout=300)
    assert final.returncode == 0, err.decode(errors="replace")

    tracker = make_tracker()
    store = CrawlStore(tracker.audit_log)
    urls = [canonicalize(site.url(f"/story/{i}")) for i in range(PAGES)]
    pages = store.pages(urls)
    context = f"seed {seed}, {done} of {len(kills)} crawls ended before their kill"
    assert sorted(pages) == sorted(urls), context
    assert {p.status for p in pages.values()} == {PageStatus.INDEXED}, context
    with store.session() as s:
        known = set(s.exec(select(KnownPage.page_id)).all())
    for url, page in pages.items():
        assert page.chunk_count > 0, (url, context)
        assert len(tracker.index.ids({"document_id": url})) == page.chunk_count, (url, context)
        assert page.id in known, (url, context)
    crawled = tracker.index.ids({"source": CRAWL_SOURCE})
    assert len(crawled) == sum(p.chunk_count for p in pages.values()), context
