"""Timing shared by the benchmark scripts (imported from the scripts' own directory)."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable


def median_ms(func: Callable[[], object], repeat: int, *, warmup: int = 0) -> float:
    """Median wall time of `func` in milliseconds over `repeat` runs, after `warmup`
    untimed runs."""
    for _ in range(warmup):
        func()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000
