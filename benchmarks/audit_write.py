"""What one audit write costs (`write_retrieval`: an event and its four documents, one
transaction), per SQLite durability setting and with batching, on a file in a fresh
directory on the machine's disk.

- `DELETE + FULL`: SQLite's own defaults (rollback journal, fsync on every commit).
- `WAL + FULL`: write-ahead log, fsync of the log on every commit: survives power loss.
- `WAL + NORMAL`: selfref's setting: no fsync on commit, the log is synced at checkpoints.
- `WAL + OFF`: no fsync at all (a reference only: the database can be corrupted by a power
  loss, which the others never are).
- `WAL + NORMAL, N per transaction`: N events written together with the same Core
  inserts, as a background batch writer would (per event).
- `WAL + NORMAL, ORM unit of work`: the write as it was before (`session.add` of the
  objects, a flush, `add_all`): what moving to Core inserts saved.
- `WAL + NORMAL, check + write`: `Tracker.check` with `record=True` on the same four plain
  documents, against `record=False`, so the write's share of a check is seen.

Run: python benchmarks/audit_write.py [--events N] [--dir DIR]
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import sqlalchemy as sa
import this_checkout  # noqa: F401  (exits unless `selfref` is this checkout's)

from selfref.audit import (
    AuditLog,
    RetrievalEvent,
    RetrievedDocument,
    _values,
    new_event_id,
    write_retrieval,
)

DOCS = 4
SETTINGS = [
    ("DELETE + FULL", "DELETE", "FULL"),
    ("WAL + FULL", "WAL", "FULL"),
    ("WAL + NORMAL (selfref)", "WAL", "NORMAL"),
    ("WAL + OFF (reference)", "WAL", "OFF"),
]


def event_rows() -> tuple[RetrievalEvent, list[RetrievedDocument]]:
    """One retrieval event of DOCS documents, shaped as `Tracker.check` records it."""
    now = dt.datetime.now(dt.UTC)
    event_id = new_event_id()
    event = RetrievalEvent(
        id=event_id,
        created_at=now,
        agent="grok",
        query="when does the market open?",
        document_count=DOCS,
        max_level=0,
    )
    docs = [
        RetrievedDocument(
            event_id=event_id,
            position=i,
            created_at=now,
            agent="grok",
            doc_id=f"d{i}",
            url=f"https://example.org/{i}",
            content_hash=f"{i:064x}",
            snippet="The harbour market sells smoked fish and apples on Saturdays.",
            level=0,
            score=0.0,
            categories="",
            evidence="[]",
        )
        for i in range(DOCS)
    ]
    return event, docs


def audit_log(directory: Path, name: str, journal: str, synchronous: str) -> AuditLog:
    """An AuditLog on a fresh file whose connections use these pragmas."""
    log = AuditLog(f"sqlite:///{directory / name}.sqlite3")

    @sa.event.listens_for(log.engine, "connect")
    def _pragmas(dbapi_connection: Any, _record: Any) -> None:  # after AuditLog's own
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA journal_mode={journal}")
        cursor.execute(f"PRAGMA synchronous={synchronous}")
        cursor.close()

    log.ensure_schema()
    return log


Rows = list[tuple[RetrievalEvent, list[RetrievedDocument]]]


def record(log: AuditLog, rows: Rows) -> None:
    """`write_retrieval`, one transaction per event (what the audit writer does)."""
    for event, docs in rows:
        with log.transaction() as conn:
            write_retrieval(conn, event, docs)


def record_batch(log: AuditLog, rows: Rows) -> None:
    """Every event of `rows` in one transaction, with the Core inserts `record` uses."""
    with log.session() as session:
        conn = session.connection()
        conn.execute(sa.insert(RetrievalEvent), [_values(e) for e, _ in rows])
        conn.execute(sa.insert(RetrievedDocument), [_values(d) for _, ds in rows for d in ds])


def record_orm(log: AuditLog, rows: Rows) -> None:
    """The earlier write: the ORM unit of work, one transaction per event."""
    for event, docs in rows:
        with log.session() as session:
            session.add(event)
            session.flush()
            session.add_all(docs)


Writer = Callable[[AuditLog, Rows], None]


def per_event_ms(log: AuditLog, events: int, batch: int = 1, write: Writer = record) -> float:
    """Median milliseconds per event over `events` events written `batch` at a time."""
    times = []
    for _ in range(max(1, events // batch)):
        rows = [event_rows() for _ in range(batch)]
        start = time.perf_counter()
        write(log, rows)
        times.append((time.perf_counter() - start) * 1000 / batch)
    return statistics.median(times)


def check_ms(record: bool, events: int) -> float:
    """Median milliseconds of `Tracker.check` on DOCS plain documents (selfref settings)."""
    from selfref import Tracker

    tracker = Tracker.from_config()
    docs = [f"The harbour market sells smoked fish and apples (stall {i})." for i in range(DOCS)]
    times = []
    for n in range(events + 10):
        start = time.perf_counter()
        tracker.check("grok", docs, query="when does the market open?", record=record)
        if n >= 10:
            times.append((time.perf_counter() - start) * 1000)
    tracker.close()
    return statistics.median(times)


def row(label: str, ms: float, base: float) -> str:
    return f"  {label:<40} {ms:7.3f} ms/event   {ms / base:5.2f}x WAL + NORMAL"


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=300)
    parser.add_argument(
        "--dir", type=Path, help="Directory for the databases (default: a temp dir)"
    )
    args = parser.parse_args(argv)
    directory = Path(tempfile.mkdtemp(prefix="selfref-bench-audit-", dir=args.dir))

    results: dict[str, float] = {}
    for label, journal, synchronous in SETTINGS:
        log = audit_log(directory, journal + synchronous, journal, synchronous)
        per_event_ms(log, 20)  # warm up
        results[label] = per_event_ms(log, args.events)
        log.dispose()
    variants: dict[str, float] = {}
    for label, batch, write in [
        ("WAL + NORMAL, 10 per transaction", 10, record_batch),
        ("WAL + NORMAL, 50 per transaction", 50, record_batch),
        ("WAL + NORMAL, ORM unit of work", 1, record_orm),
    ]:
        log = audit_log(directory, label.split(", ")[1].replace(" ", "-"), "WAL", "NORMAL")
        per_event_ms(log, 2 * batch, batch, write)
        variants[label] = per_event_ms(log, args.events, batch, write)
        log.dispose()

    import os

    os.environ["SELFREF_HOME"] = str(directory / "home")
    os.environ.pop("SELFREF_CONFIG", None)
    checks: Callable[[bool], float] = lambda record: check_ms(record, args.events)  # noqa: E731
    unrecorded, recorded = checks(False), checks(True)

    base = results["WAL + NORMAL (selfref)"]
    print(f"audit write: 1 event + {DOCS} documents per event, {args.events} events, {directory}")
    for label, ms in results.items():
        print(row(label, ms, base))
    for label, ms in variants.items():
        print(row(label, ms, base))
    print(
        f"Tracker.check of {DOCS} plain documents: record=False {unrecorded:.3f} ms, "
        f"record=True {recorded:.3f} ms (the write: {recorded - unrecorded:.3f} ms)"
    )


if __name__ == "__main__":
    main()
