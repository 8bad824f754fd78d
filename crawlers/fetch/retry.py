"""Retry: repeat the rest of the chain after a passing failure, with capped, jittered backoff."""

from __future__ import annotations

import random
from collections.abc import Callable

from selfref.crawlers.fetch.chain import Exchange, Next, Retryable
from selfref.crawlers.fetch.result import FetchStatus
from selfref.crawlers.settings import FetchSettings

__all__ = ["Retry"]


class Retry:
    """Runs the rest of the chain up to `retries + 1` times while it raises `Retryable`.

    Between attempts it sleeps the server's Retry-After, else full-jitter exponential
    backoff (`backoff_base` doubling, capped at `backoff_cap`); a Retry-After longer than
    `max_retry_after` ends the fetch at once, for the hub to come back later.
    """

    def __init__(
        self, settings: FetchSettings, *, sleep: Callable[[float], None], rng: random.Random
    ) -> None:
        self._settings = settings
        self._sleep = sleep
        self._rng = rng

    def __call__(self, exchange: Exchange, call_next: Next) -> None:
        result, url = exchange.result, exchange.url
        attempts = self._settings.retries + 1
        longest = self._settings.max_retry_after
        for attempt in range(1, attempts + 1):
            try:
                call_next(exchange)
                return
            except Retryable as exc:
                result.status = FetchStatus.FAILED
                result.http_status = exc.http_status
                result.retry_after = exc.retry_after
                if exc.retry_after is not None and exc.retry_after > longest:
                    result.error = (
                        f"{url}: {exc}; server asks to retry after {exc.retry_after:.0f} s, "
                        f"more than {longest:.0f} s: try again later"
                    )
                    return
                result.error = f"{url}: {exc} (after {attempt} attempts)"
                if attempt < attempts:
                    self._sleep(self.backoff(attempt, exc.retry_after))

    def backoff(self, attempt: int, retry_after: float | None) -> float:
        """Seconds to wait after failed attempt number `attempt` (from 1)."""
        if retry_after is not None:
            return retry_after
        base, cap = self._settings.backoff_base, self._settings.backoff_cap
        return self._rng.uniform(0, min(cap, base * 2 ** (attempt - 1)))
