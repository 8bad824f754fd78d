"""The HTTP API through its ASGI app: check, audit, agents, auth, bad input, metrics."""

from __future__ import annotations

import shutil
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from selfref import Tracker, index
from selfref.api import MAX_DOCUMENTS, MAX_TEXT_CHARS, STORAGE_DOWN, create_app
from selfref.config import load_config
from selfref.errors import (
    ConfigError,
    IndexUnavailableError,
    InputError,
    StorageError,
    UnknownAgentError,
)

PERSONA = "In July 2025 Grok called itself MechaHitler in a run of posts on X."
CLEAN = "The weather in Paris stays mild through the weekend, with light rain on Sunday."
MONET = "Claude Monet painted the water lilies in his garden at Giverny."


@pytest.fixture(scope="module")
def tracker(
    tmp_path_factory: pytest.TempPathFactory, embedder: index.MiniLMEmbedder, seeded_chroma: Path
) -> Iterator[Tracker]:
    # One home per module, with a copy of the session's seeded index; every test below
    # scopes what it reads back by a unique session.
    home = tmp_path_factory.mktemp("selfref-home")
    shutil.copytree(seeded_chroma, home / "chroma")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SELFREF_HOME", str(home))
        mp.delenv("SELFREF_CONFIG", raising=False)
        mp.delenv("SELFREF_API_TOKEN", raising=False)
        t = Tracker(load_config(), embedder=embedder)
        yield t
        t.close()


@pytest.fixture(scope="module")
def client(tracker: Tracker) -> TestClient:
    return TestClient(create_app(tracker))


def session_id() -> str:
    return f"s-{uuid.uuid4().hex}"


def check(
    client: TestClient, session: str, texts: list[str], **extra: object
) -> dict[str, Any]:
    body = {
        "agent": "grok",
        "query": "what is your surname?",
        "session": session,
        "documents": [{"id": f"d{i}", "text": t} for i, t in enumerate(texts)],
        **extra,
    }
    response = client.post("/v1/check", json=body)
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()
    return data


# -- check + audit ------------------------------------------------------------------


def test_check_returns_verdicts_in_input_order_and_records_the_event(client: TestClient) -> None:
    session = session_id()
    body = {
        "agent": "grok",
        "query": "what is your surname?",
        "session": session,
        "documents": [
            {"id": "persona", "text": PERSONA, "url": "https://example.org/a", "title": "A"},
            {"id": "clean", "text": CLEAN},
            {"text": MONET},
        ],
    }
    response = client.post("/v1/check", json=body)
    assert response.status_code == 200, response.text
    data = response.json()
    assert data["event_id"].startswith("evt_")
    verdicts = data["verdicts"]
    assert [v["id"] for v in verdicts] == ["persona", "clean", None]
    for v in verdicts:
        assert set(v) == {"id", "level", "score", "categories", "evidence", "event_id"}
        assert v["event_id"] == data["event_id"]
        assert 0.0 <= v["score"] <= 1.0
    assert verdicts[0]["level"] == "critical"
    assert any(e["kind"] == "persona" and e["detail"] == "MechaHitler"
               for e in verdicts[0]["evidence"])
    assert verdicts[1]["level"] == "none"

    audit = client.get("/v1/audit", params={"session": session})
    assert audit.status_code == 200, audit.text
    events = audit.json()["events"]
    assert len(events) == 1
    event = events[0]
    assert event["event_id"] == data["event_id"]
    assert (event["agent"], event["session"], event["query"]) == (
        "grok", session, "what is your surname?")
    docs = event["documents"]
    assert [d["id"] for d in docs] == ["persona", "clean", None]
    assert [d["level"] for d in docs] == [v["level"] for v in verdicts]
    assert docs[0]["url"] == "https://example.org/a"
    assert docs[0]["title"] == "A"
    assert "MechaHitler" in docs[0]["snippet"]
    assert docs[0]["evidence"] == verdicts[0]["evidence"]
    assert set(docs[0]) >= {"id", "url", "title", "level", "score", "categories", "evidence",
                            "snippet"}


def test_record_false_checks_without_writing(client: TestClient) -> None:
    session = session_id()
    data = check(client, session, [PERSONA], record=False)
    assert data["event_id"] is None
    assert data["verdicts"][0]["level"] == "critical"
    assert client.get("/v1/audit", params={"session": session}).json()["events"] == []


def test_audit_lists_events_newest_first_and_filters_by_level(client: TestClient) -> None:
    session = session_id()
    first = check(client, session, [CLEAN])["event_id"]
    second = check(client, session, [CLEAN, PERSONA])["event_id"]
    events = client.get("/v1/audit", params={"session": session}).json()["events"]
    assert [e["event_id"] for e in events] == [second, first]

    flagged = client.get("/v1/audit", params={"session": session, "level": "warn"}).json()
    assert [e["event_id"] for e in flagged["events"]] == [second]
    assert [d["id"] for d in flagged["events"][0]["documents"]] == ["d1"]

    by_agent = client.get("/v1/audit", params={"session": session, "agent": "claude"}).json()
    assert by_agent["events"] == []
    recent = client.get("/v1/audit", params={"session": session, "since": "1h"}).json()
    assert len(recent["events"]) == 2
    future = client.get("/v1/audit", params={"session": session, "since": "2999-01-01"}).json()
    assert future["events"] == []


def test_audit_event_filter_serves_the_alert_audit_link(client: TestClient) -> None:
    session = session_id()
    first = check(client, session, [CLEAN])["event_id"]
    second = check(client, session, [PERSONA])["event_id"]
    events = client.get("/v1/audit", params={"event": first}).json()["events"]
    assert [e["event_id"] for e in events] == [first]
    assert second != first


def test_audit_limit_counts_documents(client: TestClient) -> None:
    session = session_id()
    check(client, session, [CLEAN, CLEAN, CLEAN])
    data = client.get("/v1/audit", params={"session": session, "limit": 2}).json()
    assert data["documents"] == 2
    assert data["limit_reached"] is True


@pytest.mark.parametrize(
    ("params", "needle"),
    [
        ({"since": "yesterday"}, "since: invalid time 'yesterday'"),
        ({"until": "soon"}, "until: invalid time 'soon'"),
        ({"since": "99999999d"}, "since: duration '99999999d' is too long"),
        ({"level": "loud"}, "level: unknown level 'loud'"),
    ],
)
def test_audit_bad_parameters_are_400(
    client: TestClient, params: dict[str, str], needle: str
) -> None:
    response = client.get("/v1/audit", params=params)
    assert response.status_code == 400
    assert needle in response.json()["error"]


def test_audit_bad_limit_is_422(client: TestClient) -> None:
    response = client.get("/v1/audit", params={"limit": 0})
    assert response.status_code == 422
    assert "limit" in response.json()["error"]


# -- agents ---------------------------------------------------------------------------


def test_agents_list_and_show(client: TestClient) -> None:
    agents = client.get("/v1/agents").json()["agents"]
    by_id = {a["id"]: a for a in agents}
    assert set(by_id) >= {"grok", "claude", "chatgpt", "bing-copilot", "gemini", "tay"}
    assert by_id["grok"]["vendor"] == "xAI"
    assert "MechaHitler" in by_id["grok"]["personas"]
    assert by_id["grok"]["incidents"] >= 3
    assert set(by_id["grok"]) == {"id", "name", "vendor", "personas", "incidents"}

    profile = client.get("/v1/agents/bing-copilot").json()
    assert profile["id"] == "bing-copilot"
    assert {p["name"] for p in profile["personas"]} >= {"Sydney", "SupremacyAGI"}
    assert profile["incidents"] and "date" in profile["incidents"][0]


def test_unknown_agent_is_404_naming_the_known_ones(client: TestClient) -> None:
    for response in (
        client.post("/v1/check", json={"agent": "hal-9000", "documents": [{"text": "x"}]}),
        client.get("/v1/agents/hal-9000"),
        client.get("/v1/audit", params={"agent": "hal-9000"}),
    ):
        assert response.status_code == 404
        error = response.json()["error"]
        assert "hal-9000" in error
        assert "known agents" in error and "grok" in error


# -- bad payloads ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "status", "needle"),
    [
        ({"agent": "grok", "documents": [{"id": "x"}]}, 422, "documents[0].text: Field required"),
        ({"agent": "grok", "documents": [{"text": 3}]}, 422, "documents[0].text"),
        ({"agent": "grok", "documents": [{"text": "x", "body": "y"}]}, 422,
         "documents[0].body: unknown field"),
        ({"agent": "grok", "documents": [], "fail_on": "warn"}, 422, "fail_on: unknown field"),
        ({"documents": [{"text": "x"}]}, 422, "agent: Field required"),
        ({"agent": "grok"}, 422, "documents: Field required"),
        ({"agent": "grok", "documents": "text"}, 422, "documents"),
        ([1, 2], 422, "body"),
        ({"agent": "grok", "documents": [{"text": "x"}] * (MAX_DOCUMENTS + 1)}, 422,
         f"at most {MAX_DOCUMENTS} items"),
    ],
    ids=["missing-text", "text-not-string", "extra-doc-field", "extra-field", "no-agent",
         "no-documents", "documents-not-list", "not-an-object", "too-many-documents"],
)
def test_bad_check_payloads_are_4xx_json(
    client: TestClient, body: object, status: int, needle: str
) -> None:
    response = client.post("/v1/check", json=body)
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    assert needle in response.json()["error"]


def test_text_over_the_limit_is_422(client: TestClient) -> None:
    body = {"agent": "grok", "documents": [{"text": "a" * (MAX_TEXT_CHARS + 1)}]}
    response = client.post("/v1/check", json=body)
    assert response.status_code == 422
    assert f"at most {MAX_TEXT_CHARS} characters" in response.json()["error"]


@pytest.mark.parametrize("payload", [b"{not json", b"", b"\xff\xfe"])
def test_body_that_is_not_json_is_400(client: TestClient, payload: bytes) -> None:
    response = client.post(
        "/v1/check", content=payload, headers={"content-type": "application/json"}
    )
    assert response.status_code in (400, 422), response.text
    assert response.json()["error"]


def test_invalid_json_names_the_problem(client: TestClient) -> None:
    response = client.post(
        "/v1/check", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json() == {"error": "request body is not valid JSON"}


def test_body_over_the_byte_limit_is_413(tracker: Tracker) -> None:
    client = TestClient(create_app(tracker, max_body_bytes=1000))
    body = {"agent": "grok", "documents": [{"text": "x" * 2000}]}
    sized = client.post("/v1/check", json=body)
    assert sized.status_code == 413
    assert "larger than 1000 bytes" in sized.json()["error"]

    def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it streams
        yield b'{"agent": "grok", "documents": [{"text": "'
        for _ in range(20):
            yield b"x" * 100
        yield b'"}]}'

    streamed = client.post(
        "/v1/check", content=chunks(), headers={"content-type": "application/json"}
    )
    assert streamed.status_code == 413
    small = client.post("/v1/check", json={"agent": "grok", "record": False,
                                           "documents": [{"text": CLEAN}]})
    assert small.status_code == 200


def test_unknown_route_is_json_404(client: TestClient) -> None:
    response = client.get("/v2/nothing")
    assert response.status_code == 404
    assert response.json() == {"error": "Not Found"}


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (StorageError("audit database is locked"), 503),
        (IndexUnavailableError("chroma is down"), 503),
        (InputError("document 1: needs a string 'text' field"), 422),
        (UnknownAgentError("hal", ["grok"]), 404),
        (ConfigError("index.embedder: cannot load"), 500),
    ],
)
def test_library_errors_map_to_status_and_json(
    tracker: Tracker, monkeypatch: pytest.MonkeyPatch, error: Exception, status: int
) -> None:
    def fail(*_args: object, **_kwargs: object) -> None:
        raise error

    monkeypatch.setattr(tracker, "check", fail)
    client = TestClient(create_app(tracker))
    response = client.post("/v1/check", json={"agent": "grok", "documents": [{"text": "x"}]})
    assert response.status_code == status
    # a database error's details (host, user, database) stay in the server's log
    expected = STORAGE_DOWN if isinstance(error, StorageError) else str(error)
    assert response.json() == {"error": expected}
    assert ("retry-after" in response.headers) == (status == 503)


# -- auth -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def secured(tracker: Tracker) -> TestClient:
    return TestClient(create_app(tracker, token="s3cret-token"))


@pytest.mark.parametrize("path", ["/v1/agents", "/v1/audit", "/metrics", "/docs",
                                  "/openapi.json", "/v1/agents/grok"])
def test_auth_required_everywhere_but_healthz(secured: TestClient, path: str) -> None:
    missing = secured.get(path)
    assert missing.status_code == 401
    assert missing.headers["www-authenticate"].startswith("Bearer")
    assert "missing API token" in missing.json()["error"]

    wrong = secured.get(path, headers={"Authorization": "Bearer s3cret-tokeX"})
    assert wrong.status_code == 401
    assert 'error="invalid_token"' in wrong.headers["www-authenticate"]
    assert wrong.json() == {"error": "invalid API token"}

    basic = secured.get(path, headers={"Authorization": "Basic czNjcmV0LXRva2Vu"})
    assert basic.status_code == 401

    ok = secured.get(path, headers={"Authorization": "Bearer s3cret-token"})
    assert ok.status_code == 200


def test_post_check_needs_the_token(secured: TestClient) -> None:
    body = {"agent": "grok", "record": False, "documents": [{"text": PERSONA}]}
    assert secured.post("/v1/check", json=body).status_code == 401
    response = secured.post("/v1/check", json=body,
                            headers={"Authorization": "bearer s3cret-token"})
    assert response.status_code == 200
    assert response.json()["verdicts"][0]["level"] == "critical"


def test_healthz_is_open(secured: TestClient) -> None:
    response = secured.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "role": "api"}


def test_token_comes_from_the_environment(
    tracker: Tracker, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SELFREF_API_TOKEN", "from-env")
    client = TestClient(create_app(tracker))
    assert client.get("/v1/agents").status_code == 401
    assert client.get("/v1/agents", headers={"Authorization": "Bearer from-env"}).status_code == 200


def test_no_token_configured_means_no_auth(client: TestClient) -> None:
    assert client.get("/v1/agents").status_code == 200


# -- metrics --------------------------------------------------------------------------


def test_metrics_count_checks_documents_requests_and_latency(
    make_tracker: Callable[..., Tracker],
) -> None:
    client = TestClient(create_app(make_tracker(), token="m"))  # its own counts
    auth = {"Authorization": "Bearer m"}
    body = {"agent": "grok", "record": False,
            "documents": [{"text": PERSONA}, {"text": CLEAN}, {"text": CLEAN}]}
    assert client.post("/v1/check", json=body, headers=auth).status_code == 200
    assert client.get("/v1/agents/grok", headers=auth).status_code == 200
    assert client.get("/v1/agents/nobody", headers=auth).status_code == 404
    assert client.get("/v1/agents").status_code == 401

    response = client.get("/metrics", headers=auth)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    text = response.text
    lines = set(text.splitlines())
    assert "# TYPE selfref_checks_total counter" in lines
    assert 'selfref_checks_total{agent="grok"} 1.0' in lines
    assert 'selfref_documents_checked_total{agent="grok",level="critical"} 1.0' in lines
    assert 'selfref_documents_checked_total{agent="grok",level="none"} 2.0' in lines
    assert 'selfref_http_requests_total{route="/v1/check",status="200"} 1.0' in lines
    assert 'selfref_http_requests_total{route="/v1/agents/{agent_id}",status="200"} 1.0' in lines
    assert 'selfref_http_requests_total{route="/v1/agents/{agent_id}",status="404"} 1.0' in lines
    assert 'selfref_http_requests_total{route="/v1/agents",status="401"} 1.0' in lines
    assert "# TYPE selfref_check_duration_seconds histogram" in lines
    assert 'selfref_check_duration_seconds_bucket{agent="grok",le="+Inf"} 1.0' in lines
    assert 'selfref_check_duration_seconds_count{agent="grok"} 1.0' in lines
    for line in text.splitlines():
        assert line.startswith("#") or line.startswith("selfref_"), line


def test_bodies_in_flight_beyond_the_budget_get_503(tracker: Tracker) -> None:
    import asyncio

    import httpx

    app = create_app(tracker, max_inflight_bytes=1_000_000)
    text = b"word " * 120_000  # 600 KB
    release = asyncio.Event()
    as_json = {"content-type": "application/json"}

    async def slow_body() -> AsyncIterator[bytes]:  # half sent, then held until released
        yield b'{"agent": "grok", "documents": [{"text": "' + text
        await release.wait()
        yield b'"}]}'

    async def scenario() -> tuple[int, int, str]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://api") as http:
            first = asyncio.create_task(
                http.post("/v1/check", content=slow_body(), headers=as_json, timeout=120)
            )
            await asyncio.sleep(0.2)  # let the first request's body arrive in part
            body = b'{"agent": "grok", "documents": [{"text": "' + text + b'"}]}'
            second = await http.post("/v1/check", content=body, headers=as_json)
            release.set()
            done = await first
            return done.status_code, second.status_code, second.headers.get("retry-after", "")

    first, second, retry_after = asyncio.run(scenario())
    assert (first, second) == (200, 503)
    assert retry_after
