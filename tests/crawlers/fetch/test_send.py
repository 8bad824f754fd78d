"""Send alone against a loopback server: one GET and what its status means."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from conftest import Downstream, FakeClock, new_exchange

from selfref.crawlers.fetch import FetchStatus
from selfref.crawlers.fetch.chain import Exchange, Retryable
from selfref.crawlers.fetch.send import Send, retry_after
from tests.loopback import LoopbackServer, send


@pytest.fixture
def step(clock: FakeClock) -> Iterator[Send]:
    with httpx.Client(follow_redirects=False, trust_env=False, timeout=5.0) as client:
        yield Send(client, clock=clock)


def test_a_2xx_goes_on_with_its_response_open(server: LoopbackServer, step: Send) -> None:
    server.add("/page", "<p>hi</p>", headers={"ETag": '"v1"', "Last-Modified": "Wed, 09 Jul 2025"})
    bodies: list[bytes] = []

    def read(exchange: Exchange) -> None:
        assert exchange.response is not None and not exchange.response.is_closed
        bodies.append(exchange.response.read())

    rest = Downstream(read)
    exchange = new_exchange(server.url("/page"), headers={"If-None-Match": '"v0"'})
    step(exchange, rest)
    assert bodies == [b"<p>hi</p>"]
    assert exchange.response is not None and exchange.response.is_closed  # after the rest
    assert exchange.result.attempts == 1 and exchange.result.http_status == 200
    assert (exchange.result.etag, exchange.result.last_modified) == ('"v1"', "Wed, 09 Jul 2025")
    assert exchange.sent_at == 1000.0  # on the fetch's clock, for the body's deadline
    assert server.requests[-1].headers["if-none-match"] == '"v0"'


def test_a_redirect_leaves_its_location(server: LoopbackServer, step: Send) -> None:
    server.redirect("/old", "/new", status=301)
    rest = Downstream()
    exchange = new_exchange(server.url("/old"))
    step(exchange, rest)
    assert rest.calls == [] and exchange.location == "/new"
    assert exchange.result.http_status == 301


def test_429_and_5xx_are_retryable_with_retry_after(server: LoopbackServer, step: Send) -> None:
    server.add("/busy", "later", status=429, headers={"Retry-After": "7"})
    server.add("/down", "down", status=503)
    with pytest.raises(Retryable) as busy:
        step(new_exchange(server.url("/busy")), Downstream())
    assert (busy.value.http_status, busy.value.retry_after) == (429, 7.0)
    assert str(busy.value) == "HTTP 429 Too Many Requests"
    with pytest.raises(Retryable) as down:
        step(new_exchange(server.url("/down")), Downstream())
    assert (down.value.http_status, down.value.retry_after) == (503, None)


@pytest.mark.parametrize(
    ("status", "outcome", "error"),
    [
        (404, FetchStatus.NOT_FOUND, "HTTP 404"),
        (410, FetchStatus.GONE, "HTTP 410"),
        (403, FetchStatus.FAILED, "HTTP 403 Forbidden"),
    ],
)
def test_final_answers_end_the_fetch(
    server: LoopbackServer, step: Send, status: int, outcome: FetchStatus, error: str
) -> None:
    server.add("/x", "no", status=status)
    rest = Downstream()
    exchange = new_exchange(server.url("/x"))
    step(exchange, rest)
    assert rest.calls == []
    assert exchange.result.status is outcome and exchange.result.http_status == status
    assert exchange.result.error == f"{server.url('/x')}: {error}"


def test_304_keeps_the_validators_sent(server: LoopbackServer, step: Send) -> None:
    server.routes["/same"] = lambda h: send(h, b"", 304, None)
    exchange = new_exchange(
        server.url("/same"), headers={"If-None-Match": '"v1"', "If-Modified-Since": "Wed"}
    )
    step(exchange, Downstream())
    assert exchange.result.status is FetchStatus.NOT_MODIFIED
    assert (exchange.result.etag, exchange.result.last_modified) == ('"v1"', "Wed")


def test_a_refused_connection_is_retryable(step: Send) -> None:
    with LoopbackServer() as closed:
        url = closed.url("/page")
    exchange = new_exchange(url)
    with pytest.raises(Retryable, match="ConnectError"):
        step(exchange, Downstream())
    assert exchange.result.attempts == 1


def test_a_location_that_is_no_url_fails_at_once(server: LoopbackServer, step: Send) -> None:
    server.redirect("/r", "http://[::1/broken")
    exchange = new_exchange(server.url("/r"))
    step(exchange, Downstream())
    assert exchange.result.status is FetchStatus.FAILED
    assert "InvalidURL" in (exchange.result.error or "")
    assert "location header" in (exchange.result.error or "").lower()


def test_retry_after_as_seconds_or_http_date() -> None:
    assert retry_after(httpx.Headers({"Retry-After": "120"})) == 120.0
    dated = httpx.Headers(
        {"Date": "Wed, 09 Jul 2025 10:00:00 GMT", "Retry-After": "Wed, 09 Jul 2025 10:00:30 GMT"}
    )
    assert retry_after(dated) == 30.0
    assert retry_after(httpx.Headers({"Retry-After": "soon"})) is None
    assert retry_after(httpx.Headers()) is None
