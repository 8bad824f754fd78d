"""Writing alerts: one outbox row per (channel, event) reaching the channel's `min_level`,
in the transaction that records the event, so the alert exists exactly when the event does.

Within `[alerts] dedup_window` a repeat (same channel, destination and dedup key: agent,
material and incidents) only counts a hit on the earlier row.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Sequence

import sqlalchemy as sa
from sqlmodel import Session

from alerts import Alert, AlertDocument, new_message_id
from alerts.model import FLAGGED
from crawlers.urls import canonicalize
from tracker.alerting import ChannelSpec, channel_specs, validate_channels
from tracker.audit import RetrievalEvent, RetrievedDocument, to_db_time
from tracker.config import Config
from tracker.levels import Level
from tracker.outbox.schema import DELIVERED, PENDING, TABLE

_FIND_EARLIER = (
    sa.select(TABLE.c.id)
    .where(
        TABLE.c.channel == sa.bindparam("channel"),
        TABLE.c.destination == sa.bindparam("destination"),
        TABLE.c.dedup_key == sa.bindparam("key"),
        TABLE.c.created_at >= sa.bindparam("since"),
        TABLE.c.status.in_((PENDING, DELIVERED)),  # never into dead/disabled/suppressed
    )
    .order_by(TABLE.c.created_at)
    .limit(1)
)
_ADD_HIT = (
    sa.update(TABLE).where(TABLE.c.id == sa.bindparam("row_id")).values(hits=TABLE.c.hits + 1)
)


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
            sa.insert(TABLE),
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


def make_hook(config: Config) -> AlertHook | None:
    """The record hook for a config, or None when no channel is configured."""
    specs = channel_specs(config)
    if not specs:
        return None
    validate_channels(specs)
    settings = config.settings
    return AlertHook(
        specs, dedup_window=settings.alerts.dedup_window, base_url=settings.api.base_url
    )
