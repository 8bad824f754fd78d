"""Guard: only http and https URLs, and only those the SSRF guard lets through."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

from selfref.crawlers.fetch.chain import Exchange, Next
from selfref.crawlers.fetch.result import FetchStatus

__all__ = ["Guard", "UrlCheck"]

UrlCheck = Callable[[str], None]
"""Raises ValueError for a URL that must not be fetched (the hub's SSRF guard)."""


class Guard:
    """Stops a hop before anything is sent: another scheme fails, a URL that `check`
    refuses is blocked, or failed when the check marks its trouble `temporary`."""

    def __init__(self, check: UrlCheck | None) -> None:
        self._check = check

    def __call__(self, exchange: Exchange, call_next: Next) -> None:
        url, result = exchange.url, exchange.result
        if urlsplit(url).scheme not in ("http", "https"):
            result.status = FetchStatus.FAILED
            result.error = f"{url}: only http and https URLs can be fetched"
            return
        if self._check is not None:
            try:
                self._check(url)
            except ValueError as exc:
                # a check marks passing trouble (a name that did not resolve) as temporary
                temporary = getattr(exc, "temporary", False)
                result.status = FetchStatus.FAILED if temporary else FetchStatus.BLOCKED
                result.error = str(exc)
                return
        call_next(exchange)
