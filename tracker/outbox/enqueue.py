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
from typing import TYPE_CHECKING

import sqlalchemy as sa

from selfref.alerting import ChannelSpec
from selfref.alerts import Alert, AlertDocument, new_message_id
from selfref.alerts.model import FLAGGED
from selfref.audit_query import to_db_time
from selfref.config import Config
from selfref.crawlers.urls import canonicalize
from selfref.documents import CheckDocument
from selfref.events import AlertQueued, RetrievalChecked
from selfref.levels import Level, Verdict
from selfref.outbox.schema import DELIVERED, PENDING, TABLE

if TYPE_CHECKING:
    from selfref.bus import Transaction

Checked = tuple[CheckDocument, Verdict]
"""A retrieved document and its verdict."""

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


def _material(doc: CheckDocument) -> str:
    if doc.url:
        try:
            return "url:" + canonicalize(doc.url)
        except ValueError:
            return "url:" + doc.url
    return "sha256:" + doc.content_hash


def _incidents(verdict: Verdict) -> set[str]:
    """Incident ids named by the verdict's evidence fields; the categories if none are."""
    found = {str(e.incident) for e in verdict.evidence if e.incident}
    return found or {f"category:{c}" for c in verdict.categories if c}


def dedup_key(agent: str, documents: Sequence[Checked]) -> str:
    """Same agent, same material (canonical URL or content hash), same incident(s)."""
    materials = sorted({_material(doc) for doc, _ in documents})
    incidents = sorted(set().union(*(_incidents(verdict) for _, verdict in documents)))
    text = "\n".join([agent, "|".join(materials), "|".join(incidents)])
    return hashlib.sha256(text.encode()).hexdigest()[:40]


def _alert_document(doc: CheckDocument, verdict: Verdict) -> AlertDocument:
    return AlertDocument(
        id=doc.id,
        url=doc.url,
        title=doc.title,
        level=verdict.level.label,
        score=verdict.score,
        categories=tuple(c for c in verdict.categories if c),
        evidence=tuple(e.to_dict() for e in verdict.evidence),
    )


class Enqueuer:
    """Before-commit subscriber of RetrievalChecked: one alert row per (channel, event)
    reaching the channel's `min_level`; returns an AlertQueued per new row."""

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

    def __call__(self, checked: RetrievalChecked, tx: Transaction) -> list[AlertQueued]:
        if checked.event_id is None or checked.max_level < self._lowest:
            return []
        pairs = list(zip(checked.documents, checked.verdicts, strict=True))
        queued = []
        for spec in self.specs:
            docs = [(d, v) for d, v in pairs if v.level >= spec.min_level]
            if docs:
                alert = self._write(tx, spec, checked, checked.event_id, docs)
                if alert is not None:
                    queued.append(alert)
        return queued

    def _write(
        self,
        tx: Transaction,
        spec: ChannelSpec,
        checked: RetrievalChecked,
        event_id: str,
        docs: list[Checked],
    ) -> AlertQueued | None:
        now = to_db_time(checked.created_at)
        key = dedup_key(checked.agent, docs)
        # Core statements on the transaction's connection: no unit of work.
        conn = tx.connection
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
            return None
        top = max(docs, key=lambda d: (d[1].level, d[1].score))[1]
        alert = Alert(
            id=new_message_id(),
            type=FLAGGED,
            agent=checked.agent,
            level=top.level.label,
            score=max(v.score for _, v in docs),
            event_id=event_id,
            created_at=now,
            session=checked.session,
            query=checked.query,
            documents=tuple(_alert_document(d, v) for d, v in docs),
            audit_url=audit_link(self.base_url, event_id),
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
                "event_id": event_id,
                "dedup_key": key,
                "hits": 1,
                "status": PENDING,
                "attempts": 0,
                "next_attempt_at": now + spec.digest if spec.digest else now,
                "payload": json.dumps(alert.to_payload(), ensure_ascii=False),
            },
        )
        return AlertQueued(alert.id, spec.name, alert.agent, alert.level, event_id)


def enqueuer(config: Config, specs: Sequence[ChannelSpec]) -> Enqueuer:
    """The outbox's subscriber for a config's channels (`channel_specs`, already validated)."""
    settings = config.settings
    return Enqueuer(
        specs, dedup_window=settings.alerts.dedup_window, base_url=settings.api.base_url
    )
