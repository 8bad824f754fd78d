"""Limits alone: the body of a real loopback response, read under the fetch's limits."""

from __future__ import annotations

import gzip
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from conftest import Downstream, FakeClock, new_exchange

from selfref.crawlers.fetch import FetchSettings, FetchStatus
from selfref.crawlers.fetch.chain import Exchange
from selfref.crawlers.fetch.limits import ACCEPT_ENCODING, Limits
from tests.loopback import LoopbackServer

PAGE = b"<html><body><p>Grok said something.</p></body></html>"
Read = Callable[..., tuple[Exchange, Downstream]]


@pytest.fixture
def read(server: LoopbackServer, clock: FakeClock) -> Iterator[Read]:
    """GET a path of `server` and run Limits on the open response, as Send hands it on;
    `late` seconds pass on the fake clock between sending the request and reading."""
    with httpx.Client(trust_env=False, headers={"Accept-Encoding": ACCEPT_ENCODING}) as client:

        def run(
            path: str, *, timeout: float = 5.0, late: float = 0.0, **fields: Any
        ) -> tuple[Exchange, Downstream]:
            exchange, rest = new_exchange(server.url(path), **fields), Downstream()
            with client.stream("GET", exchange.url) as response:
                exchange.response, exchange.sent_at = response, clock()
                clock.sleep(late)
                Limits(FetchSettings(timeout=timeout), clock=clock)(exchange, rest)
            return exchange, rest

        yield run


def test_a_body_within_the_limits_goes_on(server: LoopbackServer, read: Read) -> None:
    server.add("/page", PAGE)
    exchange, rest = read("/page")
    assert rest.calls == [server.url("/page")] and exchange.body == PAGE
    assert exchange.result.content_type == "text/html"


def test_gzip_is_inflated_and_capped_by_its_inflated_size(
    server: LoopbackServer, read: Read
) -> None:
    server.add("/ok", gzip.compress(PAGE), headers={"Content-Encoding": "gzip"})
    server.add("/z", gzip.compress(b"x" * 5_000_000), headers={"Content-Encoding": "gzip"})
    assert read("/ok")[0].body == PAGE
    exchange, rest = read("/z", max_bytes=1_000_000)
    assert rest.calls == [] and exchange.body == b""
    assert exchange.result.status is FetchStatus.TOO_LARGE
    assert "body exceeds the limit of 1000000 bytes" in (exchange.result.error or "")


def test_a_streamed_body_is_cut_at_the_limit(server: LoopbackServer, read: Read) -> None:
    server.streamed("/huge", 5_000_000)
    exchange, rest = read("/huge", max_bytes=200_000)
    assert rest.calls == [] and exchange.result.status is FetchStatus.TOO_LARGE


def test_refused_unread(server: LoopbackServer, read: Read) -> None:
    server.add("/pdf", b"%PDF-1.7", content_type="application/pdf")
    server.add("/br", PAGE, headers={"Content-Encoding": "br"})
    server.add("/long", PAGE)
    pdf, br, long = read("/pdf"), read("/br"), read("/long", max_bytes=10)
    assert pdf[0].result.status is FetchStatus.UNSUPPORTED_TYPE
    assert "content type application/pdf is not fetched" in (pdf[0].result.error or "")
    assert br[0].result.status is FetchStatus.UNSUPPORTED_TYPE
    assert "content encoding 'br' is not accepted" in (br[0].result.error or "")
    assert long[0].result.status is FetchStatus.TOO_LARGE
    assert f"{len(PAGE)} bytes declared, limit is 10" in (long[0].result.error or "")
    assert [rest.calls for _, rest in (pdf, br, long)] == [[], [], []]
    assert read("/pdf", accept=frozenset({"*/*"}))[0].body == b"%PDF-1.7"


def test_a_corrupt_gzip_body_fails(server: LoopbackServer, read: Read) -> None:
    server.add("/bad", b"\x1f\x8b\x08\x00garbage-not-deflate", headers={"Content-Encoding": "gzip"})
    exchange, rest = read("/bad")
    assert rest.calls == [] and exchange.result.status is FetchStatus.FAILED
    assert "corrupt compressed body" in (exchange.result.error or "")


def test_a_body_past_its_deadline_is_a_read_timeout(server: LoopbackServer, read: Read) -> None:
    server.add("/page", PAGE)
    assert read("/page", timeout=0.5, late=0.5)[0].body == PAGE  # just in time
    with pytest.raises(httpx.ReadTimeout, match=r"body not complete within 0\.5 s"):
        read("/page", timeout=0.5, late=0.6)
