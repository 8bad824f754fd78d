"""Redirect alone: the rest of the chain is a table of Location answers."""

from __future__ import annotations

from conftest import Downstream, new_exchange

from selfref.crawlers.fetch import FetchSettings, FetchStatus
from selfref.crawlers.fetch.chain import Exchange
from selfref.crawlers.fetch.redirect import Redirect


def answering(locations: dict[str, str]) -> Downstream:
    """The rest of the chain: each hop's answer redirects to `locations[url]`, if any."""

    def answer(exchange: Exchange) -> None:
        exchange.location = locations.get(exchange.url)

    return Downstream(answer)


def test_each_hop_runs_the_rest_of_the_chain_again() -> None:
    rest = answering({"https://e.org/old": "/new", "https://e.org/new": "https://f.org/last"})
    exchange = new_exchange("https://e.org/old")
    Redirect(FetchSettings())(exchange, rest)
    assert rest.calls == ["https://e.org/old", "https://e.org/new", "https://f.org/last"]
    assert exchange.result.redirects == ["https://e.org/new", "https://f.org/last"]
    assert exchange.result.final_url == "https://f.org/last"
    assert exchange.result.url == "https://e.org/old"


def test_an_answer_without_location_is_the_last_hop() -> None:
    rest = answering({})
    exchange = new_exchange("https://e.org/page")
    Redirect(FetchSettings())(exchange, rest)
    assert rest.calls == ["https://e.org/page"]
    assert exchange.result.redirects == [] and exchange.result.error is None


def test_a_loop_back_to_a_visited_url_stops() -> None:
    rest = answering({"https://e.org/a": "/b", "https://e.org/b": "/a"})
    exchange = new_exchange("https://e.org/a")
    Redirect(FetchSettings())(exchange, rest)
    assert rest.calls == ["https://e.org/a", "https://e.org/b"]
    assert exchange.result.status is FetchStatus.REDIRECT_LOOP
    assert exchange.result.error == "https://e.org/a: redirect loop back to https://e.org/a"


def test_more_than_max_redirects_stops() -> None:
    rest = answering({f"https://e.org/r{i}": f"/r{i + 1}" for i in range(10)})
    exchange = new_exchange("https://e.org/r0")
    Redirect(FetchSettings(max_redirects=2))(exchange, rest)
    assert rest.calls == ["https://e.org/r0", "https://e.org/r1", "https://e.org/r2"]
    assert exchange.result.redirects == ["https://e.org/r1", "https://e.org/r2"]
    assert exchange.result.status is FetchStatus.REDIRECT_LOOP
    assert "more than 2 redirects" in (exchange.result.error or "")
