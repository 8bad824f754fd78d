"""Spacing alone, on the fake clock: when the rest of the chain is called, per host."""

from __future__ import annotations

from typing import Any

from conftest import Downstream, FakeClock, new_exchange

from selfref.crawlers.fetch import FetchSettings, FetchStatus
from selfref.crawlers.fetch.spacing import Spacing


def spacing(clock: FakeClock, delays: dict[str, float], **settings: Any) -> Spacing:
    """Spacing whose robots.txt Crawl-delay for a URL is `delays.get(url's host)`."""

    def crawl_delay(url: str) -> float | None:
        return delays.get(url.split("/")[2])

    return Spacing(
        FetchSettings(**settings),
        crawl_delay=crawl_delay,
        clock=clock,
        sleep=clock.sleep,
    )


def test_one_host_is_spaced_another_is_not_kept_waiting(clock: FakeClock) -> None:
    step = spacing(clock, {}, per_host_delay=2.0)
    times: list[tuple[str, float]] = []
    rest = Downstream(lambda exchange: times.append((exchange.url, clock() - 1000.0)))
    for url in ("https://a.example/1", "https://a.example/2", "https://b.example/1"):
        step(new_exchange(url), rest)
    step(new_exchange("https://A.example/3"), rest)  # host names are case-blind
    assert times == [
        ("https://a.example/1", 0.0),
        ("https://a.example/2", 2.0),
        ("https://b.example/1", 2.0),
        ("https://A.example/3", 4.0),
    ]


def test_a_longer_crawl_delay_wins(clock: FakeClock) -> None:
    step = spacing(clock, {"slow.example": 5.0}, per_host_delay=2.0)
    rest = Downstream()
    for path in ("/1", "/2", "/3"):
        step(new_exchange(f"https://slow.example{path}"), rest)
    assert len(rest.calls) == 3 and clock.sleeps == [5.0, 5.0]


def test_a_crawl_delay_beyond_the_longest_wait_fails_the_hop(clock: FakeClock) -> None:
    step = spacing(clock, {"slow.example": 100_000.0}, max_retry_after=120.0)
    rest = Downstream()
    exchange = new_exchange("https://slow.example/1")
    step(exchange, rest)
    assert rest.calls == [] and clock.sleeps == []
    assert exchange.result.status is FetchStatus.FAILED
    assert "crawl-delay 100000 s too long (more than 120 s)" in (exchange.result.error or "")
