"""The source interface: options, and the built-in kinds registered through the hub's
registry (entry points) like a user's."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any, ClassVar

import pytest

from selfref.crawlers.fetch import Fetcher
from selfref.crawlers.sources import Candidate, Option, Source
from selfref.crawlers.sources.base import parse_datetime
from selfref.errors import ConfigError
from selfref.plugins import SOURCES


def test_builtin_kinds_are_registered() -> None:
    assert SOURCES.kinds() == ["aiid", "feed", "gdelt", "hn", "sitemap", "urls", "wikipedia"]


@pytest.mark.parametrize(
    ("kind", "options"),
    [
        ("feed", {"url": "https://example.org/feed.xml"}),
        ("sitemap", {"url": "https://example.org/", "max_urls": 10, "max_depth": 1}),
        ("urls", {"urls": ["https://example.org/a", "https://example.org/b"]}),
        ("aiid", {"path": "/data/aiid", "incident_ids": [6]}),
        ("aiid", {"url": "https://mirror.example/aiid/"}),
        ("hn", {"query": "MechaHitler", "base_url": "http://127.0.0.1:9/api/v1"}),
        ("gdelt", {"query": '"Golden Gate Claude"', "timespan": "1d"}),
        ("wikipedia", {"titles": ["Tay (chatbot)"], "base_url": "http://127.0.0.1:9"}),
    ],
)
def test_build_each_builtin_kind(kind: str, options: dict[str, Any]) -> None:
    source = SOURCES.build(kind, "my-source", options)
    assert source.kind == kind and source.name == "my-source"
    for key, value in options.items():
        assert source.options[key] == value


@pytest.mark.parametrize(
    ("kind", "options", "message"),
    [
        ("feed", {}, "feed source 'bad': option 'url' is required"),
        ("feed", {"url": "https://e.org/f", "every": "6h"}, "unknown option 'every'"),
        ("feed", {"url": "file:///etc/passwd"}, "option 'url' must be an http(s) URL"),
        ("sitemap", {"url": "https://e.org/", "max_urls": 0}, "'max_urls' must be at least 1"),
        ("sitemap", {"url": "https://e.org/", "max_depth": "3"}, "'max_depth' must be an integer"),
        ("sitemap", {"url": "https://e.org/", "max_depth": True}, "'max_depth' must be an integer"),
        ("urls", {"urls": []}, "'urls' must be a non-empty list of strings"),
        ("urls", {"urls": ["https://e.org/", "ftp://e.org/x"]}, "non-http(s) URL 'ftp://e.org/x'"),
        ("aiid", {}, "exactly one of the options 'url', 'path'"),
        ("aiid", {"path": "/x", "url": "https://e.org/"}, "exactly one of the options"),
        ("aiid", {"path": "/x", "incident_ids": ["6"]}, "'incident_ids' must be a non-empty list"),
        ("hn", {"query": ""}, "option 'query' must be a non-empty string"),
        ("gdelt", {"query": "x", "max_records": 1000}, "'max_records' must be at most 250"),
        ("wikipedia", {"titles": "Tay"}, "'titles' must be a non-empty list of strings"),
    ],
)
def test_bad_options_are_named(kind: str, options: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match="bad") as caught:
        SOURCES.build(kind, "bad", options)
    assert message in str(caught.value)


def test_unknown_kind_lists_the_known_ones() -> None:
    with pytest.raises(ConfigError, match=r"unknown source kind 'rss'; known kinds: aiid, feed, "):
        SOURCES.build("rss", "news", {})


def test_a_users_source_registers_like_the_builtins() -> None:
    class StaticSource(Source):
        """Ready documents from an option."""

        OPTIONS: ClassVar[dict[str, Option]] = {"texts": Option("str_list")}

        def candidates(self, fetcher: Fetcher, state: dict[str, Any]) -> Iterator[Candidate]:
            state["runs"] = state.get("runs", 0) + 1
            for i, text in enumerate(self.options["texts"]):
                yield Candidate(url=f"https://static.example/{i}", source=self.name, text=text)

    SOURCES.add("test-static", StaticSource)
    try:
        assert "test-static" in SOURCES.kinds()
        source = SOURCES.build("test-static", "mine", {"texts": ["I am Sydney."]})
        state: dict[str, Any] = {}
        with Fetcher() as fetcher:
            found = list(source.candidates(fetcher, state))
        assert found == [Candidate("https://static.example/0", "mine", text="I am Sydney.")]
        assert state == {"runs": 1}
        assert found[0].metadata == {} and found[0].published is None
        with pytest.raises(ConfigError, match="'test-static' is already registered"):
            SOURCES.add("test-static", type("Other", (StaticSource,), {}))
    finally:
        SOURCES.remove("test-static")


def test_parse_datetime() -> None:
    assert parse_datetime("2016-03-24") == datetime(2016, 3, 24, tzinfo=UTC)
    assert parse_datetime("2025-07-09T10:00:00Z") == datetime(2025, 7, 9, 10, tzinfo=UTC)
    assert parse_datetime("2025-07-09T12:00:00+02:00") == datetime(2025, 7, 9, 10, tzinfo=UTC)
    assert parse_datetime("") is None and parse_datetime(None) is None
    assert parse_datetime("last tuesday") is None
