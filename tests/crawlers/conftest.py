"""Fixtures for the crawler tests: the loopback HTTP server with per-test routes, a fake clock,
and for the fetch chain's steps, one at a time: an exchange and the rest of the chain."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from selfref.crawlers.fetch import Fetcher, FetchResult, FetchSettings
from selfref.crawlers.fetch.chain import Exchange
from tests.loopback import LoopbackServer


class FakeClock:
    """A monotonic clock that only moves when something sleeps on it, and by `step` each
    time it is read (a deadline then passes after so many readings, not so much time)."""

    def __init__(self, step: float = 0.0) -> None:
        self.now = 1000.0
        self.step = step
        self.sleeps: list[float] = []
        self._lock = threading.Lock()

    def __call__(self) -> float:
        with self._lock:
            self.now += self.step
            return self.now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.sleeps.append(seconds)
            self.now += seconds


def new_exchange(url: str, **fields: Any) -> Exchange:
    """An exchange for `url` as `Fetcher.fetch` makes one on the default settings."""
    defaults = FetchSettings()
    values: dict[str, Any] = {
        "headers": {},
        "accept": defaults.content_types,
        "max_bytes": defaults.max_page_bytes,
        "robots": True,
    }
    return Exchange(FetchResult(url=url, final_url=url), **(values | fields))


class Downstream:
    """Stands for the steps after the one under test: records the URL of every call, then
    runs `then` on the exchange, if given."""

    def __init__(self, then: Callable[[Exchange], None] | None = None) -> None:
        self.calls: list[str] = []
        self._then = then

    def __call__(self, exchange: Exchange) -> None:
        self.calls.append(exchange.url)
        if self._then is not None:
            self._then(exchange)


@pytest.fixture
def server() -> Iterator[LoopbackServer]:
    with LoopbackServer() as running:
        yield running


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def fetcher(make_fetcher: Callable[..., Fetcher]) -> Fetcher:
    """A fetcher on the fake clock for loopback tests (no guard)."""
    return make_fetcher()


@pytest.fixture
def make_fetcher(clock: FakeClock) -> Iterator[Callable[..., Fetcher]]:
    """Build fetchers on the fake clock (no real sleeping), closed after the test."""
    made: list[Fetcher] = []

    def make(**kwargs: object) -> Fetcher:
        options: dict[str, object] = {"per_host_delay": 0.0, "timeout": 5.0}
        fetcher_args: dict[str, object] = {"clock": clock, "sleep": clock.sleep}
        for key in ("transport", "guard", "rng", "clock", "sleep"):
            if key in kwargs:
                fetcher_args[key] = kwargs.pop(key)
        options.update(kwargs)
        fetcher = Fetcher(FetchSettings(**options), **fetcher_args)  # type: ignore[arg-type]
        made.append(fetcher)
        return fetcher

    yield make
    for fetcher in made:
        fetcher.close()
