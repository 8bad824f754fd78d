"""The fetcher's settings and content-type sets: the one place each fetch default is spelled.

Light on purpose (no HTTP stack): the hub's config reads its `[crawl]` defaults from here.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["ANY_TYPE", "FEED_TYPES", "JSON_TYPES", "PAGE_TYPES", "FetchSettings"]

FEED_TYPES = frozenset(
    {
        "application/xml",
        "text/xml",
        "application/rss+xml",
        "application/atom+xml",
        "application/rdf+xml",
    }
)
PAGE_TYPES = FEED_TYPES | {"text/html", "application/xhtml+xml", "text/plain"}
JSON_TYPES = frozenset({"application/json", "text/json", "text/javascript"})
ANY_TYPE = frozenset({"*/*"})


@dataclass(frozen=True)
class FetchSettings:
    """Politeness and limits; the hub fills this from `[crawl]` in selfref.toml."""

    user_agent: str = "selfref/0.1 (+https://github.com/selfref/selfref)"
    per_host_delay: float = 2.0
    timeout: float = 20.0
    max_page_bytes: int = 10_000_000
    max_redirects: int = 10
    retries: int = 3
    backoff_base: float = 0.5
    backoff_cap: float = 30.0
    max_retry_after: float = 120.0
    concurrency: int = 4
    content_types: frozenset[str] = PAGE_TYPES

    def __post_init__(self) -> None:
        if not self.user_agent.strip():
            raise ValueError("user_agent must not be empty")
        for name in ("per_host_delay", "backoff_base", "backoff_cap", "max_retry_after"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be >= 0, got {getattr(self, name)}")
        for name in ("timeout", "max_page_bytes", "concurrency"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be > 0, got {getattr(self, name)}")
        for name in ("max_redirects", "retries"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be >= 0, got {getattr(self, name)}")
