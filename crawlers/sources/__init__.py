"""Source kinds: the interface and the built-in kinds (entry points of the `selfref.sources`
group, declared in pyproject.toml exactly as a third party declares its own)."""

from crawlers.sources import aiid, feed, gdelt, hn, sitemap, url_list, wikipedia
from crawlers.sources.base import (
    Candidate,
    Option,
    Source,
    SourceError,
)

__all__ = [
    "Candidate",
    "Option",
    "Source",
    "SourceError",
    "aiid",
    "feed",
    "gdelt",
    "hn",
    "sitemap",
    "url_list",
    "wikipedia",
]
