"""Limits of the served HTTP API, so slow or many clients cannot hold it before auth.

- `[api] header_timeout`: a connection must send a request's headers within this time
  (counted from the connection, or from the end of the previous response); a client that
  trickles them is disconnected. uvicorn has no such limit of its own.
- `[api] keep_alive_timeout`: an idle kept-alive connection is closed after this.
- `[api] max_connections`: connections and requests at once; beyond it uvicorn answers 503.
- `[api] request_timeout`: a request not answered within this time (a slow upload, or a
  check that runs too long) gets 503 with Retry-After.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from selfref.config import ApiSettings

__all__ = ["RequestTimeLimit", "server_config"]

ASGIApp = Any


class _HeaderDeadline(H11Protocol):
    """uvicorn's h11 protocol with a deadline for each request's headers."""

    header_timeout = 10.0

    def connection_made(self, transport: Any) -> None:
        super().connection_made(transport)
        self._arm()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing():
            self._arm()

    def handle_events(self) -> None:
        super().handle_events()
        if self.cycle is not self._waiting_cycle:  # a new request's headers are complete
            self._disarm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _arm(self) -> None:
        self._disarm()
        self._waiting_cycle = self.cycle
        self._header_timer: asyncio.TimerHandle | None = self.loop.call_later(
            self.header_timeout, self._headers_late
        )

    def _disarm(self) -> None:
        timer = getattr(self, "_header_timer", None)
        if timer is not None:
            timer.cancel()
        self._header_timer = None
        self._waiting_cycle = self.cycle

    def _headers_late(self) -> None:
        self._header_timer = None
        if not self.transport.is_closing():
            self.transport.close()


class RequestTimeLimit:
    """ASGI middleware: a request not answered within `seconds` gets 503 + Retry-After."""

    def __init__(self, app: ASGIApp, seconds: float) -> None:
        self.app, self.seconds = app, seconds

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracked(message: dict[str, Any]) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await asyncio.wait_for(self.app(scope, receive, tracked), self.seconds)
        except TimeoutError:
            if started:  # too late for a status: end the response where it is
                await send({"type": "http.response.body", "body": b"", "more_body": False})
                return
            body = json.dumps(
                {"detail": f"request not answered within {self.seconds:g} s; retry later"}
            ).encode()
            await send(
                {
                    "type": "http.response.start",
                    "status": 503,
                    "headers": [
                        (b"content-type", b"application/json"),
                        (b"content-length", str(len(body)).encode()),
                        (b"retry-after", b"5"),
                        (b"connection", b"close"),
                    ],
                }
            )
            await send({"type": "http.response.body", "body": body})


def server_config(app: ASGIApp, host: str, port: int, api: ApiSettings) -> uvicorn.Config:
    """The uvicorn config that serves `app` with the `[api]` limits (see the module doc)."""
    protocol = type(
        "HeaderDeadlineH11",
        (_HeaderDeadline,),
        {"header_timeout": api.header_timeout.total_seconds()},
    )
    return uvicorn.Config(
        RequestTimeLimit(app, api.request_timeout.total_seconds()),
        host=host,
        port=port,
        log_level="info",
        http=protocol,
        timeout_keep_alive=max(1, round(api.keep_alive_timeout.total_seconds())),
        limit_concurrency=api.max_connections,
    )
