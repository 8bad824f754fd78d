"""Retry alone: the rest of the chain fails a given number of times, on the fake clock."""

from __future__ import annotations

import random
from typing import Any

from conftest import Downstream, FakeClock, new_exchange

from selfref.crawlers.fetch import FetchSettings, FetchStatus
from selfref.crawlers.fetch.chain import Exchange, Retryable
from selfref.crawlers.fetch.retry import Retry


def failing(*failures: Retryable) -> Downstream:
    """The rest of the chain: raises each of `failures` in turn, then fetches the page."""
    left = list(failures)

    def answer(exchange: Exchange) -> None:
        if left:
            raise left.pop(0)
        exchange.result.status, exchange.result.error = FetchStatus.OK, None

    return Downstream(answer)


def retry(clock: FakeClock, **settings: Any) -> Retry:
    return Retry(FetchSettings(**settings), sleep=clock.sleep, rng=random.Random(7))


def test_passing_failures_are_retried_with_capped_full_jitter(clock: FakeClock) -> None:
    rest = failing(*(Retryable("HTTP 502 Bad Gateway", 502) for _ in range(4)))
    exchange = new_exchange("https://e.org/down")
    retry(clock, retries=4, backoff_base=1.0, backoff_cap=3.0)(exchange, rest)
    assert exchange.result.ok and len(rest.calls) == 5
    assert len(clock.sleeps) == 4 and len(set(clock.sleeps)) == 4  # jittered, not fixed
    for attempt, slept in enumerate(clock.sleeps, start=1):
        assert 0 <= slept <= min(3.0, 2 ** (attempt - 1))
    capped = retry(clock, backoff_base=1.0, backoff_cap=3.0)
    late = [capped.backoff(6, None) for _ in range(200)]
    assert 2.9 < max(late) <= 3.0  # drawn from the whole range up to the cap, never past it


def test_retry_after_is_slept_as_asked(clock: FakeClock) -> None:
    rest = failing(Retryable("HTTP 429 Too Many Requests", 429, retry_after=7.0))
    exchange = new_exchange("https://e.org/busy")
    retry(clock)(exchange, rest)
    assert exchange.result.ok and len(rest.calls) == 2
    assert clock.sleeps == [7.0]


def test_the_last_failure_is_the_result(clock: FakeClock) -> None:
    rest = failing(*(Retryable("HTTP 503 Service Unavailable", 503) for _ in range(3)))
    exchange = new_exchange("https://e.org/down")
    retry(clock, retries=2)(exchange, rest)
    assert len(rest.calls) == 3 and len(clock.sleeps) == 2  # no sleep after the last
    assert exchange.result.status is FetchStatus.FAILED
    assert exchange.result.http_status == 503
    assert exchange.result.error == (
        "https://e.org/down: HTTP 503 Service Unavailable (after 3 attempts)"
    )


def test_a_retry_after_beyond_the_longest_wait_gives_up_at_once(clock: FakeClock) -> None:
    rest = failing(Retryable("HTTP 429 Too Many Requests", 429, retry_after=3600.0))
    exchange = new_exchange("https://e.org/busy")
    retry(clock, max_retry_after=120.0)(exchange, rest)
    assert len(rest.calls) == 1 and clock.sleeps == []
    assert exchange.result.status is FetchStatus.FAILED
    assert exchange.result.retry_after == 3600.0
    assert "more than 120 s: try again later" in (exchange.result.error or "")


def test_a_final_answer_is_not_retried(clock: FakeClock) -> None:
    rest = failing()
    retry(clock)(new_exchange("https://e.org/page"), rest)
    assert len(rest.calls) == 1 and clock.sleeps == []
