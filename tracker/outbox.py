"""The durable alert outbox: alert rows written with the audit event, delivered later.

    check -> AuditLog.record(event, rows, hooks=[AlertHook]) -> `alerts` rows (same transaction)
    deliver_due(log, specs, clock) -> due rows -> alerts/ channel.send -> delivered | retry |
        dead | disabled

Delivery is at-least-once: a row is marked delivered only after its channel said ok, in
short transactions of up to MARK_BATCH rows (and always before a lease renewal and at the
end of each claimed page). A crash between send and mark resends those alerts with the same
message id (`webhook-id`), which receivers de-duplicate. Rows being sent are leased: a
claim stamps them with a random lease token and a lease end taken from the clock at claim
time; a page is small enough to be sent within its lease, the lease is renewed before a
send that might outlast it, and a row is only settled (delivered, retried, dead) by the
run holding its token. So two delivering processes do not send the same row twice.
Each channel is delivered on its own thread, so one slow endpoint never delays another.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import random
import secrets
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Field, Session, SQLModel, col, select

from alerts import (
    Alert,
    AlertDocument,
    DeliveryResult,
    RetryPolicy,
    make_test_alert,
    new_message_id,
)
from alerts.model import FLAGGED
from crawlers.urls import canonicalize
from tracker.alerting import ChannelSpec, find_channel
from tracker.audit import AuditLog, RetrievalEvent, RetrievedDocument
from tracker.audit_query import to_db_time
from tracker.config import Config
from tracker.errors import InputError, StorageError
from tracker.levels import Level

PENDING, DELIVERED, DEAD, DISABLED, SUPPRESSED = (
    "pending",
    "delivered",
    "dead",
    "disabled",
    "suppressed",
)
STATUSES = (PENDING, DELIVERED, DEAD, DISABLED, SUPPRESSED)
LEASE = dt.timedelta(minutes=5)  # at least; a slow channel's lease is 6 of its timeouts
PAGE = 200  # rows per claim at most; fewer when page x timeout would outlast the lease
MARK_BATCH = 10  # sent rows marked delivered per transaction
DIGEST_MAX = 100
_RNG = random.Random()
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


_TABLE = AlertRow.__table__  # type: ignore[attr-defined]
# The one way a row becomes delivered: only by the run holding its lease token.
_MARK_DELIVERED = (
    sa.update(_TABLE)
    .where(
        _TABLE.c.id.in_(sa.bindparam("ids", expanding=True)),
        _TABLE.c.lease_token == sa.bindparam("token"),
    )
    .values(
        status=DELIVERED,
        attempts=_TABLE.c.attempts + 1,
        delivered_at=sa.bindparam("now"),
        last_attempt_at=sa.bindparam("now"),
        last_error=sa.bindparam("note"),
        lease_until=None,
        lease_token=None,
    )
)

_FIND_EARLIER = (
    sa.select(_TABLE.c.id)
    .where(
        _TABLE.c.channel == sa.bindparam("channel"),
        _TABLE.c.destination == sa.bindparam("destination"),
        _TABLE.c.dedup_key == sa.bindparam("key"),
        _TABLE.c.created_at >= sa.bindparam("since"),
        _TABLE.c.status.in_((PENDING, DELIVERED)),  # never into dead/disabled/suppressed
    )
    .order_by(_TABLE.c.created_at)
    .limit(1)
)
_ADD_HIT = (
    sa.update(_TABLE).where(_TABLE.c.id == sa.bindparam("row_id")).values(hits=_TABLE.c.hits + 1)
)


# -- writing: the record hook ------------------------------------------------------------


def audit_link(base_url: str | None, event_id: str) -> str | None:
    """The API's audit link for an event, when `[api] base_url` is configured."""
    if not base_url:
        return None
    return f"{base_url.rstrip('/')}/v1/audit?event={event_id}"


def _material(doc: RetrievedDocument) -> str:
    if doc.url:
        try:
            return "url:" + canonicalize(doc.url)
        except ValueError:
            return "url:" + doc.url
    return "sha256:" + doc.content_hash


def _incidents(doc: RetrievedDocument) -> set[str]:
    """Incident ids named by the verdict's evidence fields; the categories if none are."""
    found = {
        str(item["incident"]) for item in json.loads(doc.evidence or "[]") if item.get("incident")
    }
    return found or {f"category:{c}" for c in doc.categories.split(",") if c}


def dedup_key(agent: str, documents: Sequence[RetrievedDocument]) -> str:
    """Same agent, same material (canonical URL or content hash), same incident(s)."""
    materials = sorted({_material(d) for d in documents})
    incidents = sorted(set().union(*(_incidents(d) for d in documents)))
    text = "\n".join([agent, "|".join(materials), "|".join(incidents)])
    return hashlib.sha256(text.encode()).hexdigest()[:40]


def _alert_document(doc: RetrievedDocument) -> AlertDocument:
    return AlertDocument(
        id=doc.doc_id,
        url=doc.url,
        title=doc.title,
        level=Level(doc.level).label,
        score=doc.score,
        categories=tuple(c for c in doc.categories.split(",") if c),
        evidence=tuple(json.loads(doc.evidence or "[]")),
    )


class AlertHook:
    """Record hook: one alert row per (channel, event) reaching the channel's `min_level`.

    Runs inside the audit transaction, so the alert exists exactly when the event does.
    Within `[alerts] dedup_window` a repeat (same channel and dedup key) only counts a hit.
    """

    def __init__(
        self,
        specs: Sequence[ChannelSpec],
        *,
        dedup_window: dt.timedelta,
        base_url: str | None = None,
    ) -> None:
        self.specs = list(specs)
        self.dedup_window = dedup_window
        self.base_url = base_url
        self._lowest = min((s.min_level for s in self.specs), default=Level.CRITICAL)

    def __call__(
        self, session: Session, event: RetrievalEvent, documents: list[RetrievedDocument]
    ) -> None:
        if event.max_level < self._lowest:
            return
        now = to_db_time(event.created_at)
        for spec in self.specs:
            docs = [d for d in documents if d.level >= spec.min_level]
            if docs:
                self._write(session, spec, event, docs, now)

    def _write(
        self,
        session: Session,
        spec: ChannelSpec,
        event: RetrievalEvent,
        docs: list[RetrievedDocument],
        now: dt.datetime,
    ) -> None:
        key = dedup_key(event.agent, docs)
        # Core statements on the session's connection: same transaction, no unit of work.
        conn = session.connection()
        earlier = conn.execute(
            _FIND_EARLIER,
            {
                "channel": spec.name,
                "destination": spec.fingerprint,
                "key": key,
                "since": now - self.dedup_window,
            },
        ).scalar()
        if earlier is not None:
            conn.execute(_ADD_HIT, {"row_id": earlier})
            return
        top = max(docs, key=lambda d: (d.level, d.score))
        alert = Alert(
            id=new_message_id(),
            type=FLAGGED,
            agent=event.agent,
            level=Level(top.level).label,
            score=max(d.score for d in docs),
            event_id=event.id,
            created_at=now,
            session=event.session,
            query=event.query,
            documents=tuple(_alert_document(d) for d in docs),
            audit_url=audit_link(self.base_url, event.id),
        )
        conn.execute(
            sa.insert(_TABLE),
            {
                "id": alert.id,
                "created_at": now,
                "channel": spec.name,
                "destination": spec.fingerprint,
                "agent": alert.agent,
                "level": alert.level,
                "score": alert.score,
                "event_id": event.id,
                "dedup_key": key,
                "hits": 1,
                "status": PENDING,
                "attempts": 0,
                "next_attempt_at": now + spec.digest if spec.digest else now,
                "payload": json.dumps(alert.to_payload(), ensure_ascii=False),
            },
        )


def make_hook(config: Config, specs: list[ChannelSpec]) -> AlertHook:
    """The record hook for a config's channels (`channel_specs`, already validated)."""
    settings = config.settings
    return AlertHook(
        specs, dedup_window=settings.alerts.dedup_window, base_url=settings.api.base_url
    )


# -- delivering ---------------------------------------------------------------------------


@dataclass
class DeliveryReport:
    """What one delivery run did; `pending` is what is still waiting afterwards."""

    sent: int = 0
    failed: int = 0
    dead: int = 0
    disabled: int = 0
    suppressed: int = 0
    pending: int = 0
    disabled_channels: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def add(self, other: DeliveryReport) -> None:
        """Add another run's counts (one channel's) to these."""
        for name in ("sent", "failed", "dead", "disabled", "suppressed", "pending"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.disabled_channels.update(other.disabled_channels)

    def __str__(self) -> str:
        counts = ("sent", "failed", "dead", "disabled", "suppressed", "pending")
        return ", ".join(f"{name} {getattr(self, name)}" for name in counts)


@dataclass(slots=True)
class _Claimed:
    id: str
    hits: int
    attempts: int
    payload: str

    def alert(self) -> Alert:
        alert = Alert.from_payload(json.loads(self.payload))
        return alert if alert.hits == self.hits else dataclasses.replace(alert, hits=self.hits)


@dataclass(slots=True)
class _Page:
    """Rows one claim leased: settled only with `token`, held until `until`."""

    token: str
    until: dt.datetime
    rows: list[_Claimed]


def lease_for(spec: ChannelSpec) -> dt.timedelta:
    """How long a claim holds its rows: LEASE, or six of the channel's timeouts if longer."""
    return max(LEASE, dt.timedelta(seconds=6 * spec.timeout))


def page_size(spec: ChannelSpec) -> int:
    """Rows per claim: page x timeout stays within the lease (renewal covers the rest)."""
    return max(1, min(PAGE, int(lease_for(spec).total_seconds() // spec.timeout)))


def deliver_due(
    log: AuditLog,
    specs: list[ChannelSpec],
    clock: Callable[[], dt.datetime],
    *,
    rng: random.Random | None = None,
    policy: RetryPolicy | None = None,
) -> DeliveryReport:
    """Send every due alert (pending, next_attempt_at <= now) through its channel; rows of
    channels no longer in `specs` are suppressed.

    Leases and settle times come from `clock` as it runs.
    """

    def run(spec: ChannelSpec | None) -> DeliveryReport:
        one = _Run(log, clock, rng or _RNG, policy or RetryPolicy())
        try:
            if spec is None:
                one.suppress_unconfigured(specs)
            else:
                one.channel(spec)
        finally:
            one.close()
        return one.report

    report = run(None)
    # each channel on its own thread: a slow endpoint never delays another channel
    with ThreadPoolExecutor(max(1, len(specs)), thread_name_prefix="selfref-deliver") as pool:
        for part in pool.map(run, specs):
            report.add(part)
    with log.session() as s:
        report.pending = int(
            s.exec(
                select(sa.func.count()).select_from(AlertRow).where(col(AlertRow.status) == PENDING)
            ).one()
        )
    return report


class _Run:
    """One delivery pass: claims, sends, settles in short transactions (successes batched)."""

    def __init__(
        self,
        log: AuditLog,
        clock: Callable[[], dt.datetime],
        rng: random.Random,
        policy: RetryPolicy,
    ) -> None:
        self.log, self.clock, self.rng, self.policy = log, clock, rng, policy
        self.now = self.time()  # what is due: due at the start of the run
        self.report = DeliveryReport()
        self._conn: sa.Connection | None = None  # reused by the hot path, no pool round trip
        # Sent rows are marked delivered in small batches: a crash in between resends at most
        # MARK_BATCH alerts, with their original webhook-id (at-least-once, de-duplicable).
        self._sent: list[str] = []
        self._sent_token = ""

    def time(self) -> dt.datetime:
        return to_db_time(self.clock())

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def suppress_unconfigured(self, specs: Sequence[ChannelSpec]) -> None:
        """Pending rows whose channel is gone, or now points elsewhere, are suppressed."""
        where = {spec.name: spec.fingerprint for spec in specs}
        with self.log.session() as s:
            found = s.exec(
                select(AlertRow.channel, AlertRow.destination)
                .where(col(AlertRow.status) == PENDING)
                .distinct()
            ).all()
            for name, destination in found:
                if name not in where:
                    reason = f"channel {name!r} is no longer configured"
                elif destination is not None and destination != where[name]:
                    reason = (
                        f"channel {name!r} now points at another destination; "
                        "not sent to it (the alert was written for the old one)"
                    )
                else:
                    continue
                result = s.execute(
                    sa.update(AlertRow)
                    .where(
                        col(AlertRow.status) == PENDING,
                        col(AlertRow.channel) == name,
                        col(AlertRow.destination) == destination
                        if destination is not None
                        else col(AlertRow.destination).is_(None),
                    )
                    .values(
                        status=SUPPRESSED, last_error=reason, lease_until=None, lease_token=None
                    )
                    .execution_options(synchronize_session=False)
                )
                self.report.suppressed += result.rowcount  # type: ignore[attr-defined]

    def channel(self, spec: ChannelSpec) -> None:
        state = self._state(spec.name)
        if state.disabled and state.fingerprint == spec.fingerprint:
            reason = state.disabled_reason or "disabled"
            self.report.disabled += self._disable_pending(spec.name, reason)
            self.report.disabled_channels[spec.name] = reason
            return
        channel = None
        try:
            while True:
                budget = self._budget(spec, state)
                if budget == 0:
                    return
                size = DIGEST_MAX if spec.digest else min(page_size(spec), budget or PAGE)
                page = self._claim(spec, size)
                if page is None:
                    return
                if channel is None:
                    channel = spec.build()
                pending = list(page.rows)
                while pending:
                    if spec.digest:
                        batch, pending = pending, []
                    else:
                        pending = self._hold(spec, page, pending)
                        if not pending:
                            break
                        batch, pending = pending[:1], pending[1:]
                    result = channel.send([row.alert() for row in batch])
                    self._settle(spec, state, page, batch, result)
                    if not result.ok and (result.disable or not result.permanent):
                        # gone, or down: stop this channel for this run, release the rest
                        self._release(page, pending)
                        return
                self._flush_sent()
                if spec.digest:
                    return
        finally:
            self._flush_sent()
            if channel is not None:
                channel.close()

    # -- steps, each in its own short transaction --

    def _state(self, name: str) -> ChannelState:
        with self.log.session() as s:
            state = s.get(ChannelState, name)
            return state if state is not None else ChannelState(channel=name)

    def _budget(self, spec: ChannelSpec, state: ChannelState) -> int | None:
        """Sends still allowed in the current rate window; None when unlimited."""
        if spec.rate_limit is None:
            return None
        now = self.time()
        start = to_db_time(state.window_start) if state.window_start else None
        if start is None or start + spec.rate_window <= now or start > now:
            state.window_start, state.window_count = now, 0
        return max(0, spec.rate_limit - state.window_count)

    def _claim(self, spec: ChannelSpec, size: int) -> _Page | None:
        now, token = self.time(), secrets.token_hex(16)
        until = now + lease_for(spec)
        free = sa.or_(col(AlertRow.lease_until).is_(None), col(AlertRow.lease_until) < now)
        mine = [
            col(AlertRow.channel) == spec.name,
            col(AlertRow.status) == PENDING,
            sa.or_(
                col(AlertRow.destination) == spec.fingerprint,
                col(AlertRow.destination).is_(None),
            ),
            free,
        ]
        due = col(AlertRow.next_attempt_at) <= self.now
        with self.log.session() as s:
            if spec.digest:
                # One mail per digest window: once any alert is due, all pending ones go.
                if s.exec(select(AlertRow.id).where(*mine, due).limit(1)).first() is None:
                    return None
                pick = select(AlertRow.id).where(*mine)
            else:
                pick = select(AlertRow.id).where(*mine, due)
            pick = pick.order_by(col(AlertRow.next_attempt_at), col(AlertRow.created_at))
            stmt = (
                sa.update(AlertRow)
                .where(col(AlertRow.id).in_(pick.limit(size).scalar_subquery()), *mine)
                .values(lease_until=until, lease_token=token)
                .returning(
                    col(AlertRow.id),
                    col(AlertRow.hits),
                    col(AlertRow.attempts),
                    col(AlertRow.payload),
                    col(AlertRow.next_attempt_at),
                    col(AlertRow.created_at),
                )
                .execution_options(synchronize_session=False)
            )
            rows = s.execute(stmt).all()
        if not rows:
            return None
        rows = sorted(rows, key=lambda r: (to_db_time(r[4]), to_db_time(r[5]), r[0]))
        return _Page(token, until, [_Claimed(r[0], r[1], r[2], r[3]) for r in rows])

    def _hold(self, spec: ChannelSpec, page: _Page, rows: list[_Claimed]) -> list[_Claimed]:
        """Before a send: renew the lease if the send might outlast it; keep what is still ours."""
        lease = lease_for(spec)
        now = self.time()
        if now + lease / 2 < page.until:
            return rows
        self._flush_sent()  # sent rows are settled before their lease could lapse
        until = now + lease
        with self.log.session() as s:
            kept = set(
                s.execute(
                    sa.update(AlertRow)
                    .where(
                        col(AlertRow.id).in_([r.id for r in rows]),
                        col(AlertRow.lease_token) == page.token,
                        col(AlertRow.status) == PENDING,
                    )
                    .values(lease_until=until)
                    .returning(col(AlertRow.id))
                    .execution_options(synchronize_session=False)
                ).scalars()
            )
        page.until = until
        return [r for r in rows if r.id in kept]

    def _release(self, page: _Page, rows: Sequence[_Claimed]) -> None:
        if not rows:
            return
        with self.log.session() as s:
            s.execute(
                sa.update(AlertRow)
                .where(
                    col(AlertRow.id).in_([r.id for r in rows]),
                    col(AlertRow.lease_token) == page.token,
                )
                .values(lease_until=None, lease_token=None)
                .execution_options(synchronize_session=False)
            )

    def _settle(
        self,
        spec: ChannelSpec,
        state: ChannelState,
        page: _Page,
        batch: Sequence[_Claimed],
        result: DeliveryResult,
    ) -> None:
        now, ids = self.time(), [row.id for row in batch]
        if result.ok:
            self.report.sent += len(ids)
            if result.error is not None:  # delivered with a note (some recipients refused)
                self._delivered(ids, page.token, now, result.error)
            else:
                self._sent_token = page.token
                self._sent += ids
                if len(self._sent) >= MARK_BATCH:
                    self._flush_sent()
        else:
            self._flush_sent()
            self._failed(spec, state, page.token, batch, result, now)
        if spec.rate_limit is not None:
            state.window_count += 1
            with self.log.session() as s:
                stored = s.get(ChannelState, spec.name) or ChannelState(channel=spec.name)
                stored.window_start, stored.window_count = state.window_start, state.window_count
                s.add(stored)
        if result.disable:
            self.report.disabled += self._disable_pending(spec.name, state.disabled_reason or "")

    def _failed(
        self,
        spec: ChannelSpec,
        state: ChannelState,
        token: str,
        batch: Sequence[_Claimed],
        result: DeliveryResult,
        now: dt.datetime,
    ) -> None:
        ids = [row.id for row in batch]
        common: dict[str, Any] = {"last_attempt_at": now}
        with self.log.session() as s:
            if result.disable:
                reason = result.error or f"channel {spec.name!r} disabled"
                self._update(s, ids, token, status=DISABLED, last_error=reason, **common)
                stored = s.get(ChannelState, spec.name) or ChannelState(channel=spec.name)
                stored.disabled, stored.disabled_reason = True, reason
                stored.disabled_at, stored.fingerprint = now, spec.fingerprint
                s.add(stored)
                state.disabled, state.disabled_reason = True, reason
                self.report.disabled += len(ids)
                self.report.disabled_channels[spec.name] = reason
            elif result.permanent:
                self._update(s, ids, token, status=DEAD, last_error=result.error, **common)
                self.report.dead += len(ids)
            else:
                for row in batch:
                    attempts = row.attempts + 1
                    delay = self.policy.next_delay(attempts, result.retry_after, self.rng)
                    if delay is None:
                        self._update(s, [row.id], token, status=DEAD, attempts=attempts,
                                     last_error=result.error, **common)  # fmt: skip
                        self.report.dead += 1
                    else:
                        self._update(s, [row.id], token, attempts=attempts,
                                     last_error=result.error,
                                     next_attempt_at=now + dt.timedelta(seconds=delay),
                                     **common)  # fmt: skip
                        self.report.failed += 1

    def _flush_sent(self) -> None:
        """Mark the rows sent so far delivered, in one transaction."""
        if self._sent:
            ids, self._sent = self._sent, []
            self._delivered(ids, self._sent_token, self.time(), None)

    def _delivered(self, ids: list[str], token: str, now: dt.datetime, note: str | None) -> None:
        """The one path to delivered: a cached Core UPDATE in its own transaction."""
        try:
            if self._conn is None:
                self._conn = self.log.engine.connect()
            with self._conn.begin():
                self._conn.execute(
                    _MARK_DELIVERED, {"ids": ids, "token": token, "now": now, "note": note}
                )
        except SQLAlchemyError as exc:
            raise StorageError(
                f"cannot mark alert(s) {', '.join(ids)} delivered in {self.log.display_url}: "
                f"{exc}; they will be sent again (receivers de-duplicate on webhook-id)"
            ) from exc

    @staticmethod
    def _update(s: Session, ids: list[str], token: str, **values: Any) -> None:
        """Settle a failed send, only for rows this run still holds (its lease token)."""
        values.setdefault("attempts", col(AlertRow.attempts) + 1)
        s.execute(
            sa.update(AlertRow)
            .where(col(AlertRow.id).in_(ids), col(AlertRow.lease_token) == token)
            .values(lease_until=None, lease_token=None, **values)
            .execution_options(synchronize_session=False)
        )

    def _disable_pending(self, name: str, reason: str) -> int:
        with self.log.session() as s:
            result = s.execute(
                sa.update(AlertRow)
                .where(col(AlertRow.channel) == name, col(AlertRow.status) == PENDING)
                .values(status=DISABLED, last_error=reason, lease_until=None)
                .execution_options(synchronize_session=False)
            )
            return int(result.rowcount)  # type: ignore[attr-defined]


# -- reading and testing ------------------------------------------------------------------


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


def send_test_alert(
    specs: list[ChannelSpec], name: str, *, base_url: str | None, now: dt.datetime
) -> DeliveryResult:
    """Send a clearly marked test alert through channel `name` now (not via the outbox)."""
    spec = find_channel(specs, name)
    alert = make_test_alert(
        audit_url=f"{base_url.rstrip('/')}/v1/audit" if base_url else None, now=now
    )
    with spec.build() as channel:
        return channel.send([alert])
