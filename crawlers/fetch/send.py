"""Send: one streamed GET, and what its status code means for the fetch."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import httpx

from selfref.crawlers.fetch.chain import Exchange, Next, Retryable
from selfref.crawlers.fetch.result import FetchStatus

__all__ = ["REDIRECTS", "Send", "retry_after"]

REDIRECTS = frozenset({301, 302, 303, 307, 308})


class Send:
    """Sends the hop's GET on `client` (which must not follow redirects) and sorts the answer.

    A redirect leaves its Location in `exchange.location`; 429, 5xx, timeouts and network
    errors raise `Retryable`; 304, 404, 410 and other codes end the fetch; a 2xx goes on to
    the next steps as `exchange.response`, open until they return.
    """

    def __init__(self, client: httpx.Client, *, clock: Callable[[], float]) -> None:
        self._client = client
        self._clock = clock

    def __call__(self, exchange: Exchange, call_next: Next) -> None:
        result, url = exchange.result, exchange.url
        result.attempts += 1
        exchange.sent_at = self._clock()
        try:
            with self._client.stream("GET", url, headers=exchange.headers) as response:
                self._answer(exchange, response, call_next)
        except (httpx.TimeoutException, httpx.NetworkError) as exc:
            raise Retryable(f"{type(exc).__name__}: {exc or 'no detail'}") from exc
        except httpx.RemoteProtocolError as exc:
            # httpx parses a redirect's Location itself and says so when it is not a URL
            if "location header" not in str(exc).lower():
                raise Retryable(f"{type(exc).__name__}: {exc or 'no detail'}") from exc
            result.status = FetchStatus.FAILED
            result.error = f"{url}: InvalidURL: {exc}"
        except (httpx.HTTPError, httpx.InvalidURL) as exc:
            result.status = FetchStatus.FAILED
            result.error = f"{url}: {type(exc).__name__}: {exc}"

    def _answer(self, exchange: Exchange, response: httpx.Response, call_next: Next) -> None:
        result, url = exchange.result, exchange.url
        code = response.status_code
        result.http_status = code
        if code in REDIRECTS and "location" in response.headers:
            exchange.location = response.headers["location"]
            return
        if code == 429 or code >= 500:
            reason = f"HTTP {code} {response.reason_phrase}".strip()
            raise Retryable(reason, code, retry_after(response.headers))
        result.etag = response.headers.get("etag", result.etag)
        result.last_modified = response.headers.get("last-modified")
        if code == 304:
            result.status = FetchStatus.NOT_MODIFIED
            result.etag = result.etag or exchange.headers.get("If-None-Match")
            result.last_modified = result.last_modified or exchange.headers.get("If-Modified-Since")
        elif code in (404, 410):
            result.status = FetchStatus.NOT_FOUND if code == 404 else FetchStatus.GONE
            result.error = f"{url}: HTTP {code}"
        elif not 200 <= code < 300:
            result.status = FetchStatus.FAILED
            result.error = f"{url}: HTTP {code} {response.reason_phrase}".strip()
        else:
            exchange.response = response
            call_next(exchange)


def retry_after(headers: httpx.Headers) -> float | None:
    """Seconds from a Retry-After header (delta or HTTP date, against the server's Date)."""
    value = headers.get("retry-after", "").strip()
    if not value:
        return None
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
        date = headers.get("date")
        now = parsedate_to_datetime(date) if date else datetime.now(UTC)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None or now.tzinfo is None:
        return None
    return max(0.0, (when - now).total_seconds())
