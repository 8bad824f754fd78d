"""When to try a failed delivery again: backoff schedule, jitter and Retry-After."""

from __future__ import annotations

import itertools
import math
import random
from dataclasses import dataclass

FIRST_RETRY_LIMIT = 10.0
DAY = 86_400.0
RETRY_AFTER_CAP = DAY  # the longest Retry-After honoured
# Standard Webhooks' suggested schedule: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h.
DEFAULT_SCHEDULE = (5.0, 300.0, 1800.0, 7200.0, 18000.0, 36000.0, 36000.0)


@dataclass(frozen=True)
class RetryPolicy:
    """Delays between delivery attempts; `len(schedule) + 1` attempts in all."""

    schedule: tuple[float, ...] = DEFAULT_SCHEDULE
    jitter: float = 0.2

    def __post_init__(self) -> None:
        steps = tuple(float(step) for step in self.schedule)
        if not steps or not all(math.isfinite(s) and s > 0 for s in steps):
            raise ValueError(f"retry schedule {self.schedule!r} needs positive delays")
        if steps[0] > FIRST_RETRY_LIMIT:
            raise ValueError(
                f"retry schedule: the first retry must come within {FIRST_RETRY_LIMIT:g} s, "
                f"got {steps[0]:g} s"
            )
        if any(later < earlier for earlier, later in itertools.pairwise(steps)):
            raise ValueError(f"retry schedule {self.schedule!r} must not decrease")
        if not 0.0 <= self.jitter < 1.0:
            raise ValueError(f"retry jitter {self.jitter!r} must be from 0 up to (not incl.) 1")
        object.__setattr__(self, "schedule", steps)

    @property
    def max_attempts(self) -> int:
        """Attempts in all, the first one included."""
        return len(self.schedule) + 1

    def next_delay(
        self, attempt: int, retry_after: float | None, rng: random.Random
    ) -> float | None:
        """Seconds to wait after failed attempt `attempt` (1-based), or None: the alert is dead."""
        if attempt < 1:
            raise ValueError(f"attempt must be >= 1, got {attempt}")
        if attempt >= self.max_attempts:
            return None
        step = self.schedule[attempt - 1]
        delay = step * (1.0 + rng.uniform(-self.jitter, self.jitter))
        if attempt == 1:
            delay = min(delay, FIRST_RETRY_LIMIT)
        if retry_after is not None and math.isfinite(retry_after) and retry_after > delay:
            # The receiver knows when it can take the alert: honour its Retry-After fully,
            # capped only at 24 h so a receiver cannot park an alert for ever.
            delay = max(delay, min(retry_after, RETRY_AFTER_CAP))
        return delay
