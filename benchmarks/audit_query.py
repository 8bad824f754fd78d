"""Audit queries over a large log: a million retrieved documents in SQLite (WAL).

Bulk-inserts N rows (default 1,000,000) spread over 60 days and six agents, then prints
the median time of typical `Tracker.audit` queries against a baseline full count of the
same table in the same process.

Run: python benchmarks/audit_query.py [--rows N]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import tempfile
import time

import this_checkout  # noqa: F401  (exits unless `selfref` is this checkout's)
from timing import median_ms

AGENTS = ["grok", "claude", "chatgpt", "bing-copilot", "gemini", "tay"]
REPEAT = 7  # timed runs per query


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    os.environ["SELFREF_HOME"] = tempfile.mkdtemp(prefix="selfref-audit-")
    import sqlalchemy as sa

    from selfref import Level, Tracker
    from selfref.audit import RetrievalEvent, RetrievedDocument

    tracker = Tracker.from_config()
    log = tracker.audit_log
    log.ensure_schema()
    rng = random.Random(7)
    now = dt.datetime.now(dt.UTC)
    per_event = 10
    start = time.perf_counter()
    with log.engine.begin() as conn:
        for base in range(0, args.rows, 50_000):
            events, docs = [], []
            for e in range(base // per_event, (base + 50_000) // per_event):
                when = now - dt.timedelta(seconds=rng.uniform(0, 60 * 86400))
                agent = rng.choice(AGENTS)
                eid = f"evt_{e:020d}"
                events.append(
                    {
                        "id": eid,
                        "created_at": when,
                        "agent": agent,
                        "session": f"s{e % 5000}",
                        "query": "q",
                        "document_count": per_event,
                        "max_level": 0,
                    }
                )
                for position in range(per_event):
                    level = rng.choices([0, 1, 2, 3], weights=[80, 12, 6, 2])[0]
                    docs.append(
                        {
                            "event_id": eid,
                            "position": position,
                            "created_at": when,
                            "agent": agent,
                            "session": f"s{e % 5000}",
                            "content_hash": f"{e:032x}{position:032x}",
                            "snippet": "text",
                            "level": level,
                            "score": level / 3,
                            "categories": "",
                            "evidence": "[]",
                        }
                    )
            conn.execute(sa.insert(RetrievalEvent), events)
            conn.execute(sa.insert(RetrievedDocument), docs)
    print(f"inserted {args.rows:,} rows in {time.perf_counter() - start:.1f} s")

    def full_count() -> object:
        with log.engine.connect() as conn:
            return conn.execute(sa.text("select count(*) from retrieved_documents")).scalar()

    baseline = median_ms(full_count, REPEAT)
    queries = {
        "grok, last 7 days, warn+ (limit 1000)": lambda: tracker.audit(
            agent="grok", since=now - dt.timedelta(days=7), level=Level.WARN
        ),
        "grok, newest 100": lambda: tracker.audit(agent="grok", limit=100),
        "all agents, critical, last 24h": lambda: tracker.audit(
            since=now - dt.timedelta(days=1), level=Level.CRITICAL
        ),
        "one session": lambda: tracker.audit(session="s42"),
    }
    print(f"baseline: count(*) over the table: {baseline:8.1f} ms")
    for name, query in queries.items():
        ms = median_ms(query, REPEAT)
        print(
            f"{name:40s} {ms:8.1f} ms  ratio to count(*) {ms / baseline:.3f}  rows {len(query())}"
        )


if __name__ == "__main__":
    main()
