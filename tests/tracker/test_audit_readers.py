"""The two audit readers give the same rows for the same data: `AuditLog.rows`
(SQLAlchemy, on SQLite and on the PostgreSQL server) and `selfref.audit_sqlite.read_rows`
(the standard library's sqlite3, what `selfref audit` reads a SQLite home with), for every
filter, boundary, tie and limit; and the sqlite3 reader leaves every database it should
not read to AuditLog."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from selfref import Level, Tracker
from selfref.audit import AuditLog, RetrievalEvent, RetrievedDocument, write_retrieval
from selfref.audit_query import AuditFilter
from selfref.audit_sqlite import database_file, read_rows
from selfref.config import load_config
from selfref.errors import SchemaOutdatedError, StorageError

T0 = dt.datetime(2025, 7, 9, 12, 0, tzinfo=dt.UTC)
PLUS2 = dt.timezone(dt.timedelta(hours=2))
EVIDENCE = [{"kind": "persona", "term": "MechaHitler", "span": [19, 30], "persona": "MechaHitler"}]

# (event id, time, agent, session, query, [(level, score, categories, url, title)])
EVENTS = [
    ("evt_a", T0, "grok", "s1", None, [(0, 0.0, "", None, None)]),
    ("evt_b", T0 + dt.timedelta(hours=1), "grok", "s2", "grok news",
     [(1, 0.41, "product", "https://x.ai/news", "Grok 4"),
      (2, 0.6666666666666666, "incident,persona", "https://example.org/é", "Grok — “sur”")]),
    # the same instant as evt_b: the row id breaks the tie, newest first
    ("evt_c", T0 + dt.timedelta(hours=1), "claude", "s1", "claude bridge",
     [(3, 0.97, "persona", None, "Golden Gate Claude")]),
    ("evt_d", T0 + dt.timedelta(hours=3, microseconds=1), "grok", None, "ß 名前",
     [(3, 1.0, "persona,first-person-quote", "https://x.com/grok/status/1", None),
      (0, 0.05, "", "https://example.org/weather", "Weather")]),
    ("evt_e", dt.datetime(2024, 2, 29, 23, 59, 59, 999999, tzinfo=dt.UTC), "tay", "s1", "",
     [(2, 0.5, "incident", None, None)]),
]  # fmt: skip

FILTERS = [
    AuditFilter(),
    AuditFilter(agent="grok"),
    AuditFilter(agent="claude"),
    AuditFilter(agent="nobody"),
    AuditFilter(since=T0 + dt.timedelta(hours=1)),  # inclusive, on a stored time
    AuditFilter(until=T0 + dt.timedelta(hours=1)),  # exclusive, on a stored time
    AuditFilter(since=T0 + dt.timedelta(hours=3, microseconds=1)),
    AuditFilter(since=T0 + dt.timedelta(hours=3, microseconds=2)),
    AuditFilter(until=T0 + dt.timedelta(hours=3, microseconds=1)),
    AuditFilter(since=T0 + dt.timedelta(minutes=30), until=T0 + dt.timedelta(hours=3)),
    AuditFilter(since=dt.datetime(2025, 7, 9, 13, 0)),  # naive: UTC
    AuditFilter(since=dt.datetime(2025, 7, 9, 15, 0, tzinfo=PLUS2)),  # 13:00 UTC
    AuditFilter(until=dt.datetime(2025, 1, 1, tzinfo=dt.UTC)),
    AuditFilter(level=Level.NONE),
    AuditFilter(level=Level.NOTICE),
    AuditFilter(level=Level.WARN),
    AuditFilter(level=Level.CRITICAL),
    AuditFilter(session="s1"),
    AuditFilter(session="s2", level=Level.WARN),
    AuditFilter(event="evt_d"),
    AuditFilter(event="evt_d", level=Level.CRITICAL),
    AuditFilter(event="evt_missing"),
    AuditFilter(agent="grok", since=T0, until=T0 + dt.timedelta(days=1), level=Level.NOTICE,
                session="s2", event="evt_b"),
]  # fmt: skip
LIMITS = [None, 1, 2, 3, 1000]


def record_events(log: AuditLog) -> None:
    for event_id, time, agent, session, query, docs in EVENTS:
        event = RetrievalEvent(
            id=event_id,
            created_at=time,
            agent=agent,
            session=session,
            query=query,
            document_count=len(docs),
            max_level=max(d[0] for d in docs),
        )
        rows = [
            RetrievedDocument(
                event_id=event_id,
                position=i,
                created_at=time,
                agent=agent,
                session=session,
                doc_id=f"{event_id}-{i}",
                url=url,
                title=title,
                content_hash=f"{i:064x}",
                snippet=f"snippet {i} of {event_id}: Grok called itself MechaHitler",
                snippet_start=7 * i,
                level=level,
                score=score,
                categories=categories,
                evidence=json.dumps(EVIDENCE if level else []),
            )
            for i, (level, score, categories, url, title) in enumerate(docs)
        ]
        with log.transaction() as conn:
            write_retrieval(conn, event, rows)


@pytest.fixture
def sqlite_url(selfref_home: Path) -> Iterator[str]:
    url = f"sqlite:///{selfref_home / 'audit.sqlite3'}"
    log = AuditLog(url)
    record_events(log)
    log.dispose()
    yield url


def test_both_readers_give_the_same_rows_on_sqlite(sqlite_url: str) -> None:
    log = AuditLog(sqlite_url)
    for where in FILTERS:
        for limit in LIMITS:
            fast = read_rows(sqlite_url, where, limit=limit, busy_timeout=5)
            assert fast is not None, "a database at head is read by sqlite3"
            assert fast == log.rows(where, limit=limit), (where, limit)
    everything = read_rows(sqlite_url, AuditFilter(), limit=None, busy_timeout=5)
    assert everything is not None
    assert [r.doc_id for r in everything] == [
        "evt_d-1", "evt_d-0", "evt_c-0", "evt_b-1", "evt_b-0", "evt_a-0", "evt_e-0",
    ]  # fmt: skip
    assert len({r.row_id for r in everything}) == len(everything)
    assert all(r.time.utcoffset() == dt.timedelta(0) for r in everything)
    assert everything[0].time == T0 + dt.timedelta(hours=3, microseconds=1)
    assert everything[1].evidence == EVIDENCE and everything[1].snippet_start == 0
    assert everything[0].snippet_start == 7 and everything[0].categories == []
    log.dispose()


@pytest.mark.postgres
def test_postgresql_gives_the_rows_sqlite_gives(sqlite_url: str, postgres_url: str) -> None:
    sqlite, postgres = AuditLog(sqlite_url), AuditLog(postgres_url)
    record_events(postgres)
    for where in FILTERS:
        for limit in LIMITS:
            expected = read_rows(sqlite_url, where, limit=limit, busy_timeout=5)
            assert expected == sqlite.rows(where, limit=limit)
            assert postgres.rows(where, limit=limit) == expected, (where, limit)
    sqlite.dispose()
    postgres.dispose()


def test_tracker_audit_reads_a_sqlite_home_with_sqlite3(write_config, sqlite_url) -> None:
    write_config(f'[storage]\ndatabase_url = "{sqlite_url}"\n')
    tracker = Tracker(load_config())
    rows = tracker.audit(agent="grok", level="notice", limit=2)
    assert [r.doc_id for r in rows] == ["evt_d-0", "evt_b-1"]
    assert tracker._audit_log is None, "nothing opened the database through SQLAlchemy"
    tracker.close()


def test_plain_sqlite_files_only() -> None:
    assert database_file("sqlite:////var/lib/selfref/selfref.sqlite3") == (
        "/var/lib/selfref/selfref.sqlite3"
    )
    assert database_file("sqlite:///relative.db") == "relative.db"
    assert database_file("sqlite:////tmp/with space/a.db") == "/tmp/with space/a.db"
    for url in (
        "sqlite://",
        "sqlite:///:memory:",
        "sqlite:///x.db?timeout=3",
        "sqlite+pysqlite:///x.db",
        "sqlite:///~/x.db",
        "sqlite:///x%20y.db",
        "postgresql+psycopg://postgres@127.0.0.1:5432/test",
    ):
        assert database_file(url) is None, url
        assert read_rows(url, AuditFilter(), limit=None, busy_timeout=1) is None


def test_a_missing_database_is_left_to_audit_log_which_creates_it(selfref_home: Path) -> None:
    path = selfref_home / "new.sqlite3"
    assert read_rows(f"sqlite:///{path}", AuditFilter(), limit=None, busy_timeout=1) is None
    assert not path.exists()
    tracker = Tracker(load_config())
    assert tracker.audit() == []
    assert (selfref_home / "selfref.sqlite3").exists(), "the first audit creates the database"
    tracker.close()


def test_an_empty_file_is_left_to_audit_log(selfref_home: Path) -> None:
    path = selfref_home / "empty.sqlite3"
    path.touch()
    assert read_rows(f"sqlite:///{path}", AuditFilter(), limit=None, busy_timeout=1) is None


def test_a_database_not_at_head_is_left_to_audit_log(write_config, sqlite_url) -> None:
    path = database_file(sqlite_url)
    assert path is not None
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '0001'")
    conn.close()
    assert read_rows(sqlite_url, AuditFilter(), limit=None, busy_timeout=1) is None
    write_config(f'[storage]\ndatabase_url = "{sqlite_url}"\n')
    tracker = Tracker(load_config())
    with pytest.raises(SchemaOutdatedError, match="selfref db upgrade"):
        tracker.audit()
    tracker.close()


def test_a_failing_read_is_the_storage_error_audit_log_gives(sqlite_url: str) -> None:
    path = database_file(sqlite_url)
    assert path is not None
    with sqlite3.connect(path) as conn:  # at head, but its documents table is gone
        conn.execute("DROP TABLE retrieved_documents")
    conn.close()
    with pytest.raises(StorageError) as fast:
        read_rows(sqlite_url, AuditFilter(agent="grok"), limit=10, busy_timeout=1)
    log = AuditLog(sqlite_url)
    with pytest.raises(StorageError) as slow:
        log.rows(AuditFilter(agent="grok"), limit=10)
    log.dispose()
    assert str(fast.value) == str(slow.value)
    assert "no such table: retrieved_documents" in str(fast.value)
