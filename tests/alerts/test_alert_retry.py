"""Retry policy: schedule, jitter, the 10-second first retry, Retry-After, giving up."""

from __future__ import annotations

import itertools
import random
import statistics

import pytest
from hypothesis import given
from hypothesis import strategies as st

from selfref.alerts import RetryPolicy

POLICY = RetryPolicy()
seeds = st.integers(0, 2**32 - 1)
retry_afters = st.none() | st.floats(min_value=0, max_value=10**7, allow_nan=False)


def test_default_schedule_gives_eight_attempts() -> None:
    assert POLICY.max_attempts == 8
    assert POLICY.schedule == (5, 300, 1800, 7200, 18000, 36000, 36000)


@given(seeds, retry_afters, st.integers(1, 7))
def test_delay_is_never_negative_and_within_jitter(
    seed: int, retry_after: float | None, attempt: int
) -> None:
    delay = POLICY.next_delay(attempt, retry_after, random.Random(seed))
    assert delay is not None and delay >= 0
    step = POLICY.schedule[attempt - 1]
    assert delay >= step * (1 - POLICY.jitter)
    if retry_after is None:
        assert delay <= step * (1 + POLICY.jitter)


@given(seeds)
def test_first_retry_within_ten_seconds(seed: int) -> None:
    for policy in (POLICY, RetryPolicy(schedule=(10, 60), jitter=0.5)):
        delay = policy.next_delay(1, None, random.Random(seed))
        assert delay is not None and 0 < delay <= 10


@given(seeds, retry_afters)
def test_none_exactly_after_the_last_attempt(seed: int, retry_after: float | None) -> None:
    rng = random.Random(seed)
    assert POLICY.next_delay(POLICY.max_attempts - 1, retry_after, rng) is not None
    assert POLICY.next_delay(POLICY.max_attempts, retry_after, rng) is None
    assert POLICY.next_delay(POLICY.max_attempts + 5, retry_after, rng) is None


@given(seeds, st.integers(1, 7), st.floats(min_value=0, max_value=10**7, allow_nan=False))
def test_retry_after_is_honoured_fully_up_to_a_day(
    seed: int, attempt: int, retry_after: float
) -> None:
    delay = POLICY.next_delay(attempt, retry_after, random.Random(seed))
    assert delay is not None
    scheduled = POLICY.next_delay(attempt, None, random.Random(seed))
    assert scheduled is not None
    assert delay == max(scheduled, min(retry_after, 86_400))


def test_retry_after_wins_on_the_first_retry() -> None:
    assert POLICY.next_delay(1, 120, random.Random(1)) == 120
    assert POLICY.next_delay(1, 3600, random.Random(1)) == 3600  # not cut to the next step
    assert POLICY.next_delay(1, 10**6, random.Random(1)) == 86_400  # capped at 24 h only
    assert POLICY.next_delay(7, 10**6, random.Random(1)) == 86_400


def test_mean_delays_do_not_decrease() -> None:
    rng = random.Random(7)
    means = [
        statistics.fmean(POLICY.next_delay(attempt, None, rng) or 0 for _ in range(2000))
        for attempt in range(1, POLICY.max_attempts)
    ]
    assert all(later >= earlier * 0.97 for earlier, later in itertools.pairwise(means))


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"schedule": ()}, "positive"),
        ({"schedule": (5, -1)}, "positive"),
        ({"schedule": (30, 60)}, "within 10 s"),
        ({"schedule": (5, 300, 60)}, "must not decrease"),
        ({"jitter": 1.0}, "jitter"),
        ({"jitter": -0.1}, "jitter"),
    ],
)
def test_bad_policies_are_refused(kwargs: dict[str, object], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        RetryPolicy(**kwargs)  # type: ignore[arg-type]


def test_attempt_numbers_start_at_one() -> None:
    with pytest.raises(ValueError, match="attempt"):
        POLICY.next_delay(0, None, random.Random(0))
