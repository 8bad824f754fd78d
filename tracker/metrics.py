"""Prometheus metrics of one selfref process (`GET /metrics`), with prometheus-client.

Each Tracker has its own registry, so two trackers in one process (tests, tools) never
share counts. Checks, crawled pages and alerts are counted by after-commit subscribers of
the tracker's events (`selfref.events`), whatever face started them: the HTTP API, the
CLI, LangChain, the scheduler. HTTP requests are counted by the API itself. Outbox sizes
and the scheduler role are read when scraped (a custom collector), not counted as they
change: they stay right whichever process changed them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING

import sqlalchemy as sa
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy.exc import SQLAlchemyError

from selfref.events import (
    INDEX,
    AlertDead,
    AlertDelivered,
    AlertQueued,
    CrawlPageEvent,
    CrawlPageFailed,
    CrawlPageIndexed,
    CrawlPageSkipped,
    RetrievalChecked,
    RetrievalFlagged,
    SourceFailed,
)

if TYPE_CHECKING:
    from selfref.audit import AuditLog
    from selfref.bus import EventBus

__all__ = ["CONTENT_TYPE", "LATENCY_BUCKETS", "Metrics"]

log = logging.getLogger("selfref.metrics")

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
OUTBOX_STATUSES = ("pending", "delivered", "dead")


class Metrics:
    """The counters, histograms and scrape-time gauges of one process."""

    def __init__(self, audit_log: AuditLog) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.checks = Counter("selfref_checks", "Checks answered, per agent.", ["agent"],
                              registry=r)  # fmt: skip
        self.documents = Counter(
            "selfref_documents_checked",
            "Documents checked, per agent and verdict level.",
            ["agent", "level"],
            registry=r,
        )
        self.requests = Counter(
            "selfref_http_requests",
            "HTTP requests answered, per route and status code.",
            ["route", "status"],
            registry=r,
        )
        self.latency = Histogram(
            "selfref_check_duration_seconds",
            "Time spent in Tracker.check, per agent.",
            ["agent"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.flagged = Counter(
            "selfref_retrievals_flagged",
            "Checks that found material about the agent's past, per agent and highest level.",
            ["agent", "level"],
            registry=r,
        )
        self.crawl_pages = Counter(
            "selfref_crawl_pages",
            "Crawled pages, per outcome; `fetched` counts the bodies downloaded.",
            ["outcome"],
            registry=r,
        )
        self.source_failures = Counter(
            "selfref_crawl_source_failures",
            "Crawl runs of a source that failed as a whole, per source.",
            ["source"],
            registry=r,
        )
        self.alerts_queued = Counter(
            "selfref_alerts_queued", "Alerts written to the outbox, per channel.", ["channel"],
            registry=r,
        )  # fmt: skip
        self.alerts_delivered = Counter(
            "selfref_alerts_delivered", "Alerts their channel accepted, per channel.",
            ["channel"], registry=r,
        )  # fmt: skip
        self.alerts_dead = Counter(
            "selfref_alerts_dead",
            "Alerts given up on (a permanent failure, or retries used up), per channel.",
            ["channel"],
            registry=r,
        )
        self.index_errors = Counter(
            "selfref_index_errors",
            "Checks answered without the vector index because it was unreachable.",
            registry=r,
        )
        self.database_errors = Counter(
            "selfref_database_errors",
            "Operations that failed because the audit database was unavailable.",
            registry=r,
        )
        self.rejected = Counter(
            "selfref_checks_rejected",
            "Checks refused at once (429) because max_concurrency checks were in flight.",
            registry=r,
        )
        self.scrape = _ScrapeTime(audit_log)
        r.register(self.scrape)

    def subscribe(self, bus: EventBus) -> None:
        """Count the events of `bus` as they are committed."""
        bus.after_commit(RetrievalChecked, self._checked)
        bus.after_commit(RetrievalFlagged, self._flagged)
        bus.after_commit(CrawlPageIndexed, self._page)
        bus.after_commit(CrawlPageSkipped, self._page)
        bus.after_commit(CrawlPageFailed, self._page)
        bus.after_commit(SourceFailed, self._source_failed)
        bus.after_commit(AlertQueued, self._queued)
        bus.after_commit(AlertDelivered, self._delivered)
        bus.after_commit(AlertDead, self._dead)

    def observe_request(self, route: str, status: int) -> None:
        self.requests.labels(route, str(status)).inc()

    def _checked(self, event: RetrievalChecked) -> None:
        self.checks.labels(event.agent).inc()
        for verdict in event.verdicts:
            self.documents.labels(event.agent, verdict.level.label).inc()
        self.latency.labels(event.agent).observe(event.seconds)
        if INDEX in event.degraded:
            self.index_errors.inc()

    def _flagged(self, event: RetrievalFlagged) -> None:
        self.flagged.labels(event.agent, event.level.label).inc()

    def _page(self, event: CrawlPageEvent) -> None:
        self.crawl_pages.labels(event.outcome).inc()
        if not isinstance(event, CrawlPageFailed) and event.fetched:
            self.crawl_pages.labels("fetched").inc()

    def _source_failed(self, event: SourceFailed) -> None:
        self.source_failures.labels(event.source).inc()

    def _queued(self, event: AlertQueued) -> None:
        self.alerts_queued.labels(event.channel).inc()

    def _delivered(self, event: AlertDelivered) -> None:
        self.alerts_delivered.labels(event.channel).inc()

    def _dead(self, event: AlertDead) -> None:
        self.alerts_dead.labels(event.channel).inc()

    def render(self) -> bytes:
        return generate_latest(self.registry)


class _ScrapeTime(Collector):
    """Outbox rows per status and the scheduler role, read at each scrape."""

    def __init__(self, audit_log: AuditLog) -> None:
        self.audit_log = audit_log
        self.is_scheduler: Callable[[], bool] = lambda: False

    def describe(self) -> Iterable[Metric]:
        return []  # read at scrape time only; nothing to check at registration

    def collect(self) -> Iterator[Metric]:
        role = GaugeMetricFamily(
            "selfref_scheduler", "1 while this process holds the scheduler lock, else 0."
        )
        role.add_metric([], 1.0 if self.is_scheduler() else 0.0)
        yield role
        counts = self._outbox()
        if counts is not None:
            outbox = GaugeMetricFamily(
                "selfref_outbox_alerts", "Alert outbox rows, per status.", labels=["status"]
            )
            for status in OUTBOX_STATUSES:
                outbox.add_metric([status], float(counts.get(status, 0)))
            yield outbox

    def _outbox(self) -> dict[str, int] | None:
        from selfref.outbox.schema import AlertRow

        table = AlertRow.__table__  # type: ignore[attr-defined]
        stmt = (
            sa.select(table.c.status, sa.func.count())
            .where(table.c.status.in_(OUTBOX_STATUSES))
            .group_by(table.c.status)
        )
        try:
            with self.audit_log.engine.connect() as conn:
                if not sa.inspect(conn).has_table(table.name):
                    return {}
                return {str(s): int(n) for s, n in conn.execute(stmt)}
        except SQLAlchemyError as exc:
            log.warning("metrics: outbox sizes unavailable: %s", type(exc).__name__)
            return None
