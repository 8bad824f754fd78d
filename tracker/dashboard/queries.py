"""The dashboard's reads: bounded queries over indexed columns, on SQLite and PostgreSQL.

Counts are read from the covering indexes of `retrieved_documents` (see `selfref.audit`);
lists are keyset pages (newest first, `created_at` then id), never OFFSET scans.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections import Counter
from dataclasses import dataclass
from urllib.parse import urlsplit

from sqlmodel import col, func, select

from selfref.audit import (
    AuditDay,
    AuditLog,
    RetrievalEvent,
    RetrievedDocument,
    clauses,
    older_than,
    utc_day,
)
from selfref.audit_query import AuditFilter, AuditRow, audit_row, to_db_time
from selfref.crawl_state import CrawlPage, CrawlSource, CrawlStore
from selfref.errors import InputError
from selfref.levels import Level
from selfref.outbox.schema import AlertRecord, AlertRow, alert_record

PAGE_SIZE = 50
"""Events per page of the event list."""
TOP_SAMPLE = 1000
"""Top sources, incidents and personas are counted over this many newest flagged documents."""
TOP_N = 8
RECENT_ALERTS = 10


@dataclass(frozen=True, slots=True)
class EventCursor:
    """Where a page of events ended: `time~id` in URLs."""

    time: dt.datetime
    id: str

    def encode(self) -> str:
        return f"{self.time.isoformat()}~{self.id}"

    @classmethod
    def decode(cls, value: str) -> EventCursor:
        """Parse `time~id`; an InputError names the parameter when it is not one."""
        time, sep, event_id = value.rpartition("~")
        try:
            if not sep or not event_id:
                raise ValueError
            return cls(to_db_time(dt.datetime.fromisoformat(time)), event_id)
        except ValueError:
            raise InputError(
                f"after: {value!r} is not a page cursor; follow the dashboard's 'older' link"
            ) from None


@dataclass(frozen=True, slots=True)
class EventSummary:
    """One row of the event list."""

    id: str
    time: dt.datetime
    agent: str
    session: str | None
    query: str | None
    documents: int
    level: Level


@dataclass(frozen=True, slots=True)
class EventPage:
    events: list[EventSummary]
    next: EventCursor | None


@dataclass(frozen=True, slots=True)
class Top:
    """Most frequent sources (URL hosts), incidents and personas among flagged documents."""

    sampled: int
    sources: list[tuple[str, int]]
    incidents: list[tuple[str, int]]
    personas: list[tuple[str, int]]


@dataclass(frozen=True, slots=True)
class SourceView:
    """A crawl source's state and how many of its pages are in each status."""

    source: CrawlSource
    pages: dict[str, int]


@dataclass(frozen=True, slots=True)
class EventDetail:
    event: EventSummary
    documents: list[AuditRow]
    alerts: list[AlertRecord]


@dataclass(frozen=True, slots=True)
class Counts:
    """Documents per (UTC day, agent, level) in a filter's window."""

    cells: dict[tuple[str, str, Level], int]

    def flags_per_day(self) -> dict[str, dict[str, int]]:
        """Flagged documents per agent per day: {agent: {"2025-07-09": n}}."""
        out: dict[str, dict[str, int]] = {}
        for (day, agent, level), n in self.cells.items():
            if level.flagged:
                days = out.setdefault(agent, {})
                days[day] = days.get(day, 0) + n
        return out

    def level_totals(self) -> dict[Level, int]:
        """Documents per level (every level present, zero when none)."""
        totals = dict.fromkeys(Level, 0)
        for (_day, _agent, level), n in self.cells.items():
            totals[level] += n
        return totals


def counts(log: AuditLog, where: AuditFilter) -> Counts:
    """Per day, agent and level: whole days from `audit_days`, the partial days at the
    window's edges (and any session or event filter) from the documents' indexes."""
    if where.session is not None or where.event is not None:
        return Counts(_document_counts(log, where))
    first = _midnight(where.since, up=True) if where.since else None
    end = _midnight(where.until, up=False) if where.until else None
    if first is not None and end is not None and first >= end:
        return Counts(_document_counts(log, where))
    cells = _day_counts(log, where, first, end)
    if where.since is not None and first is not None and where.since < first:
        _add(cells, _document_counts(log, dataclasses.replace(where, until=first)))
    if where.until is not None and end is not None and end < where.until:
        _add(cells, _document_counts(log, dataclasses.replace(where, since=end)))
    return Counts(cells)


def _midnight(when: dt.datetime, *, up: bool) -> dt.datetime:
    """The UTC midnight at or after (up) or at or before `when`."""
    at = to_db_time(when)
    floor = at.replace(hour=0, minute=0, second=0, microsecond=0)
    return floor + dt.timedelta(days=1) if up and floor < at else floor


def _add(cells: dict[tuple[str, str, Level], int], more: dict[tuple[str, str, Level], int]) -> None:
    for key, n in more.items():
        cells[key] = cells.get(key, 0) + n


def _day_counts(
    log: AuditLog, where: AuditFilter, first: dt.datetime | None, end: dt.datetime | None
) -> dict[tuple[str, str, Level], int]:
    d = AuditDay
    stmt = select(col(d.day), col(d.agent), col(d.level), col(d.documents))
    if first is not None:
        stmt = stmt.where(col(d.day) >= first.date().isoformat())
    if end is not None:
        stmt = stmt.where(col(d.day) < end.date().isoformat())
    if where.agent is not None:
        stmt = stmt.where(col(d.agent) == where.agent)
    if where.level is not None and where.level > Level.NONE:
        stmt = stmt.where(col(d.level) >= int(where.level))
    with log.session() as s:
        return {(day, agent, Level(lv)): int(n) for day, agent, lv, n in s.exec(stmt).all()}


def _document_counts(log: AuditLog, where: AuditFilter) -> dict[tuple[str, str, Level], int]:
    doc = RetrievedDocument
    day = utc_day(col(doc.created_at), log.engine.dialect.name).label("day")
    stmt = (
        select(day, col(doc.agent), col(doc.level), func.count())
        .where(*clauses(doc, where.on_documents()))
        .group_by(day, col(doc.agent), col(doc.level))
    )
    with log.session() as s:
        return {(str(d), a, Level(lv)): int(n) for d, a, lv, n in s.exec(stmt).all()}


def _flagged(where: AuditFilter) -> AuditFilter:
    return dataclasses.replace(where, level=max(where.level or Level.WARN, Level.WARN))


def top_material(log: AuditLog, where: AuditFilter, sample: int = TOP_SAMPLE) -> Top:
    """What the newest `sample` flagged documents came from and were about."""
    doc = RetrievedDocument
    stmt = (
        select(col(doc.url), col(doc.evidence))
        .where(*clauses(doc, _flagged(where).on_documents()))
        .order_by(col(doc.created_at).desc(), col(doc.id).desc())
        .limit(sample)
    )
    sources: Counter[str] = Counter()
    incidents: Counter[str] = Counter()
    personas: Counter[str] = Counter()
    with log.session() as s:
        rows = s.exec(stmt).all()
    for url, evidence in rows:
        sources[_host(url)] += 1
        items = json.loads(evidence or "[]")
        incidents.update({str(e["incident"]) for e in items if e.get("incident")})
        personas.update({str(e["persona"]) for e in items if e.get("persona")})
    return Top(
        sampled=len(rows),
        sources=sources.most_common(TOP_N),
        incidents=incidents.most_common(TOP_N),
        personas=personas.most_common(TOP_N),
    )


def _host(url: str | None) -> str:
    if not url:
        return "(no URL)"
    try:
        return urlsplit(url).hostname or url
    except ValueError:
        return url


def events_page(
    log: AuditLog,
    where: AuditFilter,
    after: EventCursor | None = None,
    size: int = PAGE_SIZE,
) -> EventPage:
    """One page of events matching `where` (level: the event's highest), newest first."""
    ev = RetrievalEvent
    stmt = select(ev).where(*clauses(ev, where.on_events()))
    if after is not None:
        stmt = stmt.where(*older_than(col(ev.created_at), col(ev.id), after.time, after.id))
    stmt = stmt.order_by(col(ev.created_at).desc(), col(ev.id).desc()).limit(size + 1)
    with log.session() as s:
        rows = [_summary(e) for e in s.exec(stmt).all()]
    more = len(rows) > size
    rows = rows[:size]
    return EventPage(rows, EventCursor(rows[-1].time, rows[-1].id) if more else None)


def _summary(event: RetrievalEvent) -> EventSummary:
    return EventSummary(
        id=event.id,
        time=to_db_time(event.created_at),
        agent=event.agent,
        session=event.session,
        query=event.query,
        documents=event.document_count,
        level=Level(event.max_level),
    )


def event_detail(log: AuditLog, event_id: str) -> EventDetail | None:
    """An event with every document (in retrieval order) and the alerts it raised."""
    doc = RetrievedDocument
    with log.session() as s:
        event = s.get(RetrievalEvent, event_id)
        if event is None:
            return None
        docs = s.exec(
            select(doc).where(col(doc.event_id) == event_id).order_by(col(doc.position))
        ).all()
        alerts = s.exec(
            select(AlertRow)
            .where(col(AlertRow.event_id) == event_id)
            .order_by(col(AlertRow.created_at))
        ).all()
    now = dt.datetime.now(dt.UTC)
    return EventDetail(
        event=_summary(event),
        documents=[audit_row({**d.model_dump(), "query": event.query}) for d in docs],
        alerts=[alert_record(a, now) for a in alerts],
    )


def recent_alerts(
    log: AuditLog, where: AuditFilter, limit: int = RECENT_ALERTS
) -> list[AlertRecord]:
    """The newest alerts for the filter's agent and time window, with delivery state."""
    a = AlertRow
    stmt = select(a)
    if where.agent is not None:
        stmt = stmt.where(col(a.agent) == where.agent)
    if where.since is not None:
        stmt = stmt.where(col(a.created_at) >= to_db_time(where.since))
    if where.until is not None:
        stmt = stmt.where(col(a.created_at) < to_db_time(where.until))
    stmt = stmt.order_by(col(a.created_at).desc(), col(a.id).desc()).limit(limit)
    with log.session() as s:
        now = dt.datetime.now(dt.UTC)
        return [alert_record(row, now) for row in s.exec(stmt).all()]


def crawl_sources(store: CrawlStore) -> list[SourceView]:
    """Every crawl source with its last run, last error and page counts by status."""
    page = CrawlPage
    stmt = select(col(page.source), col(page.status), func.count()).group_by(
        col(page.source), col(page.status)
    )
    with store.session() as s:
        sources = list(s.exec(select(CrawlSource).order_by(col(CrawlSource.name))).all())
        counts: dict[str, dict[str, int]] = {}
        for source, status, n in s.exec(stmt).all():
            counts.setdefault(source, {})[status] = int(n)
    return [SourceView(src, counts.get(src.name, {})) for src in sources]


__all__ = [
    "PAGE_SIZE",
    "Counts",
    "EventCursor",
    "EventDetail",
    "EventPage",
    "EventSummary",
    "SourceView",
    "Top",
    "counts",
    "crawl_sources",
    "event_detail",
    "events_page",
    "recent_alerts",
    "top_material",
]
