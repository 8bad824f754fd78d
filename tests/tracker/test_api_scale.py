"""The API under failure and load: readiness, an unreachable index or database,
backpressure, metrics. Unreachable parts are real: a port nothing listens on."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from selfref import Tracker
from selfref.api import create_app
from tests.loopback import free_port

PERSONA = "Grok called itself MechaHitler in a series of posts on X in July 2025."
CLEAN = "A recipe for apple pie with cinnamon and a lattice crust."


def dead_postgres() -> str:
    return f"postgresql+psycopg://secretuser@127.0.0.1:{free_port()}/secretdb"


def test_readyz_reports_each_part_and_is_open(tracker: Tracker) -> None:
    client = TestClient(create_app(tracker, token="t" * 32))
    response = client.get("/readyz")
    assert response.status_code == 200
    body = response.json()
    assert body.pop("catalog") in ("pending", "ready")
    assert body == {"ready": True, "database": "ok", "index": "ok", "scheduler": False}
    assert client.get("/healthz").json() == {"status": "ok", "role": "api"}


def test_readyz_is_not_ready_while_the_catalog_is_indexed(tracker: Tracker) -> None:
    client = TestClient(create_app(tracker, token="t" * 32))
    before = tracker.indexing.stage
    tracker.indexing.update("indexing")
    try:
        response = client.get("/readyz")
        assert response.status_code == 503
        assert response.json()["ready"] is False and response.json()["catalog"] == "indexing"
    finally:
        tracker.indexing.update(before)
    assert client.get("/readyz").status_code == 200


def test_database_down_is_503_with_retry_after_naming_no_host_or_user(
    write_config: Callable[[str], Path], make_tracker: Callable[..., Tracker]
) -> None:
    write_config(f'[storage]\ndatabase_url = "{dead_postgres()}"\nbusy_timeout = "1s"\n')
    client = TestClient(create_app(make_tracker()))
    response = client.post("/v1/check", json={"agent": "grok", "documents": [{"text": PERSONA}]})
    assert response.status_code == 503
    assert response.headers["retry-after"].isdigit()
    for secret in ("secretuser", "secretdb", "127.0.0.1"):
        assert secret not in response.text
    ready = client.get("/readyz")
    assert ready.status_code == 503
    assert ready.json()["ready"] is False and ready.json()["database"] == "unreachable"
    assert "secretuser" not in ready.text
    metrics = client.get("/metrics").text
    assert "selfref_database_errors_total 1.0" in metrics.splitlines()  # the check


def test_index_down_checks_are_degraded_recorded_and_still_critical(
    write_config: Callable[[str], Path], make_tracker: Callable[..., Tracker]
) -> None:
    write_config(f'[storage]\nchroma_url = "http://127.0.0.1:{free_port()}"\n')
    tracker = make_tracker()
    client = TestClient(create_app(tracker))
    body = {
        "agent": "grok",
        "documents": [{"id": "p", "text": PERSONA}, {"id": "c", "text": CLEAN}],
    }
    response = client.post("/v1/check", json=body)
    assert response.status_code == 200, response.text
    data = response.json()
    assert data["degraded"] == ["index"]
    persona, clean = data["verdicts"]
    assert persona["level"] == "critical" and clean["level"] == "none"
    for verdict in data["verdicts"]:
        assert [e["term"] for e in verdict["evidence"] if e["kind"] == "degraded"] == ["index"]
    rows = tracker.audit(event=data["event_id"])
    assert {r.doc_id: r.level.label for r in rows} == {"p": "critical", "c": "none"}
    assert any(e["kind"] == "degraded" for e in rows[0].evidence)
    ready = client.get("/readyz").json()
    assert ready["ready"] is True and ready["index"].startswith("unreachable")
    assert "selfref_index_errors_total 1.0" in client.get("/metrics").text.splitlines()


def test_checks_beyond_max_concurrency_get_429_at_once(
    write_config: Callable[[str], Path],
    make_tracker: Callable[..., Tracker],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    write_config("[api]\nmax_concurrency = 1\n")
    tracker = make_tracker()
    entered, release = threading.Event(), threading.Event()
    real_check = tracker.check

    def held_check(*args: Any, **kwargs: Any) -> Any:  # keeps one check in flight
        entered.set()
        release.wait(30)
        return real_check(*args, **kwargs)

    monkeypatch.setattr(tracker, "check", held_check)
    app = create_app(tracker)
    body = {"agent": "grok", "documents": [{"text": PERSONA}]}

    async def scenario() -> tuple[httpx.Response, httpx.Response]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            first = asyncio.create_task(client.post("/v1/check", json=body))
            while not entered.is_set():
                await asyncio.sleep(0.01)
            second = await client.post("/v1/check", json=body)
            release.set()
            return await first, second

    first, second = asyncio.run(scenario())
    assert first.status_code == 200
    assert second.status_code == 429 and second.headers["retry-after"] == "1"
    assert "1 checks already in flight" in second.json()["error"]
    client = TestClient(app)
    lines = client.get("/metrics").text.splitlines()
    assert "selfref_checks_rejected_total 1.0" in lines
    assert 'selfref_http_requests_total{route="/v1/check",status="429"} 1.0' in lines
    assert client.post("/v1/check", json=body).status_code == 200  # the slot is free again


def test_metrics_include_outbox_sizes_and_the_scheduler_role(tracker: Tracker) -> None:
    lines = TestClient(create_app(tracker)).get("/metrics").text.splitlines()
    assert "selfref_scheduler 0.0" in lines
    for status in ("pending", "delivered", "dead"):
        assert f'selfref_outbox_alerts{{status="{status}"}} 0.0' in lines
