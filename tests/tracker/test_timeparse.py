"""WHEN values: ISO 8601 dates and times (naive = UTC) or spans back from now."""

from __future__ import annotations

import datetime as dt

import pytest

from selfref.timeparse import parse_duration, parse_when

NOW = dt.datetime(2025, 7, 9, 12, 30, tzinfo=dt.UTC)


def test_iso_date_is_midnight_utc() -> None:
    assert parse_when("2025-07-08") == dt.datetime(2025, 7, 8, tzinfo=dt.UTC)


def test_datetime_with_z() -> None:
    assert parse_when("2025-07-08T12:00:00Z") == dt.datetime(2025, 7, 8, 12, tzinfo=dt.UTC)
    assert parse_when("2025-07-08T12:00Z") == dt.datetime(2025, 7, 8, 12, tzinfo=dt.UTC)


def test_naive_datetime_is_utc() -> None:
    parsed = parse_when("2025-07-08T12:00:00")
    assert parsed.utcoffset() == dt.timedelta(0)
    assert parsed == dt.datetime(2025, 7, 8, 12, tzinfo=dt.UTC)


def test_offset_is_converted_to_utc() -> None:
    parsed = parse_when("2025-07-08T14:00:00+02:00")
    assert parsed == dt.datetime(2025, 7, 8, 12, tzinfo=dt.UTC)
    assert parsed.tzinfo == dt.UTC


@pytest.mark.parametrize(
    ("span", "delta"),
    [
        ("7d", dt.timedelta(days=7)),
        ("12h", dt.timedelta(hours=12)),
        ("30m", dt.timedelta(minutes=30)),
        ("2w", dt.timedelta(weeks=2)),
    ],
)
def test_relative_span_back_from_injected_now(span: str, delta: dt.timedelta) -> None:
    assert parse_when(span, now=NOW) == NOW - delta


def test_relative_span_defaults_to_current_time() -> None:
    before = dt.datetime.now(dt.UTC)
    parsed = parse_when("1h")
    after = dt.datetime.now(dt.UTC)
    assert before - dt.timedelta(hours=1) <= parsed <= after - dt.timedelta(hours=1)


@pytest.mark.parametrize("garbage", ["yesterday-ish", "7 days ago", "2025-13-45", "", "d7"])
def test_garbage_is_a_helpful_value_error(garbage: str) -> None:
    with pytest.raises(ValueError) as info:
        parse_when(garbage, now=NOW)
    message = str(info.value)
    assert repr(garbage) in message
    assert "ISO 8601" in message
    assert "7d" in message


@pytest.mark.parametrize("value", ["99999999d", "36501d", 1e300, float("inf"), float("nan")])
def test_a_duration_beyond_100_years_is_a_clear_error(value: object) -> None:
    with pytest.raises(ValueError, match="too long: at most 36500d"):
        parse_duration(value)  # type: ignore[arg-type]
    assert parse_duration("36500d") == dt.timedelta(days=36500)


def test_a_huge_span_back_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="too long"):
        parse_when("99999999d", now=NOW)
