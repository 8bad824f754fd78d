"""The audit log: every retrieval event and, per retrieved document, its verdict.

SQLModel over SQLite (WAL) by default and PostgreSQL at scale, with the same code.
Rows for retrieved documents repeat the event's time, agent and session so that the
common audit queries ("grok, last week, warn and above") are answered from one
index without a join.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Field, Session, SQLModel, col, select

from tracker.errors import ConfigError, StorageError
from tracker.levels import Level


class RetrievalEvent(SQLModel, table=True):
    """One retrieval by one agent."""

    __tablename__ = "retrieval_events"
    __table_args__ = (sa.Index("ix_events_agent_time", "agent", "created_at"),)

    id: str = Field(primary_key=True, max_length=40)
    created_at: dt.datetime = Field(sa_type=sa.DateTime(timezone=True), index=True)
    agent: str = Field(max_length=64)
    session: str | None = Field(default=None, index=True, max_length=200)
    query: str | None = Field(default=None)
    document_count: int = 0
    max_level: int = 0


class RetrievedDocument(SQLModel, table=True):
    """One document of a retrieval event, with its verdict."""

    __tablename__ = "retrieved_documents"
    __table_args__ = (
        sa.Index("ix_docs_agent_time", "agent", "created_at"),
        sa.Index("ix_docs_level_time", "level", "created_at"),
        sa.Index("ix_docs_session_time", "session", "created_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    event_id: str = Field(foreign_key="retrieval_events.id", index=True, max_length=40)
    position: int
    created_at: dt.datetime = Field(sa_type=sa.DateTime(timezone=True), index=True)
    agent: str = Field(max_length=64)
    session: str | None = Field(default=None, max_length=200)
    doc_id: str | None = Field(default=None, max_length=500)
    url: str | None = None
    title: str | None = None
    content_hash: str = Field(max_length=64, index=True)
    snippet: str = ""
    level: int = 0
    score: float = 0.0
    categories: str = ""
    evidence: str = "[]"


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


Hook = Callable[[Session, RetrievalEvent, list[RetrievedDocument]], None]


def new_event_id(now: float | None = None) -> str:
    """A time-ordered id: `evt_` + 12 hex digits of milliseconds + 12 random hex digits."""
    millis = int((time.time() if now is None else now) * 1000)
    return f"evt_{millis:012x}{secrets.token_hex(6)}"


class AuditLog:
    """Reads and writes the audit tables; every failure is a StorageError."""

    def __init__(self, url: str, *, busy_timeout: float = 5.0) -> None:
        self.url = url
        try:
            parsed = make_url(url)
        except sa.exc.ArgumentError:
            raise ConfigError(
                f"storage.database_url: {url!r} is not a database URL (use sqlite:///PATH "
                "or postgresql+psycopg://user@host/db)"
            ) from None
        self.display_url = parsed.render_as_string(hide_password=True)
        try:
            self.engine = _engine(url, busy_timeout)
        except (ImportError, sa.exc.NoSuchModuleError) as exc:
            raise ConfigError(
                f"storage.database_url: no driver for {parsed.drivername!r} ({exc}); "
                "use sqlite or postgresql+psycopg"
            ) from None
        except OSError as exc:
            raise StorageError(
                f"cannot create the directory for the audit database {self.display_url}: {exc}"
            ) from None
        self._ready = False

    def ensure_schema(self) -> None:
        """Create the tables on first use (idempotent)."""
        if self._ready:
            return
        with self._errors("create the audit tables in"):
            SQLModel.metadata.create_all(self.engine)
        self._ready = True

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session whose transaction commits on success and rolls back on error."""
        self.ensure_schema()
        with (
            self._errors("use"),
            Session(self.engine, expire_on_commit=False) as session,
            session.begin(),
        ):
            yield session

    def record(
        self,
        event: RetrievalEvent,
        documents: Sequence[RetrievedDocument],
        hooks: Sequence[Hook] = (),
    ) -> None:
        """Write an event, its documents and whatever the hooks add, in one transaction.

        Core inserts on the session's connection, not the unit of work: the same rows and
        the same transaction at about a third of the cost (benchmarks/audit_write.py);
        the hooks see the objects as given (a document's `id` stays None)."""
        docs = list(documents)
        with self.session() as session:
            conn = session.connection()
            conn.execute(sa.insert(RetrievalEvent), _values(event))
            if docs:
                conn.execute(sa.insert(RetrievedDocument), [_values(d) for d in docs])
            for hook in hooks:
                hook(session, event, docs)

    def query(
        self,
        *,
        agent: str | None = None,
        since: dt.datetime | None = None,
        until: dt.datetime | None = None,
        level: Level | None = None,
        session: str | None = None,
        event: str | None = None,
        limit: int | None = 1000,
    ) -> list[AuditRow]:
        """Retrieved documents matching every given filter, newest first."""
        doc, ev = RetrievedDocument, RetrievalEvent
        stmt = select(doc, ev.query).join(ev, col(ev.id) == col(doc.event_id))
        if agent is not None:
            stmt = stmt.where(col(doc.agent) == agent)
        if since is not None:
            stmt = stmt.where(col(doc.created_at) >= to_db_time(since))
        if until is not None:
            stmt = stmt.where(col(doc.created_at) < to_db_time(until))
        if level is not None and level > Level.NONE:
            stmt = stmt.where(col(doc.level) >= int(level))
        if session is not None:
            stmt = stmt.where(col(doc.session) == session)
        if event is not None:
            stmt = stmt.where(col(doc.event_id) == event)
        stmt = stmt.order_by(col(doc.created_at).desc(), col(doc.id).desc())
        if limit:
            stmt = stmt.limit(limit)
        with self.session() as s:
            return [_row(d, q) for d, q in s.exec(stmt).all()]

    def dispose(self) -> None:
        self.engine.dispose()

    @contextmanager
    def _errors(self, action: str) -> Iterator[None]:
        try:
            yield
        except SQLAlchemyError as exc:
            raise StorageError(_explain(exc, action, self.display_url)) from exc


def _engine(url: str, busy_timeout: float) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:":
            from pathlib import Path

            Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(url, connect_args={"timeout": busy_timeout})

        @sa.event.listens_for(engine, "connect")
        def _pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout * 1000)}")
            cursor.close()

        return engine
    connect_args: dict[str, Any] = {}
    if parsed.get_backend_name() == "postgresql":
        connect_args["connect_timeout"] = max(1, int(busy_timeout))
    return sa.create_engine(url, pool_pre_ping=True, connect_args=connect_args)


def _explain(exc: SQLAlchemyError, action: str, where: str) -> str:
    text = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
    if "locked" in text or "busy" in text:
        return (
            f"audit database {where} is locked by another process; nothing was written. "
            "Retry, or raise [storage] busy_timeout"
        )
    return f"cannot {action} the audit database {where}: {text}"


def _values(row: SQLModel) -> dict[str, Any]:
    """A table row's column values for an insert; an unset generated key is left out."""
    table = sa.inspect(type(row)).local_table
    values = {c.name: getattr(row, c.name) for c in table.columns}
    return {k: v for k, v in values.items() if v is not None or not table.columns[k].primary_key}


def to_db_time(value: dt.datetime) -> dt.datetime:
    """Times are stored in UTC on every backend; naive input is taken as UTC."""
    if value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC)


def _row(doc: RetrievedDocument, query: str | None) -> AuditRow:
    return AuditRow(
        event_id=doc.event_id,
        time=to_db_time(doc.created_at),
        agent=doc.agent,
        session=doc.session,
        query=query,
        position=doc.position,
        doc_id=doc.doc_id,
        url=doc.url,
        title=doc.title,
        content_hash=doc.content_hash,
        snippet=doc.snippet,
        level=Level(doc.level),
        score=doc.score,
        categories=[c for c in doc.categories.split(",") if c],
        evidence=json.loads(doc.evidence),
    )
