"""The search-API sources (hn, gdelt) and the wikipedia revision check, served on loopback."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from selfref.crawlers.fetch import Fetcher
from selfref.crawlers.sources import Candidate, SourceError
from selfref.plugins import SOURCES
from tests.loopback import LoopbackServer, send


def json_route(answer: Callable[[dict[str, str]], Any]) -> Callable[[BaseHTTPRequestHandler], None]:
    """A handler answering JSON computed from the query parameters."""

    def handler(h: BaseHTTPRequestHandler) -> None:
        query = {k: v[0] for k, v in parse_qs(urlsplit(h.path).query).items()}
        send(h, json.dumps(answer(query)).encode(), content_type="application/json")

    return handler


def query_of(server: LoopbackServer, index: int) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(server.requests[index].path).query).items()}


# --- hn -------------------------------------------------------------------------------------

HITS: list[dict[str, Any]] = [
    {"objectID": "44500003", "title": "Grok 4 looks up its surname", "url": "https://a.example/3",
     "created_at_i": 1752300000, "points": 120, "num_comments": 80, "author": "pg"},
    {"objectID": "44500002", "title": "Ask HN: MechaHitler?", "url": None,
     "created_at_i": 1752200000, "points": 5, "num_comments": 2, "author": "dang"},
    {"objectID": "44500001", "title": "xAI removes posts", "url": "https://b.example/1",
     "created_at_i": 1752100000, "points": 40, "num_comments": 10, "author": "x"},
]  # fmt: skip


def hn_answer(query: dict[str, str]) -> dict[str, Any]:
    since = int(query.get("numericFilters", "created_at_i>0").split(">")[1])
    hits = [h for h in HITS if h["created_at_i"] > since]
    size, page = int(query["hitsPerPage"]), int(query["page"])
    return {"hits": hits[page * size : (page + 1) * size], "nbPages": -(-len(hits) // size)}


def test_hn_stories_and_incremental_state(server: LoopbackServer, fetcher: Fetcher) -> None:
    server.routes["/api/v1/search_by_date"] = json_route(hn_answer)
    source = SOURCES.build(
        "hn", "hn", {"query": "MechaHitler", "base_url": server.url("/api/v1"), "hits_per_page": 2}
    )
    state: dict[str, Any] = {}
    found = list(source.candidates(fetcher, state))
    assert [c.url for c in found] == [
        "https://a.example/3",
        "https://news.ycombinator.com/item?id=44500002",
        "https://b.example/1",
    ]
    assert found[0].published == datetime.fromtimestamp(1752300000, UTC)
    assert found[0].metadata["points"] == 120 and found[0].metadata["hn_id"] == "44500003"
    assert state == {"newest_created_at_i": 1752300000}
    first = query_of(server, 0)
    assert first["query"] == "MechaHitler" and first["tags"] == "story" and first["page"] == "0"
    assert "numericFilters" not in first
    assert query_of(server, 1)["page"] == "1"
    assert server.paths()[0].startswith("/api/v1/search_by_date")  # no robots.txt for the API

    HITS.insert(0, {"objectID": "44500004", "title": "New", "url": "https://c.example/4",
                    "created_at_i": 1752400000})  # fmt: skip
    try:
        again = list(source.candidates(fetcher, state))
    finally:
        HITS.pop(0)
    assert [c.url for c in again] == ["https://c.example/4"]
    assert query_of(server, -1)["numericFilters"] == "created_at_i>1752300000"
    assert state == {"newest_created_at_i": 1752400000}


def test_hn_no_new_stories_keeps_state(server: LoopbackServer, fetcher: Fetcher) -> None:
    server.routes["/api/v1/search_by_date"] = json_route(lambda q: {"hits": [], "nbPages": 0})
    source = SOURCES.build("hn", "hn", {"query": "Sydney", "base_url": server.url("/api/v1")})
    state: dict[str, Any] = {"newest_created_at_i": 5}
    assert list(source.candidates(fetcher, state)) == []
    assert state == {"newest_created_at_i": 5}


def test_hn_broken_answer(server: LoopbackServer, fetcher: Fetcher) -> None:
    server.add(
        "/api/v1/search_by_date", "<html>rate limited</html>", content_type="application/json"
    )
    source = SOURCES.build("hn", "hn", {"query": "Sydney", "base_url": server.url("/api/v1")})
    with pytest.raises(SourceError, match=r"hn source 'hn': .* did not return search results"):
        list(source.candidates(fetcher, {}))


# --- gdelt ----------------------------------------------------------------------------------


def gdelt(server: LoopbackServer, fetcher: Fetcher) -> list[Candidate]:
    options = {
        "query": '"Golden Gate Claude"',
        "base_url": server.url("/api/v2/doc/doc"),
        "max_records": 50,
        "timespan": "7d",
    }
    source = SOURCES.build("gdelt", "news", options)
    return list(source.candidates(fetcher, {}))


def test_gdelt_artlist(server: LoopbackServer, fetcher: Fetcher) -> None:
    articles = {
        "articles": [
            {"url": "https://n.example/ggc", "title": "Claude thinks it is a bridge",
             "seendate": "20240524T101500Z", "domain": "n.example", "language": "English",
             "sourcecountry": "United States"},
            {"url": "", "title": "no url"},
        ]
    }  # fmt: skip
    server.routes["/api/v2/doc/doc"] = json_route(lambda q: articles)
    [found] = gdelt(server, fetcher)
    assert found.url == "https://n.example/ggc"
    assert found.title == "Claude thinks it is a bridge"
    assert found.published == datetime(2024, 5, 24, 10, 15, tzinfo=UTC)
    assert found.metadata == {
        "domain": "n.example",
        "language": "English",
        "sourcecountry": "United States",
    }
    query = query_of(server, 0)
    assert query == {
        "query": '"Golden Gate Claude"',
        "mode": "artlist",
        "format": "json",
        "maxrecords": "50",
        "sort": "datedesc",
        "timespan": "7d",
    }


@pytest.mark.parametrize("body", ["", "  \n", "{}"])
def test_gdelt_empty_answers_mean_no_articles(
    server: LoopbackServer, fetcher: Fetcher, body: str
) -> None:
    server.add("/api/v2/doc/doc", body, content_type="application/json")
    assert gdelt(server, fetcher) == []


def test_gdelt_error_text_is_reported(server: LoopbackServer, fetcher: Fetcher) -> None:
    server.add("/api/v2/doc/doc", "The specified phrase is too short.", content_type="text/html")
    with pytest.raises(SourceError, match=r"other than JSON: The specified phrase is too short\."):
        gdelt(server, fetcher)


# --- wikipedia ------------------------------------------------------------------------------

REVISIONS = {"Tay (chatbot)": 1200, "Grok (chatbot)": 3400}


def mediawiki(query: dict[str, str]) -> dict[str, Any]:
    assert query["action"] == "query" and query["prop"] == "revisions"
    assert query["rvprop"] == "ids|timestamp" and query["formatversion"] == "2"
    pages = []
    normalized = []
    redirects = []
    for title in query["titles"].split("|"):
        if title == "tay (chatbot)":
            normalized.append({"from": title, "to": "Tay (chatbot)"})
        elif title == "Grok (AI)":
            redirects.append({"from": title, "to": "Grok (chatbot)"})
        elif title in REVISIONS:
            pass
        else:
            pages.append({"ns": 0, "title": title, "missing": True})
    for title, revid in REVISIONS.items():
        revision = {"revid": revid, "parentid": revid - 1, "timestamp": "2025-07-10T00:00:00Z"}
        pages.append({"pageid": revid, "ns": 0, "title": title, "revisions": [revision]})
    return {"batchcomplete": True, "query": {"normalized": normalized, "redirects": redirects,
                                             "pages": pages}}  # fmt: skip


def test_wikipedia_yields_only_changed_pages(server: LoopbackServer, fetcher: Fetcher) -> None:
    server.add("/robots.txt", "User-agent: *\nDisallow: /w/\n", content_type="text/plain")
    server.routes["/w/api.php"] = json_route(mediawiki)
    source = SOURCES.build(
        "wikipedia", "wiki", {"titles": ["tay (chatbot)", "Grok (AI)"], "base_url": server.url()}
    )
    state: dict[str, Any] = {}
    found = list(source.candidates(fetcher, state))
    assert [c.url for c in found] == [
        server.url("/wiki/Tay_(chatbot)"),
        server.url("/wiki/Grok_(chatbot)"),
    ]
    assert found[0].title == "Tay (chatbot)"
    assert found[0].metadata["revision_id"] == 1200
    assert found[0].metadata["revision_time"] == datetime(2025, 7, 10, tzinfo=UTC)
    assert state == {"tay (chatbot)": 1200, "Grok (AI)": 3400}
    assert query_of(server, 0)["titles"] == "tay (chatbot)|Grok (AI)"

    assert list(source.candidates(fetcher, state)) == []
    REVISIONS["Grok (chatbot)"] = 3401
    try:
        changed = list(source.candidates(fetcher, state))
    finally:
        REVISIONS["Grok (chatbot)"] = 3400
    assert [c.metadata["revision_id"] for c in changed] == [3401]
    assert state["Grok (AI)"] == 3401
    assert "/robots.txt" not in server.paths()  # the API is not a page crawl


def test_wikipedia_missing_title_is_reported_after_the_others(
    server: LoopbackServer, fetcher: Fetcher
) -> None:
    server.routes["/w/api.php"] = json_route(mediawiki)
    source = SOURCES.build(
        "wikipedia", "wiki", {"titles": ["No such page", "Tay (chatbot)"], "base_url": server.url()}
    )
    state: dict[str, Any] = {}
    found: list[Candidate] = []
    with pytest.raises(SourceError, match=r"no such page on .*: No such page"):
        for candidate in source.candidates(fetcher, state):
            found.append(candidate)
    assert [c.title for c in found] == ["Tay (chatbot)"]
    assert state == {"Tay (chatbot)": 1200}


def test_wikipedia_state_waits_for_the_hub(server: LoopbackServer, fetcher: Fetcher) -> None:
    server.routes["/w/api.php"] = json_route(mediawiki)
    source = SOURCES.build(
        "wikipedia", "wiki", {"titles": ["Tay (chatbot)"], "base_url": server.url()}
    )
    state: dict[str, Any] = {}
    candidates = source.candidates(fetcher, state)
    next(candidates)
    assert state == {}  # the hub has not moved on yet
    with pytest.raises(StopIteration):
        next(candidates)
    assert state == {"Tay (chatbot)": 1200}


def test_wikipedia_broken_api_answer(server: LoopbackServer, fetcher: Fetcher) -> None:
    server.add("/w/api.php", '{"error": {"code": "maxlag"}}', content_type="application/json")
    source = SOURCES.build("wikipedia", "wiki", {"titles": ["Tay"], "base_url": server.url()})
    with pytest.raises(SourceError, match="did not return page revisions"):
        list(source.candidates(fetcher, {}))
