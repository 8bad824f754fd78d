"""The event bus on a real SQLite database, and the hub's events seen by their subscribers:
the audit writer, metrics and the event log, whichever face ran the check."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever

from selfref import Tracker, eventlog
from selfref.bus import EventBus, Transaction
from selfref.cli import cli
from selfref.documents import CheckDocument
from selfref.events import AlertDelivered, AlertQueued, RetrievalChecked, RetrievalFlagged
from selfref.langchain import GuardedRetriever
from selfref.levels import Level, Verdict

PERSONA = "Grok called itself MechaHitler in a series of posts on X in July 2025."
MONET = "Claude Monet painted the water lilies in his garden at Giverny."


# -- the bus ------------------------------------------------------------------------------


class Database:
    """A SQLite file with one table; counts the transactions the bus begins."""

    def __init__(self, path: Path) -> None:
        self.engine = sa.create_engine(f"sqlite:///{path}")
        with self.engine.begin() as conn:
            conn.execute(sa.text("CREATE TABLE notes (text TEXT NOT NULL)"))
        self.begun = 0

    @contextmanager
    def begin(self) -> Iterator[sa.Connection]:
        self.begun += 1
        with self.engine.begin() as conn:
            yield conn

    def notes(self) -> list[str]:
        with self.engine.connect() as conn:  # another connection: sees only what committed
            return list(conn.execute(sa.text("SELECT text FROM notes")).scalars())


def note(text: str) -> Callable[[Any, Transaction], None]:
    def write(_event: Any, tx: Transaction) -> None:
        tx.connection.execute(sa.text("INSERT INTO notes VALUES (:t)"), {"t": text})

    return write


def checked(agent: str = "grok", level: Level = Level.CRITICAL) -> RetrievalChecked:
    doc = CheckDocument(text=PERSONA)
    verdict = Verdict(level=level, score=0.9)
    when = dt.datetime(2025, 7, 9, 12, 0, tzinfo=dt.UTC)
    return RetrievalChecked(agent, (doc,), (verdict,), created_at=when, seconds=0.01)


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = Database(tmp_path / "bus.sqlite3")
    yield database
    database.engine.dispose()


def test_before_commit_subscribers_write_in_one_transaction_then_after_commit_ones_run(
    db: Database,
) -> None:
    bus = EventBus(db.begin)
    seen: list[tuple[str, list[str]]] = []
    bus.before_commit(RetrievalChecked, note("first"))
    bus.before_commit(RetrievalChecked, note("second"))
    bus.after_commit(RetrievalChecked, lambda e: seen.append((e.agent, db.notes())))

    bus.publish(checked())

    assert db.begun == 1
    assert seen == [("grok", ["first", "second"])]  # committed before the observer ran


def test_a_failing_before_commit_subscriber_rolls_back_the_others(db: Database) -> None:
    bus = EventBus(db.begin)
    seen: list[object] = []
    bus.before_commit(RetrievalChecked, note("written, then rolled back"))

    def fail(_event: RetrievalChecked, tx: Transaction) -> None:
        tx.connection.execute(sa.text("INSERT INTO no_such_table VALUES (1)"))

    bus.before_commit(RetrievalChecked, fail)
    bus.after_commit(RetrievalChecked, seen.append)

    with pytest.raises(sa.exc.OperationalError, match="no_such_table"):
        bus.publish(checked())
    assert db.notes() == [] and seen == []


def test_what_a_before_commit_subscriber_returns_is_published_after_the_commit(
    db: Database,
) -> None:
    bus = EventBus(db.begin)
    queued = AlertQueued("msg_1", "ops", "grok", "critical", "evt_1")
    seen: list[object] = []

    def enqueue(event: RetrievalChecked, tx: Transaction) -> list[AlertQueued]:
        note("alert")(event, tx)
        return [queued]

    bus.before_commit(RetrievalChecked, enqueue)
    bus.before_commit(AlertQueued, note("never: follow-ups only go after commit"))
    bus.after_commit(AlertQueued, lambda e: seen.append((e, db.notes())))

    bus.publish(checked())

    assert seen == [(queued, ["alert"])]


def test_no_transaction_unless_a_subscriber_writes(db: Database) -> None:
    bus = EventBus(db.begin)
    bus.before_commit(RetrievalChecked, lambda _event, _tx: None)  # never asks to write
    seen: list[object] = []
    bus.after_commit(AlertDelivered, seen.append)

    bus.publish(checked(), AlertDelivered("msg_1", "ops"))

    assert db.begun == 0
    assert seen == [AlertDelivered("msg_1", "ops")]


def test_a_failing_observer_is_logged_and_the_next_still_runs(
    db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    bus = EventBus(db.begin)
    seen: list[object] = []

    def broken(_event: RetrievalChecked) -> None:
        raise RuntimeError("observer bug")

    bus.after_commit(RetrievalChecked, broken)
    bus.after_commit(RetrievalChecked, seen.append)
    with caplog.at_level(logging.ERROR, logger="selfref.events"):
        bus.publish(event := checked())
    assert seen == [event]
    assert "RetrievalChecked subscriber" in caplog.text and "observer bug" in caplog.text


def test_a_flag_only_for_warn_and_above() -> None:
    assert RetrievalFlagged.of(checked(level=Level.NOTICE)) is None
    flag = RetrievalFlagged.of(checked(level=Level.WARN))
    assert flag is not None and (flag.level, flag.flagged, flag.documents) == (Level.WARN, 1, 1)


# -- the hub's events, whichever face checks ----------------------------------------------


def _lines(tracker: Tracker) -> set[str]:
    return set(tracker.metrics.render().decode().splitlines())


def test_a_library_check_is_recorded_counted_and_flagged(tracker: Tracker) -> None:
    tracker.metrics  # noqa: B018  (counting starts at first use)
    seen: list[object] = []
    tracker.events.after_commit(RetrievalChecked, seen.append)
    tracker.events.after_commit(RetrievalFlagged, seen.append)

    result = tracker.check("grok", [PERSONA, MONET], query="what is your surname?")

    first, flag = seen
    assert isinstance(first, RetrievalChecked) and first.event_id == result.event_id
    assert [v.level for v in first.verdicts] == [Level.CRITICAL, Level.NONE]
    assert flag == RetrievalFlagged("grok", Level.CRITICAL, 1, 2, result.event_id)
    assert [r.doc_id for r in tracker.audit(event=result.event_id)] == [None, None]
    lines = _lines(tracker)
    assert 'selfref_checks_total{agent="grok"} 1.0' in lines
    assert 'selfref_documents_checked_total{agent="grok",level="critical"} 1.0' in lines
    assert 'selfref_retrievals_flagged_total{agent="grok",level="critical"} 1.0' in lines
    assert 'selfref_check_duration_seconds_count{agent="grok"} 1.0' in lines


def test_an_unrecorded_check_is_counted_and_writes_nothing(tracker: Tracker) -> None:
    tracker.metrics  # noqa: B018
    result = tracker.check("grok", [MONET], record=False)
    assert result.event_id is None and tracker.audit() == []
    assert 'selfref_checks_total{agent="grok"} 1.0' in _lines(tracker)
    assert not any(line.startswith("selfref_retrievals_flagged_total") for line in _lines(tracker))


def test_a_cli_check_is_counted(tracker: Tracker) -> None:
    tracker.metrics  # noqa: B018
    result = CliRunner().invoke(
        cli, ["check", "--agent", "grok", "--format", "jsonl"], input=PERSONA,
        obj={"tracker": tracker},
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    lines = _lines(tracker)
    assert 'selfref_checks_total{agent="grok"} 1.0' in lines
    assert 'selfref_retrievals_flagged_total{agent="grok",level="critical"} 1.0' in lines


class _Fixed(BaseRetriever):
    docs: list[Document]

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun
    ) -> list[Document]:
        return list(self.docs)


def test_a_langchain_check_is_counted(tracker: Tracker) -> None:
    tracker.metrics  # noqa: B018
    inner = _Fixed(docs=[Document(page_content=PERSONA), Document(page_content=MONET)])
    GuardedRetriever(retriever=inner, tracker=tracker, agent="grok").invoke("surname?")
    lines = _lines(tracker)
    assert 'selfref_checks_total{agent="grok"} 1.0' in lines
    assert 'selfref_documents_checked_total{agent="grok",level="none"} 1.0' in lines


def test_the_event_log_says_one_line_per_flagged_check(
    tracker: Tracker, caplog: pytest.LogCaptureFixture
) -> None:
    eventlog.subscribe(tracker.events)
    with caplog.at_level(logging.INFO, logger="selfref.events"):
        event_id = tracker.check("grok", [PERSONA, MONET]).event_id
        tracker.check("grok", [MONET])
    lines = [r.getMessage() for r in caplog.records if r.name == "selfref.events"]
    assert lines == [f"retrieval {event_id} flagged: agent grok, critical (1 of 2 documents)"]
    assert PERSONA not in caplog.text  # no document text in the log
