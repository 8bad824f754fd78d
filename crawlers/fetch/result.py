"""What a fetch is asked for and what it gives back."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

__all__ = ["FetchRequest", "FetchResult", "FetchStatus"]


class FetchStatus(StrEnum):
    """How a fetch ended."""

    OK = "ok"
    NOT_MODIFIED = "not_modified"
    NOT_FOUND = "not_found"
    GONE = "gone"
    FAILED = "failed"
    DISALLOWED = "disallowed"
    BLOCKED = "blocked"
    TOO_LARGE = "too_large"
    UNSUPPORTED_TYPE = "unsupported_type"
    REDIRECT_LOOP = "redirect_loop"


@dataclass(frozen=True)
class FetchRequest:
    """One URL to fetch, with the validators from its last fetch."""

    url: str
    etag: str | None = None
    last_modified: str | None = None


@dataclass
class FetchResult:
    """What one fetch produced; `text` is set for textual bodies only, `attempts` counts the
    requests sent (every hop, every retry)."""

    url: str
    final_url: str
    status: FetchStatus = FetchStatus.FAILED
    http_status: int | None = None
    content_type: str | None = None
    encoding: str | None = None
    body: bytes = b""
    text: str = ""
    etag: str | None = None
    last_modified: str | None = None
    retry_after: float | None = None
    error: str | None = None
    redirects: list[str] = field(default_factory=list)
    attempts: int = 0

    @property
    def ok(self) -> bool:
        """True when a body was fetched."""
        return self.status is FetchStatus.OK
