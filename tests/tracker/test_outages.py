"""Outages under load, with real servers the tests stop themselves: a private PostgreSQL
stopped and started again, a `chroma run` server killed. Clients keep posting checks
from several threads throughout."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient

from selfref import Tracker
from selfref.api import create_app
from tests.scale_servers import PrivatePostgres, chroma_server

pytestmark = pytest.mark.server

PERSONA = "Grok called itself MechaHitler in a series of posts on X in July 2025."
CLEAN = "A recipe for apple pie with cinnamon and a lattice crust."
BODY = {"agent": "grok", "documents": [{"id": "p", "text": PERSONA}, {"id": "c", "text": CLEAN}]}
CLIENTS = 4


class Load:
    """CLIENTS threads posting BODY to `app` until stopped; every answer is kept."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app
        self.answers: list[tuple[int, str | None, dict[str, Any]]] = []
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._client) for _ in range(CLIENTS)]

    def _client(self) -> None:
        with TestClient(self.app) as client:
            while not self._stop.is_set():
                r = client.post("/v1/check", json=BODY)
                self.answers.append((r.status_code, r.headers.get("retry-after"), r.json()))

    def __enter__(self) -> Load:
        for t in self._threads:
            t.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        for t in self._threads:
            t.join()

    def until(self, condition: Callable[[list[Any]], bool], what: str, after: int = 0) -> int:
        """Wait until the answers from index `after` on satisfy `condition`; their count."""
        deadline = time.monotonic() + 180
        while not condition(self.answers[after:]):
            assert time.monotonic() < deadline, f"no {what} within 180 s"
            time.sleep(0.05)
        return len(self.answers)


def count(status: int, n: int = CLIENTS) -> Callable[[list[Any]], bool]:
    return lambda answers: sum(1 for a in answers if a[0] == status) >= n


def test_postgres_stopped_and_started_under_load(
    write_config: Callable[[str], Path], make_tracker: Callable[..., Tracker]
) -> None:
    pg = PrivatePostgres()
    try:
        pg.start()
        write_config(
            f'[storage]\ndatabase_url = "{pg.url}"\nbusy_timeout = "1s"\n'
            "[api]\nmax_concurrency = 8\n"
        )
        tracker = make_tracker()
        with Load(create_app(tracker)) as load:
            seen = load.until(count(200), "checks answered")
            pg.stop()
            seen = load.until(count(503), "503s while the database is down", seen)
            pg.start()
            load.until(count(200), "checks answered after the database came back", seen)
        statuses = {a[0] for a in load.answers}
        assert statuses == {200, 503}
        assert all(a[1] and a[1].isdigit() for a in load.answers if a[0] == 503)
        assert all("127.0.0.1" not in a[2]["error"] for a in load.answers if a[0] == 503)
        answered = {a[2]["event_id"] for a in load.answers if a[0] == 200}
        with tracker.audit_log.engine.connect() as conn:
            events = dict(
                conn.execute(sa.text("SELECT id, document_count FROM retrieval_events")).all()
            )
            documents = dict(
                conn.execute(
                    sa.text("SELECT event_id, count(*) FROM retrieved_documents GROUP BY event_id")
                ).all()
            )
        assert answered <= set(events)  # every answered check is recorded
        assert documents == events  # and no event is half-written
    finally:
        pg.remove()


def test_chroma_killed_under_load_gives_degraded_recorded_verdicts(
    tmp_path: Path, write_config: Callable[[str], Path], make_tracker: Callable[..., Tracker]
) -> None:
    with chroma_server(tmp_path / "chroma") as (url, process):
        write_config(f'[storage]\nchroma_url = "{url}"\n[api]\nmax_concurrency = 8\n')
        tracker = make_tracker()
        app = create_app(tracker)
        with TestClient(app) as client:  # opens and seeds the index while it is up
            first = client.post("/v1/check", json=BODY).json()
            assert first["degraded"] == []
        with Load(app) as load:
            seen = load.until(count(200), "checks answered")
            process.kill()
            process.wait()
            load.until(
                lambda answers: sum(1 for a in answers if a[2].get("degraded")) >= CLIENTS,
                "degraded verdicts after the index went down",
                seen,
            )
    assert {a[0] for a in load.answers} == {200}
    degraded = [a[2] for a in load.answers if a[2].get("degraded")]
    for answer in degraded:
        assert answer["degraded"] == ["index"]
        persona, clean = answer["verdicts"]
        assert persona["level"] == "critical" and clean["level"] == "none"
        rows = tracker.audit(event=answer["event_id"])
        assert len(rows) == 2
        assert all(any(e["kind"] == "degraded" for e in r.evidence) for r in rows)
