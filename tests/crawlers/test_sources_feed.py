"""The feed source against feeds served on loopback."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from selfref.crawlers.fetch import Fetcher
from selfref.crawlers.sources import SourceError
from selfref.plugins import SOURCES
from tests.loopback import LoopbackServer

RSS = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>AI incidents</title><link>https://news.example/</link>
<item><title>Grok calls itself MechaHitler</title><link>https://news.example/grok</link>
<pubDate>Wed, 09 Jul 2025 10:00:00 GMT</pubDate><description>xAI removed posts.</description></item>
<item><title>Relative link</title><link>/tay</link></item>
<item><title>No link at all</title></item>
<item><title>Not a web page</title><link>mailto:tips@news.example</link></item>
</channel></rss>"""

ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Blog</title><id>urn:x</id>
<updated>2024-02-28T00:00:00Z</updated>
<entry><title>SupremacyAGI</title><id>urn:1</id><link href="https://blog.example/s"/>
<updated>2024-02-28T08:30:00Z</updated></entry>
</feed>"""


def run(server: LoopbackServer, fetcher: Fetcher, state: dict[str, Any]) -> list[Any]:
    source = SOURCES.build("feed", "news", {"url": server.url("/feed.xml")})
    return list(source.candidates(fetcher, state))


def test_rss_entries_become_candidates(server: LoopbackServer, fetcher: Fetcher) -> None:
    server.add("/feed.xml", RSS, etag='"f1"', content_type="application/rss+xml")
    state: dict[str, Any] = {}
    found = run(server, fetcher, state)
    assert [c.url for c in found] == ["https://news.example/grok", server.url("/tay")]
    first = found[0]
    assert first.source == "news"
    assert first.title == "Grok calls itself MechaHitler"
    assert first.published == datetime(2025, 7, 9, 10, tzinfo=UTC)
    assert first.metadata["summary"] == "xAI removed posts."
    assert first.text is None
    assert state["etag"] == '"f1"'


def test_unchanged_feed_costs_one_conditional_request(
    server: LoopbackServer, fetcher: Fetcher
) -> None:
    server.add("/feed.xml", RSS, etag='"f1"', content_type="application/rss+xml")
    state: dict[str, Any] = {}
    assert len(run(server, fetcher, state)) == 2
    assert run(server, fetcher, state) == []
    assert server.requests[-1].headers["if-none-match"] == '"f1"'


def test_atom_feed(server: LoopbackServer, fetcher: Fetcher) -> None:
    server.add("/feed.xml", ATOM, content_type="application/atom+xml")
    [entry] = run(server, fetcher, {})
    assert entry.url == "https://blog.example/s"
    assert entry.published == datetime(2024, 2, 28, 8, 30, tzinfo=UTC)


def test_feed_with_a_stray_ampersand_still_yields(server: LoopbackServer, fetcher: Fetcher) -> None:
    sloppy = RSS.replace("xAI removed posts.", "xAI & X removed posts.")
    server.add("/feed.xml", sloppy, content_type="application/xml")
    assert [c.title for c in run(server, fetcher, {})][:1] == ["Grok calls itself MechaHitler"]


@pytest.mark.parametrize(
    ("body", "content_type", "message"),
    [
        ("<html><body><p>Welcome</p></body></html>", "text/html", "is not a readable feed"),
        ('<rss version="2.0"><channel><title>cut off', "application/rss+xml", "not a readable"),
        ("{}", "text/plain", "is not a readable feed"),
        (b"\x00\x01\x02\x03" * 100, "application/xml", "body is binary"),
    ],
)
def test_broken_feed_raises_a_clear_error(
    server: LoopbackServer, fetcher: Fetcher, body: str | bytes, content_type: str, message: str
) -> None:
    server.add("/feed.xml", body, content_type=content_type)
    state: dict[str, Any] = {}
    with pytest.raises(SourceError, match="feed source 'news'") as caught:
        run(server, fetcher, state)
    assert message in str(caught.value)
    assert server.url("/feed.xml") in str(caught.value)
    assert state == {}


def test_missing_feed(server: LoopbackServer, fetcher: Fetcher) -> None:
    with pytest.raises(SourceError, match=r"cannot fetch .*/feed.xml \(not_found\)"):
        run(server, fetcher, {})
