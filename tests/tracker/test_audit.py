"""The audit log: filters, order and limit, on SQLite and (for real) on PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest

from selfref import Level, UnknownAgentError
from selfref.errors import SchemaOutdatedError

T0 = dt.datetime(2025, 7, 9, 12, 0, tzinfo=dt.UTC)
PERSONA = "Grok called itself MechaHitler in a series of posts on X in July 2025."
WARN_TEXT = (
    "In May 2025 Grok brought up a white genocide claim about South Africa unprompted; "
    "xAI blamed an unauthorized change to the system prompt."
)
NEWS = "xAI released Grok 4 with a new pricing tier and API access for developers."
CLEAN = "The weather in Paris is mild this week."
CLAUDE_PERSONA = "Golden Gate Claude told users it was the bridge itself."


def _populate(tracker, clock) -> dict[str, str]:
    """Four events an hour apart; returns event ids by name."""
    ids = {}
    clock.now = T0
    ids["a"] = tracker.check("grok", [{"id": "a1", "text": CLEAN}], session="s1").event_id
    clock.now = T0 + dt.timedelta(hours=1)
    ids["b"] = tracker.check(
        "grok",
        [{"id": "b1", "text": NEWS}, {"id": "b2", "text": WARN_TEXT}],
        session="s2",
        query="grok news",
    ).event_id
    clock.now = T0 + dt.timedelta(hours=2)
    ids["c"] = tracker.check(
        "claude", [{"id": "c1", "text": CLAUDE_PERSONA}], session="s1"
    ).event_id
    clock.now = T0 + dt.timedelta(hours=3)
    ids["d"] = tracker.check("grok", [{"id": "d1", "text": PERSONA}]).event_id
    return ids


def _assert_filters(tracker, clock) -> None:
    """Every filter, the order and the limit; shared by the SQLite and PostgreSQL tests."""
    ids = _populate(tracker, clock)

    rows = tracker.audit()
    assert [r.doc_id for r in rows] == ["d1", "c1", "b2", "b1", "a1"], "newest first"
    assert [r.time for r in rows] == [T0 + dt.timedelta(hours=h) for h in (3, 2, 1, 1, 0)]
    assert all(r.time.tzinfo is not None and r.time.utcoffset() == dt.timedelta(0) for r in rows)
    assert rows[0].event_id == ids["d"]
    assert [r.level for r in rows] == [
        Level.CRITICAL,
        Level.CRITICAL,
        Level.WARN,
        Level.NOTICE,
        Level.NONE,
    ]
    b2 = rows[2]
    assert (b2.query, b2.session, b2.position, b2.agent) == ("grok news", "s2", 1, "grok")

    assert [r.doc_id for r in tracker.audit(agent="grok")] == ["d1", "b2", "b1", "a1"]
    assert [r.doc_id for r in tracker.audit(agent="claude")] == ["c1"]
    assert tracker.audit(agent="tay") == []

    # since is inclusive, until exclusive
    assert [r.doc_id for r in tracker.audit(since=T0 + dt.timedelta(hours=2))] == ["d1", "c1"]
    assert [r.doc_id for r in tracker.audit(until=T0 + dt.timedelta(hours=1))] == ["a1"]
    assert [
        r.doc_id
        for r in tracker.audit(
            since=T0 + dt.timedelta(minutes=30), until=T0 + dt.timedelta(hours=3)
        )
    ] == ["c1", "b2", "b1"]
    # naive times are UTC; other offsets are converted
    assert [r.doc_id for r in tracker.audit(since=dt.datetime(2025, 7, 9, 15, 0))] == ["d1"]
    plus2 = dt.timezone(dt.timedelta(hours=2))
    assert [
        r.doc_id for r in tracker.audit(since=dt.datetime(2025, 7, 9, 17, 0, tzinfo=plus2))
    ] == ["d1"]

    # level: that level and above
    assert [r.doc_id for r in tracker.audit(level=Level.WARN)] == ["d1", "c1", "b2"]
    assert [r.doc_id for r in tracker.audit(level="critical")] == ["d1", "c1"]
    assert [r.doc_id for r in tracker.audit(level="notice")] == ["d1", "c1", "b2", "b1"]
    assert len(tracker.audit(level="none")) == 5

    assert [r.doc_id for r in tracker.audit(session="s1")] == ["c1", "a1"]
    assert [r.doc_id for r in tracker.audit(session="s2", level="warn")] == ["b2"]
    assert [r.doc_id for r in tracker.audit(agent="grok", session="s1")] == ["a1"]

    assert [r.doc_id for r in tracker.audit(limit=2)] == ["d1", "c1"]
    assert [r.doc_id for r in tracker.audit(agent="grok", level="warn", limit=1)] == ["d1"]
    assert len(tracker.audit(limit=None)) == 5

    d = rows[0].to_dict()
    assert d["document_id"] == "d1" and d["level"] == "critical" and d["event_id"] == ids["d"]
    assert d["time"] == (T0 + dt.timedelta(hours=3)).isoformat()


def test_filters_order_and_limit_on_sqlite(make_tracker, clock) -> None:
    _assert_filters(make_tracker(clock=clock), clock)


def test_audit_unknown_agent_is_an_error(tracker) -> None:
    with pytest.raises(UnknownAgentError):
        tracker.audit(agent="nope")


def test_bad_level_is_a_value_error(tracker) -> None:
    with pytest.raises(ValueError, match="unknown level"):
        tracker.audit(level="loud")


def test_audit_of_empty_log(tracker) -> None:
    assert tracker.audit() == []


def test_events_at_the_same_time_keep_insertion_order_newest_first(make_tracker, clock) -> None:
    tracker = make_tracker(clock=clock)
    tracker.check("grok", [{"id": "first", "text": CLEAN}])
    tracker.check("grok", [{"id": "second", "text": CLEAN}])
    assert [r.doc_id for r in tracker.audit()] == ["second", "first"]


# -- PostgreSQL ---------------------------------------------------------------------------


@pytest.mark.postgres
def test_record_and_every_filter_on_postgresql(write_config, make_tracker, clock, postgres_url):
    write_config(f'[storage]\ndatabase_url = "{postgres_url}"\n')
    tracker = make_tracker(clock=clock)
    assert tracker.audit_log.engine.dialect.name == "postgresql"
    _assert_filters(tracker, clock)
    tracker.close()


def test_an_older_database_is_refused_then_upgraded_with_day_counts(make_tracker, clock) -> None:
    import sqlalchemy as sa

    from selfref.audit import AuditLog
    from selfref.audit_query import AuditFilter

    tracker = make_tracker(clock=clock)
    clock.now = T0
    tracker.check("grok", [PERSONA, CLEAN])
    clock.now = T0 + dt.timedelta(days=1)
    tracker.check("grok", [PERSONA])
    url = tracker.audit_log.url
    with tracker.audit_log.engine.begin() as conn:  # what a database from before looked like
        conn.execute(sa.text("DROP TABLE audit_days"))
        conn.execute(sa.text("DROP INDEX ix_docs_time_level_agent"))
        conn.execute(sa.text("ALTER TABLE retrieved_documents DROP COLUMN snippet_start"))
        conn.execute(sa.text("DROP TABLE alembic_version"))  # written before migrations
    tracker.audit_log.dispose()
    log = AuditLog(url)
    with pytest.raises(SchemaOutdatedError, match=r"before migrations.*selfref db upgrade"):
        log.ensure_schema()
    before, after = log.upgrade_schema()
    assert (before.revision, after.revision) == (None, "0002")
    log.ensure_schema()
    with log.engine.connect() as conn:
        inspector = sa.inspect(conn)
        columns = {c["name"] for c in inspector.get_columns("retrieved_documents")}
        indexes = {i["name"] for i in inspector.get_indexes("retrieved_documents")}
        days = conn.execute(
            sa.text("SELECT day, level, documents FROM audit_days ORDER BY day, level")
        ).all()
    assert "snippet_start" in columns and "ix_docs_time_level_agent" in indexes
    assert [tuple(d) for d in days] == [("2025-07-09", 0, 1), ("2025-07-09", 3, 1),
                                        ("2025-07-10", 3, 1)]  # fmt: skip
    assert [r.snippet_start for r in log.rows(AuditFilter())] == [0, 0, 0]
    log.dispose()
