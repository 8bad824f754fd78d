"""`gdelt`: news articles matching a query from the GDELT DOC 2.0 API (`artlist` mode)."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Any, ClassVar
from urllib.parse import urlencode

from selfref.crawlers.fetch import JSON_TYPES, Fetcher
from selfref.crawlers.sources.base import Candidate, Option, Source

_ACCEPT = JSON_TYPES | {"text/html", "text/plain"}


class GdeltSource(Source):
    """Article URLs; an empty answer means no matches, a non-JSON one is GDELT's error text."""

    kind = "gdelt"

    OPTIONS: ClassVar[Mapping[str, Option]] = {
        "query": Option("str"),
        "base_url": Option("url", "https://api.gdeltproject.org/api/v2/doc/doc"),
        "max_records": Option("int", 250, minimum=1, maximum=250),
        "timespan": Option("str", None),
    }

    def candidates(self, fetcher: Fetcher, state: dict[str, Any]) -> Iterator[Candidate]:
        """One candidate per article, newest first."""
        params = {
            "query": self.options["query"],
            "mode": "artlist",
            "format": "json",
            "maxrecords": self.options["max_records"],
            "sort": "datedesc",
        }
        if self.options["timespan"]:
            params["timespan"] = self.options["timespan"]
        url = f"{self.options['base_url']}?{urlencode(params)}"
        result = self.fetch(fetcher, url, accept=_ACCEPT, robots=False)
        if not result.text.strip():
            return
        try:
            data = json.loads(result.text)
        except ValueError:
            snippet = " ".join(result.text.split())[:200]
            raise self.error(f"{url} answered with something other than JSON: {snippet}") from None
        articles = data.get("articles", []) if isinstance(data, dict) else None
        if not isinstance(articles, list):
            raise self.error(f"{url} answered JSON without an article list")
        for article in articles:
            if not isinstance(article, dict) or not article.get("url"):
                continue
            yield Candidate(
                url=article["url"],
                source=self.name,
                title=article.get("title") or None,
                published=_seendate(article.get("seendate")),
                metadata={
                    key: article[key]
                    for key in ("domain", "language", "sourcecountry")
                    if article.get(key)
                },
            )


def _seendate(value: Any) -> datetime | None:
    try:
        return datetime.strptime(str(value), "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    except ValueError:
        return None
