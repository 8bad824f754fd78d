"""Concurrency alone: threads share the step's slots."""

from __future__ import annotations

import threading

import pytest
from conftest import Downstream, new_exchange

from selfref.crawlers.fetch import FetchSettings
from selfref.crawlers.fetch.chain import Exchange, Retryable
from selfref.crawlers.fetch.concurrency import Concurrency


def test_at_most_concurrency_threads_run_the_rest_at_once() -> None:
    step = Concurrency(FetchSettings(concurrency=2))
    inside = threading.Condition()
    active = peak = 0
    release = threading.Event()
    # Two callers must be inside at once to pass the barrier (one slot would break it).
    together = threading.Barrier(2, timeout=10)

    def hold(exchange: Exchange) -> None:
        nonlocal active, peak
        with inside:
            active += 1
            peak = max(peak, active)
            inside.notify_all()
        together.wait()
        release.wait(timeout=10)
        with inside:
            active -= 1

    rest = Downstream(hold)
    threads = [
        threading.Thread(target=step, args=(new_exchange(f"https://h{i}.example/"), rest))
        for i in range(8)
    ]
    for thread in threads:
        thread.start()
    # every caller is running; the first two hold their slots until released
    with inside:
        assert inside.wait_for(lambda: active == 2, timeout=10)
    release.set()
    for thread in threads:
        thread.join()
    assert len(rest.calls) == 8 and not together.broken
    assert peak == 2


def test_a_slot_is_given_back_when_the_rest_raises() -> None:
    step = Concurrency(FetchSettings(concurrency=1))

    def fail(exchange: Exchange) -> None:
        raise Retryable("HTTP 503")

    with pytest.raises(Retryable):
        step(new_exchange("https://e.org/"), Downstream(fail))
    rest = Downstream()
    step(new_exchange("https://e.org/"), rest)  # would block forever on a lost slot
    assert rest.calls == ["https://e.org/"]
