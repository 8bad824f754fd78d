"""The fetcher against a real loopback server and against httpx.MockTransport."""

from __future__ import annotations

import gzip
import random
import threading
import tracemalloc
import zlib
from collections.abc import Callable

import httpx
import pytest
from conftest import FakeClock

from selfref.crawlers.fetch import (
    Fetcher,
    FetchRequest,
    FetchSettings,
    FetchStatus,
    decode_body,
    looks_binary,
)
from selfref.netguard import AddressGuard
from tests.loopback import LoopbackServer, send

MakeFetcher = Callable[..., Fetcher]
PAGE = "<html><head><title>t</title></head><body><p>Grok said something.</p></body></html>"


def mock(handler: Callable[[httpx.Request], httpx.Response]) -> httpx.MockTransport:
    """A transport answering robots.txt with 404 and everything else with `handler`."""

    def route(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/robots.txt":
            return httpx.Response(404)
        return handler(request)

    return httpx.MockTransport(route)


def html(
    body: str = PAGE, status: int = 200, headers: dict[str, str] | None = None
) -> httpx.Response:
    return httpx.Response(
        status, content=body.encode(), headers={"Content-Type": "text/html", **(headers or {})}
    )


# --- basics -------------------------------------------------------------------------------


def test_page_is_fetched_with_user_agent_and_robots_fetched_once(
    server: LoopbackServer, make_fetcher: MakeFetcher
) -> None:
    server.add(
        "/a", PAGE, headers={"ETag": '"v1"', "Last-Modified": "Wed, 09 Jul 2025 10:00:00 GMT"}
    )
    server.add("/b", PAGE)
    fetcher = make_fetcher(user_agent="selfref-test/1.0 (+https://example.org/bot)")
    a = fetcher.fetch(server.url("/a"))
    b = fetcher.fetch(server.url("/b"))
    assert a.status is FetchStatus.OK and b.ok
    assert a.text == PAGE and a.body == PAGE.encode()
    assert a.http_status == 200
    assert a.content_type == "text/html"
    assert a.encoding == "utf-8"
    assert a.etag == '"v1"'
    assert a.last_modified == "Wed, 09 Jul 2025 10:00:00 GMT"
    assert a.attempts == 1 and a.error is None and a.redirects == []
    assert server.paths() == ["/robots.txt", "/a", "/b"]
    assert {r.headers["user-agent"] for r in server.requests} == {
        "selfref-test/1.0 (+https://example.org/bot)"
    }


def test_404_and_410(server: LoopbackServer, make_fetcher: MakeFetcher) -> None:
    server.add("/gone", "gone", status=410)
    fetcher = make_fetcher()
    missing = fetcher.fetch(server.url("/missing"))
    gone = fetcher.fetch(server.url("/gone"))
    assert missing.status is FetchStatus.NOT_FOUND and missing.http_status == 404
    assert gone.status is FetchStatus.GONE and gone.http_status == 410
    assert missing.attempts == 1 and gone.attempts == 1
    assert "HTTP 410" in (gone.error or "")


def test_other_client_errors_fail_without_retry(make_fetcher: MakeFetcher) -> None:
    calls: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(str(request.url))
        return html("no", status=403)

    result = make_fetcher(transport=mock(handler)).fetch("https://example.org/x")
    assert result.status is FetchStatus.FAILED and result.http_status == 403
    assert len(calls) == 1
    assert "403" in (result.error or "")


def test_only_http_urls(make_fetcher: MakeFetcher) -> None:
    result = make_fetcher(transport=mock(lambda r: html())).fetch("ftp://example.org/file")
    assert result.status is FetchStatus.FAILED
    assert "only http and https" in (result.error or "")


def test_settings_are_validated() -> None:
    with pytest.raises(ValueError, match="per_host_delay"):
        FetchSettings(per_host_delay=-1)
    with pytest.raises(ValueError, match="concurrency"):
        FetchSettings(concurrency=0)


# --- robots.txt ---------------------------------------------------------------------------


def test_robots_disallow_is_obeyed(server: LoopbackServer, make_fetcher: MakeFetcher) -> None:
    server.add("/robots.txt", "User-agent: *\nDisallow: /private\n", content_type="text/plain")
    server.add("/private/page", PAGE)
    server.add("/public", PAGE)
    fetcher = make_fetcher()
    assert fetcher.fetch(server.url("/public")).ok
    result = fetcher.fetch(server.url("/private/page"))
    assert result.status is FetchStatus.DISALLOWED
    assert "robots.txt" in (result.error or "")
    assert server.paths() == ["/robots.txt", "/public"]


def test_robots_group_for_our_product_token(
    server: LoopbackServer, make_fetcher: MakeFetcher
) -> None:
    robots = "User-agent: *\nDisallow: /\n\nUser-agent: selfref\nDisallow: /nobots\n"
    server.add("/robots.txt", robots, content_type="text/plain")
    server.add("/nobots", PAGE)
    server.add("/page", PAGE)
    fetcher = make_fetcher(user_agent="selfref/2.0 (+https://example.org/bot)")
    assert fetcher.fetch(server.url("/nobots")).status is FetchStatus.DISALLOWED
    assert fetcher.fetch(server.url("/page")).ok  # our group replaces the * group


def test_robots_server_error_disallows_the_host_for_this_run(
    server: LoopbackServer, make_fetcher: MakeFetcher
) -> None:
    server.add("/robots.txt", "down", status=503)
    server.add("/page", PAGE)
    fetcher = make_fetcher(retries=1)
    first = fetcher.fetch(server.url("/page"))
    second = fetcher.fetch(server.url("/page"))
    assert first.status is FetchStatus.DISALLOWED and second.status is FetchStatus.DISALLOWED
    assert "unavailable" in (first.error or "")
    assert server.paths() == ["/robots.txt", "/robots.txt"]  # one retry, then cached


def test_robots_sitemap_lines(server: LoopbackServer, make_fetcher: MakeFetcher) -> None:
    server.add("/robots.txt", f"Sitemap: {server.url('/s.xml')}\n", content_type="text/plain")
    assert make_fetcher().robots_sitemaps(server.url("/")) == [server.url("/s.xml")]


def test_per_host_spacing_and_crawl_delay(clock: FakeClock, make_fetcher: MakeFetcher) -> None:
    seen: list[tuple[str, float]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append((f"{request.url.host}{request.url.path}", clock()))
        if request.url.path == "/robots.txt":
            if request.url.host == "slow.example":
                return httpx.Response(200, text="User-agent: *\nCrawl-delay: 5\n")
            return httpx.Response(404)
        return html()

    fetcher = make_fetcher(transport=httpx.MockTransport(handler), per_host_delay=2.0)
    for path in ("/1", "/2", "/3"):
        assert fetcher.fetch(f"https://fast.example{path}").ok
    for path in ("/1", "/2"):
        assert fetcher.fetch(f"https://slow.example{path}").ok
    start = seen[0][1]
    assert [(p, t - start) for p, t in seen] == [
        ("fast.example/robots.txt", 0.0),
        ("fast.example/1", 2.0),
        ("fast.example/2", 4.0),
        ("fast.example/3", 6.0),
        ("slow.example/robots.txt", 6.0),  # another host does not wait for fast.example
        ("slow.example/1", 8.0),  # the robots request was spaced before Crawl-delay was known
        ("slow.example/2", 13.0),
    ]


# --- conditional GET, retries -------------------------------------------------------------


def test_conditional_get_by_etag(server: LoopbackServer, make_fetcher: MakeFetcher) -> None:
    server.add("/page", PAGE, etag='"abc"')
    fetcher = make_fetcher()
    first = fetcher.fetch(server.url("/page"))
    assert first.ok and first.etag == '"abc"'
    again = fetcher.fetch(server.url("/page"), etag=first.etag)
    assert again.status is FetchStatus.NOT_MODIFIED and again.http_status == 304
    assert again.body == b"" and again.text == ""
    assert again.etag == '"abc"'
    assert server.requests[-1].headers["if-none-match"] == '"abc"'
    changed = fetcher.fetch(server.url("/page"), etag='"old"')
    assert changed.ok and changed.text == PAGE


def test_conditional_get_by_last_modified(make_fetcher: MakeFetcher) -> None:
    stamp = "Wed, 09 Jul 2025 10:00:00 GMT"

    def handler(request: httpx.Request) -> httpx.Response:
        if request.headers.get("if-modified-since") == stamp:
            return httpx.Response(304)
        return html(headers={"Last-Modified": stamp})

    fetcher = make_fetcher(transport=mock(handler))
    assert fetcher.fetch("https://example.org/p").last_modified == stamp
    result = fetcher.fetch("https://example.org/p", last_modified=stamp)
    assert result.status is FetchStatus.NOT_MODIFIED
    assert result.last_modified == stamp


def test_429_retry_after_seconds_is_honoured(
    server: LoopbackServer, make_fetcher: MakeFetcher, clock: FakeClock
) -> None:
    server.sequence(
        "/busy",
        lambda h: send(h, b"slow down", 429, "text/plain", {"Retry-After": "7"}),
        lambda h: send(h, PAGE.encode()),
    )
    result = make_fetcher().fetch(server.url("/busy"))
    assert result.ok and result.attempts == 2
    assert clock.sleeps == [7.0]
    assert server.paths() == ["/robots.txt", "/busy", "/busy"]


def test_too_long_retry_after_gives_up_for_the_hub_to_reschedule(
    server: LoopbackServer, make_fetcher: MakeFetcher, clock: FakeClock
) -> None:
    server.add("/busy", "later", status=429, headers={"Retry-After": "3600"})
    result = make_fetcher(max_retry_after=120).fetch(server.url("/busy"))
    assert result.status is FetchStatus.FAILED and result.http_status == 429
    assert result.retry_after == 3600.0
    assert result.attempts == 1 and clock.sleeps == []
    assert "try again later" in (result.error or "")


def test_retry_after_as_http_date(make_fetcher: MakeFetcher, clock: FakeClock) -> None:
    answers = iter(
        [
            httpx.Response(
                503,
                headers={
                    "Date": "Wed, 09 Jul 2025 10:00:00 GMT",
                    "Retry-After": "Wed, 09 Jul 2025 10:00:30 GMT",
                },
            ),
            html(),
        ]
    )
    result = make_fetcher(transport=mock(lambda r: next(answers))).fetch("https://example.org/")
    assert result.ok and clock.sleeps == [30.0]


def test_5xx_retries_with_capped_full_jitter_backoff(
    make_fetcher: MakeFetcher, clock: FakeClock
) -> None:
    fetcher = make_fetcher(
        transport=mock(lambda r: httpx.Response(502)),
        retries=5,
        backoff_base=1.0,
        backoff_cap=3.0,
        rng=random.Random(7),
    )
    result = fetcher.fetch("https://example.org/down")
    assert result.status is FetchStatus.FAILED and result.http_status == 502
    assert result.attempts == 6
    assert "after 6 attempts" in (result.error or "")
    assert len(clock.sleeps) == 5
    for attempt, slept in enumerate(clock.sleeps, start=1):
        assert 0 <= slept <= min(3.0, 2 ** (attempt - 1))
    assert len(set(clock.sleeps)) == 5  # jittered, not fixed


def test_connection_errors_and_timeouts_are_retried(make_fetcher: MakeFetcher) -> None:
    failures: list[Exception] = [httpx.ConnectError("refused"), httpx.ReadTimeout("slow")]

    def handler(request: httpx.Request) -> httpx.Response:
        if failures:
            raise failures.pop(0)
        return html()

    result = make_fetcher(transport=mock(handler)).fetch("https://example.org/flaky")
    assert result.ok and result.attempts == 3


def test_persistent_timeouts_fail_with_a_clear_error(make_fetcher: MakeFetcher) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("timed out")

    result = make_fetcher(transport=mock(handler), retries=2).fetch("https://example.org/x")
    assert result.status is FetchStatus.FAILED and result.attempts == 3
    assert "ReadTimeout" in (result.error or "") and "https://example.org/x" in (result.error or "")


def test_refused_connection_on_loopback(make_fetcher: MakeFetcher) -> None:
    with LoopbackServer() as closed:
        url = closed.url("/page")
    result = make_fetcher(retries=1).fetch(url)
    assert result.status is FetchStatus.DISALLOWED  # robots.txt unreachable: host off limits
    robots_less = make_fetcher(retries=1)
    # Straight to the page when robots are not consulted, as for documented APIs.
    direct = robots_less.fetch(url, robots=False)
    assert direct.status is FetchStatus.FAILED and direct.attempts == 2
    assert "ConnectError" in (direct.error or "")


def test_trickling_server_hits_the_read_deadline(
    server: LoopbackServer, make_fetcher: MakeFetcher
) -> None:
    # A byte every 20 ms for 5 s keeps the 0.3 s read timeout happy; the body's deadline
    # is kept on the fetcher's clock, here one that moves 0.1 s at each reading, so it
    # passes after a few bytes of each attempt however fast or slow the machine is.
    server.trickle("/slow", interval=0.02)
    clock = FakeClock(step=0.1)
    fetcher = make_fetcher(clock=clock, sleep=clock.sleep, timeout=0.3, retries=1)
    result = fetcher.fetch(server.url("/slow"))
    assert result.status is FetchStatus.FAILED and result.attempts == 2
    assert "not complete within 0.3 s" in (result.error or "")
    assert result.body == b""


# --- redirects and the SSRF guard ---------------------------------------------------------


def test_redirect_is_followed(server: LoopbackServer, make_fetcher: MakeFetcher) -> None:
    server.redirect("/old", "/new", status=301)
    server.add("/new", PAGE)
    result = make_fetcher().fetch(server.url("/old"))
    assert result.ok and result.final_url == server.url("/new")
    assert result.redirects == [server.url("/new")]
    assert result.url == server.url("/old")


def test_redirect_loop(server: LoopbackServer, make_fetcher: MakeFetcher) -> None:
    server.redirect("/a", "/b")
    server.redirect("/b", "/a")
    result = make_fetcher().fetch(server.url("/a"))
    assert result.status is FetchStatus.REDIRECT_LOOP
    assert result.redirects == [server.url("/b")]
    assert "loop" in (result.error or "")


def test_redirect_limit(server: LoopbackServer, make_fetcher: MakeFetcher) -> None:
    for i in range(10):
        server.redirect(f"/r{i}", f"/r{i + 1}")
    result = make_fetcher(max_redirects=5).fetch(server.url("/r0"))
    assert result.status is FetchStatus.REDIRECT_LOOP
    assert len(result.redirects) == 5
    assert "more than 5 redirects" in (result.error or "")


def _fake_resolver(host: str, port: int) -> list[str]:
    # 127.0.0.1 plays a public web server; evil.example is a public name on a private address.
    return {"evil.example": ["10.0.0.5"], "127.0.0.1": ["93.184.216.34"]}[host]


def test_guard_blocks_a_name_resolving_to_a_private_address(make_fetcher: MakeFetcher) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise AssertionError(f"the guard should have stopped {request.url}")

    guard = AddressGuard(allow_private=False, resolver=_fake_resolver)
    result = make_fetcher(transport=httpx.MockTransport(handler), guard=guard).fetch(
        "http://evil.example/admin"
    )
    assert result.status is FetchStatus.BLOCKED
    assert "10.0.0.5" in (result.error or "")


def test_a_name_that_does_not_resolve_is_a_failure_not_a_block(
    make_fetcher: MakeFetcher,
) -> None:
    def no_dns(host: str, port: int) -> list[str]:
        raise OSError("Temporary failure in name resolution")

    def handler(request: httpx.Request) -> httpx.Response:
        raise AssertionError(f"nothing should be requested: {request.url}")

    guard = AddressGuard(allow_private=False, resolver=no_dns)
    result = make_fetcher(transport=httpx.MockTransport(handler), guard=guard).fetch(
        "http://news.example/story"
    )
    assert result.status is FetchStatus.FAILED
    assert "cannot resolve news.example" in (result.error or "")


def test_guard_runs_on_every_redirect_hop(
    server: LoopbackServer, make_fetcher: MakeFetcher
) -> None:
    server.redirect("/jump", "http://evil.example/latest/meta-data/")
    guard = AddressGuard(allow_private=False, resolver=_fake_resolver)
    result = make_fetcher(guard=guard).fetch(server.url("/jump"))
    assert result.status is FetchStatus.BLOCKED
    assert result.redirects == ["http://evil.example/latest/meta-data/"]
    assert "10.0.0.5" in (result.error or "")
    assert server.paths() == ["/robots.txt", "/jump"]


def test_guard_allowing_private_addresses(
    server: LoopbackServer, make_fetcher: MakeFetcher
) -> None:
    server.add("/page", PAGE)
    assert make_fetcher(guard=AddressGuard(allow_private=True)).fetch(server.url("/page")).ok
    blocked = make_fetcher(guard=AddressGuard(allow_private=False)).fetch(server.url("/page"))
    assert blocked.status is FetchStatus.BLOCKED
    assert server.paths() == ["/robots.txt", "/page"]


# --- bodies: size, type, charset ----------------------------------------------------------


def test_50_mb_streamed_page_is_cut_at_the_limit(
    server: LoopbackServer, make_fetcher: MakeFetcher
) -> None:
    streamed = server.streamed("/huge", 50_000_000)
    result = make_fetcher(max_page_bytes=1_000_000).fetch(server.url("/huge"))
    assert result.status is FetchStatus.TOO_LARGE
    assert result.body == b"" and result.text == ""
    assert "1000000 bytes" in (result.error or "")
    # the fetcher hung up at the limit instead of draining the rest: the server stopped
    # sending with most of the page unsent (what it sent past 1 MB sat in socket buffers)
    assert streamed.ended.wait(timeout=60)
    assert streamed.sent < 50_000_000 // 2, streamed.sent


def test_declared_length_over_the_limit_is_refused_unread(make_fetcher: MakeFetcher) -> None:
    read: list[int] = []

    class Body(httpx.SyncByteStream):
        def __iter__(self):  # type: ignore[no-untyped-def]
            read.append(1)
            yield b"x" * 10

    def handler(request: httpx.Request) -> httpx.Response:
        headers = {"Content-Type": "text/html", "Content-Length": "50000000"}
        return httpx.Response(200, headers=headers, stream=Body())

    result = make_fetcher(transport=mock(handler), max_page_bytes=1000).fetch("https://e.org/")
    assert result.status is FetchStatus.TOO_LARGE
    assert "50000000 bytes declared" in (result.error or "")
    assert read == []


def test_binary_content_types_are_refused(make_fetcher: MakeFetcher) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=b"%PDF-1.7", headers={"Content-Type": "application/pdf"})

    result = make_fetcher(transport=mock(handler)).fetch("https://example.org/paper.pdf")
    assert result.status is FetchStatus.UNSUPPORTED_TYPE
    assert result.content_type == "application/pdf"
    assert result.body == b""


def test_binary_body_served_as_html_is_refused(
    server: LoopbackServer, make_fetcher: MakeFetcher
) -> None:
    noise = random.Random(3).randbytes(20_000)
    server.add("/noise", noise, content_type="text/html; charset=utf-8")
    server.add("/png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, content_type="text/html")
    fetcher = make_fetcher()
    for path in ("/noise", "/png"):
        result = fetcher.fetch(server.url(path))
        assert result.status is FetchStatus.UNSUPPORTED_TYPE
        assert "binary" in (result.error or "")
        assert result.text == ""


CP1252_PAGE = "<html><body><p>Caf\u00e9 \u201cSydney\u201d \u2013 na\u00efve</p></body></html>"


def test_cp1252_bytes_declared_utf8_are_read_as_cp1252(
    server: LoopbackServer, make_fetcher: MakeFetcher
) -> None:
    server.add("/page", CP1252_PAGE.encode("cp1252"), content_type="text/html; charset=utf-8")
    result = make_fetcher().fetch(server.url("/page"))
    assert result.ok
    assert result.text == CP1252_PAGE
    assert result.encoding == "cp1252"


def test_charset_declared_in_meta_only(server: LoopbackServer, make_fetcher: MakeFetcher) -> None:
    page = CP1252_PAGE.replace("<html>", '<html><head><meta charset="windows-1252"></head>')
    legacy = CP1252_PAGE.replace(
        "<html>",
        '<html><head><meta content="text/html; charset=iso-8859-1" http-equiv="Content-Type">',
    )
    server.add("/meta", page.encode("cp1252"), content_type="text/html")
    server.add("/legacy", legacy.encode("cp1252"), content_type="text/html")
    fetcher = make_fetcher()
    assert fetcher.fetch(server.url("/meta")).text == page
    result = fetcher.fetch(server.url("/legacy"))
    assert result.text == legacy and result.encoding == "cp1252"


def test_decode_body() -> None:
    assert decode_body("\u00e9t\u00e9".encode("utf-16"), None) == ("\u00e9t\u00e9", "utf-16")
    assert decode_body(b"\xef\xbb\xbfhi", "latin-1") == ("hi", "utf-8-sig")
    assert decode_body("Gr\u00f6k".encode("koi8-r", "replace"), "koi8-r")[1] == "koi8-r"
    # A valid UTF-8 page with one stray byte stays UTF-8, the stray byte replaced.
    assert decode_body("\u201cok\u201d \xff".encode()[:-2] + b"\xff", "utf-8") == (
        "\u201cok\u201d \ufffd",
        "utf-8",
    )
    assert decode_body(b"plain", "no-such-charset") == ("plain", "utf-8")
    xml = b'<?xml version="1.0" encoding="ISO-8859-15"?><a>\xa4</a>'
    assert decode_body(xml, None, "application/xml") == (
        '<?xml version="1.0" encoding="ISO-8859-15"?><a>\u20ac</a>',
        "iso8859-15",
    )


def test_looks_binary() -> None:
    assert not looks_binary(PAGE.encode())
    assert not looks_binary(CP1252_PAGE.encode("cp1252"))
    assert not looks_binary("\u00e9".encode("utf-16"))
    assert not looks_binary(b"")
    assert looks_binary(b"GIF89a...")
    assert looks_binary(b"abc\x00\x00\x00\x01\x02" * 50)


# --- concurrency --------------------------------------------------------------------------


def test_fetch_all_runs_concurrently_up_to_the_limit(make_fetcher: MakeFetcher) -> None:
    lock = threading.Lock()
    active = 0
    peak = 0
    # Each request waits until three are in flight at once (a limit below three would leave
    # them waiting and break the barrier); a fourth at once would raise the peak.
    together = threading.Barrier(3, timeout=10)

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal active, peak
        with lock:
            active += 1
            peak = max(peak, active)
        together.wait()
        with lock:
            active -= 1
        return html()

    fetcher = make_fetcher(transport=mock(handler), concurrency=3)
    requests = [FetchRequest(f"https://host{i}.example/page") for i in range(12)]
    results = list(fetcher.fetch_all(requests))
    assert sorted(r.url for r in results) == sorted(r.url for r in requests)
    assert all(r.ok for r in results)
    assert peak == 3


def test_fetch_all_passes_validators(make_fetcher: MakeFetcher) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.headers.get("if-none-match") == '"same"':
            return httpx.Response(304)
        return html()

    fetcher = make_fetcher(transport=mock(handler))
    results = {
        r.url: r.status
        for r in fetcher.fetch_all(
            [FetchRequest("https://a.example/", etag='"same"'), FetchRequest("https://b.example/")]
        )
    }
    assert results == {
        "https://a.example/": FetchStatus.NOT_MODIFIED,
        "https://b.example/": FetchStatus.OK,
    }


def test_accept_override_for_json_and_any_type(make_fetcher: MakeFetcher) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"hits": []})

    fetcher = make_fetcher(transport=mock(handler))
    assert fetcher.fetch("https://api.example/q").status is FetchStatus.UNSUPPORTED_TYPE
    result = fetcher.fetch("https://api.example/q", accept={"application/json"})
    assert result.ok and result.text == '{"hits":[]}'


# --- compressed bodies, crawl-delay cap, bad Location ---------------------------------------


def _gzip(data: bytes) -> bytes:
    return gzip.compress(data, compresslevel=9)


def test_only_gzip_and_deflate_are_requested(
    server: LoopbackServer, make_fetcher: MakeFetcher
) -> None:
    server.add("/a", PAGE)
    assert make_fetcher().fetch(server.url("/a")).ok
    assert {r.headers["accept-encoding"] for r in server.requests} == {"gzip, deflate"}


@pytest.mark.parametrize("encoding", ["zstd", "br", "gzip, zstd", "compress"])
def test_other_content_encodings_are_refused(make_fetcher: MakeFetcher, encoding: str) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        headers = {"Content-Type": "text/html", "Content-Encoding": encoding}
        return httpx.Response(200, stream=httpx.ByteStream(b"\x28\xb5\x2f\xfd"), headers=headers)

    result = make_fetcher(transport=mock(handler)).fetch("https://e.org/")
    assert result.status is FetchStatus.UNSUPPORTED_TYPE
    assert f"content encoding {encoding!r} is not accepted" in (result.error or "")
    assert result.body == b""


@pytest.mark.parametrize("wbits", [31, 15, -15])  # gzip, zlib-wrapped deflate, raw deflate
def test_gzip_and_deflate_bodies_are_decompressed(make_fetcher: MakeFetcher, wbits: int) -> None:
    packer = zlib.compressobj(9, zlib.DEFLATED, wbits)
    packed = packer.compress(PAGE.encode()) + packer.flush()
    encoding = "gzip" if wbits == 31 else "deflate"

    def handler(request: httpx.Request) -> httpx.Response:
        headers = {"Content-Type": "text/html", "Content-Encoding": encoding}
        return httpx.Response(200, stream=httpx.ByteStream(packed), headers=headers)

    result = make_fetcher(transport=mock(handler)).fetch("https://e.org/")
    assert result.ok and result.text == PAGE


def test_corrupt_gzip_body_fails_clearly(make_fetcher: MakeFetcher) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        headers = {"Content-Type": "text/html", "Content-Encoding": "gzip"}
        body = httpx.ByteStream(b"\x1f\x8b\x08\x00garbage-not-deflate")
        return httpx.Response(200, stream=body, headers=headers)

    result = make_fetcher(transport=mock(handler)).fetch("https://e.org/")
    assert result.status is FetchStatus.FAILED
    assert "corrupt compressed body" in (result.error or "")
    assert result.attempts == 1


def test_gzip_bomb_is_cut_at_the_decompressed_limit_without_inflating_it(
    make_fetcher: MakeFetcher,
) -> None:
    bomb = _gzip(b"<p>" + b"a" * 60_000_000 + b"</p>")
    assert len(bomb) < 100_000  # one raw chunk that would inflate to 60 MB at once

    def handler(request: httpx.Request) -> httpx.Response:
        headers = {"Content-Type": "text/html", "Content-Encoding": "gzip"}
        return httpx.Response(200, stream=httpx.ByteStream(bomb), headers=headers)

    fetcher = make_fetcher(transport=mock(handler), max_page_bytes=1_000_000)
    tracemalloc.start()
    try:
        result = fetcher.fetch("https://e.org/bomb")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert result.status is FetchStatus.TOO_LARGE
    assert "limit of 1000000 bytes" in (result.error or "")
    assert result.body == b""
    assert peak < 10_000_000


def test_gzip_body_over_the_limit_on_loopback(
    server: LoopbackServer, make_fetcher: MakeFetcher
) -> None:
    server.add("/z", _gzip(b"x" * 5_000_000), headers={"Content-Encoding": "gzip"})
    server.add("/ok", _gzip(PAGE.encode()), headers={"Content-Encoding": "gzip"})
    fetcher = make_fetcher(max_page_bytes=1_000_000)
    assert fetcher.fetch(server.url("/z")).status is FetchStatus.TOO_LARGE
    ok = fetcher.fetch(server.url("/ok"))
    assert ok.ok and ok.text == PAGE


def test_too_long_crawl_delay_fails_the_host_instead_of_sleeping(
    clock: FakeClock, make_fetcher: MakeFetcher
) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/robots.txt":
            return httpx.Response(200, text="User-agent: *\nCrawl-delay: 100000\n")
        return html()

    fetcher = make_fetcher(transport=httpx.MockTransport(handler), max_retry_after=120.0)
    first = fetcher.fetch("https://slow.example/1")
    second = fetcher.fetch("https://slow.example/2")
    for result in (first, second):
        assert result.status is FetchStatus.FAILED
        assert "crawl-delay 100000 s too long" in (result.error or "")
    assert all(s <= 120.0 for s in clock.sleeps)


def test_bad_location_header_fails_at_once(make_fetcher: MakeFetcher) -> None:
    calls: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request.url.path)
        return httpx.Response(302, headers={"Location": "http://[::1/broken"})

    result = make_fetcher(transport=mock(handler)).fetch("https://e.org/r")
    assert result.status is FetchStatus.FAILED
    assert "location header" in (result.error or "").lower()
    assert result.attempts == 1 and calls == ["/r"]


def test_fetch_all_ordered_holds_at_most_a_window_behind_a_slow_first_page(
    make_fetcher: MakeFetcher,
) -> None:
    started: list[str] = []
    lock = threading.Lock()
    release = threading.Event()
    seen_while_blocked: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        with lock:
            started.append(request.url.host)
            if len(started) >= 20:
                release.set()  # only reachable if the fetcher runs far ahead of the first page
        if request.url.host == "host0.example":
            release.wait(timeout=0.5)
            with lock:
                seen_while_blocked.append(len(started))
        return html()

    fetcher = make_fetcher(transport=mock(handler), concurrency=2)
    requests = [FetchRequest(f"https://host{i}.example/page") for i in range(20)]
    results = list(fetcher.fetch_all(requests, ordered=True, keep_body=False))
    assert [r.url for r in results] == [r.url for r in requests]
    assert seen_while_blocked and seen_while_blocked[0] <= 4  # the window: 2 x concurrency
    assert all(r.ok and r.text == PAGE and r.body == b"" for r in results)
