"""The plumbing of the fetch chain: what passes down it, what a step is, how steps are joined.

A step does its one job and then calls the rest of the chain with the exchange, or fills
`exchange.result` and returns to end the fetch there. A step that wraps the rest (a loop,
a lock, an open response) sees it finish when `call_next` returns.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import httpx

from selfref.crawlers.fetch.result import FetchResult

__all__ = ["Exchange", "Next", "Retryable", "Step", "chain", "media_type"]


@dataclass
class Exchange:
    """One fetch on its way down the chain.

    `result` is what the caller gets back; its `final_url` is the hop being fetched. The
    request's own fields come first; `location`, `sent_at`, `response` and `body` are what
    one hop's answer leaves for the steps around and after the one that set them.
    """

    result: FetchResult
    headers: dict[str, str]
    accept: frozenset[str]
    max_bytes: int
    robots: bool
    location: str | None = None
    sent_at: float = 0.0
    response: httpx.Response | None = None
    body: bytes = b""

    @property
    def url(self) -> str:
        """The URL of the hop being fetched."""
        return self.result.final_url


Next = Callable[[Exchange], None]
Step = Callable[[Exchange, Next], None]
"""One job on the way to a fetched page: `step(exchange, call_next)`."""


class Retryable(Exception):
    """An attempt failed in a way worth repeating; raised under `Retry`, which catches it."""

    def __init__(
        self, message: str, http_status: int | None = None, retry_after: float | None = None
    ) -> None:
        super().__init__(message)
        self.http_status = http_status
        self.retry_after = retry_after


def chain(steps: Sequence[Step]) -> Next:
    """The steps joined in their order: each one's `call_next` runs the steps after it."""
    rest: Next = _end
    for step in reversed(steps):
        rest = _link(step, rest)
    return rest


def _link(step: Step, rest: Next) -> Next:
    return lambda exchange: step(exchange, rest)


def _end(exchange: Exchange) -> None:
    """After the last step: nothing left to do."""


def media_type(headers: httpx.Headers) -> tuple[str, str | None]:
    """The lower-cased MIME type of a Content-Type header and its charset parameter."""
    mime, _, params = headers.get("content-type", "").partition(";")
    for param in params.split(";"):
        key, _, value = param.partition("=")
        if key.strip().lower() == "charset":
            return mime.strip().lower(), value.strip().strip("\"'") or None
    return mime.strip().lower(), None
