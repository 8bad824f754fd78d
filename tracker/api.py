"""The HTTP API: each route parses its input, calls one Tracker method, and returns JSON.

    POST /v1/check          verdicts for the documents an agent retrieved (recorded)
    GET  /v1/audit          recorded retrieval events with their verdicts, newest first
    GET  /v1/agents         the agents selfref knows; /v1/agents/{id} for one profile
    GET  /healthz           liveness (and this process's role), never behind the token
    GET  /readyz            readiness: database, index, scheduler (selfref.readiness); open
    GET  /metrics           Prometheus text exposition (selfref.metrics)
    GET  /, /agents/{id}, /events/{id}, /export.csv|jsonl   the dashboard (selfref.dashboard)

Every error is JSON `{"error": message}`. When an API token is configured
(`[api] token` or SELFREF_API_TOKEN) every route but /healthz and /readyz needs
`Authorization: Bearer <token>` (a browser may instead log in once at /login: the cookie
it gets stands for the token on reads only).
"""

from __future__ import annotations

import datetime as dt
import hmac
import logging
from collections.abc import Iterable
from typing import Annotated, Any

from fastapi import FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from selfref.audit_query import AuditRow
from selfref.backpressure import CheckLimit, default_concurrency
from selfref.core import Tracker
from selfref.dashboard import add_dashboard
from selfref.dashboard.auth import LOGIN_PATH, cookie_matches, login_page
from selfref.errors import (
    ConfigError,
    IndexUnavailableError,
    InputError,
    SchemaOutdatedError,
    SelfrefError,
    StorageError,
    UnknownAgentError,
)
from selfref.levels import Level
from selfref.metrics import CONTENT_TYPE, Metrics
from selfref.readiness import readiness
from selfref.roles import API_ONLY, Role
from selfref.timeparse import parse_when

__all__ = [
    "MAX_BODY_BYTES",
    "MAX_DOCUMENTS",
    "MAX_TEXT_CHARS",
    "CheckRequest",
    "DocumentIn",
    "Metrics",
    "create_app",
    "group_events",
]

log = logging.getLogger("selfref.api")

MAX_DOCUMENTS = 1000
"""Documents per `POST /v1/check`; more is a 422 naming the limit."""
MAX_TEXT_CHARS = 5_000_000
"""Characters per document text; more is a 422 naming the limit."""
MAX_BODY_BYTES = 64 * 1024 * 1024
"""Request body size; more is a 413 before any of it is parsed."""
MAX_AUDIT_LIMIT = 10_000

# Most specific first: the first isinstance match decides the status.
ERROR_STATUS: tuple[tuple[type[SelfrefError], int], ...] = (
    (UnknownAgentError, 404),
    (InputError, 422),
    (StorageError, 503),
    (IndexUnavailableError, 503),
    (ConfigError, 500),
    (SelfrefError, 400),
)
RETRY_AFTER = {503: "5"}
"""Statuses a client should retry, and after how many seconds."""
STORAGE_DOWN = "the audit database is unavailable; nothing was recorded. Retry later"



# -- request models ---------------------------------------------------------------------


class DocumentIn(BaseModel):
    """One retrieved document, as in the CLI's JSON Lines input."""

    model_config = ConfigDict(extra="forbid")

    id: str | None = Field(default=None, max_length=500)
    text: str = Field(max_length=MAX_TEXT_CHARS)
    url: str | None = Field(default=None, max_length=8192)
    title: str | None = Field(default=None, max_length=2000)


class CheckRequest(BaseModel):
    """`POST /v1/check`: what `agent` retrieved, for `query` in `session`."""

    model_config = ConfigDict(extra="forbid")

    agent: str = Field(min_length=1, max_length=64)
    query: str | None = Field(default=None, max_length=100_000)
    session: str | None = Field(default=None, max_length=200)
    record: bool = True
    documents: list[DocumentIn] = Field(max_length=MAX_DOCUMENTS)


# -- audit events -----------------------------------------------------------------------


def group_events(rows: Iterable[AuditRow]) -> list[dict[str, Any]]:
    """Audit rows (one per document, newest first) as events, newest first.

    Within an event the documents are in the order the agent retrieved them.
    """
    events: dict[str, dict[str, Any]] = {}
    for row in rows:
        event = events.get(row.event_id)
        if event is None:
            event = events[row.event_id] = {
                "event_id": row.event_id,
                "time": row.time.isoformat(),
                "agent": row.agent,
                "session": row.session,
                "query": row.query,
                "documents": [],
            }
        event["documents"].append(
            {
                "position": row.position,
                "id": row.doc_id,
                "url": row.url,
                "title": row.title,
                "level": row.level.label,
                "score": row.score,
                "categories": row.categories,
                "evidence": row.evidence,
                "snippet": row.snippet,
                "content_hash": row.content_hash,
            }
        )
    for event in events.values():
        event["documents"].sort(key=lambda d: d["position"])
    return list(events.values())


# -- the app ----------------------------------------------------------------------------


def create_app(
    tracker: Tracker,
    *,
    token: str | None = None,
    max_body_bytes: int = MAX_BODY_BYTES,
    max_inflight_bytes: int | None = None,
    role: Role = API_ONLY,
) -> FastAPI:
    """The selfref HTTP API over `tracker`.

    `max_inflight_bytes` defaults to `[api] max_inflight_bytes`; `role` is what this
    process does beside the API (`selfref.roles`), for /healthz, /readyz and /metrics,
    which serves the tracker's own (`Tracker.metrics`).

    `token` defaults to the configured API token (`selfref.config.api_token`); when there
    is one, every route but /healthz requires it as a Bearer token.
    """
    token = token if token is not None else tracker.config.api_token
    app = FastAPI(
        title="selfref",
        summary="Checks what retrieval agents read for material about their own past.",
        version="1",
    )
    metrics = tracker.metrics
    metrics.scrape.is_scheduler = lambda: role.is_scheduler
    app.state.tracker = tracker
    app.state.metrics = metrics
    app.state.role = role

    @app.post("/v1/check")
    def check(body: CheckRequest) -> dict[str, Any]:
        """Verdicts for the documents `agent` retrieved, in input order; recorded by default."""
        result = tracker.check(
            body.agent,
            [doc.model_dump() for doc in body.documents],
            query=body.query,
            session=body.session,
            record=body.record,
        )
        return result.to_dict()

    @app.get("/v1/audit")
    def audit(
        agent: str | None = None,
        since: str | None = None,
        until: str | None = None,
        level: str | None = None,
        session: str | None = None,
        event: str | None = None,
        limit: Annotated[int, Query(ge=1, le=MAX_AUDIT_LIMIT)] = 1000,
    ) -> dict[str, Any]:
        """Recorded events, newest first; `limit` counts documents, as in `selfref audit`."""
        rows = tracker.audit(
            agent=agent,
            since=_when("since", since),
            until=_when("until", until),
            level=_level(level),
            session=session,
            event=event,
            limit=limit,
        )
        return {"events": group_events(rows), "documents": len(rows),
                "limit_reached": len(rows) >= limit}

    @app.get("/v1/agents")
    def agents() -> dict[str, Any]:
        """Every agent: id, name, vendor, persona names and the number of incidents."""
        return {
            "agents": [
                {
                    "id": p.id,
                    "name": p.name,
                    "vendor": p.vendor,
                    "personas": [x.name for x in p.personas],
                    "incidents": len(p.incidents),
                }
                for p in tracker.agents()
            ]
        }

    @app.get("/v1/agents/{agent_id}")
    def agent(agent_id: str) -> dict[str, Any]:
        """One agent's whole profile: names, lineage, personas, incidents."""
        return tracker.agent(agent_id).model_dump(mode="json")

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        """Liveness: the process answers; `role` says whether it runs the scheduler
        (`scheduler`), waits to take it over (`standby`) or serves the API only (`api`)."""
        return {"status": "ok", "role": role.name}

    @app.get("/readyz")
    def readyz() -> JSONResponse:
        """Readiness of the database, index and scheduler role; 503 while not ready."""
        body = readiness(tracker, role)
        return JSONResponse(body, status_code=200 if body["ready"] else 503)

    @app.get("/metrics")
    def metrics_text() -> Response:
        """Prometheus text exposition format 0.0.4."""
        return Response(metrics.render(), media_type=CONTENT_TYPE)

    add_dashboard(app, tracker, token=token)
    _install_error_handlers(app, metrics)
    # The last added runs first: metrics (so 401s, 413s and 429s are counted), then auth
    # (so nobody unauthenticated makes us buffer a body or takes a check slot), then the
    # check limit, then the body limit, then routes.
    app.add_middleware(
        _BodyLimit,
        max_bytes=max_body_bytes,
        budget=max_inflight_bytes or tracker.config.settings.api.max_inflight_bytes,
    )
    app.add_middleware(
        CheckLimit,
        limit=tracker.config.settings.api.max_concurrency or default_concurrency(),
        on_reject=metrics.rejected.inc,
    )
    if token:
        app.add_middleware(
            _BearerAuth, token=token, open_paths=("/healthz", "/readyz", LOGIN_PATH)
        )
    app.add_middleware(_RequestMetrics, metrics=metrics, routes=app.router.routes)
    return app


def _when(name: str, value: str | None) -> dt.datetime | None:
    if value is None or value == "":
        return None
    try:
        return parse_when(value)
    except InputError as exc:
        raise _BadParameter(f"{name}: {exc}") from None


def _level(value: str | None) -> Level | None:
    if value is None or value == "":
        return None
    try:
        return Level.parse(value)
    except InputError as exc:
        raise _BadParameter(f"level: {exc}") from None


class _BadParameter(Exception):
    """A query parameter that parsed badly: 400 with the parser's message."""


def _error(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    if status in RETRY_AFTER:
        headers = {"Retry-After": RETRY_AFTER[status], **(headers or {})}
    return JSONResponse({"error": message}, status_code=status, headers=headers)


def _install_error_handlers(app: FastAPI, metrics: Metrics) -> None:
    async def selfref_error(_request: Request, exc: Exception) -> JSONResponse:
        status = next(code for cls, code in ERROR_STATUS if isinstance(exc, cls))
        if status >= 500:
            log.error("%s: %s", type(exc).__name__, _first_line(exc))
        message = str(exc)
        if isinstance(exc, StorageError):
            metrics.database_errors.inc()
            if not isinstance(exc, SchemaOutdatedError):  # its message names what to run
                message = STORAGE_DOWN  # the log has the details; clients get no host or user
        return _error(status, message)

    async def bad_parameter(_request: Request, exc: Exception) -> JSONResponse:
        return _error(400, str(exc))

    async def validation_error(_request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        errors = exc.errors()
        if any(e.get("type") == "json_invalid" for e in errors):
            return _error(400, "request body is not valid JSON")
        return JSONResponse(
            {"error": "; ".join(_describe(e) for e in errors[:5]),
             "detail": [_plain(e) for e in errors[:20]]},
            status_code=422,
        )

    async def http_error(_request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        return _error(exc.status_code, str(exc.detail), dict(exc.headers or {}))

    async def unexpected(_request: Request, exc: Exception) -> JSONResponse:
        return _error(500, "internal error; see the daemon's log")

    app.add_exception_handler(SelfrefError, selfref_error)
    app.add_exception_handler(_BadParameter, bad_parameter)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(Exception, unexpected)


def _first_line(exc: Exception) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def _describe(error: Any) -> str:
    """`body.documents[3].text: Field required` from one pydantic error."""
    loc = ""
    for part in error.get("loc", ()):
        loc += f"[{part}]" if isinstance(part, int) else ("." if loc else "") + str(part)
    message = str(error.get("msg", "invalid"))
    if error.get("type") == "extra_forbidden":
        message = "unknown field"
    return f"{loc}: {message}" if loc else message


def _plain(error: Any) -> dict[str, Any]:
    """A pydantic error without its echoed input (which may be megabytes of text)."""
    return {"loc": list(error.get("loc", ())), "type": error.get("type"),
            "msg": str(error.get("msg"))}


# -- ASGI middleware --------------------------------------------------------------------


async def _send_json(send: Send, status: int, body: bytes,
                     headers: Iterable[tuple[bytes, bytes]] = ()) -> None:
    await send({
        "type": "http.response.start",
        "status": status,
        "headers": [(b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()), *headers],
    })
    await send({"type": "http.response.body", "body": body})


class _RequestMetrics:
    """Counts every HTTP response by route template (not raw path) and status."""

    def __init__(self, app: ASGIApp, metrics: Metrics, routes: list[BaseRoute]) -> None:
        self.app = app
        self.metrics = metrics
        self.routes = routes

    def _route(self, scope: Scope) -> str:
        for route in self.routes:
            match, _ = route.matches(scope)
            if match is not Match.NONE:
                return str(getattr(route, "path", "other"))
        return "other"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        route = self._route(scope)
        status = 500

        async def counting_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, counting_send)
        finally:
            self.metrics.observe_request(route, status)


class _BearerAuth:
    """`Authorization: Bearer <token>` on every path but `open_paths`; 401 otherwise.

    Reads (GET, HEAD) also pass with the dashboard cookie that `POST /login` sets; a browser
    asking for a page without either gets the login form with its 401.
    """

    def __init__(self, app: ASGIApp, token: str, open_paths: tuple[str, ...]) -> None:
        self.app = app
        self.raw_token = token
        self.token = token.encode("utf-8")
        self.open_paths = open_paths

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in self.open_paths:
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers", ()))
        header = headers.get(b"authorization", b"")
        scheme, _, presented = header.partition(b" ")
        read = scope["method"] in ("GET", "HEAD")
        if (scheme.lower() == b"bearer" and hmac.compare_digest(presented.strip(), self.token)) or (
            read and cookie_matches(headers.get(b"cookie", b""), self.raw_token)
        ):
            await self.app(scope, receive, send)
            return
        if read and not header and b"text/html" in headers.get(b"accept", b""):
            await self._login(scope, send)
            return
        if header:
            message = "invalid API token"
            challenge = b'Bearer realm="selfref", error="invalid_token"'
        else:
            message = "missing API token: send 'Authorization: Bearer <token>'"
            challenge = b'Bearer realm="selfref"'
        body = JSONResponse({"error": message}).body
        await _send_json(send, 401, bytes(body), [(b"www-authenticate", challenge)])


    @staticmethod
    async def _login(scope: Scope, send: Send) -> None:
        query = scope.get("query_string", b"").decode("latin-1")
        body = login_page(scope["path"] + (f"?{query}" if query else "")).encode()
        await send({
            "type": "http.response.start",
            "status": 401,
            "headers": [(b"content-type", b"text/html; charset=utf-8"),
                        (b"content-length", str(len(body)).encode()),
                        (b"www-authenticate", b'Bearer realm="selfref"')],
        })
        await send({"type": "http.response.body", "body": body})


class _BodyLimit:
    """Refuses request bodies over `max_bytes` with 413, by Content-Length or as they stream,
    and with 503 + Retry-After while the bodies held by requests in flight would pass
    `budget` bytes (so concurrent large requests cannot exhaust memory)."""

    def __init__(self, app: ASGIApp, max_bytes: int, budget: int) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.budget = budget
        self.held = 0  # bytes of bodies held by requests in flight (one event loop: no lock)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", ()):
            if name == b"content-length" and value.isdigit() and int(value) > self.max_bytes:
                await self._too_large(send)
                return
        held = 0
        try:
            # Buffer the body (FastAPI reads it whole anyway) so a chunked upload that grows
            # past the limit is refused before the app sees any of it.
            chunks: list[bytes] = []
            while True:
                message = await receive()
                if message["type"] == "http.disconnect":
                    return
                chunk = message.get("body", b"")
                held += len(chunk)
                self.held += len(chunk)
                if held > self.max_bytes:
                    await self._too_large(send)
                    return
                if self.held > self.budget:
                    await self._busy(send)
                    return
                chunks.append(chunk)
                if not message.get("more_body", False):
                    break
            body = b"".join(chunks)
            del chunks
            replayed = False

            async def replay() -> Message:
                nonlocal replayed
                if not replayed:
                    replayed = True
                    return {"type": "http.request", "body": body, "more_body": False}
                return await receive()

            await self.app(scope, replay, send)
        finally:
            self.held -= held

    async def _busy(self, send: Send) -> None:
        body = JSONResponse(
            {"error": "the server is busy with other large requests; retry shortly"}
        ).body
        await _send_json(send, 503, bytes(body), [(b"retry-after", b"2")])

    async def _too_large(self, send: Send) -> None:
        body = JSONResponse(
            {"error": f"request body larger than {self.max_bytes} bytes; "
                      f"send at most {MAX_DOCUMENTS} documents per request, in smaller batches"}
        ).body
        await _send_json(send, 413, bytes(body))
