"""Dashboard pages on a large audit log: 100,000 events, 1,000,000 documents.

Seeds the log (bulk inserts: executemany on SQLite, COPY on PostgreSQL; indexes built
afterwards from the models' own index definitions, day counts by `recount_days`), plus
alerts and crawl state, then prints each page's median server time (its `Server-Timing`
header, over REPEAT requests through the ASGI app) beside a baseline `count(*)` of the
documents table in the same process. Target: every page <= 300 ms.

Run: python benchmarks/dashboard.py [--events N] [--postgres URL | --no-postgres]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import secrets
import statistics
import tempfile
import time
from collections.abc import Iterator
from typing import Any

import this_checkout  # noqa: F401  (exits unless `selfref` is this checkout's)
from timing import median_ms

AGENTS = ["grok", "claude", "chatgpt", "bing-copilot", "gemini", "tay"]
PERSONAS = {"grok": "MechaHitler", "bing-copilot": "Sydney", "chatgpt": "DAN", "claude": "Claudius"}
HOSTS = [f"news{i}.example.org" for i in range(40)]
DAYS = 60
PER_EVENT = 10
REPEAT = 7
BATCH = 20_000  # events per insert batch
DOC_COLUMNS = (
    "event_id", "position", "created_at", "agent", "session", "doc_id", "url", "title",
    "content_hash", "snippet", "snippet_start", "level", "score", "categories", "evidence",
)  # fmt: skip
EVENT_COLUMNS = ("id", "created_at", "agent", "session", "query", "document_count", "max_level")
SNIPPET = (
    "A long read about the chatbot and the week its replies went wrong; the vendor said a "
    "prompt change was to blame and rolled it back within a day, after screenshots spread. "
) * 2


def evidence(agent: str, level: int) -> str:
    if level < 2:
        return json.dumps([{"kind": "alias", "detail": agent, "span": [4, 11], "term": agent}])
    persona = PERSONAS.get(agent)
    items: list[dict[str, Any]] = [
        {"kind": "alias", "detail": agent, "span": [4, 11], "term": agent},
        {"kind": "past-behaviour", "detail": "replies went wrong", "span": [40, 58],
         "incident": f"{agent}-incident-{level}"},
    ]  # fmt: skip
    if persona and level == 3:
        items.append({"kind": "persona", "detail": persona, "span": [60, 70], "persona": persona})
    items.append({"kind": "rule", "detail": f"rule level-{level}", "rule": f"level-{level}"})
    return json.dumps(items)


def batches(events: int, now: dt.datetime, sqlite: bool) -> Iterator[tuple[list, list]]:
    """(event rows, document rows) as tuples in column order, BATCH events at a time."""
    rng = random.Random(7)

    def stamp(when: dt.datetime) -> Any:  # SQLite keeps UTC times as SQLAlchemy's ISO text
        return when.strftime("%Y-%m-%d %H:%M:%S.%f") if sqlite else when

    for base in range(0, events, BATCH):
        ev_rows, doc_rows = [], []
        for e in range(base, min(base + BATCH, events)):
            when = now - dt.timedelta(seconds=rng.uniform(0, DAYS * 86400))
            agent = rng.choice(AGENTS)
            eid = f"evt_{e:020d}"
            session = f"s{e % 20_000}"
            levels = rng.choices([0, 1, 2, 3], weights=[80, 12, 6, 2], k=PER_EVENT)
            ev_rows.append((eid, stamp(when), agent, session, "what happened to you?",
                            PER_EVENT, max(levels)))  # fmt: skip
            for position, level in enumerate(levels):
                host = rng.choice(HOSTS)
                doc_rows.append((
                    eid, position, stamp(when), agent, session, f"d{position}",
                    f"https://{host}/story/{e}/{position}", "A story", f"{e:032x}{position:032x}",
                    SNIPPET, 0, level, level / 3, "incident" if level >= 2 else "",
                    evidence(agent, level),
                ))  # fmt: skip
        yield ev_rows, doc_rows


def seed(tracker: Any, events: int, now: dt.datetime) -> None:
    import sqlalchemy as sa

    from selfref.audit import RetrievedDocument, recount_days
    from selfref.crawl_state import CrawlStore

    log = tracker.audit_log
    CrawlStore(log).ensure_schema()
    engine = log.engine
    sqlite = engine.dialect.name == "sqlite"
    docs_table = RetrievedDocument.__table__  # type: ignore[attr-defined]
    with engine.begin() as conn:  # indexes afterwards: much faster than kept up row by row
        for index in docs_table.indexes:
            conn.execute(sa.schema.DropIndex(index, if_exists=True))
    started = time.perf_counter()
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        for ev_rows, doc_rows in batches(events, now, sqlite):
            if sqlite:
                marks = ",".join("?" * len(EVENT_COLUMNS))
                cur.executemany(
                    f"INSERT INTO retrieval_events ({','.join(EVENT_COLUMNS)}) VALUES ({marks})",
                    ev_rows,
                )
                marks = ",".join("?" * len(DOC_COLUMNS))
                cur.executemany(
                    f"INSERT INTO retrieved_documents ({','.join(DOC_COLUMNS)}) VALUES ({marks})",
                    doc_rows,
                )
            else:
                for table, columns, rows in (
                    ("retrieval_events", EVENT_COLUMNS, ev_rows),
                    ("retrieved_documents", DOC_COLUMNS, doc_rows),
                ):
                    with cur.copy(f"COPY {table} ({','.join(columns)}) FROM STDIN") as copy:
                        for row in rows:
                            copy.write_row(row)
            raw.commit()
    finally:
        raw.close()
    inserted = time.perf_counter() - started
    started = time.perf_counter()
    with engine.begin() as conn:
        for index in docs_table.indexes:
            conn.execute(sa.schema.CreateIndex(index, if_not_exists=True))
    indexed = time.perf_counter() - started
    started = time.perf_counter()
    with engine.begin() as conn:  # what `record` counts row by row, counted at once
        recount_days(conn)
    counted = time.perf_counter() - started
    seed_alerts_and_crawl(engine, events, now)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(sa.text("ANALYZE" if sqlite else "VACUUM ANALYZE"))
    print(
        f"  seeded {events:,} events, {events * PER_EVENT:,} documents: inserts "
        f"{inserted:.1f} s, indexes {indexed:.1f} s, day counts {counted:.1f} s"
    )


def seed_alerts_and_crawl(engine: Any, events: int, now: dt.datetime) -> None:
    import sqlalchemy as sa

    from selfref.crawl_state import CrawlPage, CrawlSource
    from selfref.outbox.schema import AlertRow

    rng = random.Random(11)
    with engine.begin() as conn:
        ids = conn.execute(
            sa.text("SELECT id, created_at, agent FROM retrieval_events WHERE max_level = 3")
        ).all()
        statuses = ["delivered"] * 8 + ["pending", "dead"]
        alerts = []
        for eid, created, agent in ids:
            created = (
                created
                if isinstance(created, dt.datetime)
                else dt.datetime.fromisoformat(created).replace(tzinfo=dt.UTC)
            )
            status = rng.choice(statuses)
            alerts.append({
                "id": f"msg_{secrets.token_hex(12)}", "created_at": created, "channel": "webhook:0",
                "agent": agent, "level": "critical", "score": 1.0, "event_id": eid,
                "dedup_key": secrets.token_hex(8), "hits": 1, "status": status,
                "attempts": 1, "next_attempt_at": created, "payload": "{}",
                "last_error": "HTTP 500 from the receiver" if status == "dead" else None,
                "delivered_at": created if status == "delivered" else None,
            })  # fmt: skip
        conn.execute(sa.insert(AlertRow), alerts)
        sources = [f"source-{i}" for i in range(7)]
        conn.execute(sa.insert(CrawlSource), [
            {"name": n, "kind": "feed", "state": {}, "last_run": now, "consecutive_failures": i % 2,
             "last_error": "HTTP 503" if i % 2 else None} for i, n in enumerate(sources)
        ])  # fmt: skip
        conn.execute(sa.insert(CrawlPage), [
            {"url": f"https://site.example/{i}", "canonical_url": f"https://site.example/{i}",
             "source": sources[i % 7], "status": "indexed" if i % 5 else "failed",
             "agents": "", "incidents": "", "personas": ""} for i in range(5000)
        ])  # fmt: skip
    print(f"  plus {len(alerts):,} alerts, {len(sources)} crawl sources, 5,000 crawl pages")


def server_ms(client: Any, path: str) -> float:
    times = []
    for _ in range(REPEAT + 1):
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code, response.text[:300])
        times.append(float(response.headers["server-timing"].split("dur=")[1]))
    return statistics.median(times[1:])  # the first request warms caches; not counted


def run(name: str, database_url: str, events: int) -> None:
    import sqlalchemy as sa
    from fastapi.testclient import TestClient

    from selfref import Tracker
    from selfref.api import create_app
    from selfref.config import load_config

    config = load_config()
    config.settings.storage.database_url = database_url
    now = dt.datetime.now(dt.UTC)
    tracker = Tracker(config, clock=lambda: now)
    print(f"{name}:")
    seed(tracker, events, now)
    client = TestClient(create_app(tracker))
    engine = tracker.audit_log.engine

    def count() -> object:
        with engine.connect() as conn:
            return conn.execute(sa.text("SELECT count(*) FROM retrieved_documents")).scalar()

    baseline = median_ms(count, REPEAT, warmup=1)
    first = client.get("/").text
    marker = 'rel="next" href="'
    older = first[first.index(marker) + len(marker) :].split('"', 1)[0].replace("&amp;", "&")
    event = first[first.index('href="/events/') + len('href="/events/') :].split('"', 1)[0]
    pages = {
        "overview, last 7 days (default)": "/",
        "overview, all 60 days": "/?since=",
        "overview, level critical, all time": "/?since=&level=critical",
        "overview, older page (keyset)": older,
        "agent page grok, last 7 days": "/agents/grok",
        "agent page grok, all time": "/agents/grok?since=",
        "overview, one session, all time": "/?since=&session=s42",
        "event page": f"/events/{event}",
    }
    print(f"  baseline count(*) over retrieved_documents: {baseline:7.1f} ms")
    for label, path in pages.items():
        ms = server_ms(client, path)
        verdict = "ok" if ms <= 300 else "OVER 300 ms"
        print(f"  {label:38s} {ms:7.1f} ms  ratio to count(*) {ms / baseline:5.2f}  {verdict}")
    tracker.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument(
        "--postgres",
        default=os.environ.get(
            "SELFREF_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
        ),
        help="PostgreSQL server to create a throwaway database on",
    )
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()
    home = tempfile.mkdtemp(prefix="selfref-dashboard-")
    os.environ["SELFREF_HOME"] = home
    run("SQLite", f"sqlite:///{home}/audit.db", args.events)
    if args.no_postgres:
        return
    import sqlalchemy as sa

    admin = sa.create_engine(args.postgres, isolation_level="AUTOCOMMIT")
    name = f"selfref_bench_{secrets.token_hex(4)}"
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        url = admin.url.set(database=name).render_as_string(hide_password=False)
        run("PostgreSQL", url, args.events)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


if __name__ == "__main__":
    main()
