"""The source interface: a kind that yields candidate pages or ready documents.

Kinds are found by name through the `selfref.sources` entry-point group (the hub's
registry); each class's `kind` is that name.
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, ClassVar, Literal
from urllib.parse import urlsplit

from selfref.crawlers.fetch import Fetcher, FetchResult, FetchStatus

__all__ = [
    "Candidate",
    "Option",
    "Source",
    "SourceError",
    "parse_datetime",
]

OptionType = Literal["str", "url", "int", "bool", "str_list", "int_list"]
_REQUIRED: Any = object()

log = logging.getLogger(__name__)


class SourceError(Exception):
    """A source failed as a whole (unreachable feed, broken JSON); the message names it."""


@dataclass
class Candidate:
    """A page to fetch, or a ready document when `text` is set."""

    url: str
    source: str
    title: str | None = None
    text: str | None = None
    published: datetime | None = None
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Option:
    """One option a source kind accepts; without a default it is required."""

    type: OptionType
    default: Any = _REQUIRED
    minimum: int | None = None
    maximum: int | None = None

    @property
    def required(self) -> bool:
        """True when the option has no default."""
        return self.default is _REQUIRED

    def check(self, value: Any) -> str | None:
        """Why `value` is not acceptable, or None."""
        if self.type in ("str", "url"):
            if not isinstance(value, str) or not value.strip():
                return "must be a non-empty string"
            parts = urlsplit(value)
            if self.type == "url" and (parts.scheme not in ("http", "https") or not parts.netloc):
                return "must be an http(s) URL"
        elif self.type == "bool":
            if not isinstance(value, bool):
                return "must be true or false"
        elif self.type == "int":
            if not isinstance(value, int) or isinstance(value, bool):
                return "must be an integer"
            if self.minimum is not None and value < self.minimum:
                return f"must be at least {self.minimum}"
            if self.maximum is not None and value > self.maximum:
                return f"must be at most {self.maximum}"
        else:
            item = str if self.type == "str_list" else int
            if (
                not isinstance(value, list | tuple)
                or not value
                or not all(isinstance(v, item) and not isinstance(v, bool) for v in value)
            ):
                noun = "strings" if item is str else "integers"
                return f"must be a non-empty list of {noun}"
        return None


class Source(ABC):
    """Base of every source kind; subclasses declare `OPTIONS` and implement `candidates`,
    and are built as `cls(name, **options)` (a ValueError names a bad option)."""

    kind: ClassVar[str]
    OPTIONS: ClassVar[Mapping[str, Option]] = {}

    def __init__(self, name: str, **options: Any) -> None:
        self.name = name
        where = f"{self.kind} source {name!r}"
        unknown = sorted(set(options) - set(self.OPTIONS))
        if unknown:
            known = ", ".join(sorted(self.OPTIONS)) or "none"
            raise ValueError(f"{where}: unknown option {unknown[0]!r} (known: {known})")
        self.options: dict[str, Any] = {}
        for key, spec in self.OPTIONS.items():
            if key not in options:
                if spec.required:
                    raise ValueError(f"{where}: option {key!r} is required")
                self.options[key] = spec.default
                continue
            problem = (
                None if options[key] is None and not spec.required else spec.check(options[key])
            )
            if problem:
                raise ValueError(f"{where}: option {key!r} {problem}, got {options[key]!r}")
            value = options[key]
            self.options[key] = list(value) if isinstance(value, tuple) else value
        self.limits: list[str] = []

    def limit_reached(self, message: str) -> None:
        """Note a cap that left candidates out this run (the crawl report lists it)."""
        log.warning("%s: %s", self, message)
        self.limits.append(message)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r}>"

    @abstractmethod
    def candidates(self, fetcher: Fetcher, state: dict[str, Any]) -> Iterator[Candidate]:
        """Yield this run's candidates; `state` is a JSON-able dict kept between runs."""

    def error(self, message: str) -> SourceError:
        """A SourceError whose message names this source."""
        return SourceError(f"{self.kind} source {self.name!r}: {message}")

    def fetch(self, fetcher: Fetcher, url: str, **kwargs: Any) -> FetchResult:
        """Fetch `url`; anything but ok or not_modified raises SourceError."""
        result = fetcher.fetch(url, **kwargs)
        if result.status not in (FetchStatus.OK, FetchStatus.NOT_MODIFIED):
            raise self.error(f"cannot fetch {url} ({result.status}): {result.error}")
        return result


def parse_datetime(value: str | None) -> datetime | None:
    """An ISO 8601 date or date-time as an aware datetime (UTC when no offset), else None."""
    if not value or not value.strip():
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
