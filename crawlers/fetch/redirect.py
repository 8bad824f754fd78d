"""Redirect: follow 3xx answers by hand, so that every step after this one sees every hop."""

from __future__ import annotations

from urllib.parse import urljoin

from selfref.crawlers.fetch.chain import Exchange, Next
from selfref.crawlers.fetch.result import FetchStatus
from selfref.crawlers.settings import FetchSettings

__all__ = ["Redirect"]


class Redirect:
    """Runs the rest of the chain once per hop: an answer that left a `location` leads to
    the next hop, up to `max_redirects` of them and never back to a URL already visited."""

    def __init__(self, settings: FetchSettings) -> None:
        self._max = settings.max_redirects

    def __call__(self, exchange: Exchange, call_next: Next) -> None:
        result = exchange.result
        while True:
            exchange.location = None
            call_next(exchange)
            if exchange.location is None:
                return
            target = urljoin(exchange.url, exchange.location)
            if target in {result.url, *result.redirects}:
                result.status = FetchStatus.REDIRECT_LOOP
                result.error = f"{result.url}: redirect loop back to {target}"
                return
            if len(result.redirects) >= self._max:
                result.status = FetchStatus.REDIRECT_LOOP
                result.error = f"{result.url}: more than {self._max} redirects"
                return
            result.redirects.append(target)
            result.final_url = target
