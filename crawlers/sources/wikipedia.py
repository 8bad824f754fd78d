"""`wikipedia`: pages whose latest revision changed since the last run (MediaWiki API)."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any, ClassVar
from urllib.parse import quote, urlencode

from selfref.crawlers.fetch import JSON_TYPES, Fetcher
from selfref.crawlers.sources.base import Candidate, Option, Source, parse_datetime

_BATCH = 50  # titles per API request, the MediaWiki limit for ordinary clients


class WikipediaSource(Source):
    """Page URLs for `titles` whose revision id differs from `state[title]`.

    The new revision id is written to `state` as each candidate is yielded, and the hub
    gathers every candidate before fetching any, so all revisions are saved with the
    source's state even when a page later fails to fetch (the hub retries failed pages
    on its own, by URL).
    """

    kind = "wikipedia"

    OPTIONS: ClassVar[Mapping[str, Option]] = {
        "titles": Option("str_list"),
        "base_url": Option("url", "https://en.wikipedia.org"),
    }

    def candidates(self, fetcher: Fetcher, state: dict[str, Any]) -> Iterator[Candidate]:
        """Changed pages; titles the wiki does not know are named in a SourceError at the end."""
        base = self.options["base_url"].rstrip("/")
        titles: list[str] = self.options["titles"]
        missing: list[str] = []
        for start in range(0, len(titles), _BATCH):
            batch = titles[start : start + _BATCH]
            pages = self._revisions(fetcher, base, batch)
            for title in batch:
                page = pages.get(title)
                revisions = page.get("revisions") if page else None
                if not page or page.get("missing") or page.get("invalid") or not revisions:
                    missing.append(title)
                    continue
                revid = revisions[0].get("revid")
                if revid == state.get(title):
                    continue
                yield Candidate(
                    url=f"{base}/wiki/{quote(page['title'].replace(' ', '_'), safe='/:(),')}",
                    source=self.name,
                    title=page["title"],
                    metadata={
                        "revision_id": revid,
                        "revision_timestamp": revisions[0].get("timestamp"),
                        "revision_time": parse_datetime(revisions[0].get("timestamp")),
                        "wikipedia_title": title,
                    },
                )
                state[title] = revid
        if missing:
            raise self.error(f"no such page on {base}: {', '.join(missing)}")

    def _revisions(self, fetcher: Fetcher, base: str, titles: list[str]) -> dict[str, Any]:
        """Configured title -> page object, through normalisation and redirects."""
        query = {
            "action": "query",
            "prop": "revisions",
            "rvprop": "ids|timestamp",
            "titles": "|".join(titles),
            "redirects": "1",
            "format": "json",
            "formatversion": "2",
        }
        url = f"{base}/w/api.php?{urlencode(query)}"
        result = self.fetch(fetcher, url, accept=JSON_TYPES, robots=False)
        try:
            body = json.loads(result.text)["query"]
            by_title = {page["title"]: page for page in body["pages"]}
            renames = {
                item["from"]: item["to"]
                for key in ("normalized", "redirects")
                for item in body.get(key, [])
            }
        except (ValueError, KeyError, TypeError) as exc:
            raise self.error(f"{url} did not return page revisions: {exc!r}") from None
        pages = {}
        for title in titles:
            name = title
            for _ in range(3):  # normalised, then redirected
                name = renames.get(name, name)
            if name in by_title:
                pages[title] = by_title[name]
        return pages
