"""The sitemap source: indexes, gzip, robots.txt lines, and sitemap bombs."""

from __future__ import annotations

import gzip
import logging
from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from selfref.crawlers.fetch import Fetcher
from selfref.crawlers.sources import Candidate, SourceError
from selfref.plugins import SOURCES
from tests.loopback import LoopbackServer

NS = 'xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"'


def urlset(*locs: str, lastmod: str | None = None) -> str:
    stamp = f"<lastmod>{lastmod}</lastmod>" if lastmod else ""
    items = "".join(f"<url><loc>{loc}</loc>{stamp}</url>" for loc in locs)
    return f'<?xml version="1.0" encoding="UTF-8"?><urlset {NS}>{items}</urlset>'


def index(*locs: str) -> str:
    items = "".join(f"<sitemap><loc>{loc}</loc></sitemap>" for loc in locs)
    return f'<?xml version="1.0" encoding="UTF-8"?><sitemapindex {NS}>{items}</sitemapindex>'


def crawl(fetcher: Fetcher, url: str, **options: object) -> list[Candidate]:
    source = SOURCES.build("sitemap", "site", {"url": url, **options})
    return list(source.candidates(fetcher, {}))


def test_urlset_with_lastmod(server: LoopbackServer, fetcher: Fetcher) -> None:
    server.add(
        "/sitemap.xml",
        urlset("https://s.example/a", "https://s.example/b", lastmod="2025-07-09T10:00:00Z"),
        content_type="application/xml",
    )
    found = crawl(fetcher, server.url("/sitemap.xml"))
    assert [c.url for c in found] == ["https://s.example/a", "https://s.example/b"]
    assert found[0].published == datetime(2025, 7, 9, 10, tzinfo=UTC)
    assert found[0].metadata == {"sitemap": server.url("/sitemap.xml")}


def test_index_with_a_gzipped_child(server: LoopbackServer, fetcher: Fetcher) -> None:
    server.add(
        "/index.xml", index("/plain.xml", server.url("/news.xml.gz")), content_type="text/xml"
    )
    server.add("/plain.xml", urlset("https://s.example/1"), content_type="application/xml")
    server.add(
        "/news.xml.gz",
        gzip.compress(urlset("https://s.example/2", "https://s.example/3").encode()),
        content_type="application/x-gzip",
    )
    found = crawl(fetcher, server.url("/index.xml"))
    assert [c.url for c in found] == [f"https://s.example/{i}" for i in (1, 2, 3)]


def test_site_root_uses_robots_sitemap_lines(server: LoopbackServer, fetcher: Fetcher) -> None:
    robots = f"User-agent: *\nAllow: /\nSitemap: {server.url('/maps/one.xml')}\n"
    server.add("/robots.txt", robots, content_type="text/plain")
    server.add("/maps/one.xml", urlset("https://s.example/from-robots"), content_type="text/xml")
    server.add("/sitemap.xml", urlset("https://s.example/default"), content_type="text/xml")
    assert [c.url for c in crawl(fetcher, server.url("/"))] == ["https://s.example/from-robots"]


def test_site_root_without_robots_lines_tries_sitemap_xml(
    server: LoopbackServer, fetcher: Fetcher
) -> None:
    server.add("/sitemap.xml", urlset("https://s.example/default"), content_type="text/xml")
    assert [c.url for c in crawl(fetcher, server.url())] == ["https://s.example/default"]


def test_text_sitemap(server: LoopbackServer, fetcher: Fetcher) -> None:
    server.add(
        "/urls.txt",
        "https://s.example/x\n\nnot a url\nhttps://s.example/y\n",
        content_type="text/plain",
    )
    assert [c.url for c in crawl(fetcher, server.url("/urls.txt"))] == [
        "https://s.example/x",
        "https://s.example/y",
    ]


def test_url_bomb_stops_at_max_urls(
    server: LoopbackServer, fetcher: Fetcher, caplog: pytest.LogCaptureFixture
) -> None:
    server.add(
        "/big.xml",
        urlset(*(f"https://s.example/{i}" for i in range(20_000))),
        content_type="text/xml",
    )
    server.add("/index.xml", index("/big.xml", "/more.xml"), content_type="text/xml")
    server.add("/more.xml", urlset("https://s.example/more"), content_type="text/xml")
    with caplog.at_level(logging.WARNING):
        found = crawl(fetcher, server.url("/index.xml"), max_urls=100)
    assert len(found) == 100
    assert found[-1].url == "https://s.example/99"
    assert "/more.xml" not in server.paths()
    assert "max_urls=100" in caplog.text


def test_nesting_bomb_stops_at_max_depth(
    server: LoopbackServer, fetcher: Fetcher, caplog: pytest.LogCaptureFixture
) -> None:
    for level in range(10):
        server.add(
            f"/level{level}.xml",
            index(f"/level{level + 1}.xml", f"/urls{level}.xml"),
            content_type="text/xml",
        )
        server.add(
            f"/urls{level}.xml", urlset(f"https://s.example/{level}"), content_type="text/xml"
        )
    with caplog.at_level(logging.WARNING):
        found = crawl(fetcher, server.url("/level0.xml"), max_depth=2)
    # level0 (depth 0) and level1 (depth 1) are followed; level2 sits at the limit.
    assert sorted(c.url for c in found) == [f"https://s.example/{i}" for i in (0, 1)]
    assert "/level3.xml" not in server.paths()
    assert "deeper than max_depth" in caplog.text


def test_self_referencing_index_terminates(server: LoopbackServer, fetcher: Fetcher) -> None:
    server.add("/loop.xml", index("/loop.xml", "/urls.xml"), content_type="text/xml")
    server.add("/urls.xml", urlset("https://s.example/only"), content_type="text/xml")
    assert [c.url for c in crawl(fetcher, server.url("/loop.xml"), max_depth=50)] == [
        "https://s.example/only"
    ]
    assert server.paths().count("/loop.xml") == 1


def test_wide_index_stops_at_max_sitemaps(server: LoopbackServer, fetcher: Fetcher) -> None:
    server.add("/wide.xml", index(*(f"/c{i}.xml" for i in range(500))), content_type="text/xml")
    for i in range(500):
        server.add(f"/c{i}.xml", urlset(f"https://s.example/{i}"), content_type="text/xml")
    found = crawl(fetcher, server.url("/wide.xml"), max_sitemaps=5)
    assert len(found) == 4
    assert len([p for p in server.paths() if p.startswith("/c")]) == 4


def test_gzip_bomb_is_refused(server: LoopbackServer, make_fetcher: Callable[..., Fetcher]) -> None:
    bomb = gzip.compress(b"<urlset>" + b" " * 50_000_000 + b"</urlset>", compresslevel=9)
    assert len(bomb) < 100_000
    server.add("/bomb.xml.gz", bomb, content_type="application/gzip")
    with pytest.raises(SourceError, match="more than 1000000 bytes once decompressed"):
        crawl(make_fetcher(max_page_bytes=1_000_000), server.url("/bomb.xml.gz"))


def test_entity_expansion_bomb_is_not_expanded(server: LoopbackServer, fetcher: Fetcher) -> None:
    entities = '<!ENTITY a "aaaaaaaaaa">' + "".join(
        f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">' for i in range(8)
    )
    laughs = f'<?xml version="1.0"?><!DOCTYPE urlset [{entities}]><urlset {NS}><url><loc>https://s.example/&i;</loc></url></urlset>'
    server.add("/laughs.xml", laughs, content_type="application/xml")
    found = crawl(fetcher, server.url("/laughs.xml"))
    assert [c.url for c in found] == ["https://s.example/"]  # the entity is left out


def test_failed_child_is_reported_after_the_rest(server: LoopbackServer, fetcher: Fetcher) -> None:
    server.add(
        "/index.xml", index("/missing.xml", "/broken.xml", "/ok.xml"), content_type="text/xml"
    )
    server.add("/broken.xml", "<html><body>oops</body></html>", content_type="text/xml")
    server.add("/ok.xml", urlset("https://s.example/ok"), content_type="text/xml")
    source = SOURCES.build("sitemap", "site", {"url": server.url("/index.xml")})
    found: list[Candidate] = []
    with pytest.raises(SourceError, match="2 sitemap\\(s\\) failed") as caught:
        for candidate in source.candidates(fetcher, {}):
            found.append(candidate)
    assert [c.url for c in found] == ["https://s.example/ok"]
    assert "/missing.xml" in str(caught.value) and "not a sitemap (root element <html>)" in str(
        caught.value
    )


def test_unreachable_root_sitemap_raises(server: LoopbackServer, fetcher: Fetcher) -> None:
    with pytest.raises(SourceError, match="sitemap source 'site': 1 sitemap"):
        crawl(fetcher, server.url("/nope.xml"))
