"""Source kinds: the interface here, the built-in kinds in this package's modules (entry
points of the `selfref.sources` group, declared in pyproject.toml exactly as a third party
declares its own), each imported only when a config names its kind."""

from selfref.crawlers.sources.base import (
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
]
