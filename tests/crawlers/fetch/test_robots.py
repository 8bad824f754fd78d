"""Robots alone against a loopback site; robots.txt comes through a fetcher's `fetch`, as in
the chain (that fetch does not consult robots itself)."""

from __future__ import annotations

from collections.abc import Callable

from conftest import Downstream, new_exchange

from selfref.crawlers.fetch import Fetcher, FetchSettings, FetchStatus
from selfref.crawlers.fetch.robots import Robots
from tests.loopback import LoopbackServer

MakeFetcher = Callable[..., Fetcher]


def robots_for(make_fetcher: MakeFetcher, user_agent: str = "selfref/1.0") -> Robots:
    return Robots(FetchSettings(user_agent=user_agent), make_fetcher(retries=1).fetch)


def test_allowed_hops_go_on_disallowed_stop_and_robots_txt_is_read_once(
    server: LoopbackServer, make_fetcher: MakeFetcher
) -> None:
    server.add("/robots.txt", "User-agent: *\nDisallow: /private\n", content_type="text/plain")
    robots, rest = robots_for(make_fetcher), Downstream()
    robots(new_exchange(server.url("/public")), rest)
    private = new_exchange(server.url("/private/page"))
    robots(private, rest)
    assert rest.calls == [server.url("/public")]
    assert private.result.status is FetchStatus.DISALLOWED
    assert f"disallowed by robots.txt ({server.url('/robots.txt')})" in (private.result.error or "")
    assert server.paths() == ["/robots.txt"]


def test_the_group_for_our_product_token_wins(
    server: LoopbackServer, make_fetcher: MakeFetcher
) -> None:
    robots_txt = "User-agent: *\nDisallow: /\n\nUser-agent: selfref\nDisallow: /nobots\n"
    server.add("/robots.txt", robots_txt, content_type="text/plain")
    robots, rest = robots_for(make_fetcher, "selfref/2.0 (+https://example.org/bot)"), Downstream()
    assert robots.agent == "selfref"
    robots(new_exchange(server.url("/page")), rest)
    robots(new_exchange(server.url("/nobots")), rest)
    assert rest.calls == [server.url("/page")]


def test_unchecked_fetches_pass_without_robots_txt(
    server: LoopbackServer, make_fetcher: MakeFetcher
) -> None:
    robots, rest = robots_for(make_fetcher), Downstream()
    robots(new_exchange(server.url("/api"), robots=False), rest)
    assert rest.calls == [server.url("/api")]
    assert server.paths() == []


def test_a_missing_robots_txt_allows_all_and_an_unavailable_one_closes_the_site(
    server: LoopbackServer, make_fetcher: MakeFetcher
) -> None:
    robots, rest = robots_for(make_fetcher), Downstream()
    robots(new_exchange(server.url("/page")), rest)  # no route: 404
    assert rest.calls == [server.url("/page")]
    with LoopbackServer() as down:
        down.add("/robots.txt", "down", status=503)
        closed = new_exchange(down.url("/page"))
        robots(closed, rest)
        again = new_exchange(down.url("/other"))
        robots(again, rest)
        assert down.paths() == ["/robots.txt"] * 2  # retried once, then kept for the run
    assert rest.calls == [server.url("/page")]
    for exchange in (closed, again):
        assert exchange.result.status is FetchStatus.DISALLOWED
        assert "unavailable for this run" in (exchange.result.error or "")


def test_crawl_delay_and_sitemaps(server: LoopbackServer, make_fetcher: MakeFetcher) -> None:
    server.add(
        "/robots.txt",
        f"User-agent: *\nCrawl-delay: 5\nSitemap: {server.url('/s.xml')}\n",
        content_type="text/plain",
    )
    robots = robots_for(make_fetcher)
    assert robots.crawl_delay(server.url("/page")) is None  # only what was fetched already
    assert server.paths() == []
    assert robots.sitemaps(server.url("/")) == [server.url("/s.xml")]
    assert robots.crawl_delay(server.url("/page")) == 5.0
    assert server.paths() == ["/robots.txt"]
