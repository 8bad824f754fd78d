"""Durations ("2s", "6h", "7d") and points in time ("2025-07-08", "12h" ago)."""

from __future__ import annotations

import datetime as dt
import re

from selfref.errors import InputError

_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
MAX_DURATION = dt.timedelta(days=36_500)  # 100 years: anything longer is a typo
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)\s*$", re.IGNORECASE)


def parse_duration(value: str | int | float | dt.timedelta) -> dt.timedelta:
    """`"2s"`, `"1.5h"`, `"7d"`, a number of seconds, or a timedelta; at most MAX_DURATION."""
    if isinstance(value, dt.timedelta):
        seconds = value.total_seconds()
    elif isinstance(value, bool):
        raise InputError(f"invalid duration {value!r} (use e.g. 500ms, 2s, 5m, 6h, 7d)")
    elif isinstance(value, int | float):
        if value < 0:
            raise InputError(f"duration must not be negative: {value!r} (use e.g. 2s, 6h)")
        seconds = float(value)
    else:
        match = _DURATION.match(str(value))
        if not match:
            raise InputError(f"invalid duration {value!r} (use e.g. 500ms, 2s, 5m, 6h, 7d)")
        number, unit = match.groups()
        seconds = float(number) * _UNITS[unit.lower()]
    if not seconds <= MAX_DURATION.total_seconds():  # also NaN and infinity
        raise InputError(
            f"duration {value!r} is too long: at most {MAX_DURATION.days}d (100 years)"
        )
    return value if isinstance(value, dt.timedelta) else dt.timedelta(seconds=seconds)


def format_duration(value: dt.timedelta) -> str:
    """The shortest exact spelling of a duration: 90s -> "90s", 2h -> "2h"."""
    seconds = value.total_seconds()
    for unit in ("w", "d", "h", "m", "s"):
        size = _UNITS[unit]
        if seconds >= size and seconds % size == 0:
            return f"{int(seconds // size)}{unit}"
    if (seconds * 1000).is_integer():
        return f"{int(seconds * 1000)}ms"
    return f"{seconds:.6f}".rstrip("0") + "s"


def parse_when(value: str, *, now: dt.datetime | None = None) -> dt.datetime:
    """An ISO 8601 date/time (naive means UTC) or a span back from now like `7d`, `12h`."""
    now = now or dt.datetime.now(dt.UTC)
    text = value.strip()
    if _DURATION.match(text):
        return now - parse_duration(text)
    try:
        parsed = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise InputError(
            f"invalid time {value!r}: use an ISO 8601 date/time (2025-07-08, "
            "2025-07-08T12:00Z) or a span back from now (7d, 12h, 30m)"
        ) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    return parsed.astimezone(dt.UTC)
