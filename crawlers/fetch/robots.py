"""Robots: obey each site's robots.txt, fetched once per origin through the fetcher itself."""

from __future__ import annotations

import threading
from collections.abc import Collection
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import urlsplit

from protego import Protego

from selfref.crawlers.fetch.chain import Exchange, Next
from selfref.crawlers.fetch.result import FetchResult, FetchStatus
from selfref.crawlers.settings import ANY_TYPE, FetchSettings

__all__ = ["ROBOTS_MAX_BYTES", "Fetch", "Robots", "Rules"]

ROBOTS_MAX_BYTES = 512_000


class Fetch(Protocol):
    """How robots.txt is fetched: `Fetcher.fetch`, so that it is guarded and spaced too."""

    def __call__(
        self, url: str, *, accept: Collection[str], max_bytes: int, robots: bool
    ) -> FetchResult: ...


@dataclass(frozen=True)
class Rules:
    """One origin's robots.txt: parsed, or a verdict for every path with the reason."""

    parser: Protego | None
    allow_all: bool
    reason: str


class Robots:
    """Lets a hop through when its site's robots.txt allows our product token; fetches with
    `robots=False` (documented APIs) pass unchecked. A robots.txt answering 4xx allows
    everything; one that cannot be had closes its site for this fetcher's lifetime."""

    def __init__(self, settings: FetchSettings, fetch: Fetch) -> None:
        self.agent = settings.user_agent.split("/", 1)[0].split()[0]
        self._fetch = fetch
        self._lock = threading.Lock()
        self._rules: dict[str, Rules] = {}
        self._origin_locks: dict[str, threading.Lock] = {}

    def __call__(self, exchange: Exchange, call_next: Next) -> None:
        if exchange.robots:
            url = exchange.url
            rules = self.rules_for(url)
            allowed = rules.parser.can_fetch(url, self.agent) if rules.parser else rules.allow_all
            if not allowed:
                exchange.result.status = FetchStatus.DISALLOWED
                exchange.result.error = f"{url}: disallowed by robots.txt ({rules.reason})"
                return
        call_next(exchange)

    def rules_for(self, url: str) -> Rules:
        """The rules for `url`'s origin, fetched on first use (one fetch per origin)."""
        origin = _origin(url)
        with self._lock:
            if origin in self._rules:
                return self._rules[origin]
            origin_lock = self._origin_locks.setdefault(origin, threading.Lock())
        with origin_lock:
            if origin not in self._rules:
                rules = self._load(origin + "/robots.txt")
                with self._lock:
                    self._rules[origin] = rules
            return self._rules[origin]

    def crawl_delay(self, url: str) -> float | None:
        """The Crawl-delay for our token in robots.txt already fetched for `url`'s origin."""
        with self._lock:
            rules = self._rules.get(_origin(url))
        delay = rules.parser.crawl_delay(self.agent) if rules and rules.parser else None
        return None if delay is None else float(delay)

    def sitemaps(self, url: str) -> list[str]:
        """The `Sitemap:` lines of the robots.txt for `url`'s origin."""
        rules = self.rules_for(url)
        return list(rules.parser.sitemaps) if rules.parser else []

    def _load(self, robots_url: str) -> Rules:
        got = self._fetch(robots_url, accept=ANY_TYPE, max_bytes=ROBOTS_MAX_BYTES, robots=False)
        if got.ok:
            text = got.text or got.body.decode("utf-8", "replace")
            return Rules(Protego.parse(text), True, robots_url)
        code = got.http_status
        if code is not None and 400 <= code < 500 and code != 429:
            return Rules(None, True, f"{robots_url} answered {code}: all allowed")
        return Rules(None, False, f"{robots_url} unavailable for this run: {got.error}")


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()
