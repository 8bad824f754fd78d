"""`feed`: entries of an RSS or Atom feed, fetched with conditional GET between runs."""

from __future__ import annotations

import calendar
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Any, ClassVar
from urllib.parse import urljoin, urlsplit

import feedparser

from selfref.crawlers.fetch import FEED_TYPES, Fetcher, FetchStatus
from selfref.crawlers.sources.base import Candidate, Option, Source

_ACCEPT = FEED_TYPES | {"text/html", "text/plain", "application/octet-stream"}


class FeedSource(Source):
    """One RSS/Atom feed; each entry's link is a candidate page, the first `max_entries`
    of them (the rest are noted in the crawl report's `limits`)."""

    kind = "feed"

    OPTIONS: ClassVar[Mapping[str, Option]] = {
        "url": Option("url"),
        "max_entries": Option("int", 1_000, minimum=1),
    }

    def candidates(self, fetcher: Fetcher, state: dict[str, Any]) -> Iterator[Candidate]:
        """Entries with an http(s) link; nothing when the feed is unchanged since last run."""
        url = self.options["url"]
        result = self.fetch(
            fetcher,
            url,
            accept=_ACCEPT,
            etag=state.get("etag"),
            last_modified=state.get("last_modified"),
        )
        if result.status is FetchStatus.NOT_MODIFIED:
            return
        parsed = feedparser.parse(
            result.body,
            response_headers={"content-type": result.content_type or "application/xml"},
        )
        if not parsed.get("version") or (parsed.get("bozo") and not parsed.entries):
            problem = parsed.get("bozo_exception") or "no RSS or Atom feed in the response"
            raise self.error(f"{url} is not a readable feed: {problem}")
        state["etag"], state["last_modified"] = result.etag, result.last_modified
        entries = parsed.entries
        cap = self.options["max_entries"]
        if len(entries) > cap:
            self.limit_reached(f"stopped at max_entries={cap} of {len(entries)} entries")
        for entry in entries[:cap]:
            link = urljoin(result.final_url, entry.get("link") or "")
            if urlsplit(link).scheme not in ("http", "https") or not entry.get("link"):
                continue
            yield Candidate(
                url=link,
                source=self.name,
                title=entry.get("title") or None,
                published=_published(entry),
                metadata={"feed": url, "summary": entry.get("summary") or ""},
            )


def _published(entry: Any) -> datetime | None:
    stamp = entry.get("published_parsed") or entry.get("updated_parsed")
    return datetime.fromtimestamp(calendar.timegm(stamp), UTC) if stamp else None
