"""The outbox tables: one alert row per channel and event with its delivery state, each
channel's state, and how a row reads (`selfref alerts list`, the dashboard).

The migrations (`tracker/migrations`) create these tables (tests/tracker/test_schema.py
checks that they give exactly the schema these models describe).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel, col, select

from selfref.audit import AuditLog
from selfref.audit_query import to_db_time
from selfref.errors import InputError

PENDING, DELIVERED, DEAD, DISABLED, SUPPRESSED = (
    "pending",
    "delivered",
    "dead",
    "disabled",
    "suppressed",
)
STATUSES = (PENDING, DELIVERED, DEAD, DISABLED, SUPPRESSED)
_TIME = sa.DateTime(timezone=True)


class AlertRow(SQLModel, table=True):
    """One alert for one channel: the outbox row and its delivery state."""

    __tablename__ = "alerts"
    __table_args__ = (
        sa.Index("ix_alerts_due", "status", "next_attempt_at"),
        sa.Index("ix_alerts_dedup", "channel", "dedup_key", "created_at"),
    )

    id: str = Field(primary_key=True, max_length=40)  # the message id, msg_...
    created_at: dt.datetime = Field(sa_type=_TIME, index=True)
    channel: str = Field(max_length=100)
    destination: str | None = Field(default=None, max_length=32)  # the channel's fingerprint
    agent: str = Field(max_length=64)
    level: str = Field(max_length=16)
    score: float = 0.0
    event_id: str = Field(foreign_key="retrieval_events.id", index=True, max_length=40)
    dedup_key: str = Field(max_length=64)
    hits: int = 1
    status: str = Field(default=PENDING, max_length=16)
    attempts: int = 0
    next_attempt_at: dt.datetime = Field(sa_type=_TIME)
    lease_until: dt.datetime | None = Field(default=None, sa_type=_TIME)
    lease_token: str | None = Field(default=None, max_length=32)  # the claiming run's
    last_attempt_at: dt.datetime | None = Field(default=None, sa_type=_TIME)
    last_error: str | None = None
    delivered_at: dt.datetime | None = Field(default=None, sa_type=_TIME)
    payload: str = "{}"  # Alert.to_payload() as JSON


class ChannelState(SQLModel, table=True):
    """Per channel: disabled (410) with the reason, and the rate-limit window counter."""

    __tablename__ = "channel_state"

    channel: str = Field(primary_key=True, max_length=100)
    disabled: bool = False
    disabled_reason: str | None = None
    disabled_at: dt.datetime | None = Field(default=None, sa_type=_TIME)
    fingerprint: str | None = Field(default=None, max_length=32)  # destination disabled
    window_start: dt.datetime | None = Field(default=None, sa_type=_TIME)
    window_count: int = 0


TABLE = AlertRow.__table__  # type: ignore[attr-defined]
"""The `alerts` table, for Core statements on the hot paths."""


@dataclass(frozen=True, slots=True)
class AlertRecord:
    """One outbox row as `selfref alerts list` shows it."""

    id: str
    created_at: dt.datetime
    channel: str
    agent: str
    level: str
    score: float
    event_id: str
    hits: int
    status: str
    attempts: int
    next_attempt_at: dt.datetime | None
    last_error: str | None
    delivered_at: dt.datetime | None
    held_until: dt.datetime | None = None  # claimed by a delivery run (maybe one that died)

    def to_dict(self) -> dict[str, Any]:
        out = dataclasses.asdict(self)
        for key in ("created_at", "next_attempt_at", "delivered_at", "held_until"):
            out[key] = out[key].isoformat() if out[key] is not None else None
        return out


def list_alerts(
    log: AuditLog,
    *,
    status: str | None = None,
    limit: int | None = 100,
    now: dt.datetime | None = None,
) -> list[AlertRecord]:
    """Outbox rows, newest first; `status` one of pending|delivered|dead|disabled|suppressed.

    A pending row claimed by a delivery run still running, or killed, is `held_until` its
    lease ends: no run sends it before then.
    """
    now = to_db_time(now or dt.datetime.now(dt.UTC))
    if status is not None and status not in STATUSES:
        raise InputError(f"unknown alert status {status!r}; use one of {'|'.join(STATUSES)}")
    stmt = select(AlertRow).order_by(col(AlertRow.created_at).desc(), col(AlertRow.id).desc())
    if status is not None:
        stmt = stmt.where(col(AlertRow.status) == status)
    if limit:
        stmt = stmt.limit(limit)
    with log.session() as s:
        rows = s.exec(stmt).all()
    return [alert_record(r, now) for r in rows]


def alert_record(row: AlertRow, now: dt.datetime) -> AlertRecord:
    """An outbox row as people see it (`alerts list`, the dashboard), times in UTC."""
    return AlertRecord(
        id=row.id,
        created_at=to_db_time(row.created_at),
        channel=row.channel,
        agent=row.agent,
        level=row.level,
        score=row.score,
        event_id=row.event_id,
        hits=row.hits,
        status=row.status,
        attempts=row.attempts,
        next_attempt_at=to_db_time(row.next_attempt_at) if row.status == PENDING else None,
        last_error=row.last_error,
        delivered_at=to_db_time(row.delivered_at) if row.delivered_at else None,
        held_until=_held(row, now),
    )


def _held(row: AlertRow, now: dt.datetime) -> dt.datetime | None:
    if row.status != PENDING or row.lease_until is None:
        return None
    until = to_db_time(row.lease_until)
    return until if until > now else None
