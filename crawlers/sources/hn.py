"""`hn`: Hacker News stories matching a query, newest first, via the Algolia search API."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Any, ClassVar
from urllib.parse import urlencode

from selfref.crawlers.fetch import JSON_TYPES, Fetcher
from selfref.crawlers.sources.base import Candidate, Option, Source


class HackerNewsSource(Source):
    """Story links (the HN item page when a story has none); only stories newer than last run."""

    kind = "hn"

    OPTIONS: ClassVar[Mapping[str, Option]] = {
        "query": Option("str"),
        "base_url": Option("url", "https://hn.algolia.com/api/v1"),
        "item_url": Option("url", "https://news.ycombinator.com/item?id="),
        "hits_per_page": Option("int", 100, minimum=1, maximum=1000),
        "max_pages": Option("int", 10, minimum=1),
    }

    def candidates(self, fetcher: Fetcher, state: dict[str, Any]) -> Iterator[Candidate]:
        """Pages of `search_by_date`; `state["newest_created_at_i"]` moves on after the last.

        At most `max_pages` x `hits_per_page` stories are read per run, newest first. When
        more new stories than that appeared since the last run, the older ones among them
        are skipped for good: the mark moves to the newest story seen. Raise `max_pages`
        for busy queries.
        """
        since = state.get("newest_created_at_i")
        newest = since
        params: dict[str, Any] = {
            "query": self.options["query"],
            "tags": "story",
            "hitsPerPage": self.options["hits_per_page"],
        }
        if isinstance(since, int):
            params["numericFilters"] = f"created_at_i>{since}"
        for page in range(self.options["max_pages"]):
            url = f"{self.options['base_url'].rstrip('/')}/search_by_date?" + urlencode(
                {**params, "page": page}
            )
            result = self.fetch(fetcher, url, accept=JSON_TYPES, robots=False)
            try:
                data = json.loads(result.text)
                hits = data["hits"]
                pages = int(data.get("nbPages", 1))
            except (ValueError, KeyError, TypeError) as exc:
                raise self.error(f"{url} did not return search results: {exc}") from None
            for hit in hits:
                candidate = self._candidate(hit)
                if candidate is None:
                    continue
                created = hit["created_at_i"]
                newest = created if newest is None else max(newest, created)
                yield candidate
            if not hits or page + 1 >= pages:
                break
        if newest is not None:
            state["newest_created_at_i"] = newest

    def _candidate(self, hit: Any) -> Candidate | None:
        if not isinstance(hit, dict) or not isinstance(hit.get("created_at_i"), int):
            return None
        item = f"{self.options['item_url']}{hit.get('objectID', '')}"
        return Candidate(
            url=hit.get("url") or item,
            source=self.name,
            title=hit.get("title") or None,
            published=datetime.fromtimestamp(hit["created_at_i"], UTC),
            metadata={
                "hn_id": hit.get("objectID"),
                "hn_url": item,
                "points": hit.get("points"),
                "num_comments": hit.get("num_comments"),
                "author": hit.get("author"),
            },
        )
