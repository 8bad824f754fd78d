"""What an audit query reads and keeps, with no database library: the row (`AuditRow`), the
columns it is made of, its order, and the filters as plain `(column, operator, value)`
conditions.

Both readers build their query from these definitions, so they cannot drift apart:
`AuditLog.rows` (SQLAlchemy, every backend) and `selfref.audit_sqlite` (the standard
library's sqlite3, so that `selfref audit` on a SQLite home starts without SQLAlchemy).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from selfref.levels import Level

EVENTS = "retrieval_events"
DOCUMENTS = "retrieved_documents"
DOCUMENT_COLUMNS = (
    "id",
    "event_id",
    "position",
    "created_at",
    "agent",
    "session",
    "doc_id",
    "url",
    "title",
    "content_hash",
    "snippet",
    "snippet_start",
    "level",
    "score",
    "categories",
    "evidence",
)
"""The `retrieved_documents` columns an AuditRow is made of, with its event's `query`."""
NEWEST_FIRST = ("created_at", "id")
"""Audit rows are ordered by these columns, both descending (the id breaks a tie in time)."""
Condition = tuple[str, str, Any]
"""`(column, operator, value)`: the column compared with the value by `=`, `>=` or `<`, as
SQL writes them (times in UTC)."""


@dataclass(frozen=True, slots=True)
class AuditRow:
    """One retrieved document as the audit shows it, newest first."""

    event_id: str
    time: dt.datetime
    agent: str
    session: str | None
    query: str | None
    position: int
    doc_id: str | None
    url: str | None
    title: str | None
    content_hash: str
    snippet: str
    level: Level
    score: float
    categories: list[str]
    evidence: list[dict[str, Any]]
    row_id: int = 0
    snippet_start: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "event_id": self.event_id,
            "time": self.time.isoformat(),
            "agent": self.agent,
            "session": self.session,
            "query": self.query,
            "position": self.position,
            "document_id": self.doc_id,
            "url": self.url,
            "title": self.title,
            "content_hash": self.content_hash,
            "snippet": self.snippet,
            "level": self.level.label,
            "score": self.score,
            "categories": self.categories,
            "evidence": self.evidence,
        }

    def to_record(self) -> dict[str, Any]:
        """The flat row of `AUDIT_COLUMNS` that CSV exports write ("" for missing values)."""
        data = self.to_dict()
        record = {c: data.get(c) for c in AUDIT_COLUMNS}
        record["categories"] = ",".join(self.categories)
        return {k: "" if v is None else v for k, v in record.items()}


AUDIT_COLUMNS = (
    "event_id",
    "time",
    "agent",
    "session",
    "query",
    "document_id",
    "url",
    "title",
    "level",
    "score",
    "categories",
)
"""The columns of `selfref audit --format csv` and the dashboard's CSV export."""


@dataclass(frozen=True, slots=True)
class AuditFilter:
    """What an audit query keeps: every given field must hold (`level`: that and above)."""

    agent: str | None = None
    since: dt.datetime | None = None
    until: dt.datetime | None = None
    level: Level | None = None
    session: str | None = None
    event: str | None = None

    def on_documents(self) -> list[Condition]:
        """The conditions on `retrieved_documents` (a document's own level)."""
        return self._conditions(level="level", event="event_id")

    def on_events(self) -> list[Condition]:
        """The conditions on `retrieval_events` (an event's highest level)."""
        return self._conditions(level="max_level", event="id")

    def _conditions(self, *, level: str, event: str) -> list[Condition]:
        out: list[Condition] = []
        if self.agent is not None:
            out.append(("agent", "=", self.agent))
        if self.since is not None:
            out.append(("created_at", ">=", to_db_time(self.since)))
        if self.until is not None:
            out.append(("created_at", "<", to_db_time(self.until)))
        if self.session is not None:
            out.append(("session", "=", self.session))
        if self.level is not None and self.level > Level.NONE:
            out.append((level, ">=", int(self.level)))
        if self.event is not None:
            out.append((event, "=", self.event))
        return out


@dataclass(frozen=True, slots=True)
class DocumentCursor:
    """Where a page of documents (newest first) ended: its last row's time and row id."""

    time: dt.datetime
    id: int


def to_db_time(value: dt.datetime) -> dt.datetime:
    """Times are stored in UTC on every backend; naive input is taken as UTC."""
    if value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC)


def audit_row(values: Mapping[Any, Any]) -> AuditRow:
    """The AuditRow of a stored document: its `DOCUMENT_COLUMNS` (`created_at` a datetime)
    and its event's `query`."""
    return AuditRow(
        event_id=values["event_id"],
        time=to_db_time(values["created_at"]),
        agent=values["agent"],
        session=values["session"],
        query=values["query"],
        position=values["position"],
        doc_id=values["doc_id"],
        url=values["url"],
        title=values["title"],
        content_hash=values["content_hash"],
        snippet=values["snippet"],
        level=Level(values["level"]),
        score=values["score"],
        categories=[c for c in values["categories"].split(",") if c],
        evidence=json.loads(values["evidence"]),
        row_id=values["id"] or 0,
        snippet_start=values["snippet_start"],
    )
