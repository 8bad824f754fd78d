"""Source kinds: the built-in ones register here exactly as a user's own source would."""

from crawlers.sources import aiid, feed, gdelt, hn, sitemap, url_list, wikipedia
from crawlers.sources.base import (
    Candidate,
    Option,
    Source,
    SourceError,
    build_source,
    register_source,
    source_kinds,
)

__all__ = [
    "Candidate",
    "Option",
    "Source",
    "SourceError",
    "aiid",
    "build_source",
    "feed",
    "gdelt",
    "hn",
    "register_source",
    "sitemap",
    "source_kinds",
    "url_list",
    "wikipedia",
]
