"""What happens in the hub, as small frozen dataclasses, published on its bus (`selfref.bus`).

    event              published by                         subscribers
    RetrievalChecked   Tracker.check, every check           audit writer, outbox (before
                                                            commit); metrics
    RetrievalFlagged   Tracker.check, warn or critical      metrics, log
    CrawlPageIndexed   the crawl, a page saved to index     metrics, log
    CrawlPageSkipped   the crawl, unchanged/duplicate/...   metrics, log
    CrawlPageFailed    the crawl, a page failed or gone     metrics, log
    SourceFailed       the crawl, a source failed           metrics, log
    AlertQueued        the outbox, a new alert row          metrics, log
    AlertDelivered     alert delivery, the channel said ok  metrics, log
    AlertDead          alert delivery, given up on          metrics, log

Every crawled page ends in exactly one of the three page events, as in the crawl report.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TypeAlias

from selfref.documents import CheckDocument
from selfref.levels import Level, Verdict

INDEX = "index"
"""The part a check can go without when it is unreachable (`RetrievalChecked.degraded`)."""


@dataclass(frozen=True, slots=True)
class RetrievalChecked:
    """One retrieval checked: its documents and their verdicts, in input order.

    `event_id` is None when the check is not recorded (`record=False`); `seconds` is the
    time the verdicts took; `degraded` names the parts checked without (`"index"`)."""

    agent: str
    documents: tuple[CheckDocument, ...]
    verdicts: tuple[Verdict, ...]
    created_at: dt.datetime
    seconds: float
    event_id: str | None = None
    query: str | None = None
    session: str | None = None
    degraded: tuple[str, ...] = ()

    @property
    def max_level(self) -> Level:
        return max((v.level for v in self.verdicts), default=Level.NONE)


@dataclass(frozen=True, slots=True)
class RetrievalFlagged:
    """A check found material about the agent's past: `flagged` of `documents` documents
    at warn or above, the highest at `level`."""

    agent: str
    level: Level
    flagged: int
    documents: int
    event_id: str | None = None

    @classmethod
    def of(cls, checked: RetrievalChecked) -> RetrievalFlagged | None:
        """The flag a check raises, or None when nothing it read is flagged."""
        if not checked.max_level.flagged:
            return None
        return cls(
            agent=checked.agent,
            level=checked.max_level,
            flagged=sum(v.flagged for v in checked.verdicts),
            documents=len(checked.verdicts),
            event_id=checked.event_id,
        )


@dataclass(frozen=True, slots=True)
class CrawlPageIndexed:
    """A page saved for indexing (`outcome` new or updated) with its `chunks`; the index
    writer confirms them. `fetched`: its body was downloaded (not given by the source)."""

    source: str
    url: str
    outcome: str
    chunks: int
    fetched: bool


@dataclass(frozen=True, slots=True)
class CrawlPageSkipped:
    """A page left as it was or not indexed: `outcome` unchanged, duplicate or skipped
    (`reason` too_short or about_no_agent)."""

    source: str
    url: str
    outcome: str
    fetched: bool
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class CrawlPageFailed:
    """A page that could not be read (`error`); `gone` when that removed it (a 410, or
    404s in a row), its chunks deleted."""

    source: str
    url: str
    error: str
    gone: bool = False

    @property
    def outcome(self) -> str:
        return "gone" if self.gone else "failed"


@dataclass(frozen=True, slots=True)
class SourceFailed:
    """A source that failed as a whole (or whose every page failed), and its backoff."""

    source: str
    kind: str
    error: str
    consecutive_failures: int
    next_run_after: dt.datetime | None


@dataclass(frozen=True, slots=True)
class AlertQueued:
    """A new outbox row: an alert for `channel` about a recorded event (a repeat within
    the dedup window only counts a hit on the earlier row, and queues nothing)."""

    alert_id: str
    channel: str
    agent: str
    level: str
    event_id: str


@dataclass(frozen=True, slots=True)
class AlertDelivered:
    """An alert its channel accepted; `note` when only partly (some recipients refused)."""

    alert_id: str
    channel: str
    note: str | None = None


@dataclass(frozen=True, slots=True)
class AlertDead:
    """An alert given up on: a permanent failure, or its retries used up."""

    alert_id: str
    channel: str
    attempts: int
    error: str | None


Event: TypeAlias = (
    RetrievalChecked
    | RetrievalFlagged
    | CrawlPageIndexed
    | CrawlPageSkipped
    | CrawlPageFailed
    | SourceFailed
    | AlertQueued
    | AlertDelivered
    | AlertDead
)
CrawlPageEvent: TypeAlias = CrawlPageIndexed | CrawlPageSkipped | CrawlPageFailed
