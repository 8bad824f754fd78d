"""`urls`: a fixed list of pages, such as the catalog's seed sources."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, ClassVar

from selfref.crawlers.fetch import Fetcher
from selfref.crawlers.sources.base import Candidate, Option, Source


class UrlListSource(Source):
    """Every configured URL, every run (conditional GET keeps repeats cheap)."""

    kind = "urls"

    OPTIONS: ClassVar[Mapping[str, Option]] = {"urls": Option("str_list")}

    def __init__(self, name: str, **options: Any) -> None:
        super().__init__(name, **options)
        bad = [u for u in self.options["urls"] if Option("url").check(u)]
        if bad:
            raise ValueError(
                f"urls source {name!r}: option 'urls' has a non-http(s) URL {bad[0]!r}"
            )

    def candidates(self, fetcher: Fetcher, state: dict[str, Any]) -> Iterator[Candidate]:
        """One candidate per URL, in order."""
        for url in self.options["urls"]:
            yield Candidate(url=url, source=self.name)
