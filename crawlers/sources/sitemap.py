"""`sitemap`: URLs from sitemaps and sitemap indexes, gzipped or not, with bomb limits."""

from __future__ import annotations

import zlib
from collections import deque
from collections.abc import Iterator, Mapping
from typing import Any, ClassVar
from urllib.parse import urljoin, urlsplit

from lxml import etree

from selfref.crawlers.fetch import FEED_TYPES, Fetcher
from selfref.crawlers.sources.base import Candidate, Option, Source, parse_datetime

_GZIP_TYPES = {"application/gzip", "application/x-gzip", "application/octet-stream"}
_ACCEPT = FEED_TYPES | _GZIP_TYPES | {"text/plain"}


class SitemapSource(Source):
    """A sitemap URL, or a site root whose robots.txt `Sitemap:` lines (or /sitemap.xml) lead on.

    `max_urls`, `max_depth` (index nesting) and `max_sitemaps` (files fetched) stop sitemap
    bombs; a limit reached is noted in the crawl report (`limits`), sitemaps that fail are
    named in a SourceError raised after every other URL has been yielded.
    """

    kind = "sitemap"

    OPTIONS: ClassVar[Mapping[str, Option]] = {
        "url": Option("url"),
        "max_urls": Option("int", 50_000, minimum=1),
        "max_depth": Option("int", 3, minimum=0),
        "max_sitemaps": Option("int", 1_000, minimum=1),
    }

    def candidates(self, fetcher: Fetcher, state: dict[str, Any]) -> Iterator[Candidate]:
        """Page URLs in sitemap order, `lastmod` as `published`."""
        url: str = self.options["url"]
        max_urls: int = self.options["max_urls"]
        max_sitemaps: int = self.options["max_sitemaps"]
        parts = urlsplit(url)
        if parts.path in ("", "/") and not parts.query:
            roots = fetcher.robots_sitemaps(url) or [urljoin(url, "/sitemap.xml")]
        else:
            roots = [url]
        queue = deque((root, 0) for root in roots)
        seen: set[str] = set()
        failures: list[str] = []
        yielded = 0
        while queue:
            sitemap, depth = queue.popleft()
            if sitemap in seen:
                continue
            if len(seen) >= max_sitemaps:
                self.limit_reached(f"stopped after max_sitemaps={max_sitemaps} files")
                break
            seen.add(sitemap)
            result = fetcher.fetch(sitemap, accept=_ACCEPT)
            if not result.ok:
                failures.append(f"{sitemap}: {result.error or result.status}")
                continue
            try:
                is_index, entries = _parse(result.body, fetcher.settings.max_page_bytes)
            except ValueError as exc:
                failures.append(f"{sitemap}: {exc}")
                continue
            if is_index:
                if depth >= self.options["max_depth"]:
                    self.limit_reached(f"{sitemap} nests deeper than max_depth, skipped")
                    continue
                room = max(max_sitemaps - len(seen) - len(queue), 0)
                queue.extend((urljoin(sitemap, loc), depth + 1) for loc, _ in entries[:room])
                continue
            for loc, lastmod in entries:
                if yielded >= max_urls:
                    self.limit_reached(f"stopped at max_urls={max_urls}")
                    queue.clear()
                    break
                page = urljoin(sitemap, loc)
                if urlsplit(page).scheme in ("http", "https"):
                    yielded += 1
                    yield Candidate(
                        url=page,
                        source=self.name,
                        published=parse_datetime(lastmod),
                        metadata={"sitemap": sitemap},
                    )
        if failures:
            shown = "; ".join(failures[:5])
            more = f" (and {len(failures) - 5} more)" if len(failures) > 5 else ""
            raise self.error(f"{len(failures)} sitemap(s) failed: {shown}{more}")


def _parse(body: bytes, limit: int) -> tuple[bool, list[tuple[str, str | None]]]:
    """(is_index, [(loc, lastmod)]) from XML, gzipped XML or a plain-text URL list."""
    if body[:2] == b"\x1f\x8b":
        inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
        try:
            body = inflater.decompress(body, limit)
        except zlib.error as exc:
            raise ValueError(f"broken gzip data ({exc})") from None
        if inflater.unconsumed_tail:
            raise ValueError(f"more than {limit} bytes once decompressed")
    if not body.lstrip().startswith(b"<"):
        lines = body.decode("utf-8", "replace").splitlines()
        return False, [(line.strip(), None) for line in lines if line.strip().startswith("http")]
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, recover=True)
    try:
        root = etree.fromstring(body, parser)
    except etree.XMLSyntaxError as exc:
        raise ValueError(f"not XML ({exc})") from None
    if root is None:
        raise ValueError("not XML")
    tag = etree.QName(root).localname
    if tag not in ("sitemapindex", "urlset"):
        raise ValueError(f"not a sitemap (root element <{tag}>)")
    child = "{*}sitemap" if tag == "sitemapindex" else "{*}url"
    pairs = [
        ((node.findtext("{*}loc") or "").strip(), node.findtext("{*}lastmod"))
        for node in root.iterchildren(child)
    ]
    return tag == "sitemapindex", [(loc, lastmod) for loc, lastmod in pairs if loc]
