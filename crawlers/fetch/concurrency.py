"""Concurrency: at most `concurrency` requests in flight, across every thread of a fetcher."""

from __future__ import annotations

import threading

from selfref.crawlers.fetch.chain import Exchange, Next
from selfref.crawlers.settings import FetchSettings

__all__ = ["Concurrency"]


class Concurrency:
    """Holds one of `concurrency` slots while the rest of the chain runs (request and body)."""

    def __init__(self, settings: FetchSettings) -> None:
        self._slots = threading.BoundedSemaphore(settings.concurrency)

    def __call__(self, exchange: Exchange, call_next: Next) -> None:
        with self._slots:
            call_next(exchange)
