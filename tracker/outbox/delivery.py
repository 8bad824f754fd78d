"""Delivering the outbox: due rows are claimed, sent through their channel (`alerts/`) and
settled as delivered, retried later, dead or disabled; rows of channels no longer
configured are suppressed.

Delivery is at-least-once: a row is marked delivered only after its channel said ok, in
short transactions of up to MARK_BATCH rows (and always before a lease renewal and at the
end of each claimed page). A crash between send and mark resends those alerts with the same
message id (`webhook-id`), which receivers de-duplicate. Rows being sent are leased: a
claim stamps them with a random lease token and a lease end taken from the clock at claim
time; a page is small enough to be sent within its lease, the lease is renewed before a
send that might outlast it, and a row is only settled (delivered, retried, dead) by the
run holding its token. So two delivering processes do not send the same row twice.
Each channel is delivered on its own thread, so one slow endpoint never delays another.
A channel's `rate_limit` caps its sends per window; a digest channel sends every pending
alert in one message once any is due.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import random
import secrets
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, col, select

from selfref.alerting import ChannelSpec, find_channel
from selfref.alerts import Alert, DeliveryResult, RetryPolicy, make_test_alert
from selfref.audit import AuditLog
from selfref.audit_query import to_db_time
from selfref.errors import StorageError
from selfref.events import AlertDead, AlertDelivered, Event
from selfref.outbox.schema import (
    DEAD,
    DELIVERED,
    DISABLED,
    PENDING,
    SUPPRESSED,
    TABLE,
    AlertRow,
    ChannelState,
)

LEASE = dt.timedelta(minutes=5)  # at least; a slow channel's lease is 6 of its timeouts
PAGE = 200  # rows per claim at most; fewer when page x timeout would outlast the lease
MARK_BATCH = 10  # sent rows marked delivered per transaction
DIGEST_MAX = 100
_RNG = random.Random()
# The one way a row becomes delivered: only by the run holding its lease token.
_MARK_DELIVERED = (
    sa.update(TABLE)
    .where(
        TABLE.c.id.in_(sa.bindparam("ids", expanding=True)),
        TABLE.c.lease_token == sa.bindparam("token"),
    )
    .values(
        status=DELIVERED,
        attempts=TABLE.c.attempts + 1,
        delivered_at=sa.bindparam("now"),
        last_attempt_at=sa.bindparam("now"),
        last_error=sa.bindparam("note"),
        lease_until=None,
        lease_token=None,
    )
)


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
    publish: Callable[[Event], None],
    *,
    rng: random.Random | None = None,
    policy: RetryPolicy | None = None,
) -> DeliveryReport:
    """Send every due alert (pending, next_attempt_at <= now) through its channel; rows of
    channels no longer in `specs` are suppressed.

    Leases and settle times come from `clock` as it runs. AlertDelivered and AlertDead go
    to `publish` once the rows say so.
    """

    def run(spec: ChannelSpec | None) -> DeliveryReport:
        one = _Run(log, clock, rng or _RNG, policy or RetryPolicy(), publish)
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
        publish: Callable[[Event], None],
    ) -> None:
        self.log, self.clock, self.rng, self.policy = log, clock, rng, policy
        self.publish = publish
        self.now = self.time()  # what is due: due at the start of the run
        self.report = DeliveryReport()
        self._conn: sa.Connection | None = None  # reused by the hot path, no pool round trip
        # Sent rows are marked delivered in small batches: a crash in between resends at most
        # MARK_BATCH alerts, with their original webhook-id (at-least-once, de-duplicable).
        self._sent: list[str] = []
        self._sent_token = self._sent_channel = ""

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
                self._delivered(spec.name, ids, page.token, now, result.error)
            else:
                self._sent_token, self._sent_channel = page.token, spec.name
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
        dead: list[AlertDead] = []
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
                dead += [AlertDead(r.id, spec.name, r.attempts + 1, result.error) for r in batch]
            else:
                for row in batch:
                    attempts = row.attempts + 1
                    delay = self.policy.next_delay(attempts, result.retry_after, self.rng)
                    if delay is None:
                        self._update(s, [row.id], token, status=DEAD, attempts=attempts,
                                     last_error=result.error, **common)  # fmt: skip
                        dead.append(AlertDead(row.id, spec.name, attempts, result.error))
                    else:
                        self._update(s, [row.id], token, attempts=attempts,
                                     last_error=result.error,
                                     next_attempt_at=now + dt.timedelta(seconds=delay),
                                     **common)  # fmt: skip
                        self.report.failed += 1
        self.report.dead += len(dead)
        for event in dead:
            self.publish(event)

    def _flush_sent(self) -> None:
        """Mark the rows sent so far delivered, in one transaction."""
        if self._sent:
            ids, self._sent = self._sent, []
            self._delivered(self._sent_channel, ids, self._sent_token, self.time(), None)

    def _delivered(
        self, channel: str, ids: list[str], token: str, now: dt.datetime, note: str | None
    ) -> None:
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
        for alert_id in ids:
            self.publish(AlertDelivered(alert_id, channel, note))

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
