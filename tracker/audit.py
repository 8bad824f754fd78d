"""The audit log: every retrieval event and, per retrieved document, its verdict.

SQLModel over SQLite (WAL) by default and PostgreSQL at scale, with the same code.
Rows for retrieved documents repeat the event's time, agent and session so that the
common audit queries ("grok, last week, warn and above") are answered from one
index without a join. What a query reads and keeps is defined in `selfref.audit_query`,
which `selfref.audit_sqlite` reads too.
"""

from __future__ import annotations

import datetime as dt
import operator
import secrets
import sqlite3
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Field, Session, SQLModel

from selfref.audit_query import (
    DOCUMENT_COLUMNS,
    DOCUMENTS,
    EVENTS,
    NEWEST_FIRST,
    AuditFilter,
    AuditRow,
    Condition,
    DocumentCursor,
    audit_row,
    to_db_time,
)
from selfref.errors import ConfigError, StorageError, describe_storage_failure

if TYPE_CHECKING:
    from selfref.schema import SchemaState


class RetrievalEvent(SQLModel, table=True):
    """One retrieval by one agent."""

    __tablename__ = EVENTS
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

    __tablename__ = DOCUMENTS
    # Each index also carries the columns the dashboard counts by (level, agent), so its
    # totals and per-day counts are read from the index alone.
    __table_args__ = (
        sa.Index("ix_docs_time_level_agent", "created_at", "level", "agent"),
        sa.Index("ix_docs_agent_time_level", "agent", "created_at", "level"),
        sa.Index("ix_docs_level_time_agent", "level", "created_at", "agent"),
        sa.Index("ix_docs_session_time", "session", "created_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    event_id: str = Field(foreign_key="retrieval_events.id", index=True, max_length=40)
    position: int
    created_at: dt.datetime = Field(sa_type=sa.DateTime(timezone=True))
    agent: str = Field(max_length=64)
    session: str | None = Field(default=None, max_length=200)
    doc_id: str | None = Field(default=None, max_length=500)
    url: str | None = None
    title: str | None = None
    content_hash: str = Field(max_length=64, index=True)
    snippet: str = ""
    snippet_start: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    """Where `snippet` starts in the document's text, so evidence spans can be placed in it."""
    level: int = 0
    score: float = 0.0
    categories: str = ""
    evidence: str = "[]"


class AuditDay(SQLModel, table=True):
    """Documents recorded per UTC day, agent and level: counted as they are recorded, so
    counts over whole days never scan the documents."""

    __tablename__ = "audit_days"

    day: str = Field(primary_key=True, max_length=10)  # YYYY-MM-DD, UTC
    agent: str = Field(primary_key=True, max_length=64)
    level: int = Field(primary_key=True)
    documents: int = 0


_DAYS = AuditDay.__table__  # type: ignore[attr-defined]
_EVENTS = RetrievalEvent.__table__  # type: ignore[attr-defined]
_DOCUMENTS = RetrievedDocument.__table__  # type: ignore[attr-defined]
_COMPARE = {"=": operator.eq, ">=": operator.ge, "<": operator.lt}


def clauses(model: type[SQLModel], conditions: Sequence[Condition]) -> list[Any]:
    """`selfref.audit_query` conditions as SQLAlchemy expressions on `model`'s columns."""
    columns = model.__table__.c  # type: ignore[attr-defined]
    return [_COMPARE[op](columns[name], value) for name, op, value in conditions]


def utc_day(column: Any, dialect: str) -> Any:
    """The UTC calendar day of a stored timestamp as `YYYY-MM-DD`, in the backend's SQL."""
    if dialect == "postgresql":
        return sa.func.to_char(sa.func.timezone("UTC", column), "YYYY-MM-DD")
    return sa.func.substr(column, 1, 10)  # SQLite keeps UTC times as ISO text


def count_days(conn: sa.Connection, counts: dict[tuple[str, str, int], int]) -> None:
    """Add `{(day, agent, level): documents}` to `audit_days` (insert or increment)."""
    if not counts:
        return
    from sqlalchemy.dialects import postgresql, sqlite

    dialect: Any = postgresql if conn.dialect.name == "postgresql" else sqlite
    stmt = dialect.insert(_DAYS).values(
        [{"day": d, "agent": a, "level": lv, "documents": n} for (d, a, lv), n in counts.items()]
    )
    stmt = stmt.on_conflict_do_update(
        index_elements=["day", "agent", "level"],
        set_={"documents": _DAYS.c.documents + stmt.excluded.documents},
    )
    conn.execute(stmt)


def recount_days(conn: sa.Connection) -> None:
    """Rebuild `audit_days` from the documents (for a table created after them)."""
    doc = _DOCUMENTS
    day = utc_day(doc.c.created_at, conn.dialect.name)
    conn.execute(sa.delete(_DAYS))
    conn.execute(
        sa.insert(_DAYS).from_select(
            ["day", "agent", "level", "documents"],
            sa.select(day, doc.c.agent, doc.c.level, sa.func.count()).group_by(
                day, doc.c.agent, doc.c.level
            ),
        )
    )


def older_than(time_col: Any, id_col: Any, time: dt.datetime, key: Any) -> list[Any]:
    """Keyset condition for (time, id) descending: rows strictly after (time, key)."""
    at = to_db_time(time)
    # The first condition alone is a range over the (.., created_at) indexes.
    return [time_col <= at, sa.or_(time_col < at, id_col < key)]


def new_event_id(now: float | None = None) -> str:
    """A time-ordered id: `evt_` + 12 hex digits of milliseconds + 12 random hex digits."""
    millis = int((time.time() if now is None else now) * 1000)
    return f"evt_{millis:012x}{secrets.token_hex(6)}"


class AuditLog:
    """Reads and writes the audit tables; every failure is a StorageError."""

    def __init__(self, url: str, *, busy_timeout: float = 5.0, auto_migrate: bool = False) -> None:
        self.url = url
        self.auto_migrate = auto_migrate
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
            hint = "use sqlite or postgresql+psycopg"
            if parsed.drivername == "postgresql+psycopg":  # the optional driver
                hint = "install the PostgreSQL driver: pip install 'selfref-tracker[postgres]'"
            raise ConfigError(
                f"storage.database_url: no driver for {parsed.drivername!r} ({exc}); {hint}"
            ) from None
        except OSError as exc:
            raise StorageError(
                f"cannot create the directory for the audit database {self.display_url}: {exc}"
            ) from None
        self._ready = False

    def ensure_schema(self) -> None:
        """Create the tables on first use, or refuse a database whose schema is behind
        (SchemaOutdatedError: `selfref db upgrade`); see `selfref.schema`."""
        if self._ready:
            return
        from selfref import schema

        with self._errors("create the audit tables in"):
            schema.ensure(self.engine, self.url, auto_migrate=self.auto_migrate)
        self._ready = True

    def schema_state(self) -> SchemaState:
        """Where the database's schema stands (`selfref db current`)."""
        from selfref import schema

        with self._errors("read the schema of"):
            return schema.state(self.engine)

    def upgrade_schema(self) -> tuple[SchemaState, SchemaState]:
        """Run the migrations up to the newest (`selfref db upgrade`): (before, after)."""
        from selfref import schema

        with self._errors("upgrade"):
            result = schema.upgrade(self.engine, self.url)
        self._ready = True
        return result

    def ping(self) -> None:
        """Raise StorageError unless the database answers and its schema is current."""
        self.ensure_schema()
        with self._errors("reach"), self.engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))

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

    @contextmanager
    def transaction(self) -> Iterator[sa.Connection]:
        """A connection whose transaction commits on success and rolls back on error."""
        self.ensure_schema()
        with self._errors("use"), self.engine.begin() as conn:
            yield conn

    def rows(
        self, where: AuditFilter, *, after: DocumentCursor | None = None, limit: int | None = 1000
    ) -> list[AuditRow]:
        """Documents matching `where`, newest first, from just after `after` (keyset)."""
        doc, ev = _DOCUMENTS, _EVENTS
        stmt = (
            sa.select(*(doc.c[name] for name in DOCUMENT_COLUMNS), ev.c.query)
            .join(ev, ev.c.id == doc.c.event_id)
            .where(*clauses(RetrievedDocument, where.on_documents()))
        )
        if after is not None:
            stmt = stmt.where(*older_than(doc.c.created_at, doc.c.id, after.time, after.id))
        stmt = stmt.order_by(*(doc.c[name].desc() for name in NEWEST_FIRST))
        if limit:
            stmt = stmt.limit(limit)
        with self.session() as s:
            return [audit_row(row._mapping) for row in s.connection().execute(stmt)]

    def iter_rows(self, where: AuditFilter, *, batch: int = 1000) -> Iterator[AuditRow]:
        """Every document matching `where`, newest first, read in keyset batches."""
        after: DocumentCursor | None = None
        while True:
            rows = self.rows(where, after=after, limit=batch)
            yield from rows
            if len(rows) < batch:
                return
            after = DocumentCursor(rows[-1].time, rows[-1].row_id)

    def dispose(self) -> None:
        self.engine.dispose()

    @contextmanager
    def _errors(self, action: str) -> Iterator[None]:
        try:
            yield
        except SQLAlchemyError as exc:
            raise StorageError(_explain(exc, action, self.display_url)) from exc


def write_retrieval(
    conn: sa.Connection, event: RetrievalEvent, documents: Sequence[RetrievedDocument]
) -> None:
    """Write an event, its documents and its counts per day on `conn`, in its transaction.

    Core inserts, not the unit of work: the same rows at about a third of the cost
    (benchmarks/audit_write.py)."""
    docs = list(documents)
    day = to_db_time(event.created_at).date().isoformat()
    conn.execute(sa.insert(RetrievalEvent), _values(event))
    if docs:
        conn.execute(sa.insert(RetrievedDocument), [_values(d) for d in docs])
    count_days(conn, dict(Counter((day, d.agent, d.level) for d in docs)))


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
            cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout * 1000)}")
            _use_wal(cursor, busy_timeout)
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

        return engine
    connect_args: dict[str, Any] = {}
    if parsed.get_backend_name() == "postgresql":
        connect_args["connect_timeout"] = max(1, int(busy_timeout))
    return sa.create_engine(url, pool_pre_ping=True, connect_args=connect_args)


def _use_wal(cursor: Any, busy_timeout: float) -> None:
    """Put the database in WAL mode. The mode is kept in the file, so only a fresh database
    switches; SQLite answers a switch that races another connection's with "database is
    locked" at once, without waiting on busy_timeout, so the switch is retried until then."""
    deadline = time.monotonic() + busy_timeout
    while True:
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() >= deadline:
                raise
            time.sleep(0.01)


def _explain(exc: SQLAlchemyError, action: str, where: str) -> str:
    return describe_storage_failure(str(getattr(exc, "orig", None) or exc), action, where)


def _values(row: SQLModel) -> dict[str, Any]:
    """A table row's column values for an insert; an unset generated key is left out."""
    table = sa.inspect(type(row)).local_table
    values = {c.name: getattr(row, c.name) for c in table.columns}
    return {k: v for k, v in values.items() if v is not None or not table.columns[k].primary_key}
