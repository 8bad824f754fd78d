"""`[api] max_concurrency`: a bound on checks in flight, so overload is refused at once.

A `POST /v1/check` beyond the bound gets 429 with `Retry-After` before its body is read,
instead of waiting in an unbounded queue behind the checks already running. Counted on the
event loop (one thread): no lock needed.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable

from starlette.types import ASGIApp, Receive, Scope, Send

__all__ = ["CheckLimit", "default_concurrency"]

RETRY_AFTER = 1  # seconds: a check takes tens of milliseconds, so a slot frees up soon
PATHS = ("/v1/check",)


def default_concurrency() -> int:
    """Checks are CPU-bound: about one per core runs without slowing the others."""
    return os.cpu_count() or 2


class CheckLimit:
    """ASGI middleware: at most `limit` checks at once; 429 + Retry-After beyond."""

    def __init__(self, app: ASGIApp, limit: int, on_reject: Callable[[], None]) -> None:
        self.app, self.limit, self.on_reject = app, limit, on_reject
        self.in_flight = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] not in PATHS or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        if self.in_flight >= self.limit:
            self.on_reject()
            body = json.dumps(
                {"error": f"{self.limit} checks already in flight; retry in {RETRY_AFTER} s"}
            ).encode()
            await send({
                "type": "http.response.start",
                "status": 429,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode()),
                            (b"retry-after", str(RETRY_AFTER).encode())],
            })  # fmt: skip
            await send({"type": "http.response.body", "body": body})
            return
        self.in_flight += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.in_flight -= 1
