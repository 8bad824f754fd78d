"""Spacing: requests to one host go out `per_host_delay` or its Crawl-delay apart."""

from __future__ import annotations

import threading
from collections.abc import Callable
from urllib.parse import urlsplit

from selfref.crawlers.fetch.chain import Exchange, Next
from selfref.crawlers.fetch.result import FetchStatus
from selfref.crawlers.settings import FetchSettings

__all__ = ["Spacing"]


class Spacing:
    """Waits for the host's next slot before each attempt: slots are `per_host_delay` or
    robots.txt's Crawl-delay apart, whichever is longer. A Crawl-delay longer than
    `max_retry_after` fails the hop instead of sleeping that long."""

    def __init__(
        self,
        settings: FetchSettings,
        *,
        crawl_delay: Callable[[str], float | None],
        clock: Callable[[], float],
        sleep: Callable[[float], None],
    ) -> None:
        self._settings = settings
        self._crawl_delay = crawl_delay
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._next_slot: dict[str, float] = {}

    def __call__(self, exchange: Exchange, call_next: Next) -> None:
        url = exchange.url
        delay = max(self._settings.per_host_delay, self._crawl_delay(url) or 0.0)
        longest = self._settings.max_retry_after
        if delay > longest:
            exchange.result.status = FetchStatus.FAILED
            exchange.result.error = (
                f"{url}: robots.txt crawl-delay {delay:.0f} s too long "
                f"(more than {longest:.0f} s): host not crawled"
            )
            return
        self._wait_turn(url, delay)
        call_next(exchange)

    def _wait_turn(self, url: str, delay: float) -> None:
        """Reserve the next slot for this host, then sleep until it comes."""
        host = urlsplit(url).hostname or ""  # lower-cased by urlsplit
        with self._lock:
            now = self._clock()
            slot = max(now, self._next_slot.get(host, now))
            self._next_slot[host] = slot + delay
        if slot > now:
            self._sleep(slot - now)
