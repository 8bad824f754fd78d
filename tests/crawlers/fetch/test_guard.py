"""Guard alone, with the hub's AddressGuard on a fixed resolver: nothing is sent."""

from __future__ import annotations

from conftest import Downstream, new_exchange

from selfref.crawlers.fetch import FetchStatus
from selfref.crawlers.fetch.guard import Guard
from selfref.netguard import AddressGuard


def _resolver(host: str, port: int) -> list[str]:
    if host == "down.example":
        raise OSError("Temporary failure in name resolution")
    return {"evil.example": ["10.0.0.5"], "news.example": ["93.184.216.34"]}[host]


GUARD = Guard(AddressGuard(allow_private=False, resolver=_resolver))


def test_a_public_address_goes_on() -> None:
    rest = Downstream()
    exchange = new_exchange("https://news.example/story")
    GUARD(exchange, rest)
    assert rest.calls == ["https://news.example/story"]
    assert exchange.result.error is None


def test_a_private_address_is_blocked() -> None:
    rest = Downstream()
    exchange = new_exchange("http://evil.example/latest/meta-data/")
    GUARD(exchange, rest)
    assert rest.calls == []
    assert exchange.result.status is FetchStatus.BLOCKED
    assert "10.0.0.5" in (exchange.result.error or "")


def test_a_name_that_does_not_resolve_fails_for_now() -> None:
    rest = Downstream()
    exchange = new_exchange("https://down.example/")
    GUARD(exchange, rest)
    assert rest.calls == []
    assert exchange.result.status is FetchStatus.FAILED
    assert "cannot resolve down.example" in (exchange.result.error or "")


def test_only_http_and_https_even_without_a_check() -> None:
    rest = Downstream()
    exchange = new_exchange("ftp://news.example/file")
    Guard(None)(exchange, rest)
    assert rest.calls == []
    assert exchange.result.status is FetchStatus.FAILED
    assert "only http and https" in (exchange.result.error or "")
    Guard(None)(new_exchange("http://10.0.0.5/"), rest)
    assert rest.calls == ["http://10.0.0.5/"]
