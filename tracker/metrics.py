"""Prometheus metrics of one selfref process (`GET /metrics`), with prometheus-client.

Each Tracker has its own registry, so two trackers in one process (tests, tools) never
share counts. Outbox sizes and the scheduler role are read when scraped (a custom
collector), not counted as they change: they stay right whichever process changed them.
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

from tracker.levels import Level

if TYPE_CHECKING:
    from tracker.audit import AuditLog

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
        self.crawl_pages = Counter(
            "selfref_crawl_pages", "Crawled pages, per outcome.", ["outcome"], registry=r
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

    def observe_check(self, agent: str, levels: Iterable[Level], seconds: float) -> None:
        self.checks.labels(agent).inc()
        for level in levels:
            self.documents.labels(agent, level.label).inc()
        self.latency.labels(agent).observe(seconds)

    def observe_request(self, route: str, status: int) -> None:
        self.requests.labels(route, str(status)).inc()

    def observe_crawl(self, counts: dict[str, int]) -> None:
        for outcome, n in counts.items():
            if n:
                self.crawl_pages.labels(outcome).inc(n)

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
        from tracker.outbox.schema import AlertRow

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
