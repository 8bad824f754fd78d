"""`[audit] retention`: retrieval events older than the retention are deleted, with their
documents, alerts and per-day counts, in transactions of at most `retention_batch` events,
so a large backlog never holds a long lock. Run by the scheduler (job `audit:retention`).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter

import sqlalchemy as sa

from selfref.audit import (
    AuditDay,
    AuditLog,
    RetrievalEvent,
    RetrievedDocument,
    count_days,
)
from selfref.audit_query import to_db_time

__all__ = ["RETENTION_EVERY", "expire"]

RETENTION_EVERY = dt.timedelta(hours=1)

_EVENTS = RetrievalEvent.__table__  # type: ignore[attr-defined]
_DOCS = RetrievedDocument.__table__  # type: ignore[attr-defined]
_DAYS = AuditDay.__table__  # type: ignore[attr-defined]


def expire(log: AuditLog, before: dt.datetime, *, batch: int = 1000) -> int:
    """Delete the events created before `before` (oldest first, `batch` per transaction);
    returns how many were deleted."""
    from selfref.outbox.schema import AlertRow

    alerts = AlertRow.__table__  # type: ignore[attr-defined]
    cutoff = to_db_time(before)
    deleted = 0
    while True:
        with log.session() as session:
            conn = session.connection()
            ids = list(
                conn.execute(
                    sa.select(_EVENTS.c.id)
                    .where(_EVENTS.c.created_at < cutoff)
                    .order_by(_EVENTS.c.created_at)
                    .limit(batch)
                ).scalars()
            )
            if not ids:
                return deleted
            docs = conn.execute(
                sa.select(_DOCS.c.created_at, _DOCS.c.agent, _DOCS.c.level).where(
                    _DOCS.c.event_id.in_(ids)
                )
            ).all()
            per_day = Counter(
                (to_db_time(created).date().isoformat(), agent, level)
                for created, agent, level in docs
            )
            count_days(conn, {key: -n for key, n in per_day.items()})
            conn.execute(sa.delete(_DAYS).where(_DAYS.c.documents <= 0))
            conn.execute(sa.delete(alerts).where(alerts.c.event_id.in_(ids)))
            conn.execute(sa.delete(_DOCS).where(_DOCS.c.event_id.in_(ids)))
            conn.execute(sa.delete(_EVENTS).where(_EVENTS.c.id.in_(ids)))
            deleted += len(ids)
        if len(ids) < batch:
            return deleted
