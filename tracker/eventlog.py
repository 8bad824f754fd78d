"""One log line per event (logger `selfref.events`), an after-commit subscriber.

The long-running processes subscribe it (`selfref daemon`, `selfref serve`): flagged
retrievals, failed pages, queued and delivered alerts at INFO, failed sources and dead
alerts at WARNING, the rest at DEBUG. The other commands print their own results.
No query or document text is logged: ids, agents, levels, URLs and errors.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from selfref.events import (
    AlertDead,
    AlertDelivered,
    AlertQueued,
    CrawlPageFailed,
    CrawlPageIndexed,
    CrawlPageSkipped,
    RetrievalChecked,
    RetrievalFlagged,
    SourceFailed,
)

if TYPE_CHECKING:
    from selfref.bus import EventBus

log = logging.getLogger("selfref.events")


def subscribe(bus: EventBus) -> None:
    """Log every event of `bus` once it is committed."""
    bus.after_commit(RetrievalChecked, _checked)
    bus.after_commit(RetrievalFlagged, _flagged)
    bus.after_commit(CrawlPageIndexed, _indexed)
    bus.after_commit(CrawlPageSkipped, _skipped)
    bus.after_commit(CrawlPageFailed, _failed)
    bus.after_commit(SourceFailed, _source_failed)
    bus.after_commit(AlertQueued, _queued)
    bus.after_commit(AlertDelivered, _delivered)
    bus.after_commit(AlertDead, _dead)


def _event(event_id: str | None) -> str:
    return event_id or "(not recorded)"


def _checked(e: RetrievalChecked) -> None:
    log.debug("retrieval %s checked: agent %s, %d document(s), highest %s, %.3fs",
              _event(e.event_id), e.agent, len(e.verdicts), e.max_level.label,
              e.seconds)  # fmt: skip


def _flagged(e: RetrievalFlagged) -> None:
    log.info("retrieval %s flagged: agent %s, %s (%d of %d documents)",
             _event(e.event_id), e.agent, e.level.label, e.flagged, e.documents)  # fmt: skip


def _indexed(e: CrawlPageIndexed) -> None:
    log.debug("crawl %s: %s %s (%d chunks)", e.source, e.outcome, e.url, e.chunks)


def _skipped(e: CrawlPageSkipped) -> None:
    why = f" ({e.reason})" if e.reason else ""
    log.debug("crawl %s: %s %s%s", e.source, e.outcome, e.url, why)


def _failed(e: CrawlPageFailed) -> None:
    log.info("crawl %s: page %s: %s", e.source, e.outcome, e.error)


def _source_failed(e: SourceFailed) -> None:
    after = e.next_run_after.isoformat() if e.next_run_after else "its next scheduled time"
    log.warning("crawl source %r (%s) failed, %d time(s) in a row; next run after %s: %s",
                e.source, e.kind, e.consecutive_failures, after, e.error)  # fmt: skip


def _queued(e: AlertQueued) -> None:
    log.info("alert %s queued for %s: agent %s, %s, event %s",
             e.alert_id, e.channel, e.agent, e.level, e.event_id)  # fmt: skip


def _delivered(e: AlertDelivered) -> None:
    note = f" ({e.note})" if e.note else ""
    log.info("alert %s delivered to %s%s", e.alert_id, e.channel, note)


def _dead(e: AlertDead) -> None:
    log.warning("alert %s to %s dead after %d attempt(s): %s",
                e.alert_id, e.channel, e.attempts, e.error or "no reason given")  # fmt: skip
