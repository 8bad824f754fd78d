"""Schema creation and Alembic migrations, on SQLite and on the PostgreSQL server.

An old database is made the way old selfref made it: migration 0001 is the schema as first
released (the outbox before leases and destinations), and a database written before
migrations existed has no `alembic_version` table.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from click.testing import CliRunner

from selfref import Tracker
from selfref.audit import AuditLog
from selfref.audit_query import AuditFilter
from selfref.cli import cli
from selfref.daemon import run_daemon
from selfref.errors import SchemaOutdatedError
from selfref.schema import HEAD, metadata, run_alembic
from tests.loopback import WebhookReceiver, new_secret

PERSONA = "Grok called itself MechaHitler in a series of posts on X in July 2025."


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, selfref_home: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{selfref_home / 'selfref.sqlite3'}"
    else:
        yield request.getfixturevalue("postgres_url")


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    server = WebhookReceiver(secret=new_secret())
    server.start()
    yield server
    server.stop()


def old_database(url: str) -> None:
    """The tables old selfref wrote, with one event, document and pending alert in them."""
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        run_alembic(conn, "upgrade", "0001")
        conn.execute(sa.text("DROP TABLE alembic_version"))
        conn.execute(
            sa.text(
                "INSERT INTO retrieval_events (id, created_at, agent, document_count, max_level)"
                " VALUES ('evt_old', '2026-11-01 10:00:00+00:00', 'grok', 1, 3)"
            )
        )
        conn.execute(
            sa.text(
                "INSERT INTO retrieved_documents (event_id, position, created_at, agent,"
                " content_hash, snippet, level, score, categories, evidence) VALUES ('evt_old',"
                " 0, '2026-11-01 10:00:00+00:00', 'grok', 'h', 'old snippet', 3, 0.9,"
                " 'persona', '[]')"
            )
        )
    engine.dispose()


def schema_diffs(url: str) -> list[Any]:
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), metadata())
    engine.dispose()
    return [d for d in diffs if not (d[0] == "remove_table" and d[1].name == "alembic_version")]


def test_migrations_from_empty_give_the_schema_the_models_create(database_url: str) -> None:
    engine = sa.create_engine(database_url)
    with engine.begin() as conn:
        run_alembic(conn, "upgrade", HEAD)
    engine.dispose()
    assert schema_diffs(database_url) == []


def test_a_fresh_database_is_created_at_head(database_url: str) -> None:
    log = AuditLog(database_url)
    log.ensure_schema()
    state = log.schema_state()
    assert (state.revision, state.current) == (HEAD, True)
    assert schema_diffs(database_url) == []
    log.dispose()


def test_old_database_is_refused_until_upgraded_then_checks_audits_and_delivers(
    database_url: str,
    write_config: Callable[[str], Path],
    make_tracker: Callable[..., Tracker],
    receiver: WebhookReceiver,
) -> None:
    old_database(database_url)
    write_config(
        f'[storage]\ndatabase_url = "{database_url}"\n'
        "[crawl]\nallow_private_addresses = true\n"
        f'[[alerts.webhooks]]\nname = "ops"\nurl = "{receiver.url}"\n'
        f'secret = "{receiver.secret}"\nmin_level = "critical"\n'
    )
    tracker = make_tracker()
    with pytest.raises(SchemaOutdatedError, match=r"before migrations.*`selfref db upgrade`"):
        tracker.check("grok", [PERSONA])
    with pytest.raises(SchemaOutdatedError, match="selfref db upgrade"):
        run_daemon(tracker)  # refused before it listens
    runner = CliRunner()
    current = runner.invoke(cli, ["db", "current"])
    assert current.exit_code == 0 and "before migrations" in current.output
    upgraded = runner.invoke(cli, ["db", "upgrade"])
    assert upgraded.exit_code == 0, upgraded.output
    assert f"now at revision {HEAD} (head)" in upgraded.output
    assert schema_diffs(database_url) == []

    tracker = make_tracker()
    result = tracker.check("grok", [PERSONA], query="what is your surname?")
    assert result.max_level.label == "critical"
    rows = tracker.audit(agent="grok")
    assert [r.event_id for r in rows] == [result.event_id, "evt_old"]
    assert rows[1].snippet == "old snippet" and rows[1].snippet_start == 0
    report = tracker.deliver_alerts()
    assert report.sent == 1
    [post] = receiver.received
    assert post.verified and json.loads(post.body)["data"]["event_id"] == result.event_id
    again = runner.invoke(cli, ["db", "upgrade"])
    assert again.exit_code == 0 and "nothing to do" in again.output


def test_auto_migrate_upgrades_at_first_use(
    database_url: str, write_config: Callable[[str], Path], make_tracker: Callable[..., Tracker]
) -> None:
    old_database(database_url)
    write_config(f'[storage]\ndatabase_url = "{database_url}"\nauto_migrate = true\n')
    tracker = make_tracker()
    assert tracker.check("grok", [PERSONA]).max_level.label == "critical"
    assert tracker.audit_log.schema_state().current


def test_a_database_from_a_newer_selfref_is_refused(database_url: str) -> None:
    log = AuditLog(database_url)
    log.ensure_schema()
    with log.engine.begin() as conn:
        conn.execute(sa.text("UPDATE alembic_version SET version_num = '9999'"))
    fresh = AuditLog(database_url)
    with pytest.raises(SchemaOutdatedError, match="unknown to this selfref"):
        fresh.ensure_schema()
    log.dispose()
    fresh.dispose()


def test_eight_threads_on_a_fresh_database_all_succeed(database_url: str) -> None:
    """First use from many threads at once: one creates the schema, the others wait."""
    start = threading.Barrier(8)
    errors: list[BaseException] = []
    logs = [AuditLog(database_url) for _ in range(8)]

    def first_use(log: AuditLog) -> None:
        start.wait()
        try:
            log.ensure_schema()
            log.rows(AuditFilter(agent="grok"))
        except BaseException as exc:  # collected, asserted below
            errors.append(exc)

    threads = [threading.Thread(target=first_use, args=(log,)) for log in logs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert logs[0].schema_state().current
    for log in logs:
        log.dispose()


def test_db_commands_report_an_unreachable_database_in_one_line(
    write_config: Callable[[str], Path],
) -> None:
    from tests.loopback import free_port

    write_config(
        f'[storage]\ndatabase_url = "postgresql+psycopg://nobody@127.0.0.1:{free_port()}/x"\n'
        'busy_timeout = "1s"\n'
    )
    result = CliRunner().invoke(cli, ["db", "current"])
    assert result.exit_code == 2
    assert result.output.count("\n") == 1 and "selfref: error:" in result.output
